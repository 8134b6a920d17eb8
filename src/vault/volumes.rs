//! Split vaults: `pack --split SIZE` writes the vault as volumes
//! `x.kura.001`, `x.kura.002`, … of at most SIZE bytes each, for media whose
//! file system cannot hold one large file (FAT32: 4 GiB − 1). The volumes are
//! plain pieces of one age file: `cat x.kura.* | age -d …` opens them, and
//! kura reads them wherever it is given `x.kura`. The receipt's ciphertext
//! size and BLAKE3 are those of the concatenation.
//!
//! The custody log of a split vault is `x.kura-custody` (not
//! `x.kura.custody`, which the shell pattern `x.kura.*` would take in).
//!
//! [`Output`] is where the pack pipeline writes: one [`AtomicFile`], or a
//! series of them rolling over at SIZE; nothing is in place until
//! [`Output::commit`], and dropped uncommitted it leaves nothing behind.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Kind, Result};
use crate::fsutil::{check_clobber, AtomicFile};
use crate::guard::{self, Probe};
use crate::naming::{custody_path_single, split_custody_path, volume_path};

/// At most this many volumes, so that `x.kura.*` sorts them in order.
pub const MAX_VOLUMES: usize = 999;
/// The smallest volume size accepted by `--split`.
pub const MIN_VOLUME: u64 = 64 << 10;
/// The files holding `vault`: itself, or its volumes in order. Fails when
/// there is neither, or when a volume is missing from the series.
pub fn files(vault: &Path) -> Result<Vec<PathBuf>> {
    if vault.exists() || !volume_path(vault, 1).exists() {
        std::fs::metadata(vault).at(vault.display())?;
        return Ok(vec![vault.to_path_buf()]);
    }
    let mut out = Vec::new();
    for n in 1..=MAX_VOLUMES + 1 {
        let p = volume_path(vault, n);
        if !p.is_file() {
            break;
        }
        out.push(p);
    }
    // A later volume after a gap means one is missing.
    let dir = crate::fsutil::parent_dir(vault);
    let base = vault
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(num) = name.strip_prefix(&format!("{base}.")) else {
                continue;
            };
            if num.len() >= 3 && num.bytes().all(|b| b.is_ascii_digit()) {
                let n: usize = num.parse().unwrap_or(0);
                if n > out.len() {
                    let missing = volume_path(vault, out.len() + 1);
                    return Err(Error::new(Kind::Integrity, "err-volume-missing").arg("path", missing.display()));
                }
            }
        }
    }
    Ok(out)
}

/// Total size in bytes of a vault (all its volumes).
pub fn size(vault: &Path) -> Result<u64> {
    let mut total = 0u64;
    for f in files(vault)? {
        total += std::fs::metadata(&f).at(f.display())?.len();
    }
    Ok(total)
}

/// Reads the volumes one after the other, as one stream.
pub struct Concat {
    files: Vec<PathBuf>,
    next: usize,
    cur: Option<File>,
}

impl Read for Concat {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Ctrl-C: the stream stops and the command unwinds.
        crate::interrupt::check().map_err(crate::error::into_io)?;
        loop {
            if self.cur.is_none() {
                let Some(p) = self.files.get(self.next) else {
                    return Ok(0);
                };
                self.cur = Some(File::open(p)?);
                self.next += 1;
            }
            let n = self.cur.as_mut().map_or(Ok(0), |f| f.read(buf))?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.cur = None;
        }
    }
}

/// Opens a vault (single file or volumes) for reading; returns the stream
/// and its total size.
pub fn open(vault: &Path) -> Result<(Concat, u64)> {
    let files = files(vault)?;
    let mut total = 0u64;
    for f in &files {
        total += std::fs::metadata(f).at(f.display())?.len();
    }
    // Open the first now so that a missing or unreadable vault fails here.
    let first = File::open(&files[0]).at(files[0].display())?;
    Ok((
        Concat {
            files,
            next: 1,
            cur: Some(first),
        },
        total,
    ))
}

/// A vault's files, all held open: read one after the other as one
/// stream, and read again from the start after [`Pinned::rewind`]. What
/// is read the second time comes from the same files even if other files
/// have since been put at their paths.
pub struct Pinned {
    files: Vec<File>,
    next: usize,
}

