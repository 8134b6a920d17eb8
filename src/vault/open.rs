//! The open pipeline, shared by `verify` and `extract`:
//!
//! 1. take the receipt the caller read from a verified custody log (the
//!    vault knows nothing of the log: see `custodian`);
//! 2. decrypt (age, on its own thread, hashing the ciphertext) → bounded
//!    queue → decompress (zstd) → read tar, hashing every member; members go
//!    to a [`Sink`]: nowhere for `verify`, a stage directory inside DEST for
//!    `extract` (written by a thread of its own, see `stage`);
//! 3. check the manifest's signature, that every member matches it, and that
//!    manifest and ciphertext match the receipt;
//! 4. only then (extract) move the staged members into DEST.
//!
//! Any failure removes the stage; nothing half-written is left. Recording
//! the operation is the caller's part (`custodian`).

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::bounds::{beyond, Shape};
use super::format::{
    APPROVAL_PREFIX, MANIFEST_PATH, MANIFEST_SIG_PATH, MANIFEST_SLACK, MAX_APPROVAL_BYTES, MAX_MANIFEST_BYTES,
    MAX_SIGNATURE_BYTES, MAX_TRAILING_ZEROS, RESERVED_DIR,
};
use super::manifest::{Entry, EntryKind, Manifest};
use super::paths::{check_member_path, link_stays_inside};
use super::pipe::{self, BlockReader, BlockWriter};
use super::receipt::Receipt;
use crate::error::{io_or_inner, Error, IoContext, Kind, Result};
use crate::keys::signature::{self, NS_MANIFEST};
use crate::keys::{AllowedSigners, Identities};

/// How the packer's signature was trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Listed in the allowed_signers file under this principal.
    Allowed(String),
    /// No trust list was given: only the key is known.
    Unchecked,
}

/// What a successful open established.
#[derive(Debug, Clone)]
pub struct Opened {
    pub manifest: Manifest,
    pub receipt: Receipt,
    pub trust: Trust,
}

/// Blocks of plaintext from the decrypt stage to the tar reader.
const PLAIN_BLOCK: usize = 256 << 10;
/// How many of them may wait (bounds memory).
const QUEUE: usize = 8;

/// Where decrypted members go.
pub trait Sink {
    fn dir(&mut self, e: &Entry) -> Result<()>;
    /// Consumes the member's data and returns its BLAKE3 (hex).
    fn file(&mut self, e: &Entry, data: &mut dyn Read) -> Result<String>;
    fn symlink(&mut self, e: &Entry) -> Result<()>;
    /// Called after the last member: completes whatever the sink still has
    /// under way and reports its first failure.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

fn damaged(detail: impl std::fmt::Display) -> Error {
    Error::new(Kind::Integrity, "err-vault-damaged").arg("detail", detail)
}

pub(super) fn mismatch(what: &str) -> Error {
    Error::new(Kind::Integrity, "err-manifest-mismatch").arg("what", what)
}

/// Reads `data` to the end through `buf`, hashing it; returns the BLAKE3
/// (hex) and the length.
pub(super) fn hash_all(data: &mut dyn Read, buf: &mut [u8]) -> Result<(String, u64)> {
    let mut h = blake3::Hasher::new();
    let mut n_total = 0u64;
    loop {
        let n = read_full(data, buf)?;
        h.update(&buf[..n]);
        n_total += n as u64;
        if n < buf.len() {
            break;
        }
    }
    Ok((h.finalize().to_hex().to_string(), n_total))
}

/// Fills `buf` from `data` as far as it goes; fewer bytes only at the end.
pub(super) fn read_full(data: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match data.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(stream_error(e)),
        }
    }
    Ok(n)
}

/// Errors from inside the decrypting/decompressing stream.
pub(super) fn stream_error(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|r| r.is::<Error>()) {
        return io_or_inner(e, "vault");
    }
    damaged(e)
}

/// Verify: members are hashed and dropped.
#[derive(Default)]
pub struct NullSink {
    buf: Vec<u8>,
}

