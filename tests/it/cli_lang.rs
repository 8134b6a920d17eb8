//! Japanese and English: the language comes from LC_ALL, LC_MESSAGES or
//! LANG (in that order) and `--lang` overrides it; errors, `--help`, usage
//! errors and reports follow it; times are shown in the local time zone.

use std::process::Command;

use crate::common::*;

/// kura with no locale variables set but those given.
fn kura_in(locale: &[(&str, &str)]) -> Command {
    let mut c = kura();
    c.env_remove("LC_ALL").env_remove("LC_MESSAGES").env_remove("LANG");
    for (k, v) in locale {
        c.env(k, v);
    }
    c
}

fn has_japanese(s: &str) -> bool {
    s.chars()
        .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The one error line kura prints, and its exit code.
fn error_line(c: &mut Command) -> (i32, String) {
    let (code, stdout, stderr) = run(c);
    assert!(stdout.is_empty(), "errors go to stderr, not stdout: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "one error line: {stderr}");
    (code, stderr.trim_end().to_string())
}

#[test]
fn errors_are_in_japanese_under_a_japanese_locale() {
    let (code, line) = error_line(kura_in(&[("LANG", "ja_JP.UTF-8")]).args(["inspect", "nowhere.kura"]));
    assert_eq!(code, 10);
    assert!(line.starts_with("kura: エラー: "), "{line}");
    assert!(line.contains("nowhere.kura.custody"), "{line}");
    assert!(line.contains("管理記録"), "{line}");
}

#[test]
fn lang_ja_overrides_an_english_locale() {
    let (code, line) = error_line(kura_in(&[("LC_ALL", "C")]).args(["--lang", "ja", "inspect", "nowhere.kura"]));
    assert_eq!(code, 10);
    assert!(line.starts_with("kura: エラー: "), "{line}");
    // Anywhere on the line, and in the --lang=xx form.
    let (_, line) = error_line(kura_in(&[("LC_ALL", "C")]).args(["inspect", "nowhere.kura", "--lang=ja"]));
    assert!(line.starts_with("kura: エラー: "), "{line}");
}

#[test]
fn errors_are_in_english_under_the_c_locale_and_with_lang_en() {
    let (code, line) = error_line(kura_in(&[("LC_ALL", "C")]).args(["inspect", "nowhere.kura"]));
    assert_eq!(code, 10);
    assert!(line.starts_with("kura: error: "), "{line}");
    assert!(line.contains("custody log"), "{line}");
    assert!(!has_japanese(&line), "{line}");
    let (_, line) = error_line(kura_in(&[("LANG", "ja_JP.UTF-8")]).args(["--lang", "en", "inspect", "x.kura"]));
    assert!(line.starts_with("kura: error: "), "{line}");
}

#[test]
fn the_locale_variables_are_read_in_posix_order() {
    // LC_ALL wins over LANG.
    let (_, line) = error_line(kura_in(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")]).args(["inspect", "x.kura"]));
    assert!(line.starts_with("kura: error: "), "{line}");
    // LC_MESSAGES wins over LANG.
    let (_, line) =
        error_line(kura_in(&[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "en_US.UTF-8")]).args(["inspect", "x.kura"]));
    assert!(line.starts_with("kura: エラー: "), "{line}");
    // Nothing set: English.
    let (_, line) = error_line(kura_in(&[]).args(["inspect", "x.kura"]));
    assert!(line.starts_with("kura: error: "), "{line}");
}

#[test]
fn help_is_in_japanese_under_a_japanese_locale() {
    let out = ok(kura_in(&[("LANG", "ja_JP.UTF-8")]).args(["pack", "--help"]));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("ファイルやフォルダを暗号化・署名付きの保管庫に格納する"),
        "{help}"
    );
    assert!(help.contains("使い方: kura pack"), "{help}");
    assert!(help.contains("オプション:"), "{help}");
    assert!(help.contains("共通オプション:"), "{help}");
    assert!(help.contains("--approval-id <ID>"), "{help}");
    assert!(help.contains("医療機関の承認番号"), "{help}");
    assert!(!help.contains("Usage:"), "{help}");
    // The command list and the top-level description too.
    let out = ok(kura_in(&[]).args(["--lang", "ja", "--help"]));
    let top = String::from_utf8_lossy(&out.stdout);
    assert!(top.contains("コマンド:"), "{top}");
    assert!(top.contains("患者の氏名を書かないでください"), "{top}");
    // `kura help custody add` explains the same command.
    let out = ok(kura_in(&[("LANG", "ja_JP.UTF-8")]).args(["help", "custody", "add"]));
    let add = String::from_utf8_lossy(&out.stdout);
    assert!(add.contains("署名付きの記録を追加する"), "{add}");
}

#[test]
fn help_is_in_english_otherwise() {
    let out = ok(kura_in(&[("LANG", "ja_JP.UTF-8")]).args(["--lang", "en", "pack", "--help"]));
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Pack files and folders into an encrypted, signed vault"),
        "{help}"
    );
    assert!(help.contains("Usage: kura pack"), "{help}");
    assert!(help.contains("The clinic's approval number"), "{help}");
    assert!(!has_japanese(&help.replace("…", "")), "{help}");
}

#[test]
fn usage_errors_follow_the_language() {
    let (code, _, err) = run(kura_in(&[("LANG", "ja_JP.UTF-8")]).args(["pack", "--nonsense"]));
    assert_eq!(code, 2);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("kura: エラー: "), "{err}");
    assert!(first.contains("--nonsense"), "{err}");
    assert!(err.contains("使い方: kura pack"), "{err}");
    assert!(err.contains("kura pack --help"), "{err}");

    let (code, _, err) = run(kura_in(&[("LC_ALL", "C")]).args(["--lang", "xx", "inspect", "v.kura"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("kura: error: \"xx\" is not a valid value for --lang"),
        "{err}"
    );
    assert!(err.contains("possible values: ja, en"), "{err}");

    let (code, _, err) = run(kura_in(&[("LC_ALL", "C")]).args(["--lang", "ja", "inspect"]));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("kura: エラー: 必要な引数が指定されていません: <VAULT>"),
        "{err}"
    );
}

#[test]
fn reports_are_in_japanese_and_times_in_the_local_zone() {
    let desk = Desk::new();
    // Packed at 01:30 UTC: 10:30 in Tokyo, 20:30 the day before in New York.
    desk.pack_small(
        "x",
        "APP-7",
        "調査（ダミー）",
        "2026-12-31",
        "2026-11-24T01:30:00+00:00",
    );
    let show = |tz: &str, lang: &str| {
        let out = ok(desk
            .kura()
            .env("TZ", tz)
            .env("KURA_NOW", "2026-11-25T00:00:00+00:00")
            .args(["--lang", lang, "inspect", "x.kura"]));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let ja = show("Asia/Tokyo", "ja");
    assert!(ja.contains("承認番号"), "{ja}");
    assert!(ja.contains("作成日時"), "{ja}");
    assert!(ja.contains("2026-11-24 10:30:00 +09:00"), "{ja}");
    let en = show("America/New_York", "en");
    assert!(en.contains("approval id"), "{en}");
    assert!(en.contains("2026-11-23 20:30:00 -05:00"), "{en}");
    assert!(
        !has_japanese(&en.replace("調査（ダミー）", "").replace("院長 山田（ダミー）", "")),
        "{en}"
    );

    let out = ok(desk.kura().args(["--lang", "ja", "custody", "show", "x.kura"]));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("日時") && table.contains("事象"), "{table}");
    // Events read in Japanese, and the columns line up: every row's time
    // starts in the same column as the header's.
    assert!(table.contains("作成"), "{table}");
    let col = |line: &str| unicode_width::UnicodeWidthStr::width(&line[..line.find("2026").unwrap_or(0)]);
    let rows: Vec<&str> = table.lines().skip(1).filter(|l| l.contains("2026")).collect();
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(col(r), col(rows[0]), "{table}");
    }
    let header = table.lines().next().unwrap();
    let event_col = |line: &str, word: &str| unicode_width::UnicodeWidthStr::width(&line[..line.find(word).unwrap()]);
    assert_eq!(event_col(header, "事象"), event_col(rows[0], "作成"), "{table}");
}
