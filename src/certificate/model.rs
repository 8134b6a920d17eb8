//! The certificate document (`CERT.json`), specified in docs/CERTIFICATE.md.
//! Its fields follow NIST SP 800-88 Rev. 1 Appendix G (sample certificate of
//! sanitization) and the Japanese データ消去証明書: who, what, when, where, how,
//! how it was checked, and the complete chain of custody.

use serde::{Deserialize, Serialize};

use crate::custody::{self, Record, TimeFlag, TimeIssue};
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
    /// Where it was done (`--place`), as the issuer states it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub place: String,
    /// The medium's asset number (`--medium-id`), as the issuer states it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub medium_id: String,
    /// What becomes of the medium afterwards (`--medium-after`): one of
    /// [`MEDIUM_AFTER`]; empty when not stated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub medium_after: String,
    /// A certificate of a prune run: every vault it deleted after the
    /// first (which the fields above describe), each with its own facts
    /// and custody chain. Absent from certificates of one vault.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_vaults: Vec<VaultPart>,
}

/// What a certificate says of one vault: in a prune run's certificate,
/// each vault after the first (docs/CERTIFICATE.md, "Prune runs").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultPart {
    pub vault: VaultFacts,
    pub approval: Approval,
    pub items: Vec<Item>,
    pub verification: Verification,
    pub delete_by: String,
    pub on_time: bool,
    pub custody: CustodyCopy,
}

/// What may become of a medium after certifying (`--medium-after`).
pub const MEDIUM_AFTER: &[&str] = &["kept", "returned", "destroyed", "reused"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuer {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organisation: String,
    /// The issuer's title or role (`--title`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// How to reach the issuer (`--contact`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub contact: String,
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
    /// The medium it was on, as the system told just before (absent from
    /// certificates made before kura recorded it, and for a lost vault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<ItemMedium>,
    /// What the destruction achieved on that medium, in NIST SP 800-88
    /// terms (absent from certificates made before kura recorded it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanitization: Option<Sanitization>,
}

/// The medium an item was on. `null` means the system did not tell:
/// nothing here is guessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemMedium {
    /// `ssd`, `hdd`, `usb-flash`, `sd`, `network`, `memory`, `loop`,
    /// `virtual` or `unknown` (see `guard::DEVICE_KINDS`).
    pub kind: String,
    /// `usb`, `nvme`, `mmc`, `ata`, `scsi`, `virtio`.
    pub transport: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// The file system's type (`ext4`, `vfat`, `NTFS`, …).
    pub fs_type: Option<String>,
    /// Whether the volume is encrypted underneath the file system.
    pub encrypted: Option<bool>,
}

/// Sanitization categories an item may have.
pub const SANITIZE_CLEAR: &str = "clear";
pub const SANITIZE_NONE: &str = "none";

/// What protects an item's remnants, and so which note it carries.
pub const BASIS: &[&str] = &[
    "ciphertext",
    "encrypted-volume",
    "flash",
    "hdd",
    "memory",
    "network",
    "unknown",
    "kept",
    "lost",
];

/// What destroying one item achieved, honestly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sanitization {
    /// NIST SP 800-88 category: `clear` (overwritten) or `none` (kept or
    /// lost: nothing overwritten).
    pub category: String,
    /// Why its remnants are (or are not) safe: one of [`BASIS`].
    pub basis: String,
    /// The same, in words.
    pub note: Text,
}

