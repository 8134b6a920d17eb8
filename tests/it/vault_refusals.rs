//! Every refusal of pack, verify and extract through the built binary: the
//! documented exit code (docs/EXIT-CODES.md: Usage 2, Refused 3, Key 4,
//! Decrypt 5, Integrity 6, Untrusted 7, Unsafe 8, Exists 9), one clear line
//! on stderr, no panic, and nothing left behind: no output, no temporary
//! file beside the vault, nothing in DEST.

use std::ffi::OsString;
use std::fs;
#[cfg(unix)]
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;

/// Runs pack with `args` + the export, in a fresh empty `out` folder, and
/// asserts a refusal with `code` that left that folder empty.
fn refused_pack(fx: &Desk, args: impl FnOnce(Vec<OsString>) -> Vec<OsString>, inputs: &[&Path], code: i32) -> String {
    let out_dir = fx.path("out");
    let _ = fs::remove_dir_all(&out_dir);
    fs::create_dir_all(&out_dir).unwrap();
    let mut a = args(fx.pack_args(out_dir.join("x.kura")));
    a.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    let mut c = fx.kura();
    c.args(&a);
    let out = output_within(&mut c, Duration::from_secs(60));
    let line = assert_refused(&out, code);
    assert_empty_dir(&out_dir);
    assert_empty_dir(&fx.cwd);
    line
}

// ---------------------------------------------------------------- pack

#[test]
fn each_of_the_four_approval_fields_is_required() {
    let fx = Desk::with_export();
    for flag in ["--approval-id", "--approved-by", "--purpose", "--delete-by"] {
        let line = refused_pack(&fx, |a| without(a, flag), &[fx.export()], 3);
        assert!(line.contains(flag), "the message should name {flag}: {line}");
        assert!(line.contains("approval"), "{line}");
        // Present but blank is missing too.
        let line = refused_pack(&fx, |a| with(a, flag, "  "), &[fx.export()], 3);
        assert!(line.contains(flag), "{line}");
    }
}

#[test]
fn a_delete_by_day_in_the_past_or_not_a_date_is_refused() {
    let fx = Desk::with_export();
    // NOW is 2026-04-01.
    let line = refused_pack(&fx, |a| with(a, "--delete-by", "2026-03-31"), &[fx.export()], 3);
    assert!(line.contains("2026-03-31") && line.contains("past"), "{line}");
    for bad in ["2026-02-30", "31/12/2026", "2026-6-30 please", "next week", "20260630"] {
        let line = refused_pack(&fx, |a| with(a, "--delete-by", bad), &[fx.export()], 3);
        assert!(line.contains("YYYY-MM-DD"), "{bad}: {line}");
    }
    // Today itself is not in the past.
    let vault = fx.path("today.kura");
    let mut c = fx.kura();
    c.args(with(fx.pack_args(&vault), "--delete-by", "2026-04-01"))
        .arg(fx.export());
    ok(&c.output().unwrap());
}

#[test]
fn recipients_are_required_and_must_be_valid() {
    let fx = Desk::with_export();
    let no_recipients = |a: Vec<OsString>| {
        let a = without(a, "-r");
        without(a, "-r")
    };
    let line = refused_pack(&fx, no_recipients, &[fx.export()], 2);
    assert!(line.contains("recipient"), "{line}");
    for bad in ["ssh-ed25519 AAAAnot-base64", "age1notakey", "bob@example"] {
        let line = refused_pack(&fx, |a| with(a, "-r", bad), &[fx.export()], 2);
        assert!(line.contains("recipient"), "{bad}: {line}");
    }
}

