//! Hostile archives built by hand with the stock tools (GNU tar, zstd, age),
//! each given a valid custody log (made with the kura library) so that kura
//! gets as far as reading the members. kura must refuse every one with a
//! clear message, write nothing outside DEST and leave nothing inside it.
//!
//! Some are complete forgeries: members plus a manifest signed with the
//! packer's key, as another implementation of docs/FORMAT.md would write
//! them. A benign forgery is accepted, which shows the refusals of the
//! hostile ones come from the rule they break and not from the forging.
//!
//! Each test signs with the packer's key loaded through the library, and so
//! runs in a process of its own (`ran_in_own_process`): loading a key turns
//! core dumps off for the process.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;
use kura::keys::identity::load_signing_key;
use kura::keys::signature::NS_MANIFEST;
use kura::keys::{PassphraseSource, RecipientInfo, SigningKey};
use kura::vault::receipt::Ciphertext;
use kura::vault::{Approval, Entry, EntryKind, Manifest, Receipt};

const VAULT_ID: &str = "6f1c2a7e-0b9d-4c3e-9a51-2d8f0e4b7c10";

fn signer(fx: &Desk) -> SigningKey {
    load_signing_key(&fx.engineer.private, &PassphraseSource::new(None)).expect("engineer key")
}

fn approval() -> Approval {
    Approval {
        id: "APP-HOSTILE".into(),
        approved_by: "院長（ダミー）".into(),
        purpose: "調査".into(),
        delete_by: DELETE_BY.into(),
        document_blake3: None,
        signed: None,
    }
}

fn recipients(key: &SigningKey) -> Vec<RecipientInfo> {
    vec![RecipientInfo {
        kind: "ssh-ed25519".into(),
        fingerprint: key.info().fingerprint.clone(),
        comment: key.info().comment.clone(),
    }]
}

/// A folder to build one archive in: `work/NAME/`.
fn workdir(fx: &Desk, name: &str) -> PathBuf {
    fx.mkdir(&format!("work/{name}"))
}

/// Runs a shell script (GNU tar and friends) in `dir`, asserting success.
fn sh(dir: &Path, script: &str) {
    let out = shell(dir, script);
    assert!(out.status.success(), "{script}\n{}", describe(&out));
}

/// `zstd` then `age -r ENGINEER` the tar into `vaults/NAME.kura`, and write
/// a valid custody log for it whose receipt binds `manifest` (or, for
/// archives without one, the tar's real file count and size and a
/// placeholder manifest digest).
fn seal(fx: &Desk, tar: &Path, name: &str, manifest: Option<(&Manifest, &[u8])>) -> PathBuf {
    let vault = fx.mkdir("vaults").join(format!("{name}.kura"));
    let zst = tar.with_extension("tar.zst");
    tool_ok("zstd", osargs!["-q", "-f", tar, "-o", zst]);
    tool_ok("age", osargs!["-r", fx.engineer.line, "-o", vault, zst]);
    let key = signer(fx);
    let bytes = fs::read(&vault).unwrap();
    let (file_count, total_size, manifest_blake3) = match manifest {
        Some((m, json)) => (m.file_count, m.total_size, blake3::hash(json).to_hex().to_string()),
        None => {
            let (count, size) = tar_totals(tar);
            (count, size, "0".repeat(64))
        }
    };
    let receipt = Receipt {
        format: "kura-receipt".into(),
        version: 1,
        vault_id: VAULT_ID.into(),
        created: NOW.into(),
        packer: key.info().clone(),
        approval: approval(),
        recipients: recipients(&key),
        file_count,
        total_size,
        manifest_blake3,
        ciphertext: Ciphertext {
            size: bytes.len() as u64,
            blake3: blake3::hash(&bytes).to_hex().to_string(),
        },
    };
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    let log = kura::custody::new_log_bytes(&receipt, &key, now).expect("custody log");
    fs::write(custody_of(&vault), log).unwrap();
    vault
}

/// The regular files of a tar and their total size: what an honest
/// receipt for it would declare.
fn tar_totals(tar: &Path) -> (u64, u64) {
    let mut archive = tar::Archive::new(fs::File::open(tar).unwrap());
    let mut totals = (0, 0);
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        if entry.header().entry_type().is_file() {
            totals.0 += 1;
            totals.1 += entry.size();
        }
    }
    totals
}

