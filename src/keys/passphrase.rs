//! Where passphrases come from: `--passphrase-file`, or
//! `--passphrase-command`; without either, the file named by the environment
//! variable `KURA_PASSPHRASE_FILE`, then the command in
//! `KURA_PASSPHRASE_COMMAND`; then the terminal (no echo). Without any of
//! them kura fails at once: it never waits for input that cannot come.
//!
//! A passphrase command is run by the system shell (`sh -c CMD`, on Windows
//! `cmd /C CMD`), as git runs its credential helpers: users write it as
//! they would type it (`pass show kura/key`, `systemd-creds cat NAME`,
//! quoted arguments) and kura does not invent a quoting of its own. Its
//! standard input is empty, its errors go to kura's standard error, and
//! its standard output (at most 64 KiB, one trailing newline removed) is
//! the passphrase.

use std::io::IsTerminal;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::error::{Error, Kind, Result};

/// The environment variable naming a file that holds the passphrase.
pub const ENV_PASSPHRASE_FILE: &str = "KURA_PASSPHRASE_FILE";

/// The environment variable holding a command that prints the passphrase.
pub const ENV_PASSPHRASE_COMMAND: &str = "KURA_PASSPHRASE_COMMAND";

/// How long a passphrase command may take: a command that waits for
/// something that never comes must not make kura wait for ever.
pub const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a passphrase command's output may stay open after the command
/// itself has exited (a program it started holds it).
const HELD_OUTPUT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Largest passphrase file kura reads.
const MAX_PASSPHRASE_FILE: u64 = 64 << 10;

/// How many times a passphrase is asked for on a terminal before kura gives
/// up, as OpenSSH and gpg do (a passphrase file is read once).
pub const TRIES: usize = 3;

/// The fewest characters of a new passphrase typed on a terminal: with
/// fewer, whoever copies the key file can try every passphrase. Eight is the
/// usual floor; a few words are both longer and easier to remember. A
/// passphrase file is taken as it is (its owner chose it for a script).
pub const MIN_NEW_CHARS: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct PassphraseSource {
    file: Option<PathBuf>,
    command: Option<String>,
}

impl PassphraseSource {
    /// `file` is the `--passphrase-file` option; the environment is consulted
    /// when it is absent.
    pub fn new(file: Option<PathBuf>) -> Self {
        Self::with_command(file, None)
    }

    /// `file` and `command` are the `--passphrase-file` and
    /// `--passphrase-command` options (one at most); the environment is
    /// consulted when both are absent: `KURA_PASSPHRASE_FILE` first, then
    /// `KURA_PASSPHRASE_COMMAND`.
    pub fn with_command(file: Option<PathBuf>, command: Option<String>) -> Self {
        if file.is_some() || command.is_some() {
            return PassphraseSource { file, command };
        }
        let env = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        match env(ENV_PASSPHRASE_FILE) {
            Some(f) => PassphraseSource {
                file: Some(PathBuf::from(f)),
                command: None,
            },
            None => PassphraseSource {
                file: None,
                command: env(ENV_PASSPHRASE_COMMAND).map(|c| c.to_string_lossy().into_owned()),
            },
        }
    }

    /// The passphrase from the file or the command, if one is given.
    fn read_file(&self) -> Result<Option<Zeroizing<String>>> {
        super::memory::keep_out_of_core_dumps();
        if let Some(cmd) = &self.command {
            return run_command(cmd, COMMAND_TIMEOUT).map(Some);
        }
        let Some(path) = &self.file else { return Ok(None) };
        // Whatever keeps it from being read (missing, a FIFO or device,
        // too large) is a problem with the key's passphrase.
        let raw = Zeroizing::new(crate::fsutil::read_bounded(path, MAX_PASSPHRASE_FILE).map_err(|e| {
            Error::new(Kind::Key, "err-passphrase-file")
                .arg("path", path.display())
                .arg_error("reason", e)
        })?);
        let mut text = Zeroizing::new(
            std::str::from_utf8(&raw)
                .map_err(|_| Error::new(Kind::Key, "err-passphrase-not-utf8").arg("path", path.display()))?
                .to_string(),
        );
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        if text.is_empty() {
            return Err(Error::new(Kind::Key, "err-passphrase-empty"));
        }
        Ok(Some(text))
    }

