//! Deletion and return certificates (docs/CERTIFICATE.md).
//!
//! A certificate is what `custodian::certify` issues once it has destroyed
//! the plaintext copies and (for a deletion) the vault and appended the
//! certifying custody record: `CERT.json` with the complete chain up to and
//! including that record, plus `CERT.json.sig` (SSHSIG, namespace
//! `kura-certificate`). Here: its [`model`], how [`destroy`] overwrites and
//! removes, [`verify`] (what a clinic runs against its own copy of the
//! custody log), [`render`] (the printable page) and [`witness`] (the
//! countersignatures of people who watched).

pub mod destroy;
pub mod model;
pub mod render;
pub mod verify;
pub mod witness;

use std::path::{Path, PathBuf};

pub use model::Certificate;
use model::{ACTION_DELETED, ACTION_RETURNED};
pub use verify::{verify, verify_files, Verified};

/// The signature file beside a certificate: `CERT.json.sig`.
pub fn sig_path(cert: &Path) -> PathBuf {
    let mut s = cert.as_os_str().to_os_string();
    s.push(".sig");
    PathBuf::from(s)
}

/// What is being certified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The vault and the listed copies are destroyed.
    Deleted,
    /// The medium goes back intact; listed copies (if any) are destroyed.
    Returned,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Deleted => ACTION_DELETED,
            Action::Returned => ACTION_RETURNED,
        }
    }
}
