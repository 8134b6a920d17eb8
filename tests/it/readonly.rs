//! Backups on write-protected disks, lost custody logs and keys used by
//! scripts: verify on a read-only medium, `--custody FILE`,
//! `--without-receipt`, `--passphrase-command` (and systemd credentials
//! through the passphrase file), stale temporary files of a killed run,
//! and the allowed signer whose line has expired.

use std::path::PathBuf;

use crate::common::*;

/// A copy of the engineer's key under `passphrase` (ssh-keygen -p), at
/// `keys/NAME`.
fn encrypted_engineer_key(desk: &Desk, name: &str, passphrase: &str) -> PathBuf {
    let key = desk.path(&format!("keys/{name}"));
    std::fs::copy(&desk.engineer.private, &key).unwrap();
    set_mode(&key, 0o600);
    tool_ok("ssh-keygen", osargs!["-q", "-p", "-N", passphrase, "-P", "", "-f", key]);
    key
}

#[test]
fn a_passphrase_command_unlocks_the_key_and_its_failure_is_one_key_line() {
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let key = encrypted_engineer_key(&desk, "enc.key", "two words here");
    // `kura verify VAULT -i KEY` with the options and environment set on
    // `o()` (a command only read, never run).
    let o = || desk.kura();
    let verify = |cmd: &mut std::process::Command| {
        let mut c = desk.kura();
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.arg("verify").arg(&vault).arg("-i").arg(&key).args(cmd.get_args());
        c.output().expect("kura runs")
    };
    // The option, and the environment variable, each run through the shell.
    ok(&verify(
        o().args(["--passphrase-command", "printf '%s\\n' 'two words here'"]),
    ));
    ok(&verify(o().env("KURA_PASSPHRASE_COMMAND", "echo 'two words here'")));
    // A file, given or from the environment, wins over the command in the
    // environment; both options at once are a usage error.
    desk.write("pass", "two words here\n");
    ok(&verify(
        desk.kura()
            .env("KURA_PASSPHRASE_COMMAND", "exit 9")
            .env("KURA_PASSPHRASE_FILE", desk.path("pass")),
    ));
    let out = verify(
        o().args(["--passphrase-command", "true", "--passphrase-file"])
            .arg(desk.path("pass")),
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        stderr_of(&out).contains("cannot be used together"),
        "{}",
        describe(&out)
    );
    // A command that fails: exit 4, one line naming it and its exit code,
    // and no terminal prompt (there is none, and kura does not wait).
    let out = verify(o().args(["--passphrase-command", "echo oops >&2; exit 3"]));
    assert_eq!(out.status.code(), Some(4), "{}", describe(&out));
    let err = stderr_of(&out);
    assert!(err.starts_with("oops\n"), "the command's own error shows first: {err}");
    let line = err.lines().nth(1).unwrap();
    assert!(
        line.contains("echo oops >&2; exit 3") && line.contains("exit code 3"),
        "{line}"
    );
    assert_eq!(err.lines().count(), 2, "{err}");
    // A wrong passphrase is tried once: exit 4, the wrong-passphrase line.
    let line = assert_refused(&verify(o().args(["--passphrase-command", "echo wrong"])), 4);
    assert!(line.contains("wrong passphrase"), "{line}");
    // In Japanese too.
    let out = verify(
        o().env("LC_ALL", "ja_JP.UTF-8")
            .args(["--passphrase-command", "exit 5"]),
    );
    let line = assert_refused(&out, 4);
    assert!(
        line.contains("パスフレーズコマンド") && line.contains("終了コード 5"),
        "{line}"
    );
    // Nothing was recorded by the runs that failed.
    let verified = custody_records(&vault)
        .iter()
        .filter(|r| r["event"] == "verified")
        .count();
    assert_eq!(verified, 3);
}