/// Opens every file of a vault; returns them and their total size.
pub fn pin(vault: &Path) -> Result<(Pinned, u64)> {
    let mut open = Vec::new();
    let mut total = 0u64;
    for p in files(vault)? {
        let f = File::open(&p).at(p.display())?;
        total += f.metadata().at(p.display())?.len();
        open.push(f);
    }
    Ok((Pinned { files: open, next: 0 }, total))
}

impl Pinned {
    /// Back to the start of the first file.
    pub fn rewind(&mut self) -> io::Result<()> {
        for f in &mut self.files {
            io::Seek::rewind(f)?;
        }
        self.next = 0;
        Ok(())
    }
}

impl Read for Pinned {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::interrupt::check().map_err(crate::error::into_io)?;
        while let Some(f) = self.files.get_mut(self.next) {
            let n = f.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.next += 1;
        }
        Ok(0)
    }
}

/// BLAKE3 of a whole vault (the concatenation of its volumes), streamed.
pub fn hash(vault: &Path) -> Result<String> {
    let (mut r, _) = open(vault)?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match r.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, vault.display())),
        };
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Refuses to replace an existing vault (single or split) unless `force`.
pub fn check_vault_clobber(vault: &Path, force: bool) -> Result<()> {
    check_clobber(vault, force)?;
    check_clobber(&volume_path(vault, 1), force)
}

/// Where the pack pipeline writes the vault.
pub struct Output {
    dest: PathBuf,
    force: bool,
    /// Volume size; `None` for a single file.
    split: Option<u64>,
    done: Vec<AtomicFile>,
    cur: Option<AtomicFile>,
    /// Bytes in `cur`.
    filled: u64,
    /// Writing to standard output (`pack -o -`) instead of files.
    stdout: Option<io::Stdout>,
    /// Standard output's last bytes, held back until [`Output::commit`]
    /// (at most [`HELD_BACK`]).
    held: Vec<u8>,
}

/// Bytes of a vault written to standard output held back until it is
/// committed: more than age's last chunk (64 KiB and its tag), so that a
/// vault whose custody log could not be written never reaches its reader
/// whole (age refuses a stream without its last chunk).
const HELD_BACK: usize = 128 << 10;

impl Output {
    /// Starts writing `dest` (as volumes of `split` bytes if given). Refuses
    /// an existing vault of that name, single or split, unless `force`.
    pub fn create(dest: &Path, split: Option<u64>, force: bool) -> Result<Output> {
        if crate::naming::is_stdout(dest) {
            return Ok(Output {
                dest: dest.to_path_buf(),
                force: false,
                split: None,
                done: Vec::new(),
                cur: None,
                filled: 0,
                stdout: Some(io::stdout()),
                held: Vec::new(),
            });
        }
        check_vault_clobber(dest, force)?;
        let cur = match split {
            None => AtomicFile::create(dest, force)?,
            Some(_) => AtomicFile::create(&volume_path(dest, 1), force)?,
        };
        Ok(Output {
            dest: dest.to_path_buf(),
            force,
            split,
            done: Vec::new(),
            cur: Some(cur),
            filled: 0,
            stdout: None,
            held: Vec::new(),
        })
    }

    /// The custody log that goes with this output.
    pub fn custody_path(&self) -> PathBuf {
        match self.split {
            None => custody_path_single(&self.dest),
            Some(_) => split_custody_path(&self.dest),
        }
    }

    fn roll(&mut self) -> io::Result<()> {
        let n = self.done.len() + 2;
        if n > MAX_VOLUMES {
            return Err(crate::error::into_io(
                Error::new(Kind::Refused, "err-split-too-many").arg("max", MAX_VOLUMES),
            ));
        }
        let next = AtomicFile::create(&volume_path(&self.dest, n), self.force).map_err(crate::error::into_io)?;
        if let Some(cur) = self.cur.replace(next) {
            self.done.push(cur);
        }
        self.filled = 0;
        Ok(())
    }

