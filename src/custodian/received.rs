//! The clinic records, in its copy of the custody log, that it received and
//! checked a certificate: the `certificate-received` event, signed with the
//! clinic's key, naming the certificate and the clinic's signed receipt of
//! it (`ledger::receipt`).

use std::path::Path;

use chrono::{DateTime, FixedOffset};

use crate::custody::{Log, NewEvent, Record};
use crate::error::Result;
use crate::keys::{AllowedSigners, SigningKey};

/// The custody event.
pub const EVENT: &str = "certificate-received";

/// A custody log opened (and locked) to take a `certificate-received`
/// record, every check already passed: nothing has been written yet.
pub struct ReceivedLog {
    log: Log,
    certificate_id: String,
    certificate_blake3: String,
    /// The certificate's records this log lacks (it is the beginning of the
    /// certificate's chain: the clinic's copy taken at hand-over, say).
    missing: Vec<String>,
    /// The record that already states this certificate's receipt, if any.
    pub existing: Option<u64>,
}

impl ReceivedLog {
    /// Opens the log at `path` for the record of the certificate `cert`
    /// (`sig` its signature): the log must verify, and the certificate must
    /// verify against it as against the ledger's copy (so the log is the
    /// certificate's chain or its beginning). A log that lacks the
    /// certificate's last records takes them first, as the certificate
    /// carries them, so that the receipt follows the certifying record.
    /// Every refusal comes from here, before anything is written.
    pub fn open(path: &Path, cert: &[u8], sig: &str, signers: &AllowedSigners) -> Result<ReceivedLog> {
        let log = Log::open(path)?;
        let v = crate::certificate::verify(cert, sig, log.chain(), signers)?;
        let certificate_blake3 = blake3::hash(cert).to_hex().to_string();
        let existing = log
            .chain()
            .records
            .iter()
            .find(|r| {
                r.event == EVENT
                    && r.details.get("certificate_blake3").and_then(|v| v.as_str()) == Some(&certificate_blake3)
            })
            .map(|r| r.seq);

        let have = log.chain().lines.len();
        let missing = v.certificate.custody.lines.get(have..).unwrap_or_default().to_vec();
        // With the certificate's records added, the log ends in the
        // certifying record, which the receipt may follow; without, it must
        // take the receipt as it stands.
        if existing.is_none() && missing.is_empty() {
            log.check(EVENT)?;
        }
        Ok(ReceivedLog {
            log,
            missing,
            certificate_id: v.certificate.certificate_id,
            certificate_blake3,
            existing,
        })
    }

    pub fn path(&self) -> &Path {
        self.log.path()
    }

    /// Appends the record, signed by the clinic; `None` when the log
    /// already states the receipt of this certificate (see `existing`).
    pub fn append(
        mut self,
        receipt_blake3: &str,
        signer: &SigningKey,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<Record>> {
        if self.existing.is_some() {
            return Ok(None);
        }
        crate::fault::point("receipt-kept");
        self.log.append_lines(&self.missing)?;
        crate::fault::point("receipt-records-copied");
        self.log.check(EVENT)?;
        let ev = NewEvent::new(EVENT)
            .detail("certificate_id", self.certificate_id.clone())
            .detail("certificate_blake3", self.certificate_blake3.clone())
            .detail("receipt_blake3", receipt_blake3.to_string());
        self.log.append(ev, signer, now).map(Some)
    }
}