impl Sanitization {
    /// The statement for an item of `role` with `outcome`, on `medium`.
    pub fn of(role: &str, outcome: &str, medium: Option<&ItemMedium>) -> Sanitization {
        let kind = medium.map(|m| m.kind.as_str()).unwrap_or("unknown");
        let encrypted = medium.and_then(|m| m.encrypted) == Some(true);
        let (category, basis) = match (outcome, role) {
            (OUTCOME_KEPT, _) => (SANITIZE_NONE, "kept"),
            (OUTCOME_LOST, _) => (SANITIZE_NONE, "lost"),
            (_, ROLE_VAULT) => (SANITIZE_CLEAR, "ciphertext"),
            _ if encrypted => (SANITIZE_CLEAR, "encrypted-volume"),
            _ => (
                SANITIZE_CLEAR,
                match kind {
                    "hdd" => "hdd",
                    "memory" => "memory",
                    "network" => "network",
                    "ssd" | "usb-flash" | "sd" => "flash",
                    _ => "unknown",
                },
            ),
        };
        Sanitization {
            category: category.into(),
            basis: basis.into(),
            note: Text::of(&format!("msg-cert-basis-{basis}")),
        }
    }
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
/// Sent to standard output (`extract --to-stdout`): the copy is wherever
/// the receiving program put it, which kura cannot see or destroy.
pub const EXTRACTION_STREAMED: &str = "streamed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extraction {
    /// The `extracted` custody record.
    pub record: u64,
    pub host: String,
    pub destination: String,
    /// `destroyed` (by this certificate), `absent` (already gone when
    /// certifying), `other-host` (on another computer: not checked here) or
    /// `streamed` (sent to standard output: not checked, see
    /// [`EXTRACTION_STREAMED`]).
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

    /// Whether the custody log this certificate carries (or that of any
    /// vault it covers) was started again for a lost log (first record
    /// `restarted`, docs/FORMAT.md 4.6): what the lost log recorded is not
    /// in it, nor covered by the certificate.
    pub fn log_restarted(&self) -> bool {
        let restarted = |c: &CustodyCopy| {
            c.lines.first().is_some_and(|l| {
                serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["event"] == crate::custody::RESTARTED)
            })
        };
        restarted(&self.custody) || self.other_vaults.iter().any(|p| restarted(&p.custody))
    }

    /// One certificate per vault it covers, each as a certificate of that
    /// vault alone (issuer, method, time and id shared): itself for a
    /// certificate of one vault.
    pub fn parts(&self) -> Vec<Certificate> {
        let first = Certificate {
            other_vaults: vec![],
            ..self.clone()
        };
        let others = self.other_vaults.iter().map(|p| Certificate {
            vault: p.vault.clone(),
            approval: p.approval.clone(),
            items: p.items.clone(),
            verification: p.verification.clone(),
            delete_by: p.delete_by.clone(),
            on_time: p.on_time,
            custody: p.custody.clone(),
            ..first.clone()
        });
        std::iter::once(first.clone()).chain(others).collect()
    }

    /// The certificate of several vaults whose parts are `parts` (the
    /// first describes the first vault; the rest become `other_vaults`).
    pub fn joined(mut parts: Vec<Certificate>) -> Option<Certificate> {
        if parts.is_empty() {
            return None;
        }
        let mut first = parts.remove(0);
        first.other_vaults = parts
            .into_iter()
            .map(|c| VaultPart {
                vault: c.vault,
                approval: c.approval,
                items: c.items,
                verification: c.verification,
                delete_by: c.delete_by,
                on_time: c.on_time,
                custody: c.custody,
            })
            .collect();
        Some(first)
    }

    /// What the issuer stated of themselves, the place and the medium:
    /// (name, value) for each one given; the names are `title`, `contact`,
    /// `place`, `medium-id` and `medium-after`.
    pub fn stated(&self) -> Vec<(&'static str, &str)> {
        [
            ("title", &self.issuer.title),
            ("contact", &self.issuer.contact),
            ("place", &self.place),
            ("medium-id", &self.medium_id),
            ("medium-after", &self.medium_after),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// Whether the vault itself was lost before certifying: only the
    /// plaintext copies were destroyed, whatever `action` says.
    pub fn vault_lost(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.role == ROLE_VAULT && i.outcome == OUTCOME_LOST)
    }

    /// The records of the chain inside whose time is not evidence. A line
    /// that is not a record (only in a certificate no one has verified) has
    /// no readable time.
    pub fn time_flags(&self) -> Vec<TimeFlag> {
        let mut unreadable = Vec::new();
        let records: Vec<Record> = (self.custody.lines.iter().enumerate())
            .filter_map(|(i, l)| match serde_json::from_str::<Record>(l) {
                Ok(r) => Some(r),
                Err(_) => {
                    unreadable.push(i as u64);
                    None
                }
            })
            .collect();
        let mut flags = custody::time::flags(&records);
        flags.extend(unreadable.into_iter().map(|record| TimeFlag {
            record,
            issue: TimeIssue::Unreadable,
            dated_before: None,
        }));
        flags.sort_by_key(|f| f.record);
        flags
    }

    /// What the certificate can say about its deadline, from its own
    /// `on_time`, items and chain.
    pub fn timeliness(&self) -> Timeliness {
        Timeliness::of(self.on_time, self.vault_lost(), self.time_flags())
    }

    /// The date the action took effect, in the offset it was recorded with.
    pub fn action_date(&self) -> Option<chrono::NaiveDate> {
        chrono::DateTime::parse_from_rfc3339(&self.issued_at)
            .ok()
            .map(|t| t.date_naive())
    }
}

