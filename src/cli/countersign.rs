//! `kura certificate countersign`: a witness signs that they watched what a
//! certificate states; and how countersignatures are reported.

use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Value};

use super::{t, Report};
use kura::approval::Trust;
use kura::certificate::witness::{self, Countersign, Witness};
use kura::error::Result;

#[derive(Args, Debug)]
#[command(after_help = "The countersignature can be checked with OpenSSH alone:
  ssh-keygen -Y verify -f allowed_signers -I PRINCIPAL -n kura-countersign -s CERT.json.witness-1.json.sig < CERT.json.witness-1.json")]
pub struct CountersignArgs {
    /// The certificate (CERT.json)
    pub certificate: PathBuf,
    /// The witness's OpenSSH Ed25519 key (not the issuer's)
    #[arg(short = 'i', long = "identity", value_name = "KEY", required = true)]
    pub identity: PathBuf,
    /// File holding the key's passphrase
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// The witness's name, as it is to be printed
    #[arg(long, value_name = "NAME", required = true)]
    pub name: String,
    /// The witness's role (for example: the clinic's staff member who watched, the vendor's supervisor)
    #[arg(long, value_name = "ROLE", required = true)]
    pub role: String,
    /// What the witness saw or checked (never patient information)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// The certificate's signature (default: CERT.json.sig)
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
}

pub fn run(a: CountersignArgs) -> Result<Report> {
    super::given("-i", [&a.identity])?;
    super::given("--passphrase-file", &a.passphrase_file)?;
    super::given("--sig", &a.sig)?;
    let pass = kura::keys::PassphraseSource::new(a.passphrase_file.clone());
    let key = kura::keys::identity::load_signing_key(&a.identity, &pass)?;
    let what = Countersign {
        name: &a.name,
        role: &a.role,
        note: a.note.as_deref(),
    };
    let path = witness::countersign(&a.certificate, a.sig.as_deref(), &key, &what)?;
    let sig = witness::sig_path(&path);
    let (path, sig) = (path.display().to_string(), sig.display().to_string());
    Ok(Report::new(json!({
        "statement": path,
        "signature": sig,
        "certificate": a.certificate.display().to_string(),
        "name": a.name,
        "role": a.role,
        "signer": key.info(),
    }))
    .line(t("msg-countersign-done", &[("path", &path), ("sig", &sig)])))
}

/// A witness for `--json`: who, when, and whether their signer is trusted.
pub fn witness_json(w: &Witness) -> Value {
    let s = &w.statement;
    let (trusted, principal) = match &w.trust {
        Trust::Trusted(p) => (Value::Bool(true), Value::String(p.clone())),
        Trust::Untrusted => (Value::Bool(false), Value::Null),
        Trust::Unchecked => (Value::Null, Value::Null),
    };
    json!({
        "name": s.name,
        "role": s.role,
        "note": s.note,
        "signed_at": s.signed_at,
        "time_hand_set": w.hand_set(),
        "time_before_certificate": w.dated_before_certificate,
        "signature_valid": true,
        "trusted": trusted,
        "principal": principal,
        "key": s.signer,
        "statement": w.path.display().to_string(),
    })
}

/// One line per witness for the text report.
pub fn witness_lines(witnesses: &[Witness]) -> Vec<String> {
    if witnesses.is_empty() {
        return vec![format!(
            "  {}: {}",
            t("msg-f-witnesses", &[]),
            t("msg-witness-none", &[])
        )];
    }
    witnesses
        .iter()
        .map(|w| {
            let s = &w.statement;
            let mut when = kura::clock::local_display(&s.signed_at);
            if w.hand_set() {
                when.push_str(&format!(" ! {}", t("msg-witness-hand-set", &[])));
            }
            if w.dated_before_certificate {
                when.push_str(&format!(" ! {}", t("msg-witness-before-certificate", &[])));
            }
            let trust = match &w.trust {
                Trust::Trusted(p) => t("msg-witness-trusted", &[("principal", p)]),
                Trust::Untrusted => t("msg-witness-untrusted", &[("key", &s.signer.display())]),
                Trust::Unchecked => t("msg-witness-unchecked", &[("key", &s.signer.display())]),
            };
            format!(
                "  {}: {} ({}) {when} — {trust}",
                t("msg-f-witness", &[]),
                s.name,
                s.role
            )
        })
        .collect()
}
