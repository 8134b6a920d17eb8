//! The manifest: the signed list of everything in the vault, stored inside
//! the encryption as `.kura/manifest.json` and signed in
//! `.kura/manifest.json.sig` (SSHSIG, namespace `kura-manifest`).

use serde::{Deserialize, Serialize};

use crate::keys::{KeyInfo, RecipientInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
}

/// One member of the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Relative path inside the vault, `/`-separated, UTF-8.
    pub path: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    /// Bytes (0 for directories and links).
    pub size: u64,
    /// Permission bits (`0o644` is 420).
    pub mode: u32,
    /// Modification time, seconds since the Unix epoch.
    pub mtime: i64,
    /// BLAKE3 of the content (files only), lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blake3: Option<String>,
    /// Link target (symlinks only), relative, never leaving the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The clinic's written approval for this export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    pub approved_by: String,
    pub purpose: String,
    /// `YYYY-MM-DD`: the data must be deleted or returned by this day.
    pub delete_by: String,
    /// BLAKE3 of the scanned approval document, if one was packed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_blake3: Option<String>,
}

/// The approval document packed as the first member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalDocument {
    pub path: String,
    pub size: u64,
    pub blake3: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `kura-manifest`.
    pub format: String,
    pub version: u32,
    pub vault_id: String,
    /// RFC 3339 with the packer's offset.
    pub created: String,
    pub packer: KeyInfo,
    pub approval: Approval,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_document: Option<ApprovalDocument>,
    pub recipients: Vec<RecipientInfo>,
    /// Regular files in `entries`.
    pub file_count: u64,
    /// Sum of their sizes.
    pub total_size: u64,
    /// Every member in archive order.
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// Compact JSON and a newline: a 100,000-file manifest is a third
    /// smaller than indented, which the signature, compression and memory
    /// all feel (docs/FORMAT.md; `jq .` indents it for reading).
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec(self).expect("manifest serializes");
        v.push(b'\n');
        v
    }
}
