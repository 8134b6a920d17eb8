//! Every place an approval is shown says whether the clinic signed it, and
//! whether the key that signed it is in the clinic signers file; the
//! ledger can require a signed approval, keeps the approvals the clinic
//! issued, and the approval prints as a one-page form.

use std::path::{Path, PathBuf};

use crate::common::{assert_absent, assert_refused, json, ok, run, tool_ok, Desk};

/// What every place says of an approval the packer typed.
const DECLARED: &str = "declared by the packer, not signed by the clinic";
const DECLARED_JA: &str = "梱包した技術者による申告で、医療機関の署名はありません";
const PACKED: &str = "2026-03-02T10:00:00+09:00";
const CLINIC_NAME: &str = "テスト記念クリニック <b>&";

/// `kura ARGS… --json`, asserting success: its JSON.
fn json_of(d: &Desk, args: &[&str]) -> serde_json::Value {
    let mut a: Vec<&str> = args.to_vec();
    a.push("--json");
    json(&ok(d.kura().args(&a)))
}

/// `kura ARGS…`, asserting success: its standard output.
fn text_of(d: &Desk, args: &[&str]) -> String {
    String::from_utf8_lossy(&ok(d.kura().args(args)).stdout).into_owned()
}

/// The clinic's signers file for approvals (`clinic_signers`, the desk's
/// clinic key) and one naming only a stranger's key (`other_signers`).
fn signers_files(d: &Desk) {
    let line = |principal: &str, key: &str| {
        let bare: Vec<&str> = key.split_whitespace().take(2).collect();
        format!("{principal} namespaces=\"kura-approval\" {}\n", bare.join(" "))
    };
    d.write("clinic_signers", &line("clinic@kura.test", &d.clinic.line));
    ok(d.kura().args([
        "keygen",
        "-o",
        "keys/stranger.key",
        "--comment",
        "stranger",
        "--no-passphrase",
    ]));
    let stranger = d.read("keys/stranger.key.pub");
    d.write("other_signers", &line("stranger@kura.test", &stranger));
}

/// The clinic signs approval `id` (`ID.json` and `ID.json.sig`) for the
/// desk's engineer, every vault encrypted to the clinic, every field
/// filled.
fn approve(d: &Desk, id: &str) -> PathBuf {
    approve_with(d, id, &[])
}

/// As [`approve`], with more options (`--ledger FILE`).
fn approve_with(d: &Desk, id: &str, extra: &[&str]) -> PathBuf {
    let out = format!("{id}.json");
    let clinic_pub = d.clinic.public.display().to_string();
    let engineer_pub = d.engineer.public.display().to_string();
    ok(d.kura()
        .args([
            "approve",
            "-o",
            &out,
            "-i",
            "clinic.key",
            "--approval-id",
            id,
            "--approved-by",
            "山田 花子",
            "--role",
            "企画管理者（医療情報システム安全管理責任者）",
            "--clinic",
            CLINIC_NAME,
            "--clinic-code",
            "1312345678",
            "--engineer",
            &engineer_pub,
            "--recipient",
            &clinic_pub,
            "--purpose",
            "電子カルテ（ORCA）から新システムへのデータ移行作業のため、検証環境で移行結果を確認する",
            "--scope",
            "レセプト関連テーブル（2023年4月〜2026年3月分）、患者基本情報テーブル、病名テーブル。画像データは含まない",
            "--delete-by",
            "2099-01-31",
            "--medium",
            "暗号化USBメモリ（管理番号 USB-07、ハードウェア暗号化）",
            "--destination",
            "株式会社テストベンダー 東京本社 開発センター 検証室",
            "--storage",
            "施錠された検証室の隔離ネットワーク上の端末のみ。インターネット接続なし",
            "--loss-plan",
            "紛失に気づいた時点で直ちに医療機関の企画管理者に電話で報告し、kura incident で報告書の下書きを作成する",
            "--max-size",
            "2G",
            "--max-files",
            "10000",
        ])
        .args(extra));
    d.path(&out)
}

