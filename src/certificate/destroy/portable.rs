//! Destruction primitives by path name, for platforms without `openat`
//! (Windows). Each entry is reached by its path, checked just before it is
//! used and its handle checked again, so a link is never knowingly
//! followed.
//!
//! On Windows an entry is opened as itself (`FILE_FLAG_OPEN_REPARSE_POINT`:
//! a symbolic link or junction as the link), and its identity is the
//! volume serial number and file index, with its count of hard links
//! (`GetFileInformationByHandle`): a file with another hard link is
//! refused, and an entry replaced or moved since the survey stops
//! destruction as on Unix. Every folder kura works in is held open without
//! `FILE_SHARE_DELETE`, so that nobody can rename, move or remove it (and
//! put a link in its place) while its entries are reached by name.
//! Immutable flags and folder permissions are not checked beforehand (a
//! failure then stops destruction part-way, and is reported as such).
//!
//! Elsewhere (and in the Unix tests that compare both primitives) there is
//! no identity: only types and sizes are compared.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::path::{Path, PathBuf};

use super::{changed, name_bytes, Fs, Meta, NodeKind};
use crate::error::{IoContext, Result};

pub struct Portable;

/// A folder by its path; on Windows held open (see the module).
pub struct Folder {
    path: PathBuf,
    #[cfg(windows)]
    _held: File,
}

impl Folder {
    /// Opens the folder at `at` (`shown` in messages).
    fn open(at: &Path, shown: &Path) -> Result<(Folder, Meta)> {
        #[cfg(windows)]
        {
            let held = crate::fsutil::windows::hold_folder(at).at(shown.display())?;
            let m = handle_meta(&held, shown)?;
            let folder = Folder {
                path: at.to_path_buf(),
                _held: held,
            };
            Ok((folder, m))
        }
        #[cfg(not(windows))]
        {
            let m = entry_meta(at, shown)?;
            Ok((Folder { path: at.to_path_buf() }, m))
        }
    }
}

fn meta(m: &fs::Metadata) -> Meta {
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        NodeKind::Link
    } else if ft.is_file() {
        NodeKind::File
    } else if ft.is_dir() {
        NodeKind::Dir
    } else {
        NodeKind::Other
    };
    Meta {
        kind,
        dev: 0,
        ino: 0,
        size: if kind == NodeKind::File { m.len() } else { 0 },
        nlink: 1,
        uid: 0,
        mode: if m.permissions().readonly() { 0o444 } else { 0o644 },
    }
}

/// What an opened handle is, with its identity where the platform has one.
fn handle_meta(f: &File, path: &Path) -> Result<Meta> {
    #[cfg_attr(not(windows), allow(unused_mut))]
    let mut m = meta(&f.metadata().at(path.display())?);
    #[cfg(windows)]
    {
        let id = crate::fsutil::windows::identity(f).at(path.display())?;
        (m.dev, m.ino, m.nlink) = (id.volume, id.index, id.links);
    }
    Ok(m)
}

/// The entry at `at` itself, never what a link there points to (`shown`
/// in messages).
fn entry_meta(at: &Path, shown: &Path) -> Result<Meta> {
    #[cfg(windows)]
    return handle_meta(&crate::fsutil::windows::open_entry(at).at(shown.display())?, shown);
    #[cfg(not(windows))]
    return fs::symlink_metadata(at).map(|m| meta(&m)).at(shown.display());
}

fn open_no_follow(path: &Path, write: bool) -> std::io::Result<File> {
    #[cfg(windows)]
    return crate::fsutil::windows::open_file_no_follow(path, write);
    #[cfg(not(windows))]
    return fs::OpenOptions::new().read(!write).write(write).open(path);
}

impl Fs for Portable {
    type Folder = Folder;