impl Sink for NullSink {
    fn dir(&mut self, _: &Entry) -> Result<()> {
        Ok(())
    }
    fn file(&mut self, _: &Entry, data: &mut dyn Read) -> Result<String> {
        if self.buf.is_empty() {
            self.buf = vec![0; PLAIN_BLOCK];
        }
        Ok(hash_all(data, &mut self.buf)?.0)
    }
    fn symlink(&mut self, _: &Entry) -> Result<()> {
        Ok(())
    }
}

/// Ciphertext reader that counts and hashes what age reads.
struct Tap<R> {
    inner: R,
    state: Arc<Mutex<(blake3::Hasher, u64)>>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut s) = self.state.lock() {
            s.0.update(&buf[..n]);
            s.1 += n as u64;
        }
        Ok(n)
    }
}

/// A member's data that reports how much of it has been read (progress
/// within a large file).
struct Counted<'a, R> {
    inner: R,
    read: u64,
    report: &'a dyn Fn(u64),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.report)(self.read);
        Ok(n)
    }
}

/// Inputs to [`open_into`].
pub struct OpenRequest<'a> {
    pub vault: &'a Path,
    /// The signed receipt, from the first record of a verified custody log.
    pub receipt: &'a Receipt,
    pub identities: &'a Identities,
    pub signers: Option<&'a AllowedSigners>,
}

/// Decrypts and checks a vault, passing members to `sink`. Returns the
/// verified manifest; the caller decides what to do with the sink.
pub fn open_into(req: &OpenRequest, sink: &mut dyn Sink, progress: &dyn Fn(u64)) -> Result<Opened> {
    let trust = trust_of(req)?;
    // A single file or the volumes of a split vault, read as one stream.
    let (file, size) = super::volumes::open(req.vault)?;
    open_read_into(req, trust, file, size, sink, progress)
}

/// The receipt within bounds, and the packer trusted as `req.signers` asks.
pub(super) fn trust_of(req: &OpenRequest) -> Result<Trust> {
    super::bounds::check_receipt(req.receipt)?;
    Ok(match req.signers {
        Some(s) => Trust::Allowed(s.require(&req.receipt.packer, NS_MANIFEST, "vault")?),
        None => Trust::Unchecked,
    })
}

/// [`open_into`] on the vault's bytes as `file` gives them (`size` in all).
pub(super) fn open_read_into(
    req: &OpenRequest,
    trust: Trust,
    file: impl Read + Send,
    size: u64,
    sink: &mut dyn Sink,
    progress: &dyn Fn(u64),
) -> Result<Opened> {
    let receipt = req.receipt.clone();
    if size != receipt.ciphertext.size {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "size"));
    }
    let within = Within {
        files: receipt.file_count,
        data: receipt.total_size,
        manifest_head: MemberReader::head_for(&receipt),
    };
    let read = read_vault(file, req.identities, within, sink, progress)
        .map_err(|e| no_key_or_altered(e, req.vault, &receipt))?;
    if read.ct_len != receipt.ciphertext.size {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "size"));
    }
    if read.ct_hash != receipt.ciphertext.blake3 {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "ciphertext BLAKE3"));
    }
    let m = &read.members;
    let manifest = check_manifest(&m.manifest_bytes, &m.sig_text, &receipt, m.seen.len())?;
    check_members(&manifest, &read)?;
    Ok(Opened {
        manifest,
        receipt,
        trust,
    })
}

/// Reads a vault whose custody log (and so its receipt) is lost: decrypts
/// it, checks every member against the manifest and the manifest's
/// signature, and the packer against `signers`, and returns the receipt
/// rebuilt from what was checked (the ciphertext as read now, the manifest
/// as signed). Nothing says this ciphertext is the one that was packed
/// and handed over: that is what the lost receipt proved.
pub fn rebuild_receipt(
    vault: &Path,
    identities: &Identities,
    signers: &AllowedSigners,
    progress: &dyn Fn(u64),
) -> Result<(Opened, String)> {
    let (file, size) = super::volumes::open(vault)?;
    // What the format allows a vault of this size (the checks a receipt
    // would have passed, section 2.1 of docs/FORMAT.md).
    let within = Within {
        files: super::format::MAX_ENTRIES as u64,
        data: super::bounds::most_data(size),
        manifest_head: 4 * MANIFEST_SLACK,
    };
    let read = read_vault(file, identities, within, &mut NullSink::default(), progress)?;
    if read.ct_len != size {
        return Err(damaged("the vault changed while it was read"));
    }
    let m = &read.members;
    let manifest = parse_manifest(&m.manifest_bytes, &m.sig_text, m.seen.len())?;
    check_members(&manifest, &read)?;
    let principal = signers.require(&manifest.packer, NS_MANIFEST, "vault")?;
    let receipt = Receipt::of(
        &manifest,
        blake3::hash(&m.manifest_bytes).to_hex().to_string(),
        super::receipt::Ciphertext {
            size: read.ct_len,
            blake3: read.ct_hash.clone(),
        },
    );
    super::bounds::check_receipt(&receipt)?;
    let opened = Opened {
        manifest,
        receipt,
        trust: Trust::Allowed(principal.clone()),
    };
    Ok((opened, principal))
}

