//! `kura verify`: decrypt and check everything; write no plaintext.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::progress::Progress;
use super::{bytes, t, IdentityArgs, Report};
use kura::approval::Consent;
use kura::custodian::{self, KeySource, OpenRequest, Opened, Unrecorded};
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
    /// The custody log is lost: check the vault on its own (needs --signers) and start a new log
    #[arg(long)]
    pub without_receipt: bool,
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
    let log = o.log.display().to_string();
    if let Some(from) = &o.copied_from {
        rep.push(t(
            "msg-custody-copy-started",
            &[("path", &log), ("from", &from.display().to_string())],
        ));
    }
    if o.restarted {
        rep.push(t("msg-custody-restarted", &[("path", &log)]));
    }
    if o.chain.reconstructed() {
        rep.push(t("warn-receipt-unproven", &[("path", &log)]));
    }
    match o.unrecorded {
        Some(Unrecorded::ReadOnly) => rep.push(t("warn-not-recorded-read-only", &[("path", &log)])),
        _ if !o.recorded => rep.push(t("warn-not-recorded", &[])),
        _ => {}
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
        "custody_not_recorded": o.unrecorded.map(Unrecorded::name),
        "custody_log": o.log.display().to_string(),
        "custody_copied_from": o.copied_from.as_ref().map(|p| p.display().to_string()),
        "receipt_reconstructed": o.chain.reconstructed(),
        "custody_restarted": o.restarted,
        "destination": o.destination.as_ref().map(|d| d.display().to_string()),
        "stages_removed": o.swept.iter().map(|s| s.display().to_string()).collect::<Vec<_>>(),
        "streams": m.streams,
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

/// The custody log of `--custody FILE`, else the one beside the vault.
/// FILE may be new when the vault's own log is there (kura may start it as
/// a copy: `custodian::verify`, `custodian::extract`) or `--without-receipt`
/// is given (kura starts the new log there).
pub fn custody_given(vault: &std::path::Path, custody: &Option<PathBuf>, without_receipt: bool) -> Result<PathBuf> {
    let beside = custody_path(vault);
    if !beside.exists() && !without_receipt {
        super::given("--custody", custody)?;
    }
    Ok(custody.clone().unwrap_or(beside))
}

/// With `--without-receipt`: checks the vault on its own and starts its
/// new custody log (`custodian::restart`), with a progress bar of its own.
pub fn restart_if_asked(without_receipt: bool, req: &OpenRequest) -> Result<Option<custodian::Restarted>> {
    if !without_receipt {
        return Ok(None);
    }
    // Without a receipt, how much the vault holds is known only at its end.
    let progress = Progress::new("msg-progress-restart", None);
    custodian::restart(req, &|n| progress.set(n)).map(Some)
}

/// The keys for the operation after a restart: the identities the restart
/// read (so that a key is unlocked once), else those of `keys`.
pub fn keys_after<'a>(restarted: &'a Option<custodian::Restarted>, keys: KeySource<'a>) -> KeySource<'a> {
    match restarted.as_ref().and_then(|r| r.identities.as_deref()) {
        Some(ids) => KeySource::Loaded(ids),
        None => keys,
    }
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
    let custody = custody_given(&a.vault, &a.custody, a.without_receipt)?;
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let passphrase = a.id.passphrase();
    let req = OpenRequest {
        vault: &a.vault,
        custody: &custody,
        keys: KeySource::Files(a.id.keys(&passphrase)),
        signers: a.signers.as_deref(),
    };
    let restarted = restart_if_asked(a.without_receipt, &req)?;
    let req = OpenRequest {
        keys: keys_after(&restarted, req.keys),
        ..req
    };
    let progress = Progress::new("msg-progress-verify", expected_size(&custody));
    let mut opened = custodian::verify(&req, &|n| progress.set(n))?;
    drop(progress);
    opened.restarted = restarted.is_some();
    let m = &opened.manifest;
    let consent = kura::approval::Consent::of_created(&m.approval, &m.created, clinic_signers.as_ref())?;
    Ok((opened, consent))
}
