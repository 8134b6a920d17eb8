//! Extraction through a stage: members are written into a hidden directory
//! inside DEST while the vault is checked; only when every check passed are
//! they moved into place. Any failure (or Ctrl-C) removes the stage.
//!
//! The writing itself runs on writer threads of its own ([`StageWriter`]),
//! fed through bounded queues of reused blocks, so that creating and
//! writing files overlaps decrypting, decompressing and hashing.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, UNIX_EPOCH};

use super::manifest::{Entry, EntryKind};
use super::open::{open_into, read_full, OpenRequest, Opened, Sink};
use crate::error::{Error, IoContext, Kind, Result};

/// Bytes of file data per message to a writer thread.
const WRITE_BLOCK: usize = 256 << 10;
/// Batches that may wait for each writer thread (bounds memory).
const WRITE_QUEUE: usize = 4;

/// Members written under `root` (the stage). Symbolic links are created only
/// after every file is written, so no write can ever follow one. Folders
/// are made as the files in them are written; those left empty only once
/// the vault has checked out, so that a vault of countless empty folders
/// costs the disk nothing unless it is genuine.
struct StageSink<'a> {
    root: PathBuf,
    dirs: Vec<PathBuf>,
    links: Vec<Entry>,
    writer: StageWriter,
    /// Called once, before the first member is written (see
    /// [`extract_staged`]); taken when called.
    before_plaintext: Option<&'a mut dyn FnMut() -> Result<()>>,
}

/// One piece of work for a writer thread.
enum WriteOp {
    /// A block of a file's data: `create` (path, mode) comes with its
    /// first block, `close` (mtime) with its last.
    Data {
        create: Option<(PathBuf, u32)>,
        block: Vec<u8>,
        len: usize,
        close: Option<i64>,
    },
}

/// The writer threads ("lanes") and the queues to them. After a failure
/// they skip the rest of the work; the failure is reported by the next call.
///
/// Work travels in batches: a small file's data is copied out of its block
/// and queued with its neighbours, so a folder of many small files costs a
/// hand-over to a writer per [`BATCH_BYTES`] or [`BATCH_OPS`], not per file.
///
/// Creating a file is mostly the file system's own work (allocating an
/// inode, adding a directory entry), and it goes about as fast on two
/// threads as on one. So each batch goes to the next lane in turn, except
/// that a file's blocks all go to the lane that created it. No other order
/// matters: every file creates its own parent folders, members never share
/// a path (duplicates are refused before they reach the sink), and folder
/// modes and times are set only after every lane has finished.
struct StageWriter {
    lanes: Vec<Lane>,
    /// The lane the pending batch goes to.
    lane: usize,
    /// A file is open (its last block is still to come): keep its lane.
    mid_file: bool,
    spare: Receiver<Vec<u8>>,
    /// Full-size blocks this side has emptied itself (small files).
    free: Vec<Vec<u8>>,
    pending: Vec<WriteOp>,
    pending_bytes: usize,
    failed: Arc<Mutex<Option<Error>>>,
}

struct Lane {
    tx: Option<SyncSender<Vec<WriteOp>>>,
    thread: Option<JoinHandle<()>>,
}

/// A batch goes to a writer when it holds this many bytes of data…
const BATCH_BYTES: usize = 1 << 20;
/// …or this many operations.
const BATCH_OPS: usize = 256;
/// At most this many writer threads.
const MAX_LANES: usize = 4;

