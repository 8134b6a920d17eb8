//! Bounds on what opening a vault may cost, so that a hostile vault ends in
//! a clear error and never in an exhausted machine.
//!
//! The signed receipt (outside the encryption) declares how many files and
//! bytes the vault holds. Before decrypting, a receipt whose data would be
//! out of all proportion to its ciphertext (a decompression bomb) is
//! refused. While reading, the decompressed stream is metered: every member
//! may bring its declared data and a little slack for the next header, and
//! no more, so an oversized tar header extension (which the tar reader
//! would hold in memory) or a stream running past the end of the archive
//! stops at once; regular files may not exceed the receipt's count and
//! total; folders and links carry no data; and the tar headers of all
//! members together may not exceed what their names call for.
//!
//! The export's shape is bounded too ([`Shape`]): members, folders, the
//! depth of a path, the bytes of all names (docs/FORMAT.md, section 2.1).
//! Reading refuses a vault beyond them as soon as a member crosses one;
//! packing refuses such an export before writing anything.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::format::{
    HEADER_BYTES_BASE, HEADER_BYTES_PER_MEMBER, MAX_DEPTH, MAX_ENTRIES, MAX_FOLDERS, MAX_NAME_BYTES, MAX_PATH_BYTES,
    MAX_TRAILING_ZEROS, RESERVED_DIR,
};
use super::receipt::Receipt;
use crate::error::{Error, Kind, Result};

/// The largest ratio of declared data to ciphertext accepted beyond
/// [`RATIO_GRACE`]. Real exports stay far below (text compresses about
/// ten-fold); only long runs of zeros come near.
pub const MAX_RATIO: u64 = 2000;
/// Data accepted whatever the ratio.
pub const RATIO_GRACE: u64 = 4 << 30;
/// Room after each member for the next header(s): tar and pax headers,
/// the end-of-archive blocks and the trailing zero padding.
pub const SLACK: u64 = MAX_TRAILING_ZEROS + (64 << 10);

fn oversize(what: &str) -> Error {
    Error::new(Kind::Integrity, "err-vault-oversize").arg("what", what)
}

/// A limit of docs/FORMAT.md, section 2.1, that an export or a vault
/// goes beyond: `what` names it (`members`, `folders`, `depth`, `names`,
/// `target`, `headers`, `manifest`, `approval`), `max` is its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exceeded {
    pub what: &'static str,
    pub max: String,
    /// The member that crossed it, when one did.
    pub path: Option<String>,
}

impl Exceeded {
    fn new(what: &'static str, max: impl std::fmt::Display) -> Exceeded {
        Exceeded {
            what,
            max: max.to_string(),
            path: None,
        }
    }

    fn at(mut self, path: &str) -> Exceeded {
        self.path = Some(path.escape_debug().to_string());
        self
    }

    /// The refusal of a vault being opened.
    pub fn reading(self) -> Error {
        Error::new(Kind::Integrity, "err-vault-limit")
            .arg("what", self.what)
            .arg("max", self.max)
            .arg("path", self.path.unwrap_or_default())
    }

    /// The refusal of an export being packed.
    pub fn packing(self) -> Error {
        Error::new(Kind::Refused, "err-export-limit")
            .arg("what", self.what)
            .arg("max", self.max)
            .arg("path", self.path.unwrap_or_default())
    }
}

/// Limit errors of reading, for the checks of `open`.
pub(super) fn beyond(what: &'static str, max: impl std::fmt::Display) -> Error {
    Exceeded::new(what, max).reading()
}

/// The shape of an export, counted member by member against the limits
/// (the count of members itself is the caller's: see [`Limits`] and the
/// pack walk).
#[derive(Debug, Default)]
pub struct Shape {
    folders: usize,
    names: u64,
}

impl Shape {
    /// Accounts for an export member's path (at most `MAX_PATH_BYTES`
    /// already).
    pub fn member(&mut self, path: &str) -> Result<(), Exceeded> {
        if path.split('/').count() > MAX_DEPTH {
            return Err(Exceeded::new("depth", MAX_DEPTH).at(path));
        }
        self.name(path, path.len())
    }

    /// Accounts for the target of the link `path`.
    pub fn target(&mut self, path: &str, target: &str) -> Result<(), Exceeded> {
        if target.len() > MAX_PATH_BYTES {
            return Err(Exceeded::new("target", MAX_PATH_BYTES).at(path));
        }
        self.name(path, target.len())
    }

