//! `verify` and `extract`: the custody log read and checked first (its first
//! record holds the signed receipt the vault is opened against), the vault
//! opened, and the operation recorded.

use std::path::{Path, PathBuf};

use super::Keys;
use crate::custody::{self, Chain, Log, NewEvent};
use crate::error::{Error, IoContext, Kind, Result};
use crate::guard::{self, Allow, Probe};
use crate::keys::{AllowedSigners, Identities};
use crate::vault::open::{self as vault_open, Trust};
use crate::vault::{Manifest, Receipt};

/// Where the identities come from: key files read when the checks that need
/// no key have passed, or identities already loaded.
#[derive(Clone, Copy)]
pub enum KeySource<'a> {
    Files(Keys<'a>),
    Loaded(&'a Identities),
}

impl KeySource<'_> {
    fn paths(&self) -> &[PathBuf] {
        match self {
            KeySource::Files(k) => k.paths,
            KeySource::Loaded(ids) => &ids.paths,
        }
    }
}

/// Inputs to [`verify`] and [`extract`].
pub struct OpenRequest<'a> {
    pub vault: &'a Path,
    /// The custody log (normally the sidecar `VAULT.custody`).
    pub custody: &'a Path,
    pub keys: KeySource<'a>,
    /// An OpenSSH allowed_signers file the packer must be listed in.
    pub signers: Option<&'a Path>,
}

/// Where and how [`extract`] puts the files.
pub struct ExtractRequest<'a> {
    pub open: OpenRequest<'a>,
    /// Where the files go: a new or empty folder.
    pub dest: &'a Path,
    /// The medium rules the user overrode; the "extracted" record says so.
    pub allow: Allow,
    pub probe: &'a dyn Probe,
}

/// What a successful verify or extract established.
#[derive(Debug, Clone)]
pub struct Opened {
    pub manifest: Manifest,
    pub receipt: Receipt,
    pub chain: Chain,
    pub trust: Trust,
    /// Where the files were put (extract only).
    pub destination: Option<PathBuf>,
    /// Whether a custody record was appended (needs an SSH signing key).
    pub recorded: bool,
    /// Why no record was appended, when none was.
    pub unrecorded: Option<Unrecorded>,
    /// The log the record went to (or would have gone to).
    pub log: PathBuf,
    /// The log `log` was started as a copy of, in this run (`--custody FILE`
    /// beside a log that cannot be written).
    pub copied_from: Option<PathBuf>,
    /// The log was started in this run, for a vault whose log was lost
    /// ([`super::restart`]; set by the caller that ran it).
    pub restarted: bool,
    /// Stages left by killed extractions, found and removed.
    pub swept: Vec<PathBuf>,
}

/// Why verify appended no custody record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrecorded {
    /// Only age identities were given: none can sign.
    NoSigningKey,
    /// The log is on a medium that cannot be written (`--custody FILE`
    /// records in a copy instead).
    ReadOnly,
}

impl Unrecorded {
    /// The name scripts see (`--json`).
    pub fn name(self) -> &'static str {
        match self {
            Unrecorded::NoSigningKey => "no-signing-key",
            Unrecorded::ReadOnly => "log-read-only",
        }
    }
}

/// Identities read from files, or lent by the caller.
pub(super) enum Held<'a> {
    Read(Box<Identities>),
    Lent(&'a Identities),
}

impl Held<'_> {
    /// The identities read from files, for the caller to lend to the next
    /// step (`None` when they were lent in the first place).
    pub(super) fn into_read(self) -> Option<Box<Identities>> {
        match self {
            Held::Read(ids) => Some(ids),
            Held::Lent(_) => None,
        }
    }
}

impl std::ops::Deref for Held<'_> {
    type Target = Identities;
    fn deref(&self) -> &Identities {
        match self {
            Held::Read(ids) => ids,
            Held::Lent(ids) => ids,
        }
    }
}

/// The identities and trust list, loaded in that order.
pub(super) fn load<'a>(req: &OpenRequest<'a>) -> Result<(Held<'a>, Option<AllowedSigners>)> {
    let ids = match req.keys {
        KeySource::Files(k) => Held::Read(Box::new(k.load()?)),
        KeySource::Loaded(ids) => Held::Lent(ids),
    };
    let signers = req.signers.map(AllowedSigners::load).transpose()?;
    Ok((ids, signers))
}

