//! What kura shows is what it checked.
//!
//! - A key's fingerprint is computed from the key: a receipt, manifest or
//!   custody record that pairs one key with another key's fingerprint (and
//!   comment) is tampering (exit 6), never "signed by" the other key.
//! - Text from a vault, a log, a key comment or a host name is shown with
//!   its control characters escaped, in every command that shows it and in
//!   the printed certificate; a newline in a value never starts a line.
//! - An allowed_signers file means to kura what it means to
//!   `ssh-keygen -Y verify`, line for line.
//! - The approval's `document_blake3` is that of the document packed.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kura::custody::{self, Record};
use kura::keys::identity::load_signing_key;
use kura::keys::signature::{self, KeyInfo, NS_CERTIFICATE, NS_CUSTODY, NS_MANIFEST, NS_RECEIPT};
use kura::keys::{AllowedSigners, PassphraseSource, SigningKey};
use kura::vault::{Manifest, Receipt};

// ------------------------------------------------------------------ helpers

/// A scratch folder, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("kura-shown-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, p: impl AsRef<Path>) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs kura in `dir` (English, no passphrase file, no terminal).
fn kura<I, S>(dir: &Path, args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(args)
        .current_dir(dir)
        .env_remove("KURA_NOW")
        .env_remove("KURA_LEDGER")
        .env("LC_ALL", "C")
        .env("KURA_PASSPHRASE_FILE", "")
        .stdin(Stdio::null())
        .output()
        .expect("kura runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn kura_ok<I, S>(dir: &Path, args: I) -> Out
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = kura(dir, args);
    assert_eq!(out.code, 0, "kura failed:\n{}", out.all());
    out
}

/// Runs a shell command in `dir`, asserting success.
fn sh(dir: &Path, script: &str) {
    let out = Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `NAME.key` and `NAME.key.pub`, made by kura with `comment`.
fn keygen(dir: &Path, name: &str, comment: &str) -> PathBuf {
    let key = format!("{name}.key");
    kura_ok(dir, ["keygen", "-o", &key, "--no-passphrase", "--comment", comment]);
    dir.join(key)
}

fn signing_key(key: &Path) -> SigningKey {
    load_signing_key(key, &PassphraseSource::new(None)).unwrap()
}

fn public_line(key: &Path) -> String {
    fs::read_to_string(key.with_extension("key.pub"))
        .unwrap()
        .trim()
        .to_string()
}

/// Packs `export/` (a few dummy files) into `vault` with `key`, to that key.
fn pack(dir: &Path, key: &Path, vault: &str, purpose: &str, extra: &[&str]) {
    fs::create_dir_all(dir.join("export/sub")).unwrap();
    fs::write(dir.join("export/a.txt"), "dummy a\n").unwrap();
    fs::write(dir.join("export/sub/b.csv"), "1,dummy\n").unwrap();
    let recipient = public_line(key);
    let key = key.to_str().unwrap();
    let mut args = vec![
        "pack",
        "-o",
        vault,
        "-r",
        &recipient,
        "-i",
        key,
        "--approval-id",
        "A-1",
        "--approved-by",
        "B",
        "--purpose",
        purpose,
        "--delete-by",
        "2099-01-01",
    ];
    args.extend_from_slice(extra);
    args.push("export");
    kura_ok(dir, args);
}

fn custody_of(vault: &Path) -> PathBuf {
    PathBuf::from(format!("{}.custody", vault.display()))
}

/// A key object pairing `own`'s key with `other`'s fingerprint and comment.
fn impostor(own: &KeyInfo, other: &KeyInfo) -> KeyInfo {
    KeyInfo {
        key: own.key.clone(),
        fingerprint: other.fingerprint.clone(),
        comment: other.comment.clone(),
    }
}

/// The first custody record for `receipt`, as `actor`, signed by `signer`.
fn first_record(receipt: &Receipt, actor: &KeyInfo, signer: &SigningKey) -> String {
    let text = receipt.to_json();
    let record = Record {
        v: 1,
        seq: 0,
        prev: custody::GENESIS.into(),
        vault_id: receipt.vault_id.clone(),
        event: "packed".into(),
        actor: actor.clone(),
        time: receipt.created.clone(),
        host: "pc-01".into(),
        note: None,
        details: Default::default(),
        receipt_sig: Some(signer.sign(NS_RECEIPT, text.as_bytes()).unwrap()),
        receipt: Some(text),
    };
    custody::sign_record(&record, signer).unwrap()
}

/// Appends a record with this actor, host and note, signed by `signer`.
fn append_record(log: &Path, actor: &KeyInfo, host: &str, note: &str, signer: &SigningKey) {
    let text = fs::read_to_string(log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines.last().unwrap();
    let vault_id = serde_json::from_str::<serde_json::Value>(last).unwrap()["vault_id"]
        .as_str()
        .unwrap()
        .to_string();
    let record = Record {
        v: 1,
        seq: lines.len() as u64,
        prev: custody::hash_line(last),
        vault_id,
        event: "note".into(),
        actor: actor.clone(),
        time: "2026-04-02T10:00:00+09:00".into(),
        host: host.into(),
        note: Some(note.into()),
        details: Default::default(),
        receipt: None,
        receipt_sig: None,
    };
    let line = custody::sign_record(&record, signer).unwrap();
    fs::write(log, format!("{text}{line}\n")).unwrap();
}

/// Opens `vault` with stock tools, lets `edit` change its manifest, signs
/// the manifest again with `key` (the packer's), seals it again (zstd, age)
/// and writes a custody log whose receipt matches the new vault, the
/// receipt's packer and approval being the manifest's: a vault as a packer
/// holding `key` could make it.
fn repack(dir: &Path, vault: &str, key: &Path, edit: impl Fn(&mut Manifest)) {
    let signer = signing_key(key);
    sh(
        dir,
        &format!("age -d -i '{}' '{vault}' | zstd -dc > plain.tar", key.display()),
    );
    let mut archive = tar::Archive::new(fs::File::open(dir.join("plain.tar")).unwrap());
    let mut builder = tar::Builder::new(Vec::new());
    let mut manifest_json = Vec::new();
    let mut manifest = None;
    for entry in archive.entries().unwrap().raw(true) {
        let mut entry = entry.unwrap();
        let mut header = entry.header().clone();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        if path == ".kura/manifest.json" {
            let mut m: Manifest = serde_json::from_slice(&data).unwrap();
            edit(&mut m);
            data = m.to_json();
            manifest_json = data.clone();
            manifest = Some(m);
        } else if path == ".kura/manifest.json.sig" {
            data = signer.sign(NS_MANIFEST, &manifest_json).unwrap().into_bytes();
        }
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, &data[..]).unwrap();
    }
    fs::write(dir.join("edited.tar"), builder.into_inner().unwrap()).unwrap();
    sh(
        dir,
        &format!(
            "zstd -q -f edited.tar -o edited.tar.zst && age -r '{}' -o '{vault}.new' edited.tar.zst && mv '{vault}.new' '{vault}'",
            public_line(key)
        ),
    );
    let m = manifest.expect("the vault has a manifest");
    let log = custody_of(&dir.join(vault));
    let mut receipt = custody::read(&log).unwrap().receipt;
    let bytes = fs::read(dir.join(vault)).unwrap();
    receipt.packer = m.packer.clone();
    receipt.approval = m.approval.clone();
    receipt.manifest_blake3 = blake3::hash(&manifest_json).to_hex().to_string();
    receipt.ciphertext.size = bytes.len() as u64;
    receipt.ciphertext.blake3 = blake3::hash(&bytes).to_hex().to_string();
    fs::write(&log, first_record(&receipt, &m.packer, &signer) + "\n").unwrap();
}

// ------------------------------------------------- fingerprints from keys

#[test]
fn a_receipt_naming_another_keys_fingerprint_is_tampering() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("forged-receipt");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "eng@vendor.example");
    let clinic = keygen(dir, "clinic", "clinic@clinic.example");
    pack(dir, &eng, "v.kura", "dummy", &[]);
    let signer = signing_key(&eng);
    let clinic_info = signing_key(&clinic).info().clone();
    let forged = impostor(signer.info(), &clinic_info);
    let log = s.path("v.kura.custody");
    let mut receipt = custody::read(&log).unwrap().receipt;
    receipt.packer = forged.clone();
    fs::write(&log, first_record(&receipt, &forged, &signer) + "\n").unwrap();

    for args in [
        vec!["inspect", "v.kura"],
        vec!["custody", "show", "v.kura"],
        vec!["custody", "verify", "v.kura"],
        vec!["verify", "v.kura", "-i", "eng.key"],
        vec!["incident", "v.kura.custody"],
    ] {
        let out = kura(dir, &args);
        assert_eq!(out.code, 6, "{args:?}:\n{}", out.all());
        assert!(
            !out.all().contains(&clinic_info.fingerprint),
            "{args:?} shows the forged fingerprint:\n{}",
            out.all()
        );
    }
}

