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
