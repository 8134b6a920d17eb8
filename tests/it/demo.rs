//! `kura demo`: the README's first command runs the whole flow end to end.

use crate::common::{assert_empty_dir, assert_refused, describe, json, kura, listing, ok, run, shell, stdout_of, Meta};

#[test]
fn the_demo_runs_the_whole_flow_and_leaves_only_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = ok(kura().arg("demo").arg("--keep").arg(&dir));
    let text = String::from_utf8_lossy(&out.stdout);
    for step in [
        "$ kura keygen",
        "$ kura approve",
        "$ kura pack",
        "$ kura inspect",
        "$ kura custody add",
        "$ kura ledger add",
        "$ kura verify",
        "$ kura extract",
        "$ kura certify",
        "$ kura certificate verify",
        "$ kura ledger close",
        "$ kura certificate render",
    ] {
        assert!(text.contains(step), "the demo lacks {step:?}:\n{text}");
    }
    assert!(text.contains("This certificate is valid"), "{text}");
    // The vault and the extracted copy are destroyed; the evidence stays.
    assert!(!dir.join("export.kura").exists());
    assert!(!dir.join("work").exists());
    for kept in [
        "export.kura.custody",
        "certificate.json",
        "certificate.json.sig",
        "certificate.html",
        "ledger.sqlite",
    ] {
        assert!(dir.join(kept).exists(), "{kept} missing");
    }
}

#[test]
fn under_json_the_demo_prints_one_document() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(kura().args(["demo", "--json", "--keep"]).arg(tmp.path().join("d")));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert!(v["steps"].as_u64().unwrap() >= 14, "{v}");
    let (code, stdout, _) = run(kura()
        .args(["--lang", "ja", "demo", "--quiet", "--keep"])
        .arg(tmp.path().join("q")));
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
}

/// The words a POSIX shell makes of `line` (no command is run: `set --`
/// only splits and unquotes).
fn shell_words(line: &str) -> Vec<String> {
    let out = shell(
        std::path::Path::new("/"),
        &format!("set -- {line}\nprintf '%s\\0' \"$@\""),
    );
    assert!(out.status.success(), "sh cannot read {line:?}: {}", describe(&out));
    stdout_of(&out)
        .split('\0')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The word after `flag` in `words`.
fn value_of<'a>(words: &'a [String], flag: &str) -> &'a str {
    let at = words
        .iter()
        .position(|w| w == flag)
        .unwrap_or_else(|| panic!("no {flag} in {words:?}"));
    &words[at + 1]
}

#[test]
fn the_printed_commands_can_be_pasted_into_a_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(kura().arg("demo").arg("--keep").arg(tmp.path().join("d")));
    let text = stdout_of(&out);
    let commands: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("$ ")).collect();
    assert!(commands.len() >= 14, "{text}");
    let mut seen = 0;
    for line in &commands {
        let words = shell_words(line);
        assert_eq!(words[0], "kura", "{line}");
        // The clinic's approval carries the approver and the purpose; the
        // pack is made under it.
        if words[1] == "approve" {
            assert_eq!(value_of(&words, "--approved-by"), "院長 山田（ダミー）", "{line}");
            assert_eq!(value_of(&words, "--purpose"), "レセプト不具合の調査 (dummy)", "{line}");
            seen += 1;
        }
        if words[1] == "pack" {
            assert_eq!(value_of(&words, "--approval"), "APPROVAL.json", "{line}");
            assert_eq!(value_of(&words, "--clinic-signers"), "clinic_signers", "{line}");
            seen += 1;
        }
        if words[1..3] == ["custody", "add"] {
            assert_eq!(value_of(&words, "--event"), "handover", "{line}");
            assert_eq!(value_of(&words, "--note"), "USB stick #3", "{line}");
            seen += 1;
        }
        if words[1] == "certify" {
            assert_eq!(value_of(&words, "--issuer-name"), "技術 一郎（ダミー）", "{line}");
            seen += 1;
        }
    }
    assert_eq!(seen, 4, "approve, pack, hand-over and certify: {commands:#?}");
    // Quoted only where a shell needs it.
    assert!(text.contains("$ kura inspect export.kura\n"), "{text}");
    assert!(text.contains("--approved-by '院長 山田（ダミー）'"), "{text}");
    assert!(text.contains("--note 'USB stick #3'"), "{text}");
}

#[test]
fn the_demo_says_its_folder_is_removed_at_the_end_and_removes_it() {
    for (lang, start, end) in [
        ("en", "which is removed at the end", "has been removed"),
        ("ja", "フォルダーは終了時に削除します", "を削除しました"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = ok(kura().args(["--lang", lang, "demo"]).env("TMPDIR", tmp.path()));
        let text = stdout_of(&out);
        let first = text.lines().next().unwrap_or_default();
        let last = text.lines().last().unwrap_or_default();
        assert!(first.contains(start) && first.contains("kura-demo-"), "{lang}: {first}");
        assert!(last.contains(end) && last.contains("kura-demo-"), "{lang}: {last}");
        assert_empty_dir(tmp.path());
    }
}

#[test]
fn demo_keep_on_a_folder_in_use_is_refused_in_one_line_that_says_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    ok(kura().arg("demo").arg("--keep").arg(&dir));
    let before = listing(&dir, Meta::Full);
    let d = dir.display();
    for (lang, expected) in [
        (
            "en",
            format!("kura: error: {d} already exists and is not an empty folder: give --keep a new or empty folder"),
        ),
        (
            "ja",
            format!(
                "kura: エラー: {d} は既にあり、空のフォルダーではありません。--keep には新しいフォルダーか空のフォルダーを指定してください"
            ),
        ),
    ] {
        let out = kura().args(["--lang", lang, "demo", "--keep"]).arg(&dir).output().unwrap();
        assert_eq!(assert_refused(&out, 9), expected);
        assert!(stdout_of(&out).is_empty(), "{}", describe(&out));
    }
    assert_eq!(listing(&dir, Meta::Full), before, "nothing in the folder changed");
    // A file is no folder to keep the demo in; an empty folder is.
    let file = tmp.path().join("file");
    std::fs::write(&file, b"mine").unwrap();
    assert_refused(&kura().arg("demo").arg("--keep").arg(&file).output().unwrap(), 9);
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = ok(kura().arg("demo").arg("--keep").arg(&empty));
    assert!(
        stdout_of(&out).lines().last().unwrap().contains("stay in"),
        "{}",
        describe(&out)
    );
}
