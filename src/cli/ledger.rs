//! `kura ledger add | list | close`: the clinic's register of exports.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::table::{cell, width};
use super::{t, Report};
use kura::approval::{Consent, Trust};
use kura::certificate::model::Timing;
use kura::clock;
use kura::custody;
use kura::error::{Error, Kind, Result};
use kura::keys::AllowedSigners;
use kura::ledger::{self, ApprovalRegistered, Closed, Closure, Entry, IssuedApproval, Ledger, Registered, Status};

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Register an export at hand-over, from its custody log (the ledger keeps a copy of the log)
    Add(AddArgs),
    /// Every export with its status: outstanding, overdue, or closed (deleted or returned, on time or late)
    List(ListArgs),
    /// Verify a deletion or return certificate against the ledger's copy of the custody log and close the export
    Close(CloseArgs),
    /// The take-out approvals the clinic signed (kura approve), and how many exports cite each
    Approvals(ApprovalsArgs),
    /// Show or change the ledger's settings (whether ledger add requires the clinic's signed approval)
    Config(ConfigArgs),
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
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
    /// Refuse a vault whose approval was not signed by a key in --clinic-signers (also: ledger config)
    #[arg(long)]
    pub require_signed_approval: bool,
    #[command(flatten)]
    pub ledger: LedgerPath,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// The clinic signers file: say whether each approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerPath,
}

#[derive(Args, Debug)]
pub struct ApprovalsArgs {
    /// Only the approvals no registered export cites yet
    #[arg(long)]
    pub unused: bool,
    #[command(flatten)]
    pub ledger: LedgerPath,
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// on: ledger add refuses a vault whose approval the clinic did not sign with a key in --clinic-signers
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    pub require_signed_approval: Option<String>,
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
        LedgerCommand::Approvals(a) => approvals(a),
        LedgerCommand::Config(a) => config(a),
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

/// Refuses an approval the clinic did not sign with a key the clinic
/// signers file lists: declared by the packer (3), or signed by a key not
/// listed or not checked (7).
fn require_signed(consent: &Consent, vault_id: &str, approval_id: &str) -> Result<()> {
    match consent {
        Consent::Signed {
            trust: Trust::Trusted(_),
            ..
        } => Ok(()),
        Consent::Declared => Err(Error::new(Kind::Refused, "err-ledger-approval-declared")
            .arg("id", vault_id)
            .arg("approval", approval_id)),
        Consent::Signed {
            trust: Trust::Unchecked,
            ..
        } => Err(Error::new(Kind::Untrusted, "err-ledger-approval-unchecked").arg("approval", approval_id)),
        Consent::Signed {
            trust: Trust::Untrusted,
            ..
        } => Err(Error::new(Kind::Untrusted, "err-approval-untrusted").arg("id", approval_id)),
    }
}

/// How a vault's approval stands against the approvals this ledger
/// registered under the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Issued {
    /// None registered under that id.
    Unknown,
    /// The vault carries the very document registered.
    Same,
    /// One was issued signed, but the vault was packed on the packer's
    /// word instead.
    NotUsed,
}

/// Refuses (6) a vault whose signed approval is not the document this
/// ledger registered under the same id: another approval under the
/// clinic's number.
fn issued_here(db: &Ledger, approval: &kura::vault::Approval) -> Result<Issued> {
    let Some(registered) = db.issued_document(&approval.id)? else {
        return Ok(Issued::Unknown);
    };
    match &approval.signed {
        Some(s) if s.document == registered => Ok(Issued::Same),
        Some(_) => Err(Error::new(Kind::Integrity, "err-ledger-approval-not-issued").arg("approval", &approval.id)),
        None => Ok(Issued::NotUsed),
    }
}

