//! File-system helpers: bounded reads, atomic outputs that are on the medium
//! before success is reported, and directory fsync.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Kind, Result};

pub mod stale;
#[cfg(windows)]
pub mod windows;

/// Reads a whole file, refusing files larger than `max` bytes and anything
/// that is not a regular file. A FIFO, a device or a folder is refused
/// before it is opened; the file is opened without blocking and checked
/// again, so that a FIFO put in its place meanwhile cannot make kura wait
/// either.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    let not_a_file = || Error::new(Kind::Refused, "err-not-regular-file").arg("path", path.display());
    if !std::fs::metadata(path).at(path.display())?.is_file() {
        return Err(not_a_file());
    }
    let f = open_nonblocking(path).at(path.display())?;
    if !f.metadata().at(path.display())?.is_file() {
        return Err(not_a_file());
    }
    let mut buf = Vec::new();
    f.take(max + 1).read_to_end(&mut buf).at(path.display())?;
    if buf.len() as u64 > max {
        return Err(Error::new(Kind::Refused, "err-file-too-large")
            .arg("path", path.display())
            .arg("max", max));
    }
    Ok(buf)
}

/// Opens `path` for reading without waiting for a writer (a FIFO) or a
/// device; reading a regular file is not affected.
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut o, libc::O_NONBLOCK);
    o.open(path)
}

/// Reads a whole UTF-8 text file of at most `max` bytes.
pub fn read_bounded_text(path: &Path, max: u64) -> Result<String> {
    let bytes = read_bounded(path, max)?;
    String::from_utf8(bytes).map_err(|_| Error::new(Kind::Refused, "err-not-utf8").arg("path", path.display()))
}

/// Flushes a directory entry to the medium (no-op where unsupported).
pub fn fsync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(d).and_then(|f| f.sync_all()).at(d.display())?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `fs::canonicalize` in the form people type and read: on Windows without
/// the `\\?\` verbatim prefix wherever the plain form names the same file
/// (`C:\Users\…`, `\\server\share\…`), so that a path kura records or
/// shows is the one its user knows, and a file spelled two ways comes out
/// the same; elsewhere exactly `fs::canonicalize`. Every path kura resolves
/// goes through here.
pub fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    #[cfg(windows)]
    return dunce::canonicalize(path);
    #[cfg(not(windows))]
    return std::fs::canonicalize(path);
}

/// The directory holding `path` ("." for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether the names `a` and `b` are one entry of one folder (their
/// folders resolved, the last names compared as given): an output written
/// to `a` would replace `b`.
pub fn same_entry(a: &Path, b: &Path) -> bool {
    let dir = |p: &Path| canonicalize(&parent_dir(p)).ok();
    a.file_name().is_some() && a.file_name() == b.file_name() && dir(a).is_some() && dir(a) == dir(b)
}

/// Refuses, `--force` or not, an output that would replace a file the
/// command reads or records in (a key given with `-i`, the custody log,
/// the certificate): one name of one folder ([`same_entry`]).
pub fn check_apart(outputs: &[&Path], inputs: &[&Path]) -> Result<()> {
    for out in outputs {
        if let Some(input) = inputs.iter().find(|i| same_entry(out, i)) {
            return Err(Error::new(Kind::Refused, "err-output-replaces-input")
                .arg("path", out.display())
                .arg("other", input.display()));
        }
    }
    Ok(())
}

/// Refuses an output that is a folder, with or without `--force`: what is
/// written is a file, to be named inside it (`usbdir/export.kura`, with
/// `name` the example's file name).
pub fn check_not_folder(path: &Path, name: &str) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(Error::new(Kind::Usage, "err-output-is-folder")
            .arg("path", path.display())
            .arg("example", path.join(name).display()));
    }
    Ok(())
}

/// Refuses an existing output unless `force`, and a folder always.
pub fn check_clobber(path: &Path, force: bool) -> Result<()> {
    check_not_folder(path, "NAME")?;
    if !force && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::new(Kind::Exists, "err-output-exists").arg("path", path.display()));
    }
    Ok(())
}

/// An output file written under a temporary name beside its destination
/// and moved into place only by [`AtomicFile::commit`]; dropped uncommitted,
/// it disappears. Killed, it stays: the name (`.NAME.XXXXXX.kura-tmp`) and
/// a lock held while it is written let the next run in that folder remove
/// it ([`stale::sweep_temps`]).
pub struct AtomicFile {
    tmp: Option<tempfile::NamedTempFile>,
    dest: PathBuf,
    force: bool,
}

impl AtomicFile {
    pub fn create(dest: &Path, force: bool) -> Result<Self> {
        check_clobber(dest, force)?;
        let dir = parent_dir(dest);
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(stale::TEMP_SUFFIX)
            .rand_bytes(stale::TEMP_RANDOM)
            .tempfile_in(&dir)
            .at(dir.display())?;
        // Held until the file is committed or dropped: a live writer's file
        // is never taken for a killed one's. Where the file system takes no
        // locks, the sweeper cannot take one either and leaves the file.
        // (Windows locks are mandatory; temporary files are not swept there.)
        #[cfg(unix)]
        let _ = tmp.as_file().try_lock();
        crate::interrupt::register(tmp.path());
        Ok(AtomicFile {
            tmp: Some(tmp),
            dest: dest.to_path_buf(),
            force,
        })
    }

    pub fn file(&mut self) -> &mut File {
        self.tmp.as_mut().expect("present until commit").as_file_mut()
    }

    pub fn temp_path(&self) -> &Path {
        self.tmp.as_ref().expect("present until commit").path()
    }

    /// fsyncs the data, renames into place (refusing to replace an existing
    /// file unless forced) and fsyncs the directory.
    pub fn commit(mut self) -> Result<()> {
        let tmp = self.tmp.take().expect("present until commit");
        let (dest, force) = (self.dest.clone(), self.force);
        let tmp_path = tmp.path().to_path_buf();
        tmp.as_file().sync_all().at(dest.display())?;
        let res = if force {
            tmp.persist(&dest)
        } else {
            tmp.persist_noclobber(&dest)
        };
        crate::interrupt::unregister(&tmp_path);
        res.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::new(Kind::Exists, "err-output-exists").arg("path", dest.display())
            } else {
                Error::io(e.error, dest.display())
            }
        })?;
        fsync_dir(&parent_dir(&dest))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let path = tmp.path().to_path_buf();
            drop(tmp); // removes the temporary file
            crate::interrupt::unregister(&path);
        }
    }
}

/// Writes `bytes` to `dest` atomically (see [`AtomicFile`]).
pub fn write_atomic(dest: &Path, bytes: &[u8], force: bool) -> Result<()> {
    use std::io::Write;
    let mut f = AtomicFile::create(dest, force)?;
    f.file().write_all(bytes).at(dest.display())?;
    f.commit()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read_and_nothing_waits() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        for p in [
            fifo.as_path(),
            Path::new("/dev/zero"),
            Path::new("/dev/null"),
            dir.path(),
        ] {
            let e = read_bounded(p, 10).unwrap_err();
            assert_eq!(
                (e.kind, e.id),
                (Kind::Refused, "err-not-regular-file"),
                "{}",
                p.display()
            );
        }
        let file = dir.path().join("f");
        std::fs::write(&file, b"text").unwrap();
        assert_eq!(read_bounded(&file, 10).unwrap(), b"text");
        assert_eq!(read_bounded(&file, 3).unwrap_err().id, "err-file-too-large");
        assert_eq!(
            read_bounded(&dir.path().join("none"), 3).unwrap_err().id,
            "err-io-not-found"
        );
    }
}
