//! Every plaintext copy is recorded, or none is made: extract records its
//! intent before it decrypts and its result once the files are in place,
//! under the custody log's lock; it needs a key that signs, a log it can
//! write and a new or empty DEST. A kill at any moment leaves the intent
//! (and a stage the next command removes), never an unrecorded copy. Kills
//! are staged with the debug build's abort points (`KURA_TEST_ABORT_AT`),
//! races with a lock held by the test itself — never with sleeps.

use std::fs;
use std::path::Path;
#[cfg(unix)]
use std::process::Command;

use crate::common::*;

/// The events of a vault's custody log, in order.
fn events(vault: &Path) -> Vec<String> {
    custody_records(vault)
        .iter()
        .map(|r| r["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `kura extract VAULT -C DEST`, aborted at `point` as a `kill -9` would
/// stop it there (the debug build's fault injection).
fn extract_killed_at(fx: &Desk, vault: &Path, dest: &Path, point: &str) {
    let out = fx
        .kura()
        .env("KURA_TEST_ABORT_AT", point)
        .args(osargs!["extract", vault, "-i", fx.engineer.private, "-C", dest])
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", describe(&out));
}

/// Every file and folder under `dir`, recursively (names relative to it).
fn everything_under(dir: &Path) -> Vec<String> {
    listing(dir, Meta::Content).into_keys().collect()
}

#[test]
fn an_extraction_records_its_intent_before_and_its_result_after() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.path("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_eq!(events(&vault), ["packed", "extracting", "extracted"]);
    let records = custody_records(&vault);
    let canonical = fs::canonicalize(&dest).unwrap().display().to_string();
    assert_eq!(records[1]["details"]["destination"], canonical.as_str());
    assert_eq!(records[2]["details"]["destination"], canonical.as_str());
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Content);
}

#[test]
fn an_age_identity_alone_decrypts_nothing_to_disk() {
    let fx = Desk::with_export();
    let age_key = fx.path("keys/age.txt");
    tool_ok("age-keygen", osargs!["-o", age_key]);
    set_mode(&age_key, 0o600);
    let public = String::from_utf8(tool_ok("age-keygen", osargs!["-y", age_key]).stdout).unwrap();
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &["-r", public.trim()], &[fx.export()]));
    let log = fs::read(custody_of(&vault)).unwrap();
    let dest = fx.path("dest");
    let line = assert_refused(&fx.extract(&vault, &age_key, &dest, &[]), 4);
    assert!(line.contains("sign"), "{line}");
    assert_absent(&dest);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log, "nothing recorded");
}

#[cfg(unix)]
#[test]
fn a_log_that_cannot_be_written_stops_extract_before_any_plaintext() {
    let fx = Desk::with_export();
    let stick = Tmpfs::mount(&fx.path("stick"), "size=64m");
    let vault = stick.dir.join("x.kura");
    ok(&fx.pack(&vault, &[], &[fx.export()]));
    let log = fs::read(custody_of(&vault)).unwrap();
    // The stick is write-protected now.
    let out = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&stick.dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let dest = fx.path("dest");
    let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, &dest, &[]), 10);
    assert!(
        line.contains("cannot be written") && line.contains("nothing was extracted"),
        "{line}"
    );
    assert_absent(&dest);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log);
}