    fn has_terminal() -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    fn prompt(prompt: &str) -> Result<Zeroizing<String>> {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| Error::new(Kind::Key, "err-passphrase-read").arg("detail", e))
    }

    /// A passphrase to unlock an existing key.
    pub fn get(&self, prompt: &str) -> Result<Zeroizing<String>> {
        if let Some(p) = self.read_file()? {
            return Ok(p);
        }
        if !Self::has_terminal() {
            return Err(Error::new(Kind::Key, "err-passphrase-unavailable"));
        }
        Self::prompt(prompt)
    }

    /// Unlocks something with a passphrase: `open` tries one and gives
    /// `None` when it is wrong. On a terminal a wrong passphrase is asked
    /// for again (with `again`), [`TRIES`] times in all; from a file it is
    /// tried once. `None` when no passphrase opened it.
    pub fn unlock<T>(&self, prompt: &str, again: &str, mut open: impl FnMut(&str) -> Option<T>) -> Result<Option<T>> {
        if let Some(p) = self.read_file()? {
            return Ok(open(&p));
        }
        if !Self::has_terminal() {
            return Err(Error::new(Kind::Key, "err-passphrase-unavailable"));
        }
        for n in 0..TRIES {
            let p = Self::prompt(if n == 0 { prompt } else { again })?;
            if let Some(v) = open(&p) {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// A new passphrase, asked twice on a terminal, and refused there when
    /// shorter than [`MIN_NEW_CHARS`].
    pub fn get_new(&self, prompt: &str, again: &str) -> Result<Zeroizing<String>> {
        if let Some(p) = self.read_file()? {
            return Ok(p);
        }
        if !Self::has_terminal() {
            return Err(Error::new(Kind::Key, "err-passphrase-unavailable"));
        }
        let first = Self::prompt(prompt)?;
        if first.is_empty() {
            return Err(Error::new(Kind::Key, "err-passphrase-empty"));
        }
        let second = Self::prompt(again)?;
        if *first != *second {
            return Err(Error::new(Kind::Key, "err-passphrase-mismatch"));
        }
        if first.chars().count() < MIN_NEW_CHARS {
            return Err(Error::new(Kind::Key, "err-passphrase-short").arg("min", MIN_NEW_CHARS));
        }
        Ok(first)
    }
}

/// "The passphrase command failed", with why (a message id and its
/// arguments).
fn command_failed(cmd: &str, why: Error) -> Error {
    Error::new(Kind::Key, "err-passphrase-command")
        .arg("command", cmd)
        .arg_error("reason", why)
}

/// Runs a passphrase command (see the module's documentation) and returns
/// what it printed, its trailing newline removed. Anything but a clean exit
/// with a non-empty passphrase of at most 64 KiB within `timeout` is a key
/// problem naming the command.
fn run_command(cmd: &str, timeout: std::time::Duration) -> Result<Zeroizing<String>> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let why = |id| Error::new(Kind::Key, id);
    #[cfg(unix)]
    let mut command = {
        let mut c = Command::new("sh");
        c.arg("-c").arg(cmd);
        c
    };
    #[cfg(windows)]
    let mut command = {
        use std::os::windows::process::CommandExt;
        let mut c = Command::new("cmd");
        c.arg("/C").raw_arg(cmd);
        c
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| command_failed(cmd, why("msg-passphrase-command-why-start").arg("detail", e)))?;
    let mut out = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    // Read in a thread so that the wait below can end: the buffer has room
    // for the whole limit, so it never moves (no copy left behind).
    std::thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::with_capacity(MAX_PASSPHRASE_FILE as usize + 1));
        let read = (&mut out).take(MAX_PASSPHRASE_FILE + 1).read_to_end(&mut buf);
        let _ = tx.send(read.map(|_| buf));
    });
    let stop = |child: &mut std::process::Child, e: Error| {
        let _ = child.kill();
        let _ = child.wait();
        command_failed(cmd, e)
    };
    // Its output ends when every program holding it has closed it: the
    // command, and anything it left running in the background. The
    // command's own exit is watched meanwhile; output still open a while
    // after it has exited is held by such a program (not kura's to stop).
    let deadline = std::time::Instant::now() + timeout;
    let mut exited: Option<std::time::Instant> = None;
    let bytes = loop {
        match rx.recv_timeout(std::time::Duration::from_millis(20)) {
            Ok(Ok(b)) => break b,
            Ok(Err(e)) => {
                return Err(stop(
                    &mut child,
                    why("msg-passphrase-command-why-start").arg("detail", e),
                ))
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(command_failed(cmd, why("msg-passphrase-command-why-empty")))
            }
        }
        if exited.is_none() && matches!(child.try_wait(), Ok(Some(_))) {
            exited = Some(std::time::Instant::now());
        }
        if exited.is_some_and(|t| t.elapsed() >= HELD_OUTPUT_GRACE) {
            return Err(command_failed(cmd, why("msg-passphrase-command-why-held")));
        }
        if std::time::Instant::now() >= deadline {
            let secs = timeout.as_secs_f64();
            return Err(stop(
                &mut child,
                why("msg-passphrase-command-why-timeout").arg("secs", secs),
            ));
        }
    };
    if bytes.len() as u64 > MAX_PASSPHRASE_FILE {
        return Err(stop(
            &mut child,
            why("msg-passphrase-command-why-large").arg("max", MAX_PASSPHRASE_FILE),
        ));
    }
    // Its output has ended; the exit comes next (a command that closed its
    // output but goes on running is stopped at the same deadline).
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(5)),
            Ok(None) => {
                let secs = timeout.as_secs_f64();
                return Err(stop(
                    &mut child,
                    why("msg-passphrase-command-why-timeout").arg("secs", secs),
                ));
            }
            Err(e) => {
                return Err(stop(
                    &mut child,
                    why("msg-passphrase-command-why-start").arg("detail", e),
                ))
            }
        }
    };
    if !status.success() {
        let code = status.code().map_or_else(|| status.to_string(), |c| c.to_string());
        return Err(command_failed(
            cmd,
            why("msg-passphrase-command-why-exit").arg("code", code),
        ));
    }
    let mut bytes = bytes;
    let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        zeroize::Zeroize::zeroize(&mut e.into_bytes());
        command_failed(cmd, why("msg-passphrase-command-why-utf8"))
    })?;
    let mut text = Zeroizing::new(text);
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(command_failed(cmd, why("msg-passphrase-command-why-empty")));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passphrase_file_that_cannot_be_read_is_a_key_problem_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'a'; MAX_PASSPHRASE_FILE as usize + 1]).unwrap();
        for p in [PathBuf::from("/dev/zero"), missing, big, dir.path().to_path_buf()] {
            let e = PassphraseSource::new(Some(p.clone())).get("?").unwrap_err();
            assert_eq!((e.kind, e.id), (Kind::Key, "err-passphrase-file"), "{}", p.display());
            assert!(e.message(crate::i18n::Lang::En).contains(&p.display().to_string()));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_passphrase_command_prints_the_passphrase_and_its_failures_are_key_problems() {
        let t = std::time::Duration::from_secs(20);
        assert_eq!(&*run_command("printf 'two words\\n'", t).unwrap(), "two words");
        assert_eq!(&*run_command("printf 'crlf\\r\\n'", t).unwrap(), "crlf");
        // Only one newline goes: a passphrase may end in blanks.
        assert_eq!(&*run_command("printf 'a \\n\\n'", t).unwrap(), "a \n");
        assert_eq!(&*run_command("echo \"$0\" | tr -d '\\n'; echo", t).unwrap(), "sh");
        // Nothing to read from: the command gets an empty standard input.
        assert_eq!(&*run_command("cat; echo x", t).unwrap(), "x");
        let why = |cmd: &str, t| {
            let e = run_command(cmd, t).unwrap_err();
            assert_eq!((e.kind, e.id), (Kind::Key, "err-passphrase-command"), "{cmd}");
            let en = e.message(crate::i18n::Lang::En);
            assert!(en.contains(cmd), "{en}");
            assert!(!e.message(crate::i18n::Lang::Ja).is_empty());
            en
        };
        assert!(why("echo secret; exit 3", t).contains("exit code 3"));
        assert!(why("true", t).contains("nothing"));
        assert!(why("head -c 70000 /dev/zero | tr '\\0' a", t).contains("65536"));
        assert!(why("printf '\\377'", t).contains("UTF-8"));
        assert!(why("/nonexistent/helper", t).contains("exit code 127"));
        let started = std::time::Instant::now();
        assert!(why("sleep 30", std::time::Duration::from_millis(300)).contains("0.3"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // Output closed, but the command goes on: stopped at the deadline too.
        assert!(why("echo p; exec >&-; sleep 30", std::time::Duration::from_millis(300)).contains("0.3"));
        // Ended, but a program it left running holds its output open: said
        // at once, not after the whole timeout, and not claimed stopped.
        let started = std::time::Instant::now();
        let held = why("echo p; sleep 30 &", t);
        assert!(held.contains("still holds its output"), "{held}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
