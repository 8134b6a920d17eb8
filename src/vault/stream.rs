//! A stream packed as one file: standard input, a pipe named on the
//! command line (`<(…)`, a FIFO), or the standard output of a command kura
//! runs itself. A stream's length is known only at its end, and a tar
//! header needs it first: the stream is cut into parts of [`PART_BYTES`],
//! each read whole into memory and then written as a member of its own
//! (`NAME.part000001`, `NAME.part000002`, …; a stream shorter than one
//! part is the single member `NAME`). Memory stays at a few parts whatever
//! the stream's length, and nothing of it touches the disk unencrypted.
//! The manifest records the whole stream's size and BLAKE3 besides each
//! part's (docs/FORMAT.md).

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Kind, Result};

/// Bytes of one part (the last may be shorter).
pub const PART_BYTES: usize = 8 << 20;
/// Digits of a part's number: `NAME.part000001`.
pub const PART_DIGITS: usize = 6;
/// The most parts a stream may have (about 7.6 TiB).
pub const MAX_PARTS: u64 = 999_999;

/// Where a stream comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamFrom {
    /// kura's own standard input (`-`).
    Stdin,
    /// A pipe named on the command line: a FIFO, or `/dev/fd/N` from a
    /// shell's `<(…)`.
    Pipe(PathBuf),
    /// A command run without a shell (`--from-command -- CMD ARGS…`).
    Command(Vec<OsString>),
}

/// A stream to pack, and the name its file gets in the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    pub name: String,
    pub from: StreamFrom,
}

/// What the manifest records of a stream (see docs/FORMAT.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    /// The file's name: the member itself when `parts` is 1, else the
    /// stem of its parts `NAME.part000001` ….
    pub path: String,
    /// Bytes of the whole stream.
    pub size: u64,
    /// BLAKE3 of the whole stream (the parts one after the other).
    pub blake3: String,
    /// How many members hold it.
    pub parts: u64,
}

/// The member that holds part `n` (from 1) of a stream; `single` when the
/// stream fits in one part.
pub fn part_path(name: &str, n: u64, single: bool) -> String {
    if single {
        name.to_string()
    } else {
        format!("{name}.part{n:0width$}", width = PART_DIGITS)
    }
}

/// The stream name and part number of a member named `NAME.partNNNNNN`.
pub fn split_part(member: &str) -> Option<(&str, u64)> {
    let (stem, digits) = member.rsplit_once(".part")?;
    if stem.is_empty() || digits.len() != PART_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, digits.parse().ok()?))
}

/// Checks a stream's name like any member path (relative, no `..`), and
/// refuses control characters and a name kura keeps for itself.
pub fn check_name(name: &str) -> Result<String> {
    let refuse = || Error::new(Kind::Usage, "err-stream-name").arg("name", name.escape_debug());
    if name.chars().any(crate::i18n::is_control) || name.ends_with('/') {
        return Err(refuse());
    }
    let path = super::paths::check_member_path(name).map_err(|_| refuse())?;
    if path == super::format::RESERVED_DIR || path.starts_with(&format!("{}/", super::format::RESERVED_DIR)) {
        return Err(refuse());
    }
    Ok(path)
}

/// A stream open for reading: its bytes, and the command that writes them
/// (if kura runs one).
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub command: Running,
}

/// The command a stream comes from. Its exit is checked by
/// [`Running::finish`] once its output has ended; dropped before that, the
/// command is stopped (so that a reader waiting on it ends too).
pub struct Running(Option<(Child, String)>);

