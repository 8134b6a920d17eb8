//! Destroying files and folders for a deletion certificate: survey first
//! (sizes, BLAKE3, refusals) so nothing is touched unless everything can
//! be; then overwrite every regular file in place with pseudo-random data,
//! fsync it, rename it to a random name and unlink it, remove the folders
//! bottom-up, flush each folder, and finally check that nothing remains.
//!
//! Links are never followed: a symbolic link inside a folder is removed,
//! not its target. This is a logical overwrite — NIST SP 800-88 "Clear" —
//! with the limits the certificate states (see `method` in `mod.rs`).

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ssh_key::rand_core::{OsRng, RngCore};

use crate::error::{Error, IoContext, Kind, Result};

/// What a node of a surveyed tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    File,
    Dir,
    Link,
    /// FIFO, socket or device node inside a folder: unlinked, never opened.
    Other,
}

#[derive(Debug, Clone)]
struct Node {
    path: PathBuf,
    kind: NodeKind,
}

/// A file or folder surveyed for destruction.
#[derive(Debug, Clone)]
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
    /// Depth-first, parents before children; the root first.
    nodes: Vec<Node>,
}

/// The absolute form of `path` with its parent folders resolved and the
/// last component kept as is (so a link given by the user is seen as one).
pub fn absolute(path: &Path) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::new(Kind::Usage, "err-certify-path-unusable").arg("path", path.display()))?;
    let parent = crate::fsutil::parent_dir(path);
    let parent = fs::canonicalize(&parent).at(path.display())?;
    Ok(parent.join(name))
}

fn hash_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).at(path.display())?;
    let mut h = blake3::Hasher::new();
    h.update_reader(&mut f).at(path.display())?;
    Ok(h.finalize().to_hex().to_string())
}

/// Surveys the volumes of a split vault (`x.kura.001`, `x.kura.002`, …) as
/// one target named `vault`: sizes added up, the BLAKE3 of their
/// concatenation (the ciphertext the receipt describes), every volume a file
/// to destroy.
pub fn survey_volumes(vault: &Path) -> Result<Target> {
    let volumes = crate::vault::volumes::files(vault)?;
    let mut t = Target {
        path: absolute(vault)?,
        is_dir: false,
        size: 0,
        files: 0,
        blake3: crate::vault::volumes::hash(vault)?,
        nodes: vec![],
    };
    for v in &volumes {
        let one = survey(v)?;
        if one.is_dir {
            return Err(Error::new(Kind::Refused, "err-special-file").arg("path", v.display()));
        }
        t.size += one.size;
        t.files += 1;
        t.nodes.extend(one.nodes);
    }
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
        nodes: vec![],
    })
}

/// Whether anything of `t` is still there (for a split vault: any volume).
pub fn target_remains(t: &Target) -> bool {
    remains(&t.path) || t.nodes.iter().any(|n| remains(&n.path))
}

/// Surveys `path`: refuses links and special files at the top and files
/// with other hard links (destroying them would change files elsewhere);
/// hashes everything.
pub fn survey(path: &Path) -> Result<Target> {
    let path = absolute(path)?;
    let meta = fs::symlink_metadata(&path).at(path.display())?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        return Err(Error::new(Kind::Refused, "err-certify-link").arg("path", path.display()));
    }
    if ft.is_file() {
        check_links(&path, &meta)?;
        return Ok(Target {
            blake3: hash_file(&path)?,
            size: meta.len(),
            files: 1,
            is_dir: false,
            nodes: vec![Node {
                path: path.clone(),
                kind: NodeKind::File,
            }],
            path,
        });
    }
    if !ft.is_dir() {
        return Err(Error::new(Kind::Refused, "err-special-file").arg("path", path.display()));
    }
    let mut t = Target {
        path: path.clone(),
        is_dir: true,
        size: 0,
        files: 0,
        blake3: String::new(),
        nodes: vec![Node {
            path: path.clone(),
            kind: NodeKind::Dir,
        }],
    };
    let mut listing = blake3::Hasher::new();
    walk(&path, &path, &mut t, &mut listing)?;
    t.blake3 = listing.finalize().to_hex().to_string();
    Ok(t)
}

