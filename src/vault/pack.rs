//! The pack pipeline. Three stages run at once, joined by bounded queues of
//! reused blocks (see `pipe`), so memory stays flat whatever the input:
//!
//! 1. **read** (own thread): walk the inputs, read each file once straight
//!    into the outgoing block, hash it with BLAKE3 and frame it as tar
//!    (bundles of small files are framed by helper threads, see [`Framer`]),
//!    writing each member's manifest entry as it goes; at the end, write
//!    the signed manifest as the last members.
//! 2. **compress** (own thread): zstd, with its own worker threads taking
//!    jobs of [`ZSTD_JOB`] bytes.
//! 3. **seal** (calling thread): encrypt with age, hash the ciphertext and
//!    write it to a temporary file beside the output.
//!
//! The result is a [`Sealed`] vault: fsynced but not yet in place. The
//! caller (`custodian`) puts it in place together with its custody log; on
//! any error, or dropped uncommitted, the temporary file is removed. No
//! plaintext ever touches the disk.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::format::{self, APPROVAL_PREFIX, FORMAT_VERSION, MANIFEST_PATH, MANIFEST_SIG_PATH};
use super::manifest::{Approval, ApprovalDocument, Entry, EntryKind, Manifest, SignedApproval};
use super::pipe::{self, BlockReader, BlockWriter};
use super::receipt::{Ciphertext, Receipt};
use super::tally::Tally;
use super::tarfmt;
use super::walk::{self, Source};
use crate::error::{io_or_inner, Error, IoContext, Kind, Result};
use crate::guard::Probe;
use crate::keys::signature::NS_MANIFEST;
use crate::keys::{Recipients, SigningKey};
use ssh_key::sha2::{Digest, Sha512};

/// Blocks of tar from the read stage to the compress stage.
const TAR_BLOCK: usize = 256 << 10;
/// Blocks of zstd output from the compress stage to the seal stage.
const ZSTD_BLOCK: usize = 256 << 10;
/// How many blocks may wait in each queue (bounds memory).
const QUEUE: usize = 8;
/// Files up to this size are framed in bundles by helper threads (see
/// [`Framer`]); larger ones stream through the read stage.
const SMALL_FILE: u64 = 64 << 10;
/// A bundle holds at most this many small files, or this many bytes of them.
const BUNDLE_FILES: usize = 128;
const BUNDLE_BYTES: u64 = 512 << 10;
/// How many bundles may be out with the framing helpers at once (bounds
/// memory: about `BUNDLES_AHEAD × BUNDLE_BYTES`).
const BUNDLES_AHEAD: usize = 4;
/// Sources the walk may be ahead of the read stage by, in batches of
/// [`SOURCE_BATCH`].
const SOURCES_AHEAD: usize = 1024;
const SOURCE_BATCH: usize = 64;
/// At most this many framing helpers (see [`framing_helpers`]).
const MAX_HELPERS: usize = 4;

/// Bytes per zstd worker job. zstd's default for level 3 is 8 MiB, which
/// keeps about 64 MiB of job buffers in flight on two cores; 2 MiB jobs
/// cost under 0.1% of ratio and keep a quarter of that.
pub const ZSTD_JOB: u32 = 2 << 20;

/// The clinic's written approval as given on the command line.
#[derive(Debug, Clone)]
pub struct ApprovalInput {
    pub id: String,
    pub approved_by: String,
    pub purpose: String,
    pub delete_by: String,
    pub document: Option<PathBuf>,
    /// The clinic's signed approval the four fields above were taken from,
    /// carried byte for byte in the manifest and the receipt.
    pub signed: Option<SignedApproval>,
    /// What that approval allows the vault to hold.
    pub terms: Terms,
}

/// Limits a clinic's signed approval sets on a vault, checked by the pack
/// before the vault's first byte exists (from the listing of the inputs)
/// and again on what was actually packed (files may change in between):
/// a vault outside them is never placed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    /// The approval's id, for the refusal.
    pub id: String,
    /// The most regular files.
    pub max_files: Option<u64>,
    /// The most bytes of file data, before compression.
    pub max_size: Option<u64>,
    /// BLAKE3 of the scan the approval names: the approval document packed
    /// must be exactly it.
    pub document_blake3: Option<String>,
}

impl Terms {
    fn limited(&self) -> bool {
        self.max_files.is_some() || self.max_size.is_some()
    }

    /// Refuses a vault of `files` regular files holding `bytes` bytes that
    /// the approval does not allow.
    pub fn check_totals(&self, files: u64, bytes: u64) -> Result<()> {
        let over = |what: &str, limit: String, got: String| {
            Error::new(Kind::Refused, "err-approval-over-limit")
                .arg("id", &self.id)
                .arg("what", what)
                .arg("limit", limit)
                .arg("got", got)
        };
        if let Some(max) = self.max_files.filter(|m| files > *m) {
            return Err(over("files", max.to_string(), files.to_string()));
        }
        if let Some(max) = self.max_size.filter(|m| bytes > *m) {
            let size = crate::units::bytes;
            return Err(over("bytes", size(max), size(bytes)));
        }
        Ok(())
    }

    /// Refuses an approval document whose BLAKE3 is not the one the
    /// approval names (or one the approval does not name at all).
    pub fn check_document(&self, blake3: Option<&str>) -> Result<()> {
        if self.document_blake3.as_deref() == blake3 {
            return Ok(());
        }
        Err(Error::new(Kind::Refused, "err-approval-document-mismatch")
            .arg("id", &self.id)
            .arg("expected", self.document_blake3.as_deref().unwrap_or("-"))
            .arg("got", blake3.unwrap_or("-")))
    }
}