#[test]
fn an_existing_vault_or_custody_log_is_not_replaced_without_force() {
    let fx = Desk::with_export();
    let out_dir = fx.mkdir("out");
    let vault = out_dir.join("x.kura");
    fs::write(&vault, "precious\n").unwrap();
    let out = fx.pack(&vault, &[], &[fx.export()]);
    let line = assert_refused(&out, 9);
    assert!(line.contains("--force"), "{line}");
    assert_eq!(fs::read_to_string(&vault).unwrap(), "precious\n");
    let names: Vec<String> = listing(&out_dir, Meta::Content).into_keys().collect();
    assert_eq!(names, ["x.kura"], "no custody log, no temporary file");

    // A custody log alone is in the way as well.
    let lone = out_dir.join("y.kura");
    fs::write(custody_of(&lone), "log\n").unwrap();
    assert_refused(&fx.pack(&lone, &[], &[fx.export()]), 9);
    assert_absent(&lone);
    assert_eq!(fs::read_to_string(custody_of(&lone)).unwrap(), "log\n");

    // --force replaces both, and the result is a whole new vault.
    ok(&fx.pack(&vault, &["--force"], &[fx.export()]));
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
    let first_id = custody_records(&vault)[0]["vault_id"].clone();
    assert_eq!(custody_records(&vault).len(), 2);
    ok(&fx.pack(&vault, &["--force"], &[fx.export()]));
    let recs = custody_records(&vault);
    assert_eq!(recs.len(), 1, "a new vault starts a new custody log");
    assert_ne!(recs[0]["vault_id"], first_id);
    ok(&fx.verify(&vault, &fx.clinic.private, &[]));
    let names: Vec<String> = listing(&out_dir, Meta::Content).into_keys().collect();
    assert_eq!(names, ["x.kura", "x.kura.custody", "y.kura.custody"]);
}

#[cfg(unix)]
#[test]
fn fifos_and_sockets_in_the_input_are_refused() {
    let fx = Desk::with_export();
    let input = fx.mkdir("in-fifo");
    fs::write(input.join("a.txt"), "dummy\n").unwrap();
    let fifo = input.join("pipe");
    tool_ok("mkfifo", osargs![fifo]);
    let line = refused_pack(&fx, |a| a, &[&input], 3);
    assert!(line.contains("pipe") && line.contains("FIFO"), "{line}");
    // Named directly, too.
    let line = refused_pack(&fx, |a| a, &[&fifo], 3);
    assert!(line.contains("FIFO"), "{line}");

    let input = fx.mkdir("in-socket");
    fs::write(input.join("a.txt"), "dummy\n").unwrap();
    let sock = input.join("z.sock");
    let _listener = UnixListener::bind(&sock).unwrap();
    let line = refused_pack(&fx, |a| a, &[&input], 3);
    assert!(line.contains("z.sock") && line.contains("socket"), "{line}");
    let line = refused_pack(&fx, |a| a, &[&sock], 3);
    assert!(line.contains("socket"), "{line}");
}

#[test]
fn a_device_file_in_the_input_is_refused() {
    let fx = Desk::with_export();
    let line = refused_pack(&fx, |a| a, &[Path::new("/dev/null")], 3);
    assert!(line.contains("/dev/null") && line.contains("device"), "{line}");
}