    /// Moves every volume (or the single file) into place, each on the
    /// medium before kura reports success; with `force`, removes what is
    /// left of a replaced vault (a single file or more volumes).
    pub fn commit(mut self) -> Result<()> {
        if let Some(out) = &mut self.stdout {
            let held = std::mem::take(&mut self.held);
            return out
                .write_all(&held)
                .and_then(|()| out.flush())
                .at(crate::naming::STDOUT);
        }
        let mut all = std::mem::take(&mut self.done);
        all.extend(self.cur.take());
        let count = all.len();
        let mut placed: Vec<PathBuf> = Vec::new();
        for (i, f) in all.into_iter().enumerate() {
            let dest = match self.split {
                None => self.dest.clone(),
                Some(_) => volume_path(&self.dest, i + 1),
            };
            if let Err(e) = f.commit() {
                for p in &placed {
                    let _ = std::fs::remove_file(p);
                }
                return Err(e);
            }
            placed.push(dest);
        }
        if self.force {
            let mut stale: Vec<PathBuf> = Vec::new();
            match self.split {
                None => stale.push(split_custody_path(&self.dest)),
                Some(_) => {
                    stale.push(self.dest.clone());
                    stale.push(custody_path_single(&self.dest));
                }
            }
            let first_stale = if self.split.is_some() { count + 1 } else { 1 };
            for n in first_stale..=MAX_VOLUMES {
                let p = volume_path(&self.dest, n);
                if !p.exists() {
                    break;
                }
                stale.push(p);
            }
            for p in stale {
                if std::fs::symlink_metadata(&p).is_ok_and(|m| !m.is_dir()) {
                    std::fs::remove_file(&p).at(p.display())?;
                }
            }
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Ctrl-C: the stream stops and the command unwinds.
        crate::interrupt::check().map_err(crate::error::into_io)?;
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(out) = &mut self.stdout {
            self.held.extend_from_slice(buf);
            if self.held.len() > 2 * HELD_BACK {
                let over = self.held.len() - HELD_BACK;
                out.write_all(&self.held[..over])?;
                self.held.drain(..over);
            }
            return Ok(buf.len());
        }
        let mut take = buf.len();
        if let Some(size) = self.split {
            if self.filled >= size {
                self.roll()?;
            }
            take = take.min((size - self.filled) as usize);
        }
        let cur = self
            .cur
            .as_mut()
            .ok_or_else(|| io::Error::other("output already committed"))?;
        let n = cur.file().write(&buf[..take])?;
        self.filled += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.stdout.is_some() {
            return Ok(()); // the held bytes wait for the commit
        }
        match self.cur.as_mut() {
            Some(c) => c.file().flush(),
            None => Ok(()),
        }
    }
}

/// How much a vault of these inputs may take: `upper` can never be
/// exceeded (nothing compresses, every header at its largest); `likely`
/// scales the data by how well a sample of it compresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub input: u64,
    pub upper: u64,
    pub likely: u64,
}

/// Bytes sampled from the start of each of the largest files.
const SAMPLE: usize = 256 << 10;
/// How many files are sampled.
const SAMPLED_FILES: usize = 32;

/// Estimates the vault size for `sources` (and the approval document).
pub fn estimate(sources: &[super::walk::Source], approval_doc: Option<&Path>) -> Estimate {
    use super::manifest::EntryKind;
    let mut files: Vec<(&Path, u64)> = sources
        .iter()
        .filter(|s| s.entry.kind == EntryKind::File)
        .map(|s| (s.disk.as_path(), s.entry.size))
        .collect();
    if let Some(doc) = approval_doc {
        files.push((doc, std::fs::metadata(doc).map(|m| m.len()).unwrap_or(0)));
    }
    let input: u64 = files.iter().map(|f| f.1).sum();
    let entries = sources.len() as u64 + 3;
    // tar: a header, a pax header and padding per member; the manifest.
    let overhead = entries * (3 * 512 + 512) + 64 * 1024;
    let tar = input + overhead;
    // zstd's worst case, then age's 16 bytes per 64 KiB chunk and header.
    let z = tar + tar / 128 + (64 << 10);
    let upper = z + z / 4096 + (64 << 10);
    files.sort_by_key(|f| std::cmp::Reverse(f.1));
    let (mut raw, mut packed) = (0u64, 0u64);
    let mut buf = vec![0u8; SAMPLE];
    for (path, _) in files.iter().take(SAMPLED_FILES) {
        let Ok(mut f) = File::open(path) else { continue };
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        if n == 0 {
            continue;
        }
        if let Ok(c) = zstd::bulk::compress(&buf[..n], super::format::ZSTD_LEVEL) {
            raw += n as u64;
            packed += c.len() as u64;
        }
    }
    let likely = if raw == 0 {
        upper
    } else {
        // A margin of a tenth over the sampled ratio.
        let scaled = (input as u128 * packed as u128 * 11 / (raw as u128 * 10)) as u64;
        (scaled + overhead + (128 << 10)).min(upper)
    };
    Estimate { input, upper, likely }
}

