//! `kura ledger`: a real SQLite file in a temporary folder (KURA_LEDGER);
//! the clock is set with KURA_NOW.

use std::process::Command;

use crate::common::{json, ok, run, Desk};
use serde_json::Value;

const PACKED: &str = "2026-03-02T10:00:00+09:00";

pub(crate) fn ledger(d: &Desk) -> Command {
    let mut c = d.kura();
    c.env("KURA_LEDGER", d.path("db/ledger.sqlite"));
    c
}

fn list(d: &Desk, now: &str) -> Value {
    json(&ok(ledger(d).env("KURA_NOW", now).args(["ledger", "list", "--json"])))
}

fn only(v: &Value) -> &Value {
    let e = v["exports"].as_array().expect("exports");
    assert_eq!(e.len(), 1, "{v:#}");
    &e[0]
}

#[test]
fn registered_export_is_listed_with_its_approval_and_engineer() {
    let d = Desk::new();
    let vault = d.pack_small("a", "APP-001", "調査 <レセプト>", "2026-03-16", PACKED);
    let out = ok(ledger(&d).env("KURA_NOW", "2026-03-02T11:00:00+09:00").args([
        "ledger",
        "add",
        "a.kura.custody",
        "--signers",
        "allowed_signers",
        "--json",
    ]));
    let v = json(&out);
    assert_eq!(v["outcome"], "registered");
    assert_eq!(v["signers_checked"], true);

    let v = list(&d, "2026-03-03T09:00:00+09:00");
    assert_eq!(v["today"], "2026-03-03");
    assert_eq!(v["counts"]["outstanding"], 1);
    let e = only(&v);
    assert_eq!(e["approval_id"], "APP-001");
    assert_eq!(e["approved_by"], "院長 山田（ダミー）");
    assert_eq!(e["purpose"], "調査 <レセプト>");
    assert_eq!(e["delete_by"], "2026-03-16");
    assert_eq!(e["engineer"]["comment"], "engineer@kura.test");
    assert!(e["engineer"]["fingerprint"].as_str().unwrap().starts_with("SHA256:"));
    assert_eq!(e["status"], "outstanding");
    assert_eq!(e["file_count"], 2);
    assert_eq!(e["custody_records"], 1);
    assert_eq!(e["registered_at"], "2026-03-02T11:00:00+09:00");
    assert!(e["on_time"].is_null());
    let receipt = json(&ok(d.kura().args(["inspect", "--json"]).arg(&vault)));
    assert_eq!(e["vault_id"], receipt["vault_id"]);

    // People see the same in a table.
    let (code, out, _) = run(ledger(&d)
        .env("KURA_NOW", "2026-03-03T09:00:00+09:00")
        .args(["ledger", "list"]));
    assert_eq!(code, 0);
    assert!(out.contains("APP-001") && out.contains("engineer@kura.test"), "{out}");
    assert!(out.contains("outstanding") && out.contains("2026-03-16"), "{out}");
}

#[test]
fn overdue_after_the_delete_by_day_and_not_before() {
    let d = Desk::new();
    d.pack_small("a", "APP-002", "check", "2026-03-16", PACKED);
    ok(ledger(&d).args(["ledger", "add", "a.kura"]));
    // The delete-by day itself is still in time, late in the evening too.
    let v = list(&d, "2026-03-16T23:59:00+09:00");
    assert_eq!(only(&v)["status"], "outstanding");
    assert_eq!(only(&v)["days_overdue"], 0);
    let v = list(&d, "2026-03-19T08:00:00+09:00");
    assert_eq!(only(&v)["status"], "overdue");
    assert_eq!(only(&v)["days_overdue"], 3);
    assert_eq!(v["counts"]["overdue"], 1);

    let (_, out, _) = run(ledger(&d)
        .env("KURA_NOW", "2026-03-19T08:00:00+09:00")
        .args(["--lang", "ja", "ledger", "list"]));
    assert!(out.contains("期限超過（3 日）"), "{out}");
}

#[test]
fn registering_again_keeps_or_extends_the_copy_but_refuses_another_history() {
    let d = Desk::new();
    d.pack_small("a", "APP-003", "check", "2026-03-16", PACKED);
    let original = d.read("a.kura.custody");
    ok(ledger(&d).args(["ledger", "add", "a.kura"]));
    let v = json(&ok(ledger(&d).args(["ledger", "add", "a.kura", "--json"])));
    assert_eq!(v["outcome"], "unchanged");

    d.record("a", "handover", "clinic.key", "2026-03-02T12:00:00+09:00", &[]);
    let v = json(&ok(ledger(&d).args(["ledger", "add", "a.kura", "--json"])));
    assert_eq!(v["outcome"], "extended");
    assert_eq!(v["added_records"], 1);
    assert_eq!(v["export"]["custody_records"], 2);

    // The hand-over record removed again: not the history the clinic holds.
    d.write("a.kura.custody", &original);
    let (code, out, _) = run(ledger(&d).args(["ledger", "add", "a.kura", "--json"]));
    assert_eq!(code, 6, "{out}");
    assert_eq!(json_of(&out)["error"]["id"], "err-ledger-history-differs");
    assert_eq!(only(&list(&d, PACKED))["custody_records"], 2);
}

