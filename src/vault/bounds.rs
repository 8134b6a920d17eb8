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
//! total; and the number of members is capped.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::format::{MAX_ENTRIES, MAX_TRAILING_ZEROS, RESERVED_DIR};
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

/// Refuses a receipt that declares a decompression bomb or more members
/// than kura handles, before anything is decrypted.
pub fn check_receipt(r: &Receipt) -> Result<()> {
    let allowed = r.ciphertext.size.saturating_mul(MAX_RATIO).saturating_add(RATIO_GRACE);
    if r.total_size > allowed {
        return Err(Error::new(Kind::Integrity, "err-vault-bomb")
            .arg("size", crate::units::bytes(r.total_size))
            .arg("csize", crate::units::bytes(r.ciphertext.size)));
    }
    if r.file_count > MAX_ENTRIES as u64 {
        return Err(oversize("files"));
    }
    Ok(())
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
}

/// Wraps the decompressed stream of a vault described by `receipt`.
pub fn meter<R: Read>(inner: R, receipt: &Receipt) -> (Metered<R>, Limits) {
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
            max_files: receipt.file_count,
            max_data: receipt.total_size,
        },
    )
}

impl Limits {
    /// Accounts for a member as the tar reader hands it over: its data may
    /// follow, then the next header.
    pub fn member<R: Read>(&mut self, entry: &tar::Entry<R>) -> Result<()> {
        self.members += 1;
        if self.members > MAX_ENTRIES as u64 {
            return Err(oversize("members"));
        }
        let size = entry.size();
        let reserved = entry.path_bytes().starts_with(format!("{RESERVED_DIR}/").as_bytes());
        let regular = matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        );
        if regular && !reserved {
            self.files += 1;
            self.data = self.data.saturating_add(size);
            if self.files > self.max_files {
                return Err(oversize("files"));
            }
            if self.data > self.max_data {
                return Err(oversize("bytes"));
            }
        }
        let padded = size.saturating_add(511) / 512 * 512;
        let at = self.meter.read.load(Relaxed);
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
}