#[test]
fn a_systemd_credential_is_read_through_the_passphrase_file() {
    // systemd's LoadCredential=kura-passphrase:/etc/kura/pass puts the file
    // at $CREDENTIALS_DIRECTORY/kura-passphrase, readable by the service
    // only; the unit names it with KURA_PASSPHRASE_FILE=%d/kura-passphrase.
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let key = encrypted_engineer_key(&desk, "enc.key", "credential pass");
    let creds = desk.mkdir("run/credentials/kura-verify.service");
    let file = creds.join("kura-passphrase");
    std::fs::write(&file, "credential pass").unwrap();
    set_mode(&file, 0o400);
    set_mode(&creds, 0o500);
    let out = desk
        .kura()
        .env("CREDENTIALS_DIRECTORY", &creds)
        .env("KURA_PASSPHRASE_FILE", &file)
        .arg("verify")
        .arg(&vault)
        .arg("-i")
        .arg(&key)
        .output()
        .unwrap();
    ok(&out);
    // The same through the command line, as ExecStart= writes it.
    ok(desk
        .command("sh")
        .env("CREDENTIALS_DIRECTORY", &creds)
        .arg("-c")
        .arg(format!(
            "exec {} verify {} -i {} --passphrase-file \"$CREDENTIALS_DIRECTORY/kura-passphrase\"",
            KURA,
            vault.display(),
            key.display()
        )));
}

/// `kura --json verify VAULT -i KEY [extra…]`, succeeding: its JSON.
fn verify_json(desk: &Desk, vault: &std::path::Path, key: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let out = ok(desk
        .kura()
        .arg("--json")
        .arg("verify")
        .arg(vault)
        .arg("-i")
        .arg(key)
        .args(extra));
    json(&out)
}

/// A vault packed onto a tmpfs "backup disk" at `ROOT/backup`, which is
/// then write-protected (remounted read-only), with its custody log or
/// (`lost_log`) without. The mount goes when the returned value does.
fn vault_on_write_protected_disk_with(desk: &Desk, lost_log: bool) -> (Tmpfs, PathBuf) {
    let disk = Tmpfs::mount(&desk.path("backup"), "size=64m");
    let vault = disk.dir.join("x.kura");
    ok(&desk.pack(&vault, &[], &[desk.export()]));
    if lost_log {
        std::fs::remove_file(custody_of(&vault)).unwrap();
    }
    tool_ok("mount", osargs!["-o", "remount,ro", disk.dir]);
    (disk, vault)
}

/// A vault with its log on a write-protected disk (see
/// [`vault_on_write_protected_disk_with`]).
fn vault_on_write_protected_disk(desk: &Desk) -> (Tmpfs, PathBuf) {
    vault_on_write_protected_disk_with(desk, false)
}

