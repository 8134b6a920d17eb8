//! Hostile input: every parser ends in an error, never a panic or an
//! exhausted machine.
//!
//! 1. A deterministic fuzzer (xorshift, fixed seeds) feeds random and
//!    mutated bytes to each parser through the library: manifest, receipt,
//!    custody log, certificate, allowed signers, recipients, identity files,
//!    mountinfo, volume sizes, and the archive reader (mutated tar streams
//!    sealed into vaults with matching receipts). The same targets run
//!    under cargo-fuzz (fuzz/, docs/FUZZING.md).
//! 2. Bounds, through the binary: huge lines, deep JSON nesting, gigantic
//!    declared sizes, decompression bombs, oversized tar headers and a flood
//!    of tiny members end with a clear error.
//! 3. A sweep over the whole bad-input matrix asserts that "panicked" never
//!    appears and every exit code is a documented one.
//!
//! The tests that load keys through the library run in a process of their
//! own (`ran_in_own_process`): that turns core dumps off for the process.

use std::fs;
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::common::*;
use kura::custodian::{self, ExtractRequest, KeySource, OpenRequest};
use kura::keys::identity::load_signing_key;
use kura::keys::{AllowedSigners, Identities, PassphraseSource, Recipients, SigningKey};
use kura::vault::receipt::Ciphertext;
use kura::vault::{Manifest, Receipt};

/// xorshift64*: the same bytes on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Interesting fragments for structured formats.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\\",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "-1",
    "1e999",
    "18446744073709551616",
    "\n",
    "\r\n",
    "\u{0}",
    "é",
    "ｶ",
    "\u{202e}",
    "\"sig\":\"",
    ",\"sig\":\"x\"}",
    "-----BEGIN SSH SIGNATURE-----",
    "ssh-ed25519 ",
    "AAAAC3NzaC1lZDI1NTE5",
    "namespaces=\"",
    "cert-authority ",
    "*",
    "?",
    "age1",
    "AGE-SECRET-KEY-1",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    " - ",
    "0:0",
    "8:17",
];

/// One mutation of `seed`: bit flips, cuts, splices, repeats, tokens.
fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(6) {
        let at = rng.below(v.len() + 1);
        match rng.below(8) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.truncate(at),
            2 if at < v.len() => {
                let end = (at + 1 + rng.below(64)).min(v.len());
                v.drain(at..end);
            }
            3 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                v.splice(at..at, t.iter().copied());
            }
            4 => {
                let n = 1 + rng.below(16);
                let junk = rng.bytes(n);
                v.splice(at..at, junk);
            }
            5 if at < v.len() => {
                let end = (at + 1 + rng.below(256)).min(v.len());
                let piece = v[at..end].to_vec();
                let to = rng.below(v.len() + 1);
                v.splice(to..to, piece);
            }
            6 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let n = 1 + rng.below(2000);
                v.splice(at..at, t.repeat(n).into_bytes());
            }
            _ => {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
        }
    }
    v
}

/// Runs `f` on `n` inputs made from `seeds` (and pure noise); any panic
/// fails the test naming the target and the round.
fn fuzz(name: &str, seeds: &[Vec<u8>], n: usize, mut f: impl FnMut(&[u8])) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
    for round in 0..n {
        let input = if seeds.is_empty() || round % 10 == 9 {
            let len = rng.below(4096);
            rng.bytes(len)
        } else {
            let s = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, s)
        };
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            let path = std::env::temp_dir().join(format!("kura-fuzz-{name}-{round}.bin"));
            let _ = fs::write(&path, &input);
            panic!("{name}: panicked on round {round}; input saved to {}", path.display());
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn signer(fx: &Desk) -> SigningKey {
    load_signing_key(&fx.engineer.private, &PassphraseSource::new(None)).expect("engineer key")
}

/// A real vault's plaintext tar (decrypted and decompressed with the stock
/// tools), its receipt and its custody log: seeds for the fuzzers.
struct Samples {
    tar: Vec<u8>,
    manifest: Vec<u8>,
    receipt: Receipt,
    custody: Vec<u8>,
}

