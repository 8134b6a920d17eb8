//! `kura ledger add | list | close`: the clinic's register of exports.

use std::collections::HashMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::table::{cell, pad, width};
use super::{t, Report};
use kura::approval::{Consent, Trust};
use kura::certificate::model::Timing;
use kura::clock;
use kura::custodian::ReceivedLog;
use kura::custody;
use kura::error::{Error, Kind, Result};
use kura::i18n::escape_controls;
use kura::keys::AllowedSigners;
use kura::keys::PassphraseSource;
use kura::ledger::receipt::CertificateReceipt;
use kura::ledger::{
    self, ApprovalRegistered, Closed, Closure, Entry, IssuedApproval, Ledger, Receipt, Registered, Status,
};

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
    /// Everything the ledger holds about one export: approval, engineer, custody copy, certificate, receipt
    Show(ShowArgs),
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
    /// One line per export with every column, wider than 80 columns
    #[arg(long)]
    pub wide: bool,
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
pub struct ShowArgs {
    /// The vault id (as kura ledger list shows it)
    pub id: String,
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
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
    /// The clinic's OpenSSH key: sign a record that the clinic received and checked the certificate, kept in the ledger
    #[arg(short = 'i', long = "identity", value_name = "KEY")]
    pub identity: Option<PathBuf>,
    /// File holding the key's passphrase
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Also record the receipt in this copy of the custody log (X.kura.custody): a "certificate-received" event signed with the clinic's key
    #[arg(long, value_name = "LOG")]
    pub append_to: Option<PathBuf>,
    /// Write the signed receipt to FILE and its signature to FILE.sig (checkable with ssh-keygen -Y verify -n kura-ledger-close)
    #[arg(long, value_name = "FILE")]
    pub receipt_out: Option<PathBuf>,
    /// Replace an existing --receipt-out file and its .sig
    #[arg(long, requires = "receipt_out")]
    pub force: bool,
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
        LedgerCommand::Show(a) => show(a),
    }
}