    fn name(&mut self, path: &str, len: usize) -> Result<(), Exceeded> {
        self.names += len as u64;
        if self.names > MAX_NAME_BYTES {
            return Err(Exceeded::new("names", crate::units::bytes(MAX_NAME_BYTES)).at(path));
        }
        Ok(())
    }

    /// Accounts for a member being packed (whose folders are all members).
    pub fn export(&mut self, e: &super::manifest::Entry) -> Result<(), Exceeded> {
        self.member(&e.path)?;
        match (&e.kind, &e.target) {
            (super::manifest::EntryKind::Dir, _) => self.folder(&e.path),
            (_, Some(t)) => self.target(&e.path, t),
            _ => Ok(()),
        }
    }

    /// Folders counted so far.
    pub fn folders(&self) -> usize {
        self.folders
    }

    /// Accounts for one more folder, at `path`.
    pub fn folder(&mut self, path: &str) -> Result<(), Exceeded> {
        self.folders += 1;
        if self.folders > MAX_FOLDERS {
            return Err(Exceeded::new("folders", MAX_FOLDERS).at(path));
        }
        Ok(())
    }
}

/// Refuses a receipt that declares a decompression bomb or more members
/// than kura handles, before anything is decrypted.
pub fn check_receipt(r: &Receipt) -> Result<()> {
    if r.total_size > most_data(r.ciphertext.size) {
        return Err(Error::new(Kind::Integrity, "err-vault-bomb")
            .arg("size", crate::units::bytes(r.total_size))
            .arg("csize", crate::units::bytes(r.ciphertext.size)));
    }
    if r.file_count > MAX_ENTRIES as u64 {
        return Err(oversize("files"));
    }
    Ok(())
}

/// The most file data a vault of `ciphertext` bytes may declare: more is
/// a decompression bomb.
pub fn most_data(ciphertext: u64) -> u64 {
    ciphertext.saturating_mul(MAX_RATIO).saturating_add(RATIO_GRACE)
}

#[derive(Debug, Default)]
struct Meter {
    read: AtomicU64,
    limit: AtomicU64,
    tripped: AtomicBool,
}

/// The decompressed stream, metered.
pub struct Metered<R> {
    inner: R,
    meter: Arc<Meter>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.meter.read.load(Relaxed);
        let limit = self.meter.limit.load(Relaxed);
        if read >= limit && !buf.is_empty() {
            // One byte past the allowance shows whether more is coming.
            let mut probe = [0u8; 1];
            let n = self.inner.read(&mut probe)?;
            if n == 0 {
                return Ok(0);
            }
            self.meter.tripped.store(true, Relaxed);
            return Err(crate::error::into_io(oversize("archive")));
        }
        let room = (limit - read).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.meter.read.fetch_add(n as u64, Relaxed);
        Ok(n)
    }
}

/// Counts members against the receipt and sets the stream's allowance.
pub struct Limits {
    meter: Arc<Meter>,
    members: u64,
    files: u64,
    data: u64,
    max_files: u64,
    max_data: u64,
    /// Member data (padded to whole blocks) of the members before: every
    /// other byte read is tar headers.
    member_data: u64,
    /// The tar header bytes allowed so far.
    headers: u64,
}

/// Wraps the decompressed stream of a vault described by `receipt`.
pub fn meter<R: Read>(inner: R, receipt: &Receipt) -> (Metered<R>, Limits) {
    meter_within(inner, receipt.file_count, receipt.total_size)
}

/// Wraps the decompressed stream of a vault of at most `max_files` files
/// holding `max_data` bytes of file data.
pub fn meter_within<R: Read>(inner: R, max_files: u64, max_data: u64) -> (Metered<R>, Limits) {
    let meter = Arc::new(Meter::default());
    meter.limit.store(SLACK, Relaxed);
    (
        Metered {
            inner,
            meter: meter.clone(),
        },
        Limits {
            meter,
            members: 0,
            files: 0,
            data: 0,
            max_files,
            max_data,
            member_data: 0,
            headers: HEADER_BYTES_BASE,
        },
    )
}