#[cfg(unix)]
#[test]
fn symlinks_pointing_outside_the_packed_tree_are_refused() {
    let fx = Desk::with_export();
    fs::write(fx.path("outside.txt"), "not packed\n").unwrap();
    let cases: Vec<(&str, PathBuf)> = vec![
        ("up", PathBuf::from("../../../outside.txt")),
        ("absolute", fx.path("outside.txt")),
        ("system", PathBuf::from("/etc/hostname")),
        ("down-then-up", PathBuf::from("sub/../../../../outside.txt")),
        ("dangling", PathBuf::from("../../../../nowhere")),
    ];
    for (name, target) in cases {
        let input = fx.mkdir(&format!("in-{name}/data"));
        fs::create_dir_all(input.join("sub")).unwrap();
        fs::write(input.join("a.txt"), "dummy\n").unwrap();
        std::os::unix::fs::symlink(&target, input.join("sub/link")).unwrap();
        let line = refused_pack(&fx, |a| a, &[&input], 3);
        assert!(line.contains("link") && line.contains("outside"), "{name}: {line}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_climbing_out_through_another_link_is_refused() {
    // sub/up -> .. is inside; up/../../outside.txt looks inside when read
    // lexically, but `up` is a link: it really ends two levels above data/.
    let fx = Desk::with_export();
    fs::write(fx.path("outside.txt"), "not packed\n").unwrap();
    let input = fx.mkdir("in/data");
    fs::create_dir_all(input.join("sub")).unwrap();
    fs::write(input.join("a.txt"), "dummy\n").unwrap();
    std::os::unix::fs::symlink("..", input.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("up/../../outside.txt", input.join("sub/link")).unwrap();
    assert_eq!(fs::read(input.join("sub/link")).unwrap(), b"not packed\n");
    let line = refused_pack(&fx, |a| a, &[&input], 3);
    assert!(line.contains("sub/link") && line.contains("outside"), "{line}");
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_tree_are_stored_relative_and_restored() {
    let fx = Desk::with_export();
    let input = fx.mkdir("data");
    fs::create_dir_all(input.join("sub")).unwrap();
    fs::write(input.join("a.txt"), "dummy\n").unwrap();
    std::os::unix::fs::symlink("../a.txt", input.join("sub/rel")).unwrap();
    std::os::unix::fs::symlink(input.join("a.txt"), input.join("sub/abs")).unwrap();
    std::os::unix::fs::symlink("sub", input.join("dirlink")).unwrap();
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &[], &[&input]));
    let dest = fx.mkdir("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    let d = dest.join("data");
    assert_eq!(fs::read_link(d.join("sub/rel")).unwrap(), Path::new("../a.txt"));
    assert_eq!(
        fs::read_link(d.join("sub/abs")).unwrap(),
        Path::new("../a.txt"),
        "an absolute link into the tree is stored relative"
    );
    assert_eq!(fs::read_link(d.join("dirlink")).unwrap(), Path::new("sub"));
    assert_eq!(fs::read(d.join("sub/abs")).unwrap(), b"dummy\n");
}

// ---------------------------------------------------------------- keys and trust

#[cfg(unix)]
#[test]
fn a_private_key_others_can_read_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let log = fs::read(custody_of(&vault)).unwrap();
    set_mode(&fx.engineer.private, 0o644);
    let line = refused_pack(&fx, |a| a, &[fx.export()], 4);
    assert!(line.contains("chmod 600"), "{line}");
    assert_refused(&fx.verify(&vault, &fx.engineer.private, &[]), 4);
    let dest = fx.path("dest");
    assert_refused(&fx.extract(&vault, &fx.engineer.private, &dest, &[]), 4);
    assert_absent_or_empty(&dest);
    set_mode(&fx.engineer.private, 0o640);
    assert_refused(&fx.verify(&vault, &fx.engineer.private, &[]), 4);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log, "nothing was recorded");
}

#[test]
fn a_vault_not_addressed_to_the_key_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let log = fs::read(custody_of(&vault)).unwrap();
    let stranger = fx.path("keys/stranger");
    ok(&fx.run(osargs!["keygen", "-o", stranger, "--no-passphrase"]));
    let line = assert_refused(&fx.verify(&vault, &stranger, &[]), 5);
    assert!(line.contains("wrong key"), "{line}");
    let dest = fx.mkdir("dest");
    assert_refused(&fx.extract(&vault, &stranger, &dest, &[]), 5);
    assert_empty_dir(&dest);
    let new_dest = fx.path("new-dest");
    assert_refused(&fx.extract(&vault, &stranger, &new_dest, &[]), 5);
    assert_absent_or_empty(&new_dest);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), log, "nothing was recorded");
}