/// Verifies the certificate against the custody copy the ledger took at
/// hand-over (not against anything the engineer sends along), then closes
/// the entry.
fn close(a: CloseArgs) -> Result<Report> {
    super::given("--signers", [&a.signers])?;
    super::given("--sig", &a.sig)?;
    super::given("-i", &a.identity)?;
    super::given("--passphrase-file", &a.passphrase_file)?;
    super::given("--append-to", &a.append_to)?;
    // A receipt is the clinic's signed statement: without the clinic's key
    // there is none to write out or to record.
    if a.identity.is_none() && (a.append_to.is_some() || a.receipt_out.is_some()) {
        return Err(Error::new(Kind::Usage, "err-ledger-receipt-needs-key"));
    }
    let receipt_sig_path = a.receipt_out.as_ref().map(|p| kura::certificate::sig_path(p));
    for p in a.receipt_out.iter().chain(&receipt_sig_path) {
        kura::fsutil::check_clobber(p, a.force)?;
    }
    // Never in place of what is read or appended to (with --force, the
    // clinic's log or the certificate would be replaced by the receipt).
    let cert_sig = a
        .sig
        .clone()
        .unwrap_or_else(|| kura::certificate::sig_path(&a.certificate));
    let log = a.append_to.as_deref().map(custody::log_path);
    let outputs: Vec<&std::path::Path> = a
        .receipt_out
        .iter()
        .chain(&receipt_sig_path)
        .map(|p| p.as_path())
        .collect();
    let read: Vec<&std::path::Path> = [&a.certificate, &cert_sig]
        .into_iter()
        .chain(&log)
        .map(|p| p.as_path())
        .collect();
    kura::fsutil::check_apart(&outputs, &read)?;
    // Its folder must be there before the ledger changes.
    if let Some(p) = &a.receipt_out {
        let dir = kura::fsutil::parent_dir(p);
        if !dir.is_dir() {
            return Err(Error::new(Kind::Io, "err-option-not-found")
                .arg("option", "--receipt-out")
                .arg("path", dir.display()));
        }
    }
    // The key first: a key problem stops everything before any check or write.
    let signer = match &a.identity {
        Some(k) => Some(kura::keys::identity::load_signing_key(
            k,
            &PassphraseSource::new(a.passphrase_file.clone()),
        )?),
        None => None,
    };
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
    let now = clock::now();
    let certificate_blake3 = blake3::hash(&bytes).to_hex().to_string();
    let closure = Closure {
        action: c.action.clone(),
        on_time: v.on_time,
        issued_at: c.issued_at.clone(),
        certificate_id: c.certificate_id.clone(),
        certificate_blake3: certificate_blake3.clone(),
        issuer,
        recorded_at: clock::rfc3339(&now),
        certificate_json: String::from_utf8_lossy(&bytes).into_owned(),
        certificate_sig: sig.clone(),
        timeliness: v.timeliness.clone(),
    };
    let signed = match &signer {
        Some(k) => {
            let e = db
                .get(&vault_id)?
                .ok_or_else(|| Error::internal("registered entry vanished"))?;
            let r = CertificateReceipt::of(&v, &certificate_blake3, (&e.approval_id, &e.delete_by), &copy, k, now)?;
            Some(r.sign(k)?)
        }
        None => None,
    };
    // The log to record in is opened, locked and checked before the
    // ledger changes: a refusal there leaves everything as it was.
    let held = match &a.append_to {
        Some(p) => Some(ReceivedLog::open(&custody::log_path(p), &bytes, &sig, &signers)?),
        None => None,
    };
    let (outcome, entry) = db.close_with_receipt(&vault_id, &copy.head(), &closure, signed.as_ref())?;
    let today = clock::today();
    let ledger_path = db.path().display().to_string();
    let verdict = super::certificate::verdict(&v);
    let mut rep = Report::new(json!({}));
    rep.push(verdict.clone());
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
    // What happens to the receipt: the kept one (the first) is the one
    // written out and recorded.
    let mut receipt_json = Value::Null;
    let mut record = Value::Null;
    if let (Some(new), Some(kept), Some(k)) = (&signed, &entry.receipt, &signer) {
        if !kept.signature_valid {
            return Err(Error::new(Kind::Integrity, "err-signature-invalid").arg("what", "certificate receipt"));
        }
        let fresh = kept.signed == *new;
        receipt_json = json!({
            "outcome": if fresh { "signed" } else { "kept" },
            "receipt": kept,
            "output": a.receipt_out.as_ref().map(|p| p.display().to_string()),
        });
        rep.push(receipt_line(kept, fresh));
        if let (Some(out), Some(sig_out)) = (&a.receipt_out, &receipt_sig_path) {
            kura::fsutil::write_atomic(out, kept.signed.json.as_bytes(), a.force)?;
            kura::fsutil::write_atomic(sig_out, kept.signed.sig.as_bytes(), a.force)?;
            rep.push(t(
                "msg-ledger-receipt-written",
                &[
                    ("path", &out.display().to_string()),
                    ("sig", &sig_out.display().to_string()),
                ],
            ));
        }
        if let Some(log) = held {
            let path = log.path().display().to_string();
            let existing = log.existing;
            match log.append(&kept.blake3, k, clock::now())? {
                Some(r) => {
                    record = json!({ "custody": path, "seq": r.seq, "outcome": "appended" });
                    rep.push(t(
                        "msg-ledger-receipt-appended",
                        &[("n", &r.seq.to_string()), ("path", &path)],
                    ));
                }
                None => {
                    let n = existing.unwrap_or_default();
                    record = json!({ "custody": path, "seq": n, "outcome": "unchanged" });
                    rep.push(t(
                        "msg-ledger-receipt-in-log",
                        &[("n", &n.to_string()), ("path", &path)],
                    ));
                }
            }
        }
    }
    rep.push(t("msg-ledger-where", &[("path", &ledger_path)]));
    rep.json = json!({
        "ledger": ledger_path,
        "outcome": match outcome { Closed::New => "closed", Closed::Unchanged => "unchanged" },
        "verdict": verdict,
        "certificate_id": c.certificate_id,
        "signer": { "principal": v.principal, "key": c.issuer.key },
        "receipt": receipt_json,
        "custody_record": record,
        "export": entry_json(&entry, today),
    });
    Ok(rep)
}