impl ApprovalInput {
    /// All four fields present, the date well-formed and not in the past.
    pub fn validate(&self, today: NaiveDate) -> Result<NaiveDate> {
        // Every missing field at once, so that the approval is completed in
        // one go, not one run at a time.
        let missing: Vec<&str> = [
            ("--approval-id", &self.id),
            ("--approved-by", &self.approved_by),
            ("--purpose", &self.purpose),
            ("--delete-by", &self.delete_by),
        ]
        .into_iter()
        .filter(|(_, v)| v.trim().is_empty())
        .map(|(flag, _)| flag)
        .collect();
        if !missing.is_empty() {
            return Err(Error::new(Kind::Refused, "err-approval-missing").arg("flag", missing.join(", ")));
        }
        let date = NaiveDate::parse_from_str(self.delete_by.trim(), "%Y-%m-%d")
            .map_err(|_| Error::new(Kind::Refused, "err-delete-by-format").arg("value", &self.delete_by))?;
        if date < today {
            return Err(Error::new(Kind::Refused, "err-delete-by-past")
                .arg("date", date)
                .arg("today", today));
        }
        Ok(date)
    }
}

#[derive(Debug, Clone)]
pub struct PackOptions {
    pub output: PathBuf,
    pub force: bool,
    pub armor: bool,
    /// zstd worker threads (0: as many as there are cores).
    pub threads: u32,
    pub level: i32,
    /// Write volumes of at most this many bytes (`--split`).
    pub split: Option<u64>,
}

impl PackOptions {
    pub fn new(output: PathBuf) -> Self {
        PackOptions {
            output,
            force: false,
            armor: false,
            threads: 0,
            level: format::ZSTD_LEVEL,
            split: None,
        }
    }
}

/// Inputs to [`pack`].
pub struct PackRequest<'a> {
    pub inputs: &'a [PathBuf],
    pub approval: &'a ApprovalInput,
    pub opts: &'a PackOptions,
    pub signer: &'a SigningKey,
    pub recipients: &'a Recipients,
    pub now: DateTime<FixedOffset>,
    /// Tells what the output's medium is (FAT, free space), which decides
    /// whether the inputs are listed and checked before anything is written
    /// (see `volumes::preflight`). Tests hand in a fake medium.
    pub probe: &'a dyn Probe,
}

/// A finished vault, written and fsynced but not yet in place: nothing is
/// at the output until [`Sealed::commit`], and dropped uncommitted it
/// leaves nothing behind.
pub struct Sealed {
    pub vault: PathBuf,
    /// What the custody log's first record will say of the vault (counts,
    /// approval, the manifest's and the ciphertext's hashes).
    pub receipt: Receipt,
    output: super::volumes::Output,
}

impl Sealed {
    /// Puts the vault (or its volumes) in place.
    pub fn commit(self) -> Result<()> {
        self.output.commit()
    }
}

/// Writer that hashes and counts what passes through.
pub struct HashingWriter<W> {
    inner: W,
    hasher: blake3::Hasher,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: blake3::Hasher::new(),
            count: 0,
        }
    }
    pub fn finish(self) -> (W, u64, String) {
        (self.inner, self.count, self.hasher.finalize().to_hex().to_string())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads exactly `size` bytes of `src` straight into the outgoing blocks,
/// hashing them on the way and telling `read_so_far` after each read
/// (progress within a large file). Fails if the file shrank.
fn copy_file(
    out: &mut BlockWriter,
    src: &mut File,
    size: u64,
    hasher: &mut blake3::Hasher,
    path: &Path,
    read_so_far: &dyn Fn(u64, u64),
) -> Result<()> {
    let mut left = size;
    while left > 0 {
        out.send_if_full().map_err(|e| io_or_inner(e, path.display()))?;
        let spare = out.spare();
        let want = spare.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match src.read(&mut spare[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, path.display())),
        };
        if n == 0 {
            return Err(Error::new(Kind::Refused, "err-file-changed").arg("path", path.display()));
        }
        hasher.update(out.filled(n));
        left -= n as u64;
        read_so_far(out.position(), size - left);
    }
    Ok(())
}

/// A bundle of consecutive small files, framed as tar (headers, data,
/// padding) with their entries hashed: what a helper hands back.
struct FramedBundle {
    tar: Vec<u8>,
    pieces: Vec<Piece>,
}

/// One member of a bundle, in order.
enum Piece {
    /// Framed into the bundle's tar, which it ends at this offset.
    Framed(Entry, usize),
    /// Left for the read stage to stream: larger than a small file once
    /// opened (the walk did not know its size), or past the bundle's budget.
    Stream(Source),
}

/// Opens an input file for reading, relative to its folder where the walk
/// holds that open. On Unix without blocking: a file swapped for a FIFO
/// after the walk must be refused, not waited on.
fn open_input(src: &Source) -> Result<(File, std::fs::Metadata)> {
    let disk = &src.disk;
    #[cfg(unix)]
    let f = match &src.in_folder {
        Some(at) => {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
            rustix::fs::openat(&at.folder.0, at.name.as_os_str(), flags, Mode::empty())
                .map(File::from)
                .map_err(io::Error::from)
        }
        None => {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(disk)
        }
    };
    #[cfg(not(unix))]
    let f = File::open(disk);
    let f = f.at(disk.display())?;
    let meta = f.metadata().at(disk.display())?;
    if !meta.is_file() {
        return Err(Error::new(Kind::Refused, "err-special-file").arg("path", disk.display()));
    }
    Ok((f, meta))
}

/// Frames one small file into `tar`: the same checks as the streaming path
/// (a regular file, exactly as long as when it was listed). A file whose
/// size the walk left for now and that turns out large, or any file once
/// `tar` holds [`BUNDLE_BYTES`], is handed back for streaming instead.
fn frame_small(tar: &mut Vec<u8>, src: Source) -> Result<Piece> {
    if tar.len() as u64 >= BUNDLE_BYTES {
        return Ok(Piece::Stream(src));
    }
    let (mut f, meta) = open_input(&src)?;
    let (disk, mut entry) = (src.disk, src.entry);
    if src.stat_later {
        walk::complete(&mut entry, &meta);
        if entry.size > SMALL_FILE {
            // The read stage opens it again (and sees any change).
            return Ok(Piece::Stream(Source {
                disk,
                entry,
                stat_later: true,
                in_folder: src.in_folder,
            }));
        }
    }
    tarfmt::write_header(tar, &entry).at(disk.display())?;
    let start = tar.len();
    tar.resize(start + entry.size as usize, 0);
    let mut n = 0;
    while start + n < tar.len() {
        match f.read(&mut tar[start + n..]) {
            Ok(0) => return Err(Error::new(Kind::Refused, "err-file-changed").arg("path", disk.display())),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, disk.display())),
        }
    }
    entry.blake3 = Some(blake3::hash(&tar[start..]).to_hex().to_string());
    tar.resize(tar.len() + tarfmt::padding(entry.size), 0);
    Ok(Piece::Framed(entry, tar.len()))
}