/// How much a vault being read may hold: its members, their data, and
/// the part of its manifest before the entries.
struct Within {
    files: u64,
    data: u64,
    manifest_head: u64,
}

/// A vault read through: its members, and its ciphertext's BLAKE3 and size.
struct ReadVault {
    members: Members,
    /// The hashes of streams packed in parts, checked with the members.
    streams: super::streamed::Wholes,
    ct_hash: String,
    ct_len: u64,
}

/// Decrypts the vault `file` and reads its members into `sink`, within
/// `within`, hashing the ciphertext as it goes.
fn read_vault(
    file: impl Read + Send,
    identities: &Identities,
    within: Within,
    sink: &mut dyn Sink,
    progress: &dyn Fn(u64),
) -> Result<ReadVault> {
    let state = Arc::new(Mutex::new((blake3::Hasher::new(), 0u64)));
    let tap = Tap {
        inner: file,
        state: state.clone(),
    };
    let armored = age::armor::ArmoredReader::new(BufReader::with_capacity(1 << 20, tap));
    let decryptor = age::Decryptor::new_buffered(armored).map_err(decrypt_error)?;
    let plain = decryptor.decrypt(identities.age_identities()).map_err(decrypt_error)?;
    // The decrypt stage runs on a thread of its own; decompressing and
    // reading the tar run here. The decrypt stage has read the whole
    // ciphertext (and hashed it) once the tar reader saw the clean end.
    let (plain_out, plain_in) = pipe::block_queue(QUEUE, PLAIN_BLOCK);
    // Streams packed in parts are hashed whole on the way (see `streamed`).
    let mut tee = super::streamed::StreamTee::new(sink);
    let members = std::thread::scope(|s| {
        s.spawn(move || decrypt_stage(plain, plain_out));
        read_members(plain_in, &within, &mut tee, progress)
    })?;
    let (ct_hash, ct_len) = {
        let s = state.lock().map_err(|_| Error::internal("hash state poisoned"))?;
        (s.0.finalize().to_hex().to_string(), s.1)
    };
    Ok(ReadVault {
        members,
        streams: tee.finish(),
        ct_hash,
        ct_len,
    })
}

/// Checks the members read against the verified manifest: every entry in
/// order, and the approval document.
fn check_members(manifest: &Manifest, r: &ReadVault) -> Result<()> {
    let m = &r.members;
    let seen = &m.seen;
    let first = seen
        .iter()
        .zip(&manifest.entries)
        .position(|(a, b)| *a != entry_digest(b))
        .or((seen.len() != manifest.entries.len()).then(|| seen.len().min(manifest.entries.len())));
    if let Some(first) = first {
        // Named by the manifest's entry there (none when the archive has
        // a member more than the manifest).
        let what = manifest.entries.get(first).map_or("entries", |e| e.path.as_str());
        return Err(mismatch(what));
    }
    r.streams.check(manifest)?;
    match (&manifest.approval_document, &m.approval_seen) {
        (None, None) => {}
        (Some(d), Some((p, size, h))) if &d.path == p && d.size == *size && &d.blake3 == h => {}
        _ => return Err(mismatch("approval document")),
    }
    // The approval names the document it was given by its BLAKE3 (shown by
    // `inspect` and copied into the certificate): it must be the document
    // packed, and there is none exactly when no document was packed.
    if manifest.approval.document_blake3.as_deref() != manifest.approval_document.as_ref().map(|d| d.blake3.as_str()) {
        return Err(mismatch("approval document"));
    }
    Ok(())
}

