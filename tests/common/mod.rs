//! Helpers shared by the integration tests: they run the built kura binary
//! on dummy data in a temporary folder.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The kura binary with a neutral environment (English, no passphrase file,
/// no ledger unless a test sets one).
pub fn kura() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kura"));
    c.env_remove("KURA_NOW")
        .env_remove("KURA_LEDGER")
        .env("KURA_PASSPHRASE_FILE", "")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    c
}

/// Runs and returns the output; panics with stderr if it failed.
pub fn ok(c: &mut Command) -> Output {
    let out = c.output().expect("kura runs");
    assert!(
        out.status.success(),
        "kura failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("kura runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Parses a `--json` stdout.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A working folder with an engineer's and a clinic's key, an
/// allowed_signers file naming both, and a recipients file.
pub struct Desk {
    pub tmp: tempfile::TempDir,
}

impl Desk {
    pub fn new() -> Desk {
        let tmp = tempfile::tempdir().expect("temp dir");
        let d = Desk { tmp };
        for (name, comment) in [
            ("engineer.key", "engineer@vendor.example"),
            ("clinic.key", "clinic@clinic.example"),
        ] {
            ok(kura()
                .current_dir(d.dir())
                .args(["keygen", "-o", name, "--comment", comment, "--no-passphrase"]));
        }
        let eng = d.read("engineer.key.pub");
        let cli = d.read("clinic.key.pub");
        d.write(
            "allowed_signers",
            &format!(
                "engineer@vendor.example {}\nclinic@clinic.example {}\n",
                eng.trim(),
                cli.trim()
            ),
        );
        d.write("recipients.txt", &format!("{}\n{}\n", eng.trim(), cli.trim()));
        d
    }

    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("readable")
    }

    pub fn write(&self, name: &str, text: &str) {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("writable");
    }

    /// kura run in this folder.
    pub fn kura(&self) -> Command {
        let mut c = kura();
        c.current_dir(self.dir());
        c
    }

    /// Packs a small dummy export into `NAME.kura` with the given approval,
    /// the clock set to `now` (RFC 3339). Returns the vault path.
    pub fn pack(&self, name: &str, approval_id: &str, purpose: &str, delete_by: &str, now: &str) -> PathBuf {
        let src = format!("{name}-data");
        self.write(
            &format!("{src}/orca_dump_dummy.sql"),
            "-- dummy dump, no real patients\n",
        );
        self.write(&format!("{src}/csv/list_dummy.csv"), "id,name\n00000001,DUMMY\n");
        let vault = format!("{name}.kura");
        ok(self.kura().env("KURA_NOW", now).args([
            "pack",
            "-o",
            &vault,
            "-R",
            "recipients.txt",
            "-i",
            "engineer.key",
            "--approval-id",
            approval_id,
            "--approved-by",
            "院長 山田（ダミー）",
            "--purpose",
            purpose,
            "--delete-by",
            delete_by,
            &src,
        ]));
        self.path(&vault)
    }
}