/// Many small files cost more in opens, reads, closes and hashing than in
/// bytes, and one thread doing them in turn holds up the whole pipeline.
/// Helper threads frame bundles of consecutive small files, the bundles
/// going round the helpers in turn, and hand each bundle back whole; the
/// read stage takes them back in the same turn, so the archive keeps
/// exactly the listing's order. At most [`BUNDLES_AHEAD`] bundles are out
/// at once.
///
/// A bundle's tar goes on to the compress stage as a block of its own, not
/// copied, and its buffer comes back to be filled again ([`Framer::recycle`]),
/// so neither side touches fresh memory for every bundle.
struct Framer {
    helpers: Vec<Helper>,
    /// Bundles go round the helpers in turn, and come back in the same turn.
    next_out: std::cell::Cell<usize>,
    next_back: std::cell::Cell<usize>,
    next_spare: std::cell::Cell<usize>,
}

struct Helper {
    jobs: std::sync::mpsc::SyncSender<Vec<Source>>,
    done: std::sync::mpsc::Receiver<Result<FramedBundle>>,
    spare: std::sync::mpsc::Sender<Vec<u8>>,
}

impl Framer {
    fn start<'s>(scope: &'s std::thread::Scope<'s, '_>, count: usize) -> Framer {
        let helpers = (0..count)
            .map(|_| {
                let (jobs, job_rx) = std::sync::mpsc::sync_channel::<Vec<Source>>(BUNDLES_AHEAD);
                let (done_tx, done) = std::sync::mpsc::sync_channel(BUNDLES_AHEAD);
                let (spare, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
                scope.spawn(move || {
                    for bundle in job_rx {
                        let mut tar = match spare_rx.try_recv() {
                            Ok(mut v) => {
                                v.clear();
                                v
                            }
                            Err(_) => Vec::with_capacity(
                                (BUNDLE_BYTES + SMALL_FILE) as usize + BUNDLE_FILES * 2 * tarfmt::BLOCK,
                            ),
                        };
                        let framed: Result<Vec<Piece>> =
                            bundle.into_iter().map(|src| frame_small(&mut tar, src)).collect();
                        let failed = framed.is_err();
                        // Stop when the read stage is gone or this bundle failed.
                        if done_tx.send(framed.map(|pieces| FramedBundle { tar, pieces })).is_err() || failed {
                            return;
                        }
                    }
                });
                Helper { jobs, done, spare }
            })
            .collect();
        Framer {
            helpers,
            next_out: 0.into(),
            next_back: 0.into(),
            next_spare: 0.into(),
        }
    }

    fn turn(&self, c: &std::cell::Cell<usize>) -> &Helper {
        let i = c.get();
        c.set((i + 1) % self.helpers.len());
        &self.helpers[i]
    }

    /// Gives a bundle's buffer back to be filled again.
    fn recycle(&self, buf: Vec<u8>) {
        let _ = self.turn(&self.next_spare).spare.send(buf);
    }

    fn hand_out(&self, bundle: Vec<Source>) -> Result<()> {
        self.turn(&self.next_out)
            .jobs
            .send(bundle)
            .map_err(|_| Error::internal("small-file framing stopped"))
    }

    fn take_back(&self) -> Result<FramedBundle> {
        self.turn(&self.next_back)
            .done
            .recv()
            .map_err(|_| Error::internal("small-file framing stopped"))?
    }
}

/// The manifest, written as the members are: its head, then each entry as
/// compact JSON as soon as the member is in the archive, hashed for the
/// signature on the way (see [`Manifest::json_parts`]). A pack of many
/// files holds the entries as JSON (about 150 bytes a member), never as
/// structures, and has nothing left to serialise or hash after the last
/// file but the two counts.
struct EntriesJson {
    head: Vec<u8>,
    /// The entries' JSON, comma-separated.
    json: Vec<u8>,
    /// SHA-512 of the head and the entries so far (SSHSIG signs it).
    sha512: Sha512,
    /// Regular files, and the sum of their sizes.
    files: u64,
    bytes: u64,
}

impl EntriesJson {
    fn new(head: Vec<u8>) -> Self {
        EntriesJson {
            sha512: Sha512::new_with_prefix(&head),
            head,
            json: Vec::new(),
            files: 0,
            bytes: 0,
        }
    }

    fn push(&mut self, e: &Entry) {
        let start = self.json.len();
        if start > 0 {
            self.json.push(b',');
        }
        serde_json::to_writer(&mut self.json, e).expect("an entry serializes");
        self.sha512.update(&self.json[start..]);
        if e.kind == EntryKind::File {
            self.files += 1;
            self.bytes += e.size;
        }
    }
}

/// What the read stage writes next, in archive order.
enum Item {
    /// A source written by the read stage itself.
    One(Source),
    /// The next bundle back from the framing helpers.
    Bundle,
}

/// Where the sources come from: listed before packing, or walked while
/// packing (see [`pack`]).
enum Feed {
    Listed(Vec<Source>),
    Walk(Vec<PathBuf>),
}