/// The receipt in one line: signed now, or kept from an earlier closing;
/// received after the delete-by day said so.
fn receipt_line(r: &Receipt, fresh: bool) -> String {
    let who = r
        .clinic
        .as_ref()
        .map(|k| {
            if k.comment.is_empty() {
                k.fingerprint.clone()
            } else {
                k.comment.clone()
            }
        })
        .unwrap_or_default();
    let mut line = t(
        if fresh {
            "msg-ledger-receipt-signed"
        } else {
            "msg-ledger-receipt-kept"
        },
        &[("time", &clock::local_display(&r.received_at)), ("who", &who)],
    );
    if r.received_late {
        line.push(' ');
        line.push_str(&t("msg-ledger-receipt-late", &[]));
    }
    if r.time_set_by_hand {
        line.push(' ');
        line.push_str(&t("msg-ledger-receipt-hand-set", &[]));
    }
    line
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
    let consent = kura::approval::Consent::of_created(&r.approval, &r.created, clinic_signers.as_ref())?;
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
        "receipt_reconstructed": chain.reconstructed(),
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
    if chain.reconstructed() {
        rep.push(t("warn-receipt-unproven", &[("path", &path.display().to_string())]));
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

/// How an export's approval stands, read from the ledger's own copy of its
/// custody log: a short line for the 80-column list, the full sentence, and
/// the `consent` object. A copy that no longer verifies (or an approval
/// that does not match it) is said so for that export, as `unreadable` with
/// the error's id; the rest of the list is still shown.
struct Shown {
    short: String,
    full: String,
    json: Value,
}

fn consent_of(db: &Ledger, e: &Entry, signers: Option<&AllowedSigners>) -> Result<Shown> {
    let text = db
        .custody_text(&e.vault_id)?
        .ok_or_else(|| Error::internal("listed entry vanished"))?;
    let assessed = custody::verify_text(&text).and_then(|chain| {
        let r = chain.receipt;
        kura::approval::Consent::of_created(&r.approval, &r.created, signers)
    });
    Ok(match assessed {
        Ok(c) => Shown {
            short: super::consent::short(&c),
            full: super::consent::headline(&c),
            json: super::consent::json(&c),
        },
        Err(err) => {
            let said = format!("{}: {}", t("msg-consent-label", &[]), err.message(kura::i18n::lang()));
            Shown {
                short: said.clone(),
                full: said,
                json: super::consent::unreadable(&err),
            }
        }
    })
}

fn consents(db: &Ledger, entries: &[Entry], signers: Option<&AllowedSigners>) -> Result<HashMap<String, Shown>> {
    entries
        .iter()
        .map(|e| Ok((e.vault_id.clone(), consent_of(db, e, signers)?)))
        .collect()
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
        "exports": entries.iter().map(|e| {
            let mut v = entry_json(e, today);
            v["consent"] = consents.get(&e.vault_id).map(|c| c.json.clone()).unwrap_or(Value::Null);
            v
        }).collect::<Vec<_>>(),
        "counts": { "total": entries.len(), "outstanding": outstanding, "overdue": overdue, "closed": closed },
    }));
    let counts = [
        ("path", ledger_path.clone()),
        ("today", today.format("%Y-%m-%d").to_string()),
        ("total", entries.len().to_string()),
        ("outstanding", outstanding.to_string()),
        ("overdue", overdue.to_string()),
        ("closed", closed.to_string()),
    ];
    let counts: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if a.wide {
        rep.push(t("msg-ledger-summary", &counts));
    } else {
        rep.push(t("msg-ledger-summary-short", &counts));
        rep.push(t("msg-ledger-where", &[("path", &ledger_path)]));
    }
    if entries.is_empty() {
        return Ok(rep);
    }
    let lines = if a.wide {
        wide_table(&entries, today, &consents)
    } else {
        narrow_table(&entries, today, &consents)
    };
    rep.push(String::new());
    for l in lines {
        rep.push(l);
    }
    Ok(rep)
}

