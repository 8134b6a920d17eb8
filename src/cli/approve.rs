//! `kura approve`: the clinic signs its take-out approval (APPROVAL.json and
//! APPROVAL.json.sig) for the engineer to pack under.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;
use serde_json::json;

use super::{t, IdentityArgs, Report};
use kura::approval::{self, Approval, Approver, Clinic, Disposal, Standing};
use kura::error::{Error, Kind, Result};
use kura::keys::Recipients;

#[derive(Args, Debug)]
pub struct ApproveArgs {
    /// The approval to write (its signature goes to APPROVAL.json.sig)
    #[arg(short = 'o', long = "output", value_name = "APPROVAL.json")]
    pub output: PathBuf,
    #[command(flatten)]
    pub id: IdentityArgs,
    /// The clinic's number for this approval (its form number)
    #[arg(long, value_name = "ID", required = true)]
    pub approval_id: String,
    /// Who approves (the person responsible for the clinic's information systems, or its director)
    #[arg(long, value_name = "NAME", required = true)]
    pub approved_by: String,
    /// The approver's role
    #[arg(long, value_name = "ROLE", required = true)]
    pub role: String,
    /// The medical institution's name
    #[arg(long, value_name = "NAME", required = true)]
    pub clinic: String,
    /// The medical institution code
    #[arg(long, value_name = "CODE")]
    pub clinic_code: Option<String>,
    /// An engineer who may pack: an OpenSSH public key line or a .pub file (repeatable)
    #[arg(long, value_name = "PUBKEY", required = true)]
    pub engineer: Vec<String>,
    /// A key every vault must be encrypted to, normally the clinic's own: ssh-ed25519 or age1… (repeatable)
    #[arg(long, value_name = "PUBKEY", required = true)]
    pub recipient: Vec<String>,
    /// Why the data leaves the clinic
    #[arg(long, value_name = "TEXT", required = true)]
    pub purpose: String,
    /// What data: kinds, tables, period (never a patient's name)
    #[arg(long, value_name = "TEXT", required = true)]
    pub scope: String,
    /// Date by which the data must be deleted or returned (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "YYYY-MM-DD",
        required_unless_present = "standing",
        conflicts_with = "standing"
    )]
    pub delete_by: Option<String>,
    /// A standing approval for recurring exports (with --keep-days instead of --delete-by)
    #[arg(long, requires = "keep_days")]
    pub standing: bool,
    /// Standing approval: each vault is deleted at most N days after it is packed
    #[arg(long, value_name = "N", requires = "standing", value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub keep_days: Option<u32>,
    /// Standing approval: no vault may be packed under it after this day (YYYY-MM-DD)
    #[arg(long, value_name = "YYYY-MM-DD", requires = "standing")]
    pub valid_until: Option<String>,
    /// The data is returned to the clinic at the end, not deleted
    #[arg(id = "return", long = "return")]
    pub return_: bool,
    /// The device or medium allowed
    #[arg(long, value_name = "TEXT")]
    pub medium: Option<String>,
    /// Where the data goes
    #[arg(long, value_name = "TEXT")]
    pub destination: Option<String>,
    /// How it is stored there
    #[arg(long, value_name = "TEXT")]
    pub storage: Option<String>,
    /// What is done if it is lost
    #[arg(long, value_name = "TEXT")]
    pub loss_plan: Option<String>,
    /// The most data a vault may hold, before compression (700M, 2G)
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// The most files a vault may hold
    #[arg(long, value_name = "N")]
    pub max_files: Option<u64>,
    /// Scan of the paper approval: its BLAKE3 is signed, and the engineer packs it with --approval-doc
    #[arg(long, value_name = "FILE")]
    pub document: Option<PathBuf>,
    /// Replace an existing APPROVAL.json and its signature
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub ledger: super::ledger::LedgerPath,
}