/// The decrypt stage: age's STREAM, read block by block into the queue.
/// A failure (a chunk that does not authenticate, a truncated vault) goes
/// down the queue and surfaces at the tar reader.
fn decrypt_stage(mut plain: impl Read, mut out: BlockWriter) {
    loop {
        if out.send_if_full().is_err() {
            return; // the tar reader stopped first; its error is reported
        }
        match plain.read(out.spare()) {
            Ok(0) => {
                let _ = out.finish();
                return;
            }
            Ok(n) => {
                out.filled(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return out.fail(e),
        }
    }
}

/// A member as read: the BLAKE3 of its manifest entry's JSON, compared with
/// the signed manifest's entries once that comes at the end. A digest
/// instead of the whole entry keeps memory small for vaults of many files.
type Seen = [u8; 32];

fn entry_digest(e: &Entry) -> [u8; 32] {
    *blake3::hash(&entry_json(e)).as_bytes()
}

fn entry_json(e: &Entry) -> Vec<u8> {
    serde_json::to_vec(e).unwrap_or_default()
}

/// What reading the tar collected.
struct Members {
    manifest_bytes: Vec<u8>,
    sig_text: String,
    seen: Vec<Seen>,
    approval_seen: Option<(String, u64, String)>,
}

/// zstd → tar → members to the sink; after the tar, nothing but zero
/// padding up to the end of the stream.
fn read_members(plain: BlockReader, within: &Within, sink: &mut dyn Sink, progress: &dyn Fn(u64)) -> Result<Members> {
    let decoder = zstd::stream::read::Decoder::with_buffer(plain).map_err(damaged)?;
    // Metered against the receipt: a hostile archive ends in an error, not
    // in an exhausted machine (see `bounds`).
    let (decoder, mut limits) = super::bounds::meter_within(decoder, within.files, within.data);
    let mut archive = tar::Archive::new(decoder);
    let mut seen: Vec<Seen> = Vec::new();
    let mut approval_seen: Option<(String, u64, String)> = None;
    let mut reader = MemberReader::with_head(within.manifest_head);
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(|e| limits.explain(stream_error(e)))?;
        limits.member(&entry)?;
        reader.member(&mut entry, sink, &mut seen, &mut approval_seen, progress)?;
    }
    let manifest_bytes = reader.manifest.ok_or_else(|| damaged("no manifest"))?;
    let sig_text = reader.signature.ok_or_else(|| damaged("no manifest signature"))?;
    let mut rest = archive.into_inner();
    let mut zeros = 0u64;
    let mut buf = [0u8; 8192];
    loop {
        let n = match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(stream_error(e)),
        };
        zeros += n as u64;
        if zeros > MAX_TRAILING_ZEROS || buf[..n].iter().any(|b| *b != 0) {
            return Err(damaged("data after the end of the archive"));
        }
    }
    sink.finish()?;
    Ok(Members {
        manifest_bytes,
        sig_text,
        seen,
        approval_seen,
    })
}

fn decrypt_error(e: age::DecryptError) -> Error {
    match e {
        age::DecryptError::NoMatchingKeys => Error::new(Kind::Decrypt, "err-no-matching-key"),
        other => damaged(other),
    }
}

/// "None of your keys opens it" is also what an altered recipient stanza
/// looks like: when the vault no longer matches its receipt, say so instead
/// of blaming the key.
fn no_key_or_altered(e: Error, vault: &Path, receipt: &Receipt) -> Error {
    if e.kind != Kind::Decrypt {
        return e;
    }
    match super::volumes::hash(vault) {
        Ok(h) if h != receipt.ciphertext.blake3 => {
            Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "ciphertext BLAKE3")
        }
        _ => e,
    }
}

/// The number of entries a manifest lists, counted without keeping them
/// (`None` if it does not parse).
fn count_entries(bytes: &[u8]) -> Option<usize> {
    use serde::de::{Deserialize, Deserializer, IgnoredAny, SeqAccess, Visitor};
    struct Count(usize);
    struct Counter;
    impl<'de> Visitor<'de> for Counter {
        type Value = Count;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Count, A::Error> {
            let mut n = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(Count(n))
        }
    }
    impl<'de> Deserialize<'de> for Count {
        fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Count, D::Error> {
            d.deserialize_seq(Counter)
        }
    }
    #[derive(serde::Deserialize)]
    struct Entries {
        entries: Count,
    }
    serde_json::from_slice::<Entries>(bytes).ok().map(|e| e.entries.0)
}

