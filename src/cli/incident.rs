//! `kura incident`: a factual draft for the loss report.

use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};
use clap::Args;
use serde_json::json;

use super::ledger::LedgerPath;
use super::table::cell;
use super::{bytes, t, Report};
use kura::clock;
use kura::custody::{self, Chain, NewEvent};
use kura::error::{Error, Kind, Result};
use kura::incident::{Calendar, Event, Facts};
use kura::keys::{AllowedSigners, KeyInfo, PassphraseSource};

#[derive(Args, Debug)]
#[command(
    after_help = "The draft names no patient and no file: only counts, sizes, the approval, the keys \
and the custody events (without their notes). Notes you add must not name patients either."
)]
pub struct IncidentArgs {
    /// A copy of the custody log (X.kura.custody) of the vault that was on the lost medium
    #[arg(value_name = "X.kura.custody", required_unless_present = "from_ledger")]
    pub custody: Option<PathBuf>,
    /// Use the ledger's copy of the custody log of this vault instead of a file
    #[arg(long, value_name = "VAULT_ID", conflicts_with_all = ["custody", "identity"])]
    pub from_ledger: Option<String>,
    /// The day the loss was discovered (default: today)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub discovered: Option<String>,
    /// Record the loss: append a signed "lost" event to the custody log with this OpenSSH key
    #[arg(short = 'i', long = "identity", value_name = "KEY")]
    pub identity: Option<PathBuf>,
    /// File holding the key's passphrase
    #[arg(long, value_name = "FILE", requires = "identity")]
    pub passphrase_file: Option<PathBuf>,
    /// Command that prints the key's passphrase, run by the shell (else $KURA_PASSPHRASE_COMMAND)
    #[arg(long, value_name = "CMD", conflicts_with = "passphrase_file", requires = "identity")]
    pub passphrase_command: Option<String>,
    /// Note for the "lost" record, e.g. where it was last seen (never patient information)
    #[arg(long, value_name = "TEXT", requires = "identity")]
    pub note: Option<String>,
    /// OpenSSH allowed_signers file: every signer of the log must be listed
    #[arg(long, value_name = "FILE")]
    pub signers: Option<PathBuf>,
    /// More public holidays (one "YYYY-MM-DD NAME" a line), for years or changes kura's table lacks
    #[arg(long, value_name = "FILE")]
    pub holidays: Option<PathBuf>,
    /// The loss may have been caused for an improper purpose (theft, unauthorised taking): the Commission's final report is due in 60 days, not 30
    #[arg(long)]
    pub improper_purpose: bool,
    #[command(flatten)]
    pub ledger: LedgerPath,
}

/// Largest holidays file kura reads.
const MAX_HOLIDAYS_BYTES: u64 = 1 << 20;

/// The built-in holidays, and those of `--holidays FILE`.
fn calendar(file: Option<&std::path::Path>) -> Result<Calendar> {
    let mut c = Calendar::japan();
    if let Some(p) = file {
        let text = kura::fsutil::read_bounded_text(p, MAX_HOLIDAYS_BYTES)?;
        c.add_file(&text, &p.display().to_string())?;
    }
    Ok(c)
}

fn date(d: NaiveDate) -> String {
    let wd = d.weekday().to_string().to_ascii_lowercase();
    t(
        "msg-incident-date",
        &[
            ("date", &d.format("%Y-%m-%d").to_string()),
            ("weekday", &t("msg-weekday", &[("day", &wd)])),
        ],
    )
}

fn who(k: &KeyInfo) -> String {
    if k.comment.is_empty() {
        k.fingerprint.clone()
    } else {
        k.comment.clone()
    }
}

/// An event as the draft cites it: in a language other than the log's
/// own, the word the log records followed by its translation, so that the
/// report can be matched with the log (`lost（紛失）`).
fn cited(event: &str) -> String {
    let word = super::label("event", event);
    match kura::i18n::lang() {
        kura::i18n::Lang::En => word,
        _ => format!("{event}（{word}）"),
    }
}