#[test]
fn a_vault_on_a_write_protected_disk_verifies_and_says_it_was_not_recorded() {
    let desk = Desk::with_export();
    let (_disk, vault) = vault_on_write_protected_disk(&desk);
    let log = std::fs::read(custody_of(&vault)).unwrap();
    let j = verify_json(&desk, &vault, &desk.engineer.private, &[]);
    assert_eq!(j["ok"], true, "{j}");
    assert_eq!(j["custody_recorded"], false, "{j}");
    assert_eq!(j["custody_not_recorded"], "log-read-only", "{j}");
    assert_eq!(j["custody_log"], custody_of(&vault).display().to_string(), "{j}");
    let out = ok(&desk.verify(&vault, &desk.engineer.private, &[]));
    let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
    let line = text
        .lines()
        .find(|l| l.contains("not recorded"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("cannot be written") && line.contains("--custody FILE"),
        "{line}"
    );
    let out = ok(desk
        .kura()
        .env("LC_ALL", "ja_JP.UTF-8")
        .arg("verify")
        .arg(&vault)
        .arg("-i")
        .arg(&desk.engineer.private));
    let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(text.contains("この検証は記録していません"), "{text}");
    // A person's record cannot go there either; the refusal says how.
    let key = desk.engineer.private.to_str().unwrap();
    let out = desk
        .custody_add(custody_of(&vault), "note", key, &["--note", "checked"])
        .output()
        .unwrap();
    let line = assert_refused(&out, 10);
    assert!(line.contains("nothing was recorded") && line.contains("copy"), "{line}");
    assert!(!line.contains("extracted"), "{line}");
    assert_eq!(std::fs::read(custody_of(&vault)).unwrap(), log);
    // A copy on a writable disk continues the log and takes the record.
    let copy = desk.path("x.kura.custody");
    std::fs::copy(custody_of(&vault), &copy).unwrap();
    ok(&mut desk.custody_add(&copy, "note", key, &["--note", "checked"]));
    assert_eq!(events_of(&copy), ["packed", "note"]);
}

#[test]
fn extract_from_a_write_protected_disk_records_in_a_copy_named_with_custody() {
    let desk = Desk::with_export();
    let (_disk, vault) = vault_on_write_protected_disk(&desk);
    let original = std::fs::read(custody_of(&vault)).unwrap();
    let key = &desk.engineer.private;
    // Without --custody: refused before any plaintext, pointing at it.
    let dest = desk.path("restore");
    let line = assert_refused(&desk.extract(&vault, key, &dest, &[]), 10);
    assert!(
        line.contains("cannot be written") && line.contains("--custody FILE"),
        "{line}"
    );
    assert_absent(&dest);
    let out = desk
        .kura()
        .env("LC_ALL", "ja_JP.UTF-8")
        .arg("extract")
        .arg(&vault)
        .arg("-i")
        .arg(key)
        .arg("-C")
        .arg(&dest)
        .output()
        .unwrap();
    assert!(assert_refused(&out, 10).contains("--custody ファイル"));
    assert_absent(&dest);
    // With --custody NEW: NEW starts as a copy of the log, and takes the records.
    let copy = desk.path("records/x.kura.custody");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let c = copy.to_str().unwrap();
    let out = ok(&desk.extract(&vault, key, &dest, &["--custody", c]));
    assert!(
        stdout_of(&out).contains("as a copy of the custody log"),
        "{}",
        describe(&out)
    );
    let copied = std::fs::read(&copy).unwrap();
    assert!(
        copied.starts_with(&original),
        "the copy begins with every record of the original"
    );
    assert_eq!(events_of(&copy), ["packed", "extracting", "extracted"]);
    assert_eq!(
        std::fs::read(custody_of(&vault)).unwrap(),
        original,
        "the original is untouched"
    );
    assert!(dest.join("export").exists());
    // The copy checks as a log of its own, and verify records in it too.
    ok(desk.kura().args(["custody", "verify"]).arg(&copy));
    let j = verify_json(&desk, &vault, key, &["--custody", c]);
    assert_eq!(j["custody_recorded"], true, "{j}");
    assert_eq!(j["custody_copied_from"], serde_json::Value::Null, "{j}");
    assert_eq!(events_of(&copy), ["packed", "extracting", "extracted", "verified"]);
    // The return is certified against the copy too: the restored files
    // destroyed, the "returned" record in the copy.
    let cert = desk.path("cert.json");
    ok(desk.kura().args(osargs![
        "certify",
        vault,
        "--returned",
        "--destroy",
        dest,
        "-i",
        key,
        "-o",
        cert,
        "--custody",
        c
    ]));
    assert_absent(&dest);
    assert_eq!(events_of(&copy).last().map(String::as_str), Some("returned"));
    assert_eq!(
        std::fs::read(custody_of(&vault)).unwrap(),
        original,
        "the original is untouched"
    );
    // A file that does not continue this vault's log is refused, untouched.
    let other = desk.packed("other.kura");
    let stranger = desk.path("records/stranger.custody");
    std::fs::copy(custody_of(&other), &stranger).unwrap();
    let before = std::fs::read(&stranger).unwrap();
    let line = assert_refused(&desk.verify(&vault, key, &["--custody", stranger.to_str().unwrap()]), 3);
    assert!(line.contains("does not continue") && line.contains("#0"), "{line}");
    let dest2 = desk.path("restore2");
    assert_refused(
        &desk.extract(&vault, key, &dest2, &["--custody", stranger.to_str().unwrap()]),
        3,
    );
    assert_absent(&dest2);
    assert_eq!(std::fs::read(&stranger).unwrap(), before);
}

/// The events of the log at `path`, in order.
fn events_of(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The first record of the log at `path`.
fn first_record(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

#[test]
fn a_vault_whose_log_is_lost_opens_without_receipt_and_starts_a_new_log() {
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let log = custody_of(&vault);
    let original = first_record(&log);
    std::fs::remove_file(&log).unwrap();
    let key = &desk.engineer.private;
    let signers = desk.signers.to_str().unwrap();
    // Without the flag: inspect, verify and extract say the log is missing
    // and how to go on.
    let line = assert_refused(&desk.run(osargs!["inspect", vault]), 10);
    assert!(
        line.contains("is missing") && line.contains("--without-receipt --signers"),
        "{line}"
    );
    let line = assert_refused(&desk.verify(&vault, key, &[]), 10);
    assert!(line.contains("--without-receipt"), "{line}");
    let out = desk
        .kura()
        .env("LC_ALL", "ja_JP.UTF-8")
        .arg("verify")
        .arg(&vault)
        .arg("-i")
        .arg(key)
        .output()
        .unwrap();
    assert!(assert_refused(&out, 10).contains("--without-receipt"));
    // The flag needs a trust list (usage), and a packer it lists (7): no
    // log is started by a refusal.
    let line = assert_refused(&desk.verify(&vault, key, &["--without-receipt"]), 2);
    assert!(line.contains("--signers"), "{line}");
    desk.write(
        "clinic_only",
        &format!("{} {}\n", desk.clinic.principal, bare_key(&desk.clinic.line)),
    );
    let clinic_only = desk.path("clinic_only");
    let line = assert_refused(
        &desk.verify(
            &vault,
            key,
            &["--without-receipt", "--signers", clinic_only.to_str().unwrap()],
        ),
        7,
    );
    assert!(line.contains("not in the allowed signers"), "{line}");
    assert_absent(&log);
    // With it: checked, a new log whose first record holds the rebuilt
    // receipt, marked, then the "verified" record.
    let j = verify_json(&desk, &vault, key, &["--without-receipt", "--signers", signers]);
    assert_eq!(j["receipt_reconstructed"], true, "{j}");
    assert_eq!(j["custody_restarted"], true, "{j}");
    assert_eq!(j["custody_recorded"], true, "{j}");
    assert_eq!(j["signer_principal"], ENGINEER, "{j}");
    assert_eq!(events_of(&log), ["restarted", "verified"]);
    let first = first_record(&log);
    assert_eq!(first["details"]["receipt"], "reconstructed", "{first}");
    assert_eq!(first["details"]["packer_principal"], ENGINEER, "{first}");
    // Rebuilt from what was checked, the receipt says what the lost one said.
    assert_eq!(first["receipt"], original["receipt"]);
    // The new log checks, its receipt signed by whoever restarted it, and
    // says what it is.
    let out = ok(desk.kura().args(["custody", "verify", "--signers", signers]).arg(&log));
    assert!(
        stdout_of(&out).contains("the receipt could not be checked"),
        "{}",
        describe(&out)
    );
    let out = ok(desk.kura().args(["--json", "custody", "show"]).arg(&log));
    assert_eq!(json(&out)["receipt_reconstructed"], true);
    // The flag is refused now that a log is there; later runs check
    // against the new log and still say the receipt is unproven.
    let line = assert_refused(
        &desk.verify(&vault, key, &["--without-receipt", "--signers", signers]),
        2,
    );
    assert!(line.contains("leave out --without-receipt"), "{line}");
    let out = ok(&desk.verify(&vault, key, &["--signers", signers]));
    assert!(
        stdout_of(&out).contains("the receipt could not be checked"),
        "{}",
        describe(&out)
    );
    let out = ok(&desk.run(osargs!["inspect", vault]));
    assert!(
        stdout_of(&out).contains("the receipt could not be checked"),
        "{}",
        describe(&out)
    );
    assert_eq!(
        json(&ok(&desk.run(osargs!["--json", "inspect", vault])))["receipt_reconstructed"],
        true
    );
}

#[test]
fn extract_without_receipt_records_the_copy_in_the_new_log_and_an_altered_vault_starts_none() {
    let desk = Desk::with_export();
    let key = &desk.engineer.private;
    let signers = desk.signers.to_str().unwrap();
    let vault = desk.packed("x.kura");
    std::fs::remove_file(custody_of(&vault)).unwrap();
    // An altered vault: refused, and no log started.
    let bad = desk.path("bad.kura");
    let mut bytes = std::fs::read(&vault).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(&bad, &bytes).unwrap();
    let dest = desk.path("dest");
    let out = desk.extract(&bad, key, &dest, &["--without-receipt", "--signers", signers]);
    assert_refused(&out, 6);
    assert_absent(&custody_of(&bad));
    assert_absent(&dest);
    // A destination that would be refused is refused before the vault is
    // read, and no log is started.
    let busy = desk.mkdir("busy");
    set_mode(&busy, 0o700);
    std::fs::write(busy.join("work.txt"), "mine\n").unwrap();
    let out = desk.extract(&vault, key, &busy, &["--without-receipt", "--signers", signers]);
    assert!(assert_refused(&out, 9).contains("not empty"));
    assert_absent(&custody_of(&vault));
    // The intact one: extracted, and recorded in the new log, at --custody
    // FILE when given.
    let elsewhere = desk.path("records/x.kura.custody");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    let out = ok(&desk.extract(
        &vault,
        key,
        &dest,
        &[
            "--without-receipt",
            "--signers",
            signers,
            "--custody",
            elsewhere.to_str().unwrap(),
        ],
    ));
    let text = stdout_of(&out);
    assert!(
        text.contains("started a new one") && text.contains("the receipt could not be checked"),
        "{text}"
    );
    assert_eq!(events_of(&elsewhere), ["restarted", "extracting", "extracted"]);
    assert_absent(&custody_of(&vault));
    assert!(dest.join("export").exists());
}

/// The names in `dir` that are kura's temporary files.
fn temporary_files(dir: &std::path::Path) -> Vec<String> {
    names_in(dir).into_iter().filter(|n| n.ends_with(".kura-tmp")).collect()
}

#[test]
fn a_killed_pack_leaves_a_temporary_file_the_next_pack_there_removes() {
    let desk = Desk::with_export();
    let out_dir = desk.mkdir("usb");
    // Killed with the whole vault written under its temporary name.
    let killed = desk
        .kura()
        .env("KURA_TEST_ABORT_AT", "sealed")
        .args(desk.pack_args(out_dir.join("x.kura")))
        .arg(desk.export())
        .output()
        .unwrap();
    assert!(!killed.status.success(), "{}", describe(&killed));
    let left = temporary_files(&out_dir);
    assert_eq!(left.len(), 1, "{:?}", names_in(&out_dir));
    assert!(left[0].starts_with(".x.kura."), "{left:?}");
    let stale = out_dir.join(&left[0]);
    assert!(
        std::fs::metadata(&stale).unwrap().len() > 1000,
        "the partly written vault"
    );
    // A live run's temporary file (its writer holds the lock) is never taken.
    let live = out_dir.join(".z.kura.Live42.kura-tmp");
    std::fs::write(&live, b"being written").unwrap();
    let held = std::fs::File::open(&live).unwrap();
    held.lock().unwrap();
    // The next pack into that folder removes the stale one and says so.
    let out = ok(desk
        .kura()
        .arg("--json")
        .args(desk.pack_args(out_dir.join("y.kura")))
        .arg(desk.export()));
    let j = json(&out);
    assert_eq!(
        j["temporary_files_removed"],
        serde_json::json!([stale.display().to_string()]),
        "{j}"
    );
    assert_absent(&stale);
    assert!(live.exists(), "a live run's file stays");
    // Said in one line to people too.
    std::fs::write(&stale, vec![7u8; 4096]).unwrap();
    let out = ok(desk
        .kura()
        .args(desk.pack_args(out_dir.join("w.kura")))
        .arg(desk.export()));
    let text = stdout_of(&out);
    let line = text
        .lines()
        .find(|l| l.contains(&left[0]))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("temporary file") && line.contains("stopped"), "{line}");
    assert_absent(&stale);
    assert!(live.exists());
    assert!(
        names_in(&out_dir).iter().all(|n| !n.starts_with(".x.kura.")),
        "{:?}",
        names_in(&out_dir)
    );
}

#[test]
fn a_stale_stage_is_removed_without_following_its_links() {
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let key = &desk.engineer.private;
    // A stage a killed extraction left, holding what a hostile archive
    // could have put there: a link to a folder outside, a read-only folder.
    let outside = desk.mkdir("outside");
    std::fs::write(outside.join("keep.txt"), "keep\n").unwrap();
    let dest = desk.mkdir("dest");
    set_mode(&dest, 0o700);
    let stage = dest.join(".kura-stage-killed");
    std::fs::create_dir_all(stage.join("a/b")).unwrap();
    std::fs::write(stage.join("a/b/f.csv"), "1\n").unwrap();
    std::os::unix::fs::symlink(&outside, stage.join("a/link")).unwrap();
    set_mode(&stage.join("a/b"), 0o500);
    let j = json(&ok(desk
        .kura()
        .arg("--json")
        .args(osargs!["extract", vault, "-i", key, "-C", dest])));
    assert_eq!(
        j["stages_removed"],
        serde_json::json!([stage.display().to_string()]),
        "{j}"
    );
    assert_absent(&stage);
    assert_eq!(names_in(&outside), ["keep.txt"]);
    assert!(dest.join("export").exists());
}

#[test]
fn a_lost_log_on_a_write_protected_disk_is_started_again_elsewhere() {
    let desk = Desk::with_export();
    let (_disk, vault) = vault_on_write_protected_disk_with(&desk, true);
    let key = &desk.engineer.private;
    let signers = desk.signers.to_str().unwrap();
    let line = assert_refused(
        &desk.verify(&vault, key, &["--without-receipt", "--signers", signers]),
        10,
    );
    assert!(
        line.contains("cannot be written") && line.contains("--custody FILE"),
        "{line}"
    );
    let log = desk.path("x.kura.custody");
    let l = log.to_str().unwrap();
    ok(&desk.verify(
        &vault,
        key,
        &["--without-receipt", "--signers", signers, "--custody", l],
    ));
    assert_eq!(events_of(&log), ["restarted", "verified"]);
}

#[test]
fn a_signer_whose_line_expired_is_told_so_not_called_unlisted() {
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let key = &desk.engineer.private;
    desk.write_signers("expired_signers", "valid-before=\"20200101Z\"");
    desk.write_signers("future_signers", "valid-after=\"29990101Z\"");
    let expired = desk.path("expired_signers");
    let expired = expired.to_str().unwrap();
    let future = desk.path("future_signers");
    let future = future.to_str().unwrap();
    let line = assert_refused(&desk.verify(&vault, key, &["--signers", expired]), 7);
    assert!(
        line.contains("expired on 2020-01-01 00:00:00 UTC") && line.contains("valid-before"),
        "{line}"
    );
    assert!(!line.contains("not in the allowed signers"), "{line}");
    let line = assert_refused(&desk.verify(&vault, key, &["--signers", future]), 7);
    assert!(line.contains("valid only from 2999-01-01 00:00:00 UTC"), "{line}");
    let out = desk
        .kura()
        .env("LC_ALL", "ja_JP.UTF-8")
        .args(osargs!["verify", vault, "-i", key, "--signers", expired])
        .output()
        .unwrap();
    assert!(assert_refused(&out, 7).contains("有効期限は 2020-01-01"));
    // With --json, the id says which.
    let out = desk
        .kura()
        .args(osargs!["--json", "verify", vault, "-i", key, "--signers", expired])
        .output()
        .unwrap();
    assert_eq!(json(&out)["error"]["id"], "err-signer-expired");
}

#[test]
fn a_log_its_user_may_not_write_counts_as_write_protected() {
    // Not root: a log file mode 0444 is one that user cannot write.
    let desk = Desk::with_export();
    let home = vault_of_nobody(&desk);
    let log = home.join("x.kura.custody");
    let before = std::fs::read(&log).unwrap();
    let run = |args: &[&str]| kura_as_nobody(&desk, &home, args);
    let out = run(&["--json", "verify", "x.kura", "-i", "key"]);
    let j = json(&out);
    assert_eq!(j["custody_not_recorded"], "log-read-only", "{}", describe(&out));
    let line = assert_refused(&run(&["extract", "x.kura", "-i", "key", "-C", "restore"]), 10);
    assert!(line.contains("--custody FILE"), "{line}");
    assert_absent(&home.join("restore"));
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

#[test]
fn without_receipt_unlocks_the_key_once() {
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    std::fs::remove_file(custody_of(&vault)).unwrap();
    let key = encrypted_engineer_key(&desk, "enc.key", "once only");
    let count = desk.path("asked");
    let cmd = format!("echo asked >> '{}'; echo 'once only'", count.display());
    let signers = desk.signers.to_str().unwrap();
    for (i, dest) in [None, Some(desk.path("dest"))].into_iter().enumerate() {
        let _ = std::fs::remove_file(custody_of(&vault));
        let _ = std::fs::remove_file(&count);
        let mut c = desk.kura();
        match &dest {
            None => c.arg("verify").arg(&vault),
            Some(d) => c.arg("extract").arg(&vault).arg("-C").arg(d),
        };
        ok(c.arg("-i")
            .arg(&key)
            .args(["--passphrase-command", &cmd, "--without-receipt", "--signers", signers]));
        assert_eq!(std::fs::read_to_string(&count).unwrap().lines().count(), 1, "run {i}");
    }
}