#[test]
fn a_packer_missing_from_the_signers_file_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let only_clinic = fx.path("clinic_only_signers");
    fs::write(
        &only_clinic,
        format!("{} {}\n", fx.clinic.principal, bare_key(&fx.clinic.line)),
    )
    .unwrap();
    // The engineer listed, but not for manifests.
    let custody_only = fx.path("custody_only_signers");
    fs::write(
        &custody_only,
        format!(
            "{} namespaces=\"kura-custody\" {}\n",
            fx.engineer.principal,
            bare_key(&fx.engineer.line)
        ),
    )
    .unwrap();
    for signers in [&only_clinic, &custody_only] {
        let s = signers.to_str().unwrap();
        let line = assert_refused(&fx.verify(&vault, &fx.clinic.private, &["--signers", s]), 7);
        assert!(line.contains("not in the allowed signers"), "{line}");
        let dest = fx.mkdir("dest");
        assert_refused(&fx.extract(&vault, &fx.clinic.private, &dest, &["--signers", s]), 7);
        assert_empty_dir(&dest);
    }
    assert_eq!(custody_records(&vault).len(), 1, "nothing was recorded");
}

// ---------------------------------------------------------------- tampering

/// A copy of `vault` and its custody log under `tampered/NAME.kura`, with
/// `change` applied to the vault's bytes.
fn tampered(fx: &Desk, vault: &Path, name: &str, change: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let dir = fx.mkdir("tampered");
    let copy = dir.join(format!("{name}.kura"));
    let mut bytes = fs::read(vault).unwrap();
    change(&mut bytes);
    fs::write(&copy, bytes).unwrap();
    fs::copy(custody_of(vault), custody_of(&copy)).unwrap();
    copy
}

/// verify and extract both refuse `vault` with `code`; nothing is written
/// to DEST or beside the vault, and its custody log records no copy (an
/// extraction that had begun writing records its intent and its end).
fn assert_rejected(fx: &Desk, vault: &Path, code: i32, what: &str) -> String {
    let dir = vault.parent().unwrap();
    let log = fs::read(custody_of(vault)).unwrap_or_default();
    let log_name = custody_of(vault).file_name().unwrap().to_string_lossy().into_owned();
    let mut before = listing(dir, Meta::Content);
    before.remove(&log_name);
    let out = fx.verify(vault, &fx.engineer.private, &[]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(code), "{what}: verify\n{}", describe(&out));
    let line = assert_refused(&out, code);
    let dest = fx.mkdir("dest");
    let out = fx.extract(vault, &fx.engineer.private, &dest, &[]);
    assert_eq!(out.status.code(), Some(code), "{what}: extract\n{}", describe(&out));
    assert_refused(&out, code);
    assert_empty_dir(&dest);
    let new_dest = fx.path("new-dest");
    let out = fx.extract(vault, &fx.engineer.private, &new_dest, &[]);
    assert_refused(&out, code);
    assert_absent_or_empty(&new_dest);
    let mut after = listing(dir, Meta::Content);
    after.remove(&log_name);
    assert_eq!(after, before, "{what}: something changed beside the vault");
    if custody_of(vault).exists() {
        assert_no_copy_recorded(&new_records(vault, &log));
    }
    assert_empty_dir(&fx.cwd);
    line
}

/// Where the binary age header ends (after `--- MAC\n`).
fn header_end(bytes: &[u8]) -> usize {
    let mac = bytes
        .windows(5)
        .position(|w| w == b"\n--- ")
        .expect("age header MAC line")
        + 1;
    mac + bytes[mac..].iter().position(|b| *b == b'\n').unwrap() + 1
}