/// Writes `clinic_only`: an allowed_signers file that does not list the engineer.
fn clinic_only_signers(d: &Desk) {
    let clinic_only: String = d
        .read("allowed_signers")
        .lines()
        .filter(|l| l.starts_with("clinic@"))
        .collect();
    d.write("clinic_only", &clinic_only);
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

#[test]
fn a_tampered_or_untrusted_custody_log_is_not_registered() {
    let d = Desk::new();
    d.pack_small("a", "APP-004", "check", "2026-03-16", PACKED);
    let log = d.read("a.kura.custody");
    d.write("a.kura.custody", &log.replacen("APP-004", "APP-005", 1));
    let (code, _, err) = run(ledger(&d).args(["ledger", "add", "a.kura"]));
    assert_eq!(code, 6, "{err}");
    d.write("a.kura.custody", &log);

    // A signers file that does not list the engineer.
    clinic_only_signers(&d);
    let (code, _, err) = run(ledger(&d).args(["ledger", "add", "a.kura", "--signers", "clinic_only"]));
    assert_eq!(code, 7, "{err}");
    assert_eq!(list(&d, PACKED)["counts"]["total"], 0);
}

#[test]
fn parallel_processes_share_one_ledger() {
    let d = Desk::new();
    let n = 8;
    for i in 0..n {
        d.pack_small(&format!("v{i}"), &format!("APP-{i:03}"), "check", "2026-03-16", PACKED);
    }
    // A fresh ledger: the first processes race to create and migrate it.
    let children: Vec<_> = (0..n)
        .flat_map(|i| {
            let add = ledger(&d)
                .args(["ledger", "add", &format!("v{i}.kura")])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            let read = ledger(&d)
                .args(["ledger", "list", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            [add, read]
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v = list(&d, PACKED);
    let mut ids: Vec<&str> = v["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["approval_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let want: Vec<String> = (0..n).map(|i| format!("APP-{i:03}")).collect();
    assert_eq!(ids, want);

    // Versioned schema, write-ahead log.
    let db = rusqlite::Connection::open(d.path("db/ledger.sqlite")).unwrap();
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    // 2: the clinic's signed receipt of a certificate; 3: the clinic's signed
    // approvals and the ledger's settings.
    assert_eq!(version, 3);
    let mode: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_ledger_from_a_newer_kura_is_refused_untouched() {
    let d = Desk::new();
    std::fs::create_dir_all(d.path("db")).unwrap();
    let db = rusqlite::Connection::open(d.path("db/ledger.sqlite")).unwrap();
    db.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 42;")
        .unwrap();
    drop(db);
    let (code, out, _) = run(ledger(&d).args(["ledger", "list", "--json"]));
    assert_eq!(code, 3, "{out}");
    assert_eq!(json_of(&out)["error"]["id"], "err-ledger-newer");
    let db = rusqlite::Connection::open(d.path("db/ledger.sqlite")).unwrap();
    let version: i64 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 42);
}

#[test]
fn the_ledger_option_wins_over_the_environment() {
    let d = Desk::new();
    d.pack_small("a", "APP-006", "check", "2026-03-16", PACKED);
    ok(ledger(&d).args(["ledger", "add", "a.kura", "--ledger", "other.sqlite"]));
    assert_eq!(list(&d, PACKED)["counts"]["total"], 0);
    let v = json(&ok(ledger(&d).args([
        "ledger",
        "list",
        "--json",
        "--ledger",
        "other.sqlite",
    ])));
    assert_eq!(v["counts"]["total"], 1);
}

#[cfg(unix)]
#[test]
fn the_default_ledger_is_private_in_the_users_data_folder() {
    use std::os::unix::fs::PermissionsExt;
    let d = Desk::new();
    d.pack_small("a", "APP-007", "check", "2026-03-16", PACKED);
    ok(d.kura()
        .env("HOME", d.path("home"))
        .env("XDG_DATA_HOME", d.path("data"))
        .args(["ledger", "add", "a.kura"]));
    let db = d.path("data/kura/ledger.sqlite");
    let mode = std::fs::metadata(&db).expect("ledger created").permissions().mode();
    assert_eq!(mode & 0o077, 0, "ledger readable by others: {mode:o}");
    let dir = std::fs::metadata(d.path("data/kura")).unwrap().permissions().mode();
    assert_eq!(dir & 0o077, 0, "folder open to others: {dir:o}");
}

/// Packs, hands over and registers the clinic's copy of `NAME`'s log.
pub(crate) fn registered(d: &Desk, name: &str, delete_by: &str) {
    d.pack_small(name, &format!("APP-{name}"), "check", delete_by, PACKED);
    d.handover(name, "2026-03-02T11:00:00+09:00");
    ok(ledger(d).args([
        "ledger",
        "add",
        &format!("{name}.clinic.custody"),
        "--signers",
        "allowed_signers",
    ]));
}

fn close(d: &Desk, cert: &std::path::Path) -> (i32, Value) {
    let (code, out, _) = run(ledger(d)
        .args(["ledger", "close", "--signers", "allowed_signers", "--json"])
        .arg(cert));
    (code, json_of(&out))
}

#[test]
fn a_verified_certificate_closes_the_export_on_time_or_late() {
    let d = Desk::new();
    registered(&d, "a", "2026-03-16");
    registered(&d, "b", "2026-03-16");
    let on_time = d.certify("a", false, "2026-03-10T15:00:00+09:00");
    let late = d.certify("b", true, "2026-03-20T15:00:00+09:00");

    let (code, v) = close(&d, &on_time);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["outcome"], "closed");
    assert_eq!(v["export"]["status"], "closed-deleted");
    assert_eq!(v["export"]["on_time"], true);
    assert_eq!(v["signer"]["principal"], "engineer@kura.test");

    let (code, v) = close(&d, &late);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["export"]["status"], "closed-returned");
    assert_eq!(v["export"]["on_time"], false);

    // Closing again with the same certificate changes nothing.
    let (code, v) = close(&d, &on_time);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["outcome"], "unchanged");

    let v = list(&d, "2026-04-01T09:00:00+09:00");
    assert_eq!(v["counts"]["closed"], 2);
    assert_eq!(v["counts"]["overdue"], 0);
    let (_, out, _) = run(ledger(&d)
        .env("KURA_NOW", "2026-04-01T09:00:00+09:00")
        .args(["--lang", "ja", "ledger", "list"]));
    assert!(out.contains("APP-a") && out.contains("APP-b"), "{out}");
}

#[test]
fn a_bad_certificate_leaves_the_export_open() {
    let d = Desk::new();
    registered(&d, "a", "2026-03-16");
    let cert = d.certify("a", false, "2026-03-10T15:00:00+09:00");
    let original = std::fs::read_to_string(&cert).unwrap();

    // One character changed: the signature no longer matches.
    std::fs::write(&cert, original.replacen("APP-a", "APP-A", 1)).unwrap();
    let (code, v) = close(&d, &cert);
    assert_eq!(code, 6, "{v:#}");
    assert_eq!(v["ok"], false);
    std::fs::write(&cert, &original).unwrap();

    // Signed by a key the clinic does not list.
    clinic_only_signers(&d);
    let (code, out, _) = run(ledger(&d)
        .args(["ledger", "close", "--signers", "clinic_only", "--json"])
        .arg(&cert));
    assert_eq!(code, 7, "{out}");

    assert_eq!(only(&list(&d, "2026-03-11T09:00:00+09:00"))["status"], "outstanding");

    // A certificate of a vault the ledger never registered.
    d.pack_small("other", "APP-other", "check", "2026-03-16", PACKED);
    let other = d.certify("other", false, "2026-03-10T15:00:00+09:00");
    let (code, v) = close(&d, &other);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(v["error"]["id"], "err-ledger-unknown");
}

#[test]
fn a_return_countersigned_before_closing_still_closes() {
    let d = Desk::new();
    registered(&d, "a", "2026-03-16");
    let cert = d.certify("a", true, "2026-03-10T15:00:00+09:00");
    // The clinic takes the stick back, countersigns, and registers the
    // longer log before it gets round to the certificate.
    d.record("a", "received", "clinic.key", "2026-03-11T09:00:00+09:00", &[]);
    let v = json(&ok(ledger(&d).args(["ledger", "add", "a.kura", "--json"])));
    assert_eq!(v["outcome"], "extended");
    let (code, v) = close(&d, &cert);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["export"]["status"], "closed-returned");
    // Records added after closing still reach the ledger's copy.
    d.record(
        "a",
        "note",
        "clinic.key",
        "2026-03-12T09:00:00+09:00",
        &["--note", "stick locked away"],
    );
    let v = json(&ok(ledger(&d).args(["ledger", "add", "a.kura", "--json"])));
    assert_eq!(v["outcome"], "extended");
    assert_eq!(v["export"]["status"], "closed-returned");
    let (code, v) = close(&d, &cert);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["outcome"], "unchanged");
    // The clinic's certificate check accepts the longer log too.
    ok(&d.verify_certificate(&cert, "a.kura.custody", "allowed_signers", &[]));
}
