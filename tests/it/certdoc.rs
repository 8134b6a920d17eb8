//! The certificate a clinic files: witnesses' countersignatures (`kura
//! certificate countersign`, checked by `certificate verify`, `render` and
//! stock `ssh-keygen`), and the printed page — a first page that stands
//! alone, the annex after it, the certificate id and page number on every
//! page, tables never cut from their headers — printed by headless
//! Chromium and read back with poppler.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::{bare_key, json, ok, run, shell, stdout_of, tool_ok, Desk};
use crate::render::chromium;

const PACKED: &str = "2026-03-02T10:00:00+09:00";

/// A certificate of deletion for a handed-over vault (`a.cert.json`), the
/// clinic's copy of the log beside it (`a.clinic.custody`).
pub(crate) fn certified(d: &Desk) -> PathBuf {
    d.pack_small("a", "APP-WIT-1", "レセプト不具合の調査", "2026-03-16", PACKED);
    d.handover("a", "2026-03-02T11:00:00+09:00");
    d.certify("a", false, "2026-03-10T15:00:00+09:00")
}

/// A witness's key `keys/NAME.key` (comment NAME); listed in the desk's
/// allowed_signers (for every namespace) when `listed`.
pub(crate) fn witness_key(d: &Desk, name: &str, listed: bool) -> PathBuf {
    let key = d.path(&format!("keys/{name}.key"));
    ok(d.kura()
        .args(["keygen", "-o"])
        .arg(&key)
        .args(["--comment", name, "--no-passphrase"]));
    if listed {
        let line = fs::read_to_string(format!("{}.pub", key.display())).unwrap();
        let mut signers = d.read("allowed_signers");
        signers.push_str(&format!("{name} {}\n", bare_key(&line)));
        d.write("allowed_signers", &signers);
    }
    key
}

/// `kura certificate countersign CERT -i KEY --name NAME --role ROLE [extra…]`.
pub(crate) fn countersign(
    d: &Desk,
    cert: &Path,
    key: &Path,
    name: &str,
    role: &str,
    extra: &[&str],
) -> std::process::Output {
    d.kura()
        .args(["certificate", "countersign"])
        .arg(cert)
        .arg("-i")
        .arg(key)
        .args(["--name", name, "--role", role])
        .args(extra)
        .output()
        .expect("kura runs")
}

/// The clinic's director countersigns with the clinic's key.
fn director_countersigns(d: &Desk, cert: &Path) {
    ok(&countersign(
        d,
        cert,
        &d.clinic.private,
        "院長 山田（ダミー）",
        "院長",
        &[],
    ));
}

fn verify_json(d: &Desk, cert: &Path) -> serde_json::Value {
    json(&ok(&d.verify_certificate(
        cert,
        "a.clinic.custody",
        "allowed_signers",
        &["--json"],
    )))
}

/// The files beside `cert` whose names start with its own.
fn beside(cert: &Path) -> Vec<String> {
    let name = cert.file_name().unwrap().to_str().unwrap().to_string();
    let mut v: Vec<String> = fs::read_dir(cert.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&name))
        .collect();
    v.sort();
    v
}

