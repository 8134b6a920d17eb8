//! `prune`: deletes the vaults of a folder that a keep policy does not
//! keep, and those whose delete-by day has come, with one certificate for
//! the run (docs/BACKUPS.md, docs/CERTIFICATE.md "Prune runs").
//!
//! The rules, in this order:
//! 1. a vault whose custody log does not verify, or whose ciphertext is not
//!    what its receipt says, is never deleted (its evidence is kept for
//!    whoever looks into it) and fails the run;
//!    So is a vault dated after tomorrow (its time cannot be right, and as the
//!    newest it would push the real backups out of the policy), and each
//!    copy of a vault found under two names (counted twice, it would too);
//! 2. the newest vault that passes every check (every byte hashed) is never
//!    deleted, whatever its delete-by day says: a policy, however careless,
//!    leaves one good backup. When its delete-by day has come, that is
//!    refused (a policy exit) so that the administrator notices;
//! 3. a vault whose delete-by day has come is deleted: the approval's
//!    delete-by day is the clinic's hard limit, and deleting on that day is
//!    on time;
//! 4. of the rest, the policy keeps what its rules keep, the others are
//!    deleted early.
//!
//! Every refusal is decided, for every vault, before the first byte is
//! removed; the vaults to delete are checked the way certify checks a vault
//! (its log, its plaintext copies, its bytes against the receipt) and
//! removed without an overwrite: what is removed is ciphertext.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;

use super::certify::{self, CertifyRequest};
use crate::certificate::model::{Certificate, Method, Text, OUTCOME_DESTROYED};
use crate::certificate::{destroy, sig_path, Action};
use crate::custody::{Log, NewEvent};
use crate::error::{Error, IoContext, Kind, Result};
use crate::fsutil::AtomicFile;
use crate::keys::signature::NS_CERTIFICATE;
use crate::keys::{AllowedSigners, SigningKey};
use crate::retention::{self, Cipher, Depth, LogState, Policy, Rule, Status};

/// Inputs to [`prune`] and [`decide`].
pub struct PruneRequest<'a> {
    pub dir: &'a Path,
    pub policy: Policy,
    /// Who may have packed and recorded the vaults: any other vault is
    /// refused and counts for nothing (one planted with a later date would
    /// otherwise push the real backups out of the policy).
    pub signers: &'a AllowedSigners,
    /// The day delete-by days are compared with.
    pub today: NaiveDate,
    pub signer: &'a SigningKey,
    pub issuer_name: Option<String>,
    pub organisation: Option<String>,
    /// Free text for each custody record (never patient information).
    pub note: Option<String>,
    /// The run's certificate (its signature beside it).
    pub output: &'a Path,
    pub force: bool,
    /// Which medium each vault is on, for the certificate's items.
    pub probe: &'a dyn crate::guard::Probe,
}

/// What becomes of one vault.
#[derive(Debug)]
pub enum Verdict {
    /// Kept by these rules.
    Keep(Vec<Rule>),
    /// Kept because it is the newest vault that passed every check (its
    /// delete-by day has not come).
    KeepNewest,
    /// Deleted: its delete-by day has come (`due`), or no rule keeps it.
    Delete { due: bool },
    /// Not deleted, and the run fails with this.
    Refuse(Error),
}

/// One vault and its verdict.
#[derive(Debug)]
pub struct Decision {
    pub status: Status,
    pub verdict: Verdict,
}

/// What [`prune`] did.
pub struct Pruned {
    /// Every vault present in the folder, newest first (unreadable ones last).
    pub decisions: Vec<Decision>,
    /// The run's certificate, when anything was deleted.
    pub certificate: Option<(Certificate, std::path::PathBuf)>,
}

impl Pruned {
    /// The run's failure: the first refusal, if any.
    pub fn failure(&self) -> Option<&Error> {
        self.decisions.iter().find_map(|d| match &d.verdict {
            Verdict::Refuse(e) => Some(e),
            _ => None,
        })
    }
}

/// Whether the delete-by day of a vault has come.
fn due(s: &Status, today: NaiveDate) -> bool {
    let Some(c) = &s.chain else { return false };
    NaiveDate::parse_from_str(&c.receipt.approval.delete_by, "%Y-%m-%d").is_ok_and(|d| d <= today)
}

