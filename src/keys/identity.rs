//! Identities: "who I am". An OpenSSH Ed25519 private key (encrypted or not)
//! both signs what its holder does and decrypts what is addressed to them;
//! native age identities (`AGE-SECRET-KEY-1…`) may also decrypt, but cannot
//! sign.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ssh_key::{Algorithm, LineEnding, PrivateKey};
use zeroize::Zeroizing;

use super::passphrase::PassphraseSource;
use super::signature::{self, KeyInfo};
use crate::error::{Error, Kind, Result};

/// Largest private key file kura reads.
const MAX_KEY_FILE: u64 = 1 << 20;

/// A decrypted OpenSSH Ed25519 key that signs (and can decrypt).
pub struct SigningKey {
    key: PrivateKey,
    info: KeyInfo,
}

impl SigningKey {
    pub fn generate(comment: &str) -> Result<Self> {
        super::memory::keep_out_of_core_dumps();
        let mut key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
            .map_err(|e| Error::internal(format!("key generation failed: {e}")))?;
        key.set_comment(comment);
        Ok(Self::from_key(key))
    }

    fn from_key(key: PrivateKey) -> Self {
        let info = KeyInfo::of(key.public_key());
        SigningKey { key, info }
    }

    pub fn info(&self) -> &KeyInfo {
        &self.info
    }

    /// The public key line with comment, as written to `KEY.pub`.
    pub fn public_line(&self) -> String {
        self.key.public_key().to_openssh().unwrap_or_default()
    }

    pub fn sign(&self, namespace: &str, msg: &[u8]) -> Result<String> {
        signature::sign(&self.key, namespace, msg)
    }

    /// Signs a message given by its SHA-512 digest (see
    /// [`signature::sign_digest`]).
    pub fn sign_digest(&self, namespace: &str, digest: &[u8; 64]) -> Result<String> {
        signature::sign_digest(&self.key, namespace, digest)
    }

    /// The OpenSSH private key file text, encrypted with `passphrase` if given.
    pub fn to_openssh(&self, passphrase: Option<&str>) -> Result<Zeroizing<String>> {
        let key = match passphrase {
            Some(p) => self
                .key
                .encrypt(&mut ssh_key::rand_core::OsRng, p)
                .map_err(|e| Error::internal(format!("key encryption failed: {e}")))?,
            None => self.key.clone(),
        };
        key.to_openssh(LineEnding::LF)
            .map_err(|e| Error::internal(format!("key encoding failed: {e}")))
    }

    /// The same key as an age identity (age's `ssh-ed25519` recipient type).
    fn age_identity(&self) -> Result<Box<dyn age::Identity + Send + Sync>> {
        let pem = self
            .key
            .to_openssh(LineEnding::LF)
            .map_err(|e| Error::internal(format!("key encoding failed: {e}")))?;
        match age::ssh::Identity::from_buffer(BufReader::new(pem.as_bytes()), None) {
            Ok(id @ age::ssh::Identity::Unencrypted(_)) => Ok(Box::new(id)),
            _ => Err(Error::internal("age could not use the decrypted key")),
        }
    }
}

/// The identities given with `-i`: at most one signing key (the first SSH
/// key) and everything that can decrypt.
#[derive(Default)]
pub struct Identities {
    pub signer: Option<SigningKey>,
    pub decryptors: Vec<Box<dyn age::Identity + Send + Sync>>,
    pub paths: Vec<PathBuf>,
}

/// Refuses private key files that others can read, as OpenSSH does.
#[cfg(unix)]
pub fn check_private_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(e, path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 && meta.is_file() {
        return Err(Error::new(Kind::Key, "err-key-permissions")
            .arg("path", path.display())
            .arg("mode", format!("{:04o}", meta.permissions().mode() & 0o7777)));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn check_private_permissions(_path: &Path) -> Result<()> {
    Ok(())
}

/// Refuses a public key (a `KEY.pub` line, or a recipients file) given where
/// the private key belongs, naming the private key beside it when there is
/// one: the advice to `chmod` a public key would send its owner the wrong
/// way.
fn check_not_public(path: &Path, text: &str) -> Result<()> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or_default();
    let public = ["ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-", "age1"]
        .iter()
        .any(|p| first.starts_with(p));
    if !public {
        return Ok(());
    }
    let name = path.to_string_lossy();
    match name.strip_suffix(".pub") {
        Some(private) if !private.is_empty() => Err(Error::new(Kind::Key, "err-key-is-public")
            .arg("path", path.display())
            .arg("private", private)),
        _ => Err(Error::new(Kind::Key, "err-key-is-public-file").arg("path", path.display())),
    }
}

impl Identities {
    /// Loads every `-i` file. Encrypted SSH keys are unlocked with a
    /// passphrase from `pass`.
    pub fn load(paths: &[PathBuf], pass: &PassphraseSource) -> Result<Self> {
        super::memory::keep_out_of_core_dumps();
        let mut ids = Identities::default();
        for path in paths {
            let text = crate::fsutil::read_bounded_text(path, MAX_KEY_FILE)?;
            let text = Zeroizing::new(text);
            check_not_public(path, &text)?;
            check_private_permissions(path)?;
            if text.trim_start().starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
                let key = load_ssh(path, &text, pass)?;
                let age_id = key.age_identity()?;
                ids.decryptors.push(age_id);
                if ids.signer.is_none() {
                    ids.signer = Some(key);
                }
            } else if text.contains("AGE-SECRET-KEY-1") {
                for line in text.lines().map(str::trim) {
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let id = age::x25519::Identity::from_str(line)
                        .map_err(|_| Error::new(Kind::Key, "err-key-unreadable").arg("path", path.display()))?;
                    ids.decryptors.push(Box::new(id));
                }
            } else {
                return Err(Error::new(Kind::Key, "err-key-unreadable").arg("path", path.display()));
            }
            ids.paths.push(path.clone());
        }
        Ok(ids)
    }

    /// The signing key, or an error saying one is needed for `what`.
    pub fn require_signer(&self) -> Result<&SigningKey> {
        self.signer
            .as_ref()
            .ok_or_else(|| Error::new(Kind::Key, "err-need-ssh-key"))
    }

    pub fn age_identities(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.decryptors.iter().map(|b| b.as_ref() as &dyn age::Identity)
    }
}

/// Reads one signing key (the `-i` of commands that only sign).
pub fn load_signing_key(path: &Path, pass: &PassphraseSource) -> Result<SigningKey> {
    let ids = Identities::load(&[path.to_path_buf()], pass)?;
    ids.signer.ok_or_else(|| Error::new(Kind::Key, "err-need-ssh-key"))
}

fn load_ssh(path: &Path, text: &str, pass: &PassphraseSource) -> Result<SigningKey> {
    let unreadable = || Error::new(Kind::Key, "err-key-unreadable").arg("path", path.display());
    let key = PrivateKey::from_openssh(text).map_err(|_| unreadable())?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(Error::new(Kind::Key, "err-key-not-ed25519")
            .arg("path", path.display())
            .arg("algorithm", key.algorithm().as_str()));
    }
    let key = if key.is_encrypted() {
        let shown = path.display().to_string();
        let prompt = crate::i18n::t("msg-passphrase-prompt", &[("path", &shown)]);
        let again = crate::i18n::t("msg-passphrase-again", &[("path", &shown)]);
        pass.unlock(&prompt, &again, |pw| key.decrypt(pw.as_bytes()).ok())?
            .ok_or_else(|| Error::new(Kind::Key, "err-passphrase-wrong").arg("path", path.display()))?
    } else {
        key
    };
    Ok(SigningKey::from_key(key))
}
