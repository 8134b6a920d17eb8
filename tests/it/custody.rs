//! The custody log through the built binary: events kura refuses, every
//! kind of tampering named at the first bad record, concurrent appends, and
//! a crash that leaves half a line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Child;

use crate::common::*;

/// A packed vault whose log holds: 0 packed, 1 handover (clinic),
/// 2 received (engineer), 3 note, 4 note.
fn log_with_five_records(fx: &Desk) -> PathBuf {
    let vault = fx.packed("stick/export.kura");
    for (event, key, note) in [
        ("handover", &fx.clinic.private, "USB stick #3"),
        ("received", &fx.engineer.private, "at the clinic's desk"),
        ("note", &fx.engineer.private, "kept in the office safe"),
        ("note", &fx.engineer.private, "analysis started"),
    ] {
        ok(&add(fx, &vault, event, key, note));
    }
    vault
}

fn add(fx: &Desk, vault: &Path, event: &str, key: &Path, note: &str) -> std::process::Output {
    fx.custody_add(vault, event, key, &["--note", note])
        .output()
        .expect("kura runs")
}

fn custody_verify(fx: &Desk, vault: &Path, extra: &[&str]) -> std::process::Output {
    let mut c = fx.kura();
    c.args(["custody", "verify"]).arg(vault).args(extra);
    c.output().expect("kura runs")
}

/// The log's lines (without newlines).
fn lines(vault: &Path) -> Vec<String> {
    fs::read_to_string(custody_of(vault))
        .expect("custody log")
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(vault: &Path, lines: &[String]) {
    fs::write(custody_of(vault), lines.join("\n") + "\n").expect("write log");
}

/// Asserts that `custody verify` refuses with exit 6 naming record `n`.
fn assert_broken_at(fx: &Desk, vault: &Path, n: usize) -> String {
    let line = assert_refused(&custody_verify(fx, vault, &[]), 6);
    assert!(
        line.contains(&format!("record #{n}:")),
        "should name record #{n}: {line}"
    );
    line
}

#[test]
fn custody_add_refuses_unknown_events_and_a_second_packed_record() {
    let fx = Desk::with_export();
    let vault = fx.packed("export.kura");
    let before = fs::read(custody_of(&vault)).unwrap();
    for event in ["destroyed", "HANDOVER", "", "packed"] {
        let line = assert_refused(&add(&fx, &vault, event, &fx.engineer.private, "x"), 2);
        assert!(line.contains(&format!("unknown event \"{event}\"")), "{line}");
        assert!(
            line.contains("handover") && line.contains("lost"),
            "lists the events: {line}"
        );
    }
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), before, "nothing was appended");
}

#[test]
fn custody_add_help_warns_that_notes_must_not_name_patients() {
    let out = kura().args(["custody", "add", "--help"]).output().unwrap();
    let help = stdout_of(&ok(&out));
    assert!(help.contains("Never write a patient's name"), "{help}");
    let out = kura()
        .args(["custody", "add", "--help", "--lang", "ja"])
        .output()
        .unwrap();
    let help = stdout_of(&ok(&out));
    assert!(help.contains("患者を特定できる情報"), "{help}");
}

#[test]
fn custody_show_lists_who_did_what_when_and_where() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let out = fx.run(osargs!["custody", "show", vault]);
    let table = stdout_of(&ok(&out));
    // The fixture dates records by hand (KURA_NOW): the lines under the
    // table, marked `!`, say so.
    let rows: Vec<&str> = table.lines().filter(|l| !l.starts_with('!')).collect();
    assert_eq!(rows.len(), 6, "a header and five records:\n{table}");
    assert!(rows[2].contains("handover") && rows[2].contains("clinic@kura.test") && rows[2].contains("USB stick #3"));
    assert!(rows[2].contains("2026-04-01"), "{}", rows[2]);
    let v = serde_json::from_slice::<serde_json::Value>(&fx.run(osargs!["custody", "show", vault, "--json"]).stdout)
        .unwrap();
    assert_eq!(v["records"].as_array().unwrap().len(), 5);
    assert_eq!(v["records"][1]["time"], NOW);
}

#[test]
fn an_intact_log_verifies_and_signers_are_checked() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let out = stdout_of(&ok(&custody_verify(
        &fx,
        &vault,
        &["--signers", fx.signers.to_str().unwrap()],
    )));
    assert!(out.contains("intact (5 records"), "{out}");
    // A signers file without the clinic: the hand-over record is named.
    let only_engineer = fx.path("engineer_only");
    fs::write(&only_engineer, format!("e {}\n", bare_key(&fx.engineer.line))).unwrap();
    let line = assert_refused(
        &custody_verify(&fx, &vault, &["--signers", only_engineer.to_str().unwrap()]),
        7,
    );
    assert!(line.contains("custody record #1"), "{line}");
}

#[test]
fn an_edited_record_is_named() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let mut l = lines(&vault);
    l[2] = l[2].replace("at the clinic's desk", "at the clinic's door");
    write_lines(&vault, &l);
    let line = assert_broken_at(&fx, &vault, 2);
    assert!(line.contains("signature does not match"), "{line}");
    // show and further appends refuse a broken log too.
    assert_refused(&fx.run(osargs!["custody", "show", vault]), 6);
    assert_refused(&add(&fx, &vault, "note", &fx.engineer.private, "x"), 6);
}

#[test]
fn an_edited_last_record_without_its_newline_is_not_mistaken_for_a_torn_write() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let l = lines(&vault);
    let text = l.join("\n").replace("analysis started", "analysis stopped");
    fs::write(custody_of(&vault), text).unwrap();
    assert_broken_at(&fx, &vault, 4);
}

