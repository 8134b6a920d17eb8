//! `kura extract`: verify, then put the files in DEST.

use std::path::PathBuf;

use clap::Args;

use super::progress::Progress;
use super::verify::{describe, expected_size, json_of};
use super::{t, IdentityArgs, Report};
use kura::custodian::{self, ExtractRequest, KeySource, OpenRequest};
use kura::error::Result;
use kura::naming::custody_path;

#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The vault
    pub vault: PathBuf,
    #[command(flatten)]
    pub id: IdentityArgs,
    /// Destination folder: new or empty (created if missing)
    #[arg(short = 'C', long = "directory", value_name = "DEST")]
    pub dest: PathBuf,
    /// OpenSSH allowed_signers file: the packer's key must be listed
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub signers: Option<PathBuf>,
    /// Its custody log (default: VAULT.custody)
    #[arg(long, value_name = "FILE")]
    pub custody: Option<PathBuf>,
    /// Extract onto a removable or portable medium even though rule 10 forbids plaintext there
    #[arg(long)]
    pub allow_removable: bool,
    /// Extract onto a network file system even though rule 11 forbids it
    #[arg(long)]
    pub allow_network: bool,
    /// Let the key (-i) sit on the same removable medium as the vault
    #[arg(long)]
    pub allow_key_with_vault: bool,
}

pub fn run(a: ExtractArgs) -> Result<Report> {
    custodian::require_vault(&a.vault)?;
    a.id.check()?;
    super::given("--signers", &a.signers)?;
    super::given("--custody", &a.custody)?;
    let custody = a.custody.clone().unwrap_or_else(|| custody_path(&a.vault));
    let allow = kura::guard::Allow {
        removable: a.allow_removable,
        network: a.allow_network,
        key_with_vault: a.allow_key_with_vault,
    };
    let passphrase = a.id.passphrase();
    let probe = kura::guard::system();
    let req = ExtractRequest {
        open: OpenRequest {
            vault: &a.vault,
            custody: &custody,
            keys: KeySource::Files(a.id.keys(&passphrase)),
            signers: a.signers.as_deref(),
        },
        dest: &a.dest,
        allow,
        probe: probe.as_ref(),
    };
    let progress = Progress::new("msg-progress-extract", expected_size(&custody));
    let opened = custodian::extract(&req, &|n| progress.set(n))?;
    drop(progress);
    let m = &opened.manifest;
    let consent = super::consent::assess(&m.approval, &m.created, None)?;
    let mut rep = Report::new(json_of(&opened, &consent));
    describe(&opened, &consent, &mut rep);
    let dest = opened
        .destination
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    rep.push(t("msg-extracted", &[("dest", &dest)]));
    rep.push(t("msg-extract-reminder", &[]));
    Ok(rep)
}
