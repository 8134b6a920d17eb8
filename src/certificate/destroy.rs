//! Destroying files and folders for a deletion certificate, confined to
//! what was surveyed — to the standard of `rm --one-file-system
//! --preserve-root` and `shred`.
//!
//! **Survey** (before anything is touched): the folder holding a target is
//! opened once; from there every entry is reached relative to its opened
//! folder, never by following a link (`openat` with `O_NOFOLLOW`,
//! `fstatat` with `AT_SYMLINK_NOFOLLOW`). Each entry's identity (device,
//! inode, type, size, link count) is recorded, its content hashed (BLAKE3),
//! and every refusal decided: a link or special file as the target, a
//! target that is a mount point, anything inside on another file system,
//! files with other hard links, immutable or append-only files and
//! folders, files the user cannot write, folders the user cannot remove
//! entries from, a read-only file system.
//!
//! **Destruction**: every entry is reached again the same way and
//! compared with the survey; anything replaced, moved, linked or added
//! since stops it (`err-certify-changed`). First a pass that only checks,
//! then every regular file is overwritten in place once with pseudo-random
//! data through the descriptor just checked, and flushed; then every entry
//! is renamed to a random name in its (opened) folder and unlinked there,
//! folders bottom-up, each flushed; finally nothing may remain.
//!
//! This is a logical overwrite — NIST SP 800-88 "Clear" — with the limits
//! the certificate states (see `method` in `mod.rs`).
//!
//! The file-system primitives live behind [`Fs`]: `unix.rs` works on
//! descriptors; `portable.rs` (every other platform, e.g. Windows) works on
//! path names and cannot be confined the same way.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ssh_key::rand_core::{OsRng, RngCore};

use crate::error::{Error, IoContext, Kind, Result};

#[cfg(any(not(unix), test))]
mod portable;
#[cfg(unix)]
mod unix;

/// The primitives this platform destroys with.
#[cfg(unix)]
type Native = unix::Unix;
#[cfg(not(unix))]
type Native = portable::Portable;

/// What an entry of a surveyed tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    File,
    Dir,
    Link,
    /// FIFO, socket or device node inside a folder: unlinked, never opened.
    Other,
}

/// What the survey records of an entry, and what destruction compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    kind: NodeKind,
    dev: u64,
    ino: u64,
    size: u64,
    nlink: u64,
    uid: u32,
    /// Permission bits, with the sticky bit.
    mode: u32,
}

const STICKY: u32 = 0o1000;

impl Meta {
    /// Whether `now` is still the entry surveyed as `self`: the same type
    /// and inode on the same device; for a regular file also the same size
    /// and no new hard link.
    fn same(&self, now: &Meta) -> bool {
        let id = self.kind == now.kind && self.dev == now.dev && self.ino == now.ino;
        id && (self.kind != NodeKind::File || (self.size == now.size && self.nlink == now.nlink))
    }
}

/// The file-system primitives destruction is built on. `Folder` is an
/// opened folder (a descriptor on Unix); entries are always named
/// relative to one.
trait Fs {
    type Folder;
    /// Opens the folder holding a target, given by its canonical path.
    fn open_parent(path: &Path) -> Result<Self::Folder>;
    fn folder_meta(folder: &Self::Folder, path: &Path) -> Result<Meta>;
    /// The entry `name` of `dir`, not following a link.
    fn lstat(dir: &Self::Folder, name: &OsStr, path: &Path) -> Result<Meta>;
    /// Opens the folder `name` of `dir`; a link there is an error, never
    /// followed.
    fn open_folder(dir: &Self::Folder, name: &OsStr, path: &Path) -> Result<(Self::Folder, Meta)>;
    /// Opens the regular file `name` of `dir` for reading or writing; a
    /// link there is an error, never followed.
    fn open_file(dir: &Self::Folder, name: &OsStr, path: &Path, write: bool) -> Result<(File, Meta)>;
    /// The names in a folder (without `.` and `..`), byte-sorted.
    fn names(folder: &Self::Folder, path: &Path) -> Result<Vec<OsString>>;
    fn link_target(dir: &Self::Folder, name: &OsStr, path: &Path) -> Result<Vec<u8>>;
    /// Whether the entry is the root of a mount (a bind mount included).
    fn is_mount_root(dir: &Self::Folder, name: &OsStr) -> bool;
    fn read_only(folder: &Self::Folder) -> bool;
    /// Immutable or append-only (`chattr +i`, `+a`).
    fn file_locked(file: &File) -> bool;
    fn folder_locked(folder: &Self::Folder) -> bool;
    /// The effective user, where ownership decides what may be changed.
    fn euid() -> Option<u32>;
    /// Whether the user may open the file for writing as it is.
    fn file_writable(dir: &Self::Folder, name: &OsStr) -> bool;
    /// Whether the user may add and remove entries in the folder as it is.
    fn folder_writable(folder: &Self::Folder) -> bool;
    /// Gives the owner read and write access to a file it is about to
    /// overwrite (the descriptor checked, or `dir`/`name` where there is none).
    fn allow_owner_file(file: &File, dir: &Self::Folder, name: &OsStr);
    /// Gives the owner the access removing entries needs.
    fn allow_owner_folder(folder: &Self::Folder);
    fn rename(dir: &Self::Folder, from: &OsStr, to: &OsStr, path: &Path) -> Result<()>;
    fn remove(dir: &Self::Folder, name: &OsStr, kind: NodeKind, path: &Path) -> Result<()>;
    fn sync(folder: &Self::Folder, path: &Path) -> Result<()>;
}