/// The source feeder: on a thread of its own, takes the sources in listing
/// order (walking the inputs, or from the list made before packing) and
/// hands them to the read stage. Sources travel in batches (a hand-over
/// per source, with the walk mostly waiting for room, cost a wake-up
/// each), at most [`SOURCES_AHEAD`] of them ahead (each may hold its folder
/// open: see `walk::InFolder`).
fn feed_sources<'s>(scope: &'s std::thread::Scope<'s, '_>, feed: Feed) -> Sources {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<Source>>>(SOURCES_AHEAD / SOURCE_BATCH);
    scope.spawn(move || {
        let mut batch = Vec::with_capacity(SOURCE_BATCH);
        let mut add = |s: Source| -> Result<()> {
            batch.push(s);
            if batch.len() == SOURCE_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(SOURCE_BATCH));
                tx.send(Ok(full)).map_err(|_| Error::internal("read stage stopped"))?;
            }
            Ok(())
        };
        let walked = match feed {
            Feed::Listed(sources) => sources.into_iter().try_for_each(&mut add),
            Feed::Walk(inputs) => walk::each(&inputs, walk::Stat::WhenOpened, &mut add),
        };
        let _ = tx.send(walked.map(|()| batch));
    });
    Sources {
        batches: rx.into_iter(),
        batch: Vec::new().into_iter(),
    }
}

/// The sources from the feeder, one at a time, in listing order; a failed
/// walk ends them with its error.
struct Sources {
    batches: std::sync::mpsc::IntoIter<Result<Vec<Source>>>,
    batch: std::vec::IntoIter<Source>,
}

impl Iterator for Sources {
    type Item = Result<Source>;