fn samples(fx: &Desk) -> Samples {
    let vault = fx.packed("seed.kura");
    let plain = fx.path("seed.tar");
    let o = shell(
        &fx.root,
        &format!(
            "age -d -i {} {} | zstd -d > {}",
            fx.engineer.private.display(),
            vault.display(),
            plain.display()
        ),
    );
    assert!(o.status.success(), "{}", describe(&o));
    let tar = fs::read(&plain).unwrap();
    let mut a = tar::Archive::new(&tar[..]);
    let mut manifest = Vec::new();
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some(".kura/manifest.json") {
            e.read_to_end(&mut manifest).unwrap();
        }
    }
    let custody = fs::read(custody_of(&vault)).unwrap();
    let receipt = kura::custody::verify_text(&text(&custody)).unwrap().receipt;
    Samples {
        tar,
        manifest,
        receipt,
        custody,
    }
}

/// Seals `plain` (a zstd stream, or a tar compressed here) into a vault for
/// the engineer, with a custody log whose receipt matches the ciphertext
/// and declares `files` files of `bytes` bytes.
fn seal(fx: &Desk, name: &str, plain: &[u8], compressed: bool, files: u64, bytes: u64) -> PathBuf {
    let z = if compressed {
        plain.to_vec()
    } else {
        zstd::encode_all(plain, 3).unwrap()
    };
    let recipient = age::ssh::Recipient::from_str(&fx.engineer.line).unwrap();
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
    let mut ct = Vec::new();
    let mut w = enc.wrap_output(&mut ct).unwrap();
    w.write_all(&z).unwrap();
    w.finish().unwrap();
    let vault = fx.mkdir("forged").join(format!("{name}.kura"));
    fs::write(&vault, &ct).unwrap();
    let key = signer(fx);
    let mut receipt = samples_receipt(&key);
    receipt.file_count = files;
    receipt.total_size = bytes;
    receipt.ciphertext = Ciphertext {
        size: ct.len() as u64,
        blake3: blake3::hash(&ct).to_hex().to_string(),
    };
    let log = kura::custody::new_log_bytes(&receipt, &key, kura::clock::now()).unwrap();
    fs::write(custody_of(&vault), log).unwrap();
    vault
}

fn samples_receipt(key: &SigningKey) -> Receipt {
    serde_json::from_value(serde_json::json!({
        "format": "kura-receipt", "version": 1, "vault_id": "0b6f6d2e-7f1c-4a8e-9c3d-51e2a7b4c6d0",
        "created": NOW, "packer": key.info(),
        "approval": {"id": "APP-HOSTILE", "approved_by": "院長（ダミー）", "purpose": "調査", "delete_by": DELETE_BY},
        "recipients": [], "file_count": 1, "total_size": 1, "manifest_blake3": "0".repeat(64),
        "ciphertext": {"size": 0, "blake3": "0".repeat(64)}
    }))
    .unwrap()
}

#[test]
fn text_parsers_survive_random_and_mutated_input() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let s = samples(&fx);
    let receipt_json = s.receipt.to_json().into_bytes();
    let signers = fs::read(&fx.signers).unwrap();
    let recipients = format!(
        "# team\n{}\n{}\nage1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj\n",
        fx.engineer.line, fx.clinic.line
    );
    let deep = |open: &str, close: &str, n: usize| format!("{}{}", open.repeat(n), close.repeat(n)).into_bytes();

    fuzz("custody", &[s.custody.clone(), deep("[", "]", 100_000)], 600, |b| {
        let _ = kura::custody::verify_text(&text(b));
    });
    fuzz(
        "receipt",
        &[receipt_json.clone(), deep("{\"a\":", "}", 50_000)],
        1500,
        |b| {
            let _ = Receipt::parse(&text(b));
        },
    );
    fuzz("manifest", &[s.manifest.clone(), deep("[", "]", 100_000)], 800, |b| {
        let _ = serde_json::from_slice::<Manifest>(b);
    });
    let info = signer(&fx).info().clone();
    fuzz("allowed-signers", std::slice::from_ref(&signers), 1500, |b| {
        if let Ok(a) = AllowedSigners::parse(&text(b)) {
            let _ = a.principal_for(&info, "kura-manifest");
        }
    });
    fuzz("recipients", &[recipients.clone().into_bytes()], 1500, |b| {
        let mut r = Recipients::default();
        for (i, line) in text(b).lines().enumerate() {
            let _ = r.add(line, &format!("line {i}"));
        }
    });
    let certs = cert_seed(&fx);
    fuzz("certificate", &certs, 800, |b| {
        let _ = kura::certificate::Certificate::parse(b);
    });
    #[cfg(target_os = "linux")]
    {
        let mountinfo = fs::read("/proc/self/mountinfo").unwrap();
        fuzz("mountinfo", &[mountinfo], 1500, |b| {
            let m = kura::guard::linux::parse_mountinfo(&text(b));
            let _ = kura::guard::linux::mount_of(&m, Path::new("/tmp/x"));
        });
    }
}

