//! Attacks on continuation copies of the custody log (`--custody FILE`)
//! and on logs started again: a log its owner merely made read-only is no
//! write-protected disk.

use crate::common::*;

#[test]
fn a_log_its_owner_made_read_only_is_no_reason_for_a_copy() {
    // Not root: a log mode 0444 that its user owns (and may chmod back).
    // Extracting while recording into a copy the clinic never sees, then
    // making the log writable again, would leave the vault's own log
    // without the extraction.
    let desk = Desk::with_export();
    let home = vault_of_nobody(&desk);
    let log = home.join("x.kura.custody");
    let before = std::fs::read(&log).unwrap();
    let run = |args: &[&str]| kura_as_nobody(&desk, &home, args);
    let line = assert_refused(
        &run(&[
            "extract",
            "x.kura",
            "-i",
            "key",
            "-C",
            "restore",
            "--custody",
            "elsewhere.custody",
        ]),
        3,
    );
    assert!(line.contains("chmod"), "{line}");
    assert_absent(&home.join("restore"));
    assert_absent(&home.join("elsewhere.custody"));
    let out = run(&["verify", "x.kura", "-i", "key", "--custody", "elsewhere.custody"]);
    assert_refused(&out, 3);
    assert_absent(&home.join("elsewhere.custody"));
    assert_eq!(std::fs::read(&log).unwrap(), before);
}

/// What a hostile USB stick says it is: escapes that clear the screen, a
/// right-to-left override, markup, and a name far longer than any maker's.
#[cfg(all(debug_assertions, target_os = "linux"))]
const HOSTILE: &str = "Evil\x1b[2J\u{202e}<script>alert(1)</script>";

#[cfg(all(debug_assertions, target_os = "linux"))]
#[test]
fn a_usb_sticks_hostile_name_is_bounded_and_escaped_wherever_shown() {
    use kura::guard::linux::Fixture;
    const USB: &str = "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0";
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let root = desk.root.canonicalize().unwrap();
    let (fixture, stick) = (root.join("media-fixture"), root.join("data/stick"));
    let mut f = Fixture::new(&fixture).unwrap();
    f.block(USB, "sdb", Some("sdb1"), true, (8, 17)).unwrap();
    let long = format!("{HOSTILE}{}", "M".repeat(100_000));
    f.attr(&format!("{USB}/block/sdb/device/vendor"), HOSTILE).unwrap();
    f.attr(&format!("{USB}/block/sdb/device/model"), &long).unwrap();
    f.udev((8, 16), &[("ID_SERIAL_SHORT", HOSTILE)]).unwrap();
    std::fs::create_dir_all(&stick).unwrap();
    let fs_type = format!("fuse.{}", "F".repeat(10_000));
    f.mount(&stick, &fs_type, "/dev/sdb1", (8, 17)).unwrap();
    let copy = stick.join("copy.csv");
    std::fs::write(&copy, "id,name\n00000001,DUMMY\n").unwrap();
    let cert = desk.mkdir("out").join("CERT.json");
    let out = desk
        .kura()
        .env("KURA_GUARD_FIXTURE", &fixture)
        .arg("certify")
        .arg(&vault)
        .arg("--deleted")
        .arg(&copy)
        .arg("-i")
        .arg(&desk.engineer.private)
        .arg("-o")
        .arg(&cert)
        .output()
        .unwrap();
    ok(&out);
    let said = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(!said.contains('\x1b') && !said.contains('\u{202e}'), "{said:?}");
    assert!(said.len() < 20_000, "{} bytes said", said.len());

    let text = std::fs::read_to_string(&cert).unwrap();
    assert!(text.len() < 20_000, "the certificate is {} bytes", text.len());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let items = v["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["path"] == copy.to_str().unwrap()).unwrap();
    let m = &item["medium"];
    let fs = m["fs_type"].as_str().unwrap();
    assert!(fs.starts_with("fuse.F") && fs.chars().count() <= 256, "{fs}");
    for k in ["vendor", "model", "serial"] {
        let s = m[k].as_str().unwrap_or_else(|| panic!("{k} in {m}"));
        // Kept as the device said it (like every text in a certificate),
        // escaped wherever it is shown.
        assert!(s.starts_with(HOSTILE), "{k}: {s:?}");
        assert!(s.chars().count() <= 256, "{k}: {} characters", s.chars().count());
    }

    let shown = stdout_of(&ok(&desk.verify_certificate(
        &cert,
        custody_of(&vault),
        &desk.signers,
        &[],
    )));
    assert!(!shown.contains('\x1b') && !shown.contains('\u{202e}'), "{shown:?}");
    let html = desk.path("cert.html");
    ok(desk.kura().args(["certificate", "render", "-o"]).arg(&html).arg(&cert));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<script>") && !page.contains('\u{202e}'),
        "markup passed into the page"
    );
}

