//! `certify`: every refusal decided, the outputs created, then the copies
//! and the vault destroyed, the certifying record appended, and the
//! certificate written with the chain up to that record.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::certificate::model::*;
use crate::certificate::{destroy, sig_path, Action};
use crate::custody::{self, Log, NewEvent, Record};
use crate::error::{Error, IoContext, Kind, Result};
use crate::fsutil::{check_clobber, AtomicFile};
use crate::keys::signature::NS_CERTIFICATE;
use crate::keys::SigningKey;

/// Inputs to [`certify`].
pub struct CertifyRequest<'a> {
    pub vault: &'a Path,
    pub custody: &'a Path,
    pub action: Action,
    /// Plaintext copies to destroy (besides the vault, for a deletion).
    pub paths: &'a [PathBuf],
    pub signer: &'a SigningKey,
    /// Default: the key's comment, else its fingerprint.
    pub issuer_name: Option<String>,
    /// Default: the part after `@` in the key's comment, if any.
    pub organisation: Option<String>,
    /// Free text for the custody record (never patient information).
    pub note: Option<String>,
    pub output: &'a Path,
    pub force: bool,
}

/// What [`certify`] did.
pub struct Issued {
    pub certificate: Certificate,
    pub path: PathBuf,
    pub sig_path: PathBuf,
    /// The certifying custody record.
    pub record: Record,
    /// Stages left by killed extractions, found and removed first.
    pub swept: Vec<PathBuf>,
}

/// Whether `inner` is `outer` or lies beneath it.
fn within(inner: &Path, outer: &Path) -> bool {
    inner.starts_with(outer)
}

/// Refuses paths whose destruction would take more than the data: the
/// root, the home folder or a folder above it, the custody log (the
/// evidence), the vault (unless it is the vault item), the certificate's
/// own folder, and paths listed twice or inside one another.
fn check_targets(req: &CertifyRequest, copies: &[PathBuf], vault: &Path) -> Result<()> {
    let custody = destroy::absolute(req.custody)?;
    let out_dir = crate::fsutil::parent_dir(req.output);
    let out_dir = std::fs::canonicalize(&out_dir).unwrap_or(out_dir);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    for (i, p) in copies.iter().enumerate() {
        let refuse = |id: &'static str| Err(Error::new(Kind::Refused, id).arg("path", p.display()));
        if std::fs::symlink_metadata(p).at(p.display())?.file_type().is_symlink() {
            return refuse("err-certify-link");
        }
        if p.parent().is_none() || home.as_ref().is_some_and(|h| within(h, p)) {
            return refuse("err-certify-too-wide");
        }
        if within(&custody, p) {
            return refuse("err-certify-custody-inside");
        }
        if within(vault, p) {
            return refuse("err-certify-vault-inside");
        }
        if within(&out_dir, p) {
            return refuse("err-certify-output-inside");
        }
        if let Some(q) = copies[..i].iter().find(|q| within(p, q) || within(q, p)) {
            return Err(Error::new(Kind::Usage, "err-certify-overlap")
                .arg("path", p.display())
                .arg("other", q.display()));
        }
    }
    Ok(())
}

/// Every copy the log records (an extraction done, or begun and never
/// ended), checked against what is about to be destroyed: a copy on this
/// host that still exists and is not covered is refused, and so is an
/// extraction still under way.
fn check_extractions(chain: &custody::Chain, copies: &[PathBuf]) -> Result<Vec<Extraction>> {
    let here = custody::host();
    let mut out: Vec<Extraction> = vec![];
    for r in super::open::copy_records(chain) {
        let Some(dest) = r.details.get("destination").and_then(|v| v.as_str()) else {
            continue;
        };
        if r.host == here
            && crate::vault::stage::stages_in(Path::new(dest))
                .iter()
                .any(|(_, live)| *live)
        {
            return Err(Error::new(Kind::Refused, "err-certify-extraction-running").arg("path", dest));
        }
        let status = if r.host != here {
            EXTRACTION_OTHER_HOST
        } else if copies.iter().any(|c| within(Path::new(dest), c)) {
            EXTRACTION_DESTROYED
        } else if destroy::remains(Path::new(dest)) {
            return Err(Error::new(Kind::Refused, "err-certify-copy-remains")
                .arg("path", dest)
                .arg("n", r.seq));
        } else {
            EXTRACTION_ABSENT
        };
        out.push(Extraction {
            record: r.seq,
            host: r.host.clone(),
            destination: dest.to_string(),
            status: status.to_string(),
        });
    }
    Ok(out)
}

fn item(role: &str, t: &destroy::Target, outcome: &str) -> Item {
    Item {
        role: role.to_string(),
        path: t.path.display().to_string(),
        kind: if t.is_dir { "dir" } else { "file" }.to_string(),
        size: t.size,
        files: t.files,
        blake3: t.blake3.clone(),
        outcome: outcome.to_string(),
    }
}