/// One surveyed entry: a file, link or special file, or a folder with
/// everything in it.
#[derive(Debug)]
struct Entry {
    /// Its name in its folder.
    name: OsString,
    /// For messages.
    path: PathBuf,
    meta: Meta,
    /// A folder's entries, byte-sorted.
    children: Vec<Entry>,
}

/// A surveyed target together with the folder holding it, opened.
struct Tree<F: Fs> {
    parent: F::Folder,
    entry: Entry,
}

/// A file or folder surveyed for destruction.
pub struct Target {
    /// Absolute path (the folders above it resolved, the last component not).
    pub path: PathBuf,
    pub is_dir: bool,
    /// Bytes in regular files.
    pub size: u64,
    /// Regular files.
    pub files: u64,
    /// BLAKE3 of the file, or the tree digest of the folder.
    pub blake3: String,
    /// What is destroyed: one tree, one per volume of a split vault, or
    /// none for a lost vault.
    trees: Vec<Tree<Native>>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("path", &self.path)
            .field("is_dir", &self.is_dir)
            .field("size", &self.size)
            .field("files", &self.files)
            .field("blake3", &self.blake3)
            .finish_non_exhaustive()
    }
}

/// The absolute form of `path` with its parent folders resolved and the
/// last component kept as is (so a link given by the user is seen as one).
/// The root, by any spelling, is refused.
pub fn absolute(path: &Path) -> Result<PathBuf> {
    let Some(name) = path.file_name() else {
        if crate::fsutil::canonicalize(path).is_ok_and(|p| p.parent().is_none()) {
            return Err(Error::new(Kind::Refused, "err-certify-too-wide").arg("path", path.display()));
        }
        return Err(Error::new(Kind::Usage, "err-certify-path-unusable").arg("path", path.display()));
    };
    let parent = crate::fsutil::parent_dir(path);
    let parent = crate::fsutil::canonicalize(&parent).at(path.display())?;
    let joined = parent.join(name);
    // Windows names are case-insensitive and may be short (8.3) aliases:
    // the last component as it is on disk, unless it is a link (kept as
    // given, to be seen as one).
    #[cfg(windows)]
    if std::fs::symlink_metadata(&joined).is_ok_and(|m| !m.file_type().is_symlink()) {
        if let Ok(c) = crate::fsutil::canonicalize(&joined) {
            if c.parent() == Some(parent.as_path()) {
                return Ok(c);
            }
        }
    }
    Ok(joined)
}

fn changed(path: &Path) -> Error {
    Error::new(Kind::Refused, "err-certify-changed").arg("path", path.display())
}

/// The bytes of a name, as the tree digest hashes them.
fn name_bytes(s: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    return std::borrow::Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s));
    #[cfg(not(unix))]
    return std::borrow::Cow::Owned(s.to_string_lossy().into_owned().into_bytes());
}

/// Whether the user may remove an entry from a folder with the sticky
/// bit (only the entry's or the folder's owner, or root, may).
fn sticky_allows<F: Fs>(folder: &Meta, entry: &Meta) -> bool {
    match F::euid() {
        Some(u) if u != 0 && folder.mode & STICKY != 0 => u == folder.uid || u == entry.uid,
        _ => true,
    }
}