#[test]
fn a_record_naming_another_keys_fingerprint_is_tampering() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("forged-record");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "eng@vendor.example");
    let clinic = keygen(dir, "clinic", "clinic@clinic.example");
    pack(dir, &eng, "v.kura", "dummy", &[]);
    let signer = signing_key(&eng);
    let clinic_info = signing_key(&clinic).info().clone();
    let signers = format!("clinic@clinic.example {}\n", public_line(&clinic));
    fs::write(s.path("allowed_signers"), signers).unwrap();
    append_record(
        &s.path("v.kura.custody"),
        &impostor(signer.info(), &clinic_info),
        "pc-01",
        "received",
        &signer,
    );
    for args in [
        vec!["custody", "show", "v.kura"],
        vec!["custody", "verify", "v.kura"],
        vec!["custody", "verify", "v.kura", "--signers", "allowed_signers"],
        vec!["inspect", "v.kura"],
    ] {
        let out = kura(dir, &args);
        assert_eq!(out.code, 6, "{args:?}:\n{}", out.all());
        assert!(!out.all().contains("clinic@clinic.example"), "{args:?}:\n{}", out.all());
    }
}

#[test]
fn a_manifest_naming_another_keys_fingerprint_is_tampering() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("forged-manifest");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "eng@vendor.example");
    let clinic = keygen(dir, "clinic", "clinic@clinic.example");
    pack(dir, &eng, "v.kura", "dummy", &[]);
    // An honest re-seal opens: what follows is refused for the forgery.
    repack(dir, "v.kura", &eng, |_| {});
    kura_ok(dir, ["verify", "v.kura", "-i", "eng.key"]);

    let clinic_info = signing_key(&clinic).info().clone();
    let own = signing_key(&eng).info().clone();
    repack(dir, "v.kura", &eng, |m| m.packer = impostor(&own, &clinic_info));
    let out = kura(dir, ["verify", "v.kura", "-i", "eng.key"]);
    assert_eq!(out.code, 6, "{}", out.all());
    assert!(!out.all().contains(&clinic_info.fingerprint), "{}", out.all());
}