    fn next(&mut self) -> Option<Result<Source>> {
        loop {
            if let Some(s) = self.batch.next() {
                return Some(Ok(s));
            }
            match self.batches.next()? {
                Ok(b) => self.batch = b.into_iter(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Puts the sources into the archive in listing order. Consecutive small
/// files are gathered into bundles for the framing helpers (see
/// [`Framer`]); any other source waits until the bundles before it are
/// back, and is then written by the read stage itself.
struct Sequencer<'r> {
    stage: &'r ReadStage<'r>,
    framer: Framer,
    /// What is to be written, in archive order.
    pending: std::collections::VecDeque<Item>,
    /// The bundle being gathered, and the bytes of its files so far.
    bundle: Vec<Source>,
    bundle_bytes: u64,
    /// Bundles out with the helpers.
    bundles_out: usize,
    entries: EntriesJson,
    /// Bytes of file data written so far (for progress).
    done: u64,
}

impl<'r> Sequencer<'r> {
    fn new(stage: &'r ReadStage<'r>, framer: Framer, entries: EntriesJson, done: u64) -> Self {
        Sequencer {
            stage,
            framer,
            pending: std::collections::VecDeque::new(),
            bundle: Vec::new(),
            bundle_bytes: 0,
            bundles_out: 0,
            entries,
            done,
        }
    }

    /// Takes the next source in listing order, and writes what is ready.
    fn add(&mut self, src: Source, out: &mut BlockWriter) -> Result<()> {
        // A file the walk did not stat may be small: the helper finds out,
        // and hands a large one back for streaming.
        let small = src.entry.kind == EntryKind::File && (src.stat_later || src.entry.size <= SMALL_FILE);
        // A bundle ends when it is full, at a source that is not a small
        // file, and at the end.
        if small {
            self.bundle_bytes += src.entry.size;
            self.bundle.push(src);
            if self.bundle.len() >= BUNDLE_FILES || self.bundle_bytes >= BUNDLE_BYTES {
                self.hand_out()?;
            }
        } else {
            self.hand_out()?;
            self.pending.push_back(Item::One(src));
        }
        self.write_ready(out)
    }

    /// Writes everything still to be written, once the last source is in;
    /// returns the manifest's entries.
    fn finish(mut self, out: &mut BlockWriter) -> Result<EntriesJson> {
        self.hand_out()?;
        while !self.pending.is_empty() {
            self.write_front(out)?;
        }
        Ok(self.entries)
    }

    /// Hands the bundle gathered so far, if any, to the framing helpers.
    fn hand_out(&mut self) -> Result<()> {
        if self.bundle.is_empty() {
            return Ok(());
        }
        self.framer.hand_out(std::mem::take(&mut self.bundle))?;
        self.pending.push_back(Item::Bundle);
        self.bundle_bytes = 0;
        self.bundles_out += 1;
        Ok(())
    }

    /// Writes in order: a single source as soon as the bundles before it
    /// are back, bundles once too many are out.
    fn write_ready(&mut self, out: &mut BlockWriter) -> Result<()> {
        while self.pending.iter().any(|i| matches!(i, Item::One(_)))
            || (self.bundles_out >= BUNDLES_AHEAD && !self.pending.is_empty())
        {
            self.write_front(out)?;
        }
        Ok(())
    }

    /// Writes the front of the queue: at once for a single source, after
    /// waiting for its helper for a bundle.
    fn write_front(&mut self, out: &mut BlockWriter) -> Result<()> {
        match self.pending.pop_front() {
            Some(Item::Bundle) => self.write_bundle(out)?,
            Some(Item::One(src)) if src.entry.kind == EntryKind::File => {
                let entry = self.stage.put_file(out, src, &mut self.done)?;
                self.entries.push(&entry);
            }
            Some(Item::One(src)) => {
                out.write_all(&tarfmt::header_bytes(&src.entry).at(src.disk.display())?)
                    .map_err(|e| io_or_inner(e, src.disk.display()))?;
                self.entries.push(&src.entry);
            }
            None => {}
        }
        Ok(())
    }

    /// Writes the next bundle back from the helpers, with any file it left
    /// for streaming in its place.
    fn write_bundle(&mut self, out: &mut BlockWriter) -> Result<()> {
        let b = self.framer.take_back()?;
        self.bundles_out -= 1;
        // The bundle's tar up to `framed` is accounted for, and up to
        // `written` already sent, in front of the files streamed between
        // its pieces.
        let (mut framed, mut written, mut streamed) = (0, 0, false);
        for piece in b.pieces {
            match piece {
                Piece::Framed(e, end) => {
                    framed = end;
                    self.done += e.size;
                    self.entries.push(&e);
                }
                Piece::Stream(src) => {
                    out.write_all(&b.tar[written..framed])
                        .map_err(|e| io_or_inner(e, "tar"))?;
                    written = framed;
                    streamed = true;
                    let entry = self.stage.put_file(out, src, &mut self.done)?;
                    self.entries.push(&entry);
                }
            }
        }
        if streamed {
            out.write_all(&b.tar[written..]).map_err(|e| io_or_inner(e, "tar"))?;
            self.framer.recycle(b.tar);
        } else {
            // The common case: the bundle's tar goes on whole.
            out.send_owned(b.tar).map_err(|e| io_or_inner(e, "tar"))?;
        }
        while let Some(buf) = out.returned() {
            self.framer.recycle(buf);
        }
        self.stage.tally.read(out.position(), self.done);
        Ok(())
    }
}

/// Everything the read stage needs to know.
struct ReadStage<'a> {
    feed: Option<Feed>,
    approval_doc: Option<(PathBuf, String)>,
    /// A signed approval's terms, checked again on what is packed.
    terms: Option<&'a Terms>,
    manifest: Manifest,
    signer: &'a SigningKey,
    /// Where in the tar stream the file data read so far ends.
    tally: &'a Tally<'a>,
}

impl ReadStage<'_> {
    /// The read stage: writes the whole tar stream (the approval document,
    /// the inputs, the signed manifest) to `out`; returns the finished
    /// manifest (without its entries, which only the archive holds) and
    /// the BLAKE3 of its bytes.
    fn write_tar(mut self, mut out: BlockWriter) -> Result<(Manifest, String)> {
        let mut done = 0u64;
        if let Some((disk, member)) = self.approval_doc.take() {
            self.put_approval_document(&mut out, disk, member, &mut done)?;
        }
        let feed = self
            .feed
            .take()
            .ok_or_else(|| Error::internal("read stage without inputs"))?;
        let (head, _) = self.manifest.json_parts();
        let entries = std::thread::scope(|scope| -> Result<EntriesJson> {
            let sources = feed_sources(scope, feed);
            let framer = Framer::start(scope, framing_helpers());
            let mut sequencer = Sequencer::new(&self, framer, EntriesJson::new(head), done);
            for src in sources {
                sequencer.add(src?, &mut out)?;
            }
            sequencer.finish(&mut out)
        })?;
        let manifest_blake3 = self.write_manifest(entries, &mut out)?;
        tarfmt::write_end(&mut out).map_err(|e| io_or_inner(e, "tar"))?;
        out.finish().map_err(|e| io_or_inner(e, "tar"))?;
        Ok((self.manifest, manifest_blake3))
    }

    /// Writes the approval document as the first member, and records its
    /// size and hash in the manifest.
    fn put_approval_document(
        &mut self,
        out: &mut BlockWriter,
        disk: PathBuf,
        member: String,
        done: &mut u64,
    ) -> Result<()> {
        // Size, mode and time come from the open file, as for any file the
        // walk did not stat.
        let src = Source {
            disk,
            entry: Entry::file_to_stat(member.clone()),
            stat_later: true,
            in_folder: None,
        };
        let entry = self.put_file(out, src, done)?;
        let hash = entry.blake3.unwrap_or_default();
        if let Some(terms) = self.terms {
            terms.check_document(Some(&hash))?;
        }
        self.manifest.approval.document_blake3 = Some(hash.clone());
        self.manifest.approval_document = Some(ApprovalDocument {
            path: member,
            size: entry.size,
            blake3: hash,
        });
        Ok(())
    }

    /// Completes the manifest with the counts, signs it and writes it and
    /// its signature as the last two members; returns the BLAKE3 of the
    /// manifest's bytes.
    fn write_manifest(&mut self, entries: EntriesJson, out: &mut BlockWriter) -> Result<String> {
        self.manifest.file_count = entries.files;
        self.manifest.total_size = entries.bytes;
        if let Some(terms) = self.terms {
            terms.check_totals(entries.files, entries.bytes)?;
        }
        let (head, tail) = self.manifest.json_parts();
        if head != entries.head {
            return Err(Error::internal("the manifest's head changed while packing"));
        }
        let digest: [u8; 64] = entries.sha512.chain_update(&tail).finalize().into();
        let sig = self.signer.sign_digest(NS_MANIFEST, &digest)?;
        let json = [head.as_slice(), &entries.json, &tail];
        let mut manifest_blake3 = blake3::Hasher::new();
        for part in json {
            manifest_blake3.update(part);
        }
        let mtime = chrono::DateTime::parse_from_rfc3339(&self.manifest.created)
            .map(|t| t.timestamp())
            .unwrap_or(0);
        for (path, parts) in [(MANIFEST_PATH, &json[..]), (MANIFEST_SIG_PATH, &[sig.as_bytes()])] {
            let e = Entry {
                path: path.to_string(),
                kind: EntryKind::File,
                size: parts.iter().map(|p| p.len() as u64).sum(),
                mode: 0o644,
                mtime,
                blake3: None,
                target: None,
            };
            let w = |out: &mut BlockWriter| -> io::Result<()> {
                out.write_all(&tarfmt::header_bytes(&e)?)?;
                for part in parts {
                    out.write_all(part)?;
                }
                tarfmt::write_padding(out, e.size)
            };
            w(out).map_err(|e| io_or_inner(e, path))?;
        }
        Ok(manifest_blake3.finalize().to_hex().to_string())
    }

    /// Writes one regular file: header, data (hashed on the way), padding.
    fn put_file(&self, out: &mut BlockWriter, src: Source, done: &mut u64) -> Result<Entry> {
        let (mut f, meta) = open_input(&src)?;
        let (disk, mut entry) = (src.disk.as_path(), src.entry);
        if src.stat_later {
            walk::complete(&mut entry, &meta);
        }
        if meta.len() < entry.size {
            return Err(Error::new(Kind::Refused, "err-file-changed").arg("path", disk.display()));
        }
        out.write_all(&tarfmt::header_bytes(&entry).at(disk.display())?)
            .map_err(|e| io_or_inner(e, disk.display()))?;
        let mut hasher = blake3::Hasher::new();
        let base = *done;
        copy_file(out, &mut f, entry.size, &mut hasher, disk, &|at, n| {
            self.tally.read(at, base + n)
        })?;
        tarfmt::write_padding(out, entry.size).map_err(|e| io_or_inner(e, disk.display()))?;
        *done += entry.size;
        self.tally.read(out.position(), *done);
        entry.blake3 = Some(hasher.finalize().to_hex().to_string());
        Ok(entry)
    }
}

/// Framing helpers: one per core, at most [`MAX_HELPERS`]. Opening,
/// reading and closing many small files is mostly the kernel's work, and it
/// spreads over cores like any other.
fn framing_helpers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, MAX_HELPERS))
}

