//! The clinic's take-out approval (持ち出し承認), signed with the clinic's
//! key: written consent kura can check, not the packer's word.
//!
//! The clinic's 企画管理者 (or 院長) signs an `APPROVAL.json` with `kura
//! approve` (or any SSHSIG tool: namespace `kura-approval`); the engineer
//! packs under it, and the document and its signature travel byte for byte
//! in the vault's manifest and receipt ([`vault::manifest::SignedApproval`]).
//! The fields are those of a take-out request as the MHLW and MIC/METI
//! guidelines list them, as far as a tool can carry them (docs/FORMAT.md,
//! "The approval"; docs/COMPLIANCE.md).
//!
//! The document is public — it sits in the receipt outside the encryption —
//! so it must never name a patient: `scope` says what kind of data, not
//! whose.

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Kind, Result};
use crate::keys::signature::{self, NS_APPROVAL};
use crate::keys::{AllowedSigners, KeyInfo, RecipientInfo, SigningKey};
use crate::vault::manifest::{Approval as Declared, SignedApproval};
use crate::vault::pack::{ApprovalInput, Terms};

/// `format` of every approval document.
pub const FORMAT: &str = "kura-approval";
/// The approval format version this kura writes and reads.
pub const VERSION: u32 = 1;
/// Largest approval document kura reads (it also travels in every receipt).
pub const MAX_DOCUMENT: u64 = 64 << 10;
/// Largest approval signature file kura reads (an Ed25519 SSHSIG is about
/// 300 bytes).
pub const MAX_SIGNATURE: u64 = 16 << 10;

/// The medical institution giving the approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clinic {
    pub name: String,
    /// 医療機関コード, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Who approved the take-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approver {
    pub name: String,
    /// e.g. 企画管理者, 院長.
    pub role: String,
}

/// What must happen to the data at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Disposal {
    /// Delete it (a deletion certificate).
    Delete,
    /// Return it to the clinic (a return certificate).
    Return,
}

/// A standing approval: one signature for a recurring export (the clinic's
/// nightly backup), each vault with its own delete-by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standing {
    /// Each vault packed under it must be deleted at most this many days
    /// after the day it is packed.
    pub keep_days: u32,
    /// `YYYY-MM-DD`: no vault may be packed under it after this day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// The approval document, `APPROVAL.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Always `kura-approval`.
    pub format: String,
    pub version: u32,
    /// The clinic's reference for this approval (its form number).
    pub approval_id: String,
    /// When the clinic signed it (RFC 3339).
    pub issued_at: String,
    pub clinic: Clinic,
    pub approver: Approver,
    /// The applicants: the keys that may pack under this approval.
    pub engineers: Vec<KeyInfo>,
    /// Keys every vault must be encrypted to (normally the clinic's own),
    /// each as the receipt records a recipient.
    pub recipients: Vec<RecipientInfo>,
    pub purpose: String,
    /// What data: tables, period, kinds — never a patient's name.
    pub scope: String,
    pub disposal: Disposal,
    /// `YYYY-MM-DD`: the day the data must be deleted or returned by (a
    /// one-off approval; a standing one has `standing` instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standing: Option<Standing>,
    /// The device or medium the clinic allows (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    /// Where the data goes (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    /// How it is stored there (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// What to do if it is lost (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_plan: Option<String>,
    /// The most bytes (before compression) a vault may hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// The most files a vault may hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<u64>,
    /// BLAKE3 of the paper approval's scan, if the clinic attached one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_blake3: Option<String>,
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The engineers' and recipients' objects hold only the fields kura reads:
/// the key types they share with the manifest accept others, and a term
/// the clinic signed (a key's expiry, say) must not be silently ignored.
fn check_key_fields(text: &str) -> Result<()> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(&e.to_string()))?;
    for (list, known) in [
        ("engineers", ["key", "fingerprint", "comment"]),
        ("recipients", ["type", "fingerprint", "comment"]),
    ] {
        let objects = v.get(list).and_then(|l| l.as_array()).into_iter().flatten();
        for field in objects.filter_map(|o| o.as_object()).flat_map(|o| o.keys()) {
            if !known.contains(&field.as_str()) {
                return Err(invalid(&format!("unknown field in {list}: {field}")));
            }
        }
    }
    Ok(())
}

fn invalid(reason: &str) -> Error {
    Error::new(Kind::Integrity, "err-approval-invalid").arg("reason", reason)
}