/// Columns of a console the narrow list fits.
pub const CONSOLE_COLUMNS: usize = 80;

/// Overdue first (the longest overdue at the top), then outstanding, then
/// closed, each by delete-by day.
fn by_urgency(entries: &[Entry], today: chrono::NaiveDate) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    v.sort_by_key(|e| {
        let rank = match e.status(today) {
            Status::Overdue => 0,
            Status::Outstanding => 1,
            _ => 2,
        };
        (rank, -e.days_overdue(today), e.delete_by.clone())
    });
    v
}

/// Two lines an export, within [`CONSOLE_COLUMNS`]: status, delete-by day,
/// approval and engineer; then the purpose and the vault id; then a line
/// for what must be looked at (a certificate received after the delete-by
/// day, a receipt whose signature no longer verifies). Long values are cut
/// with `…`; `kura ledger show ID` and `--wide` show them whole.
fn narrow_table(entries: &[Entry], today: chrono::NaiveDate, consents: &HashMap<String, Shown>) -> Vec<String> {
    let order = by_urgency(entries, today);
    let statuses: Vec<String> = order.iter().map(|e| status_text(e, today)).collect();
    let status_width = statuses.iter().map(|s| width(s)).max().unwrap_or(0).clamp(10, 38);
    let approval_width = 16;
    // status, 2, delete-by 10, 2, approval, 2, engineer.
    let engineer_width = CONSOLE_COLUMNS - status_width - 2 - 10 - 2 - approval_width - 2;
    let first = |cols: [&str; 4]| {
        format!(
            "{}  {}  {}  {}",
            cell(cols[0], status_width),
            cell(cols[1], 10),
            cell(cols[2], approval_width),
            cell(cols[3], engineer_width)
        )
        .trim_end()
        .to_string()
    };
    // 2 spaces, purpose, 2, the vault id (36).
    let purpose_width = CONSOLE_COLUMNS - 2 - 2 - 36;
    let second = |purpose: &str, id: &str| {
        format!("  {}  {}", cell(purpose, purpose_width), cell(id, 36))
            .trim_end()
            .to_string()
    };
    let mut out = vec![
        first([
            &t("msg-ledger-col-status", &[]),
            &t("msg-f-delete-by", &[]),
            &t("msg-f-approval-id", &[]),
            &t("msg-ledger-col-engineer", &[]),
        ]),
        second(&t("msg-f-purpose", &[]), &t("msg-f-vault-id", &[])),
    ];
    for (e, status) in order.iter().zip(&statuses) {
        out.push(first([status, &e.delete_by, &e.approval_id, who(e)]));
        out.push(second(&e.purpose, &e.vault_id));
        if let Some(c) = consents.get(&e.vault_id) {
            out.push(
                format!("  {}", cell(&c.short, CONSOLE_COLUMNS - 2))
                    .trim_end()
                    .to_string(),
            );
        }
        for flag in flags(e) {
            out.push(format!("  {}", cell(&flag, CONSOLE_COLUMNS - 2)).trim_end().to_string());
        }
    }
    out
}

