//! Opening a hostile vault costs time linear in its members and bounded
//! memory, and ends in a clear refusal past the limits of docs/FORMAT.md
//! (section 2.1); keys, passphrase files and trust lists are never waited
//! on; `pack` never packs its own output.
//!
//! The vaults are built here with the kura library: a tar written member by
//! member, compressed, encrypted for a key made with `kura keygen`, and a
//! custody log whose receipt matches it, so that kura reads every member.
//! Every run of kura has a deadline: a run that would wait or take
//! quadratic time fails the test instead of hanging it.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;
use std::time::Duration;

use kura::keys::identity::load_signing_key;
use kura::keys::signature::NS_MANIFEST;
use kura::keys::{PassphraseSource, SigningKey};
use kura::vault::format::{MAX_DEPTH, MAX_FOLDERS};
use kura::vault::receipt::Ciphertext;
use kura::vault::{Approval, Entry, EntryKind, Manifest, Receipt};

/// Far more than any of these runs takes, far less than a run would take
/// that waits on a FIFO or does quadratic work.
const DEADLINE: Duration = Duration::from_secs(60);

const VAULT_ID: &str = "3c7e9a51-2d8f-4b6c-8e0a-7f1d2c3b4a59";
const CREATED: &str = "2026-04-01T10:00:00+09:00";

fn os(s: impl AsRef<OsStr>) -> OsString {
    s.as_ref().to_os_string()
}

/// Runs kura (C locale, no passphrase file from the environment, stdin
/// null) with `env` added; kills it and fails if it is still running after
/// `limit`.
fn kura_within(args: &[OsString], env: &[(&str, &OsStr)], limit: Duration) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kura"));
    cmd.args(args)
        .env("LC_ALL", "C")
        .env("KURA_PASSPHRASE_FILE", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("kura runs");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("kura's output"),
        Err(_) => {
            // SAFETY: kill(2) on the child's pid, which has not been
            // reaped (the waiting thread is still waiting).
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("kura {args:?} still running after {limit:?}");
        }
    }
}

fn kura(args: &[OsString]) -> Output {
    kura_within(args, &[], DEADLINE)
}