#[test]
fn the_signer_is_named_by_the_trust_list_and_its_own_label() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("principal");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "clinic@clinic.example");
    pack(dir, &eng, "v.kura", "dummy", &[]);
    let fingerprint = signing_key(&eng).info().fingerprint.clone();
    fs::write(
        s.path("allowed_signers"),
        format!("engineer@vendor.example {}\n", public_line(&eng)),
    )
    .unwrap();
    let out = kura_ok(
        dir,
        ["verify", "v.kura", "-i", "eng.key", "--signers", "allowed_signers"],
    );
    let line = out.stdout.lines().find(|l| l.starts_with("Signed by")).unwrap();
    assert_eq!(
        line,
        format!(
            "Signed by \"engineer@vendor.example\" as listed in the allowed signers (key {fingerprint} (clinic@clinic.example))"
        )
    );
}

// ------------------------------------------------------- control characters

/// A key comment, a purpose, a note and a host name, each with a terminal
/// escape, a bidirectional override, DEL or a C1 control, and a newline
/// followed by a line that would pass for kura's.
const COMMENT: &str = "eng\x1b[8m\u{202e}@vendor";
const PURPOSE: &str = "research\x1b[2J\nkura: FAKE PURPOSE LINE";
const NOTE: &str = "handed\x7f over\u{85}\x1b[31m\nFAKE NOTE LINE";
const HOST: &str = "pc\x1b]0;owned\x07-01\u{2066}";
const DEST: &str = "dest\x1b[1m";