impl Approval {
    /// Reads an approval document and checks it is well formed: the format,
    /// the required fields present, the dates real, exactly one of
    /// `delete_by` and `standing`.
    pub fn parse(text: &str) -> Result<Approval> {
        let a: Approval = serde_json::from_str(text).map_err(|e| invalid(&e.to_string()))?;
        check_key_fields(text)?;
        if a.format != FORMAT {
            return Err(invalid("format is not kura-approval"));
        }
        if a.version != VERSION {
            return Err(Error::new(Kind::Integrity, "err-format-version").arg("version", a.version));
        }
        a.check_fields().map_err(|reason| invalid(&reason))?;
        Ok(a)
    }

    /// What is wrong with the fields, in words for the error message.
    pub fn check_fields(&self) -> std::result::Result<(), String> {
        let required = [
            ("approval_id", &self.approval_id),
            ("clinic.name", &self.clinic.name),
            ("approver.name", &self.approver.name),
            ("approver.role", &self.approver.role),
            ("purpose", &self.purpose),
            ("scope", &self.scope),
        ];
        let empty: Vec<&str> = required
            .iter()
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(k, _)| *k)
            .collect();
        if !empty.is_empty() {
            return Err(format!("empty: {}", empty.join(", ")));
        }
        // The vault records these trimmed: a space at either end would make
        // its copy differ from the signed one.
        let padded: Vec<&str> = required
            .iter()
            .filter(|(_, v)| v.trim() != v.as_str())
            .map(|(k, _)| *k)
            .collect();
        if !padded.is_empty() {
            return Err(format!("space at the start or end of: {}", padded.join(", ")));
        }
        if let Some(field) = self
            .text_fields()
            .into_iter()
            .find(|(_, v)| v.chars().any(crate::i18n::is_control))
        {
            return Err(format!("control character in {}", field.0));
        }
        if self.engineers.is_empty() {
            return Err("no engineer may pack under it".into());
        }
        if self.recipients.is_empty() {
            return Err("no recipient is required".into());
        }
        if chrono::DateTime::parse_from_rfc3339(&self.issued_at).is_err() {
            return Err("issued_at is not an RFC 3339 time".into());
        }
        match (&self.delete_by, &self.standing) {
            (Some(d), None) if date(d).is_some() => {}
            (None, Some(s)) if s.keep_days > 0 && s.valid_until.as_deref().is_none_or(|d| date(d).is_some()) => {}
            (Some(_), Some(_)) => return Err("both delete_by and standing".into()),
            _ => return Err("needs a delete_by day or a standing keep_days".into()),
        }
        Ok(())
    }

    /// Every free-text field, by name: none may hold a control character
    /// (a line break included), so what is shown is what was signed.
    pub fn text_fields(&self) -> Vec<(&'static str, &str)> {
        let mut v = vec![
            ("approval_id", self.approval_id.as_str()),
            ("issued_at", &self.issued_at),
            ("clinic.name", &self.clinic.name),
            ("approver.name", &self.approver.name),
            ("approver.role", &self.approver.role),
            ("purpose", &self.purpose),
            ("scope", &self.scope),
        ];
        let optional = [
            ("clinic.code", &self.clinic.code),
            ("delete_by", &self.delete_by),
            ("medium", &self.medium),
            ("destination", &self.destination),
            ("storage", &self.storage),
            ("loss_plan", &self.loss_plan),
            ("document_blake3", &self.document_blake3),
        ];
        v.extend(optional.into_iter().filter_map(|(k, o)| o.as_deref().map(|x| (k, x))));
        v.extend(self.engineers.iter().map(|e| ("engineers", e.comment.as_str())));
        v.extend(
            self.recipients
                .iter()
                .flat_map(|r| [r.kind.as_str(), r.fingerprint.as_str(), r.comment.as_str()].map(|x| ("recipients", x))),
        );
        v
    }

    /// The document's bytes as `kura approve` writes them: pretty JSON with
    /// a final newline, so that it reads well and `ssh-keygen -Y sign`
    /// signs the same bytes kura does.
    pub fn to_document(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("approval serializes");
        s.push('\n');
        s
    }

    /// Signs the document with the clinic's key.
    pub fn sign(&self, key: &SigningKey) -> Result<SignedApproval> {
        let document = self.to_document();
        let signature = key.sign(NS_APPROVAL, document.as_bytes())?;
        Ok(SignedApproval { document, signature })
    }

    /// The delete-by day of a vault packed on `packed` under this approval:
    /// the approval's day, or for a standing one `keep_days` after packing.
    pub fn delete_by_for(&self, packed: NaiveDate) -> Option<NaiveDate> {
        match (&self.delete_by, &self.standing) {
            (Some(d), _) => date(d),
            (None, Some(s)) => packed.checked_add_days(Days::new(s.keep_days.into())),
            (None, None) => None,
        }
    }

    /// The fields a vault records as its approval (`vault::Approval`),
    /// with the signed document beside them, for a vault packed `packed`.
    pub fn declared_for(&self, signed: &SignedApproval, packed: NaiveDate) -> Declared {
        Declared {
            id: self.approval_id.clone(),
            approved_by: format!("{} ({})", self.approver.name, self.approver.role),
            purpose: self.purpose.clone(),
            delete_by: self
                .delete_by_for(packed)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            document_blake3: self.document_blake3.clone(),
            signed: Some(signed.clone()),
        }
    }
}