/// Parses the manifest, checks its signature and binds it to the receipt.
fn check_manifest(bytes: &[u8], sig: &str, receipt: &Receipt, members: usize) -> Result<Manifest> {
    let manifest = parse_manifest(bytes, sig, members)?;
    if manifest.packer != receipt.packer {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "packer"));
    }
    if blake3::hash(bytes).to_hex().as_str() != receipt.manifest_blake3 {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "manifest"));
    }
    if manifest.vault_id != receipt.vault_id
        || manifest.approval != receipt.approval
        || manifest.recipients != receipt.recipients
        || manifest.file_count != receipt.file_count
        || manifest.total_size != receipt.total_size
    {
        return Err(Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", "manifest"));
    }
    Ok(manifest)
}

/// Parses the manifest and checks its signature and totals. A manifest
/// listing more entries than the `members` read (and one more, to name
/// it) is refused before they are parsed: its entries never cost more
/// memory than the archive's own members.
fn parse_manifest(bytes: &[u8], sig: &str, members: usize) -> Result<Manifest> {
    if count_entries(bytes).is_some_and(|n| n > members + 1) {
        return Err(mismatch("entries"));
    }
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|_| damaged("manifest unreadable"))?;
    if manifest.format != "kura-manifest" {
        return Err(damaged("not a kura manifest"));
    }
    if manifest.version != super::format::FORMAT_VERSION {
        return Err(Error::new(Kind::Integrity, "err-format-version").arg("version", manifest.version));
    }
    signature::verify(&manifest.packer, NS_MANIFEST, bytes, sig, "manifest")?;
    let files = manifest.entries.iter().filter(|e| e.kind == EntryKind::File);
    if files.clone().count() as u64 != manifest.file_count || files.map(|e| e.size).sum::<u64>() != manifest.total_size
    {
        return Err(mismatch("totals"));
    }
    Ok(manifest)
}

/// Reads tar members one by one, enforcing the archive rules.
///
/// Each member costs work and memory that do not depend on how many came
/// before: paths are remembered by a fixed-size key in one table, together
/// with the folders they imply, and whether a member lies beneath a link
/// (or a file) is found by looking up its own ancestors, stopping at the
/// first folder already known.
struct MemberReader {
    manifest: Option<Vec<u8>>,
    signature: Option<String>,
    tree: HashMap<PathKey, Node>,
    shape: Shape,
    /// Compact JSON of the entries for the members read, in bytes (with a
    /// separator each): what the manifest's entries need.
    entries_json: u64,
    /// The manifest beside its entries: twice the receipt it must agree
    /// with, and some slack.
    manifest_head: u64,
    done: u64,
}

/// A path, by the first 16 bytes of its BLAKE3: two paths that differ
/// have different keys (nobody can find two with the same), and every key
/// has the same size whatever the path.
type PathKey = [u8; 16];

fn path_key(path: &str) -> PathKey {
    #[cfg(test)]
    tests::KEYS.with(|n| n.set(n.get() + 1));
    let mut k = [0u8; 16];
    k.copy_from_slice(&blake3::hash(path.as_bytes()).as_bytes()[..16]);
    k
}

/// What a path is in the archive read so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    File,
    Link,
    /// A folder member.
    Dir,
    /// A folder only implied by the paths of members beneath it.
    Implied,
}

fn unsafe_entry(path: &str, why: &str) -> Error {
    Error::new(Kind::Unsafe, "err-unsafe-path")
        .arg("path", path.escape_debug())
        .arg("why", why)
}

fn read_small(data: &mut dyn Read, max: u64) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    data.take(max + 1).read_to_end(&mut v).map_err(stream_error)?;
    if v.len() as u64 > max {
        return Err(damaged("kura member too large"));
    }
    Ok(v)
}

impl MemberReader {
    #[cfg(test)]
    fn new(receipt: &Receipt) -> MemberReader {
        MemberReader::with_head(MemberReader::head_for(receipt))
    }

