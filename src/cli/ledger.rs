//! `kura ledger add | list | close`: the clinic's register of exports.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::table::{cell, width};
use super::{t, Report};
use kura::certificate::model::Timing;
use kura::clock;
use kura::custody;
use kura::error::{Error, Kind, Result};
use kura::keys::AllowedSigners;
use kura::ledger::{self, Closed, Closure, Entry, Ledger, Registered, Status};

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Register an export at hand-over, from its custody log (the ledger keeps a copy of the log)
    Add(AddArgs),
    /// Every export with its status: outstanding, overdue, or closed (deleted or returned, on time or late)
    List(ListArgs),
    /// Verify a deletion or return certificate against the ledger's copy of the custody log and close the export
    Close(CloseArgs),
}

/// Where the ledger is.
#[derive(Args, Debug, Clone)]
pub struct LedgerPath {
    /// The ledger file (default: kura/ledger.sqlite in your data folder)
    #[arg(long, value_name = "FILE", env = "KURA_LEDGER")]
    pub ledger: Option<PathBuf>,
}

impl LedgerPath {
    /// Opens the ledger, creating it if needed: for `ledger add`, the
    /// deliberate act that starts a ledger.
    pub fn open(&self) -> Result<Ledger> {
        let path = match &self.ledger {
            Some(p) => p.clone(),
            None => ledger::default_path()?,
        };
        Ledger::open(&path)
    }

    /// Opens a ledger that is there to be read: the one named (`--ledger`,
    /// `KURA_LEDGER`), or the default one once `ledger add` has made it.
    /// With neither, nothing is created in the user's data folder: the
    /// refusal says how to name one.
    pub fn open_existing(&self) -> Result<Ledger> {
        if self.ledger.is_some() {
            return self.open();
        }
        let path = ledger::default_path()?;
        if !path.exists() {
            return Err(Error::new(Kind::Usage, "err-ledger-none").arg("path", path.display()));
        }
        Ledger::open(&path)
    }
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The custody log (X.kura.custody) or the vault beside it
    pub custody: PathBuf,
    /// OpenSSH allowed_signers file: every signer of the log must be listed
    #[arg(long, value_name = "FILE")]
    pub signers: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerPath,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub ledger: LedgerPath,
}

#[derive(Args, Debug)]
pub struct CloseArgs {
    /// The certificate (CERT.json, with CERT.json.sig beside it)
    pub certificate: PathBuf,
    /// OpenSSH allowed_signers file: who may sign certificates
    #[arg(long, value_name = "FILE", required = true)]
    pub signers: PathBuf,
    /// The signature (default: CERT.json.sig)
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerPath,
}

pub fn run(c: LedgerCommand) -> Result<Report> {
    match c {
        LedgerCommand::Add(a) => add(a),
        LedgerCommand::List(a) => list(a),
        LedgerCommand::Close(a) => close(a),
    }
}