/// The characters that must never reach a terminal raw: C0 (but the
/// newline ending a line), DEL, C1, the bidirectional controls and the
/// Unicode line and paragraph separators.
fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x09' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}' | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// No control character but newlines, and no line of its own for what
/// followed a newline inside a value.
fn assert_escaped(what: &str, text: &str) {
    let raw: Vec<char> = text.chars().filter(|c| is_control(*c)).collect();
    assert!(raw.is_empty(), "{what} prints raw {raw:?}:\n{text}");
    for line in text.lines() {
        for fake in ["kura: FAKE", "FAKE NOTE LINE"] {
            assert!(
                !line.trim_start().starts_with(fake),
                "{what}: a value started a line:\n{text}"
            );
        }
    }
}

#[test]
fn text_from_vaults_logs_keys_and_hosts_is_shown_escaped() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("escapes");
    let dir = &s.0;
    let eng = keygen(dir, "eng", COMMENT);
    let signer = signing_key(&eng);
    pack(dir, &eng, "v.kura", PURPOSE, &[]);
    kura_ok(
        dir,
        [
            "custody", "add", "v.kura", "--event", "note", "--note", NOTE, "-i", "eng.key",
        ],
    );
    append_record(&s.path("v.kura.custody"), signer.info(), HOST, "ok", &signer);
    kura_ok(dir, ["extract", "v.kura", "-i", "eng.key", "-C", DEST]);

    let comment = "eng\\x1b[8m\\u{202e}@vendor";
    let purpose = "research\\x1b[2J\\nkura: FAKE PURPOSE LINE";
    let note = "handed\\x7f over\\u{85}\\x1b[31m\\nFAKE NOTE LINE";
    let host = "pc\\x1b]0;owned\\x07-01\\u{2066}";
    let dest = "dest\\x1b[1m";

    let verify = kura_ok(dir, ["verify", "v.kura", "-i", "eng.key"]);
    assert_escaped("verify", &verify.all());
    assert!(verify.stdout.contains(comment), "{}", verify.stdout);

    let missing = kura(dir, ["verify", "no\x1b[2Jsuch.kura", "-i", "eng.key"]);
    assert_ne!(missing.code, 0);
    assert_escaped("verify (error)", &missing.all());
    assert!(missing.stderr.contains("no\\x1b[2Jsuch.kura"), "{}", missing.stderr);

    let inspect = kura_ok(dir, ["inspect", "v.kura"]);
    assert_escaped("inspect", &inspect.all());
    for shown in [comment, purpose] {
        assert!(inspect.stdout.contains(shown), "{shown}:\n{}", inspect.stdout);
    }

    let show = kura_ok(dir, ["custody", "show", "v.kura"]);
    assert_escaped("custody show", &show.all());
    for shown in ["eng\\x1b[8m\\u{202e}@ven", note, host, dest] {
        assert!(show.stdout.contains(shown), "{shown}:\n{}", show.stdout);
    }

    let draft = kura_ok(dir, ["incident", "v.kura.custody"]);
    assert_escaped("incident", &draft.all());
    for shown in [comment, purpose, "pc\\x1b]0;owned\\x07"] {
        assert!(draft.stdout.contains(shown), "{shown}:\n{}", draft.stdout);
    }

    kura_ok(dir, ["ledger", "add", "v.kura.custody", "--ledger", "ledger.sqlite"]);
    let list = kura_ok(dir, ["ledger", "list", "--ledger", "ledger.sqlite"]);
    assert_escaped("ledger list", &list.all());
    for shown in ["eng\\x1b[8m", "research\\x1b[2J"] {
        assert!(list.stdout.contains(shown), "{shown}:\n{}", list.stdout);
    }

    // JSON carries the values exactly, every control character escaped.
    let json = kura_ok(dir, ["inspect", "v.kura", "--json"]);
    assert_escaped("inspect --json", &json.stdout);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["packer"]["comment"], COMMENT);
    assert_eq!(v["approval"]["purpose"], PURPOSE);
    let json = kura_ok(dir, ["custody", "show", "v.kura", "--json"]);
    assert_escaped("custody show --json", &json.stdout);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["records"][1]["note"], NOTE);
    assert_eq!(v["records"][2]["host"], HOST);

    // The printed certificate.
    kura_ok(
        dir,
        [
            "certify",
            "v.kura",
            "--deleted",
            DEST,
            "-i",
            "eng.key",
            "-o",
            "cert.json",
        ],
    );
    kura_ok(dir, ["certificate", "render", "cert.json", "-o", "cert.html"]);
    let html = fs::read_to_string(s.path("cert.html")).unwrap();
    assert_escaped("certificate render", &html);
    for shown in [comment, "research\\x1b[2J\\nkura: FAKE PURPOSE LINE", note, host, dest] {
        assert!(html.contains(shown), "{shown} missing from the page");
    }
}