/// A real certificate to mutate.
fn cert_seed(fx: &Desk) -> Vec<Vec<u8>> {
    let vault = fx.packed("for-cert.kura");
    let cert = fx.path("cert.json");
    ok(&fx.run(osargs![
        "certify",
        vault,
        "--returned",
        "-i",
        fx.engineer.private,
        "-o",
        cert
    ]));
    vec![fs::read(&cert).unwrap()]
}

#[test]
fn identity_files_survive_random_and_mutated_input() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let seeds = vec![
        fs::read(&fx.engineer.private).unwrap(),
        b"# created: now\nAGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSJZEMRQ\n".to_vec(),
    ];
    let path = fx.path("keys/fuzzed");
    let pass = PassphraseSource::new(Some(fx.path("no-such-passphrase-file")));
    fuzz("identity", &seeds, 400, |b| {
        fs::write(&path, b).unwrap();
        set_mode(&path, 0o600);
        let _ = Identities::load(std::slice::from_ref(&path), &pass);
    });
}

#[test]
fn the_archive_reader_survives_mutated_archives() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let s = samples(&fx);
    // Extraction needs a key that signs its records; verify then records
    // too (each round's log is thrown away).
    let ids = Identities::load(std::slice::from_ref(&fx.engineer.private), &PassphraseSource::new(None)).unwrap();
    let mut rng = Rng(77);
    let zstd_seed = zstd::encode_all(&s.tar[..], 3).unwrap();
    for round in 0..160 {
        let (plain, compressed) = if round % 4 == 3 {
            (mutate(&mut rng, &zstd_seed), true)
        } else {
            (mutate(&mut rng, &s.tar), false)
        };
        let vault = seal(
            &fx,
            &format!("m{round}"),
            &plain,
            compressed,
            s.receipt.file_count,
            s.receipt.total_size,
        );
        let custody = custody_of(&vault);
        let req = || OpenRequest {
            vault: &vault,
            custody: &custody,
            keys: KeySource::Loaded(&ids),
            signers: None,
        };
        let dest = fx.path(&format!("dest{round}"));
        let probe = kura::guard::system();
        let to_dest = ExtractRequest {
            open: req(),
            dest: &dest,
            allow: kura::guard::Allow::default(),
            probe: probe.as_ref(),
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let _ = custodian::verify(&req(), &|_| {});
            if round % 8 == 0 {
                if let Err(_e) = custodian::extract(&to_dest, &|_| {}) {
                    assert_absent_or_empty(&dest);
                }
            }
        }));
        if result.is_err() {
            fs::write(fx.path("crash.tar"), &plain).unwrap();
            panic!("the archive reader panicked on round {round}");
        }
        let _ = fs::remove_dir_all(&dest);
        fs::remove_file(&vault).unwrap();
        fs::remove_file(&custody).unwrap();
    }
}

// --- bounds, through the binary -------------------------------------------

fn header(path: &str, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut h = if size > 0o77777777777 {
        tar::Header::new_gnu()
    } else {
        tar::Header::new_ustar()
    };
    h.set_path(path).unwrap();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(1_600_000_000);
    h.set_cksum();
    h
}

fn member(out: &mut Vec<u8>, path: &str, kind: tar::EntryType, data: &[u8]) {
    out.extend_from_slice(header(path, kind, data.len() as u64).as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0u8; 1024]);
}

/// verify and extract both refuse `vault` with `code` and error `id`,
/// leaving DEST absent.
fn refused(fx: &Desk, vault: &Path, code: i32, id: &str) {
    for cmd in ["verify", "extract"] {
        let dest = fx.path("dest");
        let mut a = osargs!["--json", cmd, vault, "-i", fx.engineer.private];
        if cmd == "extract" {
            a.extend(osargs!["-C", dest]);
        }
        let o = fx.run(a);
        assert_no_panic(&o);
        let j = json(&o);
        assert_eq!(o.status.code(), Some(code), "{}", describe(&o));
        assert_eq!(j["error"]["id"], id, "{}", describe(&o));
        assert_absent(&dest);
    }
}