impl StageWriter {
    fn start(modes: Modes) -> Result<StageWriter> {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, MAX_LANES));
        let (back, spare) = channel();
        let failed = Arc::new(Mutex::new(None));
        let mut lanes = Vec::with_capacity(count);
        for i in 0..count {
            let (tx, rx) = sync_channel(WRITE_QUEUE);
            let (back, report) = (back.clone(), failed.clone());
            let thread = std::thread::Builder::new()
                .name(format!("kura-write-{i}"))
                .spawn(move || write_stage(rx, back, report, modes))
                .map_err(Error::internal)?;
            lanes.push(Lane {
                tx: Some(tx),
                thread: Some(thread),
            });
        }
        Ok(StageWriter {
            lanes,
            lane: 0,
            mid_file: false,
            spare,
            free: Vec::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            failed,
        })
    }

    /// The writers' first failure, if they had one.
    fn check(&self) -> Result<()> {
        match self.failed.lock() {
            Ok(mut f) => f.take().map_or(Ok(()), Err),
            Err(_) => Err(Error::internal("writer state poisoned")),
        }
    }

    /// Queues `op`; the batch goes out when it is large enough.
    fn send(&mut self, op: WriteOp) -> Result<()> {
        let WriteOp::Data { len, create, close, .. } = &op;
        self.pending_bytes += len;
        if create.is_some() {
            self.mid_file = true;
        }
        if close.is_some() {
            self.mid_file = false;
        }
        self.pending.push(op);
        if self.pending_bytes >= BATCH_BYTES || self.pending.len() >= BATCH_OPS {
            self.flush()?;
        }
        Ok(())
    }

    /// Sends the batch queued so far to its lane; the next batch goes to
    /// the next lane unless a file is still open.
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let sent = self.lanes[self.lane].tx.as_ref().map(|tx| tx.send(batch).is_ok());
        if sent != Some(true) {
            self.check()?;
            return Err(Error::internal("writer stopped"));
        }
        if !self.mid_file {
            self.lane = (self.lane + 1) % self.lanes.len();
        }
        Ok(())
    }

    /// An empty block to fill (one a writer has finished with, if any).
    fn block(&mut self) -> Vec<u8> {
        self.free
            .pop()
            .or_else(|| self.spare.try_recv().ok())
            .unwrap_or_else(|| vec![0; WRITE_BLOCK])
    }

    /// Waits until everything queued is on disk (in the page cache).
    fn finish(&mut self) -> Result<()> {
        self.flush()?;
        self.stop()?;
        self.check()
    }

    /// Closes every lane's queue and waits for its thread.
    fn stop(&mut self) -> Result<()> {
        for lane in &mut self.lanes {
            drop(lane.tx.take());
        }
        let mut panicked = false;
        for lane in &mut self.lanes {
            if let Some(t) = lane.thread.take() {
                panicked |= t.join().is_err();
            }
        }
        if panicked {
            return Err(Error::internal("writer panicked"));
        }
        Ok(())
    }
}

impl Drop for StageWriter {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A writer thread: creates directories and files under the stage in the
/// order given. Parents already made are remembered, and a file is created
/// with its mode, so a small file costs open, write, futimens and close
/// (and fchmod only where the umask took bits away).
fn write_stage(rx: Receiver<Vec<WriteOp>>, back: Sender<Vec<u8>>, failed: Arc<Mutex<Option<Error>>>, mut modes: Modes) {
    let mut made: HashSet<PathBuf> = HashSet::new();
    let mut open: Option<OpenFile> = None;
    let mut broken = false;
    for op in rx.into_iter().flatten() {
        let result = match op {
            _ if broken => Ok(()),
            WriteOp::Data {
                create,
                block,
                len,
                close,
            } => {
                let r = write_block(&mut made, &mut open, create, &block[..len], close, &mut modes);
                if block.len() == WRITE_BLOCK {
                    let _ = back.send(block);
                }
                r
            }
        };
        if let Err(e) = result {
            broken = true;
            open = None;
            if let Ok(mut f) = failed.lock() {
                f.get_or_insert(e);
            }
        }
    }
}

fn make_dirs(made: &mut HashSet<PathBuf>, p: &Path) -> Result<()> {
    if !made.contains(p) {
        fs::create_dir_all(p).at(p.display())?;
        made.insert(p.to_path_buf());
    }
    Ok(())
}

/// The file a writer thread is writing, and the mode it is to have.
struct OpenFile {
    file: File,
    path: PathBuf,
    mode: u32,
}

fn write_block(
    made: &mut HashSet<PathBuf>,
    open: &mut Option<OpenFile>,
    create: Option<(PathBuf, u32)>,
    data: &[u8],
    close: Option<i64>,
    modes: &mut Modes,
) -> Result<()> {
    if let Some((p, mode)) = create {
        if let Some(parent) = p.parent() {
            make_dirs(made, parent)?;
        }
        let mut o = OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, mode & 0o777);
        #[cfg(not(unix))]
        let _ = mode;
        let f = o.open(&p).at(p.display())?;
        if !modes.checked {
            // A default ACL on DEST takes the umask's place: if the first
            // file did not get the mode the umask predicts, every file's
            // mode is set explicitly.
            modes.checked = true;
            let predicted = modes.umask.map(|u| mode & 0o777 & !u);
            if predicted.is_some() && f.metadata().ok().map(|m| super::walk::mode_of(&m)) != predicted {
                modes.umask = None;
            }
        }
        *open = Some(OpenFile { file: f, path: p, mode });
    }
    let o = open.as_mut().ok_or_else(|| Error::internal("write without a file"))?;
    o.file.write_all(data).at(o.path.display())?;
    if let Some(mtime) = close {
        o.file.set_modified(to_time(mtime)).at(o.path.display())?;
        let o = open.take().ok_or_else(|| Error::internal("close without a file"))?;
        if modes.needs_chmod(o.mode) {
            set_file_mode(o.file, &o.path, o.mode)?;
        }
    }
    Ok(())
}