/// Verifies the certificate against the custody copy the ledger took at
/// hand-over (not against anything the engineer sends along), then closes
/// the entry.
fn close(a: CloseArgs) -> Result<Report> {
    super::given("--signers", [&a.signers])?;
    super::given("--sig", &a.sig)?;
    let (bytes, sig) = kura::certificate::verify::read_signed(&a.certificate, a.sig.as_deref())?;
    let signers = AllowedSigners::load(&a.signers)?;
    let cert = kura::certificate::Certificate::parse(&bytes)?;
    let vault_id = cert.vault.vault_id.clone();
    let mut db = a.ledger.open_existing()?;
    let text = db
        .custody_text(&vault_id)?
        .ok_or_else(|| Error::new(Kind::Refused, "err-ledger-unknown").arg("id", &vault_id))?;
    let copy = custody::verify_text(&text)?;
    let v = kura::certificate::verify(&bytes, &sig, &copy, &signers)?;
    let c = &v.certificate;
    let issuer = if c.issuer.key.comment.is_empty() {
        c.issuer.key.fingerprint.clone()
    } else {
        format!("{} ({})", c.issuer.key.fingerprint, c.issuer.key.comment)
    };
    let closure = Closure {
        action: c.action.clone(),
        on_time: v.on_time,
        issued_at: c.issued_at.clone(),
        certificate_id: c.certificate_id.clone(),
        certificate_blake3: blake3::hash(&bytes).to_hex().to_string(),
        issuer,
        recorded_at: clock::rfc3339(&clock::now()),
        certificate_json: String::from_utf8_lossy(&bytes).into_owned(),
        certificate_sig: sig.clone(),
        timeliness: v.timeliness.clone(),
    };
    let (outcome, entry) = db.close(&vault_id, &copy.head(), &closure)?;
    let today = clock::today();
    let ledger_path = db.path().display().to_string();
    let verdict = super::certificate::verdict(&v);
    let mut rep = Report::new(json!({
        "ledger": ledger_path,
        "outcome": match outcome { Closed::New => "closed", Closed::Unchanged => "unchanged" },
        "verdict": verdict,
        "certificate_id": c.certificate_id,
        "signer": { "principal": v.principal, "key": c.issuer.key },
        "export": entry_json(&entry, today),
    }));
    rep.push(verdict);
    for l in super::custody::time_flag_lines(&v.timeliness.time_flags) {
        rep.push(l);
    }
    rep.push(match outcome {
        Closed::New => t(
            "msg-ledger-closed",
            &[("id", &entry.vault_id), ("status", &status_text(&entry, today))],
        ),
        Closed::Unchanged => t("msg-ledger-closed-already", &[("id", &entry.vault_id)]),
    });
    rep.push(t("msg-ledger-where", &[("path", &ledger_path)]));
    Ok(rep)
}

/// The engineer as people know them: the key's comment, else its fingerprint.
fn who(e: &Entry) -> &str {
    if e.engineer.comment.is_empty() {
        &e.engineer.fingerprint
    } else {
        &e.engineer.comment
    }
}

fn add(a: AddArgs) -> Result<Report> {
    super::given("--signers", &a.signers)?;
    let path = custody::log_path(&a.custody);
    let chain = custody::read(&path)?;
    if let Some(s) = &a.signers {
        chain.require_signers(&AllowedSigners::load(s)?)?;
    }
    let mut db = a.ledger.open()?;
    let (outcome, entry) = db.register(
        &chain,
        &std::path::absolute(&path).unwrap_or(path.clone()),
        clock::now(),
    )?;
    let ledger_path = db.path().display().to_string();
    let (what, added) = match outcome {
        Registered::New => ("registered", 0),
        Registered::Unchanged => ("unchanged", 0),
        Registered::Extended { added } => ("extended", added),
    };
    let mut rep = Report::new(json!({
        "ledger": ledger_path,
        "outcome": what,
        "added_records": added,
        "signers_checked": a.signers.is_some(),
        "export": entry_json(&entry, clock::today()),
    }));
    let n = entry.custody_records.to_string();
    rep.push(match outcome {
        Registered::New => t(
            "msg-ledger-added",
            &[
                ("id", &entry.vault_id),
                ("approval", &entry.approval_id),
                ("delete_by", &entry.delete_by),
                ("n", &n),
            ],
        ),
        Registered::Unchanged => t("msg-ledger-unchanged", &[("id", &entry.vault_id)]),
        Registered::Extended { added } => t(
            "msg-ledger-extended",
            &[("id", &entry.vault_id), ("added", &added.to_string()), ("n", &n)],
        ),
    });
    rep.push(t("msg-ledger-where", &[("path", &ledger_path)]));
    if a.signers.is_none() {
        rep.push(t("msg-custody-unchecked", &[]));
    }
    if chain.torn_tail {
        rep.push(t("warn-custody-torn", &[]));
    }
    Ok(rep)
}

fn entry_json(e: &Entry, today: chrono::NaiveDate) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("status".into(), e.status(today).name().into());
        m.insert(
            "on_time".into(),
            e.closed.as_ref().map(|c| Value::Bool(c.on_time)).unwrap_or(Value::Null),
        );
        m.insert(
            "timing".into(),
            e.closed
                .as_ref()
                .map(|c| Value::from(c.timeliness.timing.name()))
                .unwrap_or(Value::Null),
        );
        m.insert("days_overdue".into(), e.days_overdue(today).into());
    }
    v
}

