//! Collecting the inputs: every file, directory and link under the paths
//! given to `kura pack`, in a stable order, with everything refused up front
//! that the vault may not hold.
//!
//! - Each argument becomes a top-level member named after its last component.
//! - Directories are walked depth-first, names sorted byte-wise.
//! - Device files, sockets and FIFOs are refused.
//! - A symbolic link inside the tree is stored as a link with a relative
//!   target; one pointing outside the packed tree is refused. An argument that
//!   is itself a link is followed (the user named it).
//! - Hard links are stored as separate files.

use std::ffi::OsString;
use std::fs::{self, File, Metadata};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::format::RESERVED_DIR;
use super::manifest::{Entry, EntryKind};
use super::paths::{check_member_path, link_stays_inside};
use crate::error::{Error, IoContext, Kind, Result};

/// A member to pack: where it is on disk and what the manifest will say.
#[derive(Debug, Clone)]
pub struct Source {
    pub disk: PathBuf,
    pub entry: Entry,
    /// A regular file the walk did not stat ([`Stat::WhenOpened`]): its
    /// size, mode and time are still zero, to be read from the open file.
    pub stat_later: bool,
    /// Its folder, held open by the walk, and its name there: opened
    /// relative to the folder (Unix `openat`), a file costs no look-up of
    /// every component of its path again.
    pub in_folder: Option<InFolder>,
}

#[derive(Debug, Clone)]
pub struct InFolder {
    pub folder: Arc<Folder>,
    pub name: OsString,
}

/// An open folder. At most [`MAX_FOLDERS`] are open at once, whatever the
/// tree: past that, files are opened by their whole path, so a tree of
/// many small folders never runs the process out of file descriptors.
#[derive(Debug)]
pub struct Folder(pub File);

impl Drop for Folder {
    fn drop(&mut self) {
        FOLDERS_OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Folders are held open only on Unix (see [`open_folder`]).
#[cfg(unix)]
const MAX_FOLDERS: usize = 64;
static FOLDERS_OPEN: AtomicUsize = AtomicUsize::new(0);

/// A folder is held open for its files only when it has at least this
/// many (below that, the extra open costs more than it saves).
const FOLDER_HANDLE_FILES: usize = 8;

/// When the walk reads a regular file's size, mode and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    /// While walking: every source is complete (sizes can be added up
    /// before anything is read).
    Now,
    /// When the file is opened for packing. The folder listing already
    /// says which names are regular files, so a folder of many small files
    /// costs no stat per file in the walk; the one after opening, which
    /// pack needs anyway, gives the rest.
    WhenOpened,
}

fn name_of(path: &Path) -> Result<String> {
    let canon;
    let p = if path.file_name().is_none() {
        canon = crate::fsutil::canonicalize(path).at(path.display())?;
        canon.as_path()
    } else {
        path
    };
    let name = p
        .file_name()
        .ok_or_else(|| Error::new(Kind::Refused, "err-input-no-name").arg("path", path.display()))?;
    name.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::new(Kind::Refused, "err-name-not-utf8").arg("path", path.display()))
}

pub fn mode_of(meta: &Metadata) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o777
    }
    #[cfg(not(unix))]
    {
        if meta.is_dir() {
            0o755
        } else if meta.permissions().readonly() {
            0o444
        } else {
            0o644
        }
    }
}

pub fn mtime_of(meta: &Metadata) -> i64 {
    match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64),
        },
        Err(_) => 0,
    }
}

fn special(path: &Path) -> Error {
    Error::new(Kind::Refused, "err-special-file").arg("path", path.display())
}

/// Walks every input. Fails on the first thing that may not be packed.
pub fn collect(inputs: &[PathBuf]) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    each(inputs, Stat::Now, &mut |s| {
        out.push(s);
        Ok(())
    })?;
    Ok(out)
}

/// Walks every input, handing each source to `out` in archive order as it
/// is found. Fails on the first thing that may not be packed, past
/// [`MAX_ENTRIES`](super::format::MAX_ENTRIES) members, and past the other
/// limits of a vault (see [`Shape`](super::bounds::Shape)).
pub fn each(inputs: &[PathBuf], stat: Stat, out: &mut dyn FnMut(Source) -> Result<()>) -> Result<()> {
    let mut count = 0usize;
    let mut shape = super::bounds::Shape::default();
    let mut out = |s: Source| -> Result<()> {
        count += 1;
        if count > super::format::MAX_ENTRIES {
            return Err(Error::new(Kind::Refused, "err-too-many-members")
                .arg("count", count)
                .arg("max", super::format::MAX_ENTRIES));
        }
        shape.export(&s.entry).map_err(|e| e.packing())?;
        out(s)
    };
    let mut tops: Vec<String> = Vec::new();
    for input in inputs {
        let name = name_of(input)?;
        if name == RESERVED_DIR {
            return Err(Error::new(Kind::Refused, "err-reserved-name").arg("path", input.display()));
        }
        if tops.contains(&name) {
            return Err(Error::new(Kind::Refused, "err-duplicate-input").arg("name", &name));
        }
        tops.push(name.clone());
        let meta = fs::metadata(input).at(input.display())?;
        let root = crate::fsutil::canonicalize(input).at(input.display())?;
        visit(input, &name, &meta, &root, stat, &mut out)?;
    }
    Ok(())
}