/// The method statement: honest about what an overwrite does on flash.
fn method(destroyed_any: bool) -> Method {
    Method {
        reference: "NIST SP 800-88 Rev. 1".into(),
        category: if destroyed_any { "clear" } else { "none" }.into(),
        technique: Text::of(if destroyed_any {
            "msg-cert-technique-clear"
        } else {
            "msg-cert-technique-none"
        }),
        caveat: Text::of("msg-cert-caveat"),
        protection: Text::of("msg-cert-protection"),
    }
}

fn issuer(req: &CertifyRequest) -> Issuer {
    let key = req.signer.info().clone();
    let name = req
        .issuer_name
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            if key.comment.is_empty() {
                key.fingerprint.clone()
            } else {
                key.comment.clone()
            }
        });
    let organisation = req
        .organisation
        .clone()
        .or_else(|| key.comment.split_once('@').map(|(_, d)| d.to_string()))
        .unwrap_or_default();
    Issuer {
        name,
        organisation,
        key,
    }
}

/// Everything [`certify`] decided before destroying anything.
struct Plan {
    chain: custody::Chain,
    /// The vault as surveyed (or declared lost).
    vault: destroy::Target,
    lost: bool,
    /// The plaintext copies as surveyed.
    targets: Vec<destroy::Target>,
    extractions: Vec<Extraction>,
}

/// Every refusal, before anything is touched: the quick ones first, then
/// the surveys (which hash).
fn plan(req: &CertifyRequest, chain: custody::Chain) -> Result<Plan> {
    check_clobber(req.output, req.force)?;
    check_clobber(&sig_path(req.output), req.force)?;
    let receipt = &chain.receipt;
    let vault_path = destroy::absolute(req.vault)?;
    // A vault the log records as lost is certified as such: its plaintext
    // copies can still be destroyed, the vault itself only declared gone.
    let lost = !destroy::remains(&vault_path)
        && !crate::naming::is_split(&vault_path)
        && chain.records.iter().any(|r| r.event == "lost");
    if lost && req.action == Action::Returned {
        return Err(Error::new(Kind::Refused, "err-certify-returned-lost").arg("path", vault_path.display()));
    }
    let mut copies: Vec<PathBuf> = vec![];
    for p in req.paths {
        let abs = destroy::absolute(p)?;
        if abs == vault_path && req.action == Action::Returned {
            return Err(Error::new(Kind::Usage, "err-certify-returned-vault"));
        }
        if abs != vault_path && !copies.contains(&abs) {
            copies.push(abs);
        }
    }
    check_targets(req, &copies, &vault_path)?;
    let extractions = check_extractions(&chain, &copies)?;
    // The vault must be the one the receipt describes.
    let vault = if lost {
        destroy::lost(&vault_path, receipt.ciphertext.size, &receipt.ciphertext.blake3)?
    } else if crate::naming::is_split(&vault_path) {
        destroy::survey_volumes(&vault_path)?
    } else {
        destroy::survey(&vault_path)?
    };
    if vault.is_dir || vault.size != receipt.ciphertext.size || vault.blake3 != receipt.ciphertext.blake3 {
        return Err(Error::new(Kind::Integrity, "err-certify-vault-mismatch").arg("path", vault.path.display()));
    }
    let targets = copies.iter().map(|p| destroy::survey(p)).collect::<Result<Vec<_>>>()?;
    Ok(Plan {
        chain,
        vault,
        lost,
        targets,
        extractions,
    })
}

/// Destroys the copies, then (for a deletion) the vault, and checks that
/// nothing of them remains. Returns the certificate's items, the vault's
/// first.
fn destroy_all(action: Action, plan: &Plan) -> Result<Vec<Item>> {
    let mut done: Vec<String> = vec![];
    let failed = |e: Error, path: &Path, done: &[String]| {
        Error::new(Kind::Io, "err-certify-destroy-failed")
            .arg("path", path.display())
            .arg_error("detail", e)
            .arg("done", if done.is_empty() { "-".into() } else { done.join(", ") })
    };
    let mut items = vec![];
    for t in &plan.targets {
        destroy::destroy(t).map_err(|e| failed(e, &t.path, &done))?;
        done.push(t.path.display().to_string());
        items.push(item(ROLE_COPY, t, OUTCOME_DESTROYED));
    }
    let vault = &plan.vault;
    let vault_item = match action {
        Action::Deleted if plan.lost => item(ROLE_VAULT, vault, OUTCOME_LOST),
        Action::Deleted => {
            destroy::destroy(vault).map_err(|e| failed(e, &vault.path, &done))?;
            item(ROLE_VAULT, vault, OUTCOME_DESTROYED)
        }
        Action::Returned => item(ROLE_VAULT, vault, OUTCOME_KEPT),
    };
    items.insert(0, vault_item);
    let gone: Vec<&destroy::Target> = match action {
        Action::Deleted => plan.targets.iter().chain(std::iter::once(vault)).collect(),
        Action::Returned => plan.targets.iter().collect(),
    };
    if let Some(t) = gone.iter().find(|t| destroy::target_remains(t)) {
        return Err(Error::new(Kind::Io, "err-certify-remains").arg("path", t.path.display()));
    }
    Ok(items)
}