fn describe(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The one line kura wrote to stderr, after asserting `code`.
fn refused(o: &Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "{}", describe(o));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The `error.id` of a `--json` run.
fn error_id(o: &Output) -> String {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", describe(o)));
    v["error"]["id"].as_str().unwrap_or_default().to_string()
}

fn custody_of(vault: &Path) -> PathBuf {
    let mut s = vault.as_os_str().to_os_string();
    s.push(".custody");
    PathBuf::from(s)
}

struct Desk {
    dir: tempfile::TempDir,
    key: PathBuf,
    signer: SigningKey,
    public: String,
}

impl Desk {
    fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("engineer.key");
        let o = kura(&[
            os("keygen"),
            os("-o"),
            os(&key),
            os("--no-passphrase"),
            os("--comment"),
            os("x@y"),
        ]);
        assert!(o.status.success(), "{}", describe(&o));
        let signer = load_signing_key(&key, &PassphraseSource::new(None)).unwrap();
        let public = fs::read_to_string(dir.path().join("engineer.key.pub")).unwrap();
        Desk {
            dir,
            key,
            signer,
            public: public.trim().to_string(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Compresses and encrypts `tar` into `NAME.kura` for the engineer and
    /// writes a custody log whose receipt matches it and declares `files`
    /// files of `bytes` bytes and the manifest `manifest`.
    fn seal(&self, name: &str, tar: &[u8], files: u64, bytes: u64, manifest: &[u8]) -> PathBuf {
        let z = zstd::encode_all(tar, 3).unwrap();
        let recipient = age::ssh::Recipient::from_str(&self.public).unwrap();
        let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient)).unwrap();
        let mut ct = Vec::new();
        let mut w = enc.wrap_output(&mut ct).unwrap();
        w.write_all(&z).unwrap();
        w.finish().unwrap();
        let vault = self.path(&format!("{name}.kura"));
        fs::write(&vault, &ct).unwrap();
        let receipt = Receipt {
            format: "kura-receipt".into(),
            version: 1,
            vault_id: VAULT_ID.into(),
            created: CREATED.into(),
            packer: self.signer.info().clone(),
            approval: approval(),
            recipients: vec![],
            file_count: files,
            total_size: bytes,
            manifest_blake3: blake3::hash(manifest).to_hex().to_string(),
            ciphertext: Ciphertext {
                size: ct.len() as u64,
                blake3: blake3::hash(&ct).to_hex().to_string(),
            },
        };
        let now = chrono::DateTime::parse_from_rfc3339(CREATED).unwrap();
        let log = kura::custody::new_log_bytes(&receipt, &self.signer, now).unwrap();
        fs::write(custody_of(&vault), log).unwrap();
        vault
    }

    /// A complete vault of `entries` (no file data): members, a manifest
    /// listing them, signed by the engineer, as `pack` would write it.
    fn forge(&self, name: &str, entries: Vec<Entry>) -> PathBuf {
        let mut t = Vec::new();
        for e in &entries {
            assert_ne!(e.kind, EntryKind::File, "no data here");
            kura::vault::tarfmt::write_header(&mut t, e).unwrap();
        }
        let manifest = Manifest {
            format: "kura-manifest".into(),
            version: 1,
            vault_id: VAULT_ID.into(),
            created: CREATED.into(),
            packer: self.signer.info().clone(),
            approval: approval(),
            approval_document: None,
            recipients: vec![],
            entries,
            file_count: 0,
            total_size: 0,
            streams: vec![],
        }
        .to_json();
        let sig = self.signer.sign(NS_MANIFEST, &manifest).unwrap();
        member(&mut t, ".kura/manifest.json", tar::EntryType::Regular, &manifest);
        member(
            &mut t,
            ".kura/manifest.json.sig",
            tar::EntryType::Regular,
            sig.as_bytes(),
        );
        end(&mut t);
        self.seal(name, &t, 0, 0, &manifest)
    }

    fn verify(&self, vault: &Path) -> Output {
        kura(&[os("--json"), os("verify"), os(vault), os("-i"), os(&self.key)])
    }

    fn extract(&self, vault: &Path, dest: &Path) -> Output {
        kura(&[
            os("--json"),
            os("extract"),
            os(vault),
            os("-i"),
            os(&self.key),
            os("-C"),
            os(dest),
        ])
    }

    /// verify and extract both refuse `vault` with `code` and `id`, and
    /// extract leaves no destination behind.
    fn refuses(&self, vault: &Path, code: i32, id: &str) {
        let o = self.verify(vault);
        assert_eq!(
            (o.status.code(), error_id(&o).as_str()),
            (Some(code), id),
            "{}",
            describe(&o)
        );
        let dest = self.path("dest");
        let o = self.extract(vault, &dest);
        assert_eq!(
            (o.status.code(), error_id(&o).as_str()),
            (Some(code), id),
            "{}",
            describe(&o)
        );
        assert!(!dest.exists(), "extract left {}", dest.display());
    }

    /// `export/a.txt`, a dummy export, packed into `NAME.kura`.
    fn packed(&self, name: &str) -> PathBuf {
        let export = self.path("export");
        fs::create_dir_all(&export).unwrap();
        fs::write(export.join("a.txt"), "dummy\n").unwrap();
        let vault = self.path(name);
        let o = kura(&[self.pack_args(&vault), vec![os(&export)]].concat());
        assert!(o.status.success(), "{}", describe(&o));
        vault
    }

    fn pack_args(&self, out: &Path) -> Vec<OsString> {
        [
            "pack",
            "-o",
            out.to_str().unwrap(),
            "-r",
            &self.public,
            "-i",
            self.key.to_str().unwrap(),
            "--approval-id",
            "A-1",
            "--approved-by",
            "B",
            "--purpose",
            "C",
            "--delete-by",
            "2099-01-01",
        ]
        .iter()
        .map(os)
        .collect()
    }
}

fn approval() -> Approval {
    Approval {
        id: "APP-BOUNDED".into(),
        approved_by: "院長（ダミー）".into(),
        purpose: "調査".into(),
        delete_by: "2099-12-31".into(),
        document_blake3: None,
        signed: None,
    }
}

fn entry(path: &str, kind: EntryKind, target: Option<&str>) -> Entry {
    Entry {
        path: path.into(),
        kind,
        size: 0,
        mode: match kind {
            EntryKind::Dir => 0o755,
            EntryKind::Symlink => 0o777,
            EntryKind::File => 0o644,
        },
        mtime: 1_700_000_000,
        blake3: None,
        target: target.map(str::to_string),
    }
}

/// A raw tar header declaring `size` bytes of data.
fn header(t: &mut Vec<u8>, path: &str, kind: tar::EntryType, size: u64) {
    let mut h = tar::Header::new_gnu();
    h.set_path(path).unwrap();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    t.extend_from_slice(h.as_bytes());
}

/// A raw tar member with `data`.
fn member(t: &mut Vec<u8>, path: &str, kind: tar::EntryType, data: &[u8]) {
    header(t, path, kind, data.len() as u64);
    t.extend_from_slice(data);
    t.resize(t.len().div_ceil(512) * 512, 0);
}

fn end(t: &mut Vec<u8>) {
    t.extend_from_slice(&[0u8; 1024]);
}

/// Members only, then a placeholder manifest and signature: what kura
/// reads before it could tell the vault is not genuine.
fn members_only(desk: &Desk, name: &str, entries: &[Entry], files: u64) -> PathBuf {
    let mut t = Vec::new();
    for e in entries {
        kura::vault::tarfmt::write_header(&mut t, e).unwrap();
    }
    member(&mut t, ".kura/manifest.json", tar::EntryType::Regular, b"{}");
    member(&mut t, ".kura/manifest.json.sig", tar::EntryType::Regular, b"x");
    end(&mut t);
    desk.seal(name, &t, files, 0, b"{}")
}

#[test]
fn twenty_thousand_links_and_folders_verify_in_linear_time() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    // Checking each member against every link before it took minutes
    // here; looking up its ancestors takes a moment.
    let desk = Desk::new();
    let mut entries = vec![entry("export", EntryKind::Dir, None)];
    for i in 0..20_000 {
        let target = format!("d{i:05}");
        entries.push(entry(&format!("export/l{i:05}"), EntryKind::Symlink, Some(&target)));
    }
    for i in 0..20_000 {
        entries.push(entry(&format!("export/d{i:05}"), EntryKind::Dir, None));
    }
    let vault = desk.forge("links", entries);
    let o = desk.verify(&vault);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
}