/// Whether the user may remove entries from a folder of the tree: as it
/// is, or after giving its owner access (when the user is the owner).
fn folder_removable<F: Fs>(folder: &F::Folder, meta: &Meta) -> bool {
    F::euid() == Some(meta.uid) || F::folder_writable(folder)
}

fn folder_locked(folder: &Path, path: &Path) -> Error {
    Error::new(Kind::Refused, "err-certify-folder-locked")
        .arg("path", path.display())
        .arg("folder", folder.display())
}

fn immutable(path: &Path) -> Error {
    Error::new(Kind::Refused, "err-certify-immutable").arg("path", path.display())
}

/// What a survey adds up.
struct Tally<'a> {
    /// The target's path and device: entries are named relative to it in
    /// the digest, and must be on its file system.
    root: &'a Path,
    dev: u64,
    size: u64,
    files: u64,
    listing: blake3::Hasher,
    /// Also fed with every file's bytes (a split vault's volumes, in order).
    stream: Option<&'a mut blake3::Hasher>,
    /// Whether the target is to be destroyed (else only hashed: a vault
    /// handed back may sit on a read-only or write-protected medium).
    destroying: bool,
}

/// Surveys `path` with the primitives of `F`, for destruction or (not
/// `destroying`) only to hash it.
fn survey_tree<F: Fs>(path: &Path, stream: Option<&mut blake3::Hasher>, destroying: bool) -> Result<(Tree<F>, Target)> {
    let path = absolute(path)?;
    let name = path.file_name().expect("absolute paths have a name").to_os_string();
    let parent_path = crate::fsutil::parent_dir(&path);
    let parent = F::open_parent(&parent_path)?;
    let parent_meta = F::folder_meta(&parent, &parent_path)?;
    let meta = F::lstat(&parent, &name, &path)?;
    match meta.kind {
        NodeKind::Link => return Err(Error::new(Kind::Refused, "err-certify-link").arg("path", path.display())),
        NodeKind::Other => return Err(Error::new(Kind::Refused, "err-special-file").arg("path", path.display())),
        NodeKind::File | NodeKind::Dir => {}
    }
    if destroying {
        if meta.dev != parent_meta.dev || F::is_mount_root(&parent, &name) {
            return Err(Error::new(Kind::Refused, "err-certify-mount-point").arg("path", path.display()));
        }
        if F::read_only(&parent) {
            return Err(Error::new(Kind::Refused, "err-certify-read-only").arg("path", path.display()));
        }
        if F::folder_locked(&parent) {
            return Err(immutable(&parent_path));
        }
        if !F::folder_writable(&parent) || !sticky_allows::<F>(&parent_meta, &meta) {
            return Err(folder_locked(&parent_path, &path));
        }
    }
    let mut tally = Tally {
        root: &path,
        dev: meta.dev,
        size: 0,
        files: 0,
        listing: blake3::Hasher::new(),
        stream,
        destroying,
    };
    let (entry, blake3) = if meta.kind == NodeKind::File {
        let (entry, hash) = survey_file::<F>(&parent, name, path.clone(), meta, &mut tally)?;
        (entry, hash)
    } else {
        let entry = survey_dir::<F>(&parent, name, path.clone(), PathBuf::new(), meta, &mut tally)?;
        (entry, tally.listing.finalize().to_hex().to_string())
    };
    let target = Target {
        path: path.clone(),
        is_dir: meta.kind == NodeKind::Dir,
        size: tally.size,
        files: tally.files,
        blake3,
        trees: vec![],
    };
    Ok((Tree { parent, entry }, target))
}

/// Surveys a regular file: its refusals, then its BLAKE3, read through the
/// descriptor that was checked.
fn survey_file<F: Fs>(
    dir: &F::Folder,
    name: OsString,
    path: PathBuf,
    meta: Meta,
    tally: &mut Tally,
) -> Result<(Entry, String)> {
    if meta.nlink > 1 {
        return Err(Error::new(Kind::Refused, "err-certify-hard-link").arg("path", path.display()));
    }
    let (mut file, opened) = F::open_file(dir, &name, &path, false)?;
    if !meta.same(&opened) {
        return Err(changed(&path));
    }
    if tally.destroying && F::file_locked(&file) {
        return Err(immutable(&path));
    }
    if tally.destroying && F::euid() != Some(meta.uid) && !F::file_writable(dir, &name) {
        return Err(Error::new(Kind::Refused, "err-certify-not-writable").arg("path", path.display()));
    }
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut read = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, path.display())),
        };
        h.update(&buf[..n]);
        if let Some(s) = tally.stream.as_deref_mut() {
            s.update(&buf[..n]);
        }
        read += n as u64;
    }
    if read != meta.size {
        return Err(changed(&path));
    }
    tally.size += meta.size;
    tally.files += 1;
    let entry = Entry {
        name,
        path,
        meta,
        children: vec![],
    };
    Ok((entry, h.finalize().to_hex().to_string()))
}

