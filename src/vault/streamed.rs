//! Streams read back: every open hashes a stream's parts as one whole on
//! the way ([`StreamTee`]) and checks it against the manifest, and
//! [`to_writer`] sends one file (a stream's parts one after the other) to
//! a writer, standard output for `extract --to-stdout`.

use std::collections::HashMap;
use std::io::{Read, Write};

use super::manifest::{EntryKind, Manifest};
use super::open::{hash_all, mismatch, open_read_into, read_full, trust_of, OpenRequest, Opened, Sink};
use super::stream::{part_path, split_part};
use super::Entry;
use crate::error::{Error, Kind, Result};

/// A stream's parts as read so far.
struct Whole {
    hasher: blake3::Hasher,
    size: u64,
    /// The number of the last part read, and whether each came in turn.
    last: u64,
    in_order: bool,
}

/// A sink in front of another that hashes the members named like parts
/// (`NAME.part000001`, …) together, per NAME, in the order read.
pub struct StreamTee<'s> {
    inner: &'s mut dyn Sink,
    parts: HashMap<String, Whole>,
}

impl<'s> StreamTee<'s> {
    pub fn new(inner: &'s mut dyn Sink) -> Self {
        StreamTee {
            inner,
            parts: HashMap::new(),
        }
    }

    /// Checks every stream the (verified) manifest lists (see
    /// [`Wholes::check`]).
    pub fn check(&self, manifest: &Manifest) -> Result<()> {
        check_wholes(&self.parts, manifest)
    }

    /// What was hashed, to check once the manifest is known.
    pub fn finish(self) -> Wholes {
        Wholes(self.parts)
    }
}

/// The streams' running hashes after the whole vault was read.
pub struct Wholes(HashMap<String, Whole>);

impl Wholes {
    /// Checks every stream the (verified) manifest lists: its parts came
    /// in turn, all of them, and together have its size and BLAKE3; a
    /// stream of one part is the member of its name, with the same size
    /// and BLAKE3.
    pub fn check(&self, manifest: &Manifest) -> Result<()> {
        check_wholes(&self.0, manifest)
    }
}

fn check_wholes(parts: &HashMap<String, Whole>, manifest: &Manifest) -> Result<()> {
    {
        for s in &manifest.streams {
            let ok = if s.parts == 1 {
                manifest
                    .entries
                    .iter()
                    .any(|e| e.path == s.path && e.size == s.size && e.blake3.as_deref() == Some(s.blake3.as_str()))
            } else {
                parts.get(&s.path).is_some_and(|w| {
                    w.in_order
                        && w.last == s.parts
                        && w.size == s.size
                        && w.hasher.finalize().to_hex().as_str() == s.blake3
                })
            };
            if !ok {
                return Err(mismatch(&s.path));
            }
        }
        Ok(())
    }
}

/// Reads a member through, feeding a stream's running hash.
struct Tee<'a> {
    inner: &'a mut dyn Read,
    whole: &'a mut Whole,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.whole.hasher.update(&buf[..n]);
        self.whole.size += n as u64;
        Ok(n)
    }
}

impl Sink for StreamTee<'_> {
    fn dir(&mut self, e: &Entry) -> Result<()> {
        self.inner.dir(e)
    }
    fn file(&mut self, e: &Entry, data: &mut dyn Read) -> Result<String> {
        let Some((stem, n)) = split_part(&e.path) else {
            return self.inner.file(e, data);
        };
        let whole = self.parts.entry(stem.to_string()).or_insert_with(|| Whole {
            hasher: blake3::Hasher::new(),
            size: 0,
            last: 0,
            in_order: true,
        });
        whole.in_order &= n == whole.last + 1;
        whole.last = n;
        self.inner.file(e, &mut Tee { inner: data, whole })
    }
    fn symlink(&mut self, e: &Entry) -> Result<()> {
        self.inner.symlink(e)
    }
    fn finish(&mut self) -> Result<()> {
        self.inner.finish()
    }
}

