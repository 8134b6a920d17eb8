//! Countersignatures: a second person (clinic staff who watched, the
//! vendor's supervisor) signs that they witnessed what a certificate states
//! (NIST SP 800-88's "validation" of a sanitization). docs/CERTIFICATE.md,
//! "Witnesses".
//!
//! A witness signs a small statement, never the certificate itself, so the
//! certificate's bytes and its own signature are untouched and any number
//! of witnesses can sign independently. Each statement names the
//! certificate by its id and the BLAKE3 of its exact bytes, so it cannot be
//! moved to another certificate. Beside `CERT.json`:
//!
//! - `CERT.json.witness-N.json`: the statement (pretty JSON, final newline);
//! - `CERT.json.witness-N.json.sig`: its SSHSIG, namespace `kura-countersign`,
//!   checkable with `ssh-keygen -Y verify -n kura-countersign`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::model::Certificate;
use crate::approval::Trust;
use crate::error::{Error, Kind, Result};
use crate::keys::signature::{self, AllowedSigners, KeyInfo, NS_CERTIFICATE, NS_COUNTERSIGN};
use crate::keys::SigningKey;

/// `format` of every statement.
pub const FORMAT: &str = "kura-countersignature";
/// The statement format version this kura writes and reads.
pub const VERSION: u32 = 1;
/// Largest statement (and signature) kura reads.
const MAX_STATEMENT_BYTES: u64 = 64 << 10;
const MAX_SIG_BYTES: u64 = 16 << 10;
/// Most witnesses kura reads beside one certificate.
pub const MAX_WITNESSES: u32 = 100;
/// Longest name or role, and note, in characters.
const MAX_NAME_CHARS: usize = 200;
const MAX_NOTE_CHARS: usize = 2000;

/// What a witness signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// Always `kura-countersignature`.
    pub format: String,
    pub version: u32,
    /// The certificate witnessed: its id and the BLAKE3 of its exact bytes.
    pub certificate_id: String,
    pub certificate_blake3: String,
    /// The witness's name and role (立会人 of the clinic, the vendor's
    /// supervisor…), as they gave them.
    pub name: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was signed (RFC 3339 with offset).
    pub signed_at: String,
    /// `KURA_NOW` when the time was set by hand (a test build), as in
    /// custody records: such a time is not evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// The key that signed the statement.
    pub signer: KeyInfo,
}

impl Statement {
    /// The exact bytes kura writes and the witness signs.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(self).map_err(Error::internal)?;
        v.push(b'\n');
        Ok(v)
    }
}

/// A countersignature whose signature and binding were checked.
#[derive(Debug, Clone)]
pub struct Witness {
    /// The statement file.
    pub path: PathBuf,
    pub statement: Statement,
    /// Whether the signer is in the reader's allowed signers file for
    /// `kura-countersign` (`Unchecked` when none was given).
    pub trust: Trust,
    /// The statement is dated before the certificate was issued: the
    /// witness's clock (or the issuer's) was wrong, and the time is not
    /// evidence.
    pub dated_before_certificate: bool,
}

impl Witness {
    /// Whether the signed time was set by hand.
    pub fn hand_set(&self) -> bool {
        self.statement.clock.is_some()
    }
}

/// `CERT.json.witness-N.json`.
pub fn statement_path(cert: &Path, n: u32) -> PathBuf {
    let mut s = cert.as_os_str().to_os_string();
    s.push(format!(".witness-{n}.json"));
    PathBuf::from(s)
}

/// The signature of a statement: `….json.sig`.
pub fn sig_path(statement: &Path) -> PathBuf {
    super::sig_path(statement)
}

/// The numbers of the statements beside `cert`, in order. A signature
/// without its statement (left by an interrupted countersign) is not a
/// countersignature and is ignored.
fn numbers(cert: &Path) -> Result<Vec<u32>> {
    let dir = crate::fsutil::parent_dir(cert);
    let Some(name) = cert.file_name() else {
        return Ok(Vec::new());
    };
    // Compared as bytes: a certificate's name need not be UTF-8.
    let mut prefix = name.as_encoded_bytes().to_vec();
    prefix.extend_from_slice(b".witness-");
    let mut found = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(e, dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(e, dir.display()))?;
        let file = entry.file_name();
        let Some(n) = file
            .as_encoded_bytes()
            .strip_prefix(prefix.as_slice())
            .and_then(|f| f.strip_suffix(b".json"))
        else {
            continue;
        };
        // Only the names kura writes: decimal, no sign, no leading zero.
        if n.is_empty() || n[0] == b'0' || !n.iter().all(u8::is_ascii_digit) {
            continue;
        }
        match std::str::from_utf8(n).ok().and_then(|n| n.parse::<u32>().ok()) {
            Some(n) if n <= MAX_WITNESSES => found.push(n),
            _ => {
                return Err(Error::new(Kind::Integrity, "err-witness-too-many").arg("max", MAX_WITNESSES));
            }
        }
    }
    found.sort_unstable();
    Ok(found)
}

