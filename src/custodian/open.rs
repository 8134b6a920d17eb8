//! `verify` and `extract`: the custody log read and checked first (its first
//! record holds the signed receipt the vault is opened against), the vault
//! opened, and the operation recorded.

use std::path::{Path, PathBuf};

use super::Keys;
use crate::custody::{self, Chain, NewEvent};
use crate::error::Result;
use crate::guard::{self, Allow, Probe};
use crate::keys::{AllowedSigners, Identities};
use crate::vault::open::{self as vault_open, Trust};
use crate::vault::{Manifest, Receipt};

/// Where the identities come from: key files read when the checks that need
/// no key have passed, or identities already loaded.
#[derive(Clone, Copy)]
pub enum KeySource<'a> {
    Files(Keys<'a>),
    Loaded(&'a Identities),
}

impl KeySource<'_> {
    fn paths(&self) -> &[PathBuf] {
        match self {
            KeySource::Files(k) => k.paths,
            KeySource::Loaded(ids) => &ids.paths,
        }
    }
}

/// Inputs to [`verify`] and [`extract`].
pub struct OpenRequest<'a> {
    pub vault: &'a Path,
    /// The custody log (normally the sidecar `VAULT.custody`).
    pub custody: &'a Path,
    pub keys: KeySource<'a>,
    /// An OpenSSH allowed_signers file the packer must be listed in.
    pub signers: Option<&'a Path>,
}

/// Where and how [`extract`] puts the files.
pub struct ExtractRequest<'a> {
    pub open: OpenRequest<'a>,
    pub dest: &'a Path,
    /// Replace existing files in DEST.
    pub force: bool,
    /// The medium rules the user overrode; the "extracted" record says so.
    pub allow: Allow,
    pub probe: &'a dyn Probe,
}

/// What a successful verify or extract established.
#[derive(Debug, Clone)]
pub struct Opened {
    pub manifest: Manifest,
    pub receipt: Receipt,
    pub chain: Chain,
    pub trust: Trust,
    /// Where the files were put (extract only).
    pub destination: Option<PathBuf>,
    /// Whether a custody record was appended (needs an SSH signing key).
    pub recorded: bool,
}

/// Identities read from files, or lent by the caller.
enum Held<'a> {
    Read(Box<Identities>),
    Lent(&'a Identities),
}

impl std::ops::Deref for Held<'_> {
    type Target = Identities;
    fn deref(&self) -> &Identities {
        match self {
            Held::Read(ids) => ids,
            Held::Lent(ids) => ids,
        }
    }
}

/// The identities and trust list, loaded in that order.
fn load<'a>(req: &OpenRequest<'a>) -> Result<(Held<'a>, Option<AllowedSigners>)> {
    let ids = match req.keys {
        KeySource::Files(k) => Held::Read(Box::new(k.load()?)),
        KeySource::Loaded(ids) => Held::Lent(ids),
    };
    let signers = req.signers.map(AllowedSigners::load).transpose()?;
    Ok((ids, signers))
}

/// Opens the vault against the receipt of its custody log, passing the
/// members to `open` (verify or extract).
fn open_with(
    req: &OpenRequest,
    ids: &Identities,
    signers: Option<&AllowedSigners>,
    chain: Chain,
    open: impl FnOnce(&vault_open::OpenRequest) -> Result<vault_open::Opened>,
) -> Result<Opened> {
    let opened = open(&vault_open::OpenRequest {
        vault: req.vault,
        receipt: &chain.receipt,
        identities: ids,
        signers,
    })?;
    Ok(Opened {
        manifest: opened.manifest,
        receipt: opened.receipt,
        chain,
        trust: opened.trust,
        destination: None,
        recorded: false,
    })
}

/// Verifies a vault without writing any plaintext, then records "verified"
/// in the custody log (when an SSH key is among the identities).
pub fn verify(req: &OpenRequest, progress: &dyn Fn(u64)) -> Result<Opened> {
    let (ids, signers) = load(req)?;
    let chain = custody::read(req.custody)?;
    let mut opened = open_with(req, &ids, signers.as_ref(), chain, |r| vault_open::verify(r, progress))?;
    if let Some(signer) = &ids.signer {
        let ev = NewEvent::new("verified").detail("result", "ok");
        custody::append(req.custody, ev, signer, crate::clock::now())?;
        opened.recorded = true;
    }
    Ok(opened)
}

/// Checks the medium rules, decrypts, checks everything, only then puts
/// the members in DEST, and records "extracted" with where they went and
/// the rules the user overrode.
pub fn extract(req: &ExtractRequest, progress: &dyn Fn(u64)) -> Result<Opened> {
    let open = &req.open;
    let chain = custody::read(open.custody);
    // What the receipt says is coming (a receipt declaring a bomb is refused
    // as such, not as a lack of space).
    let need = match &chain {
        Ok(c) => {
            crate::vault::bounds::check_receipt(&c.receipt)?;
            Some((c.receipt.total_size, c.receipt.file_count))
        }
        Err(_) => None,
    };
    guard::extract_rules(req.probe, open.vault, req.dest, open.keys.paths(), req.allow, need)?;
    let (ids, signers) = load(open)?;
    let mut opened = open_with(open, &ids, signers.as_ref(), chain?, |r| {
        vault_open::extract(r, req.dest, req.force, progress)
    })?;
    let abs = std::fs::canonicalize(req.dest).unwrap_or_else(|_| req.dest.to_path_buf());
    opened.destination = Some(abs.clone());
    // The files are in place: their custody record is written even if an
    // interruption comes now.
    let _critical = crate::interrupt::Critical::hold();
    if let Some(signer) = &ids.signer {
        let mut ev = NewEvent::new("extracted").detail("destination", abs.to_string_lossy().into_owned());
        let overrides = req.allow.overrides();
        if !overrides.is_empty() {
            ev = ev.detail("overrides", overrides);
        }
        custody::append(open.custody, ev, signer, crate::clock::now())?;
        opened.recorded = true;
    }
    Ok(opened)
}
