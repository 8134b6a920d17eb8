//! `kura prune`: delete the vaults of a folder that a keep policy does not
//! keep, and those whose delete-by day has come, with one certificate for
//! the run. The rules are `custodian::prune`'s.

use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Value};

use super::{bytes, t, IdentityArgs, Report};
use kura::custodian::{self, Decision, PruneRequest, Verdict};
use kura::error::{Error, Kind, Result};
use kura::retention::Policy;

#[derive(Args, Debug)]
pub struct PruneArgs {
    /// The folder holding the vaults
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Keep the N newest vaults (at least 1)
    #[arg(long, value_name = "N", required = true)]
    pub keep_last: usize,
    /// Keep the newest vault of each of the last D days that have vaults
    #[arg(long, value_name = "D", default_value_t = 0)]
    pub keep_daily: usize,
    /// Keep the newest vault of each of the last W ISO weeks that have vaults
    #[arg(long, value_name = "W", default_value_t = 0)]
    pub keep_weekly: usize,
    /// Keep the newest vault of each of the last M months that have vaults
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub keep_monthly: usize,
    /// OpenSSH allowed_signers file: who may have packed and recorded the vaults (any other vault is refused)
    #[arg(long, value_name = "ALLOWED_SIGNERS", required = true)]
    pub signers: PathBuf,
    /// Say what would be kept and deleted and why; delete nothing, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// My OpenSSH Ed25519 key (signs the custody records and the certificate), and its passphrase
    #[command(flatten)]
    pub id: IdentityArgs,
    /// The run's certificate (its signature goes to CERT.json.sig)
    #[arg(short = 'o', long = "output", value_name = "CERT.json", required = true)]
    pub output: PathBuf,
    /// Issuer's name on the certificate (default: the key's comment)
    #[arg(long, value_name = "NAME")]
    pub issuer_name: Option<String>,
    /// Issuer's organisation (left empty when not given)
    #[arg(long, value_name = "NAME")]
    pub organisation: Option<String>,
    /// Note for each custody record (never patient information)
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Replace an existing CERT.json and CERT.json.sig
    #[arg(long)]
    pub force: bool,
}

/// The verdict as a word for `--json`, and its rules.
fn verdict_json(v: &Verdict) -> Value {
    match v {
        Verdict::Keep(rules) => json!({"action": "keep", "rules": rules}),
        Verdict::KeepNewest => json!({"action": "keep", "rules": ["newest-verified"]}),
        Verdict::Delete { due } => json!({"action": "delete", "reason": if *due { "delete-by" } else { "policy" }}),
        Verdict::Refuse(e) => json!({"action": "refuse", "error": e.id, "exit_code": e.exit_code()}),
    }
}

/// One line per vault: what becomes of it and why.
fn line(d: &Decision, dry_run: bool) -> String {
    let path = d.status.found.vault.display().to_string();
    let receipt = d.status.chain.as_ref().map(|c| &c.receipt);
    let created = receipt.map(|r| r.created.clone()).unwrap_or_else(|| "-".into());
    let delete_by = receipt
        .map(|r| r.approval.delete_by.clone())
        .unwrap_or_else(|| "-".into());
    let size = d.status.size.map(bytes).unwrap_or_else(|| "-".into());
    let args = |why: String| {
        vec![
            ("path", path.clone()),
            ("created", created.clone()),
            ("delete_by", delete_by.clone()),
            ("size", size.clone()),
            ("why", why),
        ]
    };
    let (id, a) = match &d.verdict {
        Verdict::Keep(rules) => {
            let names: Vec<String> = rules
                .iter()
                .map(|r| t(&format!("msg-prune-rule-{}", r.name()), &[]))
                .collect();
            ("msg-prune-keep", args(names.join(", ")))
        }
        Verdict::KeepNewest => ("msg-prune-keep", args(t("msg-prune-rule-newest", &[]))),
        Verdict::Delete { due } => {
            let why = t(
                if *due {
                    "msg-prune-why-due"
                } else {
                    "msg-prune-why-policy"
                },
                &[],
            );
            (
                if dry_run {
                    "msg-prune-would-delete"
                } else {
                    "msg-prune-deleted"
                },
                args(why),
            )
        }
        Verdict::Refuse(e) => ("msg-prune-refused", args(e.message(kura::i18n::lang()))),
    };
    let a: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    t(id, &a)
}

pub fn run(a: PruneArgs) -> Result<Report> {
    super::given("DIR", [&a.dir])?;
    a.id.check()?;
    super::given("--signers", [&a.signers])?;
    let policy = Policy {
        last: a.keep_last,
        daily: a.keep_daily,
        weekly: a.keep_weekly,
        monthly: a.keep_monthly,
    };
    // The policy is checked before a passphrase is asked for.
    if a.keep_last == 0 {
        return Err(Error::new(Kind::Usage, "err-prune-keep-last"));
    }
    let signers = kura::keys::AllowedSigners::load(&a.signers)?;
    let pass = a.id.passphrase();
    let signer = a.id.keys(&pass).signer()?;
    let probe = kura::guard::system();
    let req = PruneRequest {
        dir: &a.dir,
        policy,
        signers: &signers,
        today: kura::clock::today(),
        signer: &signer,
        issuer_name: a.issuer_name.clone(),
        organisation: a.organisation.clone(),
        note: a.note.clone(),
        output: &a.output,
        force: a.force,
        probe: probe.as_ref(),
    };
    let (decisions, certificate) = if a.dry_run {
        (custodian::prune_dry_run(&req)?, None)
    } else {
        let p = custodian::prune(&req)?;
        (p.decisions, p.certificate)
    };
    let vaults: Vec<Value> = decisions
        .iter()
        .map(|d| {
            let mut v = super::list::json_of(&d.status, req.today);
            if let (Value::Object(m), Value::Object(x)) = (&mut v, verdict_json(&d.verdict)) {
                m.extend(x);
            }
            v
        })
        .collect();
    let deleted = (decisions.iter())
        .filter(|d| matches!(d.verdict, Verdict::Delete { .. }))
        .count();
    let mut rep = Report::new(json!({
        "dry_run": a.dry_run,
        "vaults": vaults,
        "deleted": if a.dry_run { 0 } else { deleted },
        "certificate": certificate.as_ref().map(|(_, p)| p.display().to_string()),
        "certificate_id": certificate.as_ref().map(|(c, _)| c.certificate_id.clone()),
    }));
    for d in &decisions {
        rep.push(line(d, a.dry_run));
    }
    let n = deleted.to_string();
    match (&certificate, a.dry_run) {
        (_, true) => rep.push(t("msg-prune-dry-run", &[("n", &n)])),
        (Some((_, p)), false) => {
            let sig = kura::certificate::sig_path(p).display().to_string();
            rep.push(t(
                "msg-prune-written",
                &[("n", &n), ("cert", &p.display().to_string()), ("sig", &sig)],
            ));
        }
        (None, false) => rep.push(t("msg-prune-nothing", &[])),
    }
    rep.failure = decisions.iter().find_map(|d| match &d.verdict {
        Verdict::Refuse(e) => Some(e.clone()),
        _ => None,
    });
    Ok(rep)
}