// --------------------------------------------------------- allowed_signers

/// kura's verdict on a signature over `msg` in `namespace`: the principal
/// it trusts, if any.
fn kura_verdict(signers: &str, sig: &str, namespace: &str, msg: &[u8]) -> Option<String> {
    let parsed = ssh_key::SshSig::from_pem(sig.trim().as_bytes()).ok()?;
    let key = KeyInfo::of(&ssh_key::PublicKey::from(parsed.public_key().clone()));
    signature::verify(&key, namespace, msg, sig, "test").ok()?;
    AllowedSigners::parse(signers).ok()?.principal_for(&key, namespace)
}

/// `ssh-keygen -Y verify`'s verdict.
fn ssh_verdict(dir: &Path, signers: &str, sig: &str, principal: &str, namespace: &str) -> bool {
    fs::write(dir.join("signers"), signers).unwrap();
    fs::write(dir.join("msg.sig"), sig).unwrap();
    let out = Command::new("ssh-keygen")
        .args([
            "-Y", "verify", "-f", "signers", "-I", principal, "-n", namespace, "-s", "msg.sig",
        ])
        .current_dir(dir)
        .stdin(fs::File::open(dir.join("msg")).unwrap())
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn allowed_signers_lines_mean_what_they_mean_to_ssh_keygen() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("signers");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "eng@vendor.example");
    let other = keygen(dir, "other", "other@vendor.example");
    let k = public_line(&eng);
    let o = public_line(&other);
    let msg = b"{\"a dummy\":\"message\"}\n";
    fs::write(s.path("msg"), msg).unwrap();
    let signer = signing_key(&eng);
    let (m, c, cert) = (NS_MANIFEST, NS_CUSTODY, NS_CERTIFICATE);
    // (lines, with {K} the signer's key and {O} another, namespace, principal
    // for ssh-keygen -I, trusted?)
    let rows: &[(&str, &str, &str, bool)] = &[
        ("alice {K}", m, "alice", true),
        ("alice {O}", m, "alice", false),
        ("alice namespaces=\"!kura-certificate,*\" {K}", cert, "alice", false),
        ("alice namespaces=\"!kura-certificate,*\" {K}", c, "alice", true),
        ("alice namespaces=\"*,!kura-certificate\" {K}", cert, "alice", false),
        ("alice namespaces=\"kura-*\" {K}", c, "alice", true),
        ("alice namespaces=\"kura-c?stody\" {K}", c, "alice", true),
        ("alice namespaces=\"kura-c?stody\" {K}", m, "alice", false),
        ("alice namespaces=\"KURA-CUSTODY\" {K}", c, "alice", false),
        ("alice NameSpaces=\"kura-custody\" {K}", c, "alice", true),
        ("alice namespaces=\"\" {K}", c, "alice", false),
        ("alice namespaces=\"x\\\"y,kura-custody\" {K}", c, "alice", true),
        ("alice namespaces=\"kura-manifest kura-custody\" {K}", c, "alice", false),
        ("alice namespaces=kura-custody {K}", c, "alice", false),
        ("alice cert-authority {K}", m, "alice", false),
        ("alice cert-authority,namespaces=\"*\" {K}", m, "alice", false),
        ("alice valid-after=\"20200101\" {K}", m, "alice", true),
        ("alice valid-after=\"29990101Z\" {K}", m, "alice", false),
        ("alice valid-before=\"20200101\" {K}", m, "alice", false),
        ("alice valid-before=\"299912312359\" {K}", m, "alice", true),
        (
            "alice valid-after=\"20200101000000Z\",valid-before=\"29991231UTC\" {K}",
            m,
            "alice",
            true,
        ),
        (
            "alice valid-after=\"20300101\",valid-before=\"20200101\" {K}",
            m,
            "alice",
            false,
        ),
        ("alice valid-after=\"2020\" {K}", m, "alice", false),
        (
            "alice namespaces=\"kura-custody\",namespaces=\"*\" {K}",
            m,
            "alice",
            false,
        ),
        ("alice verify-required {K}", m, "alice", false),
        ("alice,bob {K}", m, "alice", true),
        ("\"dr alice\" {K}", m, "dr alice", true),
        ("!mallory,*@clinic.example {K}", m, "*@clinic.example", true),
        ("alice,!al* {K}", m, "alice", false),
        ("!bob {K}", m, "bob", false),
        ("ALICE {K}", m, "ALICE", true),
        ("# a comment\n\n   \nalice {K} eng@vendor.example", m, "alice", true),
        ("  \talice {K}", m, "alice", true),
        ("alice namespaces=\"kura-manifest\" {K}\nbob {K}", c, "bob", true),
        (
            "alice valid-before=\"20200101\" {K}\nbob valid-after=\"20200101\" {K}",
            m,
            "bob",
            true,
        ),
        ("alice cert-authority {K}\nbob {O}\ncarol {K}", m, "carol", true),
    ];
    let mut mismatches = vec![];
    for &(lines, ns, principal, trusted) in rows {
        let lines = &lines.replace("{K}", &k).replace("{O}", &o);
        let by_kura = signer.sign(ns, msg).unwrap();
        sh(
            dir,
            &format!("rm -f msg.sig && ssh-keygen -q -Y sign -f eng.key -n {ns} msg"),
        );
        let by_ssh = fs::read_to_string(s.path("msg.sig")).unwrap();
        for (made_by, sig) in [("kura", &by_kura), ("ssh-keygen", &by_ssh)] {
            let kura_says = kura_verdict(lines, sig, ns, msg);
            let ssh_says = ssh_verdict(dir, lines, sig, principal, ns);
            if kura_says.is_some() != trusted || ssh_says != trusted {
                mismatches.push(format!(
                    "{lines:?} ({ns}, signed by {made_by}): expected {trusted}, kura {kura_says:?}, ssh-keygen {ssh_says}"
                ));
            }
            if let Some(p) = kura_says {
                if p != principal {
                    mismatches.push(format!("{lines:?}: kura names {p:?}, not {principal:?}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_negated_namespace_is_refused_by_verify() {
    let s = Scratch::new("negated");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "eng@vendor.example");
    pack(dir, &eng, "v.kura", "dummy", &[]);
    let k = public_line(&eng);
    fs::write(
        s.path("allowed_signers"),
        format!("engineer@vendor.example namespaces=\"!kura-manifest,*\" {k}\n"),
    )
    .unwrap();
    let out = kura(
        dir,
        ["verify", "v.kura", "-i", "eng.key", "--signers", "allowed_signers"],
    );
    assert_eq!(out.code, 7, "{}", out.all());
    fs::write(
        s.path("allowed_signers"),
        format!("engineer@vendor.example namespaces=\"!kura-certificate,*\" {k}\n"),
    )
    .unwrap();
    kura_ok(
        dir,
        ["verify", "v.kura", "-i", "eng.key", "--signers", "allowed_signers"],
    );
}

// ------------------------------------------------------ approval document

#[test]
fn the_approvals_document_hash_is_that_of_the_packed_document() {
    // Loads keys through the library (see common::ran_in_own_process).
    if crate::common::ran_in_own_process() {
        return;
    }
    let s = Scratch::new("approval-doc");
    let dir = &s.0;
    let eng = keygen(dir, "eng", "eng@vendor.example");
    fs::write(s.path("approval.pdf"), "%PDF-1.4 dummy approval\n").unwrap();
    pack(dir, &eng, "v.kura", "dummy", &["--approval-doc", "approval.pdf"]);
    repack(dir, "v.kura", &eng, |_| {});
    kura_ok(dir, ["verify", "v.kura", "-i", "eng.key"]);

    repack(dir, "v.kura", &eng, |m| {
        m.approval.document_blake3 = Some(blake3::hash(b"another document").to_hex().to_string())
    });
    let out = kura(dir, ["verify", "v.kura", "-i", "eng.key"]);
    assert_eq!(out.code, 6, "{}", out.all());
    assert!(out.stderr.contains("approval document"), "{}", out.stderr);

    repack(dir, "v.kura", &eng, |m| m.approval.document_blake3 = None);
    let out = kura(dir, ["verify", "v.kura", "-i", "eng.key"]);
    assert_eq!(out.code, 6, "{}", out.all());
}
