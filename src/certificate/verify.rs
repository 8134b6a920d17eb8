//! Checking a certificate the way a clinic does (docs/CERTIFICATE.md,
//! "Verifying"): the signature and its signer, the vault against the
//! clinic's own copy of the custody log, that copy as the beginning of the
//! chain inside the certificate, the whole chain, and every field against
//! the chain's receipt.

use std::path::Path;

use ssh_key::{PublicKey, SshSig};

use super::model::*;
use crate::custody::{self, Chain};
use crate::error::{Error, Kind, Result};
use crate::keys::signature::{self, AllowedSigners, KeyInfo, NS_CERTIFICATE};

/// Largest certificate (and signature) kura reads.
pub const MAX_CERT_BYTES: u64 = 64 << 20;
const MAX_SIG_BYTES: u64 = 16 << 10;

/// A certificate that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub certificate: Certificate,
    /// The signer's principal in the allowed signers file.
    pub principal: String,
    pub on_time: bool,
    /// Whole days after the delete-by day (0 when on time).
    pub days_late: i64,
    /// What the verified chain shows about the deadline: never on time
    /// when a time in it is flagged or the vault was lost.
    pub timeliness: Timeliness,
    /// Records in the clinic's copy, and in the certificate's chain.
    pub clinic_records: usize,
    pub chain_records: usize,
    /// The countersignatures beside the certificate, each checked (only
    /// [`verify_files`] looks for them; [`verify`] sees bytes, no files).
    pub witnesses: Vec<super::witness::Witness>,
    /// Vaults the certificate covers (more than one for a prune run; each
    /// checked against the chain it carries, the clinic's against its log).
    pub vaults: usize,
}

fn altered() -> Error {
    Error::new(Kind::Integrity, "err-cert-altered")
}

fn field(name: &str) -> Error {
    Error::new(Kind::Integrity, "err-cert-field-mismatch").arg("field", name)
}

/// Checks the detached signature and returns the signer's key and principal.
fn check_signature(cert: &[u8], sig: &str, signers: &AllowedSigners) -> Result<(KeyInfo, String)> {
    let parsed = SshSig::from_pem(sig.trim().as_bytes()).map_err(|_| altered())?;
    if parsed.namespace() != NS_CERTIFICATE {
        return Err(Error::new(Kind::Integrity, "err-cert-namespace").arg("namespace", parsed.namespace()));
    }
    // Named by fingerprint only: a comment would come from the untrusted
    // certificate itself.
    let key = KeyInfo::of(&PublicKey::from(parsed.public_key().clone()));
    signature::verify(&key, NS_CERTIFICATE, cert, sig, "certificate").map_err(|_| altered())?;
    let principal = signers
        .principal_for(&key, NS_CERTIFICATE)
        .ok_or_else(|| Error::new(Kind::Untrusted, "err-cert-untrusted").arg("key", key.display()))?;
    Ok((key, principal))
}

/// Verifies the chain carried in the certificate; a break is reported as
/// the certificate's, naming the record.
fn embedded_chain(c: &Certificate) -> Result<Chain> {
    let mut text = c.custody.lines.join("\n");
    text.push('\n');
    let chain = custody::verify_text(&text).map_err(|e| {
        if e.id == "err-custody-bad-record" {
            // The same record number and reason, said of the certificate.
            let mut out = Error::new(Kind::Integrity, "err-cert-chain-broken");
            out.args = e.args.clone();
            out.worded = e.worded.clone();
            out.caused_by(e)
        } else {
            Error::new(Kind::Integrity, "err-cert-chain-broken")
                .arg("n", 0)
                .arg_error("why", e)
        }
    })?;
    if chain.lines != c.custody.lines || chain.lines.len() as u64 != c.custody.records || chain.head() != c.custody.head
    {
        return Err(field("custody"));
    }
    Ok(chain)
}