/// Packs a small dummy export into `NAME.kura` under the signed approval
/// `ID.json`, checked against the clinic's signers.
fn pack_signed(d: &Desk, name: &str, id: &str) -> PathBuf {
    d.write(
        &format!("{name}-data/orca_dump_dummy.sql"),
        "-- dummy dump, no real patients\n",
    );
    let vault = format!("{name}.kura");
    d.write("recipients.txt", &format!("{}\n{}\n", d.engineer.line, d.clinic.line));
    ok(d.kura().args([
        "pack",
        "-o",
        &vault,
        "-R",
        "recipients.txt",
        "-i",
        "engineer.key",
        "--approval",
        &format!("{id}.json"),
        "--clinic-signers",
        "clinic_signers",
        &format!("{name}-data"),
    ]));
    d.path(&vault)
}

fn consent(v: &serde_json::Value) -> &str {
    v["consent"]["state"].as_str().unwrap_or_default()
}

#[test]
fn a_declared_approval_is_said_to_be_the_packers_word_everywhere() {
    let d = Desk::new();
    d.pack_small("a", "APP-D1", "移行作業", "2099-12-31", PACKED);
    let ledger = d.path("ledger.sqlite").display().to_string();

    let inspect = text_of(&d, &["inspect", "a.kura"]);
    assert!(inspect.contains(DECLARED), "{inspect}");
    assert_eq!(consent(&json_of(&d, &["inspect", "a.kura"])), "declared");
    let ja = text_of(&d, &["--lang", "ja", "inspect", "a.kura"]);
    assert!(ja.contains(DECLARED_JA), "{ja}");

    let verify = String::from_utf8_lossy(&d.verify(&d.path("a.kura"), &d.engineer.private, &[]).stdout).into_owned();
    assert!(verify.contains(DECLARED), "{verify}");
    let v = json(&d.verify(&d.path("a.kura"), &d.engineer.private, &["--json"]));
    assert_eq!(consent(&v), "declared");
    assert!(v["consent"]["clinic"].is_null() && v["consent"]["signer"].is_null());

    let listed = json_of(&d, &["list", "."]);
    assert_eq!(listed["vaults"][0]["consent"]["state"], "declared");
    let text = text_of(&d, &["list", "."]);
    assert!(
        text.contains(&format!("1 of 1 vaults carry an approval {DECLARED}")),
        "{text}"
    );

    let show = text_of(&d, &["custody", "show", "a.kura"]);
    assert!(show.contains(DECLARED), "{show}");
    assert_eq!(consent(&json_of(&d, &["custody", "show", "a.kura"])), "declared");

    let added = text_of(&d, &["ledger", "add", "a.kura", "--ledger", &ledger]);
    assert!(added.contains(DECLARED), "{added}");
    let list = text_of(&d, &["ledger", "list", "--ledger", &ledger]);
    assert!(list.contains(DECLARED), "{list}");
    let v = json_of(&d, &["ledger", "list", "--ledger", &ledger]);
    assert_eq!(v["exports"][0]["consent"]["state"], "declared");

    d.handover("a", "2026-03-02T11:00:00+09:00");
    let cert = d.certify("a", false, "2026-03-10T15:00:00+09:00");
    let out = d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(DECLARED));
    let v = json(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--json"]));
    assert_eq!(consent(&v), "declared");

    ok(d.kura().args(["certificate", "render", "-o", "cert.html"]).arg(&cert));
    assert!(d.read("cert.html").contains(DECLARED));
}

