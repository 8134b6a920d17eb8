//! `kura verify`: decrypt and check everything; write no plaintext.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::progress::Progress;
use super::{bytes, t, IdentityArgs, Report};
use kura::approval::Consent;
use kura::custodian::{self, KeySource, OpenRequest, Opened};
use kura::error::Result;
use kura::naming::custody_path;
use kura::vault::open::Trust;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The vault
    pub vault: PathBuf,
    #[command(flatten)]
    pub id: IdentityArgs,
    /// OpenSSH allowed_signers file: the packer's key must be listed
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub signers: Option<PathBuf>,
    /// Its custody log (default: VAULT.custody)
    #[arg(long, value_name = "FILE")]
    pub custody: Option<PathBuf>,
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
}

/// The lines and JSON both verify and extract report.
pub fn describe(o: &Opened, consent: &Consent, rep: &mut Report) {
    let m = &o.manifest;
    rep.push(t(
        "msg-verified",
        &[
            ("id", &m.vault_id),
            ("files", &m.file_count.to_string()),
            ("size", &bytes(m.total_size)),
        ],
    ));
    match &o.trust {
        Trust::Allowed(p) => rep.push(t(
            "msg-signer-trusted",
            &[("key", &m.packer.display()), ("principal", p)],
        )),
        Trust::Unchecked => rep.push(t("msg-signer-unchecked", &[("key", &m.packer.display())])),
    }
    for l in super::consent::lines(consent, &m.approval.delete_by) {
        rep.push(l);
    }
    if !o.recorded {
        rep.push(t("warn-not-recorded", &[]));
    }
    for s in &o.swept {
        rep.push(t("warn-stage-swept", &[("path", &s.display().to_string())]));
    }
}

pub fn json_of(o: &Opened, consent: &Consent) -> serde_json::Value {
    let m = &o.manifest;
    json!({
        "vault_id": m.vault_id,
        "file_count": m.file_count,
        "total_size": m.total_size,
        "packer": m.packer,
        "approval": m.approval,
        "consent": super::consent::json(consent),
        "signer_trusted": matches!(o.trust, Trust::Allowed(_)),
        "signer_principal": match &o.trust { Trust::Allowed(p) => json!(p), Trust::Unchecked => json!(null) },
        "custody_recorded": o.recorded,
        "destination": o.destination.as_ref().map(|d| d.display().to_string()),
        "stages_removed": o.swept.iter().map(|s| s.display().to_string()).collect::<Vec<_>>(),
    })
}

/// Bytes of file data in the vault, from the receipt in its custody log,
/// for the progress bar (read only when a bar is shown).
pub fn expected_size(custody: &std::path::Path) -> Option<u64> {
    if !Progress::wanted() {
        return None;
    }
    kura::custody::read(custody).ok().map(|c| c.receipt.total_size)
}

pub fn run(a: VerifyArgs) -> Result<Report> {
    let (opened, consent) = checked(&a)?;
    let mut rep = Report::new(json_of(&opened, &consent));
    describe(&opened, &consent, &mut rep);
    Ok(rep)
}

/// Decrypts and checks the whole vault (recording it when the key can
/// sign), with a progress bar on a terminal: `verify`, and `contents`
/// before it lists anything. Returns how its approval stands.
pub fn checked(a: &VerifyArgs) -> Result<(Opened, Consent)> {
    custodian::require_vault(&a.vault)?;
    a.id.check()?;
    super::given("--signers", &a.signers)?;
    super::given("--custody", &a.custody)?;
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let custody = a.custody.clone().unwrap_or_else(|| custody_path(&a.vault));
    let passphrase = a.id.passphrase();
    let req = OpenRequest {
        vault: &a.vault,
        custody: &custody,
        keys: KeySource::Files(a.id.keys(&passphrase)),
        signers: a.signers.as_deref(),
    };
    let progress = Progress::new("msg-progress-verify", expected_size(&custody));
    let opened = custodian::verify(&req, &|n| progress.set(n))?;
    drop(progress);
    let m = &opened.manifest;
    let consent = super::consent::assess(&m.approval, &m.created, clinic_signers.as_ref())?;
    Ok((opened, consent))
}