impl StreamSpec {
    /// Opens the stream: takes standard input, opens the pipe (refusing
    /// anything that is not one), or starts the command with its standard
    /// output piped to kura, standard input closed, standard error kura's.
    pub fn open(&self) -> Result<Opened> {
        match &self.from {
            StreamFrom::Stdin => Ok(Opened {
                reader: Box::new(io::stdin()),
                command: Running(None),
            }),
            StreamFrom::Pipe(p) => {
                let f = std::fs::File::open(p).at(p.display())?;
                let meta = f.metadata().at(p.display())?;
                if !is_pipe(&meta) {
                    return Err(Error::new(Kind::Usage, "err-stream-not-pipe").arg("path", p.display()));
                }
                Ok(Opened {
                    reader: Box::new(f),
                    command: Running(None),
                })
            }
            StreamFrom::Command(argv) => {
                let shown = shown_command(argv);
                let (prog, args) = argv
                    .split_first()
                    .ok_or_else(|| Error::new(Kind::Usage, "err-stream-no-command"))?;
                let mut child = Command::new(prog)
                    .args(args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .map_err(|e| {
                        Error::new(Kind::Io, "err-stream-command-start")
                            .arg("command", &shown)
                            .arg("origin", e)
                    })?;
                crate::interrupt::register_child(child.id());
                let out: ChildStdout = child
                    .stdout
                    .take()
                    .ok_or_else(|| Error::internal("command without its output"))?;
                Ok(Opened {
                    reader: Box::new(out),
                    command: Running(Some((child, shown))),
                })
            }
        }
    }
}

/// A command as the messages show it (its program and arguments, quoted
/// where they hold spaces).
fn shown_command(argv: &[OsString]) -> String {
    argv.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(unix)]
fn is_pipe(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::Metadata) -> bool {
    false
}

/// Fills `buf` as far as the stream goes; fewer bytes only at its end.
pub fn read_part(reader: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, "stream")),
        }
    }
    Ok(n)
}

impl Running {
    /// Once the stream has ended: a command must have exited with 0. One
    /// that failed, or was killed, fails the pack (its output may be cut
    /// short, and a vault of it would pass for a backup).
    pub fn finish(&mut self) -> Result<()> {
        let Some((mut child, shown)) = self.0.take() else {
            return Ok(());
        };
        crate::interrupt::unregister_child(child.id());
        let status = child.wait().at(&shown)?;
        if status.success() {
            return Ok(());
        }
        #[cfg(unix)]
        if let Some(sig) = std::os::unix::process::ExitStatusExt::signal(&status) {
            return Err(Error::new(Kind::Io, "err-stream-command-killed")
                .arg("command", &shown)
                .arg("signal", sig));
        }
        Err(Error::new(Kind::Io, "err-stream-command-failed")
            .arg("command", &shown)
            .arg("status", status.code().unwrap_or(-1)))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some((child, _)) = &mut self.0 {
            crate::interrupt::unregister_child(child.id());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_named_in_order_and_read_back() {
        assert_eq!(part_path("db.dump", 1, true), "db.dump");
        assert_eq!(part_path("db.dump", 1, false), "db.dump.part000001");
        assert_eq!(part_path("d/db.dump", 12, false), "d/db.dump.part000012");
        assert_eq!(split_part("d/db.dump.part000012"), Some(("d/db.dump", 12)));
        assert_eq!(split_part("db.dump.part12"), None);
        assert_eq!(split_part(".part000001"), None);
        assert_eq!(split_part("db.dump"), None);
    }

    #[test]
    fn a_name_is_checked_like_a_member_path() {
        assert_eq!(check_name("backup/db.dump").unwrap(), "backup/db.dump");
        for bad in [
            "",
            "../x",
            "/etc/x",
            "a/../b",
            "a\nb",
            "x\u{1b}[2J",
            ".kura/manifest.json",
            "dir/",
        ] {
            assert_eq!(check_name(bad).unwrap_err().id, "err-stream-name", "{bad:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_command_that_fails_or_cannot_start_is_an_error() {
        let run = |argv: &[&str]| -> Result<Vec<u8>> {
            let spec = StreamSpec {
                name: "x".into(),
                from: StreamFrom::Command(argv.iter().map(OsString::from).collect()),
            };
            let mut s = spec.open()?;
            let mut buf = vec![0; 64];
            let n = read_part(&mut s.reader, &mut buf)?;
            s.command.finish()?;
            buf.truncate(n);
            Ok(buf)
        };
        assert_eq!(run(&["printf", "dummy"]).unwrap(), b"dummy");
        assert_eq!(
            run(&["sh", "-c", "printf x; exit 3"]).unwrap_err().id,
            "err-stream-command-failed"
        );
        assert_eq!(
            run(&["sh", "-c", "kill -9 $$"]).unwrap_err().id,
            "err-stream-command-killed"
        );
        assert_eq!(
            run(&["/nonexistent/kura-dummy"]).unwrap_err().id,
            "err-stream-command-start"
        );
    }
}