#[test]
fn extract_wants_a_new_or_empty_destination() {
    let fx = Desk::with_export();
    let vault = fx.packed("vaults/x.kura");
    let log = fs::read(custody_of(&vault)).unwrap();
    // A folder holding someone's work, and the vault's own folder (whose
    // custody log an archive member could otherwise replace).
    let dest = fx.mkdir("home");
    fs::write(dest.join("unrelated.txt"), "keep me\n").unwrap();
    for d in [dest.clone(), fx.path("vaults")] {
        let before = listing(&d, Meta::Full);
        let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, &d, &[]), 9);
        assert!(
            line.contains("not empty") && line.contains("new or empty folder"),
            "{line}"
        );
        assert_eq!(listing(&d, Meta::Full), before, "untouched: {}", d.display());
    }
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log, "nothing recorded");
    // --force does not open a way around it.
    let out = fx.extract(&vault, &fx.engineer.private, &dest, &["--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
}

#[test]
fn a_kill_after_the_intent_leaves_the_intent_and_no_plaintext() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.path("dest");
    extract_killed_at(&fx, &vault, &dest, "extracting");
    assert_eq!(events(&vault), ["packed", "extracting"]);
    // At most the (empty) stage the kill left: no plaintext.
    let left = listing(&dest, Meta::Content);
    assert!(
        left.iter()
            .all(|(k, v)| k.starts_with(".kura-stage-") && !k.contains('/') && v == "dir"),
        "no plaintext: {left:?}"
    );
}

#[test]
fn a_stage_left_by_a_killed_extraction_is_recorded_and_removed_by_the_next_command() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.path("dest");
    extract_killed_at(&fx, &vault, &dest, "staged");
    // Killed with every file decrypted into the stage: the plaintext there
    // is covered by the intent record naming DEST.
    assert_eq!(events(&vault), ["packed", "extracting"]);
    let stages = names_in(&dest);
    assert_eq!(stages.len(), 1, "{stages:?}");
    assert!(stages[0].starts_with(".kura-stage-"), "{stages:?}");
    let stage = dest.join(&stages[0]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&stage).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the stage is the owner's alone");
    }
    assert!(
        !everything_under(&stage).is_empty(),
        "the kill left plaintext in the stage"
    );
    // The next command that opens the vault removes it and says so.
    let out = fx.verify(&vault, &fx.engineer.private, &[]);
    let said = stdout_of(&ok(&out));
    assert!(said.contains("stopped before it finished"), "{said}");
    assert!(names_in(&dest).is_empty(), "{:?}", names_in(&dest));
    // And DEST, empty again, takes a complete extraction.
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Content);
}

#[test]
fn certify_waits_for_an_extraction_under_way_and_never_interleaves() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.path("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    let before = listing(&fx.root, Meta::Content);
    let log = fs::read(custody_of(&vault)).unwrap();
    // Another kura holds the log (as a running extraction does).
    let held = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(custody_of(&vault))
        .unwrap();
    held.lock().unwrap();
    let cert = fx.path("cert.json");
    let out = fx.run(osargs![
        "certify",
        vault,
        "--deleted",
        dest,
        "-i",
        fx.engineer.private,
        "-o",
        cert
    ]);
    let line = assert_refused(&out, 3);
    assert!(line.contains("another kura command"), "{line}");
    assert_eq!(listing(&fx.root, Meta::Content), before, "nothing destroyed");
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log);
    drop(held);
    // A stage still in use in a recorded destination: certify refuses too.
    let live = dest.join(".kura-stage-running");
    fs::create_dir(&live).unwrap();
    let lock = fs::File::open(&live).unwrap();
    lock.lock().unwrap();
    let out = fx.run(osargs![
        "certify",
        vault,
        "--deleted",
        dest,
        "-i",
        fx.engineer.private,
        "-o",
        cert
    ]);
    let line = assert_refused(&out, 3);
    assert!(line.contains("still under way"), "{line}");
    assert!(dest.join("export").exists(), "nothing destroyed");
    drop(lock);
    fs::remove_dir(&live).unwrap();
    ok(&fx.run(osargs![
        "certify",
        vault,
        "--deleted",
        dest,
        "-i",
        fx.engineer.private,
        "-o",
        cert
    ]));
    assert_eq!(events(&vault).last().map(String::as_str), Some("deleted"));
}

#[test]
fn after_a_certified_return_the_log_takes_no_extraction() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
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
    let log = fs::read(custody_of(&vault)).unwrap();
    let dest = fx.path("dest");
    let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, &dest, &[]), 3);
    assert!(line.contains("certified"), "{line}");
    assert_absent(&dest);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log);
}

