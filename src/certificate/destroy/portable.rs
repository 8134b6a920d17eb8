//! Destruction primitives by path name, for platforms without `openat`
//! (Windows). Each entry is checked (`symlink_metadata`) just before it is
//! opened and the opened handle checked again, so a link is never knowingly
//! followed; but there are no folder descriptors, so a folder swapped for a
//! link between that check and the use of a name below it is not noticed,
//! inode identities are not compared, and other file systems mounted inside
//! a folder, immutable flags and permissions are not checked beforehand
//! (a failure then stops destruction part-way, and is reported as such).

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use super::{changed, name_bytes, Fs, Meta, NodeKind};
use crate::error::{IoContext, Result};

pub struct Portable;

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

impl Fs for Portable {
    type Folder = PathBuf;

    fn open_parent(path: &Path) -> Result<PathBuf> {
        fs::read_dir(path).at(path.display())?;
        Ok(path.to_path_buf())
    }

    fn folder_meta(folder: &PathBuf, path: &Path) -> Result<Meta> {
        fs::symlink_metadata(folder).map(|m| meta(&m)).at(path.display())
    }

    fn lstat(dir: &PathBuf, name: &OsStr, path: &Path) -> Result<Meta> {
        fs::symlink_metadata(dir.join(name))
            .map(|m| meta(&m))
            .at(path.display())
    }

    fn open_folder(dir: &PathBuf, name: &OsStr, path: &Path) -> Result<(PathBuf, Meta)> {
        let m = Self::lstat(dir, name, path)?;
        if m.kind != NodeKind::Dir {
            return Err(changed(path));
        }
        Ok((dir.join(name), m))
    }

    fn open_file(dir: &PathBuf, name: &OsStr, path: &Path, write: bool) -> Result<(File, Meta)> {
        if Self::lstat(dir, name, path)?.kind != NodeKind::File {
            return Err(changed(path));
        }
        let f = OpenOptions::new()
            .read(!write)
            .write(write)
            .open(dir.join(name))
            .at(path.display())?;
        let m = meta(&f.metadata().at(path.display())?);
        Ok((f, m))
    }

    fn names(folder: &PathBuf, path: &Path) -> Result<Vec<OsString>> {
        let mut names = vec![];
        for e in fs::read_dir(folder).at(path.display())? {
            names.push(e.at(path.display())?.file_name());
        }
        names.sort_by(|a, b| name_bytes(a).cmp(&name_bytes(b)));
        Ok(names)
    }

    fn link_target(dir: &PathBuf, name: &OsStr, path: &Path) -> Result<Vec<u8>> {
        let t = fs::read_link(dir.join(name)).at(path.display())?;
        Ok(name_bytes(t.as_os_str()).into_owned())
    }

    fn is_mount_root(_dir: &PathBuf, _name: &OsStr) -> bool {
        false
    }

    fn read_only(_folder: &PathBuf) -> bool {
        false
    }

    fn file_locked(_file: &File) -> bool {
        false
    }

    fn folder_locked(_folder: &PathBuf) -> bool {
        false
    }

    fn euid() -> Option<u32> {
        None
    }

    fn file_writable(_dir: &PathBuf, _name: &OsStr) -> bool {
        true
    }

    fn folder_writable(_folder: &PathBuf) -> bool {
        true
    }

    fn allow_owner_file(_file: &File, dir: &PathBuf, name: &OsStr) {
        // A read-only file cannot be opened for writing: clear that.
        let p = dir.join(name);
        if let Ok(m) = fs::symlink_metadata(&p) {
            let mut perms = m.permissions();
            if m.file_type().is_file() && perms.readonly() {
                #[allow(clippy::permissions_set_readonly_false)]
                perms.set_readonly(false);
                let _ = fs::set_permissions(&p, perms);
            }
        }
    }

    fn allow_owner_folder(_folder: &PathBuf) {}

    fn rename(dir: &PathBuf, from: &OsStr, to: &OsStr, path: &Path) -> Result<()> {
        fs::rename(dir.join(from), dir.join(to)).at(path.display())
    }

    fn remove(dir: &PathBuf, name: &OsStr, kind: NodeKind, path: &Path) -> Result<()> {
        let p = dir.join(name);
        let res = match kind {
            NodeKind::Dir => fs::remove_dir(&p),
            // A link to a folder (or a junction) is removed as a folder on
            // Windows; either way only the link goes.
            NodeKind::Link => fs::remove_file(&p).or_else(|e| fs::remove_dir(&p).map_err(|_| e)),
            _ => fs::remove_file(&p),
        };
        res.at(path.display())
    }

    fn sync(folder: &PathBuf, _path: &Path) -> Result<()> {
        crate::fsutil::fsync_dir(folder)
    }
}
