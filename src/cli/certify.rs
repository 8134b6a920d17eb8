//! `kura certify`: destroy (or hand back), record, and issue a signed
//! certificate.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{bytes, t, Report};
use kura::certificate::{model, Action};
use kura::custodian::{self, CertifyRequest};
use kura::error::{Error, Kind, Result};
use kura::naming::custody_path;

#[derive(Args, Debug)]
#[command(after_help = "The certificate can be checked with OpenSSH alone:\n  \
ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n kura-certificate -s CERT.json.sig < CERT.json")]
pub struct CertifyArgs {
    /// The vault
    pub vault: PathBuf,
    /// Destroy the vault and these plaintext copies (files or folders, recursively), then certify the deletion
    #[arg(long, value_name = "PATH", num_args = 0.., conflicts_with = "returned")]
    pub deleted: Option<Vec<PathBuf>>,
    /// Certify that the medium is handed back with the vault intact
    #[arg(long)]
    pub returned: bool,
    /// With --returned: plaintext copies to destroy before certifying the return
    #[arg(long, value_name = "PATH", requires = "returned")]
    pub destroy: Vec<PathBuf>,
    /// My OpenSSH Ed25519 key (signs the custody record and the certificate)
    #[arg(short = 'i', long = "identity", value_name = "KEY", required = true)]
    pub identity: PathBuf,
    /// File holding the key's passphrase
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Command that prints the key's passphrase, run by the shell (else $KURA_PASSPHRASE_COMMAND)
    #[arg(long, value_name = "CMD", conflicts_with = "passphrase_file")]
    pub passphrase_command: Option<String>,
    /// The certificate to write (its signature goes to CERT.json.sig)
    #[arg(short = 'o', long = "output", value_name = "CERT.json")]
    pub output: PathBuf,
    /// Issuer's name on the certificate (default: the key's comment)
    #[arg(long, value_name = "NAME")]
    pub issuer_name: Option<String>,
    /// Issuer's organisation (left empty when not given)
    #[arg(long, value_name = "NAME")]
    pub organisation: Option<String>,
    /// Note for the custody record (never patient information)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Its custody log (default: VAULT.custody)
    #[arg(long, value_name = "FILE")]
    pub custody: Option<PathBuf>,
    /// Replace an existing CERT.json and CERT.json.sig
    #[arg(long)]
    pub force: bool,
    /// Run every check and list what would be destroyed, but destroy nothing and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// The medium's asset number, recorded in the certificate
    #[arg(long, value_name = "TEXT")]
    pub medium_id: Option<String>,
    /// Where this is done (a clinic's room, an office), recorded in the certificate
    #[arg(long, value_name = "TEXT")]
    pub place: Option<String>,
    /// The issuer's title or role, recorded in the certificate
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// How to reach the issuer (phone or e-mail), recorded in the certificate
    #[arg(long, value_name = "TEXT")]
    pub contact: Option<String>,
    /// What happens to the medium afterwards: kept, returned, destroyed or reused
    #[arg(long, value_name = "WHAT")]
    pub medium_after: Option<String>,
}