/// Opens a signed approval: checks the signature over the exact document
/// bytes (namespace `kura-approval`) and reads the document. Returns the
/// approval and the key that signed it; whether that key is the clinic's
/// is [`Trust`]'s question.
pub fn open(signed: &SignedApproval) -> Result<(Approval, KeyInfo)> {
    if signed.document.len() as u64 > MAX_DOCUMENT {
        return Err(invalid("larger than 64 KiB"));
    }
    // Whatever is wrong with it (changed bytes, another namespace, not a
    // signature), the clinic's signature does not cover this document.
    let signer = signature::verify_any(NS_APPROVAL, signed.document.as_bytes(), &signed.signature, "approval")
        .map_err(|_| Error::new(Kind::Integrity, "err-approval-signature"))?;
    Ok((Approval::parse(&signed.document)?, signer))
}

/// The signature file beside an approval document: `APPROVAL.json.sig`.
pub fn signature_path(document: &Path) -> PathBuf {
    let mut s = document.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

/// Writes a signed approval as `document` and its signature beside it
/// ([`signature_path`]). Neither replaces an existing file unless `force`;
/// both are written under temporary names and put in place together, so a
/// failure leaves neither (a forced write that fails between the two
/// renames leaves the new document with the old signature, which does not
/// verify).
pub fn write_files(signed: &SignedApproval, document: &Path, force: bool) -> Result<PathBuf> {
    use crate::error::IoContext;
    use std::io::Write;
    let signature = signature_path(document);
    crate::fsutil::check_not_folder(document, "APPROVAL.json")?;
    crate::fsutil::check_clobber(document, force)?;
    crate::fsutil::check_clobber(&signature, force)?;
    let mut doc = crate::fsutil::AtomicFile::create(document, force)?;
    doc.file()
        .write_all(signed.document.as_bytes())
        .at(document.display())?;
    let mut sig = crate::fsutil::AtomicFile::create(&signature, force)?;
    sig.file()
        .write_all(signed.signature.as_bytes())
        .at(signature.display())?;
    let _critical = crate::interrupt::Critical::enter()?;
    doc.commit()?;
    if let Err(e) = sig.commit() {
        if !force {
            let _ = std::fs::remove_file(document);
        }
        return Err(e);
    }
    Ok(signature)
}

/// An engineer's key as `kura approve --engineer` takes it: an OpenSSH
/// Ed25519 public key line, or a `.pub` file holding one.
pub fn engineer_key(value: &str, origin: &str) -> Result<KeyInfo> {
    let bad = || Error::new(Kind::Usage, "err-approval-engineer-invalid").arg("origin", origin);
    let line = if value.trim_start().starts_with("ssh-") {
        value.trim().to_string()
    } else if std::fs::symlink_metadata(value).is_err() {
        // Neither a key line nor a file: say what is expected.
        return Err(bad());
    } else {
        let text = crate::fsutil::read_bounded_text(Path::new(value), 16 << 10)?;
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(bad)?
            .to_string()
    };
    let pk = ssh_key::PublicKey::from_openssh(&line).map_err(|_| bad())?;
    if pk.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(bad());
    }
    Ok(KeyInfo::of(&pk))
}