impl Limits {
    /// Accounts for a member as the tar reader hands it over: its data may
    /// follow, then the next header.
    pub fn member<R: Read>(&mut self, entry: &tar::Entry<R>) -> Result<()> {
        self.members += 1;
        if self.members > MAX_ENTRIES as u64 {
            return Err(beyond("members", MAX_ENTRIES));
        }
        // Its headers have been read: together with those before, at most
        // what the names call for. A run of oversized pax headers (each
        // within the slack) ends here, not after reading a terabyte.
        let at = self.meter.read.load(Relaxed);
        let path = entry.path_bytes();
        let names = path.len() + entry.link_name_bytes().map_or(0, |l| l.len());
        self.headers = self
            .headers
            .saturating_add(HEADER_BYTES_PER_MEMBER)
            .saturating_add(2 * names as u64);
        if at.saturating_sub(self.member_data) > self.headers {
            return Err(beyond("headers", crate::units::bytes(HEADER_BYTES_PER_MEMBER)));
        }
        let size = entry.size();
        let reserved = path.starts_with(format!("{RESERVED_DIR}/").as_bytes());
        let kind = entry.header().entry_type();
        let regular = matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous);
        if regular && !reserved {
            self.files += 1;
            self.data = self.data.saturating_add(size);
            if self.files > self.max_files {
                return Err(oversize("files"));
            }
            if self.data > self.max_data {
                return Err(oversize("bytes"));
            }
        } else if !regular && size > 0 && matches!(kind, tar::EntryType::Directory | tar::EntryType::Symlink) {
            // Data no receipt declares, which the tar reader would skip
            // by reading it all.
            return Err(oversize("bytes"));
        }
        let padded = size.saturating_add(511) / 512 * 512;
        self.member_data = self.member_data.saturating_add(padded);
        self.meter
            .limit
            .store(at.saturating_add(padded).saturating_add(SLACK), Relaxed);
        Ok(())
    }

    /// The error to report for a failure of the stream: the bound that was
    /// hit, if one was.
    pub fn explain(&self, e: Error) -> Error {
        if self.meter.tripped.load(Relaxed) {
            oversize("archive")
        } else {
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_stops_at_the_allowance() {
        let data = vec![7u8; (SLACK + 10) as usize];
        let r: Receipt = serde_json::from_value(serde_json::json!({
            "format": "kura-receipt", "version": 1, "vault_id": "v", "created": "c",
            "packer": crate::keys::KeyInfo::of(
                ssh_key::PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519)
                    .unwrap()
                    .public_key()
            ),
            "approval": {"id": "a", "approved_by": "b", "purpose": "p", "delete_by": "2099-01-01"},
            "recipients": [], "file_count": 1, "total_size": 5, "manifest_blake3": "m",
            "ciphertext": {"size": 100, "blake3": "h"}
        }))
        .unwrap();
        let (mut m, limits) = meter(&data[..], &r);
        let mut out = Vec::new();
        let e = m.read_to_end(&mut out).unwrap_err();
        assert_eq!(out.len() as u64, SLACK);
        assert!(e.to_string().contains("declares") || limits.explain(Error::internal("x")).id == "err-vault-oversize");
        // Exactly the allowance, then the end: fine.
        let (mut m, _) = meter(&data[..SLACK as usize], &r);
        assert_eq!(m.read_to_end(&mut Vec::new()).unwrap() as u64, SLACK);
        check_receipt(&r).unwrap();
        let mut bomb = r.clone();
        bomb.total_size = RATIO_GRACE + 100 * MAX_RATIO + 1;
        assert_eq!(check_receipt(&bomb).unwrap_err().id, "err-vault-bomb");
    }

    #[test]
    fn the_shape_of_an_export_is_bounded() {
        let mut s = Shape::default();
        let deep = vec!["d"; MAX_DEPTH].join("/");
        s.member(&deep).unwrap();
        let e = s.member(&format!("{deep}/x")).unwrap_err();
        assert_eq!((e.what, e.max.as_str()), ("depth", "128"));
        assert_eq!(e.clone().reading().kind, Kind::Integrity);
        assert_eq!(e.packing().kind, Kind::Refused);
        s.target("l", &"t".repeat(MAX_PATH_BYTES)).unwrap();
        assert_eq!(
            s.target("l", &"t".repeat(MAX_PATH_BYTES + 1)).unwrap_err().what,
            "target"
        );
        // Names add up, paths and targets alike.
        let long = "n".repeat(MAX_PATH_BYTES);
        let mut names = Shape::default();
        let fits = MAX_NAME_BYTES as usize / MAX_PATH_BYTES;
        for _ in 0..fits {
            names.member(&long).unwrap();
        }
        assert_eq!(names.target("l", "x").unwrap_err().what, "names");
        for i in 0..MAX_FOLDERS {
            s.folder("f").unwrap_or_else(|_| panic!("{i}"));
        }
        assert_eq!(s.folder("f").unwrap_err().what, "folders");
    }
}
