//! `kura incident`: the deadlines across weekends, public holidays and the
//! year-end, the Commission's report items and the notice to the clinic.
//! The clock is set with KURA_NOW.

use crate::common::{json, ok, run, Desk};
use crate::ledger::{ledger, registered};

fn desk() -> Desk {
    let d = Desk::new();
    d.pack_small(
        "a",
        "APP-020",
        "レセプト不具合の調査",
        "2026-06-30",
        "2026-04-01T10:00:00+09:00",
    );
    d
}

/// `kura incident a.kura.custody --discovered DAY --json [extra…]`, today being `now`.
fn facts(d: &Desk, now: &str, day: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["incident", "a.kura.custody", "--discovered", day, "--json"];
    args.extend(extra);
    json(&ok(d.kura().env("KURA_NOW", now).args(args)))
}

#[test]
fn golden_week_moves_the_deadline_past_the_holidays() {
    let d = desk();
    let v = facts(&d, "2026-05-08T09:00:00+09:00", "2026-04-30", &[]);
    let f = &v["facts"];
    // Thursday 4/30 and Friday 5/1 count; 5/2 土, 5/3 憲法記念日 (日),
    // 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日; Thursday 5/7 is the third day.
    assert_eq!(f["deadline"], "2026-05-07");
    assert_eq!(f["public_holidays_considered"], true);
    let off: Vec<String> = f["days_off"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| format!("{} {}", o["date"].as_str().unwrap(), o["why"].as_str().unwrap()))
        .collect();
    assert_eq!(
        off,
        [
            "2026-05-02 sat",
            "2026-05-03 憲法記念日",
            "2026-05-04 みどりの日",
            "2026-05-05 こどもの日",
            "2026-05-06 休日"
        ]
    );
    // The draft says so in both languages.
    let (code, out, err) = run(d.kura().env("KURA_NOW", "2026-05-08T09:00:00+09:00").args([
        "incident",
        "a.kura.custody",
        "--discovered",
        "2026-04-30",
        "--lang",
        "ja",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2026-05-07（木）"), "{out}");
    assert!(out.contains("05-06 休日"), "{out}");
    assert!(out.contains("内閣府「国民の祝日について」"), "{out}");
}

#[test]
fn the_year_end_closure_is_not_counted() {
    let d = desk();
    // Monday 12/28 counts; 12/29–1/3 closed; Monday 1/4 and Tuesday 1/5.
    let v = facts(&d, "2027-01-06T09:00:00+09:00", "2026-12-28", &[]);
    assert_eq!(v["facts"]["deadline"], "2027-01-05");
    let off = v["facts"]["days_off"].as_array().unwrap();
    assert_eq!(off.len(), 6, "{off:?}");
    assert_eq!(off[0]["date"], "2026-12-29");
    assert_eq!(off[0]["why"], "year-end");
    // A plain weekend: Friday 3/6, Monday, Tuesday.
    let v = facts(&d, "2026-04-01T12:00:00+09:00", "2026-03-06", &[]);
    assert_eq!(v["facts"]["deadline"], "2026-03-10");
}

#[test]
fn a_year_beyond_the_table_is_flagged_until_a_holidays_file_covers_it() {
    let d = desk();
    let now = "2029-01-10T09:00:00+09:00";
    let (code, out, err) =
        run(d
            .kura()
            .env("KURA_NOW", now)
            .args(["incident", "a.kura.custody", "--discovered", "2028-12-28"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not in kura's table"), "{out}");
    let v = facts(&d, now, "2028-12-28", &[]);
    assert_eq!(v["facts"]["public_holidays_considered"], false);
    // 12/28 (Thu) counts; closed to 1/3; Thursday 1/4 and Friday 1/5.
    assert_eq!(v["facts"]["deadline"], "2029-01-05");

    d.write(
        "holidays.txt",
        "# 2029 (dummy excerpt)\n2029-01-01 元日\n2029-01-05 臨時休日\n",
    );
    let v = facts(&d, now, "2028-12-28", &["--holidays", "holidays.txt"]);
    assert_eq!(v["facts"]["public_holidays_considered"], true);
    assert_eq!(v["facts"]["deadline"], "2029-01-08");

    // A line that is not a date: one line naming it, usage.
    d.write("bad.txt", "2029-01-01 元日\n1月8日 成人の日\n");
    let (code, _, err) =
        run(d
            .kura()
            .env("KURA_NOW", now)
            .args(["incident", "a.kura.custody", "--holidays", "bad.txt"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.txt, line 2"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn the_commission_items_and_dates_are_drafted_and_the_exemption_is_not_claimed() {
    let d = desk();
    let now = "2026-05-08T09:00:00+09:00";
    let v = facts(&d, now, "2026-04-30", &[]);
    let p = &v["facts"]["ppc"];
    assert_eq!(p["preliminary_from"], "2026-05-02");
    assert_eq!(p["preliminary_by"], "2026-05-04");
    assert_eq!(p["final_by"], "2026-05-29");
    assert_eq!(p["final_days"], 30);
    let items: Vec<&str> = v["ppc_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        [
            "summary",
            "items",
            "persons",
            "cause",
            "secondary-damage",
            "response-to-persons",
            "publication",
            "prevention",
            "other"
        ]
    );
    // What kura cannot know is left to people, never guessed: this
    // approval was typed by the engineer, so it says nothing of the persons.
    assert_eq!(v["facts"]["approval"]["consent"], "declared");
    assert!(v["ppc_items"][2]["text"].is_null());
    assert!(v["ppc_items"][3]["text"].is_null());

    let v = facts(&d, now, "2026-04-30", &["--improper-purpose"]);
    assert_eq!(v["facts"]["ppc"]["final_by"], "2026-06-28");
    assert_eq!(v["facts"]["ppc"]["final_days"], 60);

    for (lang, words) in [
        (
            "ja",
            [
                "個人情報保護委員会への報告",
                "本人の数: （要記入）",
                "電子政府推奨暗号リストに掲載されていません",
                "kura は判断しません",
                "医療機関（委託元）への通知",
                "医療機関の署名はありません",
            ],
        ),
        (
            "en",
            [
                "Personal Information Protection Commission",
                "Number of persons (本人の数): (to be filled in)",
                "not on CRYPTREC's e-Government Recommended Ciphers List",
                "kura does not decide",
                "Notice to the clinic",
                "nobody at the clinic signed it",
            ],
        ),
    ] {
        let (code, out, err) = run(d.kura().env("KURA_NOW", now).args([
            "incident",
            "a.kura.custody",
            "--discovered",
            "2026-04-30",
            "--lang",
            lang,
        ]));
        assert_eq!(code, 0, "{err}");
        for w in words {
            assert!(out.contains(w), "{lang}: {w} missing:\n{out}");
        }
        assert!(out.contains("APP-020"), "{out}");
    }
}

// ---------------------------------------------------------------------------
// `kura ledger close -i CLINIC_KEY`: the clinic's signed receipt.

const PACKED: &str = "2026-04-01T10:00:00+09:00";

/// A vault handed over, registered from the clinic's copy, and certified
/// deleted on `certified`.
pub(crate) fn certified(d: &Desk, name: &str, delete_by: &str, certified: &str) -> std::path::PathBuf {
    registered(d, name, delete_by);
    d.certify(name, false, certified)
}

pub(crate) fn close_cmd(d: &Desk, now: &str, cert: &std::path::Path, extra: &[&str]) -> std::process::Command {
    let mut c = ledger(d);
    c.env("KURA_NOW", now)
        .args(["ledger", "close", "--signers", "allowed_signers"])
        .arg(cert)
        .args(extra);
    c
}

/// `ssh-keygen -Y verify` of `file` with `file.sig`, as the clinic, in `namespace`.
fn ssh_verify(d: &Desk, file: &str, namespace: &str) -> bool {
    let input = std::fs::File::open(d.path(file)).unwrap();
    std::process::Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f"])
        .arg(d.path("allowed_signers"))
        .args(["-I", "clinic@kura.test", "-n", namespace, "-s"])
        .arg(d.path(&format!("{file}.sig")))
        .stdin(input)
        .output()
        .expect("ssh-keygen runs")
        .status
        .success()
}

#[test]
fn the_clinic_signs_its_receipt_and_ssh_keygen_verifies_it() {
    let d = Desk::new();
    let cert = certified(&d, "a", "2026-06-30", "2026-06-01T10:00:00+09:00");
    let v = json(&ok(&mut close_cmd(
        &d,
        "2026-06-02T09:00:00+09:00",
        &cert,
        &[
            "-i",
            "clinic.key",
            "--receipt-out",
            "r.json",
            "--append-to",
            "a.clinic.custody",
            "--json",
        ],
    )));
    assert_eq!(v["outcome"], "closed");
    assert_eq!(v["receipt"]["outcome"], "signed");
    assert_eq!(v["receipt"]["receipt"]["signature_valid"], true);
    assert_eq!(v["receipt"]["receipt"]["received_late"], false);
    assert_eq!(v["receipt"]["receipt"]["received_at"], "2026-06-02T09:00:00+09:00");
    // packed, handover, deleted, then the clinic's record.
    assert_eq!(v["custody_record"]["seq"], 3);
    assert_eq!(v["custody_record"]["outcome"], "appended");

    // Stock OpenSSH checks the receipt, in its own namespace only.
    assert!(ssh_verify(&d, "r.json", "kura-ledger-close"));
    assert!(!ssh_verify(&d, "r.json", "kura-custody"));
    let r: serde_json::Value = serde_json::from_str(&d.read("r.json")).unwrap();
    assert_eq!(r["format"], "kura-certificate-receipt");
    assert_eq!(r["certificate_id"], v["certificate_id"]);
    assert_eq!(r["clinic"]["comment"], "clinic@kura.test");

    // The clinic's copy from hand-over took the certificate's deletion
    // record, then the clinic's own; it verifies with every signer trusted.
    let copy = d.read("a.clinic.custody");
    let engineers = d.read("a.kura.custody");
    assert!(copy.starts_with(&engineers), "{copy}");
    let rec: serde_json::Value = serde_json::from_str(copy.lines().nth(3).unwrap()).unwrap();
    assert_eq!(rec["event"], "certificate-received");
    assert_eq!(rec["actor"]["comment"], "clinic@kura.test");
    assert_eq!(rec["details"]["receipt_blake3"], v["receipt"]["receipt"]["blake3"]);
    ok(d.kura()
        .args(["custody", "verify", "a.clinic.custody", "--signers", "allowed_signers"]));

    // A changed date no longer verifies.
    let forged = d.read("r.json").replace("2026-06-02T09:00:00", "2026-06-01T09:00:00");
    d.write("r.json", &forged);
    assert!(!ssh_verify(&d, "r.json", "kura-ledger-close"));

    // Closing again keeps the first receipt and appends nothing.
    let again = json(&ok(&mut close_cmd(
        &d,
        "2026-06-05T09:00:00+09:00",
        &cert,
        &["-i", "clinic.key", "--append-to", "a.clinic.custody", "--json"],
    )));
    assert_eq!(again["outcome"], "unchanged");
    assert_eq!(again["receipt"]["outcome"], "kept");
    assert_eq!(again["receipt"]["receipt"]["received_at"], "2026-06-02T09:00:00+09:00");
    assert_eq!(again["custody_record"]["outcome"], "unchanged");
    assert_eq!(d.read("a.clinic.custody"), copy);
}

#[test]
fn a_close_killed_half_way_is_completed_by_running_it_again() {
    let d = Desk::new();
    let cert = certified(&d, "a", "2026-06-30", "2026-06-01T10:00:00+09:00");
    let handed_over = d.read("a.clinic.custody");
    let args = ["-i", "clinic.key", "--append-to", "a.clinic.custody"];
    // Killed once the ledger keeps the receipt, before the log changed.
    let out = close_cmd(&d, "2026-06-02T09:00:00+09:00", &cert, &args)
        .env("KURA_TEST_ABORT_AT", "receipt-kept")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(d.read("a.clinic.custody"), handed_over);
    // Killed again after the log took the certificate's records: what is
    // there is whole and verifies.
    let out = close_cmd(&d, "2026-06-03T09:00:00+09:00", &cert, &args)
        .env("KURA_TEST_ABORT_AT", "receipt-records-copied")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(d.read("a.clinic.custody"), d.read("a.kura.custody"));
    ok(d.kura().args(["custody", "verify", "a.clinic.custody"]));
    // Run to the end: the first receipt, recorded once.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let v = json(&ok(&mut close_cmd(&d, "2026-06-04T09:00:00+09:00", &cert, &json_args)));
    assert_eq!(v["receipt"]["outcome"], "kept");
    assert_eq!(v["receipt"]["receipt"]["received_at"], "2026-06-02T09:00:00+09:00");
    assert_eq!(v["custody_record"]["seq"], 3);
    let copy = d.read("a.clinic.custody");
    assert_eq!(copy.lines().count(), 4);
    assert_eq!(copy.matches("certificate-received").count(), 1);
    ok(d.kura()
        .args(["custody", "verify", "a.clinic.custody", "--signers", "allowed_signers"]));
}

#[test]
fn a_receipt_altered_in_the_ledger_is_detected() {
    let d = Desk::new();
    let cert = certified(&d, "a", "2026-06-30", "2026-06-01T10:00:00+09:00");
    ok(&mut close_cmd(
        &d,
        "2026-07-02T09:00:00+09:00",
        &cert,
        &["-i", "clinic.key"],
    ));
    let id = json(&ok(d.kura().args(["inspect", "a.kura", "--json"])))["vault_id"]
        .as_str()
        .unwrap()
        .to_string();
    let show = |lang: &str| {
        run(ledger(&d)
            .env("KURA_NOW", "2026-07-03T09:00:00+09:00")
            .args(["ledger", "show", &id, "--lang", lang]))
    };
    let (code, out, err) = show("en");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Receipt signed by clinic@kura.test"), "{out}");
    assert!(
        out.contains("received and checked on 2026-07-02") && out.contains("! Received after the delete-by day."),
        "{out}"
    );

    // Someone with write access to the ledger moves the date back.
    let db = rusqlite::Connection::open(d.path("db/ledger.sqlite")).unwrap();
    db.execute(
        "UPDATE exports SET receipt_json = replace(receipt_json, '2026-07-02T09', '2026-06-29T09')",
        [],
    )
    .unwrap();
    drop(db);
    let (code, out, err) = show("ja");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("署名と一致しません"), "{out}");
    let v = json(&ok(ledger(&d).args(["ledger", "show", &id, "--json"])));
    assert_eq!(v["export"]["receipt"]["signature_valid"], false);
    // It is never written out or recorded as if it were the clinic's.
    let (code, _, err) = run(&mut close_cmd(
        &d,
        "2026-07-03T09:00:00+09:00",
        &cert,
        &["-i", "clinic.key", "--receipt-out", "r.json"],
    ));
    assert_eq!(code, 6, "{err}");
    assert!(!d.path("r.json").exists());
}

#[test]
fn without_the_clinics_key_nothing_is_signed_written_or_closed() {
    let d = Desk::new();
    let cert = certified(&d, "a", "2026-06-30", "2026-06-01T10:00:00+09:00");
    let before = std::fs::read(d.path("a.kura.custody")).unwrap();
    for lang in ["en", "ja"] {
        let (code, _, err) = run(close_cmd(
            &d,
            "2026-06-02T09:00:00+09:00",
            &cert,
            &["--append-to", "a.kura.custody", "--lang", lang],
        )
        .stdin(std::process::Stdio::null()));
        assert_eq!(code, 2, "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("-i"), "{err}");
    }
    // A receipt file in a folder that is not there: refused up front.
    let (code, _, err) = run(&mut close_cmd(
        &d,
        "2026-06-02T09:00:00+09:00",
        &cert,
        &["-i", "clinic.key", "--receipt-out", "nodir/r.json"],
    ));
    assert_eq!(code, 10, "{err}");
    // The engineer's key cannot sign the clinic's receipt of its own certificate.
    let (code, _, err) = run(&mut close_cmd(
        &d,
        "2026-06-02T09:00:00+09:00",
        &cert,
        &["-i", "engineer.key"],
    ));
    assert_eq!(code, 3, "{err}");
    let v = json(&ok(ledger(&d).args(["ledger", "list", "--json"])));
    assert_eq!(v["counts"]["closed"], 0);
    assert_eq!(std::fs::read(d.path("a.kura.custody")).unwrap(), before);

    // A log against which the certificate does not verify (another
    // vault's) is refused before the ledger or any log changes.
    d.pack_small("b", "APP-b", "check", "2026-06-30", PACKED);
    let b = std::fs::read(d.path("b.kura.custody")).unwrap();
    let (code, _, err) = run(&mut close_cmd(
        &d,
        "2026-06-02T09:00:00+09:00",
        &cert,
        &["-i", "clinic.key", "--append-to", "b.kura.custody"],
    ));
    assert_ne!(code, 0, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(d.path("b.kura.custody")).unwrap(), b);
    let v = json(&ok(ledger(&d).args(["ledger", "list", "--json"])));
    assert_eq!(v["counts"]["closed"], 0);
}

// ---------------------------------------------------------------------------
// `kura ledger list`: overdue first, within 80 columns.

#[test]
fn the_list_puts_overdue_first_and_fits_80_columns() {
    let d = Desk::new();
    let long = "レセプト不具合の調査とデータ移行の検証のための、とても長い目的の説明（ダミー）";
    for (name, delete_by) in [("x", "2026-09-30"), ("y", "2026-05-15"), ("z", "2026-05-31")] {
        d.pack_small(
            name,
            &format!("承認-{name}-とても長い承認番号-0000000001"),
            long,
            delete_by,
            PACKED,
        );
        ok(ledger(&d).args(["ledger", "add", &format!("{name}.kura")]));
    }
    let cert = certified(&d, "a", "2026-06-30", "2026-06-01T10:00:00+09:00");
    ok(&mut close_cmd(
        &d,
        "2026-07-02T09:00:00+09:00",
        &cert,
        &["-i", "clinic.key"],
    ));
    let now = "2026-07-10T09:00:00+09:00";
    for lang in ["en", "ja"] {
        let (code, out, err) = run(ledger(&d)
            .current_dir(d.path(""))
            .env("KURA_LEDGER", "db/ledger.sqlite")
            .env("KURA_NOW", now)
            .args(["ledger", "list", "--lang", lang]));
        assert_eq!(code, 0, "{err}");
        for l in out.lines() {
            let w = unicode_width::UnicodeWidthStr::width(l);
            assert!(w <= 80, "{lang}: {w} columns: {l}\n{out}");
        }
        // y (56 days over) before z (40 days over), then x (still out), then a.
        let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} missing:\n{out}"));
        assert!(
            at("承認-y") < at("承認-z") && at("承認-z") < at("承認-x") && at("承認-x") < at("APP-a"),
            "{out}"
        );
        assert!(out.contains("2026-07-02"), "the late receipt is flagged:\n{out}");
    }
    // --wide shows every value whole.
    let out = ok(ledger(&d).env("KURA_NOW", now).args(["ledger", "list", "--wide"]));
    let out = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.contains(long) && out.contains("承認-y-とても長い承認番号-0000000001"),
        "{out}"
    );
}