/// Writes a manifest describing `members` of `staging` (as lstat sees
/// them, which is what GNU tar stores) and its signature into
/// `staging/.kura/`, then tars members, manifest and signature in that
/// order. Returns the tar.
fn forge(fx: &Desk, staging: &Path, members: &[&str]) -> (PathBuf, Manifest, Vec<u8>) {
    let key = signer(fx);
    let mut entries = vec![];
    for m in members {
        let p = staging.join(m);
        let meta = fs::symlink_metadata(&p).unwrap();
        use std::os::unix::fs::MetadataExt;
        let mut e = Entry {
            path: m.to_string(),
            kind: EntryKind::File,
            size: 0,
            mode: meta.mode() & 0o7777,
            mtime: meta.mtime(),
            blake3: None,
            target: None,
        };
        if meta.file_type().is_symlink() {
            e.kind = EntryKind::Symlink;
            e.target = Some(fs::read_link(&p).unwrap().to_string_lossy().into_owned());
        } else if meta.is_dir() {
            e.kind = EntryKind::Dir;
        } else {
            e.size = meta.len();
            e.blake3 = Some(blake3::hash(&fs::read(&p).unwrap()).to_hex().to_string());
        }
        entries.push(e);
    }
    let files = entries.iter().filter(|e| e.kind == EntryKind::File);
    let manifest = Manifest {
        format: "kura-manifest".into(),
        version: 1,
        vault_id: VAULT_ID.into(),
        created: NOW.into(),
        packer: key.info().clone(),
        approval: approval(),
        approval_document: None,
        recipients: recipients(&key),
        file_count: files.clone().count() as u64,
        total_size: files.map(|e| e.size).sum(),
        streams: vec![],
        entries,
    };
    let json = manifest.to_json();
    let sig = key.sign(NS_MANIFEST, &json).unwrap();
    fs::create_dir_all(staging.join(".kura")).unwrap();
    fs::write(staging.join(".kura/manifest.json"), &json).unwrap();
    fs::write(staging.join(".kura/manifest.json.sig"), sig).unwrap();
    let tar = staging.with_extension("tar");
    let mut list: Vec<String> = members.iter().map(|m| format!("'{m}'")).collect();
    list.push(".kura/manifest.json .kura/manifest.json.sig".into());
    sh(
        staging,
        &format!("tar --no-recursion -cf '{}' {}", tar.display(), list.join(" ")),
    );
    (tar, manifest, json)
}

/// verify, extract into an empty DEST and extract into a new DEST all fail
/// with `code` and a message holding every word of `words`, and nothing
/// anywhere under the fixture changed: nothing outside DEST, nothing left
/// in DEST, and no custody record claiming a copy (an extraction that had
/// begun writing records its intent and that it was abandoned). Returns
/// the message.
fn assert_hostile(fx: &Desk, vault: &Path, code: i32, words: &[&str]) -> String {
    let dest = fx.mkdir("dest");
    let new_dest = fx.path("new-dest");
    let log = custody_of(vault);
    let log_name = log.strip_prefix(&fx.root).unwrap().to_string_lossy().into_owned();
    let log_before = fs::read(&log).unwrap_or_default();
    let mut before = listing(&fx.root, Meta::Content);
    before.remove(&log_name);
    let runs = [
        ("verify", fx.verify(vault, &fx.engineer.private, &[])),
        ("extract", fx.extract(vault, &fx.engineer.private, &dest, &[])),
        (
            "extract (new DEST)",
            fx.extract(vault, &fx.engineer.private, &new_dest, &[]),
        ),
    ];
    let mut message = String::new();
    for (what, out) in runs {
        assert_eq!(out.status.code(), Some(code), "{what}:\n{}", describe(&out));
        let line = assert_refused(&out, code);
        for w in words {
            assert!(line.contains(w), "{what}: the message should mention {w:?}: {line}");
        }
        message = line;
    }
    let mut after = listing(&fx.root, Meta::Content);
    after.remove(&log_name);
    assert_eq!(after, before, "something was written or left behind");
    if log_before.is_empty() {
        assert!(!custody_of(vault).exists());
    } else {
        assert_no_copy_recorded(&new_records(vault, &log_before));
    }
    assert_empty_dir(&dest);
    assert_absent(&new_dest);
    message
}

// ---------------------------------------------------------------- the archives

