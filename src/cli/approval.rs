//! `kura approval render | show`: the clinic's take-out approval
//! (`APPROVAL.json`) as a printable form, or as text, with whether the
//! signature beside it verifies.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::{t, Report};
use kura::approval::Trust;
use kura::error::{Error, Kind, Result};
use kura::form::{self, Form, Signature};
use kura::i18n;

#[derive(Subcommand, Debug)]
pub enum ApprovalCommand {
    /// Write the printable take-out approval form (HTML, A4, Japanese and English) of an APPROVAL.json
    Render(RenderArgs),
    /// Show an APPROVAL.json's fields and whether its signature verifies
    Show(ShowArgs),
}

/// The approval and how its signature is checked.
#[derive(Args, Debug)]
pub struct Source {
    /// The approval (APPROVAL.json, with APPROVAL.json.sig beside it if signed)
    pub approval: PathBuf,
    /// The signature (default: APPROVAL.json.sig)
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// The clinic signers file: say whether the approval was signed by the clinic's key
    #[arg(long, value_name = "ALLOWED_SIGNERS")]
    pub clinic_signers: Option<PathBuf>,
}

impl Source {
    fn read(&self) -> Result<Form> {
        super::given("--sig", &self.sig)?;
        let signers = super::consent::load_signers(&self.clinic_signers)?;
        form::read(&self.approval, self.sig.as_deref(), signers.as_ref())
    }
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub source: Source,
    /// The page to write (HTML, A4, Japanese and English)
    #[arg(short = 'o', long = "output", value_name = "FORM.html", required = true)]
    pub output: PathBuf,
    /// Replace an existing page
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[command(flatten)]
    pub source: Source,
}

pub fn run(c: ApprovalCommand) -> Result<Report> {
    match c {
        ApprovalCommand::Render(a) => render(a),
        ApprovalCommand::Show(a) => show(a),
    }
}

/// The signature's state for `--json`.
fn signature_json(f: &Form) -> Value {
    let (signer, principal) = match &f.signature {
        Signature::Valid { signer, trust } => (
            json!(signer),
            match trust {
                Trust::Trusted(p) => json!(p),
                _ => Value::Null,
            },
        ),
        _ => (Value::Null, Value::Null),
    };
    json!({
        "state": f.signature.name(),
        "path": f.sig_path.display().to_string(),
        "signer": signer,
        "signer_principal": principal,
    })
}

/// The signature's state in the user's language.
fn signature_line(f: &Form) -> String {
    let (id, args) = form::signature_message(&f.signature);
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t(id, &args)
}

/// Refuses a page that would replace the approval or its signature (with
/// `--force`, one mistyped name would destroy the clinic's signed file).
fn check_not_input(a: &RenderArgs) -> Result<()> {
    let Ok(out) = kura::fsutil::canonicalize(&a.output) else {
        return Ok(());
    };
    let sig = a
        .source
        .sig
        .clone()
        .unwrap_or_else(|| kura::approval::signature_path(&a.source.approval));
    for input in [&a.source.approval, &sig] {
        if kura::fsutil::canonicalize(input).is_ok_and(|p| p == out) {
            return Err(Error::new(Kind::Usage, "err-form-output-is-input").arg("path", a.output.display()));
        }
    }
    Ok(())
}

fn render(a: RenderArgs) -> Result<Report> {
    check_not_input(&a)?;
    kura::fsutil::check_not_folder(&a.output, "approval.html")?;
    kura::fsutil::check_clobber(&a.output, a.force)?;
    let f = a.source.read()?;
    let html = form::html(&f, &kura::clock::rfc3339(&kura::clock::now()));
    kura::fsutil::write_atomic(&a.output, html.as_bytes(), a.force)?;
    let out = a.output.display().to_string();
    Ok(Report::new(json!({
        "output": out,
        "approval_id": f.approval.approval_id,
        "signature": signature_json(&f),
    }))
    .line(t(
        "msg-form-written",
        &[("path", &out), ("id", &f.approval.approval_id)],
    ))
    .line(signature_line(&f)))
}

fn show(a: ShowArgs) -> Result<Report> {
    let f = a.source.read()?;
    let mut rep = Report::new(json!({
        "approval": f.approval,
        "signature": signature_json(&f),
    }))
    .line(signature_line(&f));
    let lang = i18n::lang();
    let rows: Vec<(String, String)> = form::fields_of(&f.approval)
        .into_iter()
        .map(|(label, value)| (t(label, &[]), value.text(lang)))
        .collect();
    let w = rows.iter().map(|(k, _)| super::table::width(k)).max().unwrap_or(0);
    for (k, v) in rows {
        rep.push(format!("{} {v}", super::table::pad(&k, w)));
    }
    Ok(rep)
}