/// What a certificate shows about its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Timing {
    /// Certified on or before the delete-by day, by times that are evidence.
    OnTime,
    /// Certified after the delete-by day, by times that are evidence.
    Late,
    /// A time in the chain is flagged: the dates do not show whether the
    /// deadline was met.
    TimeNotReliable,
    /// The vault was lost, not deleted: no deadline was met by deleting it.
    VaultLost,
}

impl Timing {
    pub fn name(self) -> &'static str {
        match self {
            Timing::OnTime => "on-time",
            Timing::Late => "late",
            Timing::TimeNotReliable => "time-not-reliable",
            Timing::VaultLost => "vault-lost",
        }
    }
}

/// The certificate's standing against its deadline, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Timeliness {
    pub timing: Timing,
    /// No time in the chain is flagged.
    pub time_reliable: bool,
    pub time_flags: Vec<TimeFlag>,
    pub vault_lost: bool,
}

impl Timeliness {
    /// From the signed dates' verdict (`on_time`), whether the vault was
    /// lost, and the chain's time flags: a lost vault is never "on time",
    /// nor is anything dated by a time that is not evidence.
    pub fn of(on_time: bool, vault_lost: bool, time_flags: Vec<TimeFlag>) -> Timeliness {
        let time_reliable = time_flags.is_empty();
        let timing = match (vault_lost, time_reliable, on_time) {
            (true, _, _) => Timing::VaultLost,
            (false, false, _) => Timing::TimeNotReliable,
            (false, true, true) => Timing::OnTime,
            (false, true, false) => Timing::Late,
        };
        Timeliness {
            timing,
            time_reliable,
            time_flags,
            vault_lost,
        }
    }