/// Whether the key that signed an approval is one the reader trusts to
/// speak for the clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// No clinic signers file was given: the signature verifies, but
    /// nobody has said whose key it is.
    Unchecked,
    /// The signer is listed in the clinic signers file for
    /// `kura-approval`, under this principal.
    Trusted(String),
    /// The signer is not listed (or its line has expired).
    Untrusted,
}

impl Trust {
    pub fn of(signer: &KeyInfo, clinic_signers: Option<&AllowedSigners>) -> Trust {
        match clinic_signers {
            None => Trust::Unchecked,
            Some(s) => s
                .principal_for(signer, NS_APPROVAL)
                .map_or(Trust::Untrusted, Trust::Trusted),
        }
    }
}

/// How a vault's approval stands: what every place that shows an approval
/// must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consent {
    /// The fields were typed by the packer; the clinic signed nothing.
    Declared,
    /// The clinic's signed approval, its signature verified and its terms
    /// consistent with what the vault records.
    Signed {
        approval: Box<Approval>,
        signer: KeyInfo,
        trust: Trust,
    },
}

impl Consent {
    /// [`Consent::of`] for a vault packed at `created` (its receipt's or
    /// manifest's RFC 3339 time). An unsigned approval is declared whatever
    /// the time; a signed one with a time that does not read is an
    /// integrity error (6), like any other mismatch.
    pub fn of_created(declared: &Declared, created: &str, clinic_signers: Option<&AllowedSigners>) -> Result<Consent> {
        if declared.signed.is_none() {
            return Ok(Consent::Declared);
        }
        let packed = chrono::DateTime::parse_from_rfc3339(created)
            .map_err(|_| Error::new(Kind::Integrity, "err-receipt-invalid"))?
            .date_naive();
        Consent::of(declared, packed, clinic_signers)
    }

    /// Assesses a vault's approval (from its receipt or manifest; the vault
    /// was packed on `packed`). A signed approval whose signature fails, or
    /// whose terms disagree with the fields the vault records, is an
    /// integrity error (6): someone changed one without the other.
    pub fn of(declared: &Declared, packed: NaiveDate, clinic_signers: Option<&AllowedSigners>) -> Result<Consent> {
        let Some(signed) = &declared.signed else {
            return Ok(Consent::Declared);
        };
        let (approval, signer) = open(signed)?;
        let expected = approval.declared_for(signed, packed);
        let delete_by_ok = match &approval.standing {
            // A standing approval's vault may be kept at most keep_days.
            Some(_) => {
                date(&declared.delete_by).is_some_and(|d| d >= packed && Some(d) <= approval.delete_by_for(packed))
            }
            None => declared.delete_by == expected.delete_by,
        };
        if declared.id != expected.id
            || declared.approved_by != expected.approved_by
            || declared.purpose != expected.purpose
            || declared.document_blake3 != expected.document_blake3
            || !delete_by_ok
        {
            return Err(Error::new(Kind::Integrity, "err-approval-mismatch").arg("id", &declared.id));
        }
        let trust = Trust::of(&signer, clinic_signers);
        Ok(Consent::Signed {
            approval: Box::new(approval),
            signer,
            trust,
        })
    }

    /// Whether the approval lets the vault packed by `packer` on `packed`,
    /// to `recipients`, exist ([`Approval::check_vault`]), and was not
    /// signed by its packer: the packer's own word is no consent.
    pub fn check_vault(&self, packer: &KeyInfo, recipients: &[RecipientInfo], packed: NaiveDate) -> Result<()> {
        let Consent::Signed { approval, signer, .. } = self else {
            return Ok(());
        };
        if signer.key == packer.key {
            return Err(Error::new(Kind::Integrity, "err-approval-not-covered")
                .arg("id", &approval.approval_id)
                .arg("why", "self"));
        }
        approval.check_vault(packer, recipients, packed)
    }

    /// The clinic's name, when the clinic signed.
    pub fn clinic(&self) -> Option<&Clinic> {
        match self {
            Consent::Declared => None,
            Consent::Signed { approval, .. } => Some(&approval.clinic),
        }
    }

    /// A short machine name for `--json`: `declared`, `signed-unchecked`,
    /// `signed-trusted`, `signed-untrusted`.
    pub fn name(&self) -> &'static str {
        match self {
            Consent::Declared => "declared",
            Consent::Signed { trust, .. } => match trust {
                Trust::Unchecked => "signed-unchecked",
                Trust::Trusted(_) => "signed-trusted",
                Trust::Untrusted => "signed-untrusted",
            },
        }
    }
}