fn altered(path: &Path) -> Error {
    Error::new(Kind::Integrity, "err-witness-altered").arg("path", path.display())
}

/// Checks one statement and its signature against the certificate's exact
/// bytes.
pub fn check(path: &Path, statement: &[u8], sig: &str, cert: &[u8], certificate_id: &str) -> Result<Statement> {
    let s: Statement = serde_json::from_slice(statement).map_err(|_| altered(path))?;
    if s.format != FORMAT || s.version != VERSION {
        return Err(altered(path));
    }
    let key = signature::verify_any(NS_COUNTERSIGN, statement, sig, "countersignature").map_err(|_| altered(path))?;
    if key.key != s.signer.key || chrono::DateTime::parse_from_rfc3339(&s.signed_at).is_err() {
        return Err(altered(path));
    }
    if s.certificate_blake3 != blake3::hash(cert).to_hex().as_str() || s.certificate_id != certificate_id {
        return Err(Error::new(Kind::Integrity, "err-witness-other-certificate").arg("path", path.display()));
    }
    Ok(s)
}

/// Every countersignature beside `cert` (whose exact bytes are `bytes`),
/// checked; any that fails is refused (exit 6). Trust is judged against
/// `signers` for `kura-countersign`; a witness those signers name as the
/// certificate's issuer is refused (exit 7).
pub fn check_all(cert: &Path, bytes: &[u8], signers: Option<&AllowedSigners>) -> Result<Vec<Witness>> {
    let c = Certificate::parse(bytes)?;
    let (id, issued) = (
        c.certificate_id.clone(),
        chrono::DateTime::parse_from_rfc3339(&c.issued_at).ok(),
    );
    let mut out = Vec::new();
    for n in numbers(cert)? {
        let path = statement_path(cert, n);
        let statement = crate::fsutil::read_bounded(&path, MAX_STATEMENT_BYTES)?;
        let sig_file = sig_path(&path);
        let sig = crate::fsutil::read_bounded_text(&sig_file, MAX_SIG_BYTES).map_err(|e| {
            if e.id == "err-io-not-found" {
                Error::new(Kind::Integrity, "err-witness-sig-missing").arg("path", sig_file.display())
            } else {
                e
            }
        })?;
        let statement = check(&path, &statement, &sig, bytes, &id)?;
        // One key countersigns once (countersign refuses a second time): a
        // second statement by it is a copy, and would count one person twice.
        if let Some(first) = out
            .iter()
            .find(|w: &&Witness| w.statement.signer.key == statement.signer.key)
        {
            return Err(Error::new(Kind::Integrity, "err-witness-twice")
                .arg("path", path.display())
                .arg("first", first.path.display()));
        }
        let trust = match signers {
            None => Trust::Unchecked,
            Some(s) => s
                .principal_for(&statement.signer, NS_COUNTERSIGN)
                .map_or(Trust::Untrusted, Trust::Trusted),
        };
        // The issuer under a second key the reader lists under the
        // issuer's own name is not someone else (a pattern such as
        // `*@clinic.example` names no one person).
        if let (Trust::Trusted(p), Some(s)) = (&trust, signers) {
            let one_name = !p.contains(['*', '?']);
            if one_name && s.principal_for(&c.issuer.key, NS_CERTIFICATE).as_ref() == Some(p) {
                return Err(Error::new(Kind::Untrusted, "err-witness-is-issuer-principal")
                    .arg("path", path.display())
                    .arg("principal", p));
            }
        }
        let signed = chrono::DateTime::parse_from_rfc3339(&statement.signed_at).ok();
        let dated_before_certificate = matches!((signed, issued), (Some(s), Some(i)) if s < i);
        out.push(Witness {
            path,
            statement,
            trust,
            dated_before_certificate,
        });
    }
    Ok(out)
}

/// What a witness states.
pub struct Countersign<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub note: Option<&'a str>,
}

