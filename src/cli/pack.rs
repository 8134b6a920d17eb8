//! `kura pack`: files and folders → vault + custody log.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::progress::Progress;
use super::{bytes, t, IdentityArgs, Report};
use kura::approval::PackUnder;
use kura::custodian::{self, PackRequest};
use kura::error::{Error, Kind, Result};
use kura::keys::Recipients;
use kura::vault::pack::{ApprovalInput, PackOptions};

#[derive(Args, Debug)]
pub struct PackArgs {
    /// The vault to write (its custody log goes to OUT.custody)
    #[arg(short = 'o', long = "output", value_name = "OUT.kura")]
    pub output: PathBuf,
    /// Recipient: an `ssh-ed25519 …` public key line or an `age1…` key (repeatable)
    #[arg(short = 'r', long = "recipient", value_name = "RECIPIENT")]
    pub recipient: Vec<String>,
    /// File of recipients, one per line, `#` comments (repeatable)
    #[arg(short = 'R', long = "recipients-file", value_name = "FILE")]
    pub recipients_file: Vec<PathBuf>,
    #[command(flatten)]
    pub id: IdentityArgs,
    /// The clinic's approval number or reference
    #[arg(long, value_name = "ID")]
    pub approval_id: Option<String>,
    /// Who at the clinic approved in writing
    #[arg(long, value_name = "NAME")]
    pub approved_by: Option<String>,
    /// Why the data leaves the clinic (never a patient's name)
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// Date by which the data must be deleted or returned (YYYY-MM-DD)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub delete_by: Option<String>,
    /// Scan or PDF of the written approval, packed inside the encryption
    #[arg(long, value_name = "FILE", alias = "approval-document")]
    pub approval_doc: Option<PathBuf>,
    /// The clinic's signed approval (kura approve): it gives the approval id, approver, purpose and delete-by
    #[arg(long, value_name = "APPROVAL.json")]
    pub approval: Option<PathBuf>,
    /// The approval's signature (default: APPROVAL.json.sig beside it)
    #[arg(long, value_name = "FILE", requires = "approval")]
    pub approval_sig: Option<PathBuf>,
    /// The clinic's signers file (allowed_signers): whose keys may sign approvals
    #[arg(long, value_name = "FILE", requires = "approval")]
    pub clinic_signers: Option<PathBuf>,
    /// Replace an existing vault and custody log
    #[arg(long)]
    pub force: bool,
    /// Write the vault in age's ASCII armor
    #[arg(long, short = 'a')]
    pub armor: bool,
    /// zstd compression level, 1 (fastest, the default) to 19 (smallest)
    #[arg(long, value_name = "N", default_value_t = kura::vault::format::ZSTD_LEVEL as i64,
          value_parser = clap::value_parser!(i64).range(kura::vault::format::ZSTD_LEVELS))]
    pub level: i64,
    /// Write the vault as volumes OUT.kura.001, OUT.kura.002, … of at most SIZE each (2G, 700M), for FAT sticks
    #[arg(long, value_name = "SIZE")]
    pub split: Option<String>,
    /// Write the vault to a network file system even though rule 11 forbids it
    #[arg(long)]
    pub allow_network: bool,
    /// Let the key (-i) sit on the same removable medium as the vault (whoever finds it can open it)
    #[arg(long)]
    pub allow_key_with_vault: bool,
    /// Files and folders to pack
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Bytes of file data `pack` will read (the inputs and the approval
/// document), for the progress bar; walked only when a bar is shown, and
/// `None` if the walk fails (pack then reports the failure itself).
fn input_size(paths: &[PathBuf], document: Option<&std::path::Path>) -> Option<u64> {
    if !Progress::wanted() {
        return None;
    }
    let sources = kura::vault::walk::collect(paths).ok()?;
    let files: u64 = sources
        .iter()
        .filter(|s| s.entry.kind == kura::vault::EntryKind::File)
        .map(|s| s.entry.size)
        .sum();
    let doc = match document {
        Some(d) => std::fs::metadata(d).ok()?.len(),
        None => 0,
    };
    Some(files + doc)
}

/// A file name given to `-r` (which takes a key itself) is refused with the
/// option that reads files, `-R`.
fn recipient_file_hint(e: Error, value: &str) -> Error {
    if e.id == "err-recipient-invalid" && std::path::Path::new(value).is_file() {
        return Error::new(Kind::Usage, "err-recipient-is-file").arg("value", value);
    }
    e
}

/// The clinic's signed approval named by `--approval`, read with its
/// signature and the clinic's signers; the four typed approval options may
/// not be given beside it (a standing approval's vault may be given an
/// earlier `--delete-by`).
fn signed_approval(a: &PackArgs) -> Result<Option<PackUnder>> {
    let Some(document) = &a.approval else {
        return Ok(None);
    };
    let typed = [
        ("--approval-id", a.approval_id.is_some()),
        ("--approved-by", a.approved_by.is_some()),
        ("--purpose", a.purpose.is_some()),
    ];
    if let Some((flag, _)) = typed.iter().find(|(_, given)| *given) {
        return Err(Error::new(Kind::Usage, "err-approval-typed-too").arg("flag", *flag));
    }
    let Some(signers) = &a.clinic_signers else {
        return Err(Error::new(Kind::Usage, "err-approval-needs-signers"));
    };
    let signature = a
        .approval_sig
        .clone()
        .unwrap_or_else(|| kura::approval::signature_path(document));
    super::given("--approval", [document])?;
    super::given("--approval-sig", [&signature])?;
    super::given("--clinic-signers", [signers])?;
    let mut under = PackUnder::read(document, &signature, signers)?;
    under.delete_by = match &a.delete_by {
        None => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| Error::new(Kind::Refused, "err-delete-by-format").arg("value", d))?,
        ),
    };
    Ok(Some(under))
}