#[test]
fn more_folders_than_the_limit_are_refused_named_or_implied() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let mut named = vec![entry("export", EntryKind::Dir, None)];
    named.extend((0..MAX_FOLDERS).map(|i| entry(&format!("export/d{i:06}"), EntryKind::Dir, None)));
    let vault = members_only(&desk, "named", &named, 0);
    desk.refuses(&vault, 6, "err-vault-limit");
    let o = desk.verify(&vault);
    let err = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        err.contains("folders") && err.contains(&MAX_FOLDERS.to_string()),
        "{err}"
    );
    // Links in folders the archive never names: the folders count all the
    // same (a link costs no data, unlike a file).
    let implied: Vec<Entry> = (0..=MAX_FOLDERS)
        .map(|i| entry(&format!("export/d{i:06}/l"), EntryKind::Symlink, Some("x")))
        .collect();
    let vault = members_only(&desk, "implied", &implied, 0);
    desk.refuses(&vault, 6, "err-vault-limit");
}

#[test]
fn a_path_deeper_than_the_limit_is_refused() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let deep = vec!["d"; MAX_DEPTH].join("/");
    let vault = members_only(&desk, "deep", &[entry(&deep, EntryKind::Dir, None)], 0);
    // At the limit: read, and refused only for its placeholder manifest.
    let o = desk.verify(&vault);
    assert_eq!(error_id(&o), "err-vault-damaged", "{}", describe(&o));
    let deeper = format!("{deep}/d");
    let vault = members_only(&desk, "deeper", &[entry(&deeper, EntryKind::Dir, None)], 0);
    desk.refuses(&vault, 6, "err-vault-limit");
}

