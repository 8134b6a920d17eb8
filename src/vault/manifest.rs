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

impl Entry {
    /// A regular file at member path `path` whose size, mode and time are
    /// not known yet: they are taken from the open file when it is packed
    /// (`walk::complete`).
    pub fn file_to_stat(path: String) -> Entry {
        Entry {
            path,
            kind: EntryKind::File,
            size: 0,
            mode: 0,
            mtime: 0,
            blake3: None,
            target: None,
        }
    }
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
    /// The clinic's signed approval this export was packed under, if any
    /// (`kura approve`). Absent: the fields above were declared by the
    /// packer and nobody at the clinic signed them. Read by
    /// `kura::approval`; the vault only carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<SignedApproval>,
}

/// A signed approval as it travels in the manifest and the receipt: the
/// exact bytes of `APPROVAL.json` and of its SSHSIG (namespace
/// `kura-approval`), so that anyone can check them with `ssh-keygen -Y
/// verify` long after kura is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedApproval {
    /// The approval document, byte for byte as the clinic signed it.
    pub document: String,
    /// Its armored SSHSIG (`-----BEGIN SSH SIGNATURE-----` …).
    pub signature: String,
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
    /// Every member in archive order. Written before the counts, so that
    /// a writer can stream the entries (see [`Manifest::json_parts`]).
    pub entries: Vec<Entry>,
    /// Regular files in `entries`.
    pub file_count: u64,
    /// Sum of their sizes.
    pub total_size: u64,
    /// Files packed from a stream (`pack --stdin-name`, `--from-command`):
    /// each one's whole size and BLAKE3, its parts being members of
    /// `entries` (see `vault::stream`). Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub streams: Vec<super::stream::Stream>,
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

    /// [`Manifest::to_json`] of a manifest whose `entries` is empty, in
    /// two parts around them, for a writer that streams many entries: the
    /// bytes up to and including `"entries":[`, and those from the closing
    /// `]` on. With entries e1…en the manifest's bytes are the head, e1,
    /// `,`, …, `,`, en (each as compact JSON), then the tail; and only the
    /// tail depends on the counts.
    pub fn json_parts(&self) -> (Vec<u8>, Vec<u8>) {
        debug_assert!(self.entries.is_empty());
        const KEY: &[u8] = b"\"entries\":[";
        let mut v = self.to_json();
        // The last occurrence: only the two counts follow it.
        let at = v
            .windows(KEY.len())
            .rposition(|w| w == KEY)
            .expect("the manifest has entries")
            + KEY.len();
        let tail = v.split_off(at);
        (v, tail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_between_the_parts_give_the_same_bytes_as_serialising_them() {
        let entry = |path: &str, kind, size| Entry {
            path: path.into(),
            kind,
            size,
            mode: 0o644,
            mtime: 1_700_000_000,
            blake3: (kind == EntryKind::File).then(|| "ab".repeat(32)),
            target: None,
        };
        let mut full = Manifest {
            format: "kura-manifest".into(),
            version: 1,
            vault_id: "id".into(),
            created: "2026-11-27T10:00:00+09:00".into(),
            packer: KeyInfo {
                key: "ssh-ed25519 AAAA".into(),
                fingerprint: "SHA256:x".into(),
                comment: "山田 \"dummy\"".into(),
            },
            approval: Approval {
                id: "A-1".into(),
                approved_by: "院長".into(),
                purpose: "\"entries\":[]}".into(),
                delete_by: "2099-12-31".into(),
                document_blake3: None,
                signed: None,
            },
            approval_document: None,
            recipients: vec![],
            file_count: 2,
            total_size: 7,
            streams: vec![],
            entries: vec![
                entry("export", EntryKind::Dir, 0),
                entry("export/a \"b\".txt", EntryKind::File, 3),
                entry("export/c.txt", EntryKind::File, 4),
            ],
        };
        for n in [3, 1, 0] {
            full.entries.truncate(n);
            let mut json = Vec::new();
            for (i, e) in full.entries.iter().enumerate() {
                if i > 0 {
                    json.push(b',');
                }
                serde_json::to_writer(&mut json, e).unwrap();
            }
            let (head, tail) = Manifest {
                entries: vec![],
                ..full.clone()
            }
            .json_parts();
            let joined = [head, json, tail].concat();
            assert_eq!(
                String::from_utf8(joined).unwrap(),
                String::from_utf8(full.to_json()).unwrap()
            );
        }
    }
}