fn event_args(e: &Event) -> [(&'static str, String); 5] {
    [
        ("n", e.seq.to_string()),
        ("event", cited(&e.event)),
        ("time", clock::local_display(&e.time)),
        ("who", who(&e.actor)),
        ("host", e.host.clone()),
    ]
}

fn tr(id: &str, args: &[(&str, String)]) -> String {
    let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t(id, &a)
}

/// The chain the report is about, after recording the loss if asked.
fn load(a: &IncidentArgs) -> Result<(Chain, Option<PathBuf>)> {
    if let Some(id) = &a.from_ledger {
        let db = a.ledger.open_existing()?;
        let text = db
            .custody_text(id)?
            .ok_or_else(|| Error::new(Kind::Refused, "err-ledger-unknown").arg("id", id))?;
        return Ok((custody::verify_text(&text)?, None));
    }
    let path = custody::log_path(a.custody.as_deref().expect("clap requires it"));
    Ok((custody::read(&path)?, Some(path)))
}

pub fn run(a: IncidentArgs) -> Result<Report> {
    super::given("-i", &a.identity)?;
    super::given("--passphrase-file", &a.passphrase_file)?;
    super::given("--signers", &a.signers)?;
    super::given("--holidays", &a.holidays)?;
    let calendar = calendar(a.holidays.as_deref())?;
    let today = clock::today();
    let discovered = match &a.discovered {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= today)
            .ok_or_else(|| Error::new(Kind::Usage, "err-incident-date").arg("date", s))?,
        None => today,
    };
    let (mut chain, path) = load(&a)?;
    if let Some(s) = &a.signers {
        chain.require_signers(&AllowedSigners::load(s)?)?;
    }
    let mut recorded = None;
    if let (Some(key), Some(path)) = (&a.identity, &path) {
        let signer = kura::keys::identity::load_signing_key(
            key,
            &PassphraseSource::with_command(a.passphrase_file.clone(), a.passphrase_command.clone()),
        )?;
        let mut ev = NewEvent::new("lost").detail("discovered", discovered.format("%Y-%m-%d").to_string());
        ev.note = a.note.clone();
        let rec = custody::attest(path, ev, &signer, clock::now())?;
        chain = custody::read(path)?;
        recorded = Some(rec.seq);
    }
    let f = Facts::of(&chain, discovered, &calendar, a.improper_purpose);
    let draft = draft(&f, recorded, a.signers.is_some());
    let items: Vec<_> = ppc_items(&f)
        .into_iter()
        .map(|(key, value)| json!({ "item": key, "text": value }))
        .collect();
    let mut rep = Report::new(json!({
        "custody": path.map(|p| p.display().to_string()),
        "from_ledger": a.from_ledger,
        "facts": f,
        "signers_checked": a.signers.is_some(),
        "lost_recorded": recorded,
        "ppc_items": items,
        "draft": draft,
        "consent": kura::approval::Consent::of_created(&f.contents.approval, &f.contents.created, None)
            .map_or_else(|e| super::consent::unreadable(&e), |c| super::consent::json(&c)),
    }));
    for l in draft {
        rep.push(l);
    }
    Ok(rep)
}

fn draft(f: &Facts, recorded: Option<u64>, signers_checked: bool) -> Vec<String> {
    let mut out = vec![
        t("msg-incident-title", &[]),
        t("msg-incident-intro", &[]),
        String::new(),
    ];
    deadline(&mut out, f);
    contents(&mut out, f);
    protection(&mut out, f, signers_checked);
    custody_events(&mut out, f);
    ppc(&mut out, f);
    clinic_notice(&mut out, f);
    next_steps(&mut out, f, recorded);
    out
}

/// Starts a section of the draft: its heading, after a blank line.
fn section(out: &mut Vec<String>, id: &str) {
    if out.last().is_some_and(|l| !l.is_empty()) {
        out.push(String::new());
    }
    out.push(t(id, &[]));
}

/// A line of a section, indented.
fn item(s: String) -> String {
    format!("  {s}")
}

/// When the loss was discovered, and by when it must be reported.
fn deadline(out: &mut Vec<String>, f: &Facts) {
    section(out, "msg-incident-h-deadline");
    out.push(item(t("msg-incident-discovered", &[("date", &date(f.discovered))])));
    out.push(item(t(
        "msg-incident-deadline",
        &[("n", &f.business_days.to_string()), ("date", &date(f.deadline))],
    )));
    if f.public_holidays_considered {
        out.push(item(t(
            "msg-incident-holidays-known",
            &[("source", &f.calendar.sources.join("; "))],
        )));
    } else {
        let years: Vec<String> = f.calendar.years.iter().map(|y| y.to_string()).collect();
        out.push(item(t(
            "msg-incident-holidays-unknown",
            &[("years", &years.join(", "))],
        )));
    }
    if !f.days_off.is_empty() {
        let days: Vec<String> = f
            .days_off
            .iter()
            .map(|o| {
                let why = match o.why.as_str() {
                    "sat" | "sun" => t("msg-weekday", &[("day", &o.why)]),
                    "year-end" => t("msg-incident-year-end", &[]),
                    h => h.to_string(),
                };
                format!("{} {why}", o.date.format("%m-%d"))
            })
            .collect();
        out.push(item(t("msg-incident-days-off", &[("days", &days.join(", "))])));
    }
}