#[test]
fn a_run_of_oversized_tar_headers_is_refused_at_the_second() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    // Each pax header fits the room allowed after one member, but together
    // they would have kura decompress a terabyte from a small vault.
    let desk = Desk::new();
    let mut record = b" comment=".to_vec();
    record.resize((1 << 20) - 16, b'a');
    record.push(b'\n');
    let len = record.len() + 7;
    let record = [len.to_string().into_bytes(), record].concat();
    assert_eq!(record.len(), len);
    let mut t = Vec::new();
    for i in 0..1000 {
        member(&mut t, "././@PaxHeader", tar::EntryType::XHeader, &record);
        kura::vault::tarfmt::write_header(&mut t, &entry(&format!("export{i}"), EntryKind::Dir, None)).unwrap();
    }
    end(&mut t);
    let vault = desk.seal("pax", &t, 0, 0, b"{}");
    desk.refuses(&vault, 6, "err-vault-limit");
}

#[test]
fn folders_and_links_with_data_are_refused() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    // The tar reader would skip their data by reading it all.
    let desk = Desk::new();
    for (name, path, kind) in [
        ("dirdata", "export/", tar::EntryType::Directory),
        ("linkdata", "export/l", tar::EntryType::Symlink),
    ] {
        let mut t = Vec::new();
        header(&mut t, path, kind, 1 << 40);
        t.extend_from_slice(&[0u8; 4096]);
        let vault = desk.seal(name, &t, 0, 0, b"{}");
        desk.refuses(&vault, 6, "err-vault-oversize");
    }
}

#[test]
fn a_manifest_larger_than_its_members_call_for_is_refused_before_reading_it() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let mut t = Vec::new();
    kura::vault::tarfmt::write_header(&mut t, &entry("export", EntryKind::Dir, None)).unwrap();
    // 64 MiB of entries for one member.
    let one = br#"{"path":"","type":"dir","size":0,"mode":0,"mtime":0},"#;
    let mut m = br#"{"entries":["#.to_vec();
    while m.len() < 64 << 20 {
        m.extend_from_slice(one);
    }
    m.pop();
    m.extend_from_slice(b"]}");
    member(&mut t, ".kura/manifest.json", tar::EntryType::Regular, &m);
    member(&mut t, ".kura/manifest.json.sig", tar::EntryType::Regular, b"x");
    end(&mut t);
    let vault = desk.seal("manifest", &t, 0, 0, &m);
    desk.refuses(&vault, 6, "err-vault-limit");
}

#[test]
fn a_member_beneath_a_file_is_refused_before_extracting() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let mut t = Vec::new();
    member(&mut t, "export/a", tar::EntryType::Regular, b"x");
    member(&mut t, "export/a/b", tar::EntryType::Regular, b"y");
    end(&mut t);
    let vault = desk.seal("beneath", &t, 2, 2, b"{}");
    desk.refuses(&vault, 8, "err-unsafe-path");
    let o = desk.verify(&vault);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("beneath a file"),
        "{}",
        describe(&o)
    );
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn a_fifo_or_device_given_as_a_key_or_list_is_refused_at_once() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let vault = desk.packed("v.kura");
    let export = desk.path("export");
    let fifo = desk.path("fifo");
    mkfifo(&fifo);
    let f = fifo.to_str().unwrap();
    let cases: [(Vec<OsString>, &str); 5] = [
        (vec![os("verify"), os(&vault), os("-i"), os(&fifo)], f),
        (vec![os("verify"), os(&vault), os("-i"), os("/dev/zero")], "/dev/zero"),
        (
            vec![
                os("verify"),
                os(&vault),
                os("-i"),
                os(&desk.key),
                os("--signers"),
                os(&fifo),
            ],
            f,
        ),
        (
            [
                desk.pack_args(&desk.path("w.kura")),
                vec![os("-R"), os(&fifo), os(&export)],
            ]
            .concat(),
            f,
        ),
        (
            vec![
                os("verify"),
                os(&vault),
                os("-i"),
                os(&desk.key),
                os("--custody"),
                os(&fifo),
            ],
            f,
        ),
    ];
    for (args, named) in cases {
        let o = kura(&args);
        let line = refused(&o, 3);
        assert!(line.contains(named) && line.contains("not a regular file"), "{line}");
    }
    assert!(!desk.path("w.kura").exists());
}

