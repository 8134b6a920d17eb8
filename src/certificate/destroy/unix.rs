//! Destruction primitives on Unix: every entry is reached relative to an
//! opened folder descriptor, never through a link (`openat` with
//! `O_NOFOLLOW`, `fstatat` with `AT_SYMLINK_NOFOLLOW`); permissions are
//! changed with `fchmod` on the descriptor checked, entries removed with
//! `renameat`/`unlinkat` on their folder's descriptor.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{changed, Fs, Meta, NodeKind};
use crate::error::{Error, Result};

pub struct Unix;

fn fail(e: Errno, path: &Path) -> Error {
    Error::io(io::Error::from(e), path.display())
}

/// What a descriptor or name turned out to be when it was to be a
/// folder or a regular file: a link (`ELOOP` under `O_NOFOLLOW`), a file
/// where a folder was, a FIFO without a reader — the entry was replaced.
fn open_fail(e: Errno, path: &Path) -> Error {
    match e {
        Errno::LOOP | Errno::NOTDIR | Errno::NXIO | Errno::ISDIR => changed(path),
        _ => fail(e, path),
    }
}

#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
fn meta(st: &rustix::fs::Stat) -> Meta {
    let ft = FileType::from_raw_mode(st.st_mode as _);
    let kind = match ft {
        FileType::RegularFile => NodeKind::File,
        FileType::Directory => NodeKind::Dir,
        FileType::Symlink => NodeKind::Link,
        _ => NodeKind::Other,
    };
    Meta {
        kind,
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        size: st.st_size as u64,
        nlink: st.st_nlink as u64,
        uid: st.st_uid as u32,
        mode: (st.st_mode as u32) & 0o7777,
    }
}

/// Whether a descriptor's inode is immutable or append-only.
fn locked(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::IFlags;
        rustix::fs::ioctl_getflags(fd).is_ok_and(|f| f.intersects(IFlags::IMMUTABLE | IFlags::APPEND))
    }
    #[cfg(target_os = "macos")]
    {
        let mask = libc::UF_IMMUTABLE | libc::UF_APPEND | libc::SF_IMMUTABLE | libc::SF_APPEND;
        rustix::fs::fstat(fd).is_ok_and(|st| st.st_flags & mask != 0)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        let _ = fd;
        false
    }
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl Fs for Unix {
    type Folder = OwnedFd;

    fn open_parent(path: &Path) -> Result<OwnedFd> {
        // The path is canonical: no link is left in it to follow.
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        rustix::fs::open(path, flags, Mode::empty()).map_err(|e| fail(e, path))
    }

    fn folder_meta(folder: &OwnedFd, path: &Path) -> Result<Meta> {
        rustix::fs::fstat(folder).map(|st| meta(&st)).map_err(|e| fail(e, path))
    }

    fn lstat(dir: &OwnedFd, name: &OsStr, path: &Path) -> Result<Meta> {
        rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .map(|st| meta(&st))
            .map_err(|e| fail(e, path))
    }

    fn open_folder(dir: &OwnedFd, name: &OsStr, path: &Path) -> Result<(OwnedFd, Meta)> {
        let fd = rustix::fs::openat(dir, name, DIR_FLAGS, Mode::empty()).map_err(|e| open_fail(e, path))?;
        let m = Self::folder_meta(&fd, path)?;
        Ok((fd, m))
    }

    fn open_file(dir: &OwnedFd, name: &OsStr, path: &Path, write: bool) -> Result<(File, Meta)> {
        // O_NONBLOCK: a FIFO put in a file's place must not block the open;
        // it is then told apart by fstat.
        let access = if write { OFlags::WRONLY } else { OFlags::RDONLY };
        let flags = access | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).map_err(|e| open_fail(e, path))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| fail(e, path))?;
        Ok((File::from(fd), meta(&st)))
    }

    fn names(folder: &OwnedFd, path: &Path) -> Result<Vec<OsString>> {
        let dir = rustix::fs::Dir::read_from(folder).map_err(|e| fail(e, path))?;
        let mut names = vec![];
        for entry in dir {
            let entry = entry.map_err(|e| fail(e, path))?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(OsStr::from_bytes(name).to_os_string());
            }
        }
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Ok(names)
    }

    fn link_target(dir: &OwnedFd, name: &OsStr, path: &Path) -> Result<Vec<u8>> {
        rustix::fs::readlinkat(dir, name, Vec::new())
            .map(|t| t.into_bytes())
            .map_err(|e| fail(e, path))
    }

    fn is_mount_root(dir: &OwnedFd, name: &OsStr) -> bool {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{StatxAttributes, StatxFlags};
            let x = rustix::fs::statx(dir, name, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::BASIC_STATS);
            // Unknown (an old kernel): the device comparison still applies.
            x.is_ok_and(|x| {
                x.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT)
                    && x.stx_attributes.contains(StatxAttributes::MOUNT_ROOT)
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (dir, name);
            false
        }
    }

    fn read_only(folder: &OwnedFd) -> bool {
        rustix::fs::fstatvfs(folder).is_ok_and(|s| s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
    }

    fn file_locked(file: &File) -> bool {
        locked(file.as_fd())
    }

    fn folder_locked(folder: &OwnedFd) -> bool {
        locked(folder.as_fd())
    }

    fn euid() -> Option<u32> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        Some(unsafe { libc::geteuid() })
    }

    fn file_writable(dir: &OwnedFd, name: &OsStr) -> bool {
        rustix::fs::accessat(dir, name, rustix::fs::Access::WRITE_OK, AtFlags::EACCESS).is_ok()
    }

    fn folder_writable(folder: &OwnedFd) -> bool {
        let want = rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK;
        rustix::fs::accessat(folder, ".", want, AtFlags::EACCESS).is_ok()
    }

    fn allow_owner_file(file: &File, _dir: &OwnedFd, _name: &OsStr) {
        // Fails for another owner's file, which the survey found writable.
        let _ = rustix::fs::fchmod(file, Mode::from_raw_mode(0o600));
    }

    fn allow_owner_folder(folder: &OwnedFd) {
        let _ = rustix::fs::fchmod(folder, Mode::from_raw_mode(0o700));
    }

    fn rename(dir: &OwnedFd, from: &OsStr, to: &OsStr, path: &Path) -> Result<()> {
        rustix::fs::renameat(dir, from, dir, to).map_err(|e| fail(e, path))
    }

    fn remove(dir: &OwnedFd, name: &OsStr, kind: NodeKind, path: &Path) -> Result<()> {
        let flags = if kind == NodeKind::Dir {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        rustix::fs::unlinkat(dir, name, flags).map_err(|e| fail(e, path))
    }

    fn sync(folder: &OwnedFd, path: &Path) -> Result<()> {
        rustix::fs::fsync(folder).map_err(|e| fail(e, path))
    }
}