/// Surveys a folder and everything in it, depth-first in byte order,
/// adding a line per entry to the tree digest (docs/CERTIFICATE.md):
/// `TYPE SIZE BLAKE3 RELATIVE-PATH\n`.
fn survey_dir<F: Fs>(
    parent: &F::Folder,
    name: OsString,
    path: PathBuf,
    rel: PathBuf,
    meta: Meta,
    tally: &mut Tally,
) -> Result<Entry> {
    let (dir, opened) = F::open_folder(parent, &name, &path)?;
    if !meta.same(&opened) {
        return Err(changed(&path));
    }
    if tally.destroying && F::folder_locked(&dir) {
        return Err(immutable(&path));
    }
    let removable = !tally.destroying || folder_removable::<F>(&dir, &meta);
    let mut children = vec![];
    for child in F::names(&dir, &path)? {
        let cpath = path.join(&child);
        let crel = rel.join(&child);
        let m = F::lstat(&dir, &child, &cpath)?;
        if tally.destroying && (m.dev != tally.dev || F::is_mount_root(&dir, &child)) {
            return Err(Error::new(Kind::Refused, "err-certify-other-fs")
                .arg("path", cpath.display())
                .arg("root", tally.root.display()));
        }
        if !removable || !sticky_allows::<F>(&meta, &m) {
            return Err(folder_locked(&path, &cpath));
        }
        let (tag, size, hash) = match m.kind {
            NodeKind::Link => {
                let target = F::link_target(&dir, &child, &cpath)?;
                ("l", 0, blake3::hash(&target).to_hex().to_string())
            }
            NodeKind::File => ("f", m.size, String::new()),
            NodeKind::Dir => ("d", 0, "-".to_string()),
            NodeKind::Other => ("o", 0, "-".to_string()),
        };
        let (entry, hash) = if m.kind == NodeKind::File {
            survey_file::<F>(&dir, child, cpath, m, tally)?
        } else {
            let leaf = Entry {
                name: child,
                path: cpath,
                meta: m,
                children: vec![],
            };
            (leaf, hash)
        };
        tally.listing.update(format!("{tag} {size} {hash} ").as_bytes());
        tally.listing.update(&name_bytes(crel.as_os_str()));
        tally.listing.update(b"\n");
        let entry = if m.kind == NodeKind::Dir {
            survey_dir::<F>(&dir, entry.name, entry.path, crel, m, tally)?
        } else {
            entry
        };
        children.push(entry);
    }
    Ok(Entry {
        name,
        path,
        meta,
        children,
    })
}

/// Surveys `path`: refuses (before anything is touched) what destroying it
/// could not confine to it — links and special files at the top, a mount
/// point, other file systems inside, files with other hard links,
/// immutable or append-only entries, what the user cannot overwrite or
/// remove — and hashes everything.
pub fn survey(path: &Path) -> Result<Target> {
    let (tree, mut t) = survey_tree::<Native>(path, None, true)?;
    t.trees.push(tree);
    Ok(t)
}

/// Surveys a vault, single or split, to destroy it or (not `destroying`)
/// only to hash it: a vault handed back is not refused for being on a
/// read-only medium.
pub fn survey_vault(vault: &Path, destroying: bool) -> Result<Target> {
    if crate::naming::is_split(vault) {
        return survey_volumes(vault, destroying);
    }
    let (tree, mut t) = survey_tree::<Native>(vault, None, destroying)?;
    t.trees.push(tree);
    Ok(t)
}