/// Why a vault that does not pass its checks is kept.
fn failed(s: &Status) -> Error {
    if let Some(e) = &s.log_error {
        return e.clone();
    }
    let path = s.found.vault.display();
    match (s.log, s.cipher) {
        (LogState::Missing, _) => Error::new(Kind::Integrity, "err-prune-no-log").arg("path", path),
        (_, Cipher::Remains) => Error::new(Kind::Integrity, "err-prune-remains").arg("path", path),
        _ => Error::new(Kind::Integrity, "err-prune-mismatch").arg("path", path),
    }
}

/// Every vault in the folder and what the policy and the rules make of it.
/// Reads only (the newest vaults are hashed until one passes).
pub fn decide(dir: &Path, policy: Policy, signers: &AllowedSigners, today: NaiveDate) -> Result<Vec<Decision>> {
    if policy.last == 0 {
        return Err(Error::new(Kind::Usage, "err-prune-keep-last"));
    }
    let mut present: Vec<Status> = retention::find(dir, false)?
        .iter()
        .map(|f| retention::survey(f, Depth::Size))
        // Rightly gone (deleted, lost): nothing to decide. Anything else
        // is decided, and reported when it cannot be deleted.
        .filter(|s| s.cipher != Cipher::Gone)
        .collect();
    // Newest first; those without a readable time last.
    present.sort_by_key(|s| std::cmp::Reverse(s.created()));
    // A vault copied under another name (its log with it) is the same
    // vault twice: counted twice, it would push a real backup out.
    let mut ids: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for c in present.iter().filter_map(|s| s.chain.as_ref()) {
        *ids.entry(c.receipt.vault_id.clone()).or_default() += 1;
    }
    let mut out: Vec<Decision> = vec![];
    let mut good: Vec<Status> = vec![];
    let mut newest_found = false;
    for s in present {
        if let Some(c) = s.chain.as_ref().filter(|c| ids[&c.receipt.vault_id] > 1) {
            let e = Error::new(Kind::Integrity, "err-prune-same-vault")
                .arg("path", s.found.vault.display())
                .arg("id", &c.receipt.vault_id);
            out.push(Decision {
                status: s,
                verdict: Verdict::Refuse(e),
            });
            continue;
        }
        let trusted = s.chain.as_ref().map(|c| c.require_signers(signers));
        if let Some(Err(e)) = trusted {
            out.push(Decision {
                status: s,
                verdict: Verdict::Refuse(e),
            });
            continue;
        }
        // Dated after tomorrow (a day's grace for another time zone): a
        // clock set wrong, or a hand that wants the vault to stand as the
        // newest for years and push the real backups out. It is not
        // deleted and counts for nothing.
        let tomorrow = today.succ_opt().unwrap_or(today);
        if s.created().is_some_and(|t| t.date_naive() > tomorrow) {
            let e = Error::new(Kind::Integrity, "err-prune-future")
                .arg("path", s.found.vault.display())
                .arg(
                    "created",
                    s.chain.as_ref().map(|c| c.receipt.created.clone()).unwrap_or_default(),
                );
            out.push(Decision {
                status: s,
                verdict: Verdict::Refuse(e),
            });
            continue;
        }
        if !s.ok() || !s.present() || s.created().is_none() {
            let e = failed(&s);
            out.push(Decision {
                status: s,
                verdict: Verdict::Refuse(e),
            });
            continue;
        }
        if !newest_found {
            // Every byte of the newest, until one passes.
            let full = retention::survey(&s.found, Depth::Blake3);
            if full.cipher != Cipher::Matches {
                let e = failed(&full);
                out.push(Decision {
                    status: full,
                    verdict: Verdict::Refuse(e),
                });
                continue;
            }
            newest_found = true;
            good.push(full);
            continue;
        }
        good.push(s);
    }
    let created: Vec<_> = good.iter().filter_map(Status::created).collect();
    let kept = policy.keep(&created);
    let mut decided: Vec<Decision> = good
        .into_iter()
        .zip(kept)
        .enumerate()
        .map(|(i, (s, rules))| {
            let verdict = match (i == 0, due(&s, today), rules.is_empty()) {
                (true, true, _) => Verdict::Refuse(
                    Error::new(Kind::Policy, "err-prune-newest")
                        .arg("path", s.found.vault.display())
                        .arg(
                            "delete_by",
                            s.chain
                                .as_ref()
                                .map(|c| c.receipt.approval.delete_by.clone())
                                .unwrap_or_default(),
                        ),
                ),
                (_, true, _) => Verdict::Delete { due: true },
                (true, false, true) => Verdict::KeepNewest,
                (_, false, false) => Verdict::Keep(rules),
                (_, false, true) => Verdict::Delete { due: false },
            };
            Decision { status: s, verdict }
        })
        .collect();
    decided.append(&mut out);
    decided.sort_by_key(|d| std::cmp::Reverse(d.status.created()));
    Ok(decided)
}