/// Opens the vault against the receipt of its custody log, passing the
/// members to `open` (verify or extract).
fn open_with(
    req: &OpenRequest,
    ids: &Identities,
    signers: Option<&AllowedSigners>,
    chain: Chain,
    open: impl FnOnce(&vault_open::OpenRequest) -> Result<vault_open::Opened>,
) -> Result<Opened> {
    let opened = open(&vault_open::OpenRequest {
        vault: req.vault,
        receipt: &chain.receipt,
        identities: ids,
        signers,
    })?;
    Ok(Opened {
        manifest: opened.manifest,
        receipt: opened.receipt,
        chain,
        trust: opened.trust,
        destination: None,
        recorded: false,
        unrecorded: None,
        log: req.custody.to_path_buf(),
        copied_from: None,
        restarted: false,
        swept: vec![],
    })
}

/// Verifies a vault without writing any plaintext, then records "verified"
/// in the custody log (when an SSH key is among the identities). With a
/// signing key the log stays locked from the start, so no other kura
/// records in between.
///
/// A log that cannot be written (a write-protected backup disk) does not
/// stop a verification: it is read, the vault checked, and the result says
/// that nothing was recorded and why. `--custody FILE` beside such a log
/// records in a continuation copy instead ([`continue_elsewhere`]).
pub fn verify(req: &OpenRequest, progress: &dyn Fn(u64)) -> Result<Opened> {
    super::require_vault(req.vault)?;
    let copied_from = continue_elsewhere(req.vault, req.custody)?;
    let (ids, signers) = load(req)?;
    let mut unrecorded = None;
    let mut log = match ids.signer {
        Some(_) => match Log::open(req.custody) {
            Ok(l) => Some(l),
            Err(e) if e.id == "err-custody-unwritable" => {
                unrecorded = Some(Unrecorded::ReadOnly);
                None
            }
            Err(e) => return Err(e),
        },
        None => {
            unrecorded = Some(Unrecorded::NoSigningKey);
            None
        }
    };
    let chain = match &log {
        Some(l) => l.chain().clone(),
        None => custody::read(req.custody)?,
    };
    super::consent(&chain.receipt, None)?;
    let mut opened = open_with(req, &ids, signers.as_ref(), chain, |r| vault_open::verify(r, progress))?;
    opened.swept = sweep(&opened.chain, None);
    opened.unrecorded = unrecorded;
    opened.copied_from = copied_from;
    if let (Some(signer), Some(log)) = (&ids.signer, &mut log) {
        let ev = NewEvent::new("verified").detail("result", "ok");
        log.append(ev, signer, crate::clock::now())?;
        opened.recorded = true;
        opened.chain = log.chain().clone();
    }
    Ok(opened)
}

/// Lets `--custody FILE` stand in for the vault's own log when that log
/// cannot be written: checks FILE as [`check_custody_beside`] does, first
/// starting it as a copy of the vault's log when it is not there yet.
/// Returns the log copied, if FILE was started now.
fn continue_elsewhere(vault: &Path, custody: &Path) -> Result<Option<PathBuf>> {
    let beside = crate::naming::custody_path(vault);
    let mut copied = None;
    if !custody.exists() && !same_file(&beside, custody) && beside.exists() && write_protected(&beside) {
        custody::start_copy(&custody::read(&beside)?, custody)?;
        copied = Some(beside);
    }
    check_custody_beside(vault, custody)?;
    Ok(copied)
}

/// Removes the stages that killed extractions left in the destinations
/// this log records on this computer (and in `dest`); returns them.
pub fn sweep(chain: &Chain, dest: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = extraction_destinations(chain);
    dirs.extend(dest.map(Path::to_path_buf));
    dirs.dedup();
    dirs.iter().flat_map(|d| crate::vault::stage::sweep(d)).collect()
}

/// Every destination the log records an extraction into (begun or done)
/// on this computer.
pub fn extraction_destinations(chain: &Chain) -> Vec<PathBuf> {
    let here = custody::host();
    let mut out: Vec<PathBuf> = vec![];
    for r in &chain.records {
        if !matches!(r.event.as_str(), "extracting" | "extracted") || r.host != here || is_stdout_copy(r) {
            continue;
        }
        if let Some(d) = r.details.get("destination").and_then(|v| v.as_str()) {
            let d = PathBuf::from(d);
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// A destination folder this extraction created: removed again (when
/// empty) unless the extraction succeeded, or a signal came.
struct DestMade<'a>(Option<&'a Path>);

impl<'a> DestMade<'a> {
    fn keep(mut self) {
        if let Some(d) = self.0.take() {
            crate::interrupt::unregister(d);
        }
    }
}

impl Drop for DestMade<'_> {
    fn drop(&mut self) {
        if let Some(d) = self.0 {
            let _ = std::fs::remove_dir(d);
            crate::interrupt::unregister(d);
        }
    }
}

/// Creates DEST (and any missing parents) readable by its owner only: it
/// is about to hold plaintext.
fn make_dest(dest: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dest).at(dest.display())
}