/// Surveys the volumes of a split vault (`x.kura.001`, `x.kura.002`, …) as
/// one target named `vault`: sizes added up, the BLAKE3 of their
/// concatenation (the ciphertext the receipt describes, read through the
/// descriptors surveyed), every volume a file to destroy.
fn survey_volumes(vault: &Path, destroying: bool) -> Result<Target> {
    let volumes = crate::vault::volumes::files(vault)?;
    let mut stream = blake3::Hasher::new();
    let mut t = Target {
        path: absolute(vault)?,
        is_dir: false,
        size: 0,
        files: 0,
        blake3: String::new(),
        trees: vec![],
    };
    for v in &volumes {
        let (tree, one) = survey_tree::<Native>(v, Some(&mut stream), destroying)?;
        if one.is_dir {
            return Err(Error::new(Kind::Refused, "err-special-file").arg("path", v.display()));
        }
        t.size += one.size;
        t.files += 1;
        t.trees.push(tree);
    }
    t.blake3 = stream.finalize().to_hex().to_string();
    Ok(t)
}

/// A vault that is no longer here because it was lost: nothing to destroy,
/// its size and hash as its receipt states them.
pub fn lost(path: &Path, size: u64, blake3: &str) -> Result<Target> {
    Ok(Target {
        path: absolute(path)?,
        is_dir: false,
        size,
        files: 0,
        blake3: blake3.to_string(),
        trees: vec![],
    })
}

/// Whether anything of `t` is still there (for a split vault: any volume).
pub fn target_remains(t: &Target) -> bool {
    remains(&t.path) || t.trees.iter().any(|tree| remains(&tree.entry.path))
}

