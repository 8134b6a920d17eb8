//! `kura inspect`: a vault's public facts from its receipt, no key needed.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{bytes, t, Report};
use kura::clock;
use kura::error::{Error, Kind, Result};
use kura::keys::AllowedSigners;
use kura::naming::custody_path;
use kura::vault::volumes;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The vault
    pub vault: PathBuf,
    /// Its custody log (default: VAULT.custody)
    #[arg(long, value_name = "FILE")]
    pub custody: Option<PathBuf>,
    /// OpenSSH allowed_signers file: name the recipients as it does
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub signers: Option<PathBuf>,
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
}

pub fn run(a: InspectArgs) -> Result<Report> {
    super::given("--custody", &a.custody)?;
    super::given("--signers", &a.signers)?;
    let signers = a.signers.as_deref().map(AllowedSigners::load).transpose()?;
    let clinic_signers = super::consent::load_signers(&a.clinic_signers)?;
    let custody = a.custody.clone().unwrap_or_else(|| custody_path(&a.vault));
    let chain = kura::custody::read(&custody)?;
    let r = &chain.receipt;
    let today = clock::today();
    let overdue = r.overdue(today);
    // A single file or the volumes of a split vault; one missing from a
    // series is an error, not an absent vault.
    let present = match volumes::files(&a.vault) {
        Ok(_) => true,
        Err(e) if e.id == "err-volume-missing" => return Err(e),
        Err(_) => false,
    };
    let (size, hash) = if present {
        (Some(volumes::size(&a.vault)?), Some(volumes::hash(&a.vault)?))
    } else {
        (None, None)
    };
    if present && (size != Some(r.ciphertext.size) || hash.as_deref() != Some(r.ciphertext.blake3.as_str())) {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "ciphertext"));
    }
    let consent = kura::approval::Consent::of_created(&r.approval, &r.created, clinic_signers.as_ref())?;
    let last = chain.records.last().map(|l| l.event.clone()).unwrap_or_default();
    // With a trust list, each recipient under the name it gives the key.
    let named: Vec<Option<String>> = r
        .recipients
        .iter()
        .map(|rc| signers.as_ref().and_then(|s| s.name_of(&rc.fingerprint)))
        .collect();
    let recipients: Vec<serde_json::Value> = r
        .recipients
        .iter()
        .zip(&named)
        .map(|(rc, name)| {
            let mut v = json!(rc);
            if signers.is_some() {
                v["principal"] = json!(name);
            }
            v
        })
        .collect();
    let document = r.approval.document_blake3.as_deref();
    let mut rep = Report::new(json!({
        "vault": a.vault.display().to_string(),
        "vault_present": present,
        "vault_id": r.vault_id,
        "created": r.created,
        "packer": r.packer,
        "approval": r.approval,
        "consent": super::consent::json(&consent),
        "overdue": overdue,
        "recipients": recipients,
        "approval_document_attached": document.is_some(),
        "file_count": r.file_count,
        "total_size": r.total_size,
        "ciphertext": r.ciphertext,
        "manifest_blake3": r.manifest_blake3,
        "custody_records": chain.records.len(),
        "last_event": last,
        "receipt_reconstructed": chain.reconstructed(),
    }));
    let yes_no = |b: bool| t(if b { "msg-yes" } else { "msg-no" }, &[]);
    let rows: Vec<(String, String)> = vec![
        (t("msg-f-vault-id", &[]), r.vault_id.clone()),
        (t("msg-f-created", &[]), clock::local_display(&r.created)),
        (t("msg-f-packer", &[]), r.packer.display()),
        (t("msg-f-approval-id", &[]), r.approval.id.clone()),
        (t("msg-f-approved-by", &[]), r.approval.approved_by.clone()),
        (t("msg-f-purpose", &[]), r.approval.purpose.clone()),
        (t("msg-f-delete-by", &[]), r.approval.delete_by.clone()),
        (
            t("msg-f-approval-doc", &[]),
            match document {
                Some(b) => t("msg-approval-doc-attached", &[("blake3", b)]),
                None => t("msg-approval-doc-none", &[]),
            },
        ),
        (t("msg-f-overdue", &[]), yes_no(overdue)),
        (
            t("msg-f-files", &[]),
            format!("{} ({})", r.file_count, bytes(r.total_size)),
        ),
        (
            t("msg-f-ciphertext", &[]),
            format!("{} ({} B)", bytes(r.ciphertext.size), r.ciphertext.size),
        ),
        ("BLAKE3".into(), r.ciphertext.blake3.clone()),
        (t("msg-f-vault-present", &[]), yes_no(present)),
        (
            t("msg-f-custody", &[]),
            format!("{} ({})", chain.records.len(), super::label("event", &last)),
        ),
    ];
    for (k, v) in rows {
        rep.push(format!("{} {v}", super::table::pad(&k, 18)));
    }
    for (rc, name) in r.recipients.iter().zip(&named) {
        let who = match (name, rc.comment.is_empty()) {
            (Some(p), _) => t(
                "msg-recipient-named",
                &[("principal", p), ("fingerprint", &rc.fingerprint)],
            ),
            (None, true) => rc.fingerprint.clone(),
            (None, false) => format!("{} ({})", rc.fingerprint, rc.comment),
        };
        let who = match (&signers, name) {
            (Some(_), None) => format!("{who} — {}", t("msg-recipient-unlisted", &[])),
            _ => who,
        };
        rep.push(format!("{} {who}", super::table::pad(&t("msg-f-recipient", &[]), 18)));
    }
    if signers.is_some() {
        let listed = named.iter().filter(|n| n.is_some()).count();
        let (n, k) = (r.recipients.len().to_string(), listed.to_string());
        rep.push(t("msg-recipients-listed", &[("n", &n), ("listed", &k)]));
    }
    if chain.reconstructed() {
        rep.push(t("warn-receipt-unproven", &[("path", &custody.display().to_string())]));
    }
    for l in super::consent::lines(&consent, &r.approval.delete_by) {
        rep.push(l);
    }
    Ok(rep)
}