/// zstd worker threads for `requested` (0: one per core).
fn zstd_threads(requested: u32) -> u32 {
    if requested == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1)
    } else {
        requested
    }
}

/// The compress stage: one zstd frame (with checksum) over the tar blocks,
/// compressed by zstd's worker threads in jobs of [`ZSTD_JOB`] bytes,
/// straight into the outgoing blocks. After each step it tells `tally`
/// how far into the tar stream zstd has compressed (progress).
fn compress(mut tar: BlockReader, mut out: BlockWriter, opts: &PackOptions, tally: &Tally) -> io::Result<()> {
    use zstd::zstd_safe::zstd_sys::ZSTD_EndDirective;
    use zstd::zstd_safe::{get_error_name, CCtx, CParameter, InBuffer, OutBuffer};
    let zstd_err = |code: usize| io::Error::other(format!("zstd: {}", get_error_name(code)));
    let mut z = CCtx::try_create().ok_or_else(|| io::Error::other("zstd: out of memory"))?;
    z.set_parameter(CParameter::CompressionLevel(opts.level))
        .map_err(zstd_err)?;
    let threads = zstd_threads(opts.threads);
    if threads > 1 {
        z.set_parameter(CParameter::NbWorkers(threads)).map_err(zstd_err)?;
        z.set_parameter(CParameter::JobSize(ZSTD_JOB)).map_err(zstd_err)?;
    }
    z.set_parameter(CParameter::ChecksumFlag(true)).map_err(zstd_err)?;
    loop {
        let block = tar.fill_buf()?;
        let (n, end) = (block.len(), block.is_empty());
        let mut input = InBuffer::around(block);
        // Until zstd has taken the whole block (or, at the end, has
        // written the whole frame).
        loop {
            out.send_if_full()?;
            let mut output = OutBuffer::around(out.spare());
            let left = if end {
                z.end_stream(&mut output)
            } else {
                z.compress_stream2(&mut output, &mut input, ZSTD_EndDirective::ZSTD_e_continue)
            }
            .map_err(zstd_err)?;
            let produced = output.pos();
            out.filled(produced);
            tally.compressed(z.get_frame_progression().consumed);
            if (end && left == 0) || (!end && input.pos() == n) {
                break;
            }
        }
        if end {
            break;
        }
        tar.consume(n);
    }
    out.finish()
}

/// The seal stage: age → hash → file. Returns ciphertext size and hash.
fn seal(
    mut zst: BlockReader,
    file: &mut dyn Write,
    recipients: &Recipients,
    opts: &PackOptions,
) -> Result<(u64, String)> {
    let path = opts.output.display().to_string();
    let io = |e: io::Error| io_or_inner(e, &path);
    let hashed = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
    let format = if opts.armor {
        age::armor::Format::AsciiArmor
    } else {
        age::armor::Format::Binary
    };
    let armored = age::armor::ArmoredWriter::wrap_output(hashed, format).map_err(io)?;
    let encryptor = age::Encryptor::with_recipients(recipients.age_recipients())
        .map_err(|e| Error::new(Kind::Usage, "err-recipient-invalid").arg("origin", e))?;
    let mut sealed = encryptor.wrap_output(armored).map_err(io)?;
    loop {
        let block = zst.fill_buf().map_err(io)?;
        if block.is_empty() {
            break;
        }
        let n = block.len();
        sealed.write_all(block).map_err(io)?;
        zst.consume(n);
    }
    let armored = sealed.finish().map_err(io)?;
    let hashed = armored.finish().map_err(io)?;
    let (mut buf, size, hash) = hashed.finish();
    buf.flush().map_err(io)?;
    Ok((size, hash))
}

/// The inputs for the read stage, and the checks on them that come before
/// anything is written. They are listed first when the medium's limits
/// could matter (FAT, split volumes, little free space) or a signed
/// approval limits the vault, so those refusals come first; otherwise kura
/// starts packing while it walks. The scan a signed approval names is
/// checked here too.
fn feed_checked(req: &PackRequest) -> Result<Feed> {
    let PackRequest {
        inputs,
        approval,
        opts,
        probe,
        ..
    } = *req;
    let feed = if !approval.terms.limited() && super::volumes::walk_while_packing(probe, &opts.output, opts.split) {
        Feed::Walk(inputs.to_vec())
    } else {
        let sources = walk::collect(inputs)?;
        let files = sources.iter().filter(|s| s.entry.kind == EntryKind::File);
        let (count, bytes) = files.fold((0u64, 0u64), |(n, b), s| (n + 1, b.saturating_add(s.entry.size)));
        approval.terms.check_totals(count, bytes)?;
        super::volumes::preflight(probe, &opts.output, opts.split, &sources, approval.document.as_deref())?;
        Feed::Listed(sources)
    };
    if approval.signed.is_some() {
        let hash = match &approval.document {
            Some(p) => Some(hash_document(p)?),
            None => None,
        };
        approval.terms.check_document(hash.as_deref())?;
    }
    Ok(feed)
}

