//! Shared set-up for kura's fuzz targets: a key made once per process and
//! a way to seal arbitrary plaintext into a vault with a matching custody
//! log, so that the archive reader sees exactly what the fuzzer wrote.

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use kura::keys::{Identities, PassphraseSource, Recipients, SigningKey};
use kura::vault::receipt::{Ciphertext, Receipt};

pub struct Bench {
    pub dir: tempfile::TempDir,
    pub key: SigningKey,
    pub identities: Identities,
    pub recipients: Recipients,
}

/// The process-wide bench: a temporary folder and an Ed25519 key.
pub fn bench() -> &'static Bench {
    static B: OnceLock<Bench> = OnceLock::new();
    B.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = SigningKey::generate("fuzz@kura.test").expect("key");
        let path = dir.path().join("fuzz.key");
        std::fs::write(&path, key.to_openssh(None).expect("encode").as_bytes()).expect("write key");
        set_private(&path);
        let identities = Identities::load(&[path], &PassphraseSource::new(None)).expect("load key");
        let identities = Identities {
            signer: None, // verify appends nothing
            decryptors: identities.decryptors,
            paths: identities.paths,
        };
        let mut recipients = Recipients::default();
        recipients.add(&key.public_line(), "fuzz").expect("recipient");
        Bench {
            dir,
            key,
            identities,
            recipients,
        }
    })
}

#[cfg(unix)]
fn set_private(p: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

#[cfg(not(unix))]
fn set_private(_: &std::path::Path) {}

/// Compresses `tar` (unless `compressed`), encrypts it for the bench key,
/// and writes `fuzz.kura` with a custody log whose receipt matches the
/// ciphertext. Returns the vault and log paths.
pub fn seal(plain: &[u8], compressed: bool) -> (PathBuf, PathBuf) {
    let b = bench();
    let z = if compressed {
        plain.to_vec()
    } else {
        zstd::encode_all(plain, 1).expect("zstd")
    };
    let enc = age::Encryptor::with_recipients(b.recipients.age_recipients()).expect("recipients");
    let mut ct = Vec::new();
    let mut w = enc.wrap_output(&mut ct).expect("age");
    w.write_all(&z).expect("age write");
    w.finish().expect("age finish");
    let vault = b.dir.path().join("fuzz.kura");
    std::fs::write(&vault, &ct).expect("write vault");
    let receipt: Receipt = serde_json::from_value(serde_json::json!({
        "format": "kura-receipt", "version": 1, "vault_id": "00000000-0000-4000-8000-000000000000",
        "created": "2026-04-01T10:00:00+09:00", "packer": b.key.info(),
        "approval": {"id": "FUZZ", "approved_by": "fuzz", "purpose": "fuzz", "delete_by": "2099-12-31"},
        "recipients": b.recipients.infos(), "file_count": 64, "total_size": 1 << 20,
        "manifest_blake3": "0".repeat(64),
        "ciphertext": {"size": 0, "blake3": "0".repeat(64)}
    }))
    .expect("receipt");
    let receipt = Receipt {
        ciphertext: Ciphertext {
            size: ct.len() as u64,
            blake3: blake3::hash(&ct).to_hex().to_string(),
        },
        ..receipt
    };
    let log = kura::custody::new_log_bytes(&receipt, &b.key, kura::clock::now()).expect("log");
    let custody = kura::vault::format::custody_path_single(&vault);
    std::fs::write(&custody, log).expect("write log");
    (vault, custody)
}
