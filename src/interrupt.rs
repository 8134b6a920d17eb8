//! Ctrl-C and SIGTERM: partial outputs are removed and kura exits with 130.
//!
//! Every temporary output (vault being written, extraction stage) registers
//! its path here. When a signal arrives, [`on_signal`] (run by the handler
//! thread) marks the process as stopping; the streams that carry a vault in
//! and out ([`requested`] is checked by `vault::volumes`) then fail, and the
//! command unwinds through its ordinary error path, which removes what it
//! had started. The command line reports the interruption (exit 130); this
//! module never prints.
//!
//! Short steps that must not be cut in half run as a [`Critical`] section:
//! moving extracted files into place together with the custody record of
//! the extraction, committing a vault together with its custody log. A
//! signal during such a section takes effect when it ends.
//!
//! If the command does not finish by itself soon (it may be blocked, for
//! instance waiting for a lock or a terminal), the handler removes every
//! registered path itself and exits.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How a registered path is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    /// A file, or a directory tree.
    Any,
    /// A directory kura created, removed only if it is empty.
    EmptyDir,
}

static PENDING: Mutex<Vec<(PathBuf, Removal)>> = Mutex::new(Vec::new());
static STOP: AtomicBool = AtomicBool::new(false);
static CRITICAL: AtomicUsize = AtomicUsize::new(0);
/// Commands kura reads a stream from (`pack --from-command`), stopped when
/// a signal arrives: kura may be blocked reading a command that writes
/// nothing for a while, and would otherwise wait for it.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// How long the handler lets a command unwind by itself.
const GRACE: Duration = Duration::from_secs(10);

/// Remembers a temporary path (file or directory tree) to remove on
/// interruption.
pub fn register(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.push((path.to_path_buf(), Removal::Any));
    }
}

/// Remembers a directory kura created, to remove on interruption if it is
/// left empty.
pub fn register_empty_dir(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.push((path.to_path_buf(), Removal::EmptyDir));
    }
}

/// Forgets a temporary path (it was committed or already removed).
pub fn unregister(path: &Path) {
    if let Ok(mut p) = PENDING.lock() {
        p.retain(|(x, _)| x != path);
    }
}

/// Remembers a running command (by its process id) to stop on
/// interruption; forget it with [`unregister_child`] before waiting for it,
/// so that no other process's id is ever signalled.
pub fn register_child(pid: u32) {
    if let Ok(mut c) = CHILDREN.lock() {
        c.push(pid);
    }
    if requested() {
        stop_children();
    }
}

/// Forgets a command registered with [`register_child`].
pub fn unregister_child(pid: u32) {
    if let Ok(mut c) = CHILDREN.lock() {
        c.retain(|&p| p != pid);
    }
}

/// Sends SIGTERM to every registered command (not yet waited for: its id
/// is still its own). Its output then ends, and so does kura's read.
fn stop_children() {
    #[cfg(unix)]
    if let Ok(c) = CHILDREN.lock() {
        for &pid in c.iter() {
            if let Ok(pid) = libc::pid_t::try_from(pid) {
                // SAFETY: kill has no memory preconditions; `pid` is a child
                // not yet reaped, so the id is still that child's.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        }
    }
}

/// Whether Ctrl-C or SIGTERM was received: long-running streams stop.
pub fn requested() -> bool {
    STOP.load(SeqCst)
}

/// The error a stream returns once an interruption was requested.
pub fn error() -> crate::Error {
    crate::Error::new(crate::Kind::Interrupted, "err-interrupted")
}

/// Fails with [`error`] once an interruption was requested.
pub fn check() -> crate::Result<()> {
    if requested() {
        Err(error())
    } else {
        Ok(())
    }
}

/// A step that is finished once started: while one is running, the
/// handler's forced exit waits for it to end.
pub struct Critical(());

impl Critical {
    /// Starts a critical section, unless an interruption was requested:
    /// then it fails, and the command unwinds instead of starting the step.
    pub fn enter() -> crate::Result<Critical> {
        CRITICAL.fetch_add(1, SeqCst);
        if STOP.load(SeqCst) {
            CRITICAL.fetch_sub(1, SeqCst);
            return Err(error());
        }
        Ok(Critical(()))
    }

    /// Starts a critical section even when an interruption was requested
    /// (for a step that completes one already done, such as recording it).
    pub fn hold() -> Critical {
        CRITICAL.fetch_add(1, SeqCst);
        Critical(())
    }
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, SeqCst);
    }
}

fn remove_tree(p: &Path) {
    // The command may still be writing into it: retry until it is gone.
    for _ in 0..100 {
        match std::fs::symlink_metadata(p) {
            Err(_) => return,
            Ok(m) if m.is_dir() => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700));
                }
                let _ = std::fs::remove_dir_all(p);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Removes everything registered, the latest first.
pub fn cleanup() {
    let paths = match PENDING.lock() {
        Ok(mut p) => std::mem::take(&mut *p),
        Err(_) => return,
    };
    for (p, how) in paths.iter().rev() {
        match how {
            Removal::Any => remove_tree(p),
            Removal::EmptyDir => {
                let _ = std::fs::remove_dir(p);
            }
        }
    }
}

fn nothing_pending() -> bool {
    PENDING.lock().map(|p| p.is_empty()).unwrap_or(true) && CRITICAL.load(SeqCst) == 0
}

/// Gives the terminal its echo back, in case the signal came while a
/// passphrase was being typed.
fn restore_terminal() {
    #[cfg(unix)]
    // SAFETY: tcgetattr/tcsetattr on fd 0 with a zeroed, then filled termios.
    unsafe {
        if libc::isatty(0) == 1 {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) == 0 && t.c_lflag & libc::ECHO == 0 {
                t.c_lflag |= libc::ECHO;
                libc::tcsetattr(0, libc::TCSANOW, &t);
            }
        }
    }
}

/// Called on Ctrl-C or SIGTERM (from the handler thread). Asks the command
/// to stop and lets it unwind through its own error path (it then exits
/// with 130 itself). If nothing was under way, or the command has not
/// finished after a grace period, removes the registered paths, calls
/// `announce` (the command line says it was interrupted) and exits with
/// 130 here.
pub fn on_signal(announce: impl FnOnce()) {
    STOP.store(true, SeqCst);
    stop_children();
    if !nothing_pending() {
        let start = Instant::now();
        while start.elapsed() < GRACE {
            std::thread::sleep(Duration::from_millis(20));
        }
        // A critical section is always let finish.
        while CRITICAL.load(SeqCst) != 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    cleanup();
    restore_terminal();
    announce();
    std::process::exit(crate::Kind::Interrupted.exit_code());
}