#[test]
fn the_ledger_can_require_the_clinics_signed_approval() {
    let d = Desk::new();
    d.pack_small("a", "APP-D2", "移行作業", "2099-12-31", PACKED);
    let ledger = d.path("ledger.sqlite");
    let l = ledger.display().to_string();

    // Asked for on the command line: refused before a ledger exists.
    let out = d.run(["ledger", "add", "a.kura", "--require-signed-approval", "--ledger", &l]);
    let msg = assert_refused(&out, 3);
    assert!(msg.contains("APP-D2") && msg.contains(DECLARED), "{msg}");
    assert_absent(&ledger);
    let out = d.run([
        "--lang",
        "ja",
        "ledger",
        "add",
        "a.kura",
        "--require-signed-approval",
        "--ledger",
        &l,
    ]);
    let msg = assert_refused(&out, 3);
    assert!(msg.contains("医療機関の署名がありません"), "{msg}");

    // Kept in the ledger: every later add is held to it.
    let v = json_of(
        &d,
        &["ledger", "config", "--require-signed-approval", "on", "--ledger", &l],
    );
    assert_eq!(v["require_signed_approval"], true);
    let out = d.run(["ledger", "add", "a.kura", "--ledger", &l, "--json"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(json(&out)["error"]["id"], "err-ledger-approval-declared");
    let v = json_of(&d, &["ledger", "list", "--ledger", &l]);
    assert_eq!(v["counts"]["total"], 0);

    // Turned off, the vault is taken, and said to be declared.
    json_of(
        &d,
        &["ledger", "config", "--require-signed-approval", "off", "--ledger", &l],
    );
    let v = json_of(&d, &["ledger", "add", "a.kura", "--ledger", &l]);
    assert_eq!(
        (v["signed_approval_required"].clone(), consent(&v)),
        (false.into(), "declared")
    );

    // A ledger copy of the log that no longer verifies is said so for its
    // export; the list is still shown.
    let db = rusqlite::Connection::open(&ledger).unwrap();
    db.execute("UPDATE exports SET custody_text = 'not a log'", []).unwrap();
    drop(db);
    let v = json_of(&d, &["ledger", "list", "--ledger", &l]);
    assert_eq!(v["exports"][0]["consent"]["state"], "unreadable");
    assert_eq!(v["counts"]["total"], 1);
}

#[test]
fn a_signed_approval_is_trusted_only_as_the_clinic_signers_file_says() {
    let d = Desk::new();
    signers_files(&d);
    approve(&d, "APP-S1");
    pack_signed(&d, "s", "APP-S1");
    let clinic_key = json_of(&d, &["approval", "show", "APP-S1.json"])["signature"]["signer"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    // Unchecked, trusted, untrusted: inspect, verify and custody show.
    let key = d.engineer.private.display().to_string();
    for cmd in [
        vec!["inspect", "s.kura"],
        vec!["verify", "s.kura", "-i", key.as_str()],
        vec!["custody", "show", "s.kura"],
    ] {
        let with = |signers: Option<&'static str>| {
            let mut a = cmd.clone();
            if let Some(s) = signers {
                a.extend(["--clinic-signers", s]);
            }
            a
        };
        let v = json_of(&d, &with(None));
        assert_eq!(consent(&v), "signed-unchecked", "{cmd:?}");
        assert_eq!(v["consent"]["clinic"]["name"], CLINIC_NAME);
        assert_eq!(v["consent"]["clinic"]["code"], "1312345678");
        assert_eq!(v["consent"]["signer"]["fingerprint"], clinic_key.as_str());
        assert_eq!(v["consent"]["disposal"], "delete");
        let text = text_of(&d, &with(None));
        assert!(
            text.contains(&format!(
                "signed by the clinic ({CLINIC_NAME}, medical institution code 1312345678, key {clinic_key})"
            )) && text.contains("signer not checked (kura inspect or verify with --clinic-signers"),
            "{cmd:?}: {text}"
        );
        // custody show says it on the record that started the log.
        if cmd[0] != "custody" {
            assert!(text.contains("Approved by: 山田 花子 (企画管理者"), "{text}");
        }

        let v = json_of(&d, &with(Some("clinic_signers")));
        assert_eq!(consent(&v), "signed-trusted", "{cmd:?}");
        assert_eq!(v["consent"]["signer_principal"], "clinic@kura.test");
        let text = text_of(&d, &with(Some("clinic_signers")));
        assert!(
            text.contains("trusted as \"clinic@kura.test\" per --clinic-signers"),
            "{text}"
        );
        assert!(!text.contains(DECLARED));

        let v = json_of(&d, &with(Some("other_signers")));
        assert_eq!(consent(&v), "signed-untrusted", "{cmd:?}");
        assert!(v["consent"]["signer_principal"].is_null());
        let text = text_of(&d, &with(Some("other_signers")));
        assert!(text.contains("NOT in your clinic signers file"), "{text}");
    }
    let ja = text_of(
        &d,
        &[
            "--lang",
            "ja",
            "inspect",
            "s.kura",
            "--clinic-signers",
            "clinic_signers",
        ],
    );
    assert!(
        ja.contains("医療機関の署名あり") && ja.contains("「clinic@kura.test」の鍵と確認済み"),
        "{ja}"
    );

    // The ledger: a key it cannot check, or one the file does not list, is
    // refused (7); the clinic's own is taken.
    let l = d.path("ledger.sqlite").display().to_string();
    let add = |extra: &[&str]| {
        let mut a = vec![
            "ledger",
            "add",
            "s.kura",
            "--require-signed-approval",
            "--ledger",
            l.as_str(),
        ];
        a.extend(extra);
        d.run(a)
    };
    let msg = assert_refused(&add(&[]), 7);
    assert!(msg.contains("--clinic-signers"), "{msg}");
    let msg = assert_refused(&add(&["--clinic-signers", "other_signers"]), 7);
    assert!(msg.contains("APP-S1"), "{msg}");
    assert_absent(&d.path("ledger.sqlite"));
    let v = json(&ok(&add(&["--clinic-signers", "clinic_signers", "--json"])));
    assert_eq!(consent(&v), "signed-trusted");
    let vault_id = v["export"]["vault_id"].as_str().unwrap().to_string();
    let v = json_of(
        &d,
        &["ledger", "list", "--ledger", &l, "--clinic-signers", "clinic_signers"],
    );
    assert_eq!(v["exports"][0]["consent"]["state"], "signed-trusted");
    let list = text_of(&d, &["ledger", "list", "--ledger", &l]);
    assert!(list.contains("APP-S1") && list.contains("signer not checked"), "{list}");
    for lang in ["en", "ja"] {
        let list = text_of(
            &d,
            &[
                "--lang",
                lang,
                "ledger",
                "list",
                "--ledger",
                &l,
                "--clinic-signers",
                "clinic_signers",
            ],
        );
        for line in list.lines() {
            let w = unicode_width::UnicodeWidthStr::width(line);
            assert!(w <= 80, "{lang}: {w} columns: {line}");
        }
    }
    let show = text_of(
        &d,
        &[
            "ledger",
            "show",
            &vault_id,
            "--ledger",
            &l,
            "--clinic-signers",
            "clinic_signers",
        ],
    );
    assert!(
        show.contains("trusted as \"clinic@kura.test\" per --clinic-signers"),
        "{show}"
    );
    let v = json_of(&d, &["ledger", "show", &vault_id, "--ledger", &l]);
    assert_eq!(consent(&v), "signed-unchecked");

    // The certificate: checked against the clinic signers on verify; the
    // page shows the key to compare.
    d.handover("s", "2098-03-02T11:00:00+09:00");
    let cert = d.certify("s", false, "2098-03-10T15:00:00+09:00");
    let v = json(&d.verify_certificate(
        &cert,
        "s.clinic.custody",
        "allowed_signers",
        &["--json", "--clinic-signers", "clinic_signers"],
    ));
    assert_eq!(consent(&v), "signed-trusted");
    let v = json(&d.verify_certificate(
        &cert,
        "s.clinic.custody",
        "allowed_signers",
        &["--json", "--clinic-signers", "other_signers"],
    ));
    assert_eq!(consent(&v), "signed-untrusted");
    ok(d.kura().args(["certificate", "render", "-o", "cert.html"]).arg(&cert));
    let html = d.read("cert.html");
    assert!(html.contains(&clinic_key) && !html.contains(DECLARED));
    assert!(
        html.contains("テスト記念クリニック &lt;b&gt;&amp;"),
        "the clinic's name is escaped"
    );
    // Printed, the first page a clinic files names the clinic, its code
    // and the key that signed the approval, and still holds the signature
    // boxes: it stands alone on one A4 page.
    crate::render::chromium(&d.cwd, &["--print-to-pdf=cert.pdf"], &d.path("cert.html"));
    let info = String::from_utf8_lossy(&tool_ok("pdfinfo", [d.path("cert.pdf")]).stdout).into_owned();
    assert!(info.contains("(A4)"), "not A4:\n{info}");
    let first = tool_ok(
        "pdftotext",
        [
            "-layout",
            "-f",
            "1",
            "-l",
            "1",
            d.path("cert.pdf").to_str().unwrap(),
            "-",
        ],
    );
    let first = String::from_utf8_lossy(&first.stdout);
    let fingerprint = clinic_key.split_whitespace().next().unwrap_or(&clinic_key);
    for needle in [
        "テスト記念クリニック <b>&",
        "1312345678",
        "承認に署名した鍵",
        fingerprint,
        "データ消去証明書",
        "医療機関確認",
        "立会人",
    ] {
        assert!(first.contains(needle), "page 1 lacks {needle:?}:\n{first}");
    }
    assert!(
        !first.contains("記載なし"),
        "a signed approval names its clinic:\n{first}"
    );
}

#[test]
fn the_ledger_lists_the_approvals_issued_and_which_are_used() {
    let d = Desk::new();
    signers_files(&d);
    let ledger = d.path("ledger.sqlite");
    let l = ledger.display().to_string();
    // kura approve registers what it signs in the ledger named.
    let issued = approve_with(&d, "APP-L1", &["--ledger", &l]);
    approve_with(&d, "APP-L2", &["--ledger", &l]);
    let v = json(&ok(d.kura().args(["approval", "show", "APP-L1.json", "--json"])));
    assert_eq!(v["signature"]["state"], "valid-unchecked");

    // The same id again, another document: refused before anything is
    // written.
    let engineer = d.engineer.public.display().to_string();
    let clinic = d.clinic.public.display().to_string();
    let again = |ledger: Option<&str>| {
        let mut a = vec![
            "approve",
            "-o",
            "again.json",
            "-i",
            "clinic.key",
            "--approval-id",
            "APP-L1",
            "--approved-by",
            "x",
            "--role",
            "y",
            "--clinic",
            "c",
            "--engineer",
            &engineer,
            "--recipient",
            &clinic,
            "--purpose",
            "p",
            "--scope",
            "s",
            "--delete-by",
            "2099-01-31",
        ];
        if let Some(l) = ledger {
            a.extend(["--ledger", l]);
        }
        d.run(a)
    };
    let out = again(Some(&l));
    assert_refused(&out, 9);
    assert_absent(&d.path("again.json"));
    assert_absent(&d.path("again.json.sig"));

    let v = json_of(&d, &["ledger", "approvals", "--ledger", &l]);
    assert_eq!(
        (v["counts"]["total"].clone(), v["counts"]["unused"].clone()),
        (2.into(), 2.into())
    );
    assert_eq!(v["approvals"][0]["clinic"]["name"], CLINIC_NAME);

    // An export packed under APP-L1 and registered uses it.
    pack_signed(&d, "u", "APP-L1");
    let v = json_of(&d, &["ledger", "add", "u.kura", "--ledger", &l]);
    assert_eq!(v["approval_issued_here"], true);

    let v = json_of(&d, &["ledger", "approvals", "--ledger", &l, "--unused"]);
    let ids: Vec<&str> = v["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["approval_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["APP-L2"]);
    assert_eq!(v["counts"]["unused"], 1);
    let text = text_of(&d, &["ledger", "approvals", "--ledger", &l]);
    assert!(text.contains("used by 1") && text.contains("not yet used"), "{text}");

    // Another document signed under APP-L1 elsewhere: a vault packed under
    // it is refused (6), and not registered.
    ok(&again(None));
    ok(d.kura().args([
        "pack",
        "-o",
        "w.kura",
        "-R",
        "recipients.txt",
        "-i",
        "engineer.key",
        "--approval",
        "again.json",
        "--clinic-signers",
        "clinic_signers",
        "u-data",
    ]));
    let out = d.run(["ledger", "add", "w.kura", "--ledger", &l, "--json"]);
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(json(&out)["error"]["id"], "err-ledger-approval-not-issued");
    // Packed on the packer's word under an id the clinic issued signed: taken,
    // with a warning.
    d.pack_small("dcl", "APP-L2", "移行作業", "2099-12-31", PACKED);
    let text = text_of(&d, &["ledger", "add", "dcl.kura", "--ledger", &l]);
    assert!(text.contains("was issued signed") && text.contains(DECLARED), "{text}");

    // A document changed after signing is never registered.
    let document = d.read("APP-L1.json").replace("2099-01-31", "2099-12-31");
    let signature = d.read("APP-L1.json.sig");
    let mut a = kura::approval::Approval::parse(&d.read("APP-L1.json")).unwrap();
    a.delete_by = Some("2099-12-31".into());
    let forged = kura::vault::manifest::SignedApproval { document, signature };
    let mut db = kura::ledger::Ledger::open(&ledger).unwrap();
    let err = db
        .register_approval(&a, &forged, chrono::DateTime::parse_from_rfc3339(PACKED).unwrap())
        .unwrap_err();
    assert_eq!(err.kind, kura::error::Kind::Integrity);
    assert!(issued.exists());
}

/// Prints `page` to PDF with headless Chromium: its page count, its page
/// size line, and its text.
fn printed(d: &Desk, page: &Path) -> (u32, String, String) {
    crate::render::chromium(&d.cwd, &["--print-to-pdf=form.pdf"], page);
    let info = String::from_utf8_lossy(&tool_ok("pdfinfo", [d.path("form.pdf")]).stdout).into_owned();
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let size = info
        .lines()
        .find(|l| l.starts_with("Page size:"))
        .unwrap_or_default()
        .to_string();
    let text = tool_ok("pdftotext", [d.path("form.pdf").as_os_str(), "-".as_ref()]);
    (pages, size, String::from_utf8_lossy(&text.stdout).into_owned())
}

#[test]
fn the_approval_form_prints_on_one_a4_page_and_says_whether_it_is_signed() {
    let d = Desk::new();
    signers_files(&d);
    approve(&d, "APP-F1");
    let v = json_of(
        &d,
        &[
            "approval",
            "render",
            "APP-F1.json",
            "-o",
            "form.html",
            "--clinic-signers",
            "clinic_signers",
        ],
    );
    assert_eq!(v["signature"]["state"], "valid-trusted");
    assert_eq!(v["signature"]["signer_principal"], "clinic@kura.test");
    let html = d.read("form.html");
    assert!(html.contains("テスト記念クリニック &lt;b&gt;&amp;") && !html.contains("<b>&"));
    let (pages, size, text) = printed(&d, &d.path("form.html"));
    assert_eq!(pages, 1, "the form must fit one page:\n{text}");
    assert!(size.contains("(A4)"), "{size}");
    for needle in [
        "持ち出し承認書",
        "Take-out approval",
        "APP-F1",
        "医療機関コード",
        "1312345678",
        "承認者",
        "申請者",
        "紛失時の対応",
        "clinic@kura.test",
    ] {
        assert!(text.contains(needle), "the printed form lacks {needle:?}:\n{text}");
    }

    // Without its signature: a draft, and the form says so.
    std::fs::rename(d.path("APP-F1.json.sig"), d.path("kept.sig")).unwrap();
    let v = json_of(&d, &["approval", "render", "APP-F1.json", "-o", "draft.html"]);
    assert_eq!(v["signature"]["state"], "absent");
    assert!(d.read("draft.html").contains("NOT SIGNED"));
    let shown = text_of(&d, &["--lang", "ja", "approval", "show", "APP-F1.json"]);
    assert!(
        shown.contains("署名なし") && shown.contains("医療機関コード"),
        "{shown}"
    );

    // Changed after signing: the signature does not verify, and it says so.
    d.write(
        "APP-F1.json",
        &d.read("APP-F1.json").replace("2099-01-31", "2099-12-31"),
    );
    let v = json_of(
        &d,
        &[
            "approval",
            "show",
            "APP-F1.json",
            "--sig",
            d.path("kept.sig").to_str().unwrap(),
        ],
    );
    assert_eq!(v["signature"]["state"], "invalid");

    // The form never replaces the approval or its signature, even with --force.
    for target in ["APP-F1.json", "kept.sig"] {
        let out = d.run([
            "approval",
            "render",
            "APP-F1.json",
            "--sig",
            "kept.sig",
            "-o",
            target,
            "--force",
        ]);
        assert_refused(&out, 2);
    }
    assert!(d.read("APP-F1.json").contains("\"format\": \"kura-approval\""));

    // An existing page is not replaced without --force.
    let (code, _, _) = run(d.kura().args(["approval", "render", "APP-F1.json", "-o", "form.html"]));
    assert_eq!(code, 9);
}