/// Everything but the signature: `cert` was signed by `signer`; `clinic` is
/// the clinic's own copy of the custody log.
/// Every record the clinic has not seen yet (those after its own copy) must
/// be signed by someone it trusts: the chain is only as good as its signers.
fn check_later_signers(chain: &Chain, clinic: &Chain, signers: &AllowedSigners) -> Result<()> {
    for (i, r) in chain.records.iter().enumerate().skip(clinic.records.len()) {
        signers.require(
            &r.actor,
            crate::keys::signature::NS_CUSTODY,
            &format!("custody record #{i}"),
        )?;
    }
    Ok(())
}

/// The certificate names the clinic's vault and its signer as issuer.
fn check_identity(c: &Certificate, signer: &KeyInfo, clinic: &Chain) -> Result<()> {
    let theirs = &clinic.receipt;
    if theirs.vault_id != c.vault.vault_id
        || theirs.manifest_blake3 != c.vault.manifest_blake3
        || theirs.ciphertext != c.vault.ciphertext
    {
        return Err(Error::new(Kind::Refused, "err-cert-other-vault")
            .arg("cert", &c.vault.vault_id)
            .arg("clinic", &theirs.vault_id));
    }
    if c.issuer.key.key != signer.key {
        return Err(field("issuer.key"));
    }
    Ok(())
}

fn check_content(c: &Certificate, chain: &Chain, signer: &KeyInfo, clinic: &Chain) -> Result<(bool, i64)> {
    // The clinic's copy is the beginning of the certificate's chain.
    if let Some(k) = (0..clinic.lines.len()).find(|&k| chain.lines.get(k) != Some(&clinic.lines[k])) {
        return Err(Error::new(Kind::Integrity, "err-cert-not-prefix").arg("n", k));
    }
    // The chain ends with the certifying record, made by the signer.
    let last = chain.records.last().expect("a verified chain has records");
    let ends = last.event == c.action
        && last.actor.key == signer.key
        && last.time == c.issued_at
        && last.host == c.host
        && last.details.get("certificate_id").and_then(|v| v.as_str()) == Some(c.certificate_id.as_str());
    if !ends {
        return Err(Error::new(Kind::Integrity, "err-cert-chain-end").arg("n", last.seq));
    }
    // Every field agrees with the receipt.
    let r = &chain.receipt;
    if c.vault != VaultFacts::of(r) {
        return Err(field("vault"));
    }
    if c.approval != r.approval || c.delete_by != r.approval.delete_by {
        return Err(field("approval"));
    }
    // A vault recorded as lost before the certifying record is certified
    // "lost"; otherwise deleted means destroyed and returned means kept.
    let recorded_lost = chain.records.iter().rev().skip(1).any(|r| r.event == "lost");
    let outcome_ok = |o: &str| match c.action.as_str() {
        ACTION_DELETED => o == OUTCOME_DESTROYED || (recorded_lost && o == OUTCOME_LOST),
        ACTION_RETURNED => o == OUTCOME_KEPT,
        _ => false,
    };
    if c.action != ACTION_DELETED && c.action != ACTION_RETURNED {
        return Err(field("action"));
    }
    let vault_ok = c.items.iter().filter(|i| i.role == ROLE_VAULT).count() == 1
        && c.items.iter().any(|i| {
            i.role == ROLE_VAULT
                && outcome_ok(&i.outcome)
                && i.size == r.ciphertext.size
                && i.blake3 == r.ciphertext.blake3
        });
    if !vault_ok {
        return Err(field("items"));
    }
    check_media(c)?;
    let (on_time, late) = timeliness(&c.issued_at, &r.approval.delete_by).ok_or_else(|| field("issued_at"))?;
    if on_time != c.on_time {
        return Err(field("on_time"));
    }
    Ok((on_time, late))
}

/// The medium fields agree with one another: a known `medium_after`, and
/// each item's sanitization category and basis the ones its role, outcome
/// and medium call for (certificates made before these fields have none).
fn check_media(c: &Certificate) -> Result<()> {
    if !c.medium_after.is_empty() && !MEDIUM_AFTER.contains(&c.medium_after.as_str()) {
        return Err(field("medium_after"));
    }
    for i in &c.items {
        if let Some(s) = &i.sanitization {
            let due = Sanitization::of(&i.role, &i.outcome, i.medium.as_ref());
            if s.category != due.category || s.basis != due.basis {
                return Err(field("items.sanitization"));
            }
        }
    }
    Ok(())
}

