//! The receipt: the public, signed description of a vault kept outside the
//! encryption in the first custody record. It binds the vault id, the
//! manifest digest and the ciphertext to the approval, recipients and
//! packer — and carries nothing that identifies a patient (no file names).

use serde::{Deserialize, Serialize};

use super::manifest::Approval;
use crate::error::{Error, Kind, Result};
use crate::keys::{KeyInfo, RecipientInfo};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ciphertext {
    pub size: u64,
    pub blake3: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Always `kura-receipt`.
    pub format: String,
    pub version: u32,
    pub vault_id: String,
    pub created: String,
    pub packer: KeyInfo,
    pub approval: Approval,
    pub recipients: Vec<RecipientInfo>,
    pub file_count: u64,
    pub total_size: u64,
    /// BLAKE3 of the exact bytes of `.kura/manifest.json`.
    pub manifest_blake3: String,
    pub ciphertext: Ciphertext,
}

impl Receipt {
    /// The receipt of a vault with `manifest` (whose exact bytes have the
    /// BLAKE3 `manifest_blake3`) sealed as `ciphertext`.
    pub fn of(manifest: &super::Manifest, manifest_blake3: String, ciphertext: Ciphertext) -> Receipt {
        Receipt {
            format: "kura-receipt".into(),
            version: super::format::FORMAT_VERSION,
            vault_id: manifest.vault_id.clone(),
            created: manifest.created.clone(),
            packer: manifest.packer.clone(),
            approval: manifest.approval.clone(),
            recipients: manifest.recipients.clone(),
            file_count: manifest.file_count,
            total_size: manifest.total_size,
            manifest_blake3,
            ciphertext,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("receipt serializes")
    }

    pub fn parse(text: &str) -> Result<Receipt> {
        let r: Receipt = serde_json::from_str(text).map_err(|_| Error::new(Kind::Integrity, "err-receipt-invalid"))?;
        if r.format != "kura-receipt" {
            return Err(Error::new(Kind::Integrity, "err-receipt-invalid"));
        }
        if r.version != super::format::FORMAT_VERSION {
            return Err(Error::new(Kind::Integrity, "err-format-version").arg("version", r.version));
        }
        Ok(r)
    }

    /// Whether the delete-by day has passed (compared with `today`).
    pub fn overdue(&self, today: chrono::NaiveDate) -> bool {
        chrono::NaiveDate::parse_from_str(&self.approval.delete_by, "%Y-%m-%d").is_ok_and(|d| today > d)
    }
}
