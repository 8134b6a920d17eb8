//! `kura extract`: verify, then put the files in DEST.

use std::path::PathBuf;

use clap::Args;

use super::verify::{describe, json_of};
use super::{t, IdentityArgs, Report};
use crate::error::Result;
use crate::keys::AllowedSigners;
use crate::vault::format::custody_path;
use crate::vault::open::{self, OpenRequest};

#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The vault
    pub vault: PathBuf,
    #[command(flatten)]
    pub id: IdentityArgs,
    /// Destination folder (created if missing)
    #[arg(short = 'C', long = "directory", value_name = "DEST")]
    pub dest: PathBuf,
    /// OpenSSH allowed_signers file: the packer's key must be listed
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub signers: Option<PathBuf>,
    /// Its custody log (default: VAULT.custody)
    #[arg(long, value_name = "FILE")]
    pub custody: Option<PathBuf>,
    /// Replace existing files in DEST
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: ExtractArgs) -> Result<Report> {
    let ids = a.id.load()?;
    let signers = a.signers.as_deref().map(AllowedSigners::load).transpose()?;
    let custody = a.custody.clone().unwrap_or_else(|| custody_path(&a.vault));
    let req = OpenRequest {
        vault: &a.vault,
        custody: &custody,
        identities: &ids,
        signers: signers.as_ref(),
    };
    let opened = open::extract(&req, &a.dest, a.force, &|_| {})?;
    let mut rep = Report::new(json_of(&opened));
    describe(&opened, &mut rep);
    let dest = opened
        .destination
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    rep.push(t("msg-extracted", &[("dest", &dest)]));
    rep.push(t("msg-extract-reminder", &[]));
    Ok(rep)
}
