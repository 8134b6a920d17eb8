//! `kura incident`: the loss-report draft. The clock is set with KURA_NOW.

use crate::common::{json, ok, run, Desk};
use serde_json::Value;

const PACKED: &str = "2026-03-02T10:00:00+09:00";
/// A Thursday.
const THURSDAY: &str = "2026-03-05T16:00:00+09:00";

/// A packed, handed-over vault whose export has a file named after a
/// (dummy) patient and whose log carries a note.
fn desk() -> Desk {
    let d = Desk::new();
    d.write("a-data/患者_山田太郎_ダミー.csv", "00000001,山田太郎（ダミー）\n");
    d.pack_small("a", "APP-010", "レセプト不具合の調査", "2026-03-31", PACKED);
    d.record(
        "a",
        "handover",
        "clinic.key",
        "2026-03-02T11:00:00+09:00",
        &["--note", "USB #7 given to Tanaka-san"],
    );
    d
}

fn incident(d: &Desk, now: &str, args: &[&str]) -> (i32, String, String) {
    run(d.kura().env("KURA_NOW", now).arg("incident").args(args))
}

#[test]
fn the_deadline_is_three_business_days_counting_the_day_of_discovery() {
    let d = desk();
    let (code, out, err) = incident(&d, THURSDAY, &["a.kura.custody"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2026-03-05 (Thu)"), "{out}");
    // Thursday (the day of discovery), Friday, Monday.
    assert!(out.contains("by 2026-03-09 (Mon)"), "{out}");
    assert!(out.contains("Japanese public holidays (振替休日 included)"), "{out}");

    let (_, out, _) = incident(&d, THURSDAY, &["a.kura.custody", "--lang", "ja"]);
    assert!(out.contains("2026-03-09（月）"), "{out}");
    assert!(out.contains("祝日（振替休日を含む）"), "{out}");

    // Discovered on a Friday: Friday, Monday, Tuesday.
    let out = ok(d.kura().env("KURA_NOW", "2026-03-09T09:00:00+09:00").args([
        "incident",
        "a.kura",
        "--discovered",
        "2026-03-06",
        "--json",
    ]));
    let v = json(&out);
    assert_eq!(v["facts"]["discovered"], "2026-03-06");
    assert_eq!(v["facts"]["deadline"], "2026-03-10");
    assert_eq!(v["facts"]["business_days"], 3);
    assert_eq!(v["facts"]["public_holidays_considered"], true);

    // A discovery date in the future is a mistake.
    let (code, _, _) = incident(&d, THURSDAY, &["a.kura", "--discovered", "2026-03-06"]);
    assert_eq!(code, 2);
}

#[test]
fn the_draft_states_contents_and_protection_but_names_no_patient_or_file() {
    let d = desk();
    let receipt = json(&ok(d.kura().args(["inspect", "a.kura", "--json"])));
    for lang in ["en", "ja"] {
        let (code, out, err) = incident(&d, THURSDAY, &["a.kura.custody", "--lang", lang]);
        assert_eq!(code, 0, "{err}");
        for fact in [
            "APP-010",
            "レセプト不具合の調査",
            "2026-03-31",
            "handover",
            "clinic@kura.test",
        ] {
            assert!(out.contains(fact), "{lang}: {fact} missing:\n{out}");
        }
        assert!(out.contains(receipt["vault_id"].as_str().unwrap()), "{out}");
        for r in receipt["recipients"].as_array().unwrap() {
            assert!(out.contains(r["fingerprint"].as_str().unwrap()), "{out}");
        }
        assert!(out.contains("age"), "{out}");
        for secret in ["山田太郎", "患者_", ".csv", "orca_dump", "Tanaka", "USB #7"] {
            assert!(!out.contains(secret), "{lang}: draft shows {secret}:\n{out}");
        }
    }
    let v = json(&ok(d
        .kura()
        .env("KURA_NOW", THURSDAY)
        .args(["incident", "a.kura", "--json"])));
    let text = v.to_string();
    for secret in ["山田太郎", "患者_", ".csv", "Tanaka", "USB #7"] {
        assert!(!text.contains(secret), "JSON shows {secret}: {text}");
    }
    let f = &v["facts"];
    assert_eq!(f["contents"]["file_count"], 3);
    assert_eq!(f["contents"]["approval"]["id"], "APP-010");
    assert_eq!(f["contents"]["total_size"], receipt["total_size"]);
    assert_eq!(f["protection"]["encryption"], "age v1");
    assert_eq!(f["protection"]["recipients"].as_array().unwrap().len(), 2);
    assert_eq!(f["last_event"]["event"], "handover");
    assert_eq!(f["notes_omitted"], 1);
    assert_eq!(v["lost_recorded"], Value::Null);
}

#[test]
fn with_a_key_the_loss_is_recorded_as_a_signed_custody_event() {
    let d = desk();
    let v = json(&ok(d.kura().env("KURA_NOW", THURSDAY).args([
        "incident",
        "a.kura.custody",
        "-i",
        "clinic.key",
        "--note",
        "last seen at reception",
        "--json",
    ])));
    assert_eq!(v["lost_recorded"], 2);
    assert_eq!(v["facts"]["last_event"]["event"], "lost");
    assert_eq!(v["facts"]["last_event"]["actor"]["comment"], "clinic@kura.test");
    let out = ok(d
        .kura()
        .args(["custody", "verify", "a.kura", "--signers", "allowed_signers", "--json"]));
    assert_eq!(json(&out)["records"], 3);
    let show = json(&ok(d.kura().args(["custody", "show", "a.kura", "--json"])));
    let last = &show["records"][2];
    assert_eq!(last["event"], "lost");
    assert_eq!(last["note"], "last seen at reception");
    assert_eq!(last["time"], "2026-03-05T16:00:00+09:00");
    assert_eq!(last["details"]["discovered"], "2026-03-05");

    let (_, out, _) = incident(&d, THURSDAY, &["a.kura", "--lang", "ja"]);
    assert!(out.contains("最後の記録: #2 lost"), "{out}");
}

#[test]
fn a_tampered_log_gives_no_draft() {
    let d = desk();
    let log = d.read("a.kura.custody");
    d.write("a.kura.custody", &log.replacen("handover", "received", 1));
    let (code, out, _) = incident(&d, THURSDAY, &["a.kura.custody"]);
    assert_eq!(code, 6);
    assert!(out.is_empty(), "{out}");
    // Nor is a loss recorded on it.
    let (code, _, _) = incident(&d, THURSDAY, &["a.kura.custody", "-i", "clinic.key"]);
    assert_eq!(code, 6);
    assert_eq!(d.read("a.kura.custody"), log.replacen("handover", "received", 1));
}

#[test]
fn the_clinic_can_draft_from_its_ledger_copy_when_the_log_went_with_the_medium() {
    let d = desk();
    let ledger = d.path("ledger.sqlite");
    ok(d.kura().env("KURA_LEDGER", &ledger).args(["ledger", "add", "a.kura"]));
    let id = json(&ok(d.kura().args(["inspect", "a.kura", "--json"])))["vault_id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::remove_file(d.path("a.kura.custody")).unwrap();
    std::fs::remove_file(d.path("a.kura")).unwrap();
    let out = ok(d.kura().env("KURA_NOW", THURSDAY).env("KURA_LEDGER", &ledger).args([
        "incident",
        "--from-ledger",
        &id,
        "--json",
    ]));
    let v = json(&out);
    assert_eq!(v["facts"]["contents"]["vault_id"], id.as_str());
    assert_eq!(v["facts"]["last_event"]["event"], "handover");
    // The ledger's copy is evidence: kura does not append to it.
    let (code, _, _) =
        run(d
            .kura()
            .env("KURA_LEDGER", &ledger)
            .args(["incident", "--from-ledger", &id, "-i", "clinic.key"]));
    assert_eq!(code, 2);
    let (code, _, _) = run(d
        .kura()
        .env("KURA_LEDGER", &ledger)
        .args(["incident", "--from-ledger", "no-such-vault"]));
    assert_eq!(code, 3);
}

#[test]
fn a_vault_deleted_before_the_loss_is_said_so() {
    let d = desk();
    // (The deletion is certified: only kura records a "deleted" event.)
    d.certify("a", false, "2026-03-04T10:00:00+09:00");
    let (_, out, _) = incident(&d, THURSDAY, &["a.kura"]);
    assert!(out.contains("the vault was deleted before the loss (#2"), "{out}");
}