    /// The most the manifest may hold besides its entries, for a vault
    /// described by `receipt`: twice the receipt, and some slack.
    fn head_for(receipt: &Receipt) -> u64 {
        let receipt_json = serde_json::to_vec(receipt).map_or(0, |v| v.len() as u64);
        MANIFEST_SLACK + 2 * receipt_json
    }

    fn with_head(manifest_head: u64) -> MemberReader {
        MemberReader {
            manifest: None,
            signature: None,
            tree: HashMap::new(),
            shape: Shape::default(),
            entries_json: 0,
            manifest_head,
            done: 0,
        }
    }

    /// Enters `path` in the tree: refused when it occurs already, or lies
    /// beneath a link or a file. Folders it implies are counted.
    fn place(&mut self, path: &str, kind: EntryKind, reserved: bool) -> Result<()> {
        let node = match kind {
            EntryKind::File => Node::File,
            EntryKind::Symlink => Node::Link,
            EntryKind::Dir => Node::Dir,
        };
        match self.tree.get(&path_key(path)) {
            None => {}
            // A folder member after members beneath it: its ancestors are
            // in place already.
            Some(Node::Implied) if node == Node::Dir => {
                self.tree.insert(path_key(path), Node::Dir);
                return Ok(());
            }
            Some(_) => return Err(unsafe_entry(path, "duplicate member")),
        }
        if node == Node::Dir && !reserved {
            self.shape.folder(path).map_err(|e| e.reading())?;
        }
        self.tree.insert(path_key(path), node);
        let mut end = path.len();
        while let Some(slash) = path[..end].rfind('/') {
            end = slash;
            let ancestor = path_key(&path[..end]);
            match self.tree.get(&ancestor) {
                // Known, and so are all its own ancestors.
                Some(Node::Dir | Node::Implied) => break,
                Some(Node::Link) => return Err(unsafe_entry(path, "beneath a link")),
                Some(Node::File) => return Err(unsafe_entry(path, "beneath a file")),
                None => {
                    if !reserved {
                        self.shape.folder(&path[..end]).map_err(|e| e.reading())?;
                    }
                    self.tree.insert(ancestor, Node::Implied);
                }
            }
        }
        Ok(())
    }