/// What a pack under `approval` must satisfy, decided before anything is
/// written. `packer` packs on `today`, to `recipients`; sizes are checked
/// by [`Approval::check_totals`] once the walk has counted them.
pub fn check_pack(
    approval: &Approval,
    trust: &Trust,
    packer: &KeyInfo,
    recipients: &[RecipientInfo],
    today: NaiveDate,
) -> Result<NaiveDate> {
    check_trust(approval, trust)?;
    check_engineer(approval, packer)?;
    check_terms(approval, recipients, today)
}

/// pack always needs the clinic's signers: an approval nobody vouched for
/// is the packer's word again.
fn check_trust(approval: &Approval, trust: &Trust) -> Result<()> {
    match trust {
        Trust::Trusted(_) => Ok(()),
        Trust::Unchecked | Trust::Untrusted => {
            Err(Error::new(Kind::Untrusted, "err-approval-untrusted").arg("id", &approval.approval_id))
        }
    }
}

fn check_engineer(approval: &Approval, packer: &KeyInfo) -> Result<()> {
    if approval.engineers.iter().any(|e| e.key == packer.key) {
        return Ok(());
    }
    Err(Error::new(Kind::Refused, "err-approval-not-engineer")
        .arg("id", &approval.approval_id)
        .arg("key", packer.display()))
}

/// The recipients and the days; returns the vault's delete-by day.
fn check_terms(approval: &Approval, recipients: &[RecipientInfo], today: NaiveDate) -> Result<NaiveDate> {
    let missing: Vec<String> = approval
        .recipients
        .iter()
        .filter(|r| !recipients.iter().any(|v| v.fingerprint == r.fingerprint))
        .map(|r| r.fingerprint.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(Kind::Refused, "err-approval-recipient-missing")
            .arg("id", &approval.approval_id)
            .arg("recipients", missing.join(", ")));
    }
    if let Some(until) = approval
        .standing
        .as_ref()
        .and_then(|s| s.valid_until.as_deref())
        .and_then(date)
    {
        if today > until {
            return Err(Error::new(Kind::Refused, "err-approval-expired")
                .arg("id", &approval.approval_id)
                .arg("date", until));
        }
    }
    let delete_by = approval
        .delete_by_for(today)
        .ok_or_else(|| invalid("no delete-by day"))?;
    if delete_by < today {
        return Err(Error::new(Kind::Refused, "err-approval-expired")
            .arg("id", &approval.approval_id)
            .arg("date", delete_by));
    }
    Ok(delete_by)
}

impl Approval {
    /// Whether a vault packed by `packer` on `packed`, to `recipients`, is
    /// one this approval lets exist: the pack checks the same before the
    /// vault's first byte, but a vault carrying the clinic's signature may
    /// come from another hand, and it must not pass as approved.
    pub fn check_vault(&self, packer: &KeyInfo, recipients: &[RecipientInfo], packed: NaiveDate) -> Result<()> {
        let outside = |why: &str| {
            Err(Error::new(Kind::Integrity, "err-approval-not-covered")
                .arg("id", &self.approval_id)
                .arg("why", why))
        };
        if !self.engineers.iter().any(|e| e.key == packer.key) {
            return outside("packer");
        }
        if !self
            .recipients
            .iter()
            .all(|r| recipients.iter().any(|v| v.fingerprint == r.fingerprint))
        {
            return outside("recipient");
        }
        let until = self
            .standing
            .as_ref()
            .and_then(|s| s.valid_until.as_deref())
            .and_then(date);
        if until.is_some_and(|until| packed > until) {
            return outside("late");
        }
        Ok(())
    }

    /// Refuses a vault larger than the approval allows.
    pub fn check_totals(&self, files: u64, bytes: u64) -> Result<()> {
        self.terms().check_totals(files, bytes)
    }

    /// What the pack checks of the vault itself: its size and files, and
    /// the scan.
    pub fn terms(&self) -> Terms {
        Terms {
            id: self.approval_id.clone(),
            max_files: self.max_files,
            max_size: self.max_size,
            document_blake3: self.document_blake3.clone(),
        }
    }
}

