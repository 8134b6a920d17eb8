//! The certificate document (`CERT.json`), specified in docs/CERTIFICATE.md.
//! Its fields follow NIST SP 800-88 Rev. 1 Appendix G (sample certificate of
//! sanitization) and the Japanese データ消去証明書: who, what, when, where, how,
//! how it was checked, and the complete chain of custody.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Kind, Result};
use crate::i18n::{self, Lang};
use crate::keys::{KeyInfo, RecipientInfo};
use crate::vault::receipt::Ciphertext;
use crate::vault::{Approval, Receipt};

/// `format` of every certificate.
pub const FORMAT: &str = "kura-certificate";
/// The certificate format version this kura writes and reads.
pub const VERSION: u32 = 1;

/// What the certificate attests.
pub const ACTION_DELETED: &str = "deleted";
pub const ACTION_RETURNED: &str = "returned";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// Always `kura-certificate`.
    pub format: String,
    pub version: u32,
    /// A random UUID (v4); also in the certifying custody record.
    pub certificate_id: String,
    /// RFC 3339 with offset: the time of the certifying custody record.
    pub issued_at: String,
    pub issuer: Issuer,
    pub vault: VaultFacts,
    pub approval: Approval,
    /// `deleted` or `returned`.
    pub action: String,
    /// Everything destroyed (or, for the vault when returned, kept).
    pub items: Vec<Item>,
    pub method: Method,
    pub tool: Tool,
    /// Host name of the computer that did it.
    pub host: String,
    pub verification: Verification,
    /// `YYYY-MM-DD` from the approval.
    pub delete_by: String,
    /// Whether `issued_at`'s date (in its own offset) is on or before `delete_by`.
    pub on_time: bool,
    pub custody: CustodyCopy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organisation: String,
    /// The key that signed the certificate and the certifying record.
    pub key: KeyInfo,
}

/// The vault's public facts, copied from its receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultFacts {
    pub vault_id: String,
    pub created: String,
    pub packer: KeyInfo,
    pub recipients: Vec<RecipientInfo>,
    pub file_count: u64,
    pub total_size: u64,
    pub manifest_blake3: String,
    pub ciphertext: Ciphertext,
}

impl VaultFacts {
    pub fn of(r: &Receipt) -> Self {
        VaultFacts {
            vault_id: r.vault_id.clone(),
            created: r.created.clone(),
            packer: r.packer.clone(),
            recipients: r.recipients.clone(),
            file_count: r.file_count,
            total_size: r.total_size,
            manifest_blake3: r.manifest_blake3.clone(),
            ciphertext: r.ciphertext.clone(),
        }
    }
}

/// What an item is.
pub const ROLE_VAULT: &str = "vault";
pub const ROLE_COPY: &str = "plaintext-copy";

/// Outcomes.
pub const OUTCOME_DESTROYED: &str = "destroyed";
pub const OUTCOME_KEPT: &str = "kept";
/// The vault was lost before certifying (the custody log records `lost`):
/// only the plaintext copies could be destroyed.
pub const OUTCOME_LOST: &str = "lost";

/// One path destroyed (or kept), as it was just before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// `vault` or `plaintext-copy`.
    pub role: String,
    /// Absolute path as given (links in its parent folders resolved).
    pub path: String,
    /// `file` or `dir`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Bytes in regular files.
    pub size: u64,
    /// Regular files (1 for a file).
    pub files: u64,
    /// BLAKE3 of the content (a file) or the tree digest (a folder,
    /// docs/CERTIFICATE.md), taken just before destruction.
    pub blake3: String,
    /// `destroyed` or `kept`.
    pub outcome: String,
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub en: String,
    pub ja: String,
}

impl Text {
    pub fn of(id: &str) -> Self {
        Text {
            en: i18n::text(Lang::En, id, &[]),
            ja: i18n::text(Lang::Ja, id, &[]),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ja => &self.ja,
        }
    }
}

/// How it was done, in NIST SP 800-88 terms, and what it does not achieve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    /// `NIST SP 800-88 Rev. 1`.
    pub reference: String,
    /// `clear` (something was overwritten) or `none` (nothing destroyed).
    pub category: String,
    pub technique: Text,
    /// The limits of the technique (flash wear levelling and the like).
    pub caveat: Text,
    /// What protects the data even where the technique falls short.
    pub protection: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// The checks made after the action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub method: Text,
    /// `nothing remains` or `vault intact`.
    pub result: String,
    /// Every plaintext copy the custody log records, and what became of it.
    pub extractions: Vec<Extraction>,
}

/// Statuses of a recorded extraction.
pub const EXTRACTION_DESTROYED: &str = "destroyed";
pub const EXTRACTION_ABSENT: &str = "absent";
pub const EXTRACTION_OTHER_HOST: &str = "other-host";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    /// The `extracted` custody record.
    pub record: u64,
    pub host: String,
    pub destination: String,
    /// `destroyed` (by this certificate), `absent` (already gone when
    /// certifying) or `other-host` (on another computer: not checked here).
    pub status: String,
}

/// The custody log up to and including the certifying record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodyCopy {
    pub records: u64,
    /// BLAKE3 of the last line.
    pub head: String,
    /// The exact lines, without newlines.
    pub lines: Vec<String>,
}

impl Certificate {
    /// The exact bytes kura writes: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(self).map_err(Error::internal)?;
        v.push(b'\n');
        Ok(v)
    }

    pub fn parse(bytes: &[u8]) -> Result<Certificate> {
        let c: Certificate =
            serde_json::from_slice(bytes).map_err(|_| Error::new(Kind::Integrity, "err-cert-unreadable"))?;
        if c.format != FORMAT {
            return Err(Error::new(Kind::Integrity, "err-cert-unreadable"));
        }
        if c.version != VERSION {
            return Err(Error::new(Kind::Integrity, "err-format-version").arg("version", c.version));
        }
        Ok(c)
    }

    /// The date the action took effect, in the offset it was recorded with.
    pub fn action_date(&self) -> Option<chrono::NaiveDate> {
        chrono::DateTime::parse_from_rfc3339(&self.issued_at)
            .ok()
            .map(|t| t.date_naive())
    }
}

/// Whether an action on `when` (RFC 3339) meets `delete_by` (`YYYY-MM-DD`,
/// inclusive), and by how many days it missed it.
pub fn timeliness(when: &str, delete_by: &str) -> Option<(bool, i64)> {
    let day = chrono::DateTime::parse_from_rfc3339(when).ok()?.date_naive();
    let limit = chrono::NaiveDate::parse_from_str(delete_by, "%Y-%m-%d").ok()?;
    let late = (day - limit).num_days().max(0);
    Some((late == 0, late))
}