#[test]
fn an_oversized_tar_header_extension_is_refused_without_reading_it() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let mut t = Vec::new();
    member(&mut t, "export", tar::EntryType::Directory, b"");
    // A pax header of 64 MiB: the tar reader would hold it all in memory.
    let pax = vec![b'a'; 64 << 20];
    member(&mut t, "././@PaxHeader", tar::EntryType::XHeader, &pax);
    member(&mut t, "export/a.txt", tar::EntryType::Regular, b"x");
    end(&mut t);
    let vault = seal(&fx, "pax", &t, false, 1, 1);
    refused(&fx, &vault, 6, "err-vault-oversize");
    // A GNU long name of 64 MiB likewise.
    let mut t = Vec::new();
    member(&mut t, "././@LongLink", tar::EntryType::GNULongName, &pax);
    member(&mut t, "export/a.txt", tar::EntryType::Regular, b"x");
    end(&mut t);
    let vault = seal(&fx, "longname", &t, false, 1, 1);
    refused(&fx, &vault, 6, "err-vault-oversize");
}

#[test]
fn a_gigantic_declared_size_is_refused_at_once() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let mut t = Vec::new();
    member(&mut t, "export", tar::EntryType::Directory, b"");
    t.extend_from_slice(header("export/huge.bin", tar::EntryType::Regular, 1 << 40).as_bytes());
    t.extend_from_slice(&[0u8; 4096]);
    let vault = seal(&fx, "huge", &t, false, 1, 4096);
    refused(&fx, &vault, 6, "err-vault-oversize");
}

#[test]
fn more_data_than_the_receipt_declares_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    // 200 MiB of zeros compress to almost nothing: a bomb the receipt does
    // not declare.
    let mut t = Vec::new();
    member(&mut t, "export", tar::EntryType::Directory, b"");
    member(
        &mut t,
        "export/zeros.bin",
        tar::EntryType::Regular,
        &vec![0u8; 200 << 20],
    );
    end(&mut t);
    let vault = seal(&fx, "bomb", &t, false, 1, 1 << 20);
    refused(&fx, &vault, 6, "err-vault-oversize");
}

#[test]
fn a_receipt_declaring_a_decompression_bomb_is_refused_before_decrypting() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let mut t = Vec::new();
    member(&mut t, "export/a.txt", tar::EntryType::Regular, b"x");
    end(&mut t);
    let vault = seal(&fx, "ratio", &t, false, 1, 1 << 50);
    refused(&fx, &vault, 6, "err-vault-bomb");
    let vault = seal(&fx, "count", &t, false, 50_000_000, 1);
    refused(&fx, &vault, 6, "err-vault-oversize");
}

#[test]
fn a_flood_of_tiny_members_stops_at_the_receipt() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let mut t = Vec::new();
    member(&mut t, "export", tar::EntryType::Directory, b"");
    for i in 0..50_000 {
        member(&mut t, &format!("export/f{i:06}"), tar::EntryType::Regular, b"");
    }
    end(&mut t);
    let vault = seal(&fx, "flood", &t, false, 10, 0);
    refused(&fx, &vault, 6, "err-vault-oversize");
}

#[test]
fn deep_json_nesting_is_an_error() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    // In the manifest inside a vault.
    let mut t = Vec::new();
    member(&mut t, "export", tar::EntryType::Directory, b"");
    member(&mut t, "export/a.txt", tar::EntryType::Regular, b"x");
    let deep = format!("{}{}", "[".repeat(500_000), "]".repeat(500_000));
    member(&mut t, ".kura/manifest.json", tar::EntryType::Regular, deep.as_bytes());
    member(
        &mut t,
        ".kura/manifest.json.sig",
        tar::EntryType::Regular,
        b"not a signature",
    );
    end(&mut t);
    let vault = seal(&fx, "deep", &t, false, 1, 1);
    refused(&fx, &vault, 6, "err-vault-damaged");
    // In the custody log.
    let vault = fx.packed("x.kura");
    let mut log = fs::read_to_string(custody_of(&vault)).unwrap();
    log.push_str(&"[".repeat(200_000));
    log.push('\n');
    fs::write(custody_of(&vault), &log).unwrap();
    let o = fx.run(osargs!["--json", "custody", "verify", vault]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(6), "{}", describe(&o));
    assert_eq!(json(&o)["error"]["id"], "err-custody-bad-record");
}