/// `../evil.txt` (after a harmless member), with `tar -P`.
fn traversal(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "traversal");
    fs::create_dir_all(w.join("inner/export")).unwrap();
    fs::write(w.join("inner/export/ok.txt"), "harmless\n").unwrap();
    fs::write(w.join("evil.txt"), "evil\n").unwrap();
    sh(&w.join("inner"), "tar -P -cf ../t.tar export/ok.txt ../evil.txt");
    seal(fx, &w.join("t.tar"), "traversal", None)
}

/// `export/../../evil.txt`, pax format.
fn traversal_inside_path(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "traversal2");
    fs::create_dir_all(w.join("inner/export")).unwrap();
    fs::write(w.join("evil.txt"), "evil\n").unwrap();
    sh(&w.join("inner"), "tar -P -H pax -cf ../t.tar export/../../evil.txt");
    seal(fx, &w.join("t.tar"), "traversal2", None)
}

/// An absolute member path (`tar -P`); the file is removed after tarring.
fn absolute(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "absolute");
    let target = w.join("abs-evil.txt");
    fs::write(&target, "evil\n").unwrap();
    sh(&w, &format!("tar -P -cf t.tar '{}'", target.display()));
    fs::remove_file(&target).unwrap();
    seal(fx, &w.join("t.tar"), "absolute", None)
}

/// `export/out -> TARGET`, then `export/out/evil.txt` written through it.
fn link_out_then_file(fx: &Desk, name: &str, target: &str) -> PathBuf {
    let w = workdir(fx, name);
    fs::create_dir_all(w.join("a/export")).unwrap();
    fs::create_dir_all(w.join("b/export/out")).unwrap();
    fs::write(w.join("a/export/ok.txt"), "harmless\n").unwrap();
    std::os::unix::fs::symlink(target, w.join("a/export/out")).unwrap();
    fs::write(w.join("b/export/out/evil.txt"), "evil\n").unwrap();
    sh(
        &w,
        "tar -cf t.tar -C a export/ok.txt export/out && tar -rf t.tar -C b export/out/evil.txt",
    );
    seal(fx, &w.join("t.tar"), name, None)
}

/// `export/l -> sub` (inside), then `export/l/evil.txt` beneath the link.
fn file_beneath_inside_link(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "beneath");
    fs::create_dir_all(w.join("a/export/sub")).unwrap();
    fs::create_dir_all(w.join("b/export/l")).unwrap();
    std::os::unix::fs::symlink("sub", w.join("a/export/l")).unwrap();
    fs::write(w.join("b/export/l/evil.txt"), "evil\n").unwrap();
    sh(
        &w,
        "tar -cf t.tar -C a export/sub export/l && tar -rf t.tar -C b export/l/evil.txt",
    );
    seal(fx, &w.join("t.tar"), "beneath", None)
}

fn hard_link(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "hardlink");
    fs::create_dir_all(w.join("export")).unwrap();
    fs::write(w.join("export/a.txt"), "data\n").unwrap();
    fs::hard_link(w.join("export/a.txt"), w.join("export/b.txt")).unwrap();
    sh(&w, "tar -cf t.tar export/a.txt export/b.txt");
    let listing = tool_ok("tar", osargs!["-tvf", w.join("t.tar")]);
    assert!(stdout_of(&listing).contains("link to"), "GNU tar stored a hard link");
    seal(fx, &w.join("t.tar"), "hardlink", None)
}

fn device(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "device");
    sh(&w, "tar -cf t.tar -C / dev/null");
    seal(fx, &w.join("t.tar"), "device", None)
}

fn fifo(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "fifo");
    fs::create_dir_all(w.join("export")).unwrap();
    sh(
        &w,
        "mkfifo export/pipe && tar --no-recursion -cf t.tar export export/pipe",
    );
    fs::remove_file(w.join("export/pipe")).unwrap();
    seal(fx, &w.join("t.tar"), "fifo", None)
}

fn top_level_link(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "toplink");
    std::os::unix::fs::symlink("/etc", w.join("export")).unwrap();
    sh(&w, "tar -cf t.tar export");
    fs::remove_file(w.join("export")).unwrap();
    seal(fx, &w.join("t.tar"), "toplink", None)
}

/// The same path twice: the second would overwrite the first.
fn duplicate(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "duplicate");
    fs::create_dir_all(w.join("a/export")).unwrap();
    fs::create_dir_all(w.join("b/export")).unwrap();
    fs::write(w.join("a/export/x.txt"), "first\n").unwrap();
    fs::write(w.join("b/export/x.txt"), "second\n").unwrap();
    sh(&w, "tar -cf t.tar -C a export/x.txt && tar -rf t.tar -C b export/x.txt");
    seal(fx, &w.join("t.tar"), "duplicate", None)
}

