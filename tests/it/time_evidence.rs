//! Time is evidence or it is flagged: a record dated by hand (`KURA_NOW`,
//! which only a test build reads) or dated before an earlier record is
//! marked by `custody show` and `custody verify`, by `certificate verify`
//! and by the ledger, and a deadline is then never said to be met. A vault
//! recorded as lost reads as lost, and the incident draft claims only what
//! the log it was given shows.
//!
//! Commands run without `KURA_NOW` use the computer's clock; the approvals'
//! delete-by day is 2099-01-01, so those are on time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

const DELETE_BY: &str = "2099-01-01";
/// A hand-set time after the computer's clock (not going backwards) and
/// before the deadline.
const HAND_SET: &str = "2098-06-01T09:00:00+09:00";

/// A folder with an engineer's and a clinic's key and an allowed_signers
/// file naming both; the ledger lives in it.
struct Desk {
    tmp: tempfile::TempDir,
}

impl Desk {
    fn new() -> Desk {
        let d = Desk {
            tmp: tempfile::tempdir().expect("temp dir"),
        };
        for who in ["engineer", "clinic"] {
            d.ok(d.kura().args([
                "keygen",
                "-o",
                &format!("{who}.key"),
                "--no-passphrase",
                "--comment",
                &format!("{who}@kura.test"),
            ]));
        }
        let line = |who: &str| {
            let public = d.read(&format!("{who}.key.pub"));
            let mut parts = public.split_whitespace();
            format!("{who}@kura.test {} {}\n", parts.next().unwrap(), parts.next().unwrap())
        };
        fs::write(d.path("allowed_signers"), line("engineer") + &line("clinic")).unwrap();
        d
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// kura on the computer's clock, in English, with the ledger here.
    fn kura(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kura"));
        c.current_dir(self.tmp.path())
            .env_remove("KURA_NOW")
            .env("KURA_LEDGER", self.path("ledger.sqlite"))
            .env("KURA_PASSPHRASE_FILE", "")
            .env("LC_ALL", "C")
            .env("TZ", "UTC")
            .stdin(Stdio::null());
        c
    }

    /// kura with its clock set by hand (test builds only).
    fn at(&self, now: &str) -> Command {
        let mut c = self.kura();
        c.env("KURA_NOW", now);
        c
    }

    /// Runs; returns stdout, panicking with stderr on failure.
    fn ok(&self, c: &mut Command) -> String {
        let out = c.output().expect("kura runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kura failed ({:?}):\n{stdout}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    fn json(&self, c: &mut Command) -> Value {
        let out = self.ok(c.arg("--json"));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// Packs NAME-data into NAME.kura (the clock is `c`'s).
    fn pack_with(&self, mut c: Command, name: &str) {
        let data = self.path(&format!("{name}-data"));
        fs::create_dir_all(&data).unwrap();
        fs::write(data.join("dump_dummy.sql"), "-- dummy data, no patients\n").unwrap();
        let recipient = self.read("engineer.key.pub");
        self.ok(c.args([
            "pack",
            "-o",
            &format!("{name}.kura"),
            "-r",
            recipient.trim(),
            "-i",
            "engineer.key",
            "--approval-id",
            &format!("APP-{name}"),
            "--approved-by",
            "Director (dummy)",
            "--purpose",
            "check (dummy)",
            "--delete-by",
            DELETE_BY,
            &format!("{name}-data"),
        ]));
    }

    /// The clinic signs the hand-over, keeps a copy of the log as
    /// NAME.clinic.custody and registers the export in the ledger.
    fn handover_with(&self, mut c: Command, name: &str) {
        self.ok(c.args([
            "custody",
            "add",
            &format!("{name}.kura"),
            "--event",
            "handover",
            "-i",
            "clinic.key",
        ]));
        fs::copy(
            self.path(&format!("{name}.kura.custody")),
            self.path(&format!("{name}.clinic.custody")),
        )
        .unwrap();
        self.ok(self.kura().args(["ledger", "add", &format!("{name}.kura.custody")]));
    }

    /// Certifies the deletion of NAME.kura (the clock is `c`'s) into
    /// NAME.cert.json.
    fn certify_with(&self, mut c: Command, name: &str) -> PathBuf {
        let cert = format!("{name}.cert.json");
        self.ok(c.args([
            "certify",
            &format!("{name}.kura"),
            "--deleted",
            "-i",
            "engineer.key",
            "-o",
            &cert,
        ]));
        self.path(&cert)
    }

    /// `kura certificate verify` against the clinic's copy.
    fn check(&self, name: &str) -> Command {
        let mut c = self.kura();
        c.args([
            "certificate",
            "verify",
            &format!("{name}.cert.json"),
            "--custody",
            &format!("{name}.clinic.custody"),
            "--signers",
            "allowed_signers",
        ]);
        c
    }

    fn close(&self, cert: &Path) -> Command {
        let mut c = self.kura();
        c.args(["ledger", "close", "--signers", "allowed_signers"]).arg(cert);
        c
    }
}

/// The rows of `custody show` (header first) and the lines under them.
fn table(out: &str) -> (Vec<&str>, Vec<&str>) {
    out.lines().partition(|l| !l.starts_with('!'))
}

fn assert_never_on_time(text: &str) {
    for claim in ["on time", "within the deadline", "期限内", "内でした"] {
        assert!(!text.contains(claim), "says {claim:?}:\n{text}");
    }
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "dates records with KURA_NOW, which only a test build reads"
)]
fn a_hand_dated_record_is_marked_by_custody_show_and_verify() {
    let d = Desk::new();
    d.pack_with(d.kura(), "a");
    d.handover_with(d.kura(), "a");
    // On the computer's clock nothing is flagged.
    let v = d.json(d.kura().args(["custody", "verify", "a.kura"]));
    assert_eq!(
        (&v["time_reliable"], &v["time_flags"]),
        (&json!(true), &json!([])),
        "{v:#}"
    );
    assert!(!d.ok(d.kura().args(["custody", "show", "a.kura"])).contains('!'));

    d.ok(d
        .at(HAND_SET)
        .args(["custody", "add", "a.kura", "--event", "note", "-i", "engineer.key"]));
    let out = d.ok(d.kura().args(["custody", "show", "a.kura"]));
    let (rows, notes) = table(&out);
    assert_eq!(rows.len(), 4, "a header and three records:\n{out}");
    assert!(rows[1].starts_with("  0  ") && rows[2].starts_with("  1  "), "{out}");
    assert!(rows[3].starts_with("  2! 2098-06-01 00:00:00 +00:00"), "{out}");
    assert_eq!(notes.len(), 1, "{out}");
    assert!(
        notes[0].contains("by hand (KURA_NOW") && notes[0].contains("#2") && !notes[0].contains("#1"),
        "{out}"
    );
    let show = d.json(d.kura().args(["custody", "show", "a.kura"]));
    assert_eq!(
        show["time_flags"],
        json!([{"record": 2, "issue": "hand-set"}]),
        "{show:#}"
    );

    let out = d.ok(d.kura().args(["custody", "verify", "a.kura"]));
    assert!(out.lines().next().unwrap().starts_with("OK:"), "{out}");
    assert!(out.lines().any(|l| l.starts_with('!') && l.contains("#2")), "{out}");
    let v = d.json(d.kura().args(["custody", "verify", "a.kura"]));
    assert_eq!(v["time_reliable"], false, "{v:#}");
    assert_eq!(v["time_flags"], json!([{"record": 2, "issue": "hand-set"}]), "{v:#}");
    // In Japanese too.
    let ja = d.ok(d.kura().args(["--lang", "ja", "custody", "verify", "a.kura"]));
    assert!(ja.contains("手で設定された") && ja.contains("#2"), "{ja}");
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "dates records with KURA_NOW, which only a test build reads"
)]
fn a_record_dated_before_an_earlier_one_is_marked_by_custody_show_and_verify() {
    let d = Desk::new();
    // Packed "in 2098" by hand, handed over on the computer's clock: the
    // hand-over is dated before the record that comes before it.
    d.pack_with(d.at(HAND_SET), "a");
    d.handover_with(d.kura(), "a");
    let out = d.ok(d.kura().args(["custody", "show", "a.kura"]));
    let (rows, notes) = table(&out);
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows[1].starts_with("  0! ") && rows[2].starts_with("  1! "), "{out}");
    assert!(
        notes.iter().any(|l| l.contains("Record #1 is dated before record #0")),
        "{out}"
    );
    let v = d.json(d.kura().args(["custody", "verify", "a.kura"]));
    assert_eq!(
        v["time_flags"],
        json!([
            {"record": 0, "issue": "hand-set"},
            {"record": 1, "issue": "backwards", "dated_before": 0}
        ]),
        "{v:#}"
    );
    let out = d.ok(d.kura().args(["custody", "verify", "a.kura"]));
    assert!(out.contains("! Record #1 is dated before record #0"), "{out}");
    // A warning, not a refusal: the chain itself is intact.
    assert!(out.starts_with("OK:"), "{out}");
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "dates records with KURA_NOW, which only a test build reads"
)]
fn flagged_times_never_make_a_certificate_or_a_ledger_entry_on_time() {
    let d = Desk::new();
    // a: every record on the computer's clock. b: certified at a time set
    // by hand. c: packed at a time set by hand, so that the records after it
    // go backwards.
    d.pack_with(d.kura(), "a");
    d.handover_with(d.kura(), "a");
    let cert_a = d.certify_with(d.kura(), "a");
    d.pack_with(d.kura(), "b");
    d.handover_with(d.kura(), "b");
    let cert_b = d.certify_with(d.at(HAND_SET), "b");
    d.pack_with(d.at(HAND_SET), "c");
    d.handover_with(d.kura(), "c");
    let cert_c = d.certify_with(d.kura(), "c");

    // The control: times that are evidence, within the deadline.
    let out = d.ok(&mut d.check("a"));
    assert!(
        out.lines().next().unwrap().contains("within the deadline (2099-01-01)"),
        "{out}"
    );
    assert!(!out.contains("\n!"), "{out}");
    let v = d.json(&mut d.check("a"));
    assert_eq!(
        (&v["timing"], &v["time_reliable"]),
        (&json!("on-time"), &json!(true)),
        "{v:#}"
    );

    for (name, flag) in [
        ("b", "! Not dated by the computer's clock but by hand (KURA_NOW"),
        ("c", "! Record #1 is dated before record #0"),
    ] {
        let out = d.ok(&mut d.check(name));
        let first = out.lines().next().unwrap();
        assert!(
            first.starts_with("This certificate is valid.") && first.contains("times are not reliable"),
            "{out}"
        );
        assert!(out.contains(flag), "{out}");
        assert!(out.contains("deadline met: time not reliable"), "{out}");
        assert_never_on_time(&out);
        let ja = d.ok(d.check(name).args(["--lang", "ja"]));
        assert!(ja.contains("日時が信頼できない"), "{ja}");
        assert_never_on_time(&ja);
        let v = d.json(&mut d.check(name));
        assert_eq!(v["valid"], true);
        assert_eq!(v["timing"], "time-not-reliable", "{v:#}");
        assert_eq!(v["time_reliable"], false, "{v:#}");
        assert!(!v["time_flags"].as_array().unwrap().is_empty(), "{v:#}");
        assert_never_on_time(v["verdict"].as_str().unwrap());
    }
    let v = d.json(&mut d.check("b"));
    // The certifying record (#2) was dated by hand.
    assert_eq!(v["time_flags"], json!([{"record": 2, "issue": "hand-set"}]), "{v:#}");
    let v = d.json(&mut d.check("c"));
    assert!(
        v["time_flags"]
            .as_array()
            .unwrap()
            .contains(&json!({"record": 2, "issue": "backwards", "dated_before": 0})),
        "{v:#}"
    );

    // The ledger says the same.
    let out = d.ok(&mut d.close(&cert_a));
    assert!(out.contains("closed: deleted, on time"), "{out}");
    for cert in [&cert_b, &cert_c] {
        let out = d.ok(&mut d.close(cert));
        assert!(out.contains("closed: deleted, time not reliable"), "{out}");
        assert!(out.lines().any(|l| l.starts_with('!')), "{out}");
        assert_never_on_time(&out);
    }
    let list = d.ok(d.kura().args(["ledger", "list"]));
    let row = |app: &str| {
        list.lines()
            .find(|l| l.contains(app))
            .unwrap_or_else(|| panic!("{list}"))
    };
    assert!(row("APP-a").starts_with("closed: deleted, on time "), "{list}");
    for app in ["APP-b", "APP-c"] {
        assert!(row(app).starts_with("closed: deleted, time not reliable "), "{list}");
    }
    let ja = d.ok(d.kura().args(["--lang", "ja", "ledger", "list"]));
    assert_eq!(ja.matches("完了: 消去（日時が信頼できない）").count(), 2, "{ja}");
    let v = d.json(d.kura().args(["ledger", "list"]));
    let timing: Vec<(&str, &str)> = v["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["approval_id"].as_str().unwrap(), e["timing"].as_str().unwrap()))
        .collect();
    for expected in [
        ("APP-a", "on-time"),
        ("APP-b", "time-not-reliable"),
        ("APP-c", "time-not-reliable"),
    ] {
        assert!(timing.contains(&expected), "{v:#}");
    }
}

#[test]
fn a_vault_lost_then_certified_reads_as_lost() {
    let d = Desk::new();
    d.pack_with(d.kura(), "a");
    d.handover_with(d.kura(), "a");
    d.ok(d.kura().args(["extract", "a.kura", "-i", "engineer.key", "-C", "work"]));
    // The engineer keeps a copy of the log; the stick is lost with the
    // vault and its log; the loss is recorded in the copy, then the
    // plaintext copy is destroyed and certified.
    fs::copy(d.path("a.kura.custody"), d.path("mine.custody")).unwrap();
    fs::remove_file(d.path("a.kura")).unwrap();
    fs::remove_file(d.path("a.kura.custody")).unwrap();
    d.ok(d.kura().args(["incident", "mine.custody", "-i", "engineer.key"]));
    d.ok(d.kura().args([
        "certify",
        "a.kura",
        "--custody",
        "mine.custody",
        "--deleted",
        "work",
        "-i",
        "engineer.key",
        "-o",
        "a.cert.json",
    ]));

    let out = d.ok(&mut d.check("a"));
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("This certificate is valid, but the vault was not deleted") && first.contains("LOST"),
        "{out}"
    );
    assert!(!first.contains("was deleted on"), "{out}");
    assert!(out.contains("action: vault lost"), "{out}");
    assert_never_on_time(&out);
    let ja = d.ok(d.check("a").args(["--lang", "ja"]));
    assert!(ja.contains("紛失と記録されています"), "{ja}");
    assert_never_on_time(&ja);
    let v = d.json(&mut d.check("a"));
    assert_eq!(
        (&v["vault_lost"], &v["timing"]),
        (&json!(true), &json!("vault-lost")),
        "{v:#}"
    );

    // The printable certificate.
    d.ok(d.kura().args([
        "certificate",
        "render",
        "a.cert.json",
        "-o",
        "a.html",
        "--custody",
        "a.clinic.custody",
        "--signers",
        "allowed_signers",
    ]));
    let page = d.read("a.html");
    assert!(page.contains("The vault was LOST"), "action row");
    assert!(page.contains("保管庫は紛失しました"), "action row in Japanese");
    assert!(!page.contains("The data was deleted"), "{page}");
    assert!(page.contains("No: the vault was lost, not deleted"), "on-time row");

    // The ledger.
    let out = d.ok(&mut d.close(&d.path("a.cert.json")));
    assert!(out.contains("closed: vault LOST, copies deleted"), "{out}");
    assert!(!out.contains("closed: deleted"), "{out}");
    let list = d.ok(d.kura().args(["ledger", "list"]));
    assert!(list.contains("closed: vault LOST, copies deleted"), "{list}");
    assert_never_on_time(&list);
    let v = d.json(d.kura().args(["ledger", "list"]));
    let e = &v["exports"][0];
    assert_eq!(
        (&e["status"], &e["timing"]),
        (&json!("closed-lost"), &json!("vault-lost")),
        "{v:#}"
    );
    assert_eq!(v["counts"]["closed"], 1);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "dates records with KURA_NOW, which only a test build reads"
)]
fn the_incident_draft_claims_only_what_its_copy_of_the_log_shows() {
    let d = Desk::new();
    d.pack_with(d.kura(), "a");
    d.handover_with(d.kura(), "a");
    let out = d.ok(d.kura().args(["incident", "a.clinic.custody"]));
    assert!(out.contains("This copy of the log records no extraction."), "{out}");
    assert!(!out.contains("no plaintext copy was made"), "{out}");
    let ja = d.ok(d.kura().args(["--lang", "ja", "incident", "a.clinic.custody"]));
    assert!(
        ja.contains("この管理記録の写しには、取り出しの記録がありません。"),
        "{ja}"
    );
    assert!(!ja.contains("平文のコピーは作られていません"), "{ja}");
    // On the computer's clock, nothing about times.
    assert!(!out.contains("\n  !"), "{out}");
    // A record dated by hand is pointed out in the draft.
    d.ok(d
        .at(HAND_SET)
        .args(["custody", "add", "a.kura", "--event", "note", "-i", "engineer.key"]));
    let out = d.ok(d.kura().args(["incident", "a.kura"]));
    assert!(
        out.contains("  ! Not dated by the computer's clock but by hand (KURA_NOW"),
        "{out}"
    );
    let v = d.json(d.kura().args(["incident", "a.kura"]));
    assert_eq!(
        v["facts"]["time_flags"],
        json!([{"record": 2, "issue": "hand-set"}]),
        "{v:#}"
    );
}