#[test]
fn a_flipped_byte_anywhere_in_the_vault_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let bytes = fs::read(&vault).unwrap();
    let len = bytes.len();
    let hdr = header_end(&bytes);
    let stanzas: Vec<usize> = bytes[..hdr]
        .windows(15)
        .enumerate()
        .filter(|(_, w)| *w == b"-> ssh-ed25519 ")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(stanzas.len(), 2, "one stanza per recipient");
    let body = |s: usize| s + bytes[s..].iter().position(|b| *b == b'\n').unwrap() + 3;
    let payload = hdr + 16; // after the 16-byte nonce
    let mut offsets = vec![
        ("version line", 0),
        ("version line", 12),
        ("first stanza tag", stanzas[0] + 17),
        ("first stanza share", stanzas[0] + 30),
        ("first stanza body", body(stanzas[0])),
        ("second stanza tag", stanzas[1] + 17),
        ("second stanza body", body(stanzas[1])),
        ("header MAC", hdr - 6),
        ("nonce", hdr + 3),
        ("first chunk", payload + 1),
        ("first chunk", payload + 1000),
        ("first chunk tag", payload + 65536 + 3),
        ("second chunk", payload + 65536 + 16 + 7),
        ("middle", len / 2),
        ("last chunk", len - 40),
        ("last chunk tag", len - 5),
        ("last byte", len - 1),
    ];
    offsets.sort_by_key(|(_, o)| *o);
    for (what, at) in offsets {
        let copy = tampered(&fx, &vault, &format!("flip-{at}"), |b| b[at] ^= 0x01);
        assert_rejected(&fx, &copy, 6, &format!("{what} (offset {at} of {len})"));
        fs::remove_file(custody_of(&copy)).unwrap();
        fs::remove_file(&copy).unwrap();
    }
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}

#[test]
fn a_truncated_or_extended_vault_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let len = fs::metadata(&vault).unwrap().len() as usize;
    type Change = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Change)> = vec![
        ("last byte cut", Box::new(|b| b.truncate(b.len() - 1))),
        ("last chunk cut", Box::new(|b| b.truncate(b.len() - 1000))),
        ("half", Box::new(move |b| b.truncate(len / 2))),
        ("header only", Box::new(|b| b.truncate(200))),
        ("empty", Box::new(|b| b.clear())),
        ("one byte appended", Box::new(|b| b.push(0))),
        ("a block appended", Box::new(|b| b.extend_from_slice(&[0u8; 4096]))),
        ("vault doubled", Box::new(|b| b.extend_from_slice(&b.clone()))),
    ];
    for (i, (what, change)) in cases.into_iter().enumerate() {
        let copy = tampered(&fx, &vault, &format!("cut-{i}"), change);
        let line = assert_rejected(&fx, &copy, 6, what);
        assert!(line.contains("altered") || line.contains("damaged"), "{what}: {line}");
    }
}

#[test]
fn another_vaults_custody_log_is_refused() {
    let fx = Desk::with_export();
    let a = fx.packed("a.kura");
    let b = fx.packed("b.kura");
    // Same export, same keys: the two vaults differ only in id and keys.
    let copy = tampered(&fx, &a, "swapped", |_| {});
    fs::copy(custody_of(&b), custody_of(&copy)).unwrap();
    assert_rejected(&fx, &copy, 6, "custody log of another vault");
}

/// A copy of the vault whose custody log is `edit(lines)`.
fn with_log(fx: &Desk, vault: &Path, name: &str, edit: impl FnOnce(&mut Vec<String>)) -> PathBuf {
    let copy = tampered(fx, vault, name, |_| {});
    let mut lines: Vec<String> = fs::read_to_string(custody_of(vault))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    edit(&mut lines);
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(custody_of(&copy), text).unwrap();
    copy
}