    fn member<R: Read>(
        &mut self,
        entry: &mut tar::Entry<R>,
        sink: &mut dyn Sink,
        seen: &mut Vec<Seen>,
        approval: &mut Option<(String, u64, String)>,
        progress: &dyn Fn(u64),
    ) -> Result<()> {
        if self.signature.is_some() {
            return Err(damaged("members after the manifest signature"));
        }
        let raw = entry.path_bytes().into_owned();
        let raw = String::from_utf8(raw).map_err(|_| unsafe_entry("?", "name is not UTF-8"))?;
        let path = check_member_path(&raw)?;
        let etype = entry.header().entry_type();
        let kind = match etype {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => return Err(unsafe_entry(&path, "hard link")),
            tar::EntryType::Char | tar::EntryType::Block => return Err(unsafe_entry(&path, "device file")),
            tar::EntryType::Fifo => return Err(unsafe_entry(&path, "FIFO")),
            _ => return Err(unsafe_entry(&path, "unsupported member type")),
        };
        let reserved = path.split('/').next() == Some(RESERVED_DIR);
        if !reserved {
            self.shape.member(&path).map_err(|e| e.reading())?;
        }
        self.place(&path, kind, reserved)?;
        if reserved {
            return self.reserved(&path, kind, entry, approval, seen);
        }
        if self.manifest.is_some() {
            return Err(damaged("members after the manifest"));
        }
        let size = entry.size();
        let mut mtime = entry.header().mtime().map_err(damaged)? as i64;
        if let Ok(Some(exts)) = entry.pax_extensions() {
            for ext in exts.flatten() {
                if ext.key() == Ok("mtime") {
                    if let Some(t) = ext
                        .value()
                        .ok()
                        .and_then(|v| v.split('.').next())
                        .and_then(|v| v.parse().ok())
                    {
                        mtime = t;
                    }
                }
            }
        }
        let mode = entry.header().mode().map_err(damaged)? & 0o7777;
        let mut e = Entry {
            path: path.clone(),
            kind,
            size: if kind == EntryKind::File { size } else { 0 },
            mode,
            mtime,
            blake3: None,
            target: None,
        };
        match kind {
            EntryKind::Dir => sink.dir(&e)?,
            EntryKind::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .ok_or_else(|| unsafe_entry(&path, "link without target"))?;
                let target = String::from_utf8(target).map_err(|_| unsafe_entry(&path, "link target is not UTF-8"))?;
                self.shape.target(&path, &target).map_err(|e| e.reading())?;
                if !link_stays_inside(&path, &target) {
                    return Err(unsafe_entry(&path, "link leaves the archive"));
                }
                e.target = Some(target);
                sink.symlink(&e)?;
            }
            EntryKind::File => {
                let base = self.done;
                let mut counted = Counted {
                    inner: entry,
                    read: 0,
                    report: &|n| progress(base + n),
                };
                let hash = sink.file(&e, &mut counted)?;
                e.blake3 = Some(hash);
                self.done += size;
                progress(self.done);
            }
        }
        let json = entry_json(&e);
        self.entries_json += json.len() as u64 + 1;
        seen.push(*blake3::hash(&json).as_bytes());
        Ok(())
    }

    fn reserved<R: Read>(
        &mut self,
        path: &str,
        kind: EntryKind,
        entry: &mut tar::Entry<R>,
        approval: &mut Option<(String, u64, String)>,
        seen: &[Seen],
    ) -> Result<()> {
        if kind != EntryKind::File {
            return Err(damaged("unexpected .kura member"));
        }
        if path == MANIFEST_PATH {
            if self.manifest.is_some() {
                return Err(damaged("two manifests"));
            }
            // No larger than the entries of the members read call for.
            let cap = MAX_MANIFEST_BYTES.min(self.manifest_head.saturating_add(4 * self.entries_json));
            if entry.size() > cap {
                return Err(beyond("manifest", crate::units::bytes(cap)));
            }
            self.manifest = Some(read_small(entry, cap)?);
        } else if path == MANIFEST_SIG_PATH {
            if self.manifest.is_none() {
                return Err(damaged("signature before manifest"));
            }
            if entry.size() > MAX_SIGNATURE_BYTES {
                return Err(damaged("kura member too large"));
            }
            let sig = read_small(entry, MAX_SIGNATURE_BYTES)?;
            self.signature = Some(String::from_utf8(sig).map_err(|_| damaged("signature unreadable"))?);
        } else if path.starts_with(APPROVAL_PREFIX) && !path[APPROVAL_PREFIX.len()..].contains('/') {
            if approval.is_some() || !seen.is_empty() || self.manifest.is_some() {
                return Err(damaged("misplaced approval document"));
            }
            if entry.size() > MAX_APPROVAL_BYTES {
                return Err(beyond("approval", crate::units::bytes(MAX_APPROVAL_BYTES)));
            }
            let (hash, n) = hash_all(entry, &mut [0; 8192])?;
            *approval = Some((path.to_string(), n, hash));
        } else {
            return Err(damaged("unexpected .kura member"));
        }
        Ok(())
    }
}

/// Verifies a vault without writing any plaintext.
pub fn verify(req: &OpenRequest, progress: &dyn Fn(u64)) -> Result<Opened> {
    open_into(req, &mut NullSink::default(), progress)
}