/// Whether a file created with its mode ends up with exactly that mode:
/// only when the process's umask takes none of its bits away (and, as the
/// first file written shows, nothing else does, like a default ACL).
#[derive(Debug, Clone, Copy)]
struct Modes {
    /// The umask, where it can be read without changing it.
    umask: Option<u32>,
    /// Whether the first file created was checked.
    checked: bool,
}

impl Modes {
    fn current() -> Modes {
        Modes {
            umask: read_umask(),
            checked: false,
        }
    }

    fn needs_chmod(&self, mode: u32) -> bool {
        self.umask.is_none_or(|u| mode & 0o777 & u != 0)
    }
}

/// The umask from /proc/self/status (Linux 4.7 and later). Elsewhere the
/// only way to read it is to set it, which would race with other threads,
/// so every file's mode is set explicitly instead.
fn read_umask() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

fn join(root: &Path, member: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in member.split('/') {
        p.push(c);
    }
    p
}

fn to_time(mtime: i64) -> std::time::SystemTime {
    if mtime >= 0 {
        UNIX_EPOCH + Duration::from_secs(mtime as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(mtime.unsigned_abs())
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o777)).at(path.display())
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    let mut p = fs::metadata(path).at(path.display())?.permissions();
    p.set_readonly(mode & 0o200 == 0);
    fs::set_permissions(path, p).at(path.display())
}

/// Sets a just-written file's mode through its descriptor, then closes it.
#[cfg(unix)]
fn set_file_mode(f: File, path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    f.set_permissions(fs::Permissions::from_mode(mode & 0o777))
        .at(path.display())
}

#[cfg(not(unix))]
fn set_file_mode(f: File, path: &Path, mode: u32) -> Result<()> {
    drop(f);
    set_mode(path, mode)
}

impl StageSink<'_> {
    /// Runs the caller's hook before the first plaintext is written.
    fn plaintext_next(&mut self) -> Result<()> {
        match self.before_plaintext.take() {
            Some(hook) => hook(),
            None => Ok(()),
        }
    }

    fn parent_ready(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).at(parent.display())?;
        }
        Ok(())
    }
}

impl Sink for StageSink<'_> {
    fn dir(&mut self, e: &Entry) -> Result<()> {
        self.writer.check()?;
        self.dirs.push(join(&self.root, &e.path));
        Ok(())
    }

    /// Hashes the data here and hands it to a writer thread block by block.
    fn file(&mut self, e: &Entry, data: &mut dyn Read) -> Result<String> {
        self.writer.check()?;
        self.plaintext_next()?;
        let mut create = Some((join(&self.root, &e.path), e.mode & MODE_MASK));
        let mut h = blake3::Hasher::new();
        loop {
            let mut block = self.writer.block();
            let len = read_full(data, &mut block)?;
            h.update(&block[..len]);
            let last = len < block.len();
            if last && len <= WRITE_BLOCK / 4 {
                // A small file (or tail): travel in a batch, keep the block.
                let small = block[..len].to_vec();
                self.writer.free.push(block);
                block = small;
            }
            self.writer.send(WriteOp::Data {
                create: create.take(),
                block,
                len,
                close: last.then_some(e.mtime),
            })?;
            if last {
                return Ok(h.finalize().to_hex().to_string());
            }
        }
    }

    fn finish(&mut self) -> Result<()> {
        self.writer.finish()
    }

    fn symlink(&mut self, e: &Entry) -> Result<()> {
        self.links.push(e.clone());
        Ok(())
    }
}