/// What a person must look at about an export's closing, one line each.
fn flags(e: &Entry) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(r) = &e.receipt {
        if !r.signature_valid {
            v.push(t("msg-ledger-flag-receipt-invalid", &[]));
        } else {
            if r.received_late {
                v.push(t(
                    "msg-ledger-flag-received-late",
                    &[("date", r.received_at.get(..10).unwrap_or(""))],
                ));
            }
            if r.time_set_by_hand {
                v.push(t("msg-ledger-receipt-hand-set", &[]));
            }
        }
    }
    v
}

/// One line an export, every column whole (wider than a console).
fn wide_table(entries: &[Entry], today: chrono::NaiveDate, consents: &HashMap<String, Shown>) -> Vec<String> {
    let mut rows = vec![[
        t("msg-ledger-col-status", &[]),
        t("msg-f-delete-by", &[]),
        t("msg-f-approval-id", &[]),
        t("msg-ledger-col-engineer", &[]),
        t("msg-f-purpose", &[]),
        t("msg-f-vault-id", &[]),
        t("msg-ledger-col-received", &[]),
        t("msg-consent-label", &[]),
    ]];
    for e in by_urgency(entries, today) {
        let mut received = e
            .receipt
            .as_ref()
            .map(|r| clock::local_display(&r.received_at))
            .unwrap_or_default();
        for f in flags(e) {
            received.push(' ');
            received.push_str(&f);
        }
        rows.push([
            status_text(e, today),
            e.delete_by.clone(),
            e.approval_id.clone(),
            who(e).to_string(),
            e.purpose.clone(),
            e.vault_id.clone(),
            received,
            consents.get(&e.vault_id).map(|c| c.full.clone()).unwrap_or_default(),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| width(&escape_controls(&r[i]))).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(v, w)| pad(v, *w))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect()
}

/// `kura ledger show ID`: every field of one export, one a line.
fn show(a: ShowArgs) -> Result<Report> {
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let db = a.ledger.open_existing()?;
    let today = clock::today();
    let e = db
        .get(&a.id)?
        .ok_or_else(|| Error::new(Kind::Refused, "err-ledger-unknown").arg("id", &a.id))?;
    let consent = consent_of(&db, &e, clinic_signers.as_ref())?;
    let mut rep = Report::new(json!({
        "ledger": db.path().display().to_string(),
        "export": entry_json(&e, today),
        "consent": consent.json,
    }));
    let mut field = |id: &str, value: &str| rep.push(format!("{}: {value}", t(id, &[])));
    field("msg-f-vault-id", &e.vault_id);
    field("msg-ledger-col-status", &status_text(&e, today));
    field("msg-f-approval-id", &e.approval_id);
    field("msg-ledger-f-approved-by", &e.approved_by);
    field("msg-f-purpose", &e.purpose);
    field("msg-f-delete-by", &e.delete_by);
    rep.push(consent.full);
    let mut field = |id: &str, value: &str| rep.push(format!("{}: {value}", t(id, &[])));
    field("msg-ledger-col-engineer", &e.engineer.display());
    field("msg-ledger-f-created", &clock::local_display(&e.created));
    field("msg-ledger-f-registered", &clock::local_display(&e.registered_at));
    field(
        "msg-ledger-f-custody",
        &t(
            "msg-ledger-custody-copy",
            &[("n", &e.custody_records.to_string()), ("source", &e.custody_source)],
        ),
    );
    if let Some(c) = &e.closed {
        field("msg-ledger-f-certificate", &c.certificate_id);
        field("msg-ledger-f-issued", &clock::local_display(&c.issued_at));
        field("msg-ledger-f-issuer", &c.issuer);
        field("msg-ledger-f-closed", &clock::local_display(&c.recorded_at));
    }
    match &e.receipt {
        Some(r) if r.signature_valid => rep.push(receipt_line(r, true)),
        Some(_) => {
            for f in flags(&e) {
                rep.push(f);
            }
        }
        None if e.closed.is_some() => rep.push(t("msg-ledger-no-receipt", &[])),
        None => {}
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