/// Decrypts, checks everything, and only then puts the members in `dest`,
/// which must be new or empty (created when missing, and removed again if
/// the extraction fails). `before_plaintext` runs once, before the first
/// member is written to disk (even to the stage).
pub fn extract(
    req: &OpenRequest,
    dest: &Path,
    progress: &dyn Fn(u64),
    before_plaintext: &mut dyn FnMut() -> Result<()>,
) -> Result<Opened> {
    let created_dest = !dest.exists();
    if created_dest {
        fs::create_dir_all(dest).at(dest.display())?;
        crate::interrupt::register_empty_dir(dest);
    }
    let result = super::stage::extract_staged(req, dest, progress, before_plaintext);
    if result.is_err() && created_dest {
        let _ = fs::remove_dir(dest);
    }
    crate::interrupt::unregister(dest);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Path keys computed on this thread: the work of placing members.
        pub(super) static KEYS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn receipt() -> Receipt {
        // A real key: a key's fingerprint must be its own (KeyInfo checks).
        let packer = crate::keys::SigningKey::generate("t@kura.test").unwrap().info().clone();
        serde_json::from_value(serde_json::json!({
            "format": "kura-receipt", "version": 1, "vault_id": "v", "created": "c",
            "packer": packer,
            "approval": {"id": "a", "approved_by": "b", "purpose": "p", "delete_by": "2099-01-01"},
            "recipients": [], "file_count": 0, "total_size": 0, "manifest_blake3": "m",
            "ciphertext": {"size": 100, "blake3": "h"}
        }))
        .unwrap()
    }

    fn why(r: Result<()>) -> String {
        let e = r.unwrap_err();
        e.args
            .iter()
            .find(|(k, _)| *k == "why")
            .map_or(e.id.to_string(), |a| a.1.clone())
    }

    #[test]
    fn placing_members_costs_the_same_whatever_came_before() {
        // 20,000 links, then 20,000 folders beside them: each member looks
        // up itself and its parent, never the links before it.
        let mut r = MemberReader::new(&receipt());
        KEYS.with(|n| n.set(0));
        r.place("export", EntryKind::Dir, false).unwrap();
        for i in 0..20_000 {
            r.place(&format!("export/l{i:05}"), EntryKind::Symlink, false).unwrap();
        }
        for i in 0..20_000 {
            r.place(&format!("export/d{i:05}"), EntryKind::Dir, false).unwrap();
        }
        let keys = KEYS.with(|n| n.get());
        assert!(keys <= 3 * 40_001, "{keys} keys for 40,001 members");
        // A new deep member costs one key per folder it brings.
        KEYS.with(|n| n.set(0));
        r.place("export/d00001/a/b/c/d/e.txt", EntryKind::File, false).unwrap();
        assert!(KEYS.with(|n| n.get()) <= 3 + 5);
    }

    #[test]
    fn members_beneath_links_or_files_and_duplicates_are_refused_in_any_order() {
        let mut r = MemberReader::new(&receipt());
        r.place("export/link", EntryKind::Symlink, false).unwrap();
        r.place("export/file", EntryKind::File, false).unwrap();
        assert_eq!(
            why(r.place("export/link/x/y", EntryKind::File, false)),
            "beneath a link"
        );
        assert_eq!(why(r.place("export/file/x", EntryKind::Dir, false)), "beneath a file");
        assert_eq!(why(r.place("export/file", EntryKind::File, false)), "duplicate member");
        // A link (or file) where earlier members put a folder.
        r.place("export/a/b/c.txt", EntryKind::File, false).unwrap();
        assert_eq!(
            why(r.place("export/a/b", EntryKind::Symlink, false)),
            "duplicate member"
        );
        assert_eq!(why(r.place("export/a", EntryKind::File, false)), "duplicate member");
        // The folder member itself, after its contents, is fine once.
        r.place("export/a", EntryKind::Dir, false).unwrap();
        assert_eq!(why(r.place("export/a", EntryKind::Dir, false)), "duplicate member");
    }

    #[test]
    fn folders_are_counted_named_or_implied_but_not_kuras_own() {
        let mut r = MemberReader::new(&receipt());
        r.place(".kura/approval/scan.pdf", EntryKind::File, true).unwrap();
        r.place("export/a/b/c.txt", EntryKind::File, false).unwrap(); // export, a, b
        r.place("export/a", EntryKind::Dir, false).unwrap(); // named after: not twice
        r.place("export/d", EntryKind::Dir, false).unwrap();
        assert_eq!(r.shape.folders(), 4);
    }

    #[test]
    fn a_manifests_entries_are_counted_without_keeping_them() {
        assert_eq!(
            count_entries(br#"{"format":"x","entries":[{"a":[1,2]},{},3]}"#),
            Some(3)
        );
        assert_eq!(count_entries(b" { \"entries\" : [ ] } "), Some(0));
        assert_eq!(count_entries(br#"{"entries":[1,2"#), None);
        assert_eq!(count_entries(br#"{"entries":[],"entries":[1]}"#), None);
    }
}