pub fn run(a: CertifyArgs) -> Result<Report> {
    let (action, paths) = match (&a.deleted, a.returned) {
        (Some(p), false) => (Action::Deleted, p.clone()),
        (None, true) => (Action::Returned, a.destroy.clone()),
        _ => return Err(Error::new(Kind::Usage, "err-certify-action")),
    };
    super::given("-i", [&a.identity])?;
    super::given("--passphrase-file", &a.passphrase_file)?;
    super::given("--custody", &a.custody)?;
    super::given("--deleted", &paths)?;
    let pass = kura::keys::PassphraseSource::with_command(a.passphrase_file.clone(), a.passphrase_command.clone());
    let signer = kura::keys::identity::load_signing_key(&a.identity, &pass)?;
    let custody = a.custody.clone().unwrap_or_else(|| custody_path(&a.vault));
    let probe = kura::guard::system();
    let req = CertifyRequest {
        vault: &a.vault,
        custody: &custody,
        action,
        paths: &paths,
        signer: &signer,
        issuer_name: a.issuer_name.clone(),
        organisation: a.organisation.clone(),
        note: a.note.clone(),
        output: &a.output,
        force: a.force,
        probe: probe.as_ref(),
        site: custodian::Site {
            place: a.place.clone().unwrap_or_default(),
            medium_id: a.medium_id.clone().unwrap_or_default(),
            medium_after: a.medium_after.clone().unwrap_or_default(),
            title: a.title.clone().unwrap_or_default(),
            contact: a.contact.clone().unwrap_or_default(),
        },
    };
    if a.dry_run {
        return Ok(dry_run(custodian::certify_dry_run(&req)?));
    }
    let issued = custodian::certify(&req)?;
    let c = &issued.certificate;
    let mut rep = Report::new(json!({
        "certificate": issued.path.display().to_string(),
        "signature": issued.sig_path.display().to_string(),
        "custody_record": issued.record.seq,
        "stages_removed": issued.swept.iter().map(|s| s.display().to_string()).collect::<Vec<_>>(),
        "content": c,
    }));
    for i in &c.items {
        let id = match (i.role.as_str(), i.outcome.as_str()) {
            (model::ROLE_VAULT, model::OUTCOME_KEPT) => "msg-certify-kept",
            _ => "msg-certify-destroyed",
        };
        let (files, size) = (i.files.to_string(), bytes(i.size));
        rep.push(t(id, &[("path", &i.path), ("files", &files), ("size", &size)]));
        for l in super::certificate::item_medium_lines(i) {
            rep.push(format!("  {l}"));
        }
    }
    for s in &issued.swept {
        rep.push(t("warn-stage-swept", &[("path", &s.display().to_string())]));
    }
    other_hosts(&mut rep, &c.verification.extractions);
    let seq = issued.record.seq.to_string();
    let event = super::label("event", &c.action);
    rep.push(t("msg-custody-added", &[("n", &seq), ("event", &event)]));
    let sig = issued.sig_path.display().to_string();
    rep.push(t(
        "msg-certify-written",
        &[("cert", &issued.path.display().to_string()), ("sig", &sig)],
    ));
    if !c.on_time {
        rep.push(t("warn-certify-late", &[("delete_by", &c.delete_by)]));
    }
    if c.method.category == "clear" {
        rep.push(t("msg-certify-caveat", &[]));
    }
    Ok(rep)
}

/// A note for each extracted copy made on another computer, and for each
/// file sent to standard output.
fn other_hosts(rep: &mut Report, extractions: &[model::Extraction]) {
    for x in extractions.iter().filter(|x| x.status == model::EXTRACTION_OTHER_HOST) {
        rep.push(t(
            "warn-certify-other-host",
            &[("path", &x.destination), ("host", &x.host)],
        ));
    }
    for x in extractions.iter().filter(|x| x.status == model::EXTRACTION_STREAMED) {
        rep.push(t(
            "warn-certify-streamed",
            &[("n", &x.record.to_string()), ("host", &x.host)],
        ));
    }
}

/// `--dry-run`: what certify would destroy, keep or state as lost.
fn dry_run(d: custodian::DryRun) -> Report {
    let doomed = d.items.iter().filter(|i| i.outcome == model::OUTCOME_DESTROYED);
    let (files, size) = doomed.fold((0, 0), |(f, s), i| (f + i.files, s + i.size));
    let mut rep = Report::new(json!({
        "dry_run": true,
        "items": d.items,
        "files": files,
        "bytes": size,
        "extractions": d.extractions,
    }));
    for i in &d.items {
        let id = match i.outcome.as_str() {
            model::OUTCOME_KEPT => "msg-certify-would-keep",
            model::OUTCOME_LOST => "msg-certify-would-state-lost",
            _ => "msg-certify-would-destroy",
        };
        let (n, b) = (i.files.to_string(), bytes(i.size));
        rep.push(t(id, &[("path", &i.path), ("files", &n), ("size", &b)]));
        for l in super::certificate::item_medium_lines(i) {
            rep.push(format!("  {l}"));
        }
    }
    other_hosts(&mut rep, &d.extractions);
    let (n, b) = (files.to_string(), bytes(size));
    rep.push(t("msg-certify-dry-run", &[("files", &n), ("size", &b)]));
    rep
}