/// A day given as `YYYY-MM-DD` to `option`, not before `today`.
fn day(option: &str, value: &str, today: NaiveDate) -> Result<NaiveDate> {
    let d = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        Error::new(Kind::Usage, "err-approve-date")
            .arg("option", option)
            .arg("value", value)
    })?;
    if d < today {
        return Err(Error::new(Kind::Refused, "err-approve-date-past")
            .arg("option", option)
            .arg("date", d)
            .arg("today", today));
    }
    Ok(d)
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Refuses a text option that would not read back as given: empty (when
/// required), a space at either end, or a control character (a line break
/// included), naming the option.
fn check_texts(a: &ApproveArgs) -> Result<()> {
    let required = [
        ("--approval-id", Some(&a.approval_id)),
        ("--approved-by", Some(&a.approved_by)),
        ("--role", Some(&a.role)),
        ("--clinic", Some(&a.clinic)),
        ("--purpose", Some(&a.purpose)),
        ("--scope", Some(&a.scope)),
    ];
    let optional = [
        ("--clinic-code", a.clinic_code.as_ref()),
        ("--medium", a.medium.as_ref()),
        ("--destination", a.destination.as_ref()),
        ("--storage", a.storage.as_ref()),
        ("--loss-plan", a.loss_plan.as_ref()),
    ];
    for (option, value) in required.iter().chain(optional.iter()) {
        let Some(v) = value else { continue };
        let id = if v.chars().any(kura::i18n::is_control) {
            "err-approve-control"
        } else if v.trim().is_empty() {
            "err-approve-empty"
        } else if v.trim() != v.as_str() {
            "err-approve-padded"
        } else {
            continue;
        };
        return Err(Error::new(Kind::Usage, id).arg("option", *option));
    }
    Ok(())
}

/// The approval as the options describe it, checked as kura reads one.
fn approval(a: &ApproveArgs, now: chrono::DateTime<chrono::FixedOffset>) -> Result<Approval> {
    check_texts(a)?;
    let today = now.date_naive();
    let engineers = a
        .engineer
        .iter()
        .enumerate()
        .map(|(i, e)| approval::engineer_key(e, &format!("--engineer #{}", i + 1)))
        .collect::<Result<Vec<_>>>()?;
    let mut recipients = Recipients::default();
    for (i, r) in a.recipient.iter().enumerate() {
        let origin = format!("--recipient #{}", i + 1);
        if std::path::Path::new(r).is_file() {
            recipients.add_file(std::path::Path::new(r))?;
        } else {
            recipients.add(r, &origin)?;
        }
    }
    let delete_by = a
        .delete_by
        .as_deref()
        .map(|d| day("--delete-by", d, today))
        .transpose()?;
    let valid_until = a
        .valid_until
        .as_deref()
        .map(|d| day("--valid-until", d, today))
        .transpose()?;
    let standing = a.keep_days.filter(|_| a.standing).map(|keep_days| Standing {
        keep_days,
        valid_until: valid_until.map(ymd),
    });
    let max_size = a
        .max_size
        .as_deref()
        .map(|s| {
            super::size::parse_bytes(s).map_err(|_| Error::new(Kind::Usage, "err-approve-max-size").arg("value", s))
        })
        .transpose()?;
    let document_blake3 = match &a.document {
        Some(p) => {
            super::given("--document", [p])?;
            let bytes = kura::fsutil::read_bounded(p, kura::vault::format::MAX_APPROVAL_BYTES)?;
            Some(blake3::hash(&bytes).to_hex().to_string())
        }
        None => None,
    };
    let approval = Approval {
        format: approval::FORMAT.into(),
        version: approval::VERSION,
        approval_id: a.approval_id.clone(),
        issued_at: kura::clock::rfc3339(&now),
        clinic: Clinic {
            name: a.clinic.clone(),
            code: a.clinic_code.clone(),
        },
        approver: Approver {
            name: a.approved_by.clone(),
            role: a.role.clone(),
        },
        engineers,
        recipients: recipients.infos(),
        purpose: a.purpose.clone(),
        scope: a.scope.clone(),
        disposal: if a.return_ { Disposal::Return } else { Disposal::Delete },
        delete_by: delete_by.map(ymd),
        standing,
        medium: a.medium.clone(),
        destination: a.destination.clone(),
        storage: a.storage.clone(),
        loss_plan: a.loss_plan.clone(),
        max_size,
        max_files: a.max_files,
        document_blake3,
    };
    approval
        .check_fields()
        .map_err(|reason| Error::new(Kind::Usage, "err-approve-invalid").arg("reason", reason))?;
    Ok(approval)
}

pub fn run(a: ApproveArgs) -> Result<Report> {
    a.id.check()?;
    let now = kura::clock::now();
    let approval = approval(&a, now)?;
    kura::fsutil::check_not_folder(&a.output, "APPROVAL.json")?;
    kura::fsutil::check_clobber(&a.output, a.force)?;
    kura::fsutil::check_clobber(&approval::signature_path(&a.output), a.force)?;
    let keys: Vec<&std::path::Path> = a.id.identity.iter().map(|p| p.as_path()).collect();
    kura::fsutil::check_apart(&[&a.output, &approval::signature_path(&a.output)], &keys)?;
    super::ledger::check_approval_if_configured(&a.ledger, &approval)?;
    let passphrase = a.id.passphrase();
    let key = a.id.keys(&passphrase).signer()?;
    let signed = approval.sign(&key)?;
    let signature = approval::write_files(&signed, &a.output, a.force)?;
    let (path, sig) = (a.output.display().to_string(), signature.display().to_string());
    let signer = key.info();
    let signers_line = format!(
        "clinic namespaces=\"{}\" {}",
        kura::keys::signature::NS_APPROVAL,
        signer.key
    );
    let delete_by = approval.delete_by.clone();
    let mut rep = Report::new(json!({
        "approval": path,
        "signature": sig,
        "approval_id": approval.approval_id,
        "issued_at": approval.issued_at,
        "signer": signer,
        "delete_by": delete_by,
        "standing": approval.standing,
        "document_blake3": blake3::hash(signed.document.as_bytes()).to_hex().to_string(),
        "clinic_signers_line": signers_line,
    }))
    .line(t(
        "msg-approve-done",
        &[("id", &approval.approval_id), ("path", &path), ("sig", &sig)],
    ))
    .line(t("msg-approve-signers", &[]))
    .line(signers_line);
    super::ledger::register_approval_if_configured(&a.ledger, &approval, &signed, &mut rep)?;
    Ok(rep)
}