#[test]
fn an_edited_custody_log_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    for key in [&fx.engineer.private, &fx.clinic.private, &fx.engineer.private] {
        ok(&fx.verify(&vault, key, &[]));
    }
    assert_eq!(custody_records(&vault).len(), 4);
    type Edit = Box<dyn FnOnce(&mut Vec<String>)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "approval id in the receipt",
            Box::new(|l| l[0] = l[0].replacen("APP-2026-041", "APP-2026-042", 1)),
        ),
        (
            "delete-by in the receipt",
            Box::new(|l| l[0] = l[0].replacen(DELETE_BY, "2027-06-30", 1)),
        ),
        (
            "time of a record",
            Box::new(|l| l[2] = l[2].replacen("2026-04-01", "2026-04-02", 1)),
        ),
        (
            "event of a record",
            Box::new(|l| l[1] = l[1].replacen("verified", "returned", 1)),
        ),
        ("a record removed", Box::new(|l| drop(l.remove(2)))),
        ("two records swapped", Box::new(|l| l.swap(1, 2))),
        ("a record duplicated", Box::new(|l| l.insert(2, l[1].clone()))),
        ("the receipt record removed", Box::new(|l| drop(l.remove(0)))),
        ("emptied", Box::new(|l| l.clear())),
        ("not JSON", Box::new(|l| l[0] = "hello".into())),
    ];
    for (i, (what, edit)) in cases.into_iter().enumerate() {
        let copy = with_log(&fx, &vault, &format!("log-{i}"), edit);
        let line = assert_rejected(&fx, &copy, 6, what);
        assert!(line.contains("custody"), "{what}: {line}");
    }
}

#[test]
fn a_missing_custody_log_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let copy = tampered(&fx, &vault, "no-log", |_| {});
    fs::remove_file(custody_of(&copy)).unwrap();
    let line = assert_rejected(&fx, &copy, 10, "no custody log");
    assert!(line.contains("custody log") && line.contains("missing"), "{line}");
}

// ---------------------------------------------------------------- DEST

#[test]
fn extract_into_a_folder_that_holds_anything_is_refused_and_leaves_it_as_it_was() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.mkdir("dest");
    write_file(
        &dest.join("export/orca_dump.sql"),
        b"my own work\n",
        0o644,
        1_000_000_000,
    );
    fs::write(dest.join("unrelated.txt"), "keep me\n").unwrap();
    let before = listing(&dest, Meta::Full);
    let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, &dest, &[]), 9);
    assert!(
        line.contains("not empty") && line.contains("new or empty folder"),
        "{line}"
    );
    assert_eq!(listing(&dest, Meta::Full), before, "DEST is exactly as it was");
    assert_eq!(custody_records(&vault).len(), 1, "nothing was recorded");
    // There is no --force to replace files in DEST.
    let out = fx.extract(&vault, &fx.engineer.private, &dest, &["--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(listing(&dest, Meta::Full), before);

    // Into a new folder it extracts; again into the same one is refused.
    let fresh = fx.path("fresh");
    ok(&fx.extract(&vault, &fx.engineer.private, &fresh, &[]));
    assert_same_tree(&fresh.join("export"), fx.export(), Meta::Full);
    let before = listing(&fresh, Meta::Full);
    assert_refused(&fx.extract(&vault, &fx.engineer.private, &fresh, &[]), 9);
    assert_eq!(listing(&fresh, Meta::Full), before);
}

#[cfg(unix)]
#[test]
fn a_destination_holding_a_link_out_is_refused_and_nothing_goes_through_it() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let elsewhere = fx.mkdir("elsewhere");

    // DEST/export is a link to a folder outside DEST.
    let dest = fx.mkdir("dest");
    std::os::unix::fs::symlink(&elsewhere, dest.join("export")).unwrap();
    // Deeper: DEST/export is a folder, DEST/export/receipts a link out.
    let dest2 = fx.mkdir("dest2");
    fs::create_dir(dest2.join("export")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dest2.join("export/receipts")).unwrap();
    for d in [&dest, &dest2] {
        let before = listing(d, Meta::Content);
        let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, d, &[]), 9);
        assert!(line.contains("not empty"), "{line}");
        assert_empty_dir(&elsewhere);
        assert_eq!(listing(d, Meta::Content), before, "only the links, no stage left");
    }
    assert_eq!(custody_records(&vault).len(), 1, "nothing was recorded");
}
