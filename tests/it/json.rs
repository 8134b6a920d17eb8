//! `--json`: every command that reports something prints one JSON document
//! on stdout with `schema` and `ok`; failures, including command-line
//! mistakes, are JSON too, with the documented exit code (docs/JSON.md,
//! docs/EXIT-CODES.md). Nothing waits for input without a terminal.

use std::ffi::OsString;
use std::process::Command;

use crate::common::*;
use serde_json::Value;

/// `kura pack -o x.kura … data`, signed with `key`, due by `delete_by`
/// (the desk runs on the computer's clock).
fn pack_data(desk: &Desk, key: &str, delete_by: &str) -> Vec<OsString> {
    let mut a = with(with(desk.pack_args("x.kura"), "-i", key), "--delete-by", delete_by);
    a.push("data".into());
    a
}

/// Runs with `--json`; returns (exit code, the parsed stdout, stderr).
fn json_run(c: &mut Command) -> (i32, Value, String) {
    let out = c.arg("--json").output().expect("kura runs");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A successful `--json` run: the envelope says ok, schema 1.
fn json_ok(c: &mut Command) -> Value {
    let (code, v, err) = json_run(c);
    assert_eq!(code, 0, "failed: {v}\n{err}");
    assert_eq!(v["schema"], 1, "{v}");
    assert_eq!(v["ok"], true, "{v}");
    assert!(v.get("error").is_none(), "{v}");
    v
}

/// A failed `--json` run: the envelope carries the error, stderr is empty.
fn json_err(c: &mut Command, exit: i32, kind: &str) -> Value {
    let (code, v, err) = json_run(c);
    assert_eq!(code, exit, "{v}\n{err}");
    assert_eq!(v["schema"], 1, "{v}");
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["error"]["kind"], kind, "{v}");
    assert_eq!(v["error"]["exit_code"], exit, "{v}");
    assert!(v["error"]["id"].as_str().is_some_and(|s| s.starts_with("err-")), "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    assert!(v["error"]["args"].is_object(), "{v}");
    assert!(err.is_empty(), "nothing on stderr under --json: {err}");
    v["error"].clone()
}

#[test]
fn the_vault_commands_report_in_json() {
    let desk = Desk::new();
    let v = json_ok(desk.kura().args([
        "keygen",
        "-o",
        "third.key",
        "--comment",
        "third@example",
        "--no-passphrase",
    ]));
    assert_eq!(v["comment"], "third@example");
    assert!(v["fingerprint"].as_str().unwrap().starts_with("SHA256:"));

    desk.write("data/a.txt", "dummy\n");
    desk.write("data/sub/b.txt", "dummy too\n");
    let v = json_ok(desk.kura().args(pack_data(&desk, "engineer.key", "2099-12-31")));
    let id = v["vault_id"].as_str().unwrap().to_string();
    assert_eq!(v["file_count"], 2);
    assert_eq!(v["total_size"], 16);
    assert_eq!(v["approval"]["id"], "APP-2026-041");
    assert_eq!(v["recipients"].as_array().unwrap().len(), 2);

    let v = json_ok(desk.kura().args(["inspect", "x.kura"]));
    assert_eq!(v["vault_id"], id.as_str());
    assert_eq!(v["overdue"], false);
    assert_eq!(v["vault_present"], true);
    assert_eq!(v["last_event"], "packed");

    let v = json_ok(
        desk.kura()
            .args(["verify", "x.kura", "-i", "engineer.key", "--signers", "allowed_signers"]),
    );
    assert_eq!(v["vault_id"], id.as_str());
    assert_eq!(v["signer_trusted"], true);
    assert_eq!(v["signer_principal"], "engineer@kura.test");
    assert_eq!(v["destination"], Value::Null);

    let v = json_ok(
        desk.kura()
            .args(["extract", "x.kura", "-i", "engineer.key", "-C", "out"]),
    );
    assert_eq!(v["file_count"], 2);
    assert_eq!(v["signer_trusted"], false);
    assert!(v["destination"].as_str().unwrap().ends_with("out"));

    let v = json_ok(
        desk.kura()
            .args(["custody", "add", "x.kura", "--event", "handover", "-i", "clinic.key"]),
    );
    assert_eq!(v["record"]["event"], "handover");
    assert_eq!(v["record"]["actor"]["comment"], "clinic@kura.test");

    let v = json_ok(desk.kura().args(["custody", "show", "x.kura"]));
    let events: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(events.first(), Some(&"packed"));
    assert_eq!(events.last(), Some(&"handover"));

    let v = json_ok(
        desk.kura()
            .args(["custody", "verify", "x.kura", "--signers", "allowed_signers"]),
    );
    assert_eq!(v["records"], events.len());
    assert_eq!(v["signers_checked"], true);
}

#[test]
fn completions_and_man_report_in_json() {
    let v = json_ok(kura().args(["completions", "bash"]));
    assert_eq!(v["shell"], "bash");
    assert!(v["script"].as_str().unwrap().contains("kura"));
    let v = json_ok(kura().args(["man"]));
    assert_eq!(v["page"], "kura.1");
    assert!(v["roff"].as_str().unwrap().starts_with(".ie"));
    let dir = tempfile::tempdir().unwrap();
    let v = json_ok(kura().current_dir(dir.path()).args(["man", "-o", "pages"]));
    assert!(v["files"].as_array().unwrap().len() > 5);
}

#[test]
fn json_goes_to_stdout_alone_with_quiet_too() {
    let v = json_ok(kura().args(["--quiet", "completions", "fish"]));
    assert_eq!(v["shell"], "fish");
}

#[test]
fn failures_are_json_with_their_exit_code() {
    let desk = Desk::new();
    // Missing files: exit 10, with the path among the arguments.
    let e = json_err(desk.kura().args(["inspect", "nowhere.kura"]), 10, "io");
    assert_eq!(e["id"], "err-custody-missing");
    assert!(e["args"]["path"].as_str().unwrap().ends_with("nowhere.kura.custody"));
    // A refused approval: exit 3.
    desk.write("data/a.txt", "dummy\n");
    let e = json_err(
        desk.kura().args(pack_data(&desk, "engineer.key", "2000-01-01")),
        3,
        "refused",
    );
    assert_eq!(e["id"], "err-delete-by-past");
    // The message follows --lang; the id and arguments do not.
    let e = json_err(desk.kura().args(["--lang", "ja", "inspect", "nowhere.kura"]), 10, "io");
    assert_eq!(e["id"], "err-custody-missing");
    assert!(e["message"].as_str().unwrap().contains("管理記録"));
}

#[test]
fn command_line_mistakes_are_json_usage_errors() {
    let e = json_err(kura().args(["pack", "--nonsense"]), 2, "usage");
    assert_eq!(e["id"], "err-usage-unknown-arg");
    assert_eq!(e["args"]["arg"], "--nonsense");

    let e = json_err(kura().args(["inspect"]), 2, "usage");
    assert_eq!(e["id"], "err-usage-missing");
    assert_eq!(e["args"]["arg"], "<VAULT>");

    let e = json_err(kura().args(["--lang", "fr", "inspect", "x.kura"]), 2, "usage");
    assert_eq!(e["id"], "err-usage-invalid-value");
    assert_eq!(e["args"]["value"], "fr");
    assert_eq!(e["args"]["valid"], "ja, en");

    let e = json_err(kura().args(["frobnicate"]), 2, "usage");
    assert_eq!(e["id"], "err-usage-unknown-command");
    assert_eq!(e["args"]["command"], "frobnicate");

    // A group without its command: an error, not help on stdout.
    let e = json_err(kura().args(["custody"]), 2, "usage");
    assert_eq!(e["id"], "err-usage-missing-command");
    let e = json_err(&mut kura(), 2, "usage");
    assert_eq!(e["id"], "err-usage-missing-command");
}

#[test]
fn nothing_waits_for_a_passphrase_without_a_terminal() {
    let desk = Desk::new();
    desk.write("pass", "correct horse\n");
    // A new key with a passphrase, from a file.
    json_ok(desk.kura().args([
        "keygen",
        "-o",
        "locked.key",
        "--comment",
        "l@example",
        "--passphrase-file",
        "pass",
    ]));
    // Without the file and without a terminal (stdin is /dev/null): a key
    // error at once, never a prompt.
    let e = json_err(
        desk.kura()
            .args(["keygen", "-o", "other.key", "--comment", "o@example"]),
        4,
        "key",
    );
    assert_eq!(e["id"], "err-passphrase-unavailable");
    desk.write("data/a.txt", "dummy\n");
    let e = json_err(desk.kura().args(pack_data(&desk, "locked.key", "2099-01-01")), 4, "key");
    assert_eq!(e["id"], "err-passphrase-unavailable");
    assert!(!desk.path("x.kura").exists());
}