#[test]
fn custody_add_takes_only_what_a_person_attests() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let log = fs::read(custody_of(&vault)).unwrap();
    for event in ["extracted", "extracting", "verified", "deleted", "returned"] {
        let out = fx.run(osargs![
            "custody",
            "add",
            vault,
            "--event",
            event,
            "-i",
            fx.engineer.private
        ]);
        let line = assert_refused(&out, 2);
        assert!(line.contains("recorded by kura itself"), "{event}: {line}");
    }
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log, "nothing appended");
    for event in ["handover", "received", "note", "lost"] {
        ok(&fx.run(osargs![
            "custody",
            "add",
            vault,
            "--event",
            event,
            "-i",
            fx.engineer.private
        ]));
    }
}

#[test]
fn a_log_that_extracts_after_a_certified_deletion_fails_verification() {
    // Loads a key through the library (see common::ran_in_own_process).
    if ran_in_own_process() {
        return;
    }
    use kura::custody::{hash_line, sign_record, Record};
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let cert = fx.path("cert.json");
    ok(&fx.run(osargs![
        "certify",
        vault,
        "--deleted",
        "-i",
        fx.engineer.private,
        "-o",
        cert
    ]));
    let copy = fx.path("copy.kura.custody");
    fs::copy(custody_of(&vault), &copy).unwrap();
    // A dishonest holder signs an extraction after the deletion.
    let text = fs::read_to_string(&copy).unwrap();
    let last: Record = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let key =
        kura::keys::identity::load_signing_key(&fx.engineer.private, &kura::keys::PassphraseSource::new(None)).unwrap();
    let mut forged = last.clone();
    forged.seq += 1;
    forged.prev = hash_line(text.lines().last().unwrap());
    forged.event = "extracted".into();
    forged.details = serde_json::Map::new();
    forged.details.insert("destination".into(), "/tmp/elsewhere".into());
    let line = sign_record(&forged, &key).unwrap();
    fs::write(&copy, format!("{text}{line}\n")).unwrap();
    let out = fx.run(osargs!["custody", "verify", copy]);
    let said = assert_refused(&out, 6);
    assert!(said.contains(&format!("record #{}", forged.seq)), "{said}");
    assert!(said.contains("contradicts the certified deletion or return"), "{said}");
}

#[cfg(unix)]
#[test]
fn extracted_modes_give_no_write_to_group_or_others() {
    let fx = Desk::with_export();
    let src = fx.mkdir("wide/shared");
    fs::write(src.join("open.txt"), "dummy\n").unwrap();
    set_mode(&src.join("open.txt"), 0o666);
    set_mode(&src, 0o777);
    let vault = fx.path("wide.kura");
    ok(&fx.pack(&vault, &[], &[&src]));
    let dest = fx.path("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&dest.join("shared")), 0o755);
    assert_eq!(mode(&dest.join("shared/open.txt")), 0o644);
}

#[test]
fn a_destination_others_could_tamper_with_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let log = fs::read(custody_of(&vault)).unwrap();
    let key = &fx.engineer.private;
    // A folder anyone may write in: another user could swap the stage.
    let shared = fx.mkdir("shared");
    set_mode(&shared, 0o777);
    let line = assert_refused(&fx.extract(&vault, key, &shared, &[]), 3);
    assert!(line.contains("can be written by other users"), "{line}");
    // A link standing for DEST (as one planted in /tmp would).
    let real = fx.mkdir("real");
    let link = fx.path("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let line = assert_refused(&fx.extract(&vault, key, &link, &[]), 3);
    assert!(line.contains("symbolic link"), "{line}");
    // A new DEST in a folder anyone may write in (no sticky bit).
    let open = fx.mkdir("open");
    set_mode(&open, 0o777);
    let line = assert_refused(&fx.extract(&vault, key, &open.join("dest"), &[]), 3);
    assert!(line.contains("anyone may write in"), "{line}");
    // A mount point: certify could never destroy the copy whole.
    let mnt = Tmpfs::mount(&fx.path("mnt"), "size=16m,mode=0700");
    let line = assert_refused(&fx.extract(&vault, key, &mnt.dir, &[]), 3);
    assert!(line.contains("mount point"), "{line}");
    assert!(names_in(&mnt.dir).is_empty() && names_in(&real).is_empty() && names_in(&shared).is_empty());
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log, "nothing recorded");
    // A DEST kura makes is its owner's alone.
    let fresh = fx.path("fresh");
    ok(&fx.extract(&vault, key, &fresh, &[]));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o700);
}

