//! Extraction through a stage: members are written into a hidden directory
//! inside DEST while the vault is checked; only when every check passed are
//! they moved into place. Any failure (or Ctrl-C) removes the stage.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use super::manifest::{Entry, EntryKind};
use super::open::{open_into, OpenRequest, Opened, Sink};
use crate::error::{Error, IoContext, Kind, Result};

/// Members written under `root` (the stage). Symbolic links are created only
/// after every file is written, so no write can ever follow one.
struct StageSink {
    root: PathBuf,
    links: Vec<Entry>,
}

fn join(root: &Path, member: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in member.split('/') {
        p.push(c);
    }
    p
}

fn to_time(mtime: i64) -> std::time::SystemTime {
    if mtime >= 0 {
        UNIX_EPOCH + Duration::from_secs(mtime as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(mtime.unsigned_abs())
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o777)).at(path.display())
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    let mut p = fs::metadata(path).at(path.display())?.permissions();
    p.set_readonly(mode & 0o200 == 0);
    fs::set_permissions(path, p).at(path.display())
}

impl StageSink {
    fn parent_ready(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).at(parent.display())?;
        }
        Ok(())
    }
}

impl Sink for StageSink {
    fn dir(&mut self, e: &Entry) -> Result<()> {
        let p = join(&self.root, &e.path);
        fs::create_dir_all(&p).at(p.display())
    }

    fn file(&mut self, e: &Entry, data: &mut dyn Read) -> Result<String> {
        let p = join(&self.root, &e.path);
        self.parent_ready(&p)?;
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&p)
            .at(p.display())?;
        let mut w = std::io::BufWriter::with_capacity(256 << 10, &mut f);
        let (hash, _) = super::open::hash_copy(data, |b| w.write_all(b).at(p.display()))?;
        w.flush().at(p.display())?;
        drop(w);
        f.set_modified(to_time(e.mtime)).at(p.display())?;
        drop(f);
        set_mode(&p, e.mode)?;
        Ok(hash)
    }

    fn symlink(&mut self, e: &Entry) -> Result<()> {
        self.links.push(e.clone());
        Ok(())
    }
}

fn make_link(target: &str, at: &Path) -> Result<()> {
    #[cfg(unix)]
    let r = std::os::unix::fs::symlink(target, at);
    #[cfg(windows)]
    let r = std::os::windows::fs::symlink_file(target.replace('/', "\\"), at);
    r.at(at.display())
}

/// Refuses when a destination path or one of its parents inside DEST is a
/// link (it could lead outside DEST), or would be overwritten without
/// `force`.
fn check_conflicts(dest: &Path, entries: &[Entry], force: bool) -> Result<()> {
    for e in entries {
        let mut p = dest.to_path_buf();
        let comps: Vec<&str> = e.path.split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            p.push(c);
            let last = i + 1 == comps.len();
            match fs::symlink_metadata(&p) {
                Err(_) => break,
                Ok(m) if m.file_type().is_symlink() => {
                    if last && e.kind != EntryKind::Dir && force {
                        continue; // a link replaced by --force, never followed
                    }
                    return Err(Error::new(Kind::Unsafe, "err-dest-link").arg("path", p.display()));
                }
                Ok(m) if !last => {
                    if !m.is_dir() {
                        return Err(Error::new(Kind::Exists, "err-dest-exists").arg("path", p.display()));
                    }
                }
                Ok(m) => {
                    let ok = match e.kind {
                        EntryKind::Dir => m.is_dir(),
                        _ => force && !m.is_dir(),
                    };
                    if !ok {
                        return Err(Error::new(Kind::Exists, "err-dest-exists").arg("path", p.display()));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Moves staged members into DEST: a whole top-level tree by one rename
/// when DEST does not have it yet, member by member otherwise.
fn move_into_place(stage: &Path, dest: &Path, entries: &[Entry]) -> Result<()> {
    let mut moved_tops: Vec<&str> = Vec::new();
    for e in entries {
        let top = e.path.split('/').next().unwrap_or("");
        if moved_tops.contains(&top) {
            continue;
        }
        let to = join(dest, &e.path);
        let from = join(stage, &e.path);
        if e.path == top && fs::symlink_metadata(&to).is_err() {
            fs::rename(&from, &to).at(to.display())?;
            moved_tops.push(top);
            continue;
        }
        match e.kind {
            EntryKind::Dir => {
                if fs::symlink_metadata(&to).is_err() {
                    fs::create_dir(&to).at(to.display())?;
                }
            }
            _ => {
                if let Ok(m) = fs::symlink_metadata(&to) {
                    if !m.is_dir() {
                        fs::remove_file(&to).at(to.display())?;
                    }
                }
                fs::rename(&from, &to).at(to.display())?;
            }
        }
    }
    Ok(())
}

pub(super) fn extract_staged(req: &OpenRequest, dest: &Path, force: bool, progress: &dyn Fn(u64)) -> Result<Opened> {
    let stage = tempfile::Builder::new()
        .prefix(".kura-stage-")
        .tempdir_in(dest)
        .at(dest.display())?;
    crate::interrupt::register(stage.path());
    let result = (|| {
        let mut sink = StageSink {
            root: stage.path().to_path_buf(),
            links: vec![],
        };
        let opened = open_into(req, &mut sink, progress)?;
        for l in &sink.links {
            let at = join(&sink.root, &l.path);
            sink.parent_ready(&at)?;
            make_link(l.target.as_deref().unwrap_or(""), &at)?;
            let _ = filetime::set_symlink_file_times(
                &at,
                filetime::FileTime::from_unix_time(l.mtime, 0),
                filetime::FileTime::from_unix_time(l.mtime, 0),
            );
        }
        check_conflicts(dest, &opened.manifest.entries, force)?;
        move_into_place(stage.path(), dest, &opened.manifest.entries)?;
        // Directory modes and times last, deepest first.
        for e in opened
            .manifest
            .entries
            .iter()
            .rev()
            .filter(|e| e.kind == EntryKind::Dir)
        {
            let p = join(dest, &e.path);
            set_mode(&p, e.mode | 0o700)?;
            let t = filetime::FileTime::from_unix_time(e.mtime, 0);
            filetime::set_file_mtime(&p, t).at(p.display())?;
            if e.mode & 0o700 != 0o700 {
                set_mode(&p, e.mode)?;
            }
        }
        crate::fsutil::fsync_dir(dest)?;
        Ok(opened)
    })();
    crate::interrupt::unregister(stage.path());
    let stage_path = stage.path().to_path_buf();
    if stage.close().is_err() {
        let _ = make_writable_and_remove(&stage_path);
    }
    result
}

/// Removes a tree even where modes forbid it (a failed stage).
fn make_writable_and_remove(p: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for entry in walk_dirs(p) {
            let _ = fs::set_permissions(&entry, fs::Permissions::from_mode(0o700));
        }
    }
    fs::remove_dir_all(p)
}

fn walk_dirs(p: &Path) -> Vec<PathBuf> {
    let mut out = vec![p.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if let Ok(rd) = fs::read_dir(&out[i]) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(e.path());
                }
            }
        }
        i += 1;
    }
    out
}