/// The status in words, for the table. A closed export is said to be on
/// time only when its certificate's times are evidence and the vault was
/// deleted or returned, not lost.
fn status_text(e: &Entry, today: chrono::NaiveDate) -> String {
    let timing = |c: &Closure| match c.timeliness.timing {
        Timing::OnTime => t("msg-ledger-on-time", &[]),
        Timing::Late => t("msg-ledger-late", &[]),
        Timing::TimeNotReliable | Timing::VaultLost => t("msg-time-not-reliable", &[]),
    };
    match (e.status(today), &e.closed) {
        (Status::Outstanding, _) => t("msg-ledger-st-outstanding", &[]),
        (Status::Overdue, _) => t("msg-ledger-st-overdue", &[("days", &e.days_overdue(today).to_string())]),
        (Status::ClosedDeleted, Some(c)) => t("msg-ledger-st-deleted", &[("timing", &timing(c))]),
        (Status::ClosedReturned, Some(c)) => t("msg-ledger-st-returned", &[("timing", &timing(c))]),
        (Status::ClosedLost, Some(c)) if c.timeliness.time_reliable => t("msg-ledger-st-lost", &[]),
        (Status::ClosedLost, Some(_)) => t("msg-ledger-st-lost-unreliable", &[]),
        (s, None) => s.name().to_string(),
    }
}

fn list(a: ListArgs) -> Result<Report> {
    let db = a.ledger.open_existing()?;
    let today = clock::today();
    let entries = db.list()?;
    let count = |f: &dyn Fn(Status) -> bool| entries.iter().filter(|e| f(e.status(today))).count();
    let outstanding = count(&|s| s == Status::Outstanding);
    let overdue = count(&|s| s == Status::Overdue);
    let closed = entries.len() - outstanding - overdue;
    let ledger_path = db.path().display().to_string();
    let mut rep = Report::new(json!({
        "ledger": ledger_path,
        "today": today.format("%Y-%m-%d").to_string(),
        "exports": entries.iter().map(|e| entry_json(e, today)).collect::<Vec<_>>(),
        "counts": { "total": entries.len(), "outstanding": outstanding, "overdue": overdue, "closed": closed },
    }));
    rep.push(t(
        "msg-ledger-summary",
        &[
            ("path", &ledger_path),
            ("today", &today.format("%Y-%m-%d").to_string()),
            ("total", &entries.len().to_string()),
            ("outstanding", &outstanding.to_string()),
            ("overdue", &overdue.to_string()),
            ("closed", &closed.to_string()),
        ],
    ));
    if entries.is_empty() {
        return Ok(rep);
    }
    let statuses: Vec<String> = entries.iter().map(|e| status_text(e, today)).collect();
    // Wide enough for every status, so that none is cut short.
    let status_width = statuses.iter().map(|s| width(s)).max().unwrap_or(0).max(26);
    let row = |cols: [&str; 6]| {
        format!(
            "{}  {}  {}  {}  {}  {}",
            cell(cols[0], status_width),
            cell(cols[1], 10),
            cell(cols[2], 16),
            cell(cols[3], 24),
            cell(cols[4], 22),
            cols[5]
        )
        .trim_end()
        .to_string()
    };
    rep.push(String::new());
    rep.push(row([
        &t("msg-ledger-col-status", &[]),
        &t("msg-f-delete-by", &[]),
        &t("msg-f-approval-id", &[]),
        &t("msg-ledger-col-engineer", &[]),
        &t("msg-f-purpose", &[]),
        &t("msg-f-vault-id", &[]),
    ]));
    for (e, status) in entries.iter().zip(&statuses) {
        rep.push(row([
            status,
            &e.delete_by,
            &e.approval_id,
            who(e),
            &e.purpose,
            &e.vault_id,
        ]));
    }
    Ok(rep)
}
