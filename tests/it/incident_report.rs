//! `kura incident`: the deadlines across weekends, public holidays and the
//! year-end, the Commission's report items and the notice to the clinic.
//! The clock is set with KURA_NOW.

use crate::common::{json, ok, run, Desk};

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
    // What kura cannot know is left to people, never guessed.
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