/// Whether anything is still at `path` (a link counts; a dangling one too).
pub fn remains(path: &Path) -> bool {
    !matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// How far a destruction got before it stopped.
#[derive(Debug)]
pub struct Stopped {
    pub error: Error,
    /// Regular files of the target already overwritten.
    pub overwritten: u64,
    /// Entries of the target already removed.
    pub removed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Every entry reached again and compared with the survey; nothing changed.
    Check,
    /// Files overwritten, folders opened up for removal.
    Overwrite,
    /// Entries renamed away and unlinked, bottom-up.
    Remove,
}

#[derive(Debug, Default)]
struct Progress {
    overwritten: u64,
    removed: u64,
}

/// Checks, without changing anything, that every entry of `t` is still
/// the one surveyed and nothing was added.
pub fn recheck(t: &Target) -> Result<()> {
    let mut p = Progress::default();
    t.trees
        .iter()
        .try_for_each(|tree| run::<Native>(tree, Pass::Check, &mut p))
}

/// Destroys a surveyed target, touching only what the survey recorded.
/// Every regular file is overwritten and flushed before anything is
/// unlinked; anything changed since the survey stops it.
pub fn destroy(t: &Target) -> std::result::Result<(), Stopped> {
    destroy_trees::<Native>(&t.trees, &t.path)
}

/// Removes a surveyed vault without overwriting it: for ciphertext, whose
/// protection is its encryption (a prune run, docs/CERTIFICATE.md). Every
/// entry is reached and compared as [`destroy`] does; only the overwrite
/// pass is left out.
pub fn remove_ciphertext(t: &Target) -> std::result::Result<(), Stopped> {
    remove_trees::<Native>(&t.trees, &t.path, false)
}

fn destroy_trees<F: Fs>(trees: &[Tree<F>], path: &Path) -> std::result::Result<(), Stopped> {
    remove_trees::<F>(trees, path, true)
}

fn remove_trees<F: Fs>(trees: &[Tree<F>], path: &Path, overwrite: bool) -> std::result::Result<(), Stopped> {
    let mut p = Progress::default();
    let all = |pass, p: &mut Progress| trees.iter().try_for_each(|tree| run::<F>(tree, pass, p));
    let res = all(Pass::Check, &mut p)
        .and_then(|()| {
            if overwrite {
                all(Pass::Overwrite, &mut p)
            } else {
                Ok(())
            }
        })
        .and_then(|()| all(Pass::Remove, &mut p))
        .and_then(|()| match remains(path) {
            true => Err(Error::new(Kind::Io, "err-certify-remains").arg("path", path.display())),
            false => Ok(()),
        });
    res.map_err(|error| Stopped {
        error,
        overwritten: p.overwritten,
        removed: p.removed,
    })
}

fn run<F: Fs>(tree: &Tree<F>, pass: Pass, p: &mut Progress) -> Result<()> {
    visit::<F>(&tree.parent, &tree.entry, pass, p)?;
    if pass == Pass::Remove {
        F::sync(&tree.parent, crate::fsutil::parent_dir(&tree.entry.path).as_path())?;
    }
    Ok(())
}

/// One pass over `e` (in `dir`, opened): reached again without following
/// links and compared with the survey before anything is done to it.
fn visit<F: Fs>(dir: &F::Folder, e: &Entry, pass: Pass, p: &mut Progress) -> Result<()> {
    if !e.meta.same(&F::lstat(dir, &e.name, &e.path)?) {
        return Err(changed(&e.path));
    }
    match e.meta.kind {
        NodeKind::File if pass == Pass::Overwrite => {
            let (file, now) = F::open_file(dir, &e.name, &e.path, false)?;
            if !e.meta.same(&now) {
                return Err(changed(&e.path));
            }
            F::allow_owner_file(&file, dir, &e.name);
            let (mut w, now) = F::open_file(dir, &e.name, &e.path, true)?;
            if !e.meta.same(&now) {
                return Err(changed(&e.path));
            }
            overwrite(&mut w, e.meta.size, &e.path)?;
            p.overwritten += 1;
        }
        NodeKind::Dir => {
            let (folder, now) = F::open_folder(dir, &e.name, &e.path)?;
            if !e.meta.same(&now) {
                return Err(changed(&e.path));
            }
            let names = F::names(&folder, &e.path)?;
            if let Some(n) = names.iter().find(|n| !e.children.iter().any(|c| &c.name == *n)) {
                return Err(changed(&e.path.join(n)));
            }
            if let Some(c) = e.children.iter().find(|c| !names.contains(&c.name)) {
                return Err(changed(&c.path));
            }
            if pass == Pass::Overwrite {
                F::allow_owner_folder(&folder);
            }
            if pass == Pass::Remove {
                for c in e.children.iter().rev() {
                    visit::<F>(&folder, c, pass, p)?;
                }
                // Its entries are gone: flush that before removing it.
                F::sync(&folder, &e.path)?;
            } else {
                for c in &e.children {
                    visit::<F>(&folder, c, pass, p)?;
                }
            }
        }
        _ => {}
    }
    if pass == Pass::Remove {
        // A random name first, so the original one does not stay in the
        // folder's freed entries.
        let mut r = [0u8; 8];
        OsRng.fill_bytes(&mut r);
        let hex: String = r.iter().map(|b| format!("{b:02x}")).collect();
        let away = OsString::from(format!(".kura-destroy-{hex}"));
        F::rename(dir, &e.name, &away, &e.path)?;
        let moved = F::lstat(dir, &away, &e.path)?;
        let same = moved.kind == e.meta.kind && moved.dev == e.meta.dev && moved.ino == e.meta.ino;
        if !same {
            return Err(changed(&e.path));
        }
        F::remove(dir, &away, e.meta.kind, &e.path)?;
        p.removed += 1;
    }
    Ok(())
}

/// Overwrites `len` bytes of a regular file in place, once, with
/// pseudo-random bytes (BLAKE3 in keyed XOF mode with a fresh random key,
/// so the pattern can neither be compressed nor deduplicated away by the
/// medium), then fsyncs.
fn overwrite(f: &mut File, len: u64, path: &Path) -> Result<()> {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    let mut stream = blake3::Hasher::new_keyed(&key).finalize_xof();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        stream.read_exact(&mut buf[..n]).at(path.display())?;
        f.write_all(&buf[..n]).at(path.display())?;
        left -= n as u64;
    }
    f.sync_all().at(path.display())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    /// A tree to destroy and, beside it, a file and a folder that are not
    /// part of it.
    struct Scene {
        _d: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
        kept: PathBuf,
    }

    impl Scene {
        fn new() -> Scene {
            let d = tempfile::tempdir().unwrap();
            let outside = d.path().join("outside");
            fs::create_dir_all(outside.join("dir")).unwrap();
            let kept = outside.join("kept.txt");
            fs::write(&kept, "not mine").unwrap();
            fs::set_permissions(&kept, fs::Permissions::from_mode(0o444)).unwrap();
            fs::write(outside.join("dir/also.txt"), "not mine either").unwrap();
            let root = d.path().join("work");
            fs::create_dir_all(root.join("a/b")).unwrap();
            fs::write(root.join("a/b/x.csv"), "1,2,3\n").unwrap();
            fs::write(root.join("a/first.txt"), "first").unwrap();
            fs::write(root.join("y.txt"), "hello").unwrap();
            Scene {
                _d: d,
                root,
                outside,
                kept,
            }
        }

        /// Nothing outside the tree was touched, and nothing of the tree
        /// was overwritten.
        fn assert_untouched(&self) {
            assert_eq!(fs::read_to_string(&self.kept).unwrap(), "not mine");
            assert_eq!(mode(&self.kept), 0o444, "the mode of a file outside is kept");
            let also = self.outside.join("dir/also.txt");
            assert_eq!(fs::read_to_string(also).unwrap(), "not mine either");
            assert_eq!(mode(&self.outside.join("dir")), 0o755);
            assert_eq!(fs::read_to_string(self.root.join("y.txt")).unwrap(), "hello");
            assert_eq!(fs::read_to_string(self.root.join("a/first.txt")).unwrap(), "first");
        }
    }

    #[test]
    fn a_tree_is_hashed_then_destroyed_without_following_links() {
        let outside = tempfile::tempdir().unwrap();
        let kept = outside.path().join("kept.txt");
        fs::write(&kept, "not mine").unwrap();
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("work");
        fs::create_dir_all(root.join("a/b")).unwrap();
        fs::write(root.join("a/b/x.csv"), "1,2,3\n").unwrap();
        fs::write(root.join("y.txt"), "hello").unwrap();
        let ro = <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o444);
        fs::set_permissions(root.join("y.txt"), ro).unwrap();
        std::os::unix::fs::symlink(&kept, root.join("link")).unwrap();
        let t = survey(&root).unwrap();
        assert_eq!((t.files, t.size), (2, 11));
        assert_eq!(survey(&root).unwrap().blake3, t.blake3, "the digest is stable");
        destroy(&t).unwrap();
        assert!(!remains(&root));
        assert_eq!(fs::read_to_string(&kept).unwrap(), "not mine");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0, "no renamed leftovers");
    }

    #[test]
    fn a_file_with_another_hard_link_is_refused() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a"), "x").unwrap();
        fs::hard_link(d.path().join("a"), d.path().join("b")).unwrap();
        assert_eq!(survey(&d.path().join("a")).unwrap_err().id, "err-certify-hard-link");
    }

    #[test]
    fn the_tree_digest_is_the_documented_listing() {
        let s = Scene::new();
        std::os::unix::fs::symlink("../elsewhere", s.root.join("link")).unwrap();
        let h = |b: &[u8]| blake3::hash(b).to_hex().to_string();
        let listing = format!(
            "d 0 - a\nd 0 - a/b\nf 6 {} a/b/x.csv\nf 5 {} a/first.txt\nl 0 {} link\nf 5 {} y.txt\n",
            h(b"1,2,3\n"),
            h(b"first"),
            h(b"../elsewhere"),
            h(b"hello")
        );
        let t = survey(&s.root).unwrap();
        assert_eq!(t.blake3, h(listing.as_bytes()));
        assert_eq!((t.files, t.size), (3, 16));
    }

    #[test]
    fn the_path_based_primitives_survey_and_destroy_the_same_tree() {
        let s = Scene::new();
        std::os::unix::fs::symlink(&s.kept, s.root.join("link")).unwrap();
        let native = survey(&s.root).unwrap();
        let (tree, t) = survey_tree::<portable::Portable>(&s.root, None, true).unwrap();
        assert_eq!(
            (t.blake3, t.files, t.size),
            (native.blake3.clone(), native.files, native.size)
        );
        destroy_trees::<portable::Portable>(&[tree], &t.path).unwrap();
        assert!(!remains(&s.root));
        assert_eq!(fs::read_to_string(&s.kept).unwrap(), "not mine");
        assert_eq!(mode(&s.kept), 0o444);
    }

    /// Destroying `t` stops on `path` before anything is overwritten.
    fn assert_stopped_untouched(s: &Scene, t: &Target, path: &Path) {
        let e = recheck(t).unwrap_err();
        assert_eq!(
            (e.id, e.args[0].1.as_str()),
            ("err-certify-changed", &*path.to_string_lossy())
        );
        let stopped = destroy(t).unwrap_err();
        assert_eq!(stopped.error.id, "err-certify-changed");
        assert_eq!((stopped.overwritten, stopped.removed), (0, 0));
        s.assert_untouched();
    }

    #[test]
    fn a_file_swapped_for_a_link_after_the_survey_stops_everything() {
        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        let x = s.root.join("a/b/x.csv");
        fs::remove_file(&x).unwrap();
        std::os::unix::fs::symlink(&s.kept, &x).unwrap();
        assert_stopped_untouched(&s, &t, &x);
    }

    #[test]
    fn a_folder_swapped_for_a_link_after_the_survey_stops_everything() {
        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        let b = s.root.join("a/b");
        fs::rename(&b, s.outside.join("b-moved")).unwrap();
        std::os::unix::fs::symlink(s.outside.join("dir"), &b).unwrap();
        assert_stopped_untouched(&s, &t, &b);
    }

    #[test]
    fn the_target_swapped_for_a_link_after_the_survey_stops_everything() {
        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        fs::rename(&s.root, s.outside.join("moved")).unwrap();
        std::os::unix::fs::symlink(&s.outside, &s.root).unwrap();
        let e = destroy(&t).unwrap_err();
        assert_eq!((e.error.id, e.overwritten), ("err-certify-changed", 0));
        assert_eq!(fs::read_to_string(&s.kept).unwrap(), "not mine");
        let moved = s.outside.join("moved/y.txt");
        assert_eq!(fs::read_to_string(moved).unwrap(), "hello");
    }

    #[test]
    fn another_inode_a_new_entry_or_a_new_hard_link_stops_everything() {
        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        let x = s.root.join("a/b/x.csv");
        fs::rename(&x, s.outside.join("x.csv")).unwrap();
        fs::write(&x, "4,5,6\n").unwrap();
        assert_stopped_untouched(&s, &t, &x);

        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        let new = s.root.join("a/b/new.txt");
        fs::write(&new, "late").unwrap();
        assert_stopped_untouched(&s, &t, &new);

        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        let x = s.root.join("a/b/x.csv");
        fs::hard_link(&x, s.outside.join("hard")).unwrap();
        assert_stopped_untouched(&s, &t, &x);
        assert_eq!(fs::read_to_string(s.outside.join("hard")).unwrap(), "1,2,3\n");
    }

    /// Runs `chattr FLAGS PATH`; false (with a note) where the file system
    /// does not support the flag.
    fn chattr(flags: &str, path: &Path) -> bool {
        let out = std::process::Command::new("chattr").arg(flags).arg(path).output();
        let out = out.expect("chattr must be installed for these tests");
        if !out.status.success() {
            eprintln!(
                "note: chattr {flags} is not supported here ({}); that assertion is skipped",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        out.status.success()
    }

    #[test]
    fn immutable_or_append_only_entries_are_refused_before_anything_is_touched() {
        let s = Scene::new();
        let cases = [
            ("+i", s.root.join("y.txt")),
            ("+a", s.root.join("a/b/x.csv")),
            ("+i", s.root.join("a")),
        ];
        for (flag, path) in cases {
            if !chattr(flag, &path) {
                continue;
            }
            let e = survey(&s.root).unwrap_err();
            chattr(&flag.replace('+', "-"), &path);
            assert_eq!(
                (e.id, e.args[0].1.as_str()),
                ("err-certify-immutable", &*path.to_string_lossy())
            );
            s.assert_untouched();
        }
    }

    #[test]
    fn a_failure_part_way_says_how_far_destruction_got() {
        let s = Scene::new();
        let t = survey(&s.root).unwrap();
        // After the survey, so only destruction itself runs into it.
        let y = s.root.join("y.txt");
        if !chattr("+i", &y) {
            return;
        }
        let stopped = destroy(&t).unwrap_err();
        chattr("-i", &y);
        assert_eq!(stopped.error.args[0].1, y.display().to_string(), "{}", stopped.error);
        assert_eq!((stopped.overwritten, stopped.removed), (2, 0));
        assert_eq!(fs::read_to_string(&y).unwrap(), "hello");
        assert_ne!(fs::read(s.root.join("a/first.txt")).unwrap(), b"first");
    }

    #[test]
    fn the_root_is_refused_by_any_spelling() {
        for p in ["/", "/.", "//", "/tmp/..", "/usr/../tmp/.."] {
            assert_eq!(absolute(Path::new(p)).unwrap_err().id, "err-certify-too-wide", "{p}");
        }
        let d = tempfile::tempdir().unwrap();
        let up = d.path().join("up");
        std::os::unix::fs::symlink("/", &up).unwrap();
        assert_eq!(survey(&up).unwrap_err().id, "err-certify-link");
        assert_eq!(survey(&up.join(".")).unwrap_err().id, "err-certify-link");
        assert_eq!(absolute(Path::new(".")).unwrap_err().id, "err-certify-path-unusable");
    }
}