#[test]
fn a_certificate_over_a_restarted_log_says_so_and_fails_against_the_clinics_copy() {
    // The vault moved away from its log (which records an extraction), a
    // fresh log started with --without-receipt, and the return certified
    // over that: the old history is not in the certificate.
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let log = custody_of(&vault);
    let clinic = desk.path("clinic.custody");
    let key = &desk.engineer.private;
    ok(&desk.extract(&vault, key, &desk.path("restore"), &[]));
    std::fs::copy(&log, &clinic).unwrap();
    std::fs::rename(&log, desk.path("hidden.custody")).unwrap();
    let signers = desk.signers.to_str().unwrap();
    ok(&desk.verify(&vault, key, &["--without-receipt", "--signers", signers]));
    let cert = desk.path("x.cert.json");
    ok(desk
        .kura()
        .arg("certify")
        .arg(&vault)
        .arg("--returned")
        .arg("-i")
        .arg(key)
        .arg("-o")
        .arg(&cert));
    // Against the clinic's own copy: refused, it is not that log.
    let out = desk.verify_certificate(&cert, &clinic, &desk.signers, &[]);
    assert_ne!(out.status.code(), Some(0), "{}", describe(&out));
    // Against the restarted log the engineer hands over: it passes, and
    // says loudly that the log was started again.
    let out = desk.verify_certificate(&cert, &log, &desk.signers, &[]);
    let said = stdout_of(&ok(&out));
    assert!(said.contains("--without-receipt"), "{said}");
    let out = desk.verify_certificate(&cert, &log, &desk.signers, &["--json"]);
    let j = json(&ok(&out));
    assert_eq!(j["receipt_reconstructed"], true, "{j}");
    // And the printed page says it too.
    let html = desk.path("x.html");
    ok(desk.kura().args(["certificate", "render", "-o"]).arg(&html).arg(&cert));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("was started again with --without-receipt"),
        "no word of the restart on the page"
    );
}

/// `ROOT/x.kura`, packed, its log lost, and a new one started with
/// `verify --without-receipt`.
fn restarted(desk: &Desk) -> std::path::PathBuf {
    let vault = desk.packed("x.kura");
    std::fs::remove_file(custody_of(&vault)).unwrap();
    let signers = desk.signers.to_str().unwrap();
    let flags = ["--without-receipt", "--signers", signers];
    ok(&desk.verify(&vault, &desk.engineer.private, &flags));
    vault
}

#[test]
fn list_marks_a_vault_whose_receipt_was_rebuilt() {
    // The ciphertext "matches" a receipt rebuilt from that very ciphertext:
    // the list must not present it as a plain match.
    let desk = Desk::with_export();
    restarted(&desk);
    let good = desk.packed("good/y.kura");
    let said = stdout_of(&ok(desk.kura().arg("list").arg(&desk.root)));
    let row = said.lines().find(|l| l.starts_with("x.kura")).unwrap();
    assert!(row.trim_end().ends_with('?'), "{said}");
    assert!(said.contains("--without-receipt"), "{said}");
    let j = json(&ok(desk.kura().args(["--json", "list"]).arg(&desk.root)));
    assert_eq!(j["vaults"][0]["receipt_reconstructed"], true, "{j}");
    let j = json(&ok(desk.kura().args(["--json", "list"]).arg(good.parent().unwrap())));
    assert_eq!(j["vaults"][0]["receipt_reconstructed"], false, "{j}");
}

#[test]
fn ledger_add_of_a_restarted_log_says_its_receipt_is_unproven() {
    let desk = Desk::with_export();
    let vault = restarted(&desk);
    let ledger = desk.path("l.db");
    let add = |json: bool| {
        let mut c = desk.kura();
        if json {
            c.arg("--json");
        }
        c.args(["ledger", "add", "--ledger"])
            .arg(&ledger)
            .arg(custody_of(&vault));
        c.arg("--signers").arg(&desk.signers);
        ok(&c.output().unwrap())
    };
    let said = stdout_of(&add(false));
    assert!(said.contains("rebuilt from the vault itself"), "{said}");
    assert_eq!(json(&add(true))["receipt_reconstructed"], true);
}

#[cfg(target_os = "linux")]
#[test]
fn a_log_its_owner_made_immutable_is_no_reason_for_a_copy() {
    // Root may chattr +i the log, extract recording into a copy, and
    // chattr -i again: the same as chmod for anyone else.
    let desk = Desk::with_export();
    let vault = desk.packed("x.kura");
    let log = custody_of(&vault);
    let before = std::fs::read(&log).unwrap();
    let _lift = Chattr::set("+i", &log).expect("chattr +i where the test runs");
    let copy = desk.path("elsewhere.custody");
    let out = desk.extract(
        &vault,
        &desk.engineer.private,
        &desk.path("restore"),
        &["--custody", copy.to_str().unwrap()],
    );
    let line = assert_refused(&out, 3);
    assert!(line.contains("chattr -i"), "{line}");
    assert_absent(&desk.path("restore"));
    assert_absent(&copy);
    assert_eq!(std::fs::read(&log).unwrap(), before);
}
