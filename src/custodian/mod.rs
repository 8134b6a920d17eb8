//! The custodian runs the operations that leave evidence — pack, verify,
//! extract, certify — each together with its custody record, so that "an
//! operation and its record are committed together" is said once, here.
//!
//! For each operation it:
//! 1. checks what must be checked before any output exists (the medium
//!    rules of `guard`, the outputs that must not be overwritten, the
//!    custody log and its receipt);
//! 2. runs the pipeline (`vault` packs and opens bytes and knows nothing of
//!    the log; `certificate::destroy` destroys);
//! 3. writes the record (`custody`), in the same critical section that
//!    puts the result in place.
//!
//! The layers below it never call up into it: `vault` does not see
//! `custody`, and `custody` sees of the vault only its receipt
//! (docs/ARCHITECTURE.md).

mod certify;
mod open;
mod pack;
mod prune;
mod received;
mod restart;

pub use certify::{certify, dry_run as certify_dry_run, CertifyRequest, DryRun, Issued, Site};
pub use open::{
    check_destination, extract, extract_to_stdout, extraction_destinations, is_stdout_copy, sweep, verify,
    ExtractRequest, KeySource, OpenRequest, Opened, Unrecorded,
};
pub use pack::{pack, PackRequest, Packed};
pub use prune::{decide as prune_decide, dry_run as prune_dry_run, prune, Decision, PruneRequest, Pruned, Verdict};
pub use received::{ReceivedLog, EVENT as CERTIFICATE_RECEIVED};
pub use restart::{restart, Restarted};

use std::path::PathBuf;

use crate::error::Result;
use crate::keys::{Identities, PassphraseSource, SigningKey};

/// Refuses a vault that is not there (a mistyped name, most often) before
/// its custody log is looked for: "the custody log X.custody is missing"
/// would send the user looking for the wrong file. Used by the commands
/// that need the vault's bytes (verify, extract, contents); the others
/// work from the log alone, and a missing log says whether the vault is
/// missing too ([`crate::custody::read`]).
pub fn require_vault(vault: &std::path::Path) -> Result<()> {
    if crate::naming::first_file(vault).exists() {
        return Ok(());
    }
    Err(crate::Error::new(crate::Kind::Io, "err-vault-missing").arg("path", vault.display()))
}

/// How the clinic consented to the vault's export, from its receipt (the
/// manifest carries the same approval, byte for byte, and opening the vault
/// checks that). A signed approval whose signature fails, or whose terms
/// disagree with the fields the vault records, or that does not let this
/// packer pack this vault (its engineers, its recipients, a standing
/// approval's last day, signed by the packer himself), is an integrity
/// error (6);
/// run wherever a vault's receipt is read to act on it.
pub fn consent(
    receipt: &crate::vault::Receipt,
    clinic_signers: Option<&crate::keys::AllowedSigners>,
) -> Result<crate::approval::Consent> {
    let packed = chrono::DateTime::parse_from_rfc3339(&receipt.created)
        .map_err(|_| crate::Error::new(crate::Kind::Integrity, "err-receipt-invalid"))?
        .date_naive();
    let consent = crate::approval::Consent::of(&receipt.approval, packed, clinic_signers)?;
    consent.check_vault(&receipt.packer, &receipt.recipients, packed)?;
    Ok(consent)
}

/// The key files given with `-i` and where their passphrase comes from.
/// They are read only once the checks that need no key have passed, so a
/// refusal never asks for a passphrase first.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub paths: &'a [PathBuf],
    pub passphrase: &'a PassphraseSource,
}

impl Keys<'_> {
    /// Every identity (decrypting, and signing when an SSH key is given).
    pub fn load(&self) -> Result<Identities> {
        if self.paths.is_empty() {
            return Err(crate::Error::new(crate::Kind::Usage, "err-need-identity"));
        }
        Identities::load(self.paths, self.passphrase)
    }

    /// The signing key: the first one given.
    pub fn signer(&self) -> Result<SigningKey> {
        let first = self
            .paths
            .first()
            .ok_or_else(|| crate::Error::new(crate::Kind::Usage, "err-need-identity"))?;
        crate::keys::identity::load_signing_key(first, self.passphrase)
    }
}