#[test]
fn a_removed_record_is_named() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let mut l = lines(&vault);
    l.remove(2);
    write_lines(&vault, &l);
    let line = assert_broken_at(&fx, &vault, 2);
    assert!(line.contains("out of sequence"), "{line}");
}

#[test]
fn reordered_records_are_named() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let mut l = lines(&vault);
    l.swap(2, 3);
    write_lines(&vault, &l);
    assert_broken_at(&fx, &vault, 2);
}

#[test]
fn an_inserted_record_is_named() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let original = lines(&vault);

    // A copy of an existing record put in again: named where it stands.
    let mut l = original.clone();
    l.insert(3, original[1].clone());
    write_lines(&vault, &l);
    assert_broken_at(&fx, &vault, 3);

    // A properly signed record made on a copy of the log's first three
    // records, slipped in as record #3: it is named, not the one after it.
    let fork = fx.path("fork.kura");
    write_lines(&fork, &original[..3]);
    ok(&add(&fx, &fork, "note", &fx.engineer.private, "forged"));
    let forged = lines(&fork)[3].clone();
    let mut l = original.clone();
    l.insert(3, forged);
    write_lines(&vault, &l);
    let line = assert_broken_at(&fx, &vault, 3);
    assert!(line.contains("inserted"), "{line}");

    // A line of junk.
    let mut l = original.clone();
    l.insert(1, "{\"v\":1}".into());
    write_lines(&vault, &l);
    assert_broken_at(&fx, &vault, 1);
}

#[test]
fn a_record_of_another_vault_is_named() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let other = fx.packed("other.kura");
    ok(&add(&fx, &other, "handover", &fx.clinic.private, "x"));
    let mut l = lines(&vault);
    l.push(lines(&other)[1].clone());
    write_lines(&vault, &l);
    assert_broken_at(&fx, &vault, 5);
}

#[test]
fn japanese_users_read_which_record_is_broken_in_japanese() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    let mut l = lines(&vault);
    l.remove(1);
    write_lines(&vault, &l);
    let out = fx
        .kura()
        .env("LC_ALL", "ja_JP.UTF-8")
        .args(["custody", "verify"])
        .arg(&vault)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    let err = stderr_of(&out);
    assert!(
        err.starts_with("kura: エラー: ") && err.contains("#1") && err.contains("順序"),
        "{err}"
    );
}

#[test]
fn eight_simultaneous_appends_give_eight_valid_records() {
    let fx = Desk::with_export();
    let vault = fx.packed("export.kura");
    let children: Vec<Child> = (0..8)
        .map(|i| {
            fx.custody_add(
                &vault,
                "note",
                &fx.engineer.private,
                &["--note", &format!("writer {i}")],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn kura")
        })
        .collect();
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    let out = stdout_of(&ok(&custody_verify(
        &fx,
        &vault,
        &["--signers", fx.signers.to_str().unwrap()],
    )));
    assert!(out.contains("intact (9 records"), "{out}");
    let records = custody_records(&vault);
    let mut notes: Vec<String> = records[1..]
        .iter()
        .map(|r| r["note"].as_str().unwrap().to_string())
        .collect();
    notes.sort();
    assert_eq!(notes, (0..8).map(|i| format!("writer {i}")).collect::<Vec<_>>());
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], i as u64);
    }
}

#[test]
fn half_a_line_left_by_a_crash_is_ignored_then_cut_off_by_the_next_append() {
    let fx = Desk::with_export();
    let vault = log_with_five_records(&fx);
    // What a crash in the middle of an append leaves: half a record, no newline.
    let fork = fx.path("fork.kura");
    write_lines(&fork, &lines(&vault));
    ok(&add(&fx, &fork, "note", &fx.engineer.private, "interrupted"));
    let whole = lines(&fork)[5].clone();
    let intact = fs::read(custody_of(&vault)).unwrap();
    let mut torn = intact.clone();
    torn.extend_from_slice(&whole.as_bytes()[..whole.len() / 2]);
    fs::write(custody_of(&vault), &torn).unwrap();

    let out = stdout_of(&ok(&custody_verify(&fx, &vault, &[])));
    assert!(out.contains("intact (5 records"), "{out}");
    assert!(out.contains("incomplete"), "says so: {out}");

    ok(&add(&fx, &vault, "note", &fx.engineer.private, "after the crash"));
    let after = fs::read(custody_of(&vault)).unwrap();
    assert!(after.starts_with(&intact) && after.ends_with(b"\n"));
    let out = stdout_of(&ok(&custody_verify(&fx, &vault, &[])));
    assert!(
        out.contains("intact (6 records") && !out.contains("incomplete"),
        "{out}"
    );
    assert_eq!(custody_records(&vault)[5]["note"], "after the crash");
}

#[test]
fn a_record_dated_by_kura_now_says_so() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    // The fixture packs with KURA_NOW set: the packed record says so.
    let first = custody_records(&vault)[0].clone();
    assert_eq!(first["details"]["clock"], "KURA_NOW", "{first}");
    // A record made on the computer's own clock carries no such mark.
    let mut c = kura();
    c.args(["custody", "add"])
        .arg(&vault)
        .args(["--event", "note", "--note", "checked", "-i"])
        .arg(&fx.clinic.private);
    ok(&mut c);
    let last = custody_records(&vault).pop().unwrap();
    assert_eq!(last["event"], "note");
    assert!(last["details"].get("clock").is_none(), "{last}");
}
