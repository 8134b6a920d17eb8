//! Where passphrases come from: `--passphrase-file`, then the environment
//! variable `KURA_PASSPHRASE_FILE`, then the terminal (no echo). Without any
//! of them kura fails at once: it never waits for input that cannot come.

use std::io::IsTerminal;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::error::{Error, Kind, Result};

/// The environment variable naming a file that holds the passphrase.
pub const ENV_PASSPHRASE_FILE: &str = "KURA_PASSPHRASE_FILE";

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
}

impl PassphraseSource {
    /// `file` is the `--passphrase-file` option; the environment is consulted
    /// when it is absent.
    pub fn new(file: Option<PathBuf>) -> Self {
        let file = file.or_else(|| {
            std::env::var_os(ENV_PASSPHRASE_FILE)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        PassphraseSource { file }
    }

    fn read_file(&self) -> Result<Option<Zeroizing<String>>> {
        super::memory::keep_out_of_core_dumps();
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
}