#[test]
fn huge_lines_and_files_are_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let log = fs::read_to_string(custody_of(&vault)).unwrap();
    // One line of 1 MiB.
    fs::write(custody_of(&vault), format!("{log}{}\n", "x".repeat(1 << 20))).unwrap();
    let o = fx.run(osargs!["--json", "custody", "verify", vault]);
    assert_eq!(o.status.code(), Some(6), "{}", describe(&o));
    // A log of 80 MiB.
    let mut f = fs::OpenOptions::new().append(true).open(custody_of(&vault)).unwrap();
    f.write_all(&vec![b'y'; 80 << 20]).unwrap();
    drop(f);
    for args in [
        osargs!["custody", "verify", vault],
        osargs!["custody", "add", vault, "--event", "note", "-i", fx.engineer.private],
        osargs!["verify", vault, "-i", fx.engineer.private],
    ] {
        let o = fx.run(args);
        assert_no_panic(&o);
        assert!(matches!(o.status.code(), Some(3) | Some(6)), "{}", describe(&o));
    }
    assert!(fs::metadata(custody_of(&vault)).unwrap().len() > 80 << 20, "never cut");
    // Trust lists, recipients files and keys of many megabytes.
    let big = fx.path("big.txt");
    fs::write(&big, "a".repeat(20 << 20)).unwrap();
    set_mode(&big, 0o600);
    let v2 = fx.packed("y.kura");
    let locked = fx.path("keys/locked");
    let pass = fx.path("pass.txt");
    fs::write(&pass, "a passphrase\n").unwrap();
    ok(&fx.run(osargs!["keygen", "-o", locked, "--passphrase-file", pass]));
    for args in [
        osargs!["verify", v2, "-i", fx.engineer.private, "--signers", big],
        osargs!["verify", v2, "-i", big],
        osargs!["verify", v2, "-i", locked, "--passphrase-file", big],
    ] {
        let o = fx.run(args);
        assert_no_panic(&o);
        assert!(
            matches!(o.status.code(), Some(2) | Some(3) | Some(4)),
            "{}",
            describe(&o)
        );
    }
    let mut a = fx.pack_args(fx.path("z.kura"));
    a.extend(osargs!["-R", big, fx.export()]);
    let o = fx.run(a);
    assert_no_panic(&o);
    assert!(matches!(o.status.code(), Some(2) | Some(3)), "{}", describe(&o));
    // A hostile trust-list pattern ends at once.
    let pattern = format!(
        "engineer@kura.test namespaces=\"{}b\" {}\n",
        "*a".repeat(20_000),
        bare_key(&fx.engineer.line)
    );
    let hostile = fx.path("hostile_signers");
    fs::write(&hostile, pattern).unwrap();
    let o = fx.run(osargs!["verify", v2, "-i", fx.engineer.private, "--signers", hostile]);
    assert_refused(&o, 7);
}

// --- the sweep ---------------------------------------------------------------