/// A forged tree with `a/up -> ..` and `c -> a/up/../..`: lexically inside,
/// really two levels above the tree, signed by the packer.
fn forged_link_chain(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "chain");
    let s = w.join("staging");
    fs::create_dir_all(s.join("export/a")).unwrap();
    fs::write(s.join("export/a.txt"), "harmless\n").unwrap();
    std::os::unix::fs::symlink("..", s.join("export/a/up")).unwrap();
    std::os::unix::fs::symlink("a/up/../..", s.join("export/c")).unwrap();
    let (tar, m, json) = forge(
        fx,
        &s,
        &["export", "export/a", "export/a/up", "export/a.txt", "export/c"],
    );
    seal(fx, &tar, "chain", Some((&m, &json)))
}

/// A forgery whose file no longer matches its signed manifest.
fn forged_content_swap(fx: &Desk) -> PathBuf {
    let w = workdir(fx, "swap");
    let s = w.join("staging");
    fs::create_dir_all(s.join("export")).unwrap();
    write_file(&s.join("export/a.txt"), b"genuine\n", 0o644, 1_700_000_000);
    let (_, m, json) = forge(fx, &s, &["export", "export/a.txt"]);
    write_file(&s.join("export/a.txt"), b"forgery\n", 0o644, 1_700_000_000);
    sh(
        &s,
        "tar --no-recursion -cf ../t.tar export export/a.txt .kura/manifest.json .kura/manifest.json.sig",
    );
    seal(fx, &w.join("t.tar"), "swap", Some((&m, &json)))
}

// ---------------------------------------------------------------- the tests

#[test]
fn a_benign_forgery_by_stock_tools_is_accepted() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let w = workdir(&fx, "benign");
    let s = w.join("staging");
    fs::create_dir_all(s.join("export/sub")).unwrap();
    write_file(&s.join("export/a.txt"), b"dummy\n", 0o640, 1_700_000_000);
    std::os::unix::fs::symlink("../a.txt", s.join("export/sub/l")).unwrap();
    let members = ["export", "export/a.txt", "export/sub", "export/sub/l"];
    let (tar, m, json) = forge(&fx, &s, &members);
    let vault = seal(&fx, &tar, "benign", Some((&m, &json)));
    let dest = fx.mkdir("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_eq!(fs::read(dest.join("export/sub/l")).unwrap(), b"dummy\n");
    let staged: std::collections::BTreeMap<_, _> = listing(&s.join("export"), Meta::Full);
    assert_eq!(listing(&dest.join("export"), Meta::Full), staged);
}

#[test]
fn a_member_climbing_out_with_dotdot_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = traversal(&fx);
    assert_hostile(&fx, &v, 8, &["../evil.txt", "refused"]);
    let v = traversal_inside_path(&fx);
    assert_hostile(&fx, &v, 8, &["export/../../evil.txt"]);
}

#[test]
fn an_absolute_member_path_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = absolute(&fx);
    assert_hostile(&fx, &v, 8, &["abs-evil.txt", "absolute"]);
    assert_absent(&fx.path("work/absolute/abs-evil.txt"));
}

#[test]
fn a_symlink_out_followed_by_a_file_through_it_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let outside = fx.mkdir("outside");
    let v = link_out_then_file(&fx, "link-abs", &outside.display().to_string());
    assert_hostile(&fx, &v, 8, &["export/out", "link"]);
    // DEST is ROOT/dest: ../../outside from dest/export/out is ROOT/outside.
    let v = link_out_then_file(&fx, "link-rel", "../../outside");
    assert_hostile(&fx, &v, 8, &["export/out"]);
    assert_empty_dir(&outside);
}

#[test]
fn a_member_beneath_a_symlink_is_refused_even_when_the_link_stays_inside() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = file_beneath_inside_link(&fx);
    assert_hostile(&fx, &v, 8, &["export/l/evil.txt", "beneath a link"]);
}

#[test]
fn hard_links_devices_and_fifos_are_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = hard_link(&fx);
    assert_hostile(&fx, &v, 8, &["export/b.txt", "hard link"]);
    let v = device(&fx);
    assert_hostile(&fx, &v, 8, &["dev/null", "device"]);
    let v = fifo(&fx);
    assert_hostile(&fx, &v, 8, &["export/pipe", "FIFO"]);
}

