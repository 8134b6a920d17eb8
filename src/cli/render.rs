//! `kura certificate render`: the printable page of a certificate.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{t, Report};
use kura::certificate::render::{self, Checked, Fingerprint, Page};
use kura::certificate::verify::MAX_CERT_BYTES;
use kura::certificate::{self, Certificate};
use kura::error::Result;
use kura::i18n::Lang;
use kura::keys::AllowedSigners;

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The certificate (CERT.json)
    pub certificate: PathBuf,
    /// The page to write (HTML, A4, Japanese and English)
    #[arg(short = 'o', long = "output", value_name = "CERT.html", required = true)]
    pub output: PathBuf,
    /// Verify before printing: OpenSSH allowed_signers file (with --custody)
    #[arg(long, value_name = "FILE", requires = "custody")]
    pub signers: Option<PathBuf>,
    /// Verify before printing: your own copy of the custody log (with --signers)
    #[arg(long, value_name = "CLINIC_COPY", requires = "signers")]
    pub custody: Option<PathBuf>,
    /// The signature (default: CERT.json.sig)
    #[arg(long, value_name = "FILE")]
    pub sig: Option<PathBuf>,
    /// Replace an existing page
    #[arg(long)]
    pub force: bool,
}

/// Checks `bytes` (the very bytes the page is made from) with the
/// certificate module's verifier.
/// With the check, the part of the certificate it was checked for (a
/// prune run's certificate covers several vaults: the page shows the one
/// of `--custody`).
fn check(a: &RenderArgs, bytes: &[u8]) -> Result<Option<(Checked, Certificate)>> {
    let (Some(signers), Some(custody)) = (&a.signers, &a.custody) else {
        return Ok(None);
    };
    // The very bytes the page is made from are the ones verified.
    let sig = certificate::verify::read_signature(&a.certificate, a.sig.as_deref())?;
    let clinic = kura::custody::read(&kura::custody::log_path(custody))?;
    let v = certificate::verify(bytes, &sig, &clinic, &AllowedSigners::load(signers)?)?;
    Ok(Some((
        Checked {
            verdict_ja: super::certificate::verdict_in(&v, Lang::Ja),
            verdict_en: super::certificate::verdict_in(&v, Lang::En),
            principal: v.principal,
            clinic_records: v.clinic_records,
            chain_records: v.chain_records,
            days_late: v.days_late,
        },
        v.certificate,
    )))
}

pub fn run(a: RenderArgs) -> Result<Report> {
    super::given("--signers", &a.signers)?;
    super::given("--custody", &a.custody)?;
    super::given("--sig", &a.sig)?;
    kura::fsutil::check_not_folder(&a.output, "certificate.html")?;
    kura::fsutil::check_clobber(&a.output, a.force)?;
    let sig = a.sig.clone().unwrap_or_else(|| certificate::sig_path(&a.certificate));
    let read: Vec<&std::path::Path> = [&a.certificate, &sig]
        .into_iter()
        .chain(&a.custody)
        .chain(&a.signers)
        .map(|p| p.as_path())
        .collect();
    kura::fsutil::check_apart(&[&a.output], &read)?;
    let bytes = kura::fsutil::read_bounded(&a.certificate, MAX_CERT_BYTES)?;
    let whole = Certificate::parse(&bytes)?;
    let (checked, part) = check(&a, &bytes)?.unzip();
    let verified = checked.is_some();
    // Every countersignature is checked whatever else is: an altered one
    // is refused, and its signer is trusted only by --signers.
    let signers = a.signers.as_deref().map(AllowedSigners::load).transpose()?;
    let witnesses = kura::certificate::witness::check_all(&a.certificate, &bytes, signers.as_ref())?;
    let vaults = whole.parts().len();
    let cert = part.unwrap_or_else(|| whole.parts().swap_remove(0));
    let page = Page {
        certificate: &cert,
        bytes: &bytes,
        checked,
        printed_at: kura::clock::rfc3339(&kura::clock::now()),
        witnesses: &witnesses,
    };
    let html = render::html(&page);
    kura::fsutil::write_atomic(&a.output, html.as_bytes(), a.force)?;
    let fp = Fingerprint::of(&bytes);
    let out = a.output.display().to_string();
    let mut rep = Report::new(json!({
        "output": out,
        "certificate_id": cert.certificate_id,
        "verified": verified,
        "fingerprint": fp.short,
        "blake3": fp.blake3,
        "witnesses": witnesses.len(),
    }))
    .line(t(
        "msg-render-done",
        &[("path", &out), ("id", &cert.certificate_id), ("fingerprint", &fp.short)],
    ));
    rep.push(t(
        if verified {
            "msg-render-verified"
        } else {
            "msg-render-unverified"
        },
        &[],
    ));
    if vaults > 1 {
        let n = vaults.to_string();
        rep.push(t("warn-render-run", &[("n", &n), ("id", &cert.vault.vault_id)]));
    }
    Ok(rep)
}
