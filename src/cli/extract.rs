//! `kura extract`: verify, then put the files in DEST.

use std::path::PathBuf;

use clap::Args;

use super::progress::Progress;
use super::verify::{describe, expected_size, json_of};
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
    let custody = a.custody.clone().unwrap_or_else(|| custody_path(&a.vault));
    let allow = crate::guard::Allow {
        removable: a.allow_removable,
        network: a.allow_network,
        key_with_vault: a.allow_key_with_vault,
    };
    // What the receipt says is coming (a receipt declaring a bomb is refused
    // as such, not as a lack of space).
    let need = match crate::custody::read(&custody) {
        Ok(c) => {
            crate::vault::bounds::check_receipt(&c.receipt)?;
            Some((c.receipt.total_size, c.receipt.file_count))
        }
        Err(_) => None,
    };
    crate::guard::extract_rules(&a.vault, &a.dest, &a.id.identity, allow, need)?;
    let ids = a.id.load()?;
    let signers = a.signers.as_deref().map(AllowedSigners::load).transpose()?;
    let req = OpenRequest {
        vault: &a.vault,
        custody: &custody,
        identities: &ids,
        signers: signers.as_ref(),
    };
    let progress = Progress::new("msg-progress-extract", expected_size(&custody));
    let overrides: Vec<&str> = [
        (a.allow_removable, "allow-removable"),
        (a.allow_network, "allow-network"),
        (a.allow_key_with_vault, "allow-key-with-vault"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    let opened = open::extract_with(&req, &a.dest, a.force, &overrides, &|n| progress.set(n))?;
    drop(progress);
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