/// The nine items of the Commission's report (規則第8条第1項), each with
/// what the log and the approval can say, or null where only people can
/// fill it in.
fn ppc_items(f: &Facts) -> Vec<(&'static str, Option<String>)> {
    let c = &f.contents;
    let signed = f.approval.signed.as_ref();
    let mut other = t("msg-incident-ppc-other-text", &[]);
    if let Some(plan) = signed.and_then(|a| a.loss_plan.as_deref()) {
        other.push(' ');
        other.push_str(&t("msg-incident-ppc-loss-plan", &[("plan", plan)]));
    }
    vec![
        (
            "summary",
            Some(t(
                "msg-incident-ppc-summary-text",
                &[
                    ("date", &date(f.discovered)),
                    ("id", &c.vault_id),
                    ("files", &c.file_count.to_string()),
                    ("approval", &c.approval.id),
                ],
            )),
        ),
        (
            "items",
            Some(match signed {
                Some(a) => t("msg-incident-ppc-items-scope", &[("scope", &a.scope)]),
                None => t("msg-incident-ppc-items-text", &[("purpose", &c.approval.purpose)]),
            }),
        ),
        (
            "persons",
            signed.map(|a| t("msg-incident-ppc-persons-scope", &[("scope", &a.scope)])),
        ),
        ("cause", None),
        ("secondary-damage", None),
        ("response-to-persons", None),
        ("publication", None),
        ("prevention", None),
        ("other", Some(other)),
    ]
}

/// The Commission's dates and report items, and where the 高度な暗号化
/// exemption stands.
fn ppc(out: &mut Vec<String>, f: &Facts) {
    let p = &f.ppc;
    section(out, "msg-incident-h-ppc");
    out.push(item(t("msg-incident-ppc-who", &[])));
    out.push(item(t(
        "msg-incident-ppc-preliminary",
        &[("from", &date(p.preliminary_from)), ("by", &date(p.preliminary_by))],
    )));
    out.push(item(t(
        if p.improper_purpose {
            "msg-incident-ppc-final-improper"
        } else {
            "msg-incident-ppc-final"
        },
        &[("days", &p.final_days.to_string()), ("date", &date(p.final_by))],
    )));
    out.push(item(t("msg-incident-ppc-items", &[])));
    for (i, (key, value)) in ppc_items(f).into_iter().enumerate() {
        let value = value.unwrap_or_else(|| t("msg-incident-to-fill", &[]));
        out.push(format!(
            "    ({}) {}: {value}",
            i + 1,
            t(&format!("msg-incident-ppc-item-{key}"), &[])
        ));
    }
    out.push(item(t("msg-incident-ppc-exemption", &[])));
}

/// The notice to the clinic, the party that entrusted the data (委託元).
fn clinic_notice(out: &mut Vec<String>, f: &Facts) {
    let c = &f.contents;
    section(out, "msg-incident-h-clinic");
    let to = match &f.approval.signed {
        Some(a) => {
            let clinic = match &a.clinic.code {
                Some(code) => format!("{} ({code})", a.clinic.name),
                None => a.clinic.name.clone(),
            };
            format!("{clinic} {} {}", a.approver.role, a.approver.name)
        }
        None => c.approval.approved_by.clone(),
    };
    out.push(item(t("msg-incident-clinic-to", &[("by", &to)])));
    out.push(item(t(
        match f.approval.consent.as_str() {
            "declared" => "msg-incident-approval-declared",
            "invalid" => "msg-incident-approval-invalid",
            _ => "msg-incident-approval-signed",
        },
        &[("id", &c.approval.id)],
    )));
    out.push(item(t(
        "msg-incident-clinic-body",
        &[
            ("date", &date(f.discovered)),
            ("id", &c.vault_id),
            ("approval", &c.approval.id),
            ("purpose", &c.approval.purpose),
            ("files", &c.file_count.to_string()),
            ("deadline", &date(f.deadline)),
        ],
    )));
    out.push(item(t(
        "msg-incident-clinic-ppc",
        &[
            ("from", &date(f.ppc.preliminary_from)),
            ("final", &date(f.ppc.final_by)),
        ],
    )));
    out.push(item(t("msg-incident-clinic-contact", &[])));
}

/// What the vault held: counts, sizes and the approval, never names.
fn contents(out: &mut Vec<String>, f: &Facts) {
    let c = &f.contents;
    section(out, "msg-incident-h-contents");
    out.push(item(t(
        "msg-incident-vault",
        &[
            ("id", &c.vault_id),
            ("created", &clock::local_display(&c.created)),
            ("packer", &c.packer.display()),
        ],
    )));
    out.push(item(t(
        "msg-incident-files",
        &[
            ("files", &c.file_count.to_string()),
            ("size", &bytes(c.total_size)),
            ("csize", &bytes(c.ciphertext_size)),
        ],
    )));
    out.push(item(t(
        "msg-incident-approval",
        &[
            ("id", &c.approval.id),
            ("by", &c.approval.approved_by),
            ("purpose", &c.approval.purpose),
            ("delete_by", &c.approval.delete_by),
        ],
    )));
    out.push(item(consent_line(c)));
    out.push(item(t("msg-incident-no-names", &[])));
}