#[test]
fn a_top_level_symlink_and_a_duplicate_member_are_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = top_level_link(&fx);
    assert_hostile(&fx, &v, 8, &["export"]);
    let v = duplicate(&fx);
    assert_hostile(&fx, &v, 8, &["export/x.txt", "duplicate"]);
}

#[test]
fn a_signed_link_climbing_out_through_another_link_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = forged_link_chain(&fx);
    assert_hostile(&fx, &v, 8, &["export/c", "link"]);
}

#[test]
fn a_member_that_differs_from_the_signed_manifest_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = forged_content_swap(&fx);
    assert_hostile(&fx, &v, 6, &["export/a.txt", "manifest"]);
}

#[test]
fn a_hostile_vault_without_a_custody_log_is_refused() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let v = traversal(&fx);
    fs::remove_file(custody_of(&v)).unwrap();
    assert_hostile(&fx, &v, 10, &["custody log", "missing"]);
}

/// Every bad input of the suite, in English, in Japanese and as JSON: a
/// non-zero exit, one line (or one JSON error object), never a panic.
#[test]
fn sweep_no_bad_input_makes_kura_panic() {
    if ran_in_own_process() {
        return;
    }
    let fx = Desk::with_export();
    let outside = fx.mkdir("outside");
    let good = fx.packed("vaults/good.kura");
    let good_bytes = fs::read(&good).unwrap();
    let mut cases: Vec<(PathBuf, i32)> = vec![
        (traversal(&fx), 8),
        (traversal_inside_path(&fx), 8),
        (absolute(&fx), 8),
        (link_out_then_file(&fx, "sweep-link", &outside.display().to_string()), 8),
        (file_beneath_inside_link(&fx), 8),
        (hard_link(&fx), 8),
        (device(&fx), 8),
        (fifo(&fx), 8),
        (top_level_link(&fx), 8),
        (duplicate(&fx), 8),
        (forged_link_chain(&fx), 8),
        (forged_content_swap(&fx), 6),
    ];
    // Damaged copies of a genuine vault: flips every 997 bytes, cuts.
    let dir = fx.mkdir("vaults/damaged");
    for (i, at) in (0..good_bytes.len())
        .step_by(997)
        .enumerate()
        .filter(|(i, _)| i % 8 == 0)
    {
        let mut b = good_bytes.clone();
        b[at] ^= 0x80;
        let v = dir.join(format!("flip{i}.kura"));
        fs::write(&v, b).unwrap();
        fs::copy(custody_of(&good), custody_of(&v)).unwrap();
        cases.push((v, 6));
    }
    for cut in [1, 17, 512, good_bytes.len() / 3] {
        let v = dir.join(format!("cut{cut}.kura"));
        fs::write(&v, &good_bytes[..good_bytes.len() - cut]).unwrap();
        fs::copy(custody_of(&good), custody_of(&v)).unwrap();
        cases.push((v, 6));
    }
    // A custody log that is not text at all.
    let v = dir.join("binary-log.kura");
    fs::write(&v, &good_bytes).unwrap();
    fs::write(custody_of(&v), noise(300, 3)).unwrap();
    cases.push((v, 6));

    let dest = fx.mkdir("dest");
    let logs: Vec<Vec<u8>> = cases.iter().map(|(v, _)| fs::read(custody_of(v)).unwrap()).collect();
    let without_logs = |m: std::collections::BTreeMap<String, String>| {
        m.into_iter()
            .filter(|(k, _)| !k.ends_with(".custody"))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let before = without_logs(listing(&fx.root, Meta::Content));
    for (vault, code) in &cases {
        for lang in ["en", "ja"] {
            let out = fx.extract(vault, &fx.engineer.private, &dest, &["--lang", lang]);
            let line = assert_refused(&out, *code);
            assert!(line.len() > 20, "{}: {line}", vault.display());
        }
        let out = fx.verify(vault, &fx.engineer.private, &["--json"]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(*code), "{}", describe(&out));
        let v = json(&out);
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["exit_code"], *code);
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(without_logs(listing(&fx.root, Meta::Content)), before);
    for ((vault, _), log) in cases.iter().zip(&logs) {
        if std::str::from_utf8(log).is_ok() {
            assert_no_copy_recorded(&new_records(vault, log));
        } else {
            assert_eq!(&fs::read(custody_of(vault)).unwrap(), log);
        }
    }
    assert_empty_dir(&outside);
}