/// BLAKE3 of an approval document (a scan, at most
/// [`format::MAX_APPROVAL_BYTES`]) before it is packed.
fn hash_document(path: &Path) -> Result<String> {
    let bytes = crate::fsutil::read_bounded(path, format::MAX_APPROVAL_BYTES)?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

/// Packs the inputs into `opts.output` for the recipients, signed by the
/// signer; the vault is sealed but not yet in place (see [`Sealed`]).
pub fn pack(req: &PackRequest, progress: &(dyn Fn(u64) + Sync)) -> Result<Sealed> {
    let PackRequest {
        inputs,
        approval,
        opts,
        signer,
        recipients,
        now,
        ..
    } = *req;
    approval.validate(now.date_naive())?;
    if recipients.is_empty() {
        return Err(Error::new(Kind::Usage, "err-no-recipients"));
    }
    if inputs.is_empty() {
        return Err(Error::new(Kind::Usage, "err-no-inputs"));
    }
    super::volumes::check_vault_clobber(&opts.output, opts.force)?;

    let feed = feed_checked(req)?;
    let approval_doc = match &approval.document {
        Some(p) => {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(|| Error::new(Kind::Refused, "err-name-not-utf8").arg("path", p.display()))?;
            let member = super::paths::check_member_path(&format!("{APPROVAL_PREFIX}{name}"))?;
            Some((p.clone(), member))
        }
        None => None,
    };
    let manifest = Manifest {
        format: "kura-manifest".into(),
        version: FORMAT_VERSION,
        vault_id: uuid::Uuid::new_v4().to_string(),
        created: crate::clock::rfc3339(&now),
        packer: signer.info().clone(),
        approval: Approval {
            id: approval.id.trim().to_string(),
            approved_by: approval.approved_by.trim().to_string(),
            purpose: approval.purpose.trim().to_string(),
            delete_by: approval.delete_by.trim().to_string(),
            document_blake3: None,
            signed: approval.signed.clone(),
        },
        approval_document: None,
        recipients: recipients.infos(),
        file_count: 0,
        total_size: 0,
        entries: vec![],
    };

    let mut out = super::volumes::Output::create(&opts.output, opts.split, opts.force)?;
    let tally = Tally::new(progress);
    let stage = ReadStage {
        feed: Some(feed),
        approval_doc,
        terms: approval.signed.as_ref().map(|_| &approval.terms),
        manifest,
        signer,
        tally: &tally,
    };
    let (tar_out, tar_in) = pipe::block_queue(QUEUE, TAR_BLOCK);
    let (zst_out, zst_in) = pipe::block_queue(QUEUE, ZSTD_BLOCK);
    let (read_result, compress_result, seal_result) = std::thread::scope(|s| {
        let reader = s.spawn(move || stage.write_tar(tar_out));
        let compressor = s.spawn(|| compress(tar_in, zst_out, opts, &tally));
        let sealed = seal(zst_in, &mut out, recipients, opts);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(Error::internal("read stage panicked")));
        let compressed = compressor
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("compress stage panicked")));
        (read, compressed, sealed)
    });
    // When one stage fails the others stop too; report the cause (a read
    // failure, or a full disk at the seal stage), not the echo.
    let compress_result = compress_result.map_err(|e| io_or_inner(e, "zstd"));
    let ((manifest, manifest_blake3), (ct_size, ct_hash)) = match (read_result, compress_result, seal_result) {
        (Ok(m), Ok(()), Ok(c)) => (m, c),
        (r, c, s) => {
            let errors: Vec<Error> = [r.err(), c.err(), s.err()].into_iter().flatten().collect();
            let cause = errors.iter().position(|e| !is_stage_stopped(e)).unwrap_or(0);
            return Err(errors
                .into_iter()
                .nth(cause)
                .unwrap_or_else(|| Error::internal("pack failed")));
        }
    };
    let receipt = Receipt {
        format: "kura-receipt".into(),
        version: FORMAT_VERSION,
        vault_id: manifest.vault_id.clone(),
        created: manifest.created.clone(),
        packer: manifest.packer.clone(),
        approval: manifest.approval.clone(),
        recipients: manifest.recipients.clone(),
        file_count: manifest.file_count,
        total_size: manifest.total_size,
        manifest_blake3,
        ciphertext: Ciphertext {
            size: ct_size,
            blake3: ct_hash,
        },
    };
    Ok(Sealed {
        vault: opts.output.clone(),
        receipt,
        output: out,
    })
}

/// Whether `e` only says that another stage of the pipeline stopped.
fn is_stage_stopped(e: &Error) -> bool {
    e.kind == Kind::Io && e.args.iter().any(|(_, v)| v.contains(pipe::STAGE_STOPPED))
}