/// The run's method: the vaults' files removed without an overwrite.
fn method() -> Method {
    Method {
        reference: "NIST SP 800-88 Rev. 1".into(),
        category: "unlink".into(),
        technique: Text::of("msg-cert-technique-unlink"),
        caveat: Text::of("msg-cert-caveat-unlink"),
        protection: Text::of("msg-cert-protection"),
    }
}

fn certify_request<'a>(req: &'a PruneRequest, vault: &'a Path, custody: &'a Path) -> CertifyRequest<'a> {
    CertifyRequest {
        vault,
        custody,
        action: Action::Deleted,
        paths: &[],
        signer: req.signer,
        issuer_name: req.issuer_name.clone(),
        organisation: req.organisation.clone(),
        note: req.note.clone(),
        output: req.output,
        force: req.force,
        probe: req.probe,
        site: Default::default(),
    }
}

/// The run's certificate (and its signature) must not be named as a file
/// of the folder's vaults: with `--force` it would replace a vault or the
/// custody log of one the run keeps.
fn check_output_apart(req: &PruneRequest) -> Result<()> {
    let Ok(dir) = crate::fsutil::canonicalize(req.dir) else {
        return Ok(());
    };
    for out in [req.output.to_path_buf(), sig_path(req.output)] {
        let inside = crate::fsutil::canonicalize(&crate::fsutil::parent_dir(&out)).is_ok_and(|p| p == dir);
        let name = out.file_name().and_then(|n| n.to_str());
        if inside && name.and_then(retention::vault_of).is_some() {
            return Err(Error::new(Kind::Refused, "err-prune-output-in-folder")
                .arg("path", out.display())
                .arg("dir", req.dir.display()));
        }
    }
    Ok(())
}

/// `--dry-run`: [`decide`], and for each vault to delete the checks
/// certify makes, nothing more: nothing is removed and nothing written.
pub fn dry_run(req: &PruneRequest) -> Result<Vec<Decision>> {
    crate::fsutil::check_not_folder(req.output, "certificate.json")?;
    check_output_apart(req)?;
    crate::fsutil::check_clobber(req.output, req.force)?;
    let mut decisions = decide(req.dir, req.policy, req.signers, req.today)?;
    for d in decisions.iter_mut() {
        if !matches!(d.verdict, Verdict::Delete { .. }) {
            continue;
        }
        let (vault, custody) = paths(&d.status);
        let creq = certify_request(req, &vault, &custody);
        let checked = crate::custody::read(&custody).and_then(|chain| certify::plan(&creq, chain));
        if let Err(e) = checked {
            d.verdict = Verdict::Refuse(e);
        }
    }
    Ok(decisions)
}

fn paths(s: &Status) -> (std::path::PathBuf, std::path::PathBuf) {
    let vault = s.found.vault.clone();
    let custody = s
        .found
        .custody
        .clone()
        .unwrap_or_else(|| crate::naming::custody_path(&vault));
    (vault, custody)
}