fn add(a: AddArgs) -> Result<Report> {
    super::given("--signers", &a.signers)?;
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let path = custody::log_path(&a.custody);
    let chain = custody::read(&path)?;
    if let Some(s) = &a.signers {
        chain.require_signers(&AllowedSigners::load(s)?)?;
    }
    let r = &chain.receipt;
    let consent = super::consent::assess(&r.approval, &r.created, clinic_signers.as_ref())?;
    // Asked for on the command line: refused before the ledger is even
    // opened (or created).
    if a.require_signed_approval {
        require_signed(&consent, &r.vault_id, &r.approval.id)?;
    }
    let mut db = a.ledger.open()?;
    let required = a.require_signed_approval || db.require_signed_approval()?;
    if required {
        require_signed(&consent, &r.vault_id, &r.approval.id)?;
    }
    let issued = issued_here(&db, &r.approval)?;
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
        "signed_approval_required": required,
        "approval_issued_here": issued == Issued::Same,
        "consent": super::consent::json(&consent),
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
    for l in super::consent::lines(&consent, &r.approval.delete_by) {
        rep.push(l);
    }
    match issued {
        Issued::Same => rep.push(t("msg-ledger-approval-issued-here", &[("approval", &r.approval.id)])),
        Issued::NotUsed => rep.push(t("warn-ledger-approval-not-used", &[("approval", &r.approval.id)])),
        Issued::Unknown => {}
    }
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

/// How the approval of each export stands, read from the ledger's own copy
/// of its custody log: the words for the table and the `approval` object.
/// A copy that no longer verifies (or an approval that does not match it)
/// is said so for that export, as `consent` `unreadable` with the error's
/// id, and the rest of the list is still shown.
fn consents(db: &Ledger, entries: &[Entry], signers: Option<&AllowedSigners>) -> Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for e in entries {
        let text = db
            .custody_text(&e.vault_id)?
            .ok_or_else(|| Error::internal("listed entry vanished"))?;
        let assessed = custody::verify_text(&text).and_then(|chain| {
            let r = chain.receipt;
            let c = super::consent::assess(&r.approval, &r.created, signers)?;
            Ok((super::consent::verdict(&c), super::consent::json(&c)))
        });
        out.push(match assessed {
            Ok(shown) => shown,
            Err(err) => (err.message(kura::i18n::lang()), super::consent::unreadable(&err)),
        });
    }
    Ok(out)
}