fn make_link(target: &str, at: &Path) -> Result<()> {
    #[cfg(unix)]
    let r = std::os::unix::fs::symlink(target, at);
    #[cfg(windows)]
    let r = std::os::windows::fs::symlink_file(target.replace('/', "\\"), at);
    r.at(at.display())
}

/// What a stage's name starts with: `DEST/.kura-stage-XXXXXX`.
pub const STAGE_PREFIX: &str = ".kura-stage-";

/// The modes extracted files and folders get: the vault's, without write
/// for group and others and without set-id or sticky bits, so that a vault
/// declaring `0777` folders cannot make its plaintext writable by every
/// local user.
pub const MODE_MASK: u32 = 0o755;

/// A stage: a folder inside DEST, created owner-only and locked while an
/// extraction uses it. On Unix it is created 0700 and locked with `flock`
/// on the folder itself; on Windows its DACL lets only the user in (where
/// the file system keeps permissions: not FAT or exFAT), and it is held
/// open without `FILE_SHARE_DELETE`, which is the lock: nobody can rename
/// or remove it meanwhile. A stage whose lock can be taken was left by an
/// extraction that was killed; see [`sweep`].
struct Stage {
    path: PathBuf,
    /// Holds the lock until the stage is dropped.
    lock: Option<File>,
}

impl Stage {
    fn create(dest: &Path) -> Result<Stage> {
        let mut b = tempfile::Builder::new();
        b.prefix(STAGE_PREFIX);
        #[cfg(unix)]
        b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = b.tempdir_in(dest).at(dest.display())?;
        let path = dir.keep();
        crate::interrupt::register(&path);
        #[cfg(unix)]
        let lock = {
            let lock = File::open(&path).at(path.display())?;
            lock.try_lock()
                .map_err(|_| Error::internal("a new stage was locked by someone else"))?;
            lock
        };
        #[cfg(windows)]
        let lock = {
            // Still empty: nothing was readable before this.
            let _ = crate::fsutil::windows::owner_only(&path);
            crate::fsutil::windows::hold_folder(&path).at(path.display())?
        };
        #[cfg(not(any(unix, windows)))]
        let lock = File::open(&path).at(path.display())?;
        Ok(Stage { path, lock: Some(lock) })
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        // Let go first: on Windows a held folder cannot be removed.
        drop(self.lock.take());
        let _ = make_writable_and_remove(&self.path);
        crate::interrupt::unregister(&self.path);
    }
}

/// Whether an extraction still holds the stage at `path`.
fn in_use(path: &Path) -> bool {
    #[cfg(unix)]
    return File::open(path).is_ok_and(|f| f.try_lock().is_err());
    #[cfg(windows)]
    return crate::fsutil::windows::held(path);
    // Without folder locks, every stage counts as in use.
    #[cfg(not(any(unix, windows)))]
    return true;
}

/// The stages found in `dir`: (path, whether an extraction is still using
/// it).
pub fn stages_in(dir: &Path) -> Vec<(PathBuf, bool)> {
    let Ok(rd) = fs::read_dir(dir) else { return vec![] };
    rd.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(STAGE_PREFIX))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let path = e.path();
            let live = in_use(&path);
            (path, live)
        })
        .collect()
}