/// Sends the members that make up one file to a writer, hashing every
/// member (those of other files are hashed and dropped).
struct ToWriter<'w> {
    member: &'w str,
    out: &'w mut dyn Write,
    buf: Vec<u8>,
    written: u64,
    /// The members sent, in order.
    sent: Vec<String>,
}

impl ToWriter<'_> {
    /// The member itself, or the parts of a stream of that name in turn;
    /// never both: files of an export may merely be named like parts
    /// (`x` beside `x.part000001`), and only the manifest at the end tells
    /// which is which. After the member itself nothing more is sent; after
    /// part n, only part n + 1.
    fn wanted(&self, path: &str) -> bool {
        match self.sent.last() {
            None => path == self.member || split_part(path) == Some((self.member, 1)),
            Some(last) => split_part(last)
                .filter(|&(stem, _)| last != self.member && stem == self.member)
                .is_some_and(|(_, n)| split_part(path) == Some((self.member, n + 1))),
        }
    }
}

impl Sink for ToWriter<'_> {
    fn dir(&mut self, _: &Entry) -> Result<()> {
        Ok(())
    }
    fn file(&mut self, e: &Entry, data: &mut dyn Read) -> Result<String> {
        if self.buf.is_empty() {
            self.buf = vec![0; 256 << 10];
        }
        if !self.wanted(&e.path) {
            return Ok(hash_all(data, &mut self.buf)?.0);
        }
        self.sent.push(e.path.clone());
        let mut h = blake3::Hasher::new();
        loop {
            let n = read_full(data, &mut self.buf)?;
            h.update(&self.buf[..n]);
            self.out
                .write_all(&self.buf[..n])
                .map_err(|err| Error::io(err, crate::naming::STDOUT))?;
            self.written += n as u64;
            if n < self.buf.len() {
                break;
            }
        }
        Ok(h.finalize().to_hex().to_string())
    }
    fn symlink(&mut self, _: &Entry) -> Result<()> {
        Ok(())
    }
}

