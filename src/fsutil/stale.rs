//! What a killed kura leaves behind, and its removal by the next run:
//! the temporary files of [`super::AtomicFile`] (a vault being packed, most
//! of all, which may be large) and extraction stages.
//!
//! A temporary file is unmistakably kura's by its name
//! (`.NAME.XXXXXX.kura-tmp`: a dot, the output's name, six letters or
//! digits, kura's suffix). While its writer lives it holds an exclusive
//! `flock` on it, taken right after creating it and before writing a byte:
//! a file whose lock can be taken has no live writer. The one moment it is
//! unlocked, between its creation and its lock, it is empty; so an
//! unlocked file is removed only when it holds data or is more than a
//! minute old. Only regular files of this user with no other name (no
//! hard link) are removed, never through a symbolic link.
//!
//! Folders (stages) are removed by [`remove_tree`], which follows no link
//! anywhere below the folder it is given: each folder is opened relative to
//! its parent with `O_NOFOLLOW`, made writable through its descriptor, and
//! its entries unlinked relative to it — as `certify` destroys.

use std::path::{Path, PathBuf};

/// The suffix of kura's temporary files.
pub const TEMP_SUFFIX: &str = ".kura-tmp";

/// How many random letters or digits the temporary name carries.
pub const TEMP_RANDOM: usize = 6;

/// An unlocked, empty temporary file younger than this may be one whose
/// writer has not yet taken its lock.
#[cfg(unix)]
const EMPTY_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// Deepest folder [`remove_tree`] descends into (a stage holds at most the
/// depth a vault allows).
#[cfg(unix)]
const MAX_DEPTH: usize = 256;

/// Whether `name` is the name of one of kura's temporary files.
pub fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(TEMP_SUFFIX)) else {
        return false;
    };
    let Some((output, random)) = rest.rsplit_once('.') else {
        return false;
    };
    !output.is_empty() && random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Removes from `dir` the temporary files that killed kura runs left (see
/// the module); returns them, for the caller to report. Never fails: what
/// cannot be examined or removed is left alone.
pub fn sweep_temps(dir: &Path) -> Vec<PathBuf> {
    #[cfg(unix)]
    {
        let Ok(rd) = std::fs::read_dir(dir) else { return vec![] };
        rd.flatten()
            .filter(|e| e.file_name().to_str().is_some_and(is_temp_name))
            .map(|e| e.path())
            .filter(|p| remove_if_stale(p))
            .collect()
    }
    #[cfg(not(unix))]
    {
        // Without advisory locks a live writer cannot be told apart.
        let _ = dir;
        vec![]
    }
}

/// Removes the temporary file `path` if no live kura writes it.
#[cfg(unix)]
fn remove_if_stale(path: &Path) -> bool {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let Ok(before) = std::fs::symlink_metadata(path) else {
        return false;
    };
    // SAFETY: geteuid has no preconditions.
    // kura's temporary file has one name; a file with others (a hard link
    // named like one) is someone's file, whatever this name says.
    if !before.file_type().is_file() || before.nlink() != 1 || before.uid() != unsafe { libc::geteuid() } {
        return false;
    }
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    else {
        return false;
    };
    if f.try_lock().is_err() {
        return false; // a live kura writes it
    }
    let Ok(m) = f.metadata() else { return false };
    let young = m
        .modified()
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < EMPTY_GRACE);
    if (m.dev(), m.ino()) != (before.dev(), before.ino()) || (m.len() == 0 && young) {
        return false;
    }
    // Still the file examined (not replaced since): removed under its lock.
    let now = std::fs::symlink_metadata(path);
    if !now.is_ok_and(|n| (n.dev(), n.ino()) == (m.dev(), m.ino())) {
        return false;
    }
    std::fs::remove_file(path).is_ok()
}