#[test]
fn no_bad_input_makes_kura_panic() {
    let fx = Desk::with_export();
    let vault = fx.packed("good.kura");
    let good_vault = fs::read(&vault).unwrap();
    let good_log = fs::read(custody_of(&vault)).unwrap();
    let mut rng = Rng(4242);
    let bad = fx.mkdir("bad");
    // Bad files of every kind.
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("nul".into(), vec![0; 4096]),
        ("noise".into(), rng.bytes(100_000)),
        ("not-utf8".into(), vec![0xff, 0xfe, b'\n', 0xc0, 0x80]),
        ("json-deep".into(), "[".repeat(300_000).into_bytes()),
        (
            "json-object".into(),
            b"{\"format\":\"kura-certificate\",\"version\":1}".to_vec(),
        ),
        ("long-line".into(), vec![b'z'; 3 << 20]),
        ("crlf".into(), text(&good_log).replace('\n', "\r\n").into_bytes()),
    ];
    for cut in [1, 100, good_log.len() / 2, good_log.len() - 2] {
        files.push((format!("log-cut-{cut}"), good_log[..cut].to_vec()));
    }
    for i in 0..6 {
        files.push((format!("log-mutated-{i}"), mutate(&mut rng, &good_log)));
    }
    for (name, bytes) in &files {
        fs::write(bad.join(name), bytes).unwrap();
        set_mode(&bad.join(name), 0o600);
    }
    let dir_as_file = fx.mkdir("bad/a-directory");
    let missing = bad.join("missing");
    let mut paths: Vec<PathBuf> = files.iter().map(|(n, _)| bad.join(n)).collect();
    paths.push(dir_as_file);
    paths.push(missing);
    paths.push(PathBuf::from("/dev/null"));

    // Damaged vaults beside an intact log.
    let mut vaults = Vec::new();
    for (i, cut) in [0usize, 10, 100, good_vault.len() / 2, good_vault.len() - 1]
        .iter()
        .enumerate()
    {
        let v = bad.join(format!("cut{i}.kura"));
        fs::write(&v, &good_vault[..*cut]).unwrap();
        fs::write(custody_of(&v), &good_log).unwrap();
        vaults.push(v);
    }
    for i in 0..6 {
        let v = bad.join(format!("flip{i}.kura"));
        let mut b = good_vault.clone();
        let at = rng.below(b.len());
        b[at] ^= 0x40;
        fs::write(&v, &b).unwrap();
        fs::write(custody_of(&v), &good_log).unwrap();
        vaults.push(v);
    }
    // Intact vault, bad logs.
    for (i, p) in paths.iter().enumerate() {
        let v = bad.join(format!("badlog{i}.kura"));
        fs::write(&v, &good_vault).unwrap();
        if let Ok(b) = fs::read(p) {
            fs::write(custody_of(&v), b).unwrap();
        }
        vaults.push(v);
    }

    let key = fx.engineer.private.clone();
    let mut runs: Vec<Vec<std::ffi::OsString>> = Vec::new();
    for v in &vaults {
        let dest = fx.path("dest");
        runs.push(osargs!["verify", v, "-i", key]);
        runs.push(osargs!["extract", v, "-i", key, "-C", dest]);
        runs.push(osargs!["inspect", v]);
        runs.push(osargs!["custody", "verify", v]);
        runs.push(osargs!["custody", "show", v]);
    }
    for p in &paths {
        runs.push(osargs!["verify", vault, "-i", p]);
        runs.push(osargs!["verify", vault, "-i", key, "--signers", p]);
        runs.push(osargs!["verify", vault, "-i", key, "--custody", p]);
        runs.push(osargs!["verify", p, "-i", key]);
        runs.push(osargs!["inspect", p]);
        runs.push(osargs!["custody", "show", p]);
        runs.push(osargs![
            "certificate",
            "verify",
            p,
            "--custody",
            custody_of(&vault),
            "--signers",
            fx.signers
        ]);
        runs.push(osargs![
            "certificate",
            "verify",
            fx.path("none.json"),
            "--custody",
            p,
            "--signers",
            p
        ]);
        let mut a = fx.pack_args(fx.path("out/x.kura"));
        a.extend(osargs!["-R", p, "--approval-doc", p, fx.export()]);
        runs.push(a);
        let mut a = fx.pack_args(fx.path("out/y.kura"));
        a.extend(osargs!["--passphrase-file", p, fx.export()]);
        runs.push(a);
    }
    for split in ["0", "1", "99999999999999999999G", "1e9", "½G", "G1"] {
        let mut a = fx.pack_args(fx.path("out/s.kura"));
        a.extend(osargs!["--split", split, fx.export()]);
        runs.push(a);
    }
    let mut count = 0;
    for json_flag in [false, true] {
        for args in &runs {
            let mut c = fx.kura();
            if json_flag {
                c.arg("--json");
            }
            let o = c.args(args).output().unwrap();
            assert_no_panic(&o);
            let code = o.status.code();
            assert!(
                matches!(code, Some(0..=11)),
                "undocumented exit code for {args:?}:\n{}",
                describe(&o)
            );
            if json_flag {
                let j = json(&o);
                assert!(j.get("ok").is_some(), "{}", describe(&o));
            }
            let _ = fs::remove_dir_all(fx.path("dest"));
            let _ = fs::remove_dir_all(fx.path("out"));
            count += 1;
        }
    }
    assert!(count > 400, "{count} runs");
    // The good vault and its log were never touched by the bad runs.
    assert_eq!(fs::read(&vault).unwrap(), good_vault);
}

#[test]
fn a_closed_output_pipe_is_not_a_crash() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    for args in [
        osargs!["inspect", vault],
        osargs!["--json", "inspect", vault],
        osargs!["custody", "show", vault],
        osargs!["verify", fx.path("missing.kura"), "-i", fx.engineer.private],
    ] {
        let mut child = fx
            .kura()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // like `kura … | head -0`
        let o = child.wait_with_output().unwrap();
        assert_no_panic(&o);
        assert!(matches!(o.status.code(), Some(0..=11)), "{}", describe(&o));
    }
}
