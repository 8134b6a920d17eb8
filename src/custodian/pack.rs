//! `pack`: the medium rules, then the vault, then the vault and its custody
//! log put in place together.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};

use super::Keys;
use crate::error::Result;
use crate::fsutil::check_clobber;
use crate::guard::{self, Allow, Probe};
use crate::keys::Recipients;
use crate::vault::pack::{ApprovalInput, PackOptions};
use crate::vault::Receipt;

/// Inputs to [`pack`].
pub struct PackRequest<'a> {
    pub inputs: &'a [PathBuf],
    pub approval: &'a ApprovalInput,
    pub opts: &'a PackOptions,
    /// The packer's key (signs the manifest, the receipt and the log).
    pub keys: Keys<'a>,
    pub recipients: &'a Recipients,
    pub now: DateTime<FixedOffset>,
    /// The safety rules the user overrode; the "packed" record says so.
    pub allow: Allow,
    /// Tells what medium a path is on (`guard::system()`, or a fake).
    pub probe: &'a dyn Probe,
}

/// What a finished pack produced.
#[derive(Debug, Clone)]
pub struct Packed {
    pub vault: PathBuf,
    pub custody: PathBuf,
    /// What the custody log's first record says of the vault (counts,
    /// approval, the manifest's and the ciphertext's hashes).
    pub receipt: Receipt,
}

/// Packs the inputs into a vault and writes its custody log with the first
/// ("packed") record. Refused before anything is written: a network output
/// (rule 11), a key on the vault's removable medium, an existing vault or
/// log without `force`.
pub fn pack(req: &PackRequest, progress: &(dyn Fn(u64) + Sync)) -> Result<Packed> {
    let opts = req.opts;
    let output = &opts.output;
    crate::fsutil::check_not_folder(output, "export.kura")?;
    let medium = guard::check_pack_output(req.probe, output, req.allow)?;
    guard::check_key_apart(req.probe, req.keys.paths, output, &medium, req.allow)?;
    let signer = req.keys.signer()?;
    let custody = match opts.split {
        None => crate::naming::custody_path_single(output),
        Some(_) => crate::naming::split_custody_path(output),
    };
    crate::vault::volumes::check_vault_clobber(output, opts.force)?;
    check_clobber(&custody, opts.force)?;

    let sealed = crate::vault::pack::pack(
        &crate::vault::pack::PackRequest {
            inputs: req.inputs,
            approval: req.approval,
            opts,
            signer: &signer,
            recipients: req.recipients,
            now: req.now,
            probe: req.probe,
        },
        progress,
    )?;
    let mut details = serde_json::Map::new();
    let overrides = req.allow.overrides();
    if !overrides.is_empty() {
        details.insert("overrides".into(), overrides.into());
    }
    let log = crate::custody::new_log_bytes_with(&sealed.receipt, &signer, req.now, details)?;
    let (vault, receipt) = (sealed.vault.clone(), sealed.receipt.clone());
    // The vault and its custody log are put in place together.
    let _critical = crate::interrupt::Critical::enter()?;
    sealed.commit()?;
    if let Err(e) = crate::fsutil::write_atomic(&custody, &log, opts.force) {
        for f in crate::vault::volumes::files(output).unwrap_or_default() {
            let _ = std::fs::remove_file(f);
        }
        return Err(e);
    }
    Ok(Packed {
        vault,
        custody,
        receipt,
    })
}