/// Appends the certifying record; returns it with the log's lines up to
/// and including it (what the certificate carries).
fn record(req: &CertifyRequest, log: &mut Log, id: &str, destroyed: usize) -> Result<(Record, Vec<String>)> {
    let mut ev = NewEvent::new(req.action.name())
        .detail("certificate_id", id)
        .detail("destroyed", destroyed);
    ev.note = req.note.clone();
    let record = log.append(ev, req.signer, crate::clock::now())?;
    let lines = log.chain().lines.clone();
    Ok((record, lines))
}

/// The certificate's content.
fn certificate(
    req: &CertifyRequest,
    plan: Plan,
    id: String,
    items: Vec<Item>,
    record: &Record,
    lines: Vec<String>,
) -> Result<Certificate> {
    let receipt = plan.chain.receipt;
    let destroyed_any = items.iter().any(|i| i.outcome == OUTCOME_DESTROYED);
    let copies_destroyed = !plan.targets.is_empty();
    let (on_time, _) = timeliness(&record.time, &receipt.approval.delete_by)
        .ok_or_else(|| Error::new(Kind::Integrity, "err-receipt-invalid"))?;
    Ok(Certificate {
        format: FORMAT.into(),
        version: VERSION,
        certificate_id: id,
        issued_at: record.time.clone(),
        issuer: issuer(req),
        vault: VaultFacts::of(&receipt),
        approval: receipt.approval.clone(),
        action: req.action.name().into(),
        method: method(destroyed_any),
        tool: Tool {
            name: "kura".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        host: record.host.clone(),
        verification: Verification {
            method: Text::of(match req.action {
                Action::Deleted => "msg-cert-check-deleted",
                Action::Returned => "msg-cert-check-returned",
            }),
            result: match (req.action, copies_destroyed) {
                (Action::Deleted, _) => "nothing remains",
                (Action::Returned, false) => "vault intact",
                (Action::Returned, true) => "vault intact; nothing remains of the copies",
            }
            .into(),
            extractions: plan.extractions,
        },
        items,
        delete_by: receipt.approval.delete_by.clone(),
        on_time,
        custody: CustodyCopy {
            records: lines.len() as u64,
            head: custody::hash_line(lines.last().map(String::as_str).unwrap_or_default()),
            lines,
        },
    })
}

/// Destroys, records, and issues the certificate. Nothing is destroyed
/// unless every check passes and the outputs can be created.
///
/// The custody log is locked from the first check to the certifying
/// record, so no extraction can start (or be recorded) in between; the
/// stages killed extractions left are removed first.
pub fn certify(req: &CertifyRequest) -> Result<Issued> {
    let mut log = Log::open(req.custody)?;
    log.check(req.action.name())?;
    let swept = super::open::sweep(log.chain(), None);
    let plan = plan(req, log.chain().clone())?;
    let sig_out = sig_path(req.output);
    // Outputs are created (empty, hidden) before anything is destroyed, so
    // an unwritable folder stops us here and not after the data is gone.
    let mut cert_file = AtomicFile::create(req.output, req.force)?;
    let mut sig_file = AtomicFile::create(&sig_out, req.force)?;
    let items = destroy_all(req.action, &plan)?;
    let destroyed = items.iter().filter(|i| i.outcome == OUTCOME_DESTROYED).count();
    // The certifying record comes first, so the certificate carries it.
    let id = uuid::Uuid::new_v4().to_string();
    let (record, lines) = record(req, &mut log, &id, destroyed)?;
    let certificate = certificate(req, plan, id, items, &record, lines)?;
    let bytes = certificate.to_bytes()?;
    let sig = req.signer.sign(NS_CERTIFICATE, &bytes)?;
    cert_file.file().write_all(&bytes).at(req.output.display())?;
    sig_file.file().write_all(sig.as_bytes()).at(sig_out.display())?;
    cert_file.commit()?;
    sig_file.commit()?;
    Ok(Issued {
        certificate,
        path: req.output.to_path_buf(),
        sig_path: sig_out,
        record,
        swept,
    })
}