    fn open_parent(path: &Path) -> Result<Folder> {
        fs::read_dir(path).at(path.display())?;
        let (folder, m) = Folder::open(path, path)?;
        if m.kind != NodeKind::Dir {
            return Err(changed(path));
        }
        Ok(folder)
    }

    fn folder_meta(folder: &Folder, path: &Path) -> Result<Meta> {
        entry_meta(&folder.path, path)
    }

    fn lstat(dir: &Folder, name: &OsStr, path: &Path) -> Result<Meta> {
        entry_meta(&dir.path.join(name), path)
    }

    fn open_folder(dir: &Folder, name: &OsStr, path: &Path) -> Result<(Folder, Meta)> {
        if Self::lstat(dir, name, path)?.kind != NodeKind::Dir {
            return Err(changed(path));
        }
        let (folder, m) = Folder::open(&dir.path.join(name), path)?;
        if m.kind != NodeKind::Dir {
            return Err(changed(path));
        }
        Ok((folder, m))
    }

    fn open_file(dir: &Folder, name: &OsStr, path: &Path, write: bool) -> Result<(File, Meta)> {
        if Self::lstat(dir, name, path)?.kind != NodeKind::File {
            return Err(changed(path));
        }
        let f = open_no_follow(&dir.path.join(name), write).at(path.display())?;
        let m = handle_meta(&f, path)?;
        Ok((f, m))
    }

    fn names(folder: &Folder, path: &Path) -> Result<Vec<OsString>> {
        let mut names = vec![];
        for e in fs::read_dir(&folder.path).at(path.display())? {
            names.push(e.at(path.display())?.file_name());
        }
        names.sort_by(|a, b| name_bytes(a).cmp(&name_bytes(b)));
        Ok(names)
    }

    fn link_target(dir: &Folder, name: &OsStr, path: &Path) -> Result<Vec<u8>> {
        let t = fs::read_link(dir.path.join(name)).at(path.display())?;
        Ok(name_bytes(t.as_os_str()).into_owned())
    }

    fn is_mount_root(_dir: &Folder, _name: &OsStr) -> bool {
        false
    }

    fn read_only(_folder: &Folder) -> bool {
        false
    }

    fn file_locked(_file: &File) -> bool {
        false
    }

    fn folder_locked(_folder: &Folder) -> bool {
        false
    }

    fn euid() -> Option<u32> {
        None
    }

    fn file_writable(_dir: &Folder, _name: &OsStr) -> bool {
        true
    }

    fn folder_writable(_folder: &Folder) -> bool {
        true
    }

    fn allow_owner_file(_file: &File, dir: &Folder, name: &OsStr) {
        // A read-only file cannot be opened for writing: clear that.
        let p = dir.path.join(name);
        if let Ok(m) = fs::symlink_metadata(&p) {
            let mut perms = m.permissions();
            if m.file_type().is_file() && perms.readonly() {
                #[allow(clippy::permissions_set_readonly_false)]
                perms.set_readonly(false);
                let _ = fs::set_permissions(&p, perms);
            }
        }
    }

    fn allow_owner_folder(_folder: &Folder) {}

    fn rename(dir: &Folder, from: &OsStr, to: &OsStr, path: &Path) -> Result<()> {
        fs::rename(dir.path.join(from), dir.path.join(to)).at(path.display())
    }

    fn remove(dir: &Folder, name: &OsStr, kind: NodeKind, path: &Path) -> Result<()> {
        let p = dir.path.join(name);
        let res = match kind {
            NodeKind::Dir => fs::remove_dir(&p),
            // A link to a folder (or a junction) is removed as a folder on
            // Windows; either way only the link goes.
            NodeKind::Link => fs::remove_file(&p).or_else(|e| fs::remove_dir(&p).map_err(|_| e)),
            _ => fs::remove_file(&p),
        };
        res.at(path.display())
    }

    fn sync(folder: &Folder, _path: &Path) -> Result<()> {
        crate::fsutil::fsync_dir(&folder.path)
    }
}