/// Deletes what [`decide`] says to delete, each vault's `deleted` record
/// appended to its log, and writes one certificate for the run. Vaults
/// refused are left as they are; the run still deletes the others.
pub fn prune(req: &PruneRequest) -> Result<Pruned> {
    crate::fsutil::check_not_folder(req.output, "certificate.json")?;
    check_output_apart(req)?;
    crate::fsutil::check_clobber(req.output, req.force)?;
    crate::fsutil::check_clobber(&sig_path(req.output), req.force)?;
    let mut decisions = decide(req.dir, req.policy, req.signers, req.today)?;
    // Every vault to delete: its log locked, checked as certify checks it.
    let mut doomed: Vec<(usize, Log, certify::Plan)> = vec![];
    for (i, d) in decisions.iter_mut().enumerate() {
        if !matches!(d.verdict, Verdict::Delete { .. }) {
            continue;
        }
        let (vault, custody) = paths(&d.status);
        let creq = certify_request(req, &vault, &custody);
        let checked = super::open::check_custody_beside(&vault, &custody)
            .and_then(|()| Log::open(&custody))
            .and_then(|log| {
                log.check(Action::Deleted.name())?;
                super::open::sweep(log.chain(), None);
                let plan = certify::plan(&creq, log.chain().clone())?;
                Ok((log, plan))
            });
        match checked {
            Ok((log, plan)) => doomed.push((i, log, plan)),
            Err(e) => d.verdict = Verdict::Refuse(e),
        }
    }
    if doomed.is_empty() {
        return Ok(Pruned {
            decisions,
            certificate: None,
        });
    }
    let sig_out = sig_path(req.output);
    let mut cert_file = AtomicFile::create(req.output, req.force)?;
    let mut sig_file = AtomicFile::create(&sig_out, req.force)?;
    certify::after_survey()?;
    // From the first removal to the certificate in place, a Ctrl-C or
    // SIGTERM waits: no vault is removed without its record.
    let _critical = crate::interrupt::Critical::enter()?;
    for (_, _, plan) in &doomed {
        destroy::recheck(&plan.vault).map_err(|e| match e.id {
            "err-certify-changed" => {
                Error::new(Kind::Refused, "err-prune-changed").arg("path", plan.vault.path.display())
            }
            _ => e,
        })?;
    }
    // Removed one after the other; whatever was removed before a failure
    // is still recorded and certified.
    let mut stopped: Option<Error> = None;
    let mut removed = 0;
    for (_, _, plan) in &doomed {
        if let Err(s) = destroy::remove_ciphertext(&plan.vault) {
            stopped = Some(
                Error::new(Kind::Io, "err-prune-remove-failed")
                    .arg("path", plan.vault.path.display())
                    .arg_error("detail", s.error)
                    .arg("done", removed),
            );
            break;
        }
        removed += 1;
    }
    doomed.truncate(removed);
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::clock::now();
    let mut parts = vec![];
    for (i, mut log, plan) in doomed {
        let (vault, custody) = paths(&decisions[i].status);
        let creq = certify_request(req, &vault, &custody);
        let mut ev = NewEvent::new(Action::Deleted.name())
            .detail("certificate_id", id.as_str())
            .detail("destroyed", 1)
            .detail("method", "unlink");
        ev.note = req.note.clone();
        let record = log.append(ev, req.signer, now)?;
        let lines = log.chain().lines.clone();
        let items = certify::items(Action::Deleted, &plan);
        let mut c = certify::certificate(&creq, plan, id.clone(), items, &record, lines)?;
        c.method = method();
        parts.push(c);
    }
    let certificate = Certificate::joined(parts).ok_or_else(|| Error::internal("no vault certified"))?;
    debug_assert!(certificate.items.iter().all(|i| i.outcome == OUTCOME_DESTROYED));
    let bytes = certificate.to_bytes()?;
    let sig = req.signer.sign(NS_CERTIFICATE, &bytes)?;
    cert_file.file().write_all(&bytes).at(req.output.display())?;
    sig_file.file().write_all(sig.as_bytes()).at(sig_out.display())?;
    cert_file.commit()?;
    sig_file.commit()?;
    if let Some(e) = stopped {
        return Err(e);
    }
    Ok(Pruned {
        decisions,
        certificate: Some((certificate, req.output.to_path_buf())),
    })
}