/// `KURA_NOW` is a seam of test builds: `cargo test` runs the debug build,
/// where it sets the clock (and the record says so); `cargo test --release`
/// runs this against the release build, which must ignore it.
#[test]
fn kura_now_sets_the_clock_of_a_test_build_only() {
    let d = Desk::new();
    const LONG_AGO: &str = "2001-02-03T04:05:06+09:00";
    let mut c = d.kura();
    c.env("KURA_NOW", LONG_AGO);
    d.pack_with(c, "a");
    let show = d.json(d.kura().args(["custody", "show", "a.kura"]));
    let packed = &show["records"][0];
    let today = d.json(d.at(LONG_AGO).args(["ledger", "list"]))["today"].clone();
    if cfg!(debug_assertions) {
        assert_eq!(packed["time"], LONG_AGO, "{show:#}");
        assert_eq!(packed["details"]["clock"], "KURA_NOW", "{show:#}");
        assert_eq!(today, "2001-02-03");
    } else {
        assert_ne!(
            packed["time"], LONG_AGO,
            "a release build set the clock from KURA_NOW: {show:#}"
        );
        assert!(packed["details"].get("clock").is_none(), "{show:#}");
        assert_ne!(today, "2001-02-03");
        assert_eq!(show["time_flags"], json!([]), "{show:#}");
    }
}