#[test]
fn records_go_to_the_vaults_own_log_never_to_a_copy() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let key = &fx.engineer.private;
    let copy = fx.path("copy.custody");
    fs::copy(custody_of(&vault), &copy).unwrap();
    let dest = fx.path("dest");
    let other = ["--custody", copy.to_str().unwrap()];
    let line = assert_refused(&fx.extract(&vault, key, &dest, &other), 3);
    assert!(line.contains("not the custody log beside the vault"), "{line}");
    assert_absent(&dest);
    // Extracted as it should be, certify with the older copy is refused too.
    ok(&fx.extract(&vault, key, &dest, &[]));
    let cert = fx.path("cert.json");
    let out = fx.run(osargs![
        "certify",
        vault,
        "--deleted",
        "-i",
        key,
        "-o",
        cert,
        "--custody",
        copy
    ]);
    assert_refused(&out, 3);
    assert!(dest.join("export").exists(), "nothing destroyed");
}

#[test]
fn a_copy_moved_away_is_never_certified_as_destroyed() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let key = &fx.engineer.private;
    let dest = fx.path("dest");
    ok(&fx.extract(&vault, key, &dest, &[]));
    let kept = fx.path("kept");
    fs::rename(&dest, &kept).unwrap();
    fs::create_dir(&dest).unwrap();
    let cert = fx.path("cert.json");
    let out = fx.run(osargs!["certify", vault, "--deleted", dest, "-i", key, "-o", cert]);
    let line = assert_refused(&out, 3);
    assert!(line.contains("is not the one the copy recorded at"), "{line}");
    assert!(kept.join("export").exists() && vault.exists(), "nothing destroyed");
    assert_absent(&cert);
}

#[test]
fn after_a_certified_deletion_the_log_takes_notes_only() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let key = &fx.engineer.private;
    let cert = fx.path("cert.json");
    ok(&fx.run(osargs!["certify", vault, "--deleted", "-i", key, "-o", cert]));
    for event in ["handover", "received", "lost"] {
        let out = fx.run(osargs!["custody", "add", vault, "--event", event, "-i", key]);
        let line = assert_refused(&out, 3);
        assert!(line.contains("certified deletion or return"), "{event}: {line}");
    }
    ok(&fx.run(osargs![
        "custody",
        "add",
        vault,
        "--event",
        "note",
        "-i",
        key,
        "--note",
        "stick wiped"
    ]));
}

#[test]
fn certify_never_destroys_the_custody_log_reached_through_a_link() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let key = &fx.engineer.private;
    let dest = fx.path("dest");
    ok(&fx.extract(&vault, key, &dest, &[]));
    let hidden = dest.join("log.custody");
    fs::rename(custody_of(&vault), &hidden).unwrap();
    std::os::unix::fs::symlink(&hidden, custody_of(&vault)).unwrap();
    let before = fs::read(&hidden).unwrap();
    let cert = fx.path("cert.json");
    let out = fx.run(osargs!["certify", vault, "--deleted", dest, "-i", key, "-o", cert]);
    let line = assert_refused(&out, 3);
    assert!(line.contains("custody log"), "{line}");
    assert_eq!(fs::read(&hidden).unwrap(), before, "the evidence is untouched");
}
