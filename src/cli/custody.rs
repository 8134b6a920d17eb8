//! `kura custody add | show | verify`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::table::pad;
use super::{t, Report};
use kura::clock;
use kura::custody::{self, NewEvent, TimeFlag, TimeIssue};
use kura::error::Result;
use kura::keys::AllowedSigners;

#[derive(Subcommand, Debug)]
pub enum CustodyCommand {
    /// Append a signed event a person attests (handover, received, note, lost).
    /// Notes must never name a patient.
    #[command(after_help = NO_PATIENTS)]
    Add(AddArgs),
    /// Show the log as a table
    Show(ShowArgs),
    /// Check every signature and link of the chain
    Verify(VerifyLogArgs),
}

/// The warning `custody add --help` ends with (translated: help-custody-add-after-help).
const NO_PATIENTS: &str = "WARNING: the custody log travels with the vault and is handed to the clinic \
and others unencrypted. Never write a patient's name, patient number or anything else that identifies \
a patient in a note.";

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The vault (or its .custody file)
    pub vault: PathBuf,
    /// handover, received, note or lost (what kura records itself — packed, verified, extracting, extracted, abandoned, deleted, returned — is refused)
    #[arg(long, value_name = "KIND")]
    pub event: String,
    /// Free text, stored unencrypted: NEVER a patient's name or anything identifying a patient
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// My OpenSSH Ed25519 key (signs the record)
    #[arg(short = 'i', long = "identity", value_name = "KEY", required = true)]
    pub identity: PathBuf,
    /// File holding the key's passphrase
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Command that prints the key's passphrase, run by the shell (else $KURA_PASSPHRASE_COMMAND)
    #[arg(long, value_name = "CMD", conflicts_with = "passphrase_file")]
    pub passphrase_command: Option<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The vault (or its .custody file)
    pub vault: PathBuf,
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct VerifyLogArgs {
    /// The vault (or its .custody file)
    pub vault: PathBuf,
    /// OpenSSH allowed_signers file: every actor must be listed
    #[arg(long, value_name = "FILE")]
    pub signers: Option<PathBuf>,
}

pub fn run(c: CustodyCommand) -> Result<Report> {
    match c {
        CustodyCommand::Add(a) => add(a),
        CustodyCommand::Show(a) => show(a),
        CustodyCommand::Verify(a) => verify(a),
    }
}

fn add(a: AddArgs) -> Result<Report> {
    super::given("-i", [&a.identity])?;
    super::given("--passphrase-file", &a.passphrase_file)?;
    let path = custody::log_path(&a.vault);
    let pass = kura::keys::PassphraseSource::with_command(a.passphrase_file.clone(), a.passphrase_command.clone());
    let signer = kura::keys::identity::load_signing_key(&a.identity, &pass)?;
    let ev = NewEvent {
        event: a.event.clone(),
        note: a.note.clone(),
        ..Default::default()
    };
    let rec = custody::attest(&path, ev, &signer, clock::now()).map_err(|e| match e.id {
        // Said for a person's record, not an extraction's.
        "err-custody-unwritable" => {
            let detail = e.args.iter().find(|(k, _)| *k == "detail").map(|(_, v)| v.clone());
            kura::error::Error::new(kura::error::Kind::Io, "err-custody-add-unwritable")
                .arg("path", path.display())
                .arg("detail", detail.unwrap_or_default())
        }
        _ => e,
    })?;
    let seq = rec.seq.to_string();
    Ok(
        Report::new(json!({ "custody": path.display().to_string(), "record": rec })).line(t(
            "msg-custody-added",
            &[("n", &seq), ("event", &event_label(&rec.event))],
        )),
    )
}