    /// When nothing can be read (a kept certificate that no longer parses):
    /// no claim at all.
    pub fn unknown() -> Timeliness {
        Timeliness {
            timing: Timing::TimeNotReliable,
            time_reliable: false,
            time_flags: Vec::new(),
            vault_lost: false,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(record: u64, issue: TimeIssue) -> TimeFlag {
        TimeFlag {
            record,
            issue,
            dated_before: None,
        }
    }

    fn on(kind: &str, encrypted: Option<bool>) -> ItemMedium {
        ItemMedium {
            kind: kind.into(),
            transport: None,
            vendor: None,
            model: None,
            serial: None,
            fs_type: None,
            encrypted,
        }
    }

    #[test]
    fn each_item_says_what_protects_its_remnants() {
        let basis = |role, outcome, m: Option<ItemMedium>| {
            let s = Sanitization::of(role, outcome, m.as_ref());
            (s.category, s.basis)
        };
        let clear = |b: &str| (SANITIZE_CLEAR.to_string(), b.to_string());
        // The vault is ciphertext wherever it was.
        for m in [on("usb-flash", Some(false)), on("unknown", None), on("hdd", Some(true))] {
            assert_eq!(basis(ROLE_VAULT, OUTCOME_DESTROYED, Some(m)), clear("ciphertext"));
        }
        assert_eq!(
            basis(ROLE_VAULT, OUTCOME_KEPT, None),
            (SANITIZE_NONE.into(), "kept".into())
        );
        assert_eq!(
            basis(ROLE_VAULT, OUTCOME_LOST, None),
            (SANITIZE_NONE.into(), "lost".into())
        );
        // A plaintext copy: the volume's encryption first, then the medium.
        let copy = |m| basis(ROLE_COPY, OUTCOME_DESTROYED, Some(m));
        assert_eq!(copy(on("ssd", Some(true))), clear("encrypted-volume"));
        assert_eq!(copy(on("unknown", Some(true))), clear("encrypted-volume"));
        for k in ["ssd", "usb-flash", "sd"] {
            assert_eq!(copy(on(k, Some(false))), clear("flash"), "{k}");
            assert_eq!(copy(on(k, None)), clear("flash"), "{k}");
        }
        assert_eq!(copy(on("hdd", Some(false))), clear("hdd"));
        assert_eq!(copy(on("memory", None)), clear("memory"));
        assert_eq!(copy(on("network", None)), clear("network"));
        for k in ["loop", "virtual", "unknown", "a-kind-from-a-newer-kura"] {
            assert_eq!(copy(on(k, None)), clear("unknown"), "{k}");
        }
        assert_eq!(basis(ROLE_COPY, OUTCOME_DESTROYED, None), clear("unknown"));
        for b in BASIS {
            let t = Text::of(&format!("msg-cert-basis-{b}"));
            assert!(
                !t.en.starts_with("msg") && !t.ja.starts_with("msg"),
                "{b} worded in both languages"
            );
        }
    }

    #[test]
    fn a_run_certificate_is_the_join_of_its_parts_and_an_old_one_is_its_only_part() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/v1/export.cert.json"
        ))
        .expect("the v1 certificate vector");
        let one = Certificate::parse(&bytes).unwrap();
        assert!(one.other_vaults.is_empty());
        assert_eq!(one.parts(), vec![one.clone()]);
        // The same bytes come back: no field appears in an old certificate.
        assert_eq!(one.to_bytes().unwrap(), bytes);
        let mut second = one.clone();
        second.vault.vault_id = "second".into();
        second.delete_by = "2030-01-01".into();
        let run = Certificate::joined(vec![one.clone(), second.clone()]).unwrap();
        assert_eq!(run.other_vaults.len(), 1);
        assert_eq!(run.parts(), vec![one, second]);
        assert_eq!(Certificate::parse(&run.to_bytes().unwrap()).unwrap(), run);
        assert_eq!(Certificate::joined(vec![]), None);
    }

    #[test]
    fn only_times_that_are_evidence_meet_a_deadline() {
        let t = |on_time, lost, flags| Timeliness::of(on_time, lost, flags).timing;
        assert_eq!(t(true, false, vec![]), Timing::OnTime);
        assert_eq!(t(false, false, vec![]), Timing::Late);
        for flags in [vec![flag(0, TimeIssue::HandSet)], vec![flag(3, TimeIssue::Backwards)]] {
            assert_eq!(t(true, false, flags.clone()), Timing::TimeNotReliable);
            assert_eq!(t(false, false, flags.clone()), Timing::TimeNotReliable);
            // A lost vault is lost, whatever its times.
            assert_eq!(t(true, true, flags), Timing::VaultLost);
        }
        assert_eq!(t(true, true, vec![]), Timing::VaultLost);
        let unknown = Timeliness::unknown();
        assert_eq!(
            (unknown.timing, unknown.time_reliable),
            (Timing::TimeNotReliable, false)
        );
        assert_eq!(
            serde_json::to_value(Timing::TimeNotReliable).unwrap(),
            Timing::TimeNotReliable.name()
        );
        assert_eq!(serde_json::to_value(Timing::VaultLost).unwrap(), "vault-lost");
    }
}