pub fn run(a: PackArgs) -> Result<Report> {
    a.id.check()?;
    super::given("-R", &a.recipients_file)?;
    super::given("--approval-doc", &a.approval_doc)?;
    let under = signed_approval(&a)?;
    let approval = ApprovalInput {
        id: a.approval_id.unwrap_or_default(),
        approved_by: a.approved_by.unwrap_or_default(),
        purpose: a.purpose.unwrap_or_default(),
        delete_by: a.delete_by.unwrap_or_default(),
        document: a.approval_doc,
        signed: None,
        terms: Default::default(),
    };
    let now = kura::clock::now();
    if under.is_none() {
        approval.validate(now.date_naive())?;
    }
    let mut recipients = Recipients::default();
    for (i, r) in a.recipient.iter().enumerate() {
        recipients
            .add(r, &format!("-r #{}", i + 1))
            .map_err(|e| recipient_file_hint(e, r))?;
    }
    for f in &a.recipients_file {
        recipients.add_file(f)?;
    }
    if recipients.is_empty() {
        return Err(Error::new(Kind::Usage, "err-no-recipients"));
    }
    let split = a.split.as_deref().map(super::size::parse_size).transpose()?;
    let allow = kura::guard::Allow {
        network: a.allow_network,
        key_with_vault: a.allow_key_with_vault,
        removable: false,
    };
    let mut opts = PackOptions::new(a.output.clone());
    opts.force = a.force;
    opts.armor = a.armor;
    opts.level = a.level as i32;
    opts.split = split;
    let passphrase = a.id.passphrase();
    let probe = kura::guard::system();
    let req = PackRequest {
        inputs: &a.paths,
        approval: &approval,
        under: under.as_ref(),
        opts: &opts,
        keys: a.id.keys(&passphrase),
        recipients: &recipients,
        now,
        allow,
        probe: probe.as_ref(),
    };
    let progress = Progress::new("msg-progress-pack", input_size(&a.paths, approval.document.as_deref()));
    let packed = custodian::pack(&req, &|n| progress.set(n))?;
    drop(progress);
    let r = &packed.receipt;
    let vault = packed.vault.display().to_string();
    let custody = packed.custody.display().to_string();
    let packer_is_recipient = r.recipients.iter().any(|x| x.fingerprint == r.packer.fingerprint);
    let mut report = Report::new(json!({
        "vault": vault,
        "custody": custody,
        "vault_id": r.vault_id,
        "file_count": r.file_count,
        "total_size": r.total_size,
        "ciphertext": r.ciphertext,
        "manifest_blake3": r.manifest_blake3,
        "recipients": r.recipients,
        "packer": r.packer,
        "approval": r.approval,
        "packer_is_recipient": packer_is_recipient,
    }));
    report.push(t(
        "msg-pack-done",
        &[
            ("vault", &vault),
            ("files", &r.file_count.to_string()),
            ("size", &bytes(r.total_size)),
            ("csize", &bytes(r.ciphertext.size)),
        ],
    ));
    report.push(t("msg-pack-custody", &[("custody", &custody)]));
    report.push(format!("{}: {}", t("msg-f-vault-id", &[]), r.vault_id));
    if !packer_is_recipient {
        // Not refused (a vault for the clinic alone is legitimate), but
        // said: otherwise it is found out at the office.
        let key =
            a.id.identity
                .first()
                .map(|k| k.display().to_string())
                .unwrap_or_default();
        report.push(t(
            "warn-packer-not-recipient",
            &[
                ("fingerprint", &r.packer.fingerprint),
                ("public", &format!("{key}.pub")),
            ],
        ));
    }
    Ok(report)
}