fn check_links(path: &Path, meta: &fs::Metadata) -> Result<()> {
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(meta) > 1 {
        return Err(Error::new(Kind::Refused, "err-certify-hard-link").arg("path", path.display()));
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
    Ok(())
}

/// The bytes of a name, as the tree digest hashes them.
fn name_bytes(s: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    return std::borrow::Cow::Borrowed(std::os::unix::ffi::OsStrExt::as_bytes(s));
    #[cfg(not(unix))]
    return std::borrow::Cow::Owned(s.to_string_lossy().into_owned().into_bytes());
}

/// Gives the owner the access removal needs (`mode` on Unix: 0o600 for
/// files, 0o700 for folders); failures surface in the removal itself.
fn allow_owner(path: &Path, mode: u32) {
    #[cfg(unix)]
    let perms = <fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(mode);
    #[cfg(not(unix))]
    let perms = {
        let _ = mode;
        let mut p = match fs::metadata(path) {
            Ok(m) => m.permissions(),
            Err(_) => return,
        };
        p.set_readonly(false);
        p
    };
    let _ = fs::set_permissions(path, perms);
}

/// Adds the entries under `dir` to `t` in depth-first, byte-sorted order,
/// and their lines to the tree digest (docs/CERTIFICATE.md):
/// `TYPE SIZE BLAKE3 RELATIVE-PATH\n`.
fn walk(root: &Path, dir: &Path, t: &mut Target, listing: &mut blake3::Hasher) -> Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .at(dir.display())?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()
        .at(dir.display())?;
    names.sort_by(|a, b| name_bytes(a).cmp(&name_bytes(b)));
    for name in names {
        let path = dir.join(&name);
        let meta = fs::symlink_metadata(&path).at(path.display())?;
        let ft = meta.file_type();
        let (kind, tag, size, hash) = if ft.is_symlink() {
            let target = fs::read_link(&path).at(path.display())?;
            let h = blake3::hash(&name_bytes(target.as_os_str())).to_hex().to_string();
            (NodeKind::Link, "l", 0, h)
        } else if ft.is_file() {
            check_links(&path, &meta)?;
            t.size += meta.len();
            t.files += 1;
            (NodeKind::File, "f", meta.len(), hash_file(&path)?)
        } else if ft.is_dir() {
            (NodeKind::Dir, "d", 0, "-".to_string())
        } else {
            (NodeKind::Other, "o", 0, "-".to_string())
        };
        let rel = path.strip_prefix(root).unwrap_or(&path);
        listing.update(format!("{tag} {size} {hash} ").as_bytes());
        listing.update(&name_bytes(rel.as_os_str()));
        listing.update(b"\n");
        t.nodes.push(Node {
            path: path.clone(),
            kind,
        });
        if kind == NodeKind::Dir {
            walk(root, &path, t, listing)?;
        }
    }
    Ok(())
}

/// Overwrites a regular file in place, once, with pseudo-random bytes
/// (BLAKE3 in keyed XOF mode with a fresh random key, so the pattern can
/// neither be compressed nor deduplicated away by the medium), then fsyncs.
fn overwrite(path: &Path) -> Result<()> {
    allow_owner(path, 0o600);
    let mut f = OpenOptions::new().write(true).open(path).at(path.display())?;
    let len = f.metadata().at(path.display())?.len();
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

/// Renames `path` to a random name in the same folder (so its original
/// name does not stay in the folder's freed entries) and returns the new path.
fn rename_away(path: &Path) -> Result<PathBuf> {
    let mut r = [0u8; 8];
    OsRng.fill_bytes(&mut r);
    let name: String = r.iter().map(|b| format!("{b:02x}")).collect();
    let to = crate::fsutil::parent_dir(path).join(format!(".kura-destroy-{name}"));
    fs::rename(path, &to).at(path.display())?;
    Ok(to)
}

/// Destroys a surveyed target. Every regular file is overwritten and
/// flushed before anything is unlinked.
pub fn destroy(t: &Target) -> Result<()> {
    for n in &t.nodes {
        match n.kind {
            // Removing entries needs write and search permission on the folder.
            NodeKind::Dir => allow_owner(&n.path, 0o700),
            NodeKind::File => overwrite(&n.path)?,
            _ => {}
        }
    }
    for n in t.nodes.iter().rev() {
        if n.kind == NodeKind::Dir {
            // Its entries are gone: flush that before removing it.
            crate::fsutil::fsync_dir(&n.path)?;
            let moved = rename_away(&n.path)?;
            fs::remove_dir(&moved).at(n.path.display())?;
        } else {
            let moved = rename_away(&n.path)?;
            fs::remove_file(&moved).at(n.path.display())?;
        }
    }
    crate::fsutil::fsync_dir(&crate::fsutil::parent_dir(&t.path))?;
    if remains(&t.path) {
        return Err(Error::new(Kind::Io, "err-certify-remains").arg("path", t.path.display()));
    }
    Ok(())
}

/// Whether anything is still at `path` (a link counts; a dangling one too).
pub fn remains(path: &Path) -> bool {
    !matches!(fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

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
}