/// The identity of a folder (`DEVICE:INODE`), recorded with an extraction
/// so that `certify` can tell the recorded copy from another folder later
/// put at the same path.
pub fn folder_id(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(path)
            .ok()
            .map(|m| format!("{}:{}", m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Refuses a destination that another local user could tamper with while
/// plaintext goes into it, or that `certify` could not destroy whole later:
/// a symbolic link, a folder owned by someone else or writable by group or
/// others, a mount point, or a folder whose parent anyone may write in
/// (without the sticky bit, so that DEST itself could be swapped).
fn check_dest(dest: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let refuse = |id: &'static str| Err(Error::new(Kind::Refused, id).arg("path", dest.display()));
        let Ok(m) = std::fs::symlink_metadata(dest) else {
            return Ok(()); // made by kura, owner-only, and checked again then
        };
        if m.file_type().is_symlink() {
            return refuse("err-extract-dest-link");
        }
        if !m.is_dir() {
            return refuse("err-extract-dest-not-folder");
        }
        // SAFETY: geteuid has no preconditions.
        if m.uid() != unsafe { libc::geteuid() } || m.mode() & 0o022 != 0 {
            return Err(Error::new(Kind::Refused, "err-extract-dest-shared")
                .arg("path", dest.display())
                .arg("mode", format!("{:o}", m.mode() & 0o7777)));
        }
        let parent = crate::fsutil::parent_dir(dest);
        let pm = std::fs::metadata(&parent).at(parent.display())?;
        if pm.dev() != m.dev() {
            return refuse("err-extract-dest-mount");
        }
        if pm.mode() & 0o002 != 0 && pm.mode() & 0o1000 == 0 {
            return Err(Error::new(Kind::Refused, "err-extract-dest-parent-shared").arg("path", parent.display()));
        }
    }
    #[cfg(not(unix))]
    let _ = dest;
    Ok(())
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (crate::fsutil::canonicalize(a), crate::fsutil::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Refuses a custody log given with `--custody` when the vault has its own
/// log beside it: the records of what is done with the vault go there,
/// not into a copy that certify or the clinic would not read. The one
/// exception is a vault's log that cannot be written (a write-protected
/// medium): then FILE may be its continuation, a log that begins with
/// every record of the vault's log (docs/FORMAT.md, "A copy that continues
/// the log").
pub fn check_custody_beside(vault: &Path, custody: &Path) -> Result<()> {
    let beside = crate::naming::custody_path(vault);
    if !beside.exists() || same_file(&beside, custody) {
        return Ok(());
    }
    // A FIFO or device given as the log is refused as such, never read.
    if std::fs::metadata(custody).is_ok_and(|m| !m.is_file()) {
        return Err(Error::new(Kind::Refused, "err-not-regular-file").arg("path", custody.display()));
    }
    if custody::writable(&beside) {
        return Err(Error::new(Kind::Refused, "err-custody-not-beside")
            .arg("path", custody.display())
            .arg("beside", beside.display()));
    }
    if !write_protected(&beside) {
        return Err(Error::new(Kind::Refused, "err-custody-owner-read-only")
            .arg("path", custody.display())
            .arg("beside", beside.display()));
    }
    let original = custody::read(&beside)?;
    let copy = custody::read(custody)?;
    if !copy.lines.starts_with(&original.lines) {
        let n = copy
            .lines
            .iter()
            .zip(&original.lines)
            .take_while(|(a, b)| a == b)
            .count();
        return Err(Error::new(Kind::Refused, "err-custody-copy-diverged")
            .arg("path", custody.display())
            .arg("beside", beside.display())
            .arg("n", n));
    }
    Ok(())
}

/// Whether the vault's log cannot be written and its user cannot change
/// that: a read-only medium, a file of another user. A log its own user
/// made read-only (mode 0444, or immutable, on a writable disk) is not: they may make it writable again, so what they do with the vault
/// is recorded there, never in a copy the clinic does not see.
fn write_protected(log: &Path) -> bool {
    if custody::writable(log) {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::MetadataExt;
        let Ok(m) = std::fs::metadata(log) else {
            return true;
        };
        // SAFETY: geteuid has no preconditions.
        if m.uid() != unsafe { libc::geteuid() } {
            return true;
        }
        let Ok(c) = std::ffi::CString::new(log.as_os_str().as_bytes()) else {
            return true;
        };
        // SAFETY: statvfs reads a NUL-terminated path and fills the
        // zeroed struct it is given.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
            return true;
        }
        // On a writable file system its owner may make it writable again
        // (chmod u+w; chattr -i for an immutable one, which only root can
        // set in the first place).
        st.f_flag & libc::ST_RDONLY != 0
    }
    #[cfg(not(unix))]
    true
}

fn not_empty(dest: &Path) -> Error {
    Error::new(Kind::Exists, "err-extract-dest-not-empty").arg("path", dest.display())
}

/// The refusals of [`extract`] that need neither the log nor a key: the
/// medium rules, and a destination that is unsafe or not empty. Run
/// before a long step that precedes the extraction (`--without-receipt`
/// reads the whole vault first), so that a destination that would be
/// refused is refused before it; [`extract`] checks them all again.
pub fn check_destination(req: &ExtractRequest) -> Result<()> {
    let open = &req.open;
    guard::extract_rules(req.probe, open.vault, req.dest, open.keys.paths(), req.allow, None)?;
    check_dest(req.dest)?;
    if !crate::vault::stage::stages_in(req.dest).is_empty() {
        // Left by a killed extraction: extract removes it (and then
        // decides whether DEST is empty).
        return Ok(());
    }
    if !crate::vault::stage::is_empty_dir(req.dest)? {
        return Err(not_empty(req.dest));
    }
    Ok(())
}

/// Extracts under the custody log's lock, so that every plaintext copy is
/// recorded or none is made:
/// 1. the log is opened for writing and locked (a log that cannot be
///    written stops here), the medium rules checked, and the identities
///    loaded: one of them must be able to sign (an age identity alone can
///    decrypt but not record);
/// 2. DEST must be new or empty;
/// 3. the vault is decrypted and checked into a stage inside DEST; an
///    `extracting` record (the intent, naming DEST) is appended and on the
///    medium before the first member is written, even to the stage (a
///    vault refused before that, say for its signer, leaves no record);
/// 4. once every check has passed, the members are moved into DEST and an
///    `extracted` record (the result) is appended; if anything fails after
///    the intent, what was written is removed and an `abandoned` record
///    says so.
///
/// A kill at any point after the intent leaves a record naming DEST, so
/// `certify` knows where to look; the stage it leaves is removed by the
/// next command that opens this vault or extracts into DEST.
pub fn extract(req: &ExtractRequest, progress: &dyn Fn(u64)) -> Result<Opened> {
    let open = &req.open;
    super::require_vault(open.vault)?;
    let copied_from = continue_elsewhere(open.vault, open.custody)?;
    let mut log = Log::open(open.custody)?;
    let receipt = log.chain().receipt.clone();
    // What the receipt says is coming (a receipt declaring a bomb is refused
    // as such, not as a lack of space).
    crate::vault::bounds::check_receipt(&receipt)?;
    super::consent(&receipt, None)?;
    let need = Some((receipt.total_size, receipt.file_count));
    guard::extract_rules(req.probe, open.vault, req.dest, open.keys.paths(), req.allow, need)?;
    let (ids, signers) = load(open)?;
    let signer = ids
        .signer
        .as_ref()
        .ok_or_else(|| Error::new(Kind::Key, "err-extract-needs-signer"))?;
    log.check("extracting")?;
    check_dest(req.dest)?;
    let swept = sweep(log.chain(), Some(req.dest));
    if !crate::vault::stage::is_empty_dir(req.dest)? {
        return Err(not_empty(req.dest));
    }
    let created = !req.dest.exists();
    make_dest(req.dest)?;
    if created {
        crate::interrupt::register_empty_dir(req.dest);
    }
    let dest_made = DestMade(created.then_some(req.dest));
    check_dest(req.dest)?;
    let abs = crate::fsutil::canonicalize(req.dest).at(req.dest.display())?;
    let destination = abs.to_string_lossy().into_owned();
    let folder = folder_id(&abs);
    let overrides = req.allow.overrides();
    let mut intended = false;
    let chain = log.chain().clone();
    let mut record_intent = || -> Result<()> {
        let mut intent = NewEvent::new("extracting").detail("destination", destination.as_str());
        if let Some(id) = &folder {
            intent = intent.detail("folder", id.as_str());
        }
        if !overrides.is_empty() {
            intent = intent.detail("overrides", overrides.clone());
        }
        log.append(intent, signer, crate::clock::now())?;
        intended = true;
        crate::fault::point("extracting");
        Ok(())
    };
    let result = open_with(open, &ids, signers.as_ref(), chain, |r| {
        vault_open::extract(r, req.dest, progress, &mut record_intent)
    });
    let mut opened = match result {
        Ok(o) => o,
        Err(e) if intended => {
            // Everything it wrote is gone again: the intent gets its end.
            let _critical = crate::interrupt::Critical::hold();
            let ev = NewEvent::new("abandoned")
                .detail("destination", destination.as_str())
                .detail("reason", e.id);
            log.append(ev, signer, crate::clock::now())?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    dest_made.keep();
    opened.destination = Some(abs);
    opened.swept = swept;
    opened.copied_from = copied_from;
    // The files are in place: the result is recorded even if an
    // interruption comes now (the intent already names DEST).
    let _critical = crate::interrupt::Critical::hold();
    let mut done = NewEvent::new("extracted")
        .detail("destination", destination)
        .detail("folder", folder.unwrap_or_default())
        .detail("files", opened.manifest.file_count)
        .detail("bytes", opened.manifest.total_size);
    if !overrides.is_empty() {
        done = done.detail("overrides", overrides);
    }
    log.append(done, signer, crate::clock::now())?;
    opened.recorded = true;
    opened.chain = log.chain().clone();
    Ok(opened)
}

/// Counts what passes to standard output.
struct Counting<'w> {
    inner: &'w mut dyn std::io::Write,
    n: u64,
}

impl std::io::Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Debug builds only: runs `sh -c "$KURA_TEST_AFTER_CHECK"` between
/// `extract --to-stdout`'s check of the ciphertext and its decryption, so
/// that a test can put another vault in its place there.
fn after_check_hook() {
    #[cfg(debug_assertions)]
    if let Some(cmd) = std::env::var_os("KURA_TEST_AFTER_CHECK") {
        let _ = std::process::Command::new("sh").arg("-c").arg(cmd).status();
    }
}

/// Whether a copy record is of a file sent to standard output
/// (`extract --to-stdout`): a plaintext copy kura cannot follow.
pub fn is_stdout_copy(r: &custody::Record) -> bool {
    r.details.get("stdout").and_then(|v| v.as_bool()) == Some(true)
}

/// Sends one file of the vault (a stream's parts one after the other) to
/// `out`, under the custody log's lock like [`extract`]: the ciphertext is
/// checked against the receipt first; an `extracting` record naming
/// standard output and the file is appended before the first byte goes
/// out; an `extracted` record follows with the bytes sent. Where they went
/// is the receiving program's affair: the records say a plaintext copy
/// exists there. A failure before any byte went out ends the intent with
/// `abandoned`; after, the intent stands (part of the file went out).
/// Returns what was opened and the bytes sent.
pub fn extract_to_stdout(
    req: &OpenRequest,
    member: &str,
    out: &mut dyn std::io::Write,
    progress: &dyn Fn(u64),
) -> Result<(Opened, u64)> {
    super::require_vault(req.vault)?;
    check_custody_beside(req.vault, req.custody)?;
    let mut log = Log::open(req.custody)?;
    crate::vault::bounds::check_receipt(&log.chain().receipt)?;
    let (ids, signers) = load(req)?;
    let signer = ids
        .signer
        .as_ref()
        .ok_or_else(|| Error::new(Kind::Key, "err-extract-needs-signer"))?;
    log.check("extracting")?;
    let place = |event: &str| {
        NewEvent::new(event)
            .detail("destination", crate::naming::STDOUT)
            .detail("stdout", true)
            .detail("member", member)
    };
    let mut intended = false;
    let chain = log.chain().clone();
    let mut counting = Counting { inner: out, n: 0 };
    let mut record_intent = || -> Result<()> {
        log.append(place("extracting"), signer, crate::clock::now())?;
        intended = true;
        crate::fault::point("extracting");
        after_check_hook();
        Ok(())
    };
    let result = open_with(req, &ids, signers.as_ref(), chain, |r| {
        crate::vault::streamed::to_writer(r, member, &mut counting, progress, &mut record_intent)
            .map(|(opened, _)| opened)
    });
    let sent = counting.n;
    let mut opened = match result {
        Ok(o) => o,
        Err(e) if intended && sent == 0 => {
            let _critical = crate::interrupt::Critical::hold();
            let ev = place("abandoned").detail("reason", e.id);
            log.append(ev, signer, crate::clock::now())?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let _critical = crate::interrupt::Critical::hold();
    log.append(place("extracted").detail("bytes", sent), signer, crate::clock::now())?;
    opened.recorded = true;
    opened.chain = log.chain().clone();
    Ok((opened, sent))
}