/// Whether the clinic signed the approval (not checked against a clinic
/// signers file: the draft says what the log shows); a signed approval that
/// does not match is said so, not hidden, as the report must still go out.
fn consent_line(c: &kura::incident::Contents) -> String {
    match kura::approval::Consent::of_created(&c.approval, &c.created, None) {
        Ok(consent) => super::consent::headline(&consent),
        Err(e) => e.message(kura::i18n::lang()),
    }
}

/// How the vault was protected, and whether its signers were checked.
fn protection(out: &mut Vec<String>, f: &Facts, signers_checked: bool) {
    let p = &f.protection;
    section(out, "msg-incident-h-protection");
    out.push(item(t(
        "msg-incident-encryption",
        &[("n", &p.recipients.len().to_string())],
    )));
    for r in &p.recipients {
        let comment = if r.comment.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.comment)
        };
        out.push(format!("    - {} {}{comment}", r.kind, r.fingerprint));
    }
    out.push(item(t(
        "msg-incident-signed",
        &[
            ("packer", &p.manifest_signed_by.display()),
            ("hash", &p.ciphertext_blake3),
        ],
    )));
    out.push(item(t("msg-incident-chain-ok", &[("n", &f.events.len().to_string())])));
    out.push(item(t(
        if signers_checked {
            "msg-incident-signers-checked"
        } else {
            "msg-incident-signers-unchecked"
        },
        &[],
    )));
}

/// The custody log's events (without their notes), and what they tell.
fn custody_events(out: &mut Vec<String>, f: &Facts) {
    section(out, "msg-incident-h-custody");
    let row = |n: &str, time: &str, event: &str, who: &str, host: &str| {
        format!(
            "  {:>3}  {}  {}  {}  {host}",
            n,
            cell(time, 26),
            cell(event, 10),
            cell(who, 28)
        )
    };
    out.push(row(
        "#",
        &t("msg-col-time", &[]),
        &t("msg-col-event", &[]),
        &t("msg-col-who", &[]),
        &t("msg-col-where", &[]),
    ));
    for e in &f.events {
        out.push(row(
            &e.seq.to_string(),
            &clock::local_display(&e.time),
            &super::label("event", &e.event),
            &who(&e.actor),
            &e.host,
        ));
    }
    for l in super::custody::time_flag_lines(&f.time_flags) {
        out.push(item(l));
    }
    out.push(item(tr("msg-incident-last", &event_args(&f.last_event))));
    if let Some(e) = &f.closed_by {
        let id = if e.event == "returned" {
            "msg-incident-was-returned"
        } else {
            "msg-incident-was-deleted"
        };
        out.push(item(tr(id, &event_args(e))));
    }
    if f.extractions.is_empty() {
        out.push(item(t("msg-incident-no-extractions", &[])));
    } else {
        let mut hosts: Vec<&str> = f.extractions.iter().map(|e| e.host.as_str()).collect();
        hosts.sort();
        hosts.dedup();
        out.push(item(t(
            "msg-incident-extractions",
            &[("n", &f.extractions.len().to_string()), ("hosts", &hosts.join(", "))],
        )));
    }
    if f.notes_omitted > 0 {
        out.push(item(t(
            "msg-incident-notes-omitted",
            &[("n", &f.notes_omitted.to_string())],
        )));
    }
}

/// What to do next, numbered.
fn next_steps(out: &mut Vec<String>, f: &Facts, recorded: Option<u64>) {
    section(out, "msg-incident-h-steps");
    let mut steps = vec![
        t("msg-incident-step-report", &[("date", &date(f.deadline))]),
        t("msg-incident-step-search", &[]),
        t("msg-incident-step-keys", &[]),
        t("msg-incident-step-ppc", &[]),
    ];
    steps.push(match recorded {
        Some(n) => t("msg-incident-step-recorded", &[("n", &n.to_string())]),
        None => t("msg-incident-step-record", &[]),
    });
    if !f.extractions.is_empty() && f.closed_by.is_none() {
        steps.push(t("msg-incident-step-copies", &[]));
    }
    steps.push(t("msg-incident-step-found", &[]));
    for (i, s) in steps.iter().enumerate() {
        out.push(format!("  {}. {s}", i + 1));
    }
}