fn show(a: ShowArgs) -> Result<Report> {
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let path = custody::log_path(&a.vault);
    let chain = custody::read(&path)?;
    let r = &chain.receipt;
    let consent = kura::approval::Consent::of_created(&r.approval, &r.created, clinic_signers.as_ref())?;
    let flags = chain.time_flags();
    let mut rep = Report::new(json!({
        "custody": path.display().to_string(),
        "vault_id": chain.vault_id(),
        // The verified receipt as an object; the first record keeps its
        // exact signed text (`receipt`, a string, with `receipt_sig`).
        "receipt": chain.receipt,
        "records": chain.records,
        "torn_tail": chain.torn_tail,
        "time_reliable": flags.is_empty(),
        "time_flags": flags,
        "receipt_reconstructed": chain.reconstructed(),
        "consent": super::consent::json(&consent),
    }));
    // A record whose time is flagged is marked `!` after its number; the
    // lines under the table say why.
    let row = |n: &str, mark: &str, time: &str, event: &str, who: &str, host: &str, note: &str| {
        format!(
            "{n:>3}{mark} {}  {}  {}  {}  {note}",
            pad(time, 26),
            pad(event, 10),
            pad(who, 30),
            pad(host, 16)
        )
        .trim_end()
        .to_string()
    };
    rep.push(row(
        "#",
        " ",
        &t("msg-col-time", &[]),
        &t("msg-col-event", &[]),
        &t("msg-col-who", &[]),
        &t("msg-col-where", &[]),
        &t("msg-col-note", &[]),
    ));
    for r in &chain.records {
        let who = if r.actor.comment.is_empty() {
            r.actor.fingerprint.clone()
        } else {
            r.actor.comment.clone()
        };
        let mut note = r.note.clone().unwrap_or_default();
        if let Some(d) = r.details.get("destination").and_then(|v| v.as_str()) {
            // A file sent to standard output (`extract --to-stdout`).
            let stdout;
            let d = match (
                kura::custodian::is_stdout_copy(r),
                r.details.get("member").and_then(|v| v.as_str()),
            ) {
                (true, Some(m)) => {
                    stdout = t("msg-stdout-member", &[("member", m)]);
                    stdout.as_str()
                }
                _ => d,
            };
            note = if note.is_empty() {
                format!("→ {d}")
            } else {
                format!("{note} (→ {d})")
            };
        }
        // The record that started the log carries the receipt, and with it
        // the approval: whether the clinic signed it is said there.
        if r.receipt.is_some() {
            let said = super::consent::headline(&consent);
            note = if note.is_empty() {
                said
            } else {
                format!("{note}; {said}")
            };
        }
        let flagged = flags.iter().any(|f| f.record == r.seq);
        rep.push(row(
            &r.seq.to_string(),
            if flagged { TIME_MARK } else { " " },
            &clock::local_display(&r.time),
            &event_label(&r.event),
            &who,
            &r.host,
            &note,
        ));
    }
    for l in time_flag_lines(&flags) {
        rep.push(l);
    }
    if chain.torn_tail {
        rep.push(t("warn-custody-torn", &[]));
    }
    unproven_line(&chain, &path, &mut rep);
    Ok(rep)
}

/// The line saying a restarted log's receipt is unproven (FORMAT.md 4.6).
fn unproven_line(chain: &custody::Chain, path: &std::path::Path, rep: &mut Report) {
    if chain.reconstructed() {
        rep.push(t("warn-receipt-unproven", &[("path", &path.display().to_string())]));
    }
}

fn verify(a: VerifyLogArgs) -> Result<Report> {
    super::given("--signers", &a.signers)?;
    let path = custody::log_path(&a.vault);
    let chain = custody::read(&path)?;
    if let Some(s) = &a.signers {
        chain.require_signers(&AllowedSigners::load(s)?)?;
    }
    let n = chain.records.len().to_string();
    let flags = chain.time_flags();
    let mut rep = Report::new(json!({
        "custody": path.display().to_string(),
        "vault_id": chain.vault_id(),
        "records": chain.records.len(),
        "signers_checked": a.signers.is_some(),
        "torn_tail": chain.torn_tail,
        "time_reliable": flags.is_empty(),
        "time_flags": flags,
        "receipt_reconstructed": chain.reconstructed(),
    }))
    .line(t("msg-custody-ok", &[("n", &n), ("id", chain.vault_id())]));
    for l in time_flag_lines(&flags) {
        rep.push(l);
    }
    if a.signers.is_none() {
        rep.push(t("msg-custody-unchecked", &[]));
    }
    if chain.torn_tail {
        rep.push(t("warn-custody-torn", &[]));
    }
    unproven_line(&chain, &path, &mut rep);
    Ok(rep)
}

/// The mark on a row whose time is flagged.
pub const TIME_MARK: &str = "!";

/// One line for each reason some records' times are not evidence (none when
/// every time is), each starting with [`TIME_MARK`]. They name records by
/// number only.
pub fn time_flag_lines(flags: &[TimeFlag]) -> Vec<String> {
    let mut out = Vec::new();
    let hand_set: Vec<String> = flags
        .iter()
        .filter(|f| f.issue == TimeIssue::HandSet)
        .map(|f| format!("#{}", f.record))
        .collect();
    if !hand_set.is_empty() {
        out.push(t("warn-time-hand-set", &[("records", &hand_set.join(", "))]));
    }
    for f in flags {
        let n = f.record.to_string();
        match (f.issue, f.dated_before) {
            (TimeIssue::Backwards, Some(b)) => {
                out.push(t("warn-time-backwards", &[("n", &n), ("before", &b.to_string())]))
            }
            (TimeIssue::Unreadable, _) => out.push(t("warn-time-unreadable", &[("n", &n)])),
            _ => {}
        }
    }
    out
}

/// An event as people read it in their language (the log itself keeps the
/// language-neutral name, as does `--json`).
pub fn event_label(event: &str) -> String {
    super::label("event", event)
}
