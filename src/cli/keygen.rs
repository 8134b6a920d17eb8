//! `kura keygen`: an OpenSSH Ed25519 key pair.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{t, Report};
use kura::error::{Error, Kind, Result};
use kura::keys::{PassphraseSource, SigningKey};

#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Where to write the private key (PATH.pub gets the public key)
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: PathBuf,
    /// Comment stored in the key (your name or address; default user@host)
    #[arg(long, short = 'C')]
    pub comment: Option<String>,
    /// Leave the private key unencrypted (for unattended use)
    #[arg(long)]
    pub no_passphrase: bool,
    /// File holding the new passphrase (else $KURA_PASSPHRASE_FILE, else asked twice)
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Command that prints the new passphrase, run by the shell (else $KURA_PASSPHRASE_COMMAND)
    #[arg(long, value_name = "CMD", conflicts_with_all = ["passphrase_file", "no_passphrase"])]
    pub passphrase_command: Option<String>,
}

fn default_comment() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "kura".into());
    format!("{user}@{}", gethostname::gethostname().to_string_lossy())
}

/// Writes a new file (never replacing one) with the given Unix mode.
fn write_new(path: &std::path::Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(Kind::Exists, "err-output-exists").arg("path", path.display())
        } else {
            Error::io(e, path.display())
        }
    })?;
    let res = f.write_all(bytes).and_then(|_| f.sync_all());
    if let Err(e) = res {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(Error::io(e, path.display()));
    }
    Ok(())
}

pub fn run(a: KeygenArgs) -> Result<Report> {
    let pub_path = PathBuf::from(format!("{}.pub", a.output.display()));
    kura::fsutil::check_not_folder(&a.output, "kura_key")?;
    kura::fsutil::check_clobber(&a.output, false)?;
    kura::fsutil::check_clobber(&pub_path, false)?;
    let comment = a.comment.clone().unwrap_or_else(default_comment);
    let passphrase = if a.no_passphrase {
        None
    } else {
        let src = PassphraseSource::with_command(a.passphrase_file.clone(), a.passphrase_command.clone());
        Some(src.get_new(&t("msg-new-passphrase", &[]), &t("msg-new-passphrase-again", &[]))?)
    };
    let key = SigningKey::generate(&comment)?;
    let pem = key.to_openssh(passphrase.as_ref().map(|p| p.as_str()))?;
    write_new(&a.output, pem.as_bytes(), 0o600)?;
    if let Err(e) = write_new(&pub_path, format!("{}\n", key.public_line().trim()).as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&a.output);
        return Err(e);
    }
    kura::fsutil::fsync_dir(&kura::fsutil::parent_dir(&a.output))?;
    let info = key.info();
    let path = a.output.display().to_string();
    Ok(Report::new(json!({
        "private_key": path,
        "public_key": pub_path.display().to_string(),
        "fingerprint": info.fingerprint,
        "comment": info.comment,
        "encrypted": passphrase.is_some(),
    }))
    .line(t(
        "msg-keygen-done",
        &[("path", &path), ("fingerprint", &info.fingerprint)],
    ))
    .line(key.public_line().trim().to_string()))
}