/// Sends one file of the vault to `out`: the member `member`, or the parts
/// of the stream of that name one after the other.
///
/// Two passes over the same open files. The first reads the whole
/// ciphertext and checks it against the receipt (size and BLAKE3), so that
/// what is sent is the vault as the packer sealed it before its first byte
/// goes out; `before_plaintext` then runs (the custody record of the
/// copy). The second decrypts, sends the file and checks every member, the
/// manifest's signature, the ciphertext again and the whole stream at the
/// end, where a failure (the file changed in place between the passes,
/// say) is an error after bytes were sent. Returns what was opened and the
/// bytes sent.
pub fn to_writer(
    req: &OpenRequest,
    member: &str,
    out: &mut dyn Write,
    progress: &dyn Fn(u64),
    before_plaintext: &mut dyn FnMut() -> Result<()>,
) -> Result<(Opened, u64)> {
    let trust = trust_of(req)?;
    let receipt_mismatch = |what: &str| Error::new(Kind::Integrity, "err-receipt-mismatch").arg("what", what);
    // Both passes read the same open files: a vault put in this one's place
    // after the first is not what the second reads.
    let (mut pinned, size) = super::volumes::pin(req.vault)?;
    if size != req.receipt.ciphertext.size {
        return Err(receipt_mismatch("size"));
    }
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match pinned.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(crate::error::io_or_inner(e, req.vault.display())),
        };
        h.update(&buf[..n]);
    }
    if h.finalize().to_hex().as_str() != req.receipt.ciphertext.blake3 {
        return Err(receipt_mismatch("ciphertext BLAKE3"));
    }
    pinned.rewind().map_err(|e| Error::io(e, req.vault.display()))?;
    before_plaintext()?;
    let mut sink = ToWriter {
        member,
        out,
        buf: Vec::new(),
        written: 0,
        sent: Vec::new(),
    };
    let opened = open_read_into(req, trust, pinned, size, &mut sink, progress)?;
    sink.out.flush().map_err(|err| Error::io(err, crate::naming::STDOUT))?;
    let (sent, written) = (sink.sent, sink.written);
    let m = &opened.manifest;
    let expected: Vec<String> = match m.streams.iter().find(|s| s.path == member) {
        Some(s) => (1..=s.parts).map(|n| part_path(member, n, s.parts == 1)).collect(),
        None if m.entries.iter().any(|e| e.path == member && e.kind == EntryKind::File) => vec![member.to_string()],
        None => {
            return Err(Error::new(Kind::Usage, "err-member-not-found").arg("member", member.escape_debug()));
        }
    };
    if sent != expected {
        return Err(mismatch(member));
    }
    Ok((opened, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::open::NullSink;
    use crate::vault::stream::Stream;

    fn file(path: &str, data: &[u8]) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::File,
            size: data.len() as u64,
            mode: 0o600,
            mtime: 0,
            blake3: Some(blake3::hash(data).to_hex().to_string()),
            target: None,
        }
    }

    /// Reads `members` through a tee, then checks `streams` against them.
    fn check(members: &[(&str, &[u8])], streams: Vec<Stream>) -> Result<()> {
        let mut null = NullSink::default();
        let mut tee = StreamTee::new(&mut null);
        let mut entries = vec![];
        for (path, data) in members {
            let e = file(path, data);
            tee.file(&e, &mut &data[..])?;
            entries.push(e);
        }
        let manifest = Manifest {
            format: "kura-manifest".into(),
            version: 1,
            vault_id: "x".into(),
            created: "2026-11-27T10:00:00+09:00".into(),
            packer: crate::keys::SigningKey::generate("t").unwrap().info().clone(),
            approval: crate::vault::Approval {
                id: "A".into(),
                approved_by: "b".into(),
                purpose: "p".into(),
                delete_by: "2099-12-31".into(),
                document_blake3: None,
                signed: None,
            },
            approval_document: None,
            recipients: vec![],
            entries,
            file_count: 0,
            total_size: 0,
            streams,
        };
        tee.check(&manifest)
    }

    fn stream(path: &str, whole: &[u8], parts: u64) -> Stream {
        Stream {
            path: path.into(),
            size: whole.len() as u64,
            blake3: blake3::hash(whole).to_hex().to_string(),
            parts,
        }
    }

    #[test]
    fn a_stream_is_its_parts_in_order_all_of_them() {
        let (p1, p2) = (&b"first part "[..], &b"second"[..]);
        let whole = [p1, p2].concat();
        let parts = [("db.part000001", p1), ("db.part000002", p2)];
        check(&parts, vec![stream("db", &whole, 2)]).unwrap();
        let refused = |members: &[(&str, &[u8])], s: Stream| check(members, vec![s]).unwrap_err().id;
        // Another whole, a part missing, the parts swapped, a part too many.
        assert_eq!(refused(&parts, stream("db", b"other", 2)), "err-manifest-mismatch");
        assert_eq!(refused(&parts[..1], stream("db", &whole, 2)), "err-manifest-mismatch");
        let swapped = [("db.part000002", p2), ("db.part000001", p1)];
        assert_eq!(
            refused(&swapped, stream("db", &[p2, p1].concat(), 2)),
            "err-manifest-mismatch"
        );
        assert_eq!(refused(&parts, stream("db", p1, 1)), "err-manifest-mismatch");
        // One part: the member of the stream's own name.
        check(&[("notes", b"dummy")], vec![stream("notes", b"dummy", 1)]).unwrap();
        assert_eq!(
            refused(&[("notes", b"dummy")], stream("notes", b"dumm", 1)),
            "err-manifest-mismatch"
        );
        // Files named like parts, with no stream in the manifest: ordinary files.
        check(&parts, vec![]).unwrap();
    }
}