/// BLAKE3 of a whole file, streamed.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).at(path.display())?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).at(path.display())?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files of sizes around the limits: empty, small, exactly
    /// [`SMALL_FILE`], one byte more, large, and bundles of medium files
    /// that go past a bundle's byte budget.
    fn export(root: &Path) {
        for i in 0..600u64 {
            let dir = root.join(format!("d{:02}", i / 150));
            std::fs::create_dir_all(&dir).unwrap();
            let size = match i % 9 {
                0 => 0,
                1 => SMALL_FILE,
                2 => SMALL_FILE + 1,
                3 => 300 << 10,
                4..=6 => 40 << 10,
                _ => (i * 37 % 3000) as usize as u64,
            };
            let data: Vec<u8> = (0..size).map(|b| (b * 31 + i) as u8).collect();
            let p = dir.join(format!("f{i:04}.bin"));
            std::fs::write(&p, &data).unwrap();
            filetime::set_file_mtime(&p, filetime::FileTime::from_unix_time(1_700_000_000 + i as i64, 0)).unwrap();
        }
    }

    /// The tar stream the read stage writes for `feed`.
    fn tar_of(feed: Feed, key: &SigningKey) -> Vec<u8> {
        try_tar_of(feed, key).unwrap()
    }

    fn try_tar_of(feed: Feed, key: &SigningKey) -> Result<Vec<u8>> {
        try_tar_under(feed, key, None)
    }

    /// The tar stream the read stage writes for `feed` under a signed
    /// approval's `terms`.
    fn try_tar_under(feed: Feed, key: &SigningKey, terms: Option<&Terms>) -> Result<Vec<u8>> {
        let manifest = Manifest {
            format: "kura-manifest".into(),
            version: FORMAT_VERSION,
            vault_id: "00000000-0000-4000-8000-000000000000".into(),
            created: "2026-11-27T10:00:00+09:00".into(),
            packer: key.info().clone(),
            approval: Approval {
                id: "T-1".into(),
                approved_by: "dummy".into(),
                purpose: "test".into(),
                delete_by: "2099-12-31".into(),
                document_blake3: None,
                signed: None,
            },
            approval_document: None,
            recipients: vec![],
            file_count: 0,
            total_size: 0,
            entries: vec![],
        };
        let stage = ReadStage {
            feed: Some(feed),
            approval_doc: None,
            terms,
            manifest,
            signer: key,
            tally: &Tally::new(&|_| {}),
        };
        let (w, mut r) = pipe::block_queue(QUEUE, TAR_BLOCK);
        std::thread::scope(|s| {
            let h = s.spawn(move || stage.write_tar(w));
            let mut tar = Vec::new();
            let read = r.read_to_end(&mut tar);
            drop(r);
            h.join().unwrap()?;
            read.unwrap();
            Ok(tar)
        })
    }

    #[test]
    fn what_is_packed_is_held_to_the_approval_even_when_not_listed_first() {
        // Walked while packing (or changed since the listing): the totals
        // are checked once more before the manifest is signed.
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("export");
        std::fs::create_dir_all(&src).unwrap();
        for i in 0..3 {
            std::fs::write(src.join(format!("f{i}.txt")), vec![b'x'; 1000]).unwrap();
        }
        let key = SigningKey::generate("t").unwrap();
        let mut terms = Terms {
            id: "APP-1".into(),
            max_files: Some(3),
            max_size: Some(3000),
            document_blake3: None,
        };
        let walk = || Feed::Walk(vec![src.clone()]);
        assert!(try_tar_under(walk(), &key, Some(&terms)).is_ok());
        terms.max_size = Some(2999);
        let err = try_tar_under(walk(), &key, Some(&terms)).unwrap_err();
        assert_eq!((err.id, err.kind), ("err-approval-over-limit", Kind::Refused));
        terms.max_size = None;
        terms.max_files = Some(2);
        assert_eq!(
            try_tar_under(walk(), &key, Some(&terms)).unwrap_err().id,
            "err-approval-over-limit"
        );
    }

    #[test]
    fn progress_is_file_data_compressed_only_forward_up_to_the_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("export");
        std::fs::create_dir_all(&src).unwrap();
        for i in 0..40u64 {
            let size = [0, 100, 5000, 70 << 10, 300 << 10][i as usize % 5];
            let data: Vec<u8> = (0..size).map(|b| (b * 31 + i * 7) as u8).collect();
            std::fs::write(src.join(format!("f{i:02}.bin")), data).unwrap();
        }
        let key = SigningKey::generate("test").unwrap();
        let mut recipients = Recipients::default();
        recipients.add(&key.public_line(), "-r").unwrap();
        let approval = ApprovalInput {
            id: "T-1".into(),
            approved_by: "dummy".into(),
            purpose: "test".into(),
            delete_by: "2099-12-31".into(),
            document: None,
            signed: None,
            terms: Terms::default(),
        };
        let mut opts = PackOptions::new(tmp.path().join("x.kura"));
        // A high level: zstd holds the most input in its jobs there.
        opts.level = 19;
        let req = PackRequest {
            inputs: &[src],
            approval: &approval,
            opts: &opts,
            signer: &key,
            recipients: &recipients,
            now: DateTime::parse_from_rfc3339("2026-11-27T10:00:00+09:00").unwrap(),
            probe: &crate::guard::Unknown,
        };
        let heard = std::sync::Mutex::new(Vec::new());
        let sealed = pack(&req, &|n| heard.lock().unwrap().push(n)).unwrap();
        let heard = heard.into_inner().unwrap();
        assert!(heard.windows(2).all(|w| w[0] < w[1]), "only forward: {heard:?}");
        assert_eq!(heard.last(), Some(&sealed.receipt.total_size));
    }

    #[cfg(unix)]
    #[test]
    fn a_failure_late_in_the_walk_stops_every_helper_and_is_reported() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("export");
        export(&src);
        // A name kura refuses, walked after hundreds of files have gone
        // out to the framing helpers.
        let bad = src.join("d03").join(std::ffi::OsStr::from_bytes(b"\xff.bin"));
        std::fs::write(bad, b"dummy").unwrap();
        let key = SigningKey::generate("test").unwrap();
        let err = try_tar_of(Feed::Walk(vec![src]), &key).unwrap_err();
        assert_eq!(err.kind, Kind::Refused, "{err:?}");
    }

    #[test]
    fn walking_while_packing_writes_the_same_archive_as_listing_first() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("export");
        export(&src);
        let key = SigningKey::generate("test").unwrap();
        let walked = tar_of(Feed::Walk(vec![src.clone()]), &key);
        let listed = tar_of(Feed::Listed(walk::collect(std::slice::from_ref(&src)).unwrap()), &key);
        assert!(walked == listed, "the two feeds wrote different archives");
        // And that archive holds every file, in order, intact.
        let mut files = 0;
        let mut last = String::new();
        for e in tar::Archive::new(walked.as_slice()).entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".bin") {
                continue;
            }
            assert!(name > last, "{name} after {last}");
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            let disk = std::fs::read(tmp.path().join(&name)).unwrap();
            assert!(data == disk, "{name} differs");
            assert_eq!(
                e.header().mtime().unwrap(),
                std::fs::metadata(tmp.path().join(&name))
                    .map(|m| walk::mtime_of(&m))
                    .unwrap() as u64
            );
            files += 1;
            last = name;
        }
        assert_eq!(files, 600);
    }
}