/// Verifies a certificate (its exact bytes and armored signature) against
/// the clinic's copy of the custody log and an allowed_signers list.
pub fn verify(cert: &[u8], sig: &str, clinic: &Chain, signers: &AllowedSigners) -> Result<Verified> {
    let (key, principal) = check_signature(cert, sig, signers)?;
    let certificate = Certificate::parse(cert)?;
    // A clinic copy that goes on past the certificate (the clinic
    // countersigned the return, say) is compared up to the certifying
    // record: the certificate's chain must be its beginning.
    let n = (certificate.parts().iter())
        .find(|p| p.vault.vault_id == clinic.receipt.vault_id)
        .map_or(certificate.custody.lines.len(), |p| p.custody.lines.len());
    let shortened;
    let clinic = if clinic.lines.len() > n {
        shortened = clinic.prefix(n);
        &shortened
    } else {
        clinic
    };
    // A prune run's certificate covers several vaults: the clinic's log
    // names the one it is checked against; every other one is checked
    // against the chain the certificate carries for it.
    let parts = certificate.parts();
    let mine = parts
        .iter()
        .position(|p| p.vault.vault_id == clinic.receipt.vault_id)
        .unwrap_or(0);
    let part = &parts[mine];
    check_identity(part, &key, clinic)?;
    let chain = embedded_chain(part)?;
    let (on_time, days_late) = check_content(part, &chain, &key, clinic)?;
    check_later_signers(&chain, clinic, signers)?;
    for (i, other) in parts.iter().enumerate().filter(|(i, _)| *i != mine) {
        let own = embedded_chain(other)?;
        check_identity(other, &key, &own)?;
        check_content(other, &own, &key, &own)?;
        if parts[..i].iter().any(|p| p.vault.vault_id == other.vault.vault_id) {
            return Err(field("other_vaults"));
        }
    }
    let timeliness = Timeliness::of(on_time, part.vault_lost(), chain.time_flags());
    Ok(Verified {
        timeliness,
        chain_records: part.custody.lines.len(),
        vaults: parts.len(),
        certificate: part.clone(),
        principal,
        on_time,
        days_late,
        clinic_records: clinic.lines.len(),
        witnesses: Vec::new(),
    })
}

/// [`verify`] on files: the certificate, its signature (default
/// `CERT.json.sig`), the clinic's custody log and the allowed signers file;
/// then every countersignature beside the certificate (any altered one is
/// refused; each signer is looked up in the same allowed signers file).
pub fn verify_files(cert: &Path, sig: Option<&Path>, clinic_log: &Path, signers: &Path) -> Result<Verified> {
    let signers = AllowedSigners::load(signers)?;
    let clinic = custody::read(clinic_log)?;
    let (bytes, sig) = read_signed(cert, sig)?;
    let mut v = verify(&bytes, &sig, &clinic, &signers)?;
    // The very bytes verified are the ones each witness must name.
    v.witnesses = super::witness::check_all(cert, &bytes, Some(&signers))?;
    Ok(v)
}

/// Reads a certificate's exact bytes and its armored signature (default
/// `CERT.json.sig`), both bounded.
pub fn read_signed(cert: &Path, sig: Option<&Path>) -> Result<(Vec<u8>, String)> {
    let bytes = crate::fsutil::read_bounded(cert, MAX_CERT_BYTES)?;
    Ok((bytes, read_signature(cert, sig)?))
}

/// Reads the armored signature of the certificate `cert` (default
/// `CERT.json.sig`), bounded.
pub fn read_signature(cert: &Path, sig: Option<&Path>) -> Result<String> {
    let sig_path = sig.map(Path::to_path_buf).unwrap_or_else(|| super::sig_path(cert));
    crate::fsutil::read_bounded_text(&sig_path, MAX_SIG_BYTES).map_err(|e| {
        if e.id == "err-io-not-found" {
            Error::new(Kind::Io, "err-cert-sig-missing").arg("path", sig_path.display())
        } else {
            e
        }
    })
}