fn visit(
    disk: &Path,
    member: &str,
    meta: &Metadata,
    root: &Path,
    stat: Stat,
    out: &mut dyn FnMut(Source) -> Result<()>,
) -> Result<()> {
    let member = member_name(disk, member)?;
    let ft = meta.file_type();
    let base = Entry {
        path: member.clone(),
        kind: EntryKind::File,
        size: 0,
        mode: mode_of(meta),
        mtime: mtime_of(meta),
        blake3: None,
        target: None,
    };
    if ft.is_symlink() {
        let target = fs::read_link(disk).at(disk.display())?;
        let target = relative_target(disk, &member, &target, root)?;
        out(Source {
            disk: disk.to_path_buf(),
            entry: Entry {
                kind: EntryKind::Symlink,
                mode: 0o777,
                target: Some(target),
                ..base
            },
            stat_later: false,
            in_folder: None,
        })?;
    } else if ft.is_file() {
        out(Source {
            disk: disk.to_path_buf(),
            entry: Entry {
                size: meta.len(),
                ..base
            },
            stat_later: false,
            in_folder: None,
        })?;
    } else if ft.is_dir() {
        out(Source {
            disk: disk.to_path_buf(),
            entry: Entry {
                kind: EntryKind::Dir,
                ..base
            },
            stat_later: false,
            in_folder: None,
        })?;
        // Each name is taken out once: sorting by `DirEntry::file_name`
        // would copy two names per comparison.
        let mut children = fs::read_dir(disk)
            .at(disk.display())?
            .map(|e| e.map(|e| (e.file_name(), e)))
            .collect::<std::io::Result<Vec<_>>>()
            .at(disk.display())?;
        children.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let files = || {
            children
                .iter()
                .filter(|(_, c)| c.file_type().is_ok_and(|t| t.is_file()))
                .count()
        };
        let folder = if stat == Stat::WhenOpened && files() >= FOLDER_HANDLE_FILES {
            open_folder(disk)
        } else {
            None
        };
        for (name, child) in children {
            let cpath = child.path();
            let cname = name
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| Error::new(Kind::Refused, "err-name-not-utf8").arg("path", cpath.display()))?;
            let cmember = format!("{member}/{cname}");
            if stat == Stat::WhenOpened && child.file_type().is_ok_and(|t| t.is_file()) {
                let in_folder = folder.as_ref().map(|f| InFolder {
                    folder: f.clone(),
                    name,
                });
                out(Source {
                    entry: Entry::file_to_stat(member_name(&cpath, &cmember)?),
                    disk: cpath,
                    stat_later: true,
                    in_folder,
                })?;
                continue;
            }
            // Relative to the open folder (fstatat), not a walk of the whole
            // path again; like symlink_metadata, it does not follow links.
            let cmeta = child.metadata().at(cpath.display())?;
            visit(&cpath, &cmember, &cmeta, root, stat, out)?;
        }
    } else {
        return Err(special(disk));
    }
    Ok(())
}

/// A folder opened to open files relative to it, where that is how files
/// are opened (Unix); `None` elsewhere, or if it cannot be opened (files
/// are then opened by their whole path, which reports any error).
fn open_folder(disk: &Path) -> Option<Arc<Folder>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if FOLDERS_OPEN.fetch_add(1, Ordering::Relaxed) >= MAX_FOLDERS {
            FOLDERS_OPEN.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        // From here a Folder's drop gives the count back; a failed open
        // does so at once.
        match fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(disk)
        {
            Ok(f) => Some(Arc::new(Folder(f))),
            Err(_) => {
                FOLDERS_OPEN.fetch_sub(1, Ordering::Relaxed);
                None
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = disk;
        None
    }
}

/// The member path for `disk`, or a refusal naming the file.
fn member_name(disk: &Path, member: &str) -> Result<String> {
    check_member_path(member).map_err(|_| Error::new(Kind::Refused, "err-name-unusable").arg("path", disk.display()))
}

/// Fills in what [`Stat::WhenOpened`] left out, from the open file's
/// metadata.
pub fn complete(entry: &mut Entry, meta: &Metadata) {
    entry.size = meta.len();
    entry.mode = mode_of(meta);
    entry.mtime = mtime_of(meta);
}

/// Turns a link target into a relative one that stays inside the tree,
/// or refuses the link.
fn relative_target(disk: &Path, member: &str, target: &Path, root: &Path) -> Result<String> {
    let outside = || Error::new(Kind::Refused, "err-link-outside").arg("path", disk.display());
    let rel = if target.is_absolute() {
        // Allowed only if it lands inside the packed tree; stored relative.
        let inside = target.strip_prefix(root).map_err(|_| outside())?;
        let depth = member.matches('/').count();
        let mut s = String::new();
        for _ in 1..depth {
            s.push_str("../");
        }
        let inside = inside.to_str().ok_or_else(outside)?;
        if inside.is_empty() {
            s.push('.');
        } else {
            s.push_str(inside);
        }
        s
    } else {
        target.to_str().ok_or_else(outside)?.to_string()
    };
    if !link_stays_inside(member, &rel) {
        return Err(outside());
    }
    Ok(rel)
}
