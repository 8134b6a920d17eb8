//! `kura certificate verify` and `kura certificate render`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::{bytes, t, Report};
use kura::certificate::model::{self, Timing};
use kura::certificate::{self, Verified};
use kura::clock;
use kura::error::{Error, Kind, Result};
use kura::i18n;

#[derive(Subcommand, Debug)]
pub enum CertificateCommand {
    /// Check a deletion or return certificate against your copy of the custody log
    Verify(VerifyCertArgs),
    /// Write a printable page (HTML, A4, Japanese and English) of a certificate, with its verification status and fingerprint
    Render(super::render::RenderArgs),
    /// Sign, as a witness, that you watched what a certificate states (the certificate and its signature are not changed)
    Countersign(super::countersign::CountersignArgs),
}

#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 valid (on time or late, as the first line says), 6 altered or \
inconsistent, 7 signer not in the allowed signers, 3 certificate for another vault, 10 file missing."
)]
pub struct VerifyCertArgs {
    /// The certificate (CERT.json)
    pub certificate: PathBuf,
    /// Your own copy of the custody log, taken at hand-over
    #[arg(long, value_name = "CLINIC_COPY")]
    pub custody: Option<PathBuf>,
    /// OpenSSH allowed_signers file: who may sign certificates
    #[arg(long, value_name = "FILE")]
    pub signers: Option<PathBuf>,
    /// The signature (default: CERT.json.sig)
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
}

pub fn run(c: CertificateCommand) -> Result<Report> {
    match c {
        CertificateCommand::Verify(a) => verify(a),
        CertificateCommand::Render(a) => super::render::run(a),
        CertificateCommand::Countersign(a) => super::countersign::run(a),
    }
}

/// The one plain sentence that opens the report, in the process language.
pub fn verdict(v: &Verified) -> String {
    verdict_in(v, i18n::lang())
}

/// The one plain sentence that opens the report, in `lang`. It says "within
/// the deadline" only when the chain's times are evidence and the vault was
/// deleted or returned, not lost.
pub fn verdict_in(v: &Verified, lang: i18n::Lang) -> String {
    let c = &v.certificate;
    let date = c.action_date().map(|d| d.to_string()).unwrap_or_default();
    let days = v.days_late.to_string();
    let returned = c.action == model::ACTION_RETURNED;
    let id = match (v.timeliness.timing, returned) {
        (Timing::VaultLost, _) => "msg-cert-valid-lost",
        (Timing::TimeNotReliable, true) => "msg-cert-valid-returned-unreliable",
        (Timing::TimeNotReliable, false) => "msg-cert-valid-deleted-unreliable",
        (Timing::OnTime, true) => "msg-cert-valid-returned",
        (Timing::Late, true) => "msg-cert-valid-returned-late",
        (Timing::OnTime, false) => "msg-cert-valid-deleted",
        (Timing::Late, false) => "msg-cert-valid-deleted-late",
    };
    i18n::text(
        lang,
        id,
        &[
            ("approval", &c.approval.id),
            ("vault", &c.vault.vault_id),
            ("date", &date),
            ("delete_by", &c.delete_by),
            ("days", &days),
        ],
    )
}