fn check_text(option: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::new(Kind::Usage, "err-witness-empty").arg("option", option));
    }
    if value.chars().count() > max {
        return Err(Error::new(Kind::Usage, "err-witness-too-long")
            .arg("option", option)
            .arg("max", max));
    }
    Ok(())
}

/// Countersigns the certificate `cert` (its issuer's signature must verify
/// and the witness must be someone else) with `key`; returns the statement
/// file written. Nothing is written unless every check passes, and a
/// statement appears only with its signature beside it.
pub fn countersign(cert: &Path, sig: Option<&Path>, key: &SigningKey, what: &Countersign) -> Result<PathBuf> {
    check_text("--name", what.name, MAX_NAME_CHARS)?;
    check_text("--role", what.role, MAX_NAME_CHARS)?;
    if let Some(note) = what.note {
        check_text("--note", note, MAX_NOTE_CHARS)?;
    }
    let (bytes, cert_sig) = super::verify::read_signed(cert, sig)?;
    let c = Certificate::parse(&bytes)?;
    let issuer = signature::verify_any(NS_CERTIFICATE, &bytes, &cert_sig, "certificate")
        .map_err(|_| Error::new(Kind::Integrity, "err-cert-altered"))?;
    if issuer.key != c.issuer.key.key {
        return Err(Error::new(Kind::Integrity, "err-cert-altered"));
    }
    if key.info().key == issuer.key {
        return Err(Error::new(Kind::Refused, "err-witness-is-issuer"));
    }
    let existing = check_all(cert, &bytes, None)?;
    if let Some(w) = existing.iter().find(|w| w.statement.signer.key == key.info().key) {
        return Err(Error::new(Kind::Exists, "err-witness-already").arg("path", w.path.display()));
    }
    let statement = Statement {
        format: FORMAT.to_string(),
        version: VERSION,
        certificate_id: c.certificate_id.clone(),
        certificate_blake3: blake3::hash(&bytes).to_hex().to_string(),
        name: what.name.to_string(),
        role: what.role.to_string(),
        note: what.note.map(str::to_string),
        signed_at: crate::clock::rfc3339(&crate::clock::now()),
        clock: crate::clock::overridden().then(|| crate::clock::ENV_NOW.to_string()),
        signer: key.info().clone(),
    };
    let body = statement.to_bytes()?;
    let armored = key.sign(NS_COUNTERSIGN, &body)?;
    place(cert, &body, &armored)
}

/// Writes the signature, then the statement, under the first number free
/// for both; a number taken meanwhile (another witness signing at the same
/// moment) moves on to the next.
fn place(cert: &Path, body: &[u8], armored: &str) -> Result<PathBuf> {
    for n in 1..=MAX_WITNESSES {
        let path = statement_path(cert, n);
        let sig = sig_path(&path);
        if std::fs::symlink_metadata(&path).is_ok() || std::fs::symlink_metadata(&sig).is_ok() {
            continue;
        }
        match crate::fsutil::write_atomic(&sig, armored.as_bytes(), false) {
            Err(e) if e.kind == Kind::Exists => continue,
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        // From here the signature is ours: removed again unless its
        // statement lands beside it.
        crate::interrupt::register(&sig);
        crate::fault::point("countersign-signed");
        let placed = crate::fsutil::write_atomic(&path, body, false);
        if placed.is_err() {
            let _ = std::fs::remove_file(&sig);
        }
        crate::interrupt::unregister(&sig);
        match placed {
            Err(e) if e.kind == Kind::Exists => continue,
            Err(e) => return Err(e),
            Ok(()) => return Ok(path),
        }
    }
    Err(Error::new(Kind::Refused, "err-witness-too-many").arg("max", MAX_WITNESSES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_named_beside_the_certificate() {
        let p = statement_path(Path::new("/x/a.cert.json"), 3);
        assert_eq!(p, Path::new("/x/a.cert.json.witness-3.json"));
        assert_eq!(sig_path(&p), Path::new("/x/a.cert.json.witness-3.json.sig"));
    }

    #[test]
    fn only_the_names_kura_writes_are_witnesses() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.json");
        for name in [
            "c.json.witness-1.json",
            "c.json.witness-2.json.sig",
            "c.json.witness-01.json",
            "c.json.witness-x.json",
            "c.json.witness-+3.json",
            "c.json.witness-10.json",
            "d.json.witness-4.json",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(numbers(&cert).unwrap(), vec![1, 10]);
        std::fs::write(dir.path().join("c.json.witness-101.json"), "").unwrap();
        assert_eq!(numbers(&cert).unwrap_err().id, "err-witness-too-many");
    }
}