fn list(a: ListArgs) -> Result<Report> {
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let db = a.ledger.open_existing()?;
    let today = clock::today();
    let entries = db.list()?;
    let consents = consents(&db, &entries, clinic_signers.as_ref())?;
    let count = |f: &dyn Fn(Status) -> bool| entries.iter().filter(|e| f(e.status(today))).count();
    let outstanding = count(&|s| s == Status::Outstanding);
    let overdue = count(&|s| s == Status::Overdue);
    let closed = entries.len() - outstanding - overdue;
    let ledger_path = db.path().display().to_string();
    let mut rep = Report::new(json!({
        "ledger": ledger_path,
        "today": today.format("%Y-%m-%d").to_string(),
        "exports": entries.iter().zip(&consents).map(|(e, (_, c))| {
            let mut v = entry_json(e, today);
            v["consent"] = c.clone();
            v
        }).collect::<Vec<_>>(),
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
    rep.push(String::new());
    rep.push(t("msg-ledger-consent-heading", &[]));
    for (e, (said, _)) in entries.iter().zip(&consents) {
        rep.push(format!("  {}  {said}", cell(&e.approval_id, 16)));
    }
    Ok(rep)
}

/// The approvals the clinic signed and registered; `--unused`: only those
/// no registered export cites yet.
fn approvals(a: ApprovalsArgs) -> Result<Report> {
    let db = a.ledger.open_existing()?;
    let all = db.approvals()?;
    let shown: Vec<&IssuedApproval> = all.iter().filter(|x| !a.unused || x.used == 0).collect();
    let unused = all.iter().filter(|x| x.used == 0).count();
    let ledger_path = db.path().display().to_string();
    let mut rep = Report::new(json!({
        "ledger": ledger_path,
        "approvals": shown,
        "counts": { "total": all.len(), "unused": unused },
    }));
    rep.push(t(
        "msg-ledger-approvals-summary",
        &[
            ("path", &ledger_path),
            ("total", &all.len().to_string()),
            ("unused", &unused.to_string()),
        ],
    ));
    for x in shown {
        let until = match (&x.delete_by, &x.standing) {
            (Some(d), _) => d.clone(),
            (None, Some(s)) => t("msg-ledger-approval-standing", &[("days", &s.keep_days.to_string())]),
            (None, None) => String::new(),
        };
        let used = if x.used == 0 {
            t("msg-ledger-approval-unused", &[])
        } else {
            t("msg-ledger-approval-used", &[("n", &x.used.to_string())])
        };
        rep.push(format!(
            "{}  {}  {}  {}",
            cell(&used, 14),
            cell(&x.approval_id, 16),
            cell(&until, 16),
            t(
                "msg-ledger-approval-line",
                &[
                    ("clinic", &x.clinic.name),
                    ("approver", &format!("{} ({})", x.approver.name, x.approver.role)),
                    ("purpose", &x.purpose),
                    ("key", &x.signer.fingerprint),
                ],
            )
        ));
    }
    Ok(rep)
}

fn config(a: ConfigArgs) -> Result<Report> {
    let mut db = match a.require_signed_approval {
        Some(_) => a.ledger.open()?,
        None => a.ledger.open_existing()?,
    };
    if let Some(v) = &a.require_signed_approval {
        db.set_require_signed_approval(v == "on")?;
    }
    let on = db.require_signed_approval()?;
    let ledger_path = db.path().display().to_string();
    Ok(Report::new(json!({
        "ledger": ledger_path,
        "require_signed_approval": on,
    }))
    .line(t(
        if on {
            "msg-ledger-config-require-on"
        } else {
            "msg-ledger-config-require-off"
        },
        &[("path", &ledger_path)],
    )))
}

/// The ledger `kura approve` registers approvals in: the one named
/// (`--ledger`, `KURA_LEDGER`), else the default ledger once it exists;
/// none, none is made.
fn approvals_ledger(ledger: &LedgerPath) -> Option<PathBuf> {
    match &ledger.ledger {
        Some(p) => Some(p.clone()),
        None => ledger::default_path().ok().filter(|p| p.exists()),
    }
}

/// Before an approval is written: refuses (9) an id the configured ledger
/// already holds with another document. Opens only a ledger that exists.
pub fn check_approval_if_configured(ledger: &LedgerPath, approval: &kura::approval::Approval) -> Result<()> {
    match approvals_ledger(ledger).filter(|p| p.exists()) {
        Some(p) => Ledger::open(&p)?.check_approval_id(approval),
        None => Ok(()),
    }
}

/// Registers an approval the clinic has just signed (and written) in the
/// clinic's ledger when one is configured (see [`approvals_ledger`]); says
/// so in the report.
pub fn register_approval_if_configured(
    ledger: &LedgerPath,
    approval: &kura::approval::Approval,
    signed: &kura::vault::manifest::SignedApproval,
    rep: &mut Report,
) -> Result<()> {
    let Some(path) = approvals_ledger(ledger) else {
        return Ok(());
    };
    let mut db = Ledger::open(&path)?;
    let (outcome, _) = db.register_approval(approval, signed, clock::now())?;
    let ledger_path = db.path().display().to_string();
    if let Value::Object(m) = &mut rep.json {
        m.insert("ledger".into(), ledger_path.clone().into());
        m.insert(
            "ledger_outcome".into(),
            match outcome {
                ApprovalRegistered::New => "registered",
                ApprovalRegistered::Unchanged => "unchanged",
            }
            .into(),
        );
    }
    rep.push(t(
        match outcome {
            ApprovalRegistered::New => "msg-ledger-approval-registered",
            ApprovalRegistered::Unchanged => "msg-ledger-approval-registered-already",
        },
        &[("id", &approval.approval_id), ("path", &ledger_path)],
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kura::approval::Approval;
    use kura::keys::SigningKey;

    fn approval(engineer: &SigningKey, clinic: &SigningKey, id: &str) -> Approval {
        let doc = json!({
            "format": "kura-approval", "version": 1, "approval_id": id,
            "issued_at": "2026-11-27T10:00:00+09:00",
            "clinic": {"name": "テスト医院"}, "approver": {"name": "山田 花子", "role": "院長"},
            "engineers": [engineer.info()],
            "recipients": [{"type": "ssh-ed25519", "fingerprint": clinic.info().fingerprint}],
            "purpose": "ORCA data migration", "scope": "receipt tables",
            "disposal": "delete", "delete_by": "2026-12-31",
        });
        Approval::parse(&doc.to_string()).unwrap()
    }

    #[test]
    fn an_approval_is_registered_in_the_named_ledger_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let (eng, clinic) = (
            SigningKey::generate("eng").unwrap(),
            SigningKey::generate("clinic").unwrap(),
        );
        let a = approval(&eng, &clinic, "APP-1");
        let signed = a.sign(&clinic).unwrap();
        let named = LedgerPath {
            ledger: Some(path.clone()),
        };
        let mut rep = Report::new(json!({}));
        register_approval_if_configured(&named, &a, &signed, &mut rep).unwrap();
        assert_eq!(rep.json["ledger_outcome"], "registered");
        let mut again = Report::new(json!({}));
        register_approval_if_configured(&named, &a, &signed, &mut again).unwrap();
        assert_eq!(again.json["ledger_outcome"], "unchanged");
        let listed = Ledger::open(&path).unwrap().approvals().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].approval_id.as_str(), listed[0].used), ("APP-1", 0));
        assert_eq!(listed[0].signer.key, clinic.info().key);

        // Another document under the same id is refused (9), and the first
        // stays as it was.
        let mut other = a.clone();
        other.purpose = "something else".into();
        let err =
            register_approval_if_configured(&named, &other, &other.sign(&clinic).unwrap(), &mut again).unwrap_err();
        assert_eq!((err.kind, err.id), (Kind::Exists, "err-ledger-approval-differs"));
        // A signature over other bytes is not registered at all.
        let mut forged = signed.clone();
        forged.document = other.to_document();
        let err = register_approval_if_configured(&named, &other, &forged, &mut again).unwrap_err();
        assert_eq!(err.kind, Kind::Integrity);
        let listed = Ledger::open(&path).unwrap().approvals().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].purpose, "ORCA data migration");
    }
}