fn verify(a: VerifyCertArgs) -> Result<Report> {
    // Said in one line each (clinic staff read these), not as a usage block.
    let custody = a
        .custody
        .ok_or_else(|| Error::new(Kind::Usage, "err-cert-need-custody"))?;
    let signers = a
        .signers
        .ok_or_else(|| Error::new(Kind::Usage, "err-cert-need-signers"))?;
    super::given("--custody", [&custody])?;
    super::given("--signers", [&signers])?;
    super::given("--sig", &a.sig)?;
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let v = certificate::verify_files(&a.certificate, a.sig.as_deref(), &custody, &signers)?;
    let c = &v.certificate;
    let consent = kura::approval::Consent::of_created(&c.approval, &c.vault.created, clinic_signers.as_ref())?;
    let lang = i18n::lang();
    let mut rep = Report::new(json!({
        "valid": true,
        "verdict": verdict(&v),
        "certificate_id": c.certificate_id,
        "vault_id": c.vault.vault_id,
        "approval_id": c.approval.id,
        "action": c.action,
        "issued_at": c.issued_at,
        "delete_by": c.delete_by,
        "on_time": v.on_time,
        "days_late": v.days_late,
        "timing": v.timeliness.timing,
        "time_reliable": v.timeliness.time_reliable,
        "time_flags": v.timeliness.time_flags,
        "vault_lost": v.timeliness.vault_lost,
        "receipt_reconstructed": c.log_restarted(),
        "signer": { "principal": v.principal, "key": c.issuer.key },
        "custody_records": v.chain_records,
        "clinic_records": v.clinic_records,
        "witnesses": v.witnesses.iter().map(super::countersign::witness_json).collect::<Vec<_>>(),
        "consent": super::consent::json(&consent),
        "vaults": v.vaults,
        "issuer": {
            "name": c.issuer.name,
            "organisation": c.issuer.organisation,
            "title": c.issuer.title,
            "contact": c.issuer.contact,
        },
        "place": c.place,
        "medium_id": c.medium_id,
        "medium_after": c.medium_after,
        "items": c.items,
    }))
    .line(verdict(&v));
    if v.vaults > 1 {
        let n = v.vaults.to_string();
        rep.push(t("msg-cert-run-vaults", &[("n", &n), ("id", &c.vault.vault_id)]));
    }
    for l in super::custody::time_flag_lines(&v.timeliness.time_flags) {
        rep.push(l);
    }
    if c.log_restarted() {
        rep.push(t("warn-cert-log-restarted", &[]));
    }
    rep.push("");
    let yes_no = |b: bool| t(if b { "msg-yes" } else { "msg-no" }, &[]);
    let mut detail = |label: &str, value: String| rep.push(format!("  {}: {value}", t(label, &[])));
    detail("msg-f-certificate-id", c.certificate_id.clone());
    detail("msg-f-issued-at", clock::local_display(&c.issued_at));
    let org = if c.issuer.organisation.is_empty() {
        t("msg-not-given", &[])
    } else {
        c.issuer.organisation.clone()
    };
    detail("msg-f-issuer", format!("{} / {org}", c.issuer.name));
    detail(
        "msg-f-signed-by",
        t(
            "msg-signer-trusted",
            &[("key", &c.issuer.key.display()), ("principal", &v.principal)],
        ),
    );
    detail("msg-f-vault-id", c.vault.vault_id.clone());
    detail("msg-f-approval-id", c.approval.id.clone());
    detail("msg-f-approved-by", c.approval.approved_by.clone());
    detail("msg-f-purpose", c.approval.purpose.clone());
    detail(
        "msg-f-files",
        format!("{} ({})", c.vault.file_count, bytes(c.vault.total_size)),
    );
    let action = match c.action.as_str() {
        _ if v.timeliness.vault_lost => "msg-action-lost",
        model::ACTION_RETURNED => "msg-action-returned",
        _ => "msg-action-deleted",
    };
    detail("msg-f-action", t(action, &[]));
    detail("msg-f-delete-by", c.delete_by.clone());
    match v.timeliness.timing {
        Timing::OnTime | Timing::Late => detail("msg-f-on-time", yes_no(v.on_time)),
        Timing::TimeNotReliable => detail("msg-f-timing", t("msg-time-not-reliable", &[])),
        Timing::VaultLost => detail("msg-f-timing", t("msg-timing-vault-lost", &[])),
    }
    detail("msg-f-host", c.host.clone());
    for (name, value) in c.stated() {
        let value = match name {
            "medium-after" => super::label("medium-after", value),
            _ => value.to_string(),
        };
        detail(&format!("msg-f-{name}"), value);
    }
    detail(
        "msg-f-method",
        format!(
            "NIST SP 800-88 \"{}\" — {}",
            c.method.category,
            c.method.technique.get(lang)
        ),
    );
    detail("msg-f-verification", c.verification.method.get(lang).to_string());
    detail(
        "msg-f-custody",
        t(
            "msg-cert-chain-ok",
            &[
                ("n", &v.chain_records.to_string()),
                ("k", &v.clinic_records.to_string()),
            ],
        ),
    );
    for l in super::consent::lines(&consent, &c.delete_by) {
        rep.push(format!("  {l}"));
    }
    for l in super::countersign::witness_lines(&v.witnesses) {
        rep.push(l);
    }
    for i in &c.items {
        rep.push(format!(
            "    - {} [{}] {} ({}, {} {}) BLAKE3 {}",
            i.path,
            super::label("role", &i.role),
            super::label("outcome", &i.outcome),
            bytes(i.size),
            i.files,
            t("msg-f-files", &[]),
            i.blake3
        ));
        for l in item_medium_lines(i) {
            rep.push(format!("      {l}"));
        }
    }
    for x in &c.verification.extractions {
        rep.push(format!(
            "    - {}: {} @ {} ({})",
            t("msg-f-extraction", &[]),
            x.destination,
            x.host,
            super::label("extraction", &x.status)
        ));
    }
    rep.push(format!("  {}", c.method.caveat.get(lang)));
    Ok(rep)
}

/// An item's medium in one line: kind, maker and model, serial number,
/// file system, encryption; what is not known said so.
pub fn medium_line(m: &model::ItemMedium) -> String {
    let unknown = || t("msg-medium-unknown", &[]);
    let name: Vec<&str> = [&m.vendor, &m.model]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let identity = match (name.is_empty(), &m.serial) {
        (true, None) => t("msg-medium-identity-unknown", &[]),
        (true, s) | (false, s) => {
            let name = if name.is_empty() { unknown() } else { name.join(" ") };
            let serial = s.clone().unwrap_or_else(unknown);
            t("msg-medium-named", &[("name", &name), ("serial", &serial)])
        }
    };
    let fs = m.fs_type.clone().unwrap_or_else(unknown);
    let encrypted = match m.encrypted {
        Some(true) => "msg-medium-encrypted-yes",
        Some(false) => "msg-medium-encrypted-no",
        None => "msg-medium-encrypted-unknown",
    };
    let kind = super::label("medium-kind", &m.kind);
    let kind = match &m.transport {
        Some(tr) => format!("{kind} ({tr})"),
        None => kind,
    };
    let encrypted = t(encrypted, &[]);
    t(
        "msg-medium-line",
        &[
            ("kind", &kind),
            ("identity", &identity),
            ("fs", &fs),
            ("encrypted", &encrypted),
        ],
    )
}

/// The lines under an item: its medium and what destroying it achieved
/// (none for a certificate made before kura recorded them).
pub fn item_medium_lines(i: &model::Item) -> Vec<String> {
    let lang = i18n::lang();
    let mut out = vec![];
    if let Some(m) = &i.medium {
        out.push(format!("{}: {}", t("msg-f-medium", &[]), medium_line(m)));
    }
    if let Some(s) = &i.sanitization {
        out.push(format!(
            "{}: NIST SP 800-88 \"{}\" — {}",
            t("msg-f-sanitization", &[]),
            s.category,
            s.note.get(lang)
        ));
    }
    out
}
