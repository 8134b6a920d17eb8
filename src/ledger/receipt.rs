//! The clinic's receipt of a certificate: a record, signed with the
//! clinic's key (SSHSIG, namespace [`NS_LEDGER_CLOSE`]), that the clinic
//! received a deletion or return certificate and checked it against its
//! ledger's copy of the custody log. It is kept in the ledger with the
//! entry it closed, may be written out as `FILE` + `FILE.sig` (checkable with
//! `ssh-keygen -Y verify -n kura-ledger-close`), and its hash goes into the
//! `certificate-received` custody record when the clinic appends one.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::certificate::verify::Verified;
use crate::custody::Chain;
use crate::error::{Error, Kind, Result};
use crate::keys::signature;
use crate::keys::{KeyInfo, SigningKey};

/// The SSHSIG namespace of a certificate receipt.
pub const NS_LEDGER_CLOSE: &str = "kura-ledger-close";
/// `format` of a certificate receipt.
pub const FORMAT: &str = "kura-certificate-receipt";

/// What the clinic's copy of the log was when the certificate was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedAgainst {
    pub custody_records: u64,
    /// BLAKE3 of the copy's last line.
    pub custody_head: String,
}

/// The signed statement. Field order is the JSON's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateReceipt {
    /// Always [`FORMAT`].
    pub format: String,
    pub version: u32,
    pub vault_id: String,
    pub approval_id: String,
    /// `YYYY-MM-DD`: the approval's delete-by day.
    pub delete_by: String,
    pub certificate_id: String,
    /// BLAKE3 of the certificate file's exact bytes.
    pub certificate_blake3: String,
    /// `deleted` or `returned`.
    pub action: String,
    pub issued_at: String,
    /// Who signed the certificate.
    pub issuer: KeyInfo,
    /// What the checked certificate shows about the deadline (`on-time`,
    /// `late`, `time-not-reliable`, `vault-lost`).
    pub timing: String,
    pub checked_against: CheckedAgainst,
    /// When the clinic received and checked it (RFC 3339, the clinic's
    /// clock).
    pub received_at: String,
    /// `KURA_NOW` when `received_at` was set by hand (test builds only):
    /// then it is not evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// The clinic's key, which signs this receipt.
    pub clinic: KeyInfo,
}

impl CertificateReceipt {
    /// The clinic's receipt of the certificate `v` (whose exact bytes hash
    /// to `certificate_blake3`), checked against `copy` — the ledger's copy of
    /// the log of the export approved as `approval_id`, due `delete_by` — by
    /// the holder of `clinic` at `received_at`. The key that signed the
    /// certificate cannot sign its receipt: the receipt is the clinic's
    /// word, not the issuer's.
    pub fn of(
        v: &Verified,
        certificate_blake3: &str,
        (approval_id, delete_by): (&str, &str),
        copy: &Chain,
        clinic: &SigningKey,
        received_at: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<CertificateReceipt> {
        let c = &v.certificate;
        if clinic.info().fingerprint == c.issuer.key.fingerprint {
            return Err(Error::new(Kind::Refused, "err-ledger-receipt-by-issuer").arg("key", clinic.info().display()));
        }
        Ok(CertificateReceipt {
            format: FORMAT.into(),
            version: 1,
            vault_id: c.vault.vault_id.clone(),
            approval_id: approval_id.into(),
            delete_by: delete_by.into(),
            certificate_id: c.certificate_id.clone(),
            certificate_blake3: certificate_blake3.into(),
            action: c.action.clone(),
            issued_at: c.issued_at.clone(),
            issuer: c.issuer.key.clone(),
            timing: v.timeliness.timing.name().into(),
            checked_against: CheckedAgainst {
                custody_records: copy.records.len() as u64,
                custody_head: copy.head(),
            },
            received_at: crate::clock::rfc3339(&received_at),
            clock: crate::clock::overridden().then(|| crate::clock::ENV_NOW.to_string()),
            clinic: clinic.info().clone(),
        })
    }

    /// Whether the clinic received the certificate after the delete-by day
    /// (both days as the records state them).
    pub fn received_late(&self) -> bool {
        let received = chrono::DateTime::parse_from_rfc3339(&self.received_at).map(|t| t.date_naive());
        match (received, NaiveDate::parse_from_str(&self.delete_by, "%Y-%m-%d")) {
            (Ok(r), Ok(d)) => r > d,
            _ => false,
        }
    }

    /// Signs the receipt with the clinic's key, which it must name.
    pub fn sign(&self, signer: &SigningKey) -> Result<SignedReceipt> {
        if signer.info().fingerprint != self.clinic.fingerprint {
            return Err(Error::internal("a receipt is signed by the key it names"));
        }
        let json = serde_json::to_string_pretty(self).map_err(|e| Error::internal(e.to_string()))? + "\n";
        let sig = signer.sign(NS_LEDGER_CLOSE, json.as_bytes())?;
        Ok(SignedReceipt { json, sig })
    }
}

/// A receipt's exact bytes and its armored signature, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    pub json: String,
    pub sig: String,
}

impl SignedReceipt {
    /// Checks the signature against the clinic key the receipt names and
    /// returns the receipt. Any change to the bytes or the signature is
    /// refused (exit code Integrity).
    pub fn verify(&self) -> Result<CertificateReceipt> {
        let bad = || Error::new(Kind::Integrity, "err-signature-invalid").arg("what", "certificate receipt");
        let r: CertificateReceipt = serde_json::from_str(&self.json).map_err(|_| bad())?;
        if r.format != FORMAT {
            return Err(bad());
        }
        signature::verify(
            &r.clinic,
            NS_LEDGER_CLOSE,
            self.json.as_bytes(),
            &self.sig,
            "certificate receipt",
        )?;
        Ok(r)
    }

    /// BLAKE3 (hex) of the receipt's exact bytes.
    pub fn blake3(&self) -> String {
        blake3::hash(self.json.as_bytes()).to_hex().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(clinic: &SigningKey) -> CertificateReceipt {
        CertificateReceipt {
            format: FORMAT.into(),
            version: 1,
            vault_id: "v".into(),
            approval_id: "APP-1".into(),
            delete_by: "2026-06-30".into(),
            certificate_id: "c".into(),
            certificate_blake3: "00".into(),
            action: "deleted".into(),
            issued_at: "2026-06-29T10:00:00+09:00".into(),
            issuer: clinic.info().clone(),
            timing: "on-time".into(),
            checked_against: CheckedAgainst {
                custody_records: 3,
                custody_head: "ab".into(),
            },
            received_at: "2026-07-01T09:00:00+09:00".into(),
            clock: None,
            clinic: clinic.info().clone(),
        }
    }

    #[test]
    fn a_signed_receipt_verifies_and_any_change_is_refused() {
        let k = SigningKey::generate("clinic@kura.test").unwrap();
        let r = receipt(&k);
        assert!(r.received_late());
        let s = r.sign(&k).unwrap();
        assert_eq!(s.verify().unwrap(), r);
        let tampered = SignedReceipt {
            json: s.json.replace("2026-07-01", "2026-06-30"),
            sig: s.sig.clone(),
        };
        assert_eq!(tampered.verify().unwrap_err().id, "err-signature-invalid");
        // Signed in another namespace (a custody record's, say): refused.
        let other = SignedReceipt {
            json: s.json.clone(),
            sig: k.sign("kura-custody", s.json.as_bytes()).unwrap(),
        };
        assert!(other.verify().is_err());
    }
}