/// Removes the folder `path` and everything in it without following any
/// link (see the module). Anything else at `path` (a file, a link) is
/// unlinked itself.
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use rustix::fs::{AtFlags, Mode, OFlags};
        let parent = super::parent_dir(path);
        let name = path.file_name().ok_or(std::io::ErrorKind::InvalidInput)?;
        let pfd = rustix::fs::open(
            &parent,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let fd = match rustix::fs::openat(&pfd, name, DIR_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP) => {
                rustix::fs::unlinkat(&pfd, name, AtFlags::empty())?;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        empty_folder(&fd, 0)?;
        drop(fd);
        rustix::fs::unlinkat(&pfd, name, AtFlags::REMOVEDIR)?;
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::remove_dir_all(path)
}

#[cfg(unix)]
const DIR_FLAGS: rustix::fs::OFlags = rustix::fs::OFlags::RDONLY
    .union(rustix::fs::OFlags::DIRECTORY)
    .union(rustix::fs::OFlags::NOFOLLOW)
    .union(rustix::fs::OFlags::CLOEXEC);

/// Empties the open folder `fd`: made writable (through its descriptor),
/// sub-folders emptied and removed, everything else unlinked.
#[cfg(unix)]
fn empty_folder(fd: &std::os::fd::OwnedFd, depth: usize) -> std::io::Result<()> {
    use rustix::fs::{AtFlags, FileType, Mode};
    if depth > MAX_DEPTH {
        return Err(std::io::Error::other("too deep"));
    }
    let _ = rustix::fs::fchmod(fd, Mode::from_raw_mode(0o700));
    let mut names = vec![];
    for entry in rustix::fs::Dir::read_from(fd)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(std::ffi::CString::new(name).map_err(std::io::Error::other)?);
        }
    }
    for name in names {
        let st = rustix::fs::statat(fd, name.as_c_str(), AtFlags::SYMLINK_NOFOLLOW)?;
        if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            let child = rustix::fs::openat(fd, name.as_c_str(), DIR_FLAGS, Mode::empty())?;
            empty_folder(&child, depth + 1)?;
            rustix::fs::unlinkat(fd, name.as_c_str(), AtFlags::REMOVEDIR)?;
        } else {
            rustix::fs::unlinkat(fd, name.as_c_str(), AtFlags::empty())?;
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_kuras_temporary_names_count() {
        for ok in [
            ".x.kura.aB3xY9.kura-tmp",
            ".x.kura.001.000000.kura-tmp",
            ".c.json.ZZZZZZ.kura-tmp",
        ] {
            assert!(is_temp_name(ok), "{ok}");
        }
        for not in [
            "x.kura.aB3xY9.kura-tmp",
            "..aB3xY9.kura-tmp",
            ".x.kura.aB3xY.kura-tmp",
            ".x.kura.aB3xY9-.kura-tmp",
            ".x.kura.aB3xY9.tmp",
            ".x.kura.aB3x_9.kura-tmp",
            ".x.kura",
        ] {
            assert!(!is_temp_name(not), "{not}");
        }
    }

    #[test]
    fn a_locked_or_young_empty_temporary_file_stays_and_a_stale_one_goes() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        std::fs::write(p(".x.kura.AAAAAA.kura-tmp"), b"partial vault").unwrap();
        std::fs::write(p(".x.kura.BBBBBB.kura-tmp"), b"").unwrap();
        std::fs::write(p(".x.kura.CCCCCC.kura-tmp"), b"").unwrap();
        let old = filetime::FileTime::from_unix_time(1_600_000_000, 0);
        filetime::set_file_mtime(p(".x.kura.CCCCCC.kura-tmp"), old).unwrap();
        std::fs::write(p(".x.kura.DDDDDD.kura-tmp"), b"being written").unwrap();
        let live = std::fs::File::open(p(".x.kura.DDDDDD.kura-tmp")).unwrap();
        live.lock().unwrap();
        std::fs::write(p("someone.tmp"), b"not ours").unwrap();
        std::os::unix::fs::symlink(p("someone.tmp"), p(".x.kura.EEEEEE.kura-tmp")).unwrap();
        // A hard link to someone's file, a folder and a FIFO named like
        // kura's temporary files: none is kura's.
        std::fs::write(p("precious"), b"someone's data").unwrap();
        std::fs::hard_link(p("precious"), p(".x.kura.FFFFFF.kura-tmp")).unwrap();
        filetime::set_file_mtime(p(".x.kura.FFFFFF.kura-tmp"), old).unwrap();
        std::fs::create_dir(p(".x.kura.GGGGGG.kura-tmp")).unwrap();
        let fifo = std::ffi::CString::new(p(".x.kura.HHHHHH.kura-tmp").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let mut swept = sweep_temps(dir.path());
        swept.sort();
        assert_eq!(swept, [p(".x.kura.AAAAAA.kura-tmp"), p(".x.kura.CCCCCC.kura-tmp")]);
        for stays in [
            ".x.kura.BBBBBB.kura-tmp",
            ".x.kura.DDDDDD.kura-tmp",
            "someone.tmp",
            ".x.kura.FFFFFF.kura-tmp",
            ".x.kura.GGGGGG.kura-tmp",
            ".x.kura.HHHHHH.kura-tmp",
        ] {
            assert!(p(stays).exists(), "{stays}");
        }
        assert!(std::fs::symlink_metadata(p(".x.kura.EEEEEE.kura-tmp")).is_ok());
    }

    #[test]
    fn a_tree_is_removed_without_following_its_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), b"keep").unwrap();
        let t = dir.path().join("stage");
        std::fs::create_dir_all(t.join("a/b")).unwrap();
        std::fs::write(t.join("a/b/f"), b"x").unwrap();
        std::os::unix::fs::symlink(&outside, t.join("a/link")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(t.join("a/b"), std::fs::Permissions::from_mode(0o500)).unwrap();
        remove_tree(&t).unwrap();
        assert!(!t.exists());
        assert!(outside.join("keep").exists());
        // A link in the folder's own place goes, not what it points to;
        // a file goes too.
        std::os::unix::fs::symlink(&outside, dir.path().join("l")).unwrap();
        remove_tree(&dir.path().join("l")).unwrap();
        assert!(std::fs::symlink_metadata(dir.path().join("l")).is_err());
        assert!(outside.join("keep").exists());
        remove_tree(&outside.join("keep")).unwrap();
        assert!(!outside.join("keep").exists());
    }
}
