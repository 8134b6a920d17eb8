//! Recipients: who can open a vault. `-r` takes an `ssh-ed25519 …` line or an
//! `age1…` key; `-R` takes a file in age's recipients-file format (one per
//! line, `#` comments, blank lines ignored).

use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use ssh_key::{Algorithm, HashAlg, PublicKey};

use crate::error::{Error, Kind, Result};

/// Public facts about a recipient, recorded in the manifest and receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientInfo {
    /// `ssh-ed25519` or `x25519` (a native age recipient).
    #[serde(rename = "type")]
    pub kind: String,
    /// `SHA256:…` for SSH keys; the `age1…` string itself for age keys.
    pub fingerprint: String,
    /// The SSH key's comment, if any.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
}

#[derive(Default)]
pub struct Recipients {
    list: Vec<(Box<dyn age::Recipient + Send + Sync>, RecipientInfo)>,
}

const MAX_RECIPIENTS_FILE: u64 = 1 << 20;

impl Recipients {
    /// Adds one recipient string; `origin` names where it came from.
    pub fn add(&mut self, s: &str, origin: &str) -> Result<()> {
        let s = s.trim();
        let bad = || Error::new(Kind::Usage, "err-recipient-invalid").arg("origin", origin);
        let (r, info): (Box<dyn age::Recipient + Send + Sync>, RecipientInfo) = if s.starts_with("age1") {
            let r = age::x25519::Recipient::from_str(s).map_err(|_| bad())?;
            (
                Box::new(r),
                RecipientInfo {
                    kind: "x25519".into(),
                    fingerprint: s.to_string(),
                    comment: String::new(),
                },
            )
        } else if s.starts_with("ssh-") {
            let pk = PublicKey::from_openssh(s).map_err(|_| bad())?;
            if pk.algorithm() != Algorithm::Ed25519 {
                return Err(Error::new(Kind::Usage, "err-recipient-not-ed25519").arg("origin", origin));
            }
            let r = age::ssh::Recipient::from_str(s).map_err(|_| bad())?;
            (
                Box::new(r),
                RecipientInfo {
                    kind: "ssh-ed25519".into(),
                    fingerprint: pk.fingerprint(HashAlg::Sha256).to_string(),
                    comment: pk.comment().to_string(),
                },
            )
        } else {
            return Err(bad());
        };
        if !self.list.iter().any(|(_, i)| i.fingerprint == info.fingerprint) {
            self.list.push((r, info));
        }
        Ok(())
    }

    /// Adds every recipient in an age recipients file.
    pub fn add_file(&mut self, path: &Path) -> Result<()> {
        let text = crate::fsutil::read_bounded_text(path, MAX_RECIPIENTS_FILE)?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            self.add(line, &format!("{}:{}", path.display(), n + 1))?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn infos(&self) -> Vec<RecipientInfo> {
        self.list.iter().map(|(_, i)| i.clone()).collect()
    }

    pub fn age_recipients(&self) -> impl Iterator<Item = &dyn age::Recipient> {
        self.list.iter().map(|(r, _)| r.as_ref() as &dyn age::Recipient)
    }
}
