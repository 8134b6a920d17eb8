//! A vault whose custody log is lost (`verify`/`extract --without-receipt`):
//! the vault is read through and checked on its own — every member against
//! the signed manifest, the manifest's signature, the packer against the
//! allowed signers the user names — and a new log is started whose first
//! record, `restarted`, holds the receipt rebuilt from what was checked
//! (docs/FORMAT.md 4.6). The operation itself then runs against that log
//! as against any other.
//!
//! What is lost with the old log stays lost: nothing proves that this
//! ciphertext is the one that was packed and handed over (an older vault
//! of the same packer, say), and the records of what was done with it
//! before are gone. The new log and every report say so.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::open::OpenRequest;
use crate::custody;
use crate::error::{Error, IoContext, Kind, Result};
use crate::keys::{AllowedSigners, Identities};
use crate::vault::open as vault_open;

/// What [`restart`] did.
pub struct Restarted {
    /// The new log.
    pub log: PathBuf,
    /// The name the allowed signers give the packer.
    pub principal: String,
    /// The identities read from the key files, to lend to the operation
    /// that follows (its key is then not unlocked a second time).
    pub identities: Option<Box<Identities>>,
}

/// Refuses `--without-receipt` while a log is there to check against:
/// the flag is for a lost log, never a way around one that disagrees.
fn require_lost(vault: &Path, log: &Path) -> Result<()> {
    let beside = crate::naming::custody_path(vault);
    for p in [log, beside.as_path()] {
        if std::fs::symlink_metadata(p).is_ok() {
            return Err(Error::new(Kind::Usage, "err-without-receipt-log-present").arg("path", p.display()));
        }
    }
    Ok(())
}

/// Starts a new custody log at `req.custody` for a vault whose log is lost
/// (see the module). Needs an allowed signers file (the manifest's
/// signature is then all that says who packed the vault) and a key that
/// signs (the new log's first record). Refused, with nothing written, when
/// a log is there, or the vault fails any check.
pub fn restart(req: &OpenRequest, progress: &dyn Fn(u64)) -> Result<Restarted> {
    super::require_vault(req.vault)?;
    require_lost(req.vault, req.custody)?;
    if req.signers.is_none() {
        return Err(Error::new(Kind::Usage, "err-without-receipt-needs-signers"));
    }
    let (ids, signers) = super::open::load(req)?;
    let signers: AllowedSigners =
        signers.ok_or_else(|| Error::new(Kind::Usage, "err-without-receipt-needs-signers"))?;
    let signer = ids
        .signer
        .as_ref()
        .ok_or_else(|| Error::new(Kind::Key, "err-without-receipt-needs-signer"))?;
    // Where the new log goes must take it (a write-protected disk does
    // not), found before the vault is read through.
    let mut out = crate::fsutil::AtomicFile::create(req.custody, false).map_err(|e| match e.kind {
        Kind::Io => Error::new(Kind::Io, "err-restart-unwritable")
            .arg("path", req.custody.display())
            .arg_error("reason", e),
        _ => e,
    })?;
    let (opened, principal) = vault_open::rebuild_receipt(req.vault, &ids, &signers, progress)?;
    let mut details = Map::new();
    details.insert("packer_principal".into(), Value::String(principal.clone()));
    let bytes = custody::restarted_log_bytes(&opened.receipt, signer, crate::clock::now(), details)?;
    std::io::Write::write_all(out.file(), &bytes).at(req.custody.display())?;
    out.commit()?;
    Ok(Restarted {
        log: req.custody.to_path_buf(),
        principal,
        identities: ids.into_read(),
    })
}