/// A pack under the clinic's signed approval: the document and signature
/// as the clinic handed them over, and the clinic's signers file that says
/// whose key speaks for the clinic.
#[derive(Debug, Clone)]
pub struct PackUnder {
    pub signed: SignedApproval,
    pub clinic_signers: AllowedSigners,
    /// A delete-by day the packer chose, earlier than a standing
    /// approval's `keep_days` allow (a one-off approval's day is fixed).
    pub delete_by: Option<NaiveDate>,
}

impl PackUnder {
    /// Reads `APPROVAL.json`, its signature and the clinic's signers file.
    pub fn read(document: &Path, signature: &Path, clinic_signers: &Path) -> Result<PackUnder> {
        let document_text = crate::fsutil::read_bounded_text(document, MAX_DOCUMENT)?;
        let signature = crate::fsutil::read_bounded_text(signature, MAX_SIGNATURE)?;
        Ok(PackUnder {
            signed: SignedApproval {
                document: document_text,
                signature,
            },
            clinic_signers: AllowedSigners::load(clinic_signers)?,
            delete_by: None,
        })
    }

    /// Checks what needs no key of the packer's: the signature, the
    /// clinic's key, the recipients, the days (run before the packer's key
    /// is read, so that a refusal never asks for its passphrase). Returns
    /// the approval and the vault's delete-by day.
    pub fn precheck(&self, recipients: &[RecipientInfo], today: NaiveDate) -> Result<(Approval, NaiveDate)> {
        self.checked(recipients, today).map(|(a, _, d)| (a, d))
    }

    /// [`PackUnder::precheck`], with the key that signed the approval.
    fn checked(&self, recipients: &[RecipientInfo], today: NaiveDate) -> Result<(Approval, KeyInfo, NaiveDate)> {
        let (approval, signer) = open(&self.signed)?;
        check_trust(&approval, &Trust::of(&signer, Some(&self.clinic_signers)))?;
        let latest = check_terms(&approval, recipients, today)?;
        let Some(chosen) = self.delete_by else {
            return Ok((approval, signer, latest));
        };
        if approval.standing.is_none() {
            return Err(Error::new(Kind::Usage, "err-approval-delete-by-fixed").arg("id", &approval.approval_id));
        }
        if chosen < today {
            return Err(Error::new(Kind::Refused, "err-delete-by-past")
                .arg("date", chosen)
                .arg("today", today));
        }
        if chosen > latest {
            return Err(Error::new(Kind::Refused, "err-approval-delete-by-late")
                .arg("id", &approval.approval_id)
                .arg("date", chosen)
                .arg("latest", latest));
        }
        Ok((approval, signer, chosen))
    }

