//! `kura extract`: verify, then put the files in DEST.

use std::path::PathBuf;

use clap::Args;

use super::progress::Progress;
use super::verify::{describe, expected_size, json_of};
use super::{t, IdentityArgs, Report};
use kura::custodian::{self, ExtractRequest, KeySource, OpenRequest};
use kura::error::Result;

#[derive(Args, Debug)]
pub struct ExtractArgs {
    /// The vault
    pub vault: PathBuf,
    #[command(flatten)]
    pub id: IdentityArgs,
    /// Destination folder: new or empty (created if missing)
    #[arg(
        short = 'C',
        long = "directory",
        value_name = "DEST",
        required_unless_present = "to_stdout",
        conflicts_with = "to_stdout"
    )]
    pub dest: Option<PathBuf>,
    /// Write one file (MEMBER, as `contents` lists it; a packed stream by its name) to standard output, after checking the vault against its receipt
    #[arg(long, value_name = "MEMBER")]
    pub to_stdout: Option<String>,
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
    /// The custody log is lost: check the vault on its own (needs --signers) and start a new log
    #[arg(long)]
    pub without_receipt: bool,
}

pub fn run(a: ExtractArgs) -> Result<Report> {
    custodian::require_vault(&a.vault)?;
    a.id.check()?;
    super::given("--signers", &a.signers)?;
    let custody = super::verify::custody_given(&a.vault, &a.custody, a.without_receipt)?;
    let allow = kura::guard::Allow {
        removable: a.allow_removable,
        network: a.allow_network,
        key_with_vault: a.allow_key_with_vault,
    };
    let passphrase = a.id.passphrase();
    if let Some(member) = &a.to_stdout {
        super::stdout_for_data()?;
        let req = OpenRequest {
            vault: &a.vault,
            custody: &custody,
            keys: KeySource::Files(a.id.keys(&passphrase)),
            signers: a.signers.as_deref(),
        };
        return to_stdout(&req, member);
    }
    let Some(dest) = a.dest.as_deref() else {
        return Err(kura::error::Error::new(
            kura::error::Kind::Usage,
            "err-extract-needs-dest",
        ));
    };
    let probe = kura::guard::system();
    let req = ExtractRequest {
        open: OpenRequest {
            vault: &a.vault,
            custody: &custody,
            keys: KeySource::Files(a.id.keys(&passphrase)),
            signers: a.signers.as_deref(),
        },
        dest,
        allow,
        probe: probe.as_ref(),
    };
    if a.without_receipt {
        custodian::check_destination(&req)?;
    }
    let restarted = super::verify::restart_if_asked(a.without_receipt, &req.open)?;
    let req = ExtractRequest {
        open: OpenRequest {
            keys: super::verify::keys_after(&restarted, req.open.keys),
            ..req.open
        },
        ..req
    };
    let progress = Progress::new("msg-progress-extract", expected_size(&custody));
    let mut opened = custodian::extract(&req, &|n| progress.set(n))?;
    drop(progress);
    opened.restarted = restarted.is_some();
    let m = &opened.manifest;
    let consent = kura::approval::Consent::of_created(&m.approval, &m.created, None)?;
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

/// `--to-stdout MEMBER`: the file's bytes on standard output, kura's own
/// lines on stderr.
fn to_stdout(req: &OpenRequest, member: &str) -> Result<Report> {
    let progress = Progress::new("msg-progress-extract", expected_size(req.custody));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let (opened, sent) = custodian::extract_to_stdout(req, member, &mut out, &|n| progress.set(n))?;
    drop(out);
    drop(progress);
    let m = &opened.manifest;
    let consent = kura::approval::Consent::of_created(&m.approval, &m.created, None)?;
    let mut json = json_of(&opened, &consent);
    if let serde_json::Value::Object(m) = &mut json {
        m.insert("to_stdout".into(), member.into());
        m.insert("bytes".into(), sent.into());
    }
    let mut rep = Report::new(json);
    describe(&opened, &consent, &mut rep);
    rep.push(t(
        "msg-to-stdout-done",
        &[("member", member), ("size", &super::bytes(sent))],
    ));
    rep.push(t("msg-to-stdout-copy", &[]));
    Ok(rep)
}