/// Removes the stages in `dir` that no running extraction holds (left by
/// one that was killed); returns them, for the caller to report.
pub fn sweep(dir: &Path) -> Vec<PathBuf> {
    let mut removed = vec![];
    for (path, live) in stages_in(dir) {
        if !live && make_writable_and_remove(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Whether `dest` has nothing in it (a missing folder counts as empty).
pub fn is_empty_dir(dest: &Path) -> Result<bool> {
    match fs::read_dir(dest) {
        Ok(mut rd) => Ok(rd.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(e, dest.display())),
    }
}

/// Moves every top-level member from the stage into DEST, one rename each,
/// never replacing anything there (Linux: `renameat2(RENAME_NOREPLACE)`),
/// whatever order the archive listed its members in. On a failure what
/// was already moved is taken back out of DEST.
fn move_into_place(stage: &Path, dest: &Path) -> Result<()> {
    let mut moved: Vec<PathBuf> = vec![];
    let result = (|| {
        for e in fs::read_dir(stage).at(stage.display())? {
            let e = e.at(stage.display())?;
            let to = dest.join(e.file_name());
            rename_no_replace(&e.path(), &to)?;
            moved.push(to);
        }
        Ok(())
    })();
    if result.is_err() {
        for p in moved {
            let _ = make_writable_and_remove(&p);
        }
    }
    result
}

/// Renames `from` to `to` unless `to` exists.
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::EXIST) => {
                return Err(Error::new(Kind::Exists, "err-extract-dest-changed").arg("path", to.display()))
            }
            // A file system without renameat2: check, then rename.
            Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOSYS) => {}
            Err(e) => return Err(Error::io(e.into(), to.display())),
        }
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(Error::new(Kind::Exists, "err-extract-dest-changed").arg("path", to.display()));
    }
    fs::rename(from, to).at(to.display())
}

/// Decrypts and checks the vault into a stage inside DEST (which must be
/// empty), then moves everything into DEST. The stage is removed whatever
/// happens. `before_plaintext` runs once, before the first member's name
/// or data is written anywhere (the caller records the extraction there);
/// a vault refused before that point leaves nothing to record.
pub(super) fn extract_staged(
    req: &OpenRequest,
    dest: &Path,
    progress: &dyn Fn(u64),
    before_plaintext: &mut dyn FnMut() -> Result<()>,
) -> Result<Opened> {
    if !is_empty_dir(dest)? {
        return Err(Error::new(Kind::Exists, "err-extract-dest-not-empty").arg("path", dest.display()));
    }
    let stage = Stage::create(dest)?;
    let mut sink = StageSink {
        root: stage.path.clone(),
        dirs: vec![],
        links: vec![],
        writer: StageWriter::start(Modes::current())?,
        before_plaintext: Some(before_plaintext),
    };
    let opened = open_into(req, &mut sink, progress)?;
    if !sink.links.is_empty() || !sink.dirs.is_empty() {
        // Folder and link names are plaintext too.
        sink.plaintext_next()?;
    }
    for d in &sink.dirs {
        fs::create_dir_all(d).at(d.display())?;
    }
    for l in &sink.links {
        let at = join(&sink.root, &l.path);
        sink.parent_ready(&at)?;
        make_link(l.target.as_deref().unwrap_or(""), &at)?;
        let _ = filetime::set_symlink_file_times(
            &at,
            filetime::FileTime::from_unix_time(l.mtime, 0),
            filetime::FileTime::from_unix_time(l.mtime, 0),
        );
    }
    crate::fault::point("staged");
    // Once files start moving into DEST, the move completes.
    let _critical = crate::interrupt::Critical::enter()?;
    move_into_place(&stage.path, dest)?;
    // Directory modes and times last, deepest first.
    for e in opened
        .manifest
        .entries
        .iter()
        .rev()
        .filter(|e| e.kind == EntryKind::Dir)
    {
        let p = join(dest, &e.path);
        let mode = e.mode & MODE_MASK;
        set_mode(&p, mode | 0o700)?;
        let t = filetime::FileTime::from_unix_time(e.mtime, 0);
        filetime::set_file_mtime(&p, t).at(p.display())?;
        if mode & 0o700 != 0o700 {
            set_mode(&p, mode)?;
        }
    }
    crate::fsutil::fsync_dir(dest)?;
    Ok(opened)
}

/// Removes a tree even where modes forbid it (a failed stage).
fn make_writable_and_remove(p: &Path) -> std::io::Result<()> {
    // A stage may hold anything a hostile archive put there before it was
    // refused: no link in it is followed.
    crate::fsutil::stale::remove_tree(p)
}