    /// Checks every term a pack by `packer` on `today`, to `recipients`,
    /// must meet (those of [`PackUnder::precheck`], and that the packer is
    /// one of the approval's engineers; the sizes and the scan are the
    /// pack's to check, see [`Terms`]) and returns the approval as the
    /// vault records it.
    pub fn input(
        &self,
        packer: &KeyInfo,
        recipients: &[RecipientInfo],
        today: NaiveDate,
        document: Option<PathBuf>,
    ) -> Result<ApprovalInput> {
        let (approval, signer, delete_by) = self.checked(recipients, today)?;
        check_engineer(&approval, packer)?;
        // Signed by the packer's own key: the packer's word again, whatever
        // the signers file given says of that key.
        if signer.key == packer.key {
            return Err(Error::new(Kind::Refused, "err-approval-self-signed").arg("id", &approval.approval_id));
        }
        let declared = approval.declared_for(&self.signed, today);
        Ok(ApprovalInput {
            id: declared.id,
            approved_by: declared.approved_by,
            purpose: declared.purpose,
            delete_by: delete_by.format("%Y-%m-%d").to_string(),
            document,
            signed: declared.signed,
            terms: approval.terms(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::generate("clinic").unwrap()
    }

    fn approval(engineer: &SigningKey, clinic: &SigningKey) -> Approval {
        Approval {
            format: FORMAT.into(),
            version: VERSION,
            approval_id: "APP-2026-001".into(),
            issued_at: "2026-11-27T10:00:00+09:00".into(),
            clinic: Clinic {
                name: "テスト医院".into(),
                code: Some("1312345678".into()),
            },
            approver: Approver {
                name: "山田 花子".into(),
                role: "院長".into(),
            },
            engineers: vec![engineer.info().clone()],
            recipients: vec![RecipientInfo {
                kind: "ssh-ed25519".into(),
                fingerprint: clinic.info().fingerprint.clone(),
                comment: String::new(),
            }],
            purpose: "ORCA data migration".into(),
            scope: "receipt tables, 2025-04..2026-03".into(),
            disposal: Disposal::Delete,
            delete_by: Some("2026-12-31".into()),
            standing: None,
            medium: Some("encrypted USB stick".into()),
            destination: None,
            storage: None,
            loss_plan: None,
            max_size: Some(1 << 30),
            max_files: None,
            document_blake3: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn trusting(k: &SigningKey) -> AllowedSigners {
        AllowedSigners::parse(&format!(
            "clinic@example namespaces=\"kura-approval\" {}\n",
            k.info().key
        ))
        .unwrap()
    }

    #[test]
    fn a_signed_approval_opens_and_is_trusted_only_by_the_clinic_signers() {
        let (eng, clinic, stranger) = (key(), key(), key());
        let a = approval(&eng, &clinic);
        let signed = a.sign(&clinic).unwrap();
        let (read, signer) = open(&signed).unwrap();
        assert_eq!(read, a);
        assert_eq!(signer.key, clinic.info().key);
        let declared = a.declared_for(&signed, today());
        let c = Consent::of(&declared, today(), Some(&trusting(&clinic))).unwrap();
        assert_eq!(c.name(), "signed-trusted");
        assert_eq!(c.clinic().unwrap().name, "テスト医院");
        let c = Consent::of(&declared, today(), Some(&trusting(&stranger))).unwrap();
        assert_eq!(c.name(), "signed-untrusted");
        assert_eq!(
            Consent::of(&declared, today(), None).unwrap().name(),
            "signed-unchecked"
        );
        let mut unsigned = declared.clone();
        unsigned.signed = None;
        assert_eq!(Consent::of(&unsigned, today(), None).unwrap(), Consent::Declared);
    }

    #[test]
    fn a_changed_document_or_field_is_an_integrity_error() {
        let (eng, clinic) = (key(), key());
        let a = approval(&eng, &clinic);
        let signed = a.sign(&clinic).unwrap();
        let mut forged = signed.clone();
        forged.document = forged.document.replace("2026-12-31", "2027-12-31");
        assert_eq!(open(&forged).unwrap_err().kind, Kind::Integrity);
        let mut declared = a.declared_for(&signed, today());
        declared.delete_by = "2027-12-31".into();
        let err = Consent::of(&declared, today(), None).unwrap_err();
        assert_eq!(err.id, "err-approval-mismatch");
        // Signed under another namespace: not an approval.
        let other = SignedApproval {
            document: signed.document.clone(),
            signature: clinic.sign("kura-manifest", signed.document.as_bytes()).unwrap(),
        };
        assert_eq!(open(&other).unwrap_err().kind, Kind::Integrity);
    }

    #[test]
    fn pack_terms_are_checked() {
        let (eng, clinic, other) = (key(), key(), key());
        let a = approval(&eng, &clinic);
        let to_clinic = a.recipients.clone();
        let trusted = Trust::Trusted("clinic@example".into());
        let ok = check_pack(&a, &trusted, eng.info(), &to_clinic, today()).unwrap();
        assert_eq!(ok, NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        let kind = |r: Result<NaiveDate>| r.unwrap_err().kind;
        assert_eq!(
            kind(check_pack(&a, &Trust::Untrusted, eng.info(), &to_clinic, today())),
            Kind::Untrusted
        );
        assert_eq!(
            kind(check_pack(&a, &Trust::Unchecked, eng.info(), &to_clinic, today())),
            Kind::Untrusted
        );
        assert_eq!(
            kind(check_pack(&a, &trusted, other.info(), &to_clinic, today())),
            Kind::Refused
        );
        assert_eq!(kind(check_pack(&a, &trusted, eng.info(), &[], today())), Kind::Refused);
        let late = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(
            kind(check_pack(&a, &trusted, eng.info(), &to_clinic, late)),
            Kind::Refused
        );
        assert!(a.check_totals(10, 1 << 30).is_ok());
        assert_eq!(a.check_totals(10, (1 << 30) + 1).unwrap_err().kind, Kind::Refused);
    }

    #[test]
    fn text_that_would_show_otherwise_than_signed_is_refused() {
        let (eng, clinic) = (key(), key());
        let mut a = approval(&eng, &clinic);
        a.loss_plan = Some("call the director\nthen nobody".into());
        assert!(a.check_fields().unwrap_err().contains("loss_plan"));
        let mut a = approval(&eng, &clinic);
        a.purpose = " ORCA".into();
        assert!(a.check_fields().unwrap_err().contains("purpose"));
        // Read back from a document too, whoever signed it.
        let mut a = approval(&eng, &clinic);
        a.scope = "tables\u{202e}".into();
        let signed = SignedApproval {
            document: a.to_document(),
            signature: clinic.sign(NS_APPROVAL, a.to_document().as_bytes()).unwrap(),
        };
        assert_eq!(open(&signed).unwrap_err().id, "err-approval-invalid");
    }

    #[test]
    fn both_files_are_written_and_never_replaced_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        let (eng, clinic) = (key(), key());
        let signed = approval(&eng, &clinic).sign(&clinic).unwrap();
        let doc = tmp.path().join("APPROVAL.json");
        let sig = write_files(&signed, &doc, false).unwrap();
        assert_eq!(sig, tmp.path().join("APPROVAL.json.sig"));
        assert_eq!(std::fs::read_to_string(&doc).unwrap(), signed.document);
        assert_eq!(std::fs::read_to_string(&sig).unwrap(), signed.signature);
        // Only the signature there: still refused, and nothing written.
        std::fs::remove_file(&doc).unwrap();
        assert_eq!(write_files(&signed, &doc, false).unwrap_err().kind, Kind::Exists);
        assert!(!doc.exists());
        assert!(write_files(&signed, &doc, true).is_ok());
        let names: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
    }

    #[test]
    fn a_standing_approval_gives_each_vault_its_own_delete_by() {
        let (eng, clinic) = (key(), key());
        let mut a = approval(&eng, &clinic);
        a.delete_by = None;
        a.standing = Some(Standing {
            keep_days: 35,
            valid_until: Some("2027-11-30".into()),
        });
        assert!(a.check_fields().is_ok());
        let signed = a.sign(&clinic).unwrap();
        let trusted = Trust::Trusted("clinic@example".into());
        let d = check_pack(&a, &trusted, eng.info(), &a.recipients, today()).unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        // A vault may be kept for less than keep_days, never more.
        let mut declared = a.declared_for(&signed, today());
        declared.delete_by = "2026-12-05".into();
        assert!(Consent::of(&declared, today(), None).is_ok());
        declared.delete_by = "2027-01-02".into();
        assert!(Consent::of(&declared, today(), None).is_err());
        let after = NaiveDate::from_ymd_opt(2027, 12, 1).unwrap();
        assert!(check_pack(&a, &trusted, eng.info(), &a.recipients, after).is_err());
        a.delete_by = Some("2026-12-31".into());
        assert!(a.check_fields().is_err());
    }

    #[test]
    fn a_recipient_field_that_would_show_otherwise_than_signed_is_refused() {
        let (eng, clinic) = (key(), key());
        let doc = approval(&eng, &clinic).to_document();
        for (from, to) in [
            ("\"type\": \"ssh-ed25519\",", "\"type\": \"ssh-ed25519\\u202e\","),
            ("\"fingerprint\": \"SHA256:", "\"fingerprint\": \"\\u001b[8mSHA256:"),
        ] {
            let i = doc.rfind(from).expect("the recipient's field");
            let forged = format!("{}{}{}", &doc[..i], to, &doc[i + from.len()..]);
            let err = Approval::parse(&forged).unwrap_err();
            assert_eq!(err.id, "err-approval-invalid", "{to}");
        }
    }

    #[test]
    fn an_unknown_field_in_an_engineer_or_recipient_is_refused() {
        let (eng, clinic) = (key(), key());
        let doc = approval(&eng, &clinic).to_document();
        for (from, to) in [
            (
                "\"comment\": \"clinic\"\n    }\n  ],\n  \"recipients\"",
                "\"comment\": \"clinic\",\n \"valid_before\": \"2026-01-01\"\n    }\n  ],\n  \"recipients\"",
            ),
            (
                "\"type\": \"ssh-ed25519\",",
                "\"type\": \"ssh-ed25519\", \"optional\": true,",
            ),
        ] {
            let forged = doc.replacen(from, to, 1);
            assert_ne!(forged, doc, "{from}");
            let err = Approval::parse(&forged).unwrap_err();
            assert_eq!(err.id, "err-approval-invalid", "{to}");
        }
    }
}
