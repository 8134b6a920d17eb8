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