#[test]
fn several_witnesses_countersign_and_each_is_verified_and_shown() {
    let d = Desk::new();
    let cert = certified(&d);
    let before = fs::read(&cert).unwrap();
    let sig_before = fs::read(d.path("a.cert.json.sig")).unwrap();
    let nurse = witness_key(&d, "nurse@clinic.test", true);
    let out = ok(&countersign(
        &d,
        &cert,
        &nurse,
        "佐藤 花子（ダミー）",
        "医療機関職員（立会い）",
        &["--note", "消去の画面を確認", "--json"],
    ));
    let v = json(&out);
    assert_eq!(v["statement"], d.path("a.cert.json.witness-1.json").to_str().unwrap());
    director_countersigns(&d, &cert);
    // The certificate and its own signature are untouched.
    assert_eq!(fs::read(&cert).unwrap(), before);
    assert_eq!(fs::read(d.path("a.cert.json.sig")).unwrap(), sig_before);
    assert_eq!(
        beside(&cert),
        [
            "a.cert.json",
            "a.cert.json.sig",
            "a.cert.json.witness-1.json",
            "a.cert.json.witness-1.json.sig",
            "a.cert.json.witness-2.json",
            "a.cert.json.witness-2.json.sig"
        ]
    );

    let v = verify_json(&d, &cert);
    let w = v["witnesses"].as_array().unwrap();
    assert_eq!(w.len(), 2, "{v:#}");
    assert_eq!(w[0]["name"], "佐藤 花子（ダミー）");
    assert_eq!(w[0]["role"], "医療機関職員（立会い）");
    assert_eq!(w[0]["note"], "消去の画面を確認");
    assert_eq!(w[0]["signature_valid"], true);
    assert_eq!(w[0]["trusted"], true);
    assert_eq!(w[0]["principal"], "nurse@clinic.test");
    assert_eq!(w[0]["time_hand_set"], false);
    assert!(w[0]["signed_at"].as_str().unwrap().len() >= 20);
    assert_eq!(w[1]["name"], "院長 山田（ダミー）");
    assert_eq!(w[1]["principal"], "clinic@kura.test");

    // In words, in Japanese.
    let out = ok(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--lang", "ja"]));
    let text = stdout_of(&out);
    assert!(
        text.contains("立会人: 佐藤 花子（ダミー） (医療機関職員（立会い）)"),
        "{text}"
    );
    assert!(
        text.contains("署名者「nurse@clinic.test」は許可された署名者に載っています"),
        "{text}"
    );

    // Stock OpenSSH checks each statement and still the certificate.
    for (n, who) in [(1, "nurse@clinic.test"), (2, "clinic@kura.test")] {
        let out = shell(
            &d.root,
            &format!(
                "ssh-keygen -Y verify -f allowed_signers -I {who} -n kura-countersign \
                 -s a.cert.json.witness-{n}.json.sig < a.cert.json.witness-{n}.json"
            ),
        );
        assert!(out.status.success(), "{}", crate::common::describe(&out));
        assert!(stdout_of(&out).contains(&format!("Good \"kura-countersign\" signature for {who}")));
    }
    let out = shell(
        &d.root,
        "ssh-keygen -Y verify -f allowed_signers -I engineer@kura.test -n kura-certificate \
         -s a.cert.json.sig < a.cert.json",
    );
    assert!(out.status.success(), "{}", crate::common::describe(&out));
    // A countersignature is not a certificate signature.
    let out = shell(
        &d.root,
        "ssh-keygen -Y verify -f allowed_signers -I nurse@clinic.test -n kura-certificate \
         -s a.cert.json.witness-1.json.sig < a.cert.json.witness-1.json",
    );
    assert!(!out.status.success());

    // The printed page names both, and their standing.
    ok(d.kura()
        .args(["certificate", "render", "-o", "cert.html"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert));
    let page = d.read("cert.html");
    for needle in [
        "佐藤 花子（ダミー）",
        "院長 山田（ダミー）",
        "消去の画面を確認",
        "署名確認済み（登録済み）",
    ] {
        assert!(page.contains(needle), "the page lacks {needle:?}");
    }
}

#[test]
fn an_altered_or_moved_countersignature_is_refused() {
    let d = Desk::new();
    let cert = certified(&d);
    let nurse = witness_key(&d, "nurse@clinic.test", true);
    ok(&countersign(&d, &cert, &nurse, "佐藤 花子（ダミー）", "職員", &[]));
    director_countersigns(&d, &cert);
    let statement = d.path("a.cert.json.witness-1.json");
    let original = fs::read_to_string(&statement).unwrap();
    let refused = |what: &str| {
        let out = d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &[]);
        let (code, _, err) = run(&out);
        assert_eq!(code, 6, "{what}: {err}");
        assert!(err.contains("countersignature is NOT valid"), "{what}: {err}");
        let (code, _, _) = run(d.kura().args(["certificate", "render", "-o", "x.html"]).arg(&cert));
        assert_eq!(code, 6, "{what}: render");
        assert!(!d.path("x.html").exists());
    };

    // Another name, signed by nobody.
    fs::write(&statement, original.replace("佐藤 花子", "鈴木 一郎")).unwrap();
    refused("a changed name");
    // The other witness's signature under this statement.
    fs::write(&statement, &original).unwrap();
    let sig1 = fs::read(d.path("a.cert.json.witness-1.json.sig")).unwrap();
    fs::copy(
        d.path("a.cert.json.witness-2.json.sig"),
        d.path("a.cert.json.witness-1.json.sig"),
    )
    .unwrap();
    refused("another witness's signature");
    fs::write(d.path("a.cert.json.witness-1.json.sig"), &sig1).unwrap();
    // A statement without its signature.
    fs::remove_file(d.path("a.cert.json.witness-2.json.sig")).unwrap();
    let (code, _, err) = run(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &[]));
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("is missing"), "{err}");
    fs::remove_file(d.path("a.cert.json.witness-2.json")).unwrap();
    verify_json(&d, &cert);

    // A countersignature moved to another certificate, valid as it is.
    d.pack_small("b", "APP-WIT-2", "調査", "2026-03-16", PACKED);
    d.handover("b", "2026-03-02T11:00:00+09:00");
    let other = d.certify("b", false, "2026-03-10T15:00:00+09:00");
    fs::copy(&statement, d.path("b.cert.json.witness-1.json")).unwrap();
    fs::copy(
        d.path("a.cert.json.witness-1.json.sig"),
        d.path("b.cert.json.witness-1.json.sig"),
    )
    .unwrap();
    let (code, _, err) = run(&d.verify_certificate(&other, "b.clinic.custody", "allowed_signers", &[]));
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("signed for another certificate"), "{err}");
    // The certificate it names is still fine.
    assert_eq!(verify_json(&d, &cert)["witnesses"].as_array().unwrap().len(), 1);
}