/// Free space above which a vault cannot plausibly fill the output medium,
/// so listing the inputs first to estimate it is not worth its time.
const ROOMY: u64 = 32 << 30;

/// Whether `pack` may walk its inputs while it packs: no split volumes, an
/// output that is not FAT, and plenty of room there. Otherwise the inputs
/// are listed first and [`preflight`] refuses before anything is written.
/// Either way a failure leaves nothing behind.
pub fn walk_while_packing(probe: &dyn Probe, output: &Path, split: Option<u64>) -> bool {
    if split.is_some() {
        return false;
    }
    match probe.medium(output) {
        Ok(m) => !m.fat && m.free.is_some_and(|f| f >= ROOMY),
        Err(_) => false,
    }
}

/// Before anything is written: refuses an output whose medium cannot take
/// the vault (FAT's 4 GiB − 1 per file without `--split`, too little free
/// space), with a message saying what to do.
pub fn preflight(
    probe: &dyn Probe,
    output: &Path,
    split: Option<u64>,
    sources: &[super::walk::Source],
    approval_doc: Option<&Path>,
) -> Result<Estimate> {
    if sources.len() > super::format::MAX_ENTRIES {
        return Err(Error::new(Kind::Refused, "err-too-many-members")
            .arg("count", sources.len())
            .arg("max", super::format::MAX_ENTRIES));
    }
    let est = estimate(sources, approval_doc);
    let medium = probe.medium(output)?;
    guard::check_fat(&medium, output, est.upper, split)?;
    guard::check_space(&medium, output, est.likely, est.input)?;
    Ok(est)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::is_split;

    #[test]
    fn volumes_roll_over_and_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("x.kura");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut out = Output::create(&dest, Some(100_000), false).unwrap();
        out.write_all(&data).unwrap();
        assert!(!volume_path(&dest, 1).exists(), "nothing in place before commit");
        out.commit().unwrap();
        let names: Vec<_> = files(&dest).unwrap();
        assert_eq!(names.len(), 3);
        assert!(!volume_path(&dest, 4).exists(), "no empty trailing volume");
        assert!(is_split(&dest));
        let (mut r, size) = open(&dest).unwrap();
        assert_eq!(size, 300_000);
        let mut back = Vec::new();
        r.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        assert_eq!(hash(&dest).unwrap(), blake3::hash(&data).to_hex().to_string());
        // Never replaced without force; a gap is reported.
        assert_eq!(
            Output::create(&dest, Some(100_000), false).err().unwrap().kind,
            Kind::Exists
        );
        assert_eq!(Output::create(&dest, None, false).err().unwrap().kind, Kind::Exists);
        std::fs::remove_file(volume_path(&dest, 2)).unwrap();
        assert_eq!(files(&dest).unwrap_err().id, "err-volume-missing");
    }

    #[test]
    fn forced_single_replaces_a_split_vault() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("x.kura");
        let mut out = Output::create(&dest, Some(MIN_VOLUME), false).unwrap();
        out.write_all(&vec![1u8; 3 * MIN_VOLUME as usize]).unwrap();
        out.commit().unwrap();
        std::fs::write(split_custody_path(&dest), "old").unwrap();
        let mut out = Output::create(&dest, None, true).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert!(!volume_path(&dest, 1).exists() && !split_custody_path(&dest).exists());
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary files left");
    }

    #[test]
    fn dropped_output_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("x.kura");
        let mut out = Output::create(&dest, Some(MIN_VOLUME), false).unwrap();
        out.write_all(&vec![0u8; 5 * MIN_VOLUME as usize / 2]).unwrap();
        drop(out);
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