#[test]
fn a_passphrase_file_that_cannot_be_read_is_a_key_problem() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let pass = desk.path("pass.txt");
    fs::write(&pass, "correct horse\n").unwrap();
    let locked = desk.path("locked.key");
    let o = kura(&[
        os("keygen"),
        os("-o"),
        os(&locked),
        os("--passphrase-file"),
        os(&pass),
        os("--comment"),
        os("x@y"),
    ]);
    assert!(o.status.success(), "{}", describe(&o));
    let vault = desk.packed("v.kura");
    let fifo = desk.path("pass.fifo");
    mkfifo(&fifo);
    let verify = vec![os("verify"), os(&vault), os("-i"), os(&locked)];
    for file in [os("/dev/zero"), os(&fifo), os(desk.path("missing.txt"))] {
        // From the environment and from the option alike.
        let o = kura_within(&verify, &[("KURA_PASSPHRASE_FILE", &file)], DEADLINE);
        let line = refused(&o, 4);
        assert!(
            line.contains("passphrase file") && line.contains(file.to_str().unwrap()),
            "{line}"
        );
        let o = kura(&[verify.clone(), vec![os("--passphrase-file"), file.clone()]].concat());
        refused(&o, 4);
    }
}

#[test]
fn pack_refuses_an_output_inside_what_it_packs_and_writes_nothing() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    let export = desk.path("export");
    fs::create_dir_all(export.join("sub")).unwrap();
    fs::write(export.join("a.txt"), "dummy\n").unwrap();
    let listing = |d: &Path| {
        let mut v: Vec<_> = walk(d);
        v.sort();
        v
    };
    let before = listing(desk.dir.path());
    for out in [export.join("x.kura"), export.join("sub/x.kura")] {
        for split in [false, true] {
            let mut a = desk.pack_args(&out);
            if split {
                a.extend([os("--split"), os("1M")]);
            }
            a.push(os(&export));
            let o = kura(&a);
            let line = refused(&o, 3);
            assert!(line.contains("inside") && line.contains("export"), "{line}");
        }
    }
    assert_eq!(listing(desk.dir.path()), before, "nothing written");
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn pack_refuses_what_a_vault_may_not_hold_and_packs_up_to_it() {
    // Loads a key through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let desk = Desk::new();
    // export/d/d/…: as deep as a vault may be, with a file at the bottom.
    let export = desk.path("export");
    let mut deepest = export.clone();
    for _ in 0..MAX_DEPTH - 2 {
        deepest.push("d");
    }
    fs::create_dir_all(&deepest).unwrap();
    fs::write(deepest.join("a.txt"), "dummy\n").unwrap();
    let vault = desk.path("deep.kura");
    let mut a = desk.pack_args(&vault);
    a.push(os(&export));
    let o = kura(&a);
    assert!(o.status.success(), "{}", describe(&o));
    let o = desk.verify(&vault);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    // One level more.
    fs::create_dir(deepest.join("d")).unwrap();
    fs::write(deepest.join("d/b.txt"), "dummy\n").unwrap();
    let out = desk.path("deeper.kura");
    let mut a = desk.pack_args(&out);
    a.push(os(&export));
    let line = refused(&kura(&a), 3);
    assert!(line.contains(&format!("more than {MAX_DEPTH} folders deep")), "{line}");
    assert!(!out.exists() && !custody_of(&out).exists());
    // An approval document larger than a vault holds, refused before
    // anything is read.
    let doc = desk.path("scan.pdf");
    fs::File::create(&doc).unwrap().set_len(257 << 20).unwrap();
    let mut a = desk.pack_args(&out);
    a.extend([os("--approval-doc"), os(&doc), os(desk.path("export/d/d"))]);
    let line = refused(&kura(&a), 3);
    assert!(line.contains("scan.pdf") && line.contains("256.0 MiB"), "{line}");
    assert!(!out.exists());
}
