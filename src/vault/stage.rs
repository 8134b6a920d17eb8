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
struct StageSink {
    root: PathBuf,
    dirs: Vec<PathBuf>,
    links: Vec<Entry>,
    writer: StageWriter,
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

impl StageSink {
    fn parent_ready(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).at(parent.display())?;
        }
        Ok(())
    }
}

impl Sink for StageSink {
    fn dir(&mut self, e: &Entry) -> Result<()> {
        self.writer.check()?;
        self.dirs.push(join(&self.root, &e.path));
        Ok(())
    }

    /// Hashes the data here and hands it to a writer thread block by block.
    fn file(&mut self, e: &Entry, data: &mut dyn Read) -> Result<String> {
        self.writer.check()?;
        let mut create = Some((join(&self.root, &e.path), e.mode));
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

/// Refuses when a destination path or one of its parents inside DEST is a
/// link (it could lead outside DEST), or would be overwritten without
/// `force`.
fn check_conflicts(dest: &Path, entries: &[Entry], force: bool) -> Result<()> {
    // Folders found missing: nothing beneath them can conflict, so the many
    // members of a new folder cost one look-up, not one each.
    let mut missing: HashSet<PathBuf> = HashSet::new();
    for e in entries {
        let mut p = dest.to_path_buf();
        let comps: Vec<&str> = e.path.split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            p.push(c);
            let last = i + 1 == comps.len();
            if missing.contains(&p) {
                break;
            }
            match fs::symlink_metadata(&p) {
                Err(_) => {
                    if !last {
                        missing.insert(p);
                    }
                    break;
                }
                Ok(m) if m.file_type().is_symlink() => {
                    if last && e.kind != EntryKind::Dir && force {
                        continue; // a link replaced by --force, never followed
                    }
                    return Err(Error::new(Kind::Unsafe, "err-dest-link").arg("path", p.display()));
                }
                Ok(m) if !last => {
                    if !m.is_dir() {
                        return Err(Error::new(Kind::Exists, "err-dest-exists").arg("path", p.display()));
                    }
                }
                Ok(m) => {
                    let ok = match e.kind {
                        EntryKind::Dir => m.is_dir(),
                        _ => force && !m.is_dir(),
                    };
                    if !ok {
                        return Err(Error::new(Kind::Exists, "err-dest-exists").arg("path", p.display()));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Moves staged members into DEST: a whole top-level tree by one rename
/// when DEST does not have it yet, member by member otherwise.
fn move_into_place(stage: &Path, dest: &Path, entries: &[Entry]) -> Result<()> {
    // A set: a vault may hold many top-level members.
    let mut moved_tops: HashSet<&str> = HashSet::new();
    for e in entries {
        let top = e.path.split('/').next().unwrap_or("");
        if moved_tops.contains(&top) {
            continue;
        }
        let to = join(dest, &e.path);
        let from = join(stage, &e.path);
        if e.path == top && fs::symlink_metadata(&to).is_err() {
            fs::rename(&from, &to).at(to.display())?;
            moved_tops.insert(top);
            continue;
        }
        match e.kind {
            EntryKind::Dir => {
                if fs::symlink_metadata(&to).is_err() {
                    fs::create_dir(&to).at(to.display())?;
                }
            }
            _ => {
                if let Ok(m) = fs::symlink_metadata(&to) {
                    if !m.is_dir() {
                        fs::remove_file(&to).at(to.display())?;
                    }
                }
                fs::rename(&from, &to).at(to.display())?;
            }
        }
    }
    Ok(())
}

pub(super) fn extract_staged(req: &OpenRequest, dest: &Path, force: bool, progress: &dyn Fn(u64)) -> Result<Opened> {
    let stage = tempfile::Builder::new()
        .prefix(".kura-stage-")
        .tempdir_in(dest)
        .at(dest.display())?;
    // Nobody else may look at the plaintext while it is being staged.
    set_mode(stage.path(), 0o700)?;
    crate::interrupt::register(stage.path());
    let result = (|| {
        let mut sink = StageSink {
            root: stage.path().to_path_buf(),
            dirs: vec![],
            links: vec![],
            writer: StageWriter::start(Modes::current())?,
        };
        let opened = open_into(req, &mut sink, progress)?;
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
        // Once files start moving into DEST, the move completes.
        let _critical = crate::interrupt::Critical::enter()?;
        check_conflicts(dest, &opened.manifest.entries, force)?;
        move_into_place(stage.path(), dest, &opened.manifest.entries)?;
        // Directory modes and times last, deepest first.
        for e in opened
            .manifest
            .entries
            .iter()
            .rev()
            .filter(|e| e.kind == EntryKind::Dir)
        {
            let p = join(dest, &e.path);
            set_mode(&p, e.mode | 0o700)?;
            let t = filetime::FileTime::from_unix_time(e.mtime, 0);
            filetime::set_file_mtime(&p, t).at(p.display())?;
            if e.mode & 0o700 != 0o700 {
                set_mode(&p, e.mode)?;
            }
        }
        crate::fsutil::fsync_dir(dest)?;
        Ok(opened)
    })();
    let stage_path = stage.path().to_path_buf();
    if stage.close().is_err() {
        let _ = make_writable_and_remove(&stage_path);
    }
    crate::interrupt::unregister(&stage_path);
    result
}

/// Removes a tree even where modes forbid it (a failed stage).
fn make_writable_and_remove(p: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in walk_dirs(p) {
            let _ = fs::set_permissions(&entry, fs::Permissions::from_mode(0o700));
        }
    }
    fs::remove_dir_all(p)
}

fn walk_dirs(p: &Path) -> Vec<PathBuf> {
    let mut out = vec![p.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if let Ok(rd) = fs::read_dir(&out[i]) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(e.path());
                }
            }
        }
        i += 1;
    }
    out
}
