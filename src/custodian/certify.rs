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
    /// Left empty when not given (never guessed from the key).
    pub organisation: Option<String>,
    /// Free text for the custody record (never patient information).
    pub note: Option<String>,
    pub output: &'a Path,
    pub force: bool,
    /// Where the items are: each one's medium is recorded.
    pub probe: &'a dyn crate::guard::Probe,
    /// What the issuer states of the medium and the place.
    pub site: Site,
}

/// What the issuer states about where, and of the medium (each recorded as
/// given, trimmed; empty when not given).
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub place: String,
    pub medium_id: String,
    /// One of `model::MEDIUM_AFTER`, or empty.
    pub medium_after: String,
    pub title: String,
    pub contact: String,
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

/// The home folder, as `HOME` gives it and as the system knows it.
fn homes() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::env::var_os("HOME").map(PathBuf::from).into_iter().collect();
    v.extend(dirs::home_dir().filter(|h| !v.contains(h)));
    for h in account_homes() {
        if !v.contains(&h) {
            v.push(h);
        }
    }
    v
}

/// The home folder of every account the system knows (the password
/// database), the caller's own and `sudo`'s caller's among them whatever
/// `HOME` says: certify never destroys one of them, nor a folder above.
#[cfg(unix)]
fn account_homes() -> Vec<PathBuf> {
    let mut out = vec![];
    // SAFETY: setpwent/getpwent/endpwent walk the password database on
    // this thread; each entry's pw_dir is copied before the next call.
    unsafe {
        libc::setpwent();
        loop {
            let pw = libc::getpwent();
            if pw.is_null() {
                break;
            }
            let dir = (*pw).pw_dir;
            if !dir.is_null() {
                let bytes = std::ffi::CStr::from_ptr(dir).to_bytes();
                let p = PathBuf::from(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(bytes));
                if p.is_absolute() && p.parent().is_some() && !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        libc::endpwent();
    }
    out
}

#[cfg(not(unix))]
fn account_homes() -> Vec<PathBuf> {
    vec![]
}

/// The device and inode of a folder, where the platform has them.
#[cfg(unix)]
fn file_id(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

/// The volume serial number and file index of a folder.
#[cfg(windows)]
fn file_id(p: &Path) -> Option<(u64, u64)> {
    use crate::fsutil::windows::{identity, open_entry};
    open_entry(p)
        .and_then(|f| identity(&f))
        .ok()
        .map(|i| (i.volume, i.index))
}

#[cfg(not(any(unix, windows)))]
fn file_id(_: &Path) -> Option<(u64, u64)> {
    None
}

/// Whether destroying `p` would take the root, a home folder or a folder
/// above one: compared as given, canonically (links in any of the paths
/// resolved), and by device and inode (Windows: volume and file index)
/// too (another name for the same folder, such as a bind mount).
fn too_wide(p: &Path, homes: &[PathBuf]) -> bool {
    if p.parent().is_none() {
        return true;
    }
    let canonical = |q: &Path| crate::fsutil::canonicalize(q).unwrap_or_else(|_| q.to_path_buf());
    let cp = canonical(p);
    // The root, and every folder directly in it (/etc, /home, /tmp, /var,
    // /media, …): what certify destroys lies further down.
    if cp.parent().is_none_or(|parent| parent.parent().is_none()) {
        return true;
    }
    let mut protected = vec![PathBuf::from("/")];
    for h in homes {
        let ch = canonical(h);
        if within(h, p) || within(&ch, &cp) {
            return true;
        }
        protected.extend(ch.ancestors().map(Path::to_path_buf));
    }
    let id = file_id(&cp);
    id.is_some() && protected.iter().any(|a| file_id(a) == id)
}

/// Refuses paths whose destruction would take more than the data: the
/// root, the home folder or a folder above it, the custody log (the
/// evidence), the vault (unless it is the vault item), the certificate's
/// own folder, and paths listed twice or inside one another.
fn check_targets(req: &CertifyRequest, copies: &[PathBuf], vault: &Path) -> Result<()> {
    let custody = destroy::absolute(req.custody)?;
    // The log itself, wherever a link in its name leads.
    let custody_real = crate::fsutil::canonicalize(req.custody).unwrap_or_else(|_| custody.clone());
    let out_dir = crate::fsutil::parent_dir(req.output);
    let out_dir = crate::fsutil::canonicalize(&out_dir).unwrap_or(out_dir);
    let homes = homes();
    for (i, p) in copies.iter().enumerate() {
        let refuse = |id: &'static str| Err(Error::new(Kind::Refused, id).arg("path", p.display()));
        if std::fs::symlink_metadata(p).at(p.display())?.file_type().is_symlink() {
            return refuse("err-certify-link");
        }
        if too_wide(p, &homes) {
            return refuse("err-certify-too-wide");
        }
        let p_real = crate::fsutil::canonicalize(p).unwrap_or_else(|_| p.clone());
        if within(&custody, p) || within(&custody_real, &p_real) {
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
    for r in chain.copy_records() {
        let Some(dest) = r.details.get("destination").and_then(|v| v.as_str()) else {
            continue;
        };
        if super::open::is_stdout_copy(r) {
            out.push(Extraction {
                record: r.seq,
                host: r.host.clone(),
                destination: dest.to_string(),
                status: EXTRACTION_STREAMED.to_string(),
            });
            continue;
        }
        if r.host == here
            && crate::vault::stage::stages_in(Path::new(dest))
                .iter()
                .any(|(_, live)| *live)
        {
            return Err(Error::new(Kind::Refused, "err-certify-extraction-running").arg("path", dest));
        }
        // The folder there must be the one the copy went into: one moved
        // away (or unmounted) and replaced by another is not destroyed by
        // destroying what now stands at the path.
        let recorded = r
            .details
            .get("folder")
            .and_then(|v| v.as_str())
            .filter(|f| !f.is_empty());
        if let (true, Some(id), Some(now)) = (r.host == here, recorded, super::open::folder_id(Path::new(dest))) {
            if id != now {
                return Err(Error::new(Kind::Refused, "err-certify-copy-moved")
                    .arg("path", dest)
                    .arg("n", r.seq));
            }
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

fn item(role: &str, t: &destroy::Target, outcome: &str, medium: Option<ItemMedium>) -> Item {
    let sanitization = Sanitization::of(role, outcome, medium.as_ref());
    Item {
        role: role.to_string(),
        path: t.path.display().to_string(),
        kind: if t.is_dir { "dir" } else { "file" }.to_string(),
        size: t.size,
        files: t.files,
        blake3: t.blake3.clone(),
        outcome: outcome.to_string(),
        medium,
        sanitization: Some(sanitization),
    }
}

/// The medium `path` is on (a split vault's: its first volume's), as the
/// probe tells it; what it cannot tell is recorded as unknown.
fn medium_of(probe: &dyn crate::guard::Probe, path: &Path) -> ItemMedium {
    let m = probe.medium(&crate::naming::first_file(path)).unwrap_or_default();
    let d = m.device.bounded();
    let kind = if m.network {
        crate::guard::DeviceKind::Network
    } else {
        d.kind
    };
    ItemMedium {
        kind: kind.name().to_string(),
        transport: d.transport,
        vendor: d.vendor,
        model: d.model,
        serial: d.serial,
        // A FUSE file system names its own subtype (`fuse.NAME`).
        fs_type: Some(m.fs_type)
            .filter(|t| !t.is_empty())
            .map(crate::guard::bounded_name),
        encrypted: d.encrypted,
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
    // Only what the issuer states: an e-mail domain is not an organisation.
    let organisation = req
        .organisation
        .clone()
        .map(|o| o.trim().to_string())
        .unwrap_or_default();
    Issuer {
        name,
        organisation,
        title: req.site.title.trim().to_string(),
        contact: req.site.contact.trim().to_string(),
        key,
    }
}

/// Everything [`certify`] decided before destroying anything.
pub(super) struct Plan {
    chain: custody::Chain,
    /// The vault as surveyed (or declared lost).
    pub(super) vault: destroy::Target,
    lost: bool,
    /// The plaintext copies as surveyed.
    targets: Vec<destroy::Target>,
    extractions: Vec<Extraction>,
    /// The medium of the vault (none when lost) and of each copy.
    vault_medium: Option<ItemMedium>,
    media: Vec<ItemMedium>,
}

/// Every refusal, before anything is touched: the quick ones first, then
/// the surveys (which hash).
pub(super) fn plan(req: &CertifyRequest, chain: custody::Chain) -> Result<Plan> {
    let after = &req.site.medium_after;
    if !after.is_empty() && !MEDIUM_AFTER.contains(&after.as_str()) {
        return Err(Error::new(Kind::Usage, "err-certify-medium-after").arg("value", after));
    }
    crate::fsutil::check_not_folder(req.output, "certificate.json")?;
    check_clobber(req.output, req.force)?;
    check_clobber(&sig_path(req.output), req.force)?;
    // Never in place of the log (the evidence) or the vault, --force or not.
    crate::fsutil::check_apart(&[req.output, &sig_path(req.output)], &[req.custody, req.vault])?;
    let receipt = &chain.receipt;
    super::consent(receipt, None)?;
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
    } else {
        destroy::survey_vault(&vault_path, req.action == Action::Deleted)?
    };
    if vault.is_dir || vault.size != receipt.ciphertext.size || vault.blake3 != receipt.ciphertext.blake3 {
        return Err(Error::new(Kind::Integrity, "err-certify-vault-mismatch").arg("path", vault.path.display()));
    }
    let targets = copies.iter().map(|p| destroy::survey(p)).collect::<Result<Vec<_>>>()?;
    let vault_medium = (!lost).then(|| medium_of(req.probe, &vault_path));
    let media = targets.iter().map(|t| medium_of(req.probe, &t.path)).collect();
    Ok(Plan {
        chain,
        vault,
        lost,
        targets,
        extractions,
        vault_medium,
        media,
    })
}

/// What the certificate records for the vault.
fn vault_outcome(action: Action, lost: bool) -> &'static str {
    match action {
        Action::Deleted if lost => OUTCOME_LOST,
        Action::Deleted => OUTCOME_DESTROYED,
        Action::Returned => OUTCOME_KEPT,
    }
}

/// The certificate's items as the plan stands, the vault's first.
pub(super) fn items(action: Action, plan: &Plan) -> Vec<Item> {
    let outcome = vault_outcome(action, plan.lost);
    let vault = item(ROLE_VAULT, &plan.vault, outcome, plan.vault_medium.clone());
    let copies =
        (plan.targets.iter().zip(&plan.media)).map(|(t, m)| item(ROLE_COPY, t, OUTCOME_DESTROYED, Some(m.clone())));
    std::iter::once(vault).chain(copies).collect()
}

/// A list of paths for a message, or "none" in the reader's language.
fn paths_arg(e: Error, name: &'static str, paths: &[&destroy::Target]) -> Error {
    if paths.is_empty() {
        return e.arg_msg(name, "msg-certify-none");
    }
    let list: Vec<String> = paths.iter().map(|t| t.path.display().to_string()).collect();
    e.arg(name, list.join(", "))
}

/// Destroys the copies, then (for a deletion) the vault, and checks that
/// nothing of them remains. Nothing is overwritten unless every one of
/// them is still exactly as surveyed. Returns the certificate's items,
/// the vault's first.
fn destroy_all(action: Action, plan: &Plan) -> Result<Vec<Item>> {
    let vault = &plan.vault;
    let destroys_vault = vault_outcome(action, plan.lost) == OUTCOME_DESTROYED;
    let doomed: Vec<&destroy::Target> = plan.targets.iter().chain(destroys_vault.then_some(vault)).collect();
    for t in &doomed {
        destroy::recheck(t)?;
    }
    for (i, t) in doomed.iter().enumerate() {
        destroy::destroy(t).map_err(|s| {
            let e = Error::new(Kind::Io, "err-certify-destroy-failed")
                .arg("path", t.path.display())
                .arg_error("detail", s.error)
                .arg("overwritten", s.overwritten)
                .arg("files", t.files)
                .arg("removed", s.removed);
            let e = paths_arg(e, "done", &doomed[..i]);
            paths_arg(e, "left", &doomed[i + 1..])
        })?;
    }
    let gone: Vec<&destroy::Target> = match action {
        Action::Deleted => plan.targets.iter().chain(std::iter::once(vault)).collect(),
        Action::Returned => plan.targets.iter().collect(),
    };
    if let Some(t) = gone.iter().find(|t| destroy::target_remains(t)) {
        return Err(Error::new(Kind::Io, "err-certify-remains").arg("path", t.path.display()));
    }
    Ok(items(action, plan))
}

/// Debug builds only, for tests: runs the shell command in
/// `KURA_TEST_AFTER_SURVEY` between the survey and the destruction, so a
/// test can change the files there without racing. Compiled out of
/// release builds.
#[cfg(all(debug_assertions, unix))]
pub(super) fn after_survey() -> Result<()> {
    if let Some(cmd) = std::env::var_os("KURA_TEST_AFTER_SURVEY") {
        let mut sh = std::process::Command::new("sh");
        let status = sh.arg("-c").arg(&cmd).stdout(std::process::Stdio::null()).status();
        if !status.is_ok_and(|s| s.success()) {
            return Err(Error::internal("the KURA_TEST_AFTER_SURVEY command failed"));
        }
    }
    Ok(())
}

#[cfg(not(all(debug_assertions, unix)))]
pub(super) fn after_survey() -> Result<()> {
    Ok(())
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
pub(super) fn certificate(
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
        other_vaults: vec![],
        place: req.site.place.trim().to_string(),
        medium_id: req.site.medium_id.trim().to_string(),
        medium_after: req.site.medium_after.clone(),
    })
}

/// Destroys, records, and issues the certificate. Nothing is destroyed
/// unless every check passes and the outputs can be created.
///
/// The custody log is locked from the first check to the certifying
/// record, so no extraction can start (or be recorded) in between; the
/// stages killed extractions left are removed first.
pub fn certify(req: &CertifyRequest) -> Result<Issued> {
    super::open::check_custody_beside(req.vault, req.custody)?;
    let mut log = Log::open(req.custody)?;
    log.check(req.action.name())?;
    let swept = super::open::sweep(log.chain(), None);
    let plan = plan(req, log.chain().clone())?;
    let sig_out = sig_path(req.output);
    // Outputs are created (empty, hidden) before anything is destroyed, so
    // an unwritable folder stops us here and not after the data is gone.
    let mut cert_file = AtomicFile::create(req.output, req.force)?;
    let mut sig_file = AtomicFile::create(&sig_out, req.force)?;
    after_survey()?;
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

/// What [`dry_run`] found.
pub struct DryRun {
    /// The certificate's items as [`certify`] would record them, the
    /// vault's first: what would be destroyed, kept, or stated as lost.
    pub items: Vec<Item>,
    pub extractions: Vec<Extraction>,
}

/// Every check and survey [`certify`] makes, and nothing more: nothing is
/// destroyed, and neither a certificate nor a custody record is written.
pub fn dry_run(req: &CertifyRequest) -> Result<DryRun> {
    super::open::check_custody_beside(req.vault, req.custody)?;
    let plan = plan(req, custody::read(req.custody)?)?;
    // The outputs could be created (the temporary files vanish on drop).
    AtomicFile::create(req.output, req.force)?;
    AtomicFile::create(&sig_path(req.output), req.force)?;
    Ok(DryRun {
        items: items(req.action, &plan),
        extractions: plan.extractions,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::Command;

    /// A bind mount for a test, undone when dropped.
    struct Bind(PathBuf);

    impl Drop for Bind {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).output();
        }
    }

    fn bind(from: &Path, to: &Path) -> Bind {
        std::fs::create_dir_all(to).unwrap();
        let out = Command::new("mount").arg("--bind").arg(from).arg(to).output();
        let out = out.expect("mount must be installed for these tests");
        assert!(out.status.success(), "mount --bind (these tests run as root): {out:?}");
        Bind(to.to_path_buf())
    }

    #[test]
    fn every_accounts_home_and_every_top_level_folder_is_too_wide() {
        // SAFETY: getpwuid/geteuid on this thread; pw_dir copied at once.
        let own = unsafe {
            let pw = libc::getpwuid(libc::geteuid());
            assert!(!pw.is_null(), "this user has an entry in the password database");
            PathBuf::from(std::ffi::CStr::from_ptr((*pw).pw_dir).to_string_lossy().into_owned())
        };
        // Whatever HOME says, the password database's home is protected.
        assert!(account_homes().contains(&own), "{own:?}");
        assert!(homes().contains(&own));
        for top in ["/etc", "/home", "/tmp", "/var", "/usr"] {
            assert!(too_wide(Path::new(top), &[]), "{top}");
        }
    }

    #[test]
    fn the_root_and_the_home_folder_are_too_wide_by_any_name() {
        let d = tempfile::tempdir().unwrap();
        let t = crate::fsutil::canonicalize(d.path()).unwrap();
        std::fs::create_dir_all(t.join("var/home/user/work")).unwrap();
        std::os::unix::fs::symlink("var/home", t.join("home")).unwrap();
        let homes = [t.join("home/user")];
        for p in ["var/home/user", "var/home", "var", ""] {
            assert!(too_wide(&t.join(p), &homes), "{p}");
        }
        assert!(!too_wide(&t.join("var/home/user/work"), &homes));
        assert!(too_wide(Path::new("/"), &[]));
        let root = bind(Path::new("/"), &t.join("root-again"));
        assert!(too_wide(&root.0, &[]), "the root under another name");
        let parent = bind(&t.join("var/home"), &t.join("homes-again"));
        assert!(too_wide(&parent.0, &homes), "a folder above home under another name");
        assert!(!too_wide(&parent.0.join("user/work"), &homes));
    }
}