#[test]
fn a_witness_not_in_the_signers_is_shown_as_not_established() {
    let d = Desk::new();
    let cert = certified(&d);
    let stranger = witness_key(&d, "stranger@elsewhere.test", false);
    ok(&countersign(&d, &cert, &stranger, "名乗る人（ダミー）", "立会人", &[]));
    let v = verify_json(&d, &cert);
    assert_eq!(v["valid"], true);
    assert_eq!(v["witnesses"][0]["trusted"], false, "{v:#}");
    assert_eq!(v["witnesses"][0]["principal"], serde_json::Value::Null);
    let out = ok(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--lang", "en"]));
    assert!(
        stdout_of(&out).contains("is NOT in your allowed signers: who signed is not established"),
        "{}",
        stdout_of(&out)
    );
    ok(d.kura()
        .args(["certificate", "render", "-o", "cert.html"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert));
    let page = d.read("cert.html");
    assert!(page.contains("署名者が未登録（誰の署名か未確認）"), "{page}");
    assert!(!page.contains("署名確認済み（登録済み）"));
}

#[test]
fn a_witness_time_that_is_not_evidence_is_flagged() {
    let d = Desk::new();
    let cert = certified(&d);
    // A clock set by hand to before the certificate was issued.
    ok(d.kura()
        .env("KURA_NOW", "2026-03-09T09:00:00+09:00")
        .args(["certificate", "countersign"])
        .arg(&cert)
        .arg("-i")
        .arg(&d.clinic.private)
        .args(["--name", "院長 山田（ダミー）", "--role", "院長"]));
    let w = &verify_json(&d, &cert)["witnesses"][0];
    assert_eq!(
        (&w["time_hand_set"], &w["time_before_certificate"]),
        (&serde_json::json!(true), &serde_json::json!(true)),
        "{w:#}"
    );
    let out = ok(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--lang", "ja"]));
    let text = stdout_of(&out);
    assert!(text.contains("日時は手で設定されたもので、証拠になりません"), "{text}");
    assert!(text.contains("証明書の発行より前の日時です"), "{text}");
    // One signed by the computer's clock, after the certificate, is not.
    let nurse = witness_key(&d, "nurse@clinic.test", true);
    ok(&countersign(&d, &cert, &nurse, "佐藤 花子（ダミー）", "職員", &[]));
    let w = &verify_json(&d, &cert)["witnesses"][1];
    assert_eq!(
        (&w["time_hand_set"], &w["time_before_certificate"]),
        (&serde_json::json!(false), &serde_json::json!(false)),
        "{w:#}"
    );
}

#[test]
fn countersign_refuses_the_issuer_a_second_signature_and_empty_names_writing_nothing() {
    let d = Desk::new();
    let cert = certified(&d);
    let alone = beside(&cert);
    let (code, _, err) = run(&countersign(&d, &cert, &d.engineer.private, "x", "y", &[]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("someone other than the issuer"), "{err}");
    let (code, _, err) = run(&countersign(&d, &cert, &d.clinic.private, " ", "院長", &[]));
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&countersign(
        &d,
        &cert,
        &d.clinic.private,
        "院長",
        "",
        &["--lang", "ja"],
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--role を空にはできません"), "{err}");
    assert_eq!(beside(&cert), alone, "a refusal wrote something");

    director_countersigns(&d, &cert);
    let (code, _, err) = run(&countersign(
        &d,
        &cert,
        &d.clinic.private,
        "院長 山田（ダミー）",
        "院長",
        &[],
    ));
    assert_eq!(code, 9, "{err}");
    assert_eq!(beside(&cert).len(), alone.len() + 2);

    // An altered certificate is not countersigned.
    let text = fs::read_to_string(&cert).unwrap();
    fs::write(&cert, text.replacen("APP-WIT-1", "APP-WIT-9", 1)).unwrap();
    let nurse = witness_key(&d, "nurse@clinic.test", true);
    let (code, _, err) = run(&countersign(&d, &cert, &nurse, "佐藤", "職員", &[]));
    assert_eq!(code, 6, "{err}");
    assert_eq!(beside(&cert).len(), alone.len() + 2);
}

#[test]
fn a_countersign_killed_between_its_two_files_leaves_no_witness() {
    let d = Desk::new();
    let cert = certified(&d);
    let nurse = witness_key(&d, "nurse@clinic.test", true);
    let out = d
        .kura()
        .env("KURA_TEST_ABORT_AT", "countersign-signed")
        .args(["certificate", "countersign"])
        .arg(&cert)
        .arg("-i")
        .arg(&nurse)
        .args(["--name", "佐藤 花子（ダミー）", "--role", "職員"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "the abort point was not reached");
    // Only the signature was written: no statement, so no witness.
    assert_eq!(
        beside(&cert),
        ["a.cert.json", "a.cert.json.sig", "a.cert.json.witness-1.json.sig"]
    );
    assert_eq!(verify_json(&d, &cert)["witnesses"], serde_json::json!([]));
    // Signing again takes the next number; the stray signature stays unread.
    ok(&countersign(&d, &cert, &nurse, "佐藤 花子（ダミー）", "職員", &[]));
    let v = verify_json(&d, &cert);
    assert_eq!(v["witnesses"].as_array().unwrap().len(), 1, "{v:#}");
    assert!(v["witnesses"][0]["statement"]
        .as_str()
        .unwrap()
        .ends_with("a.cert.json.witness-2.json"));
}

/// The text of page `n` of `pdf`, as laid out.
fn page_text(pdf: &Path, n: usize) -> String {
    let n = n.to_string();
    let out = tool_ok("pdftotext", ["-layout", "-f", &n, "-l", &n, pdf.to_str().unwrap(), "-"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether `line` is a row of the custody table: its record number, then
/// its date.
fn custody_row(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!((words.next(), words.next()), (Some(seq), Some(date))
        if seq.bytes().all(|b| b.is_ascii_digit())
            && date.len() == 10
            && date.as_bytes()[4] == b'-'
            && date.starts_with("20"))
}

#[test]
fn the_printed_certificate_has_a_first_page_to_file_and_a_numbered_annex() {
    let d = Desk::new();
    d.pack_small("a", "APP-PAGE-1", "レセプト不具合の調査", "2026-03-16", PACKED);
    d.handover("a", "2026-03-02T11:00:00+09:00");
    // A long chain, so that its table runs over pages.
    for i in 0..45 {
        d.record(
            "a",
            "note",
            "engineer.key",
            "2026-03-03T09:00:00+09:00",
            &["--note", &format!("作業メモ {i}（ダミー）")],
        );
    }
    // Four plaintext copies besides the vault: more items than the first
    // page lists.
    let mut copies = Vec::new();
    for i in 0..4 {
        let p = format!("copy{i}.csv");
        d.write(&p, "id,name\n00000001,DUMMY\n");
        copies.push(p);
    }
    let mut certify = d.kura();
    certify
        .env("KURA_NOW", "2026-03-10T15:00:00+09:00")
        .args(["certify", "a.kura", "--deleted"])
        .args(&copies)
        .args(["-i", "engineer.key", "-o", "a.cert.json"]);
    ok(&mut certify);
    let cert = d.path("a.cert.json");
    // Four witnesses: more than the first page lists.
    for (i, name) in ["佐藤 花子", "鈴木 一郎", "高橋 次郎", "田中 三郎"].iter().enumerate() {
        let key = witness_key(&d, &format!("w{i}@clinic.test"), true);
        ok(&countersign(
            &d,
            &cert,
            &key,
            &format!("{name}（ダミー）"),
            "医療機関職員",
            &[],
        ));
    }
    ok(d.kura()
        .args(["certificate", "render", "-o", "cert.html"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert));
    chromium(&d.cwd, &["--print-to-pdf=cert.pdf"], &d.path("cert.html"));
    let pdf = d.path("cert.pdf");
    let info = String::from_utf8_lossy(&tool_ok("pdfinfo", [&pdf]).stdout).into_owned();
    assert!(info.contains("(A4)"), "not A4:\n{info}");
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo gives the page count");
    assert!(pages >= 3, "{pages} pages: the chain should run over the annex");
    let c: serde_json::Value = serde_json::from_slice(&fs::read(&cert).unwrap()).unwrap();
    let id = c["certificate_id"].as_str().unwrap();

    // Page 1 stands alone: what a clinic files, signature boxes included.
    let first = page_text(&pdf, 1);
    for needle in [
        "データ消去証明書",
        "Certificate of Data Deletion",
        "検証済み",
        "VERIFIED",
        "医療機関名",
        "記載なし（承認に医療機関の署名がありません",
        "APP-PAGE-1",
        "院長 山田（ダミー）",
        "データを消去しました",
        "engineer@kura.test",
        "Clear（上書き消去）",
        "残存なし",
        "佐藤 花子（ダミー）",
        "高橋 次郎（ダミー）",
        "ほか 1 名",
        "ほか 1 件",
        "保管庫",
        "平文の複製",
        "消去済み",
        "実施者",
        "立会人",
        "医療機関確認",
        "氏名",
        "印",
    ] {
        assert!(first.contains(needle), "page 1 lacks {needle:?}:\n{first}");
    }
    // No machine word is left for a person to read on page 1, and the
    // hashes and the chain wait for the annex.
    for raw in ["plaintext-copy", "nothing remains", "\"clear\"", "Annex", "別紙:"] {
        assert!(!first.contains(raw), "page 1 shows {raw:?}:\n{first}");
    }
    let vault_hash = c["items"][0]["blake3"].as_str().unwrap();
    assert!(!first.contains(&vault_hash[..16]), "a hash on page 1");
    assert!(
        page_text(&pdf, 2).contains("別紙: 証明書の全内容"),
        "the annex starts on page 2"
    );

    // Every page carries the certificate id and its number.
    let mut custody_pages = 0;
    for n in 1..=pages {
        let text = page_text(&pdf, n);
        assert!(text.contains(id), "page {n} lacks the certificate id");
        assert!(
            text.contains(&format!("ページ / Page {n} / {pages}")),
            "page {n} lacks its number:\n{text}"
        );
        // A page that holds custody rows holds the table's header too
        // (it is repeated on each page the table runs over).
        if text.lines().any(custody_row) {
            custody_pages += 1;
            assert!(
                text.contains("記録のハッシュ") && text.contains("Record hash"),
                "page {n} has custody rows without their header:\n{text}"
            );
        }
    }
    assert!(
        custody_pages >= 2,
        "the chain fits one page: the header check proved nothing"
    );

    // Hashes break between groups of 16 digits, never one digit to a line.
    let all = String::from_utf8_lossy(&tool_ok("pdftotext", [pdf.to_str().unwrap(), "-"]).stdout).into_owned();
    for group in vault_hash.as_bytes().chunks(16) {
        let group = std::str::from_utf8(group).unwrap();
        assert!(all.contains(group), "the vault's hash is split inside {group}");
    }
}
