//! A newcomer's first hour: the mistakes people make on their first runs
//! (a public key given for a private one, a mistyped vault name, a folder as
//! output, a file given to `-r`, a forgotten option) each answered by one
//! line that says what to do next, in English and Japanese; the traps that
//! used to pass silently (packing without one's own key, a mistyped
//! passphrase, a one-character passphrase, a ledger made by merely listing
//! it, an organisation guessed from an e-mail address); and the Japanese
//! and listings a clinic reads.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;
use serde_json::Value;

/// Packed on this day; due by [`DUE`].
const PACKED: &str = "2026-03-02T10:00:00+09:00";
const DUE: &str = "2026-03-31";

/// The message of a refusal with exit `code`, without `kura: error: `.
fn refusal(out: &Output, code: i32) -> String {
    let line = assert_refused(out, code);
    ["kura: error: ", "kura: エラー: "]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .expect("a prefixed line")
        .to_string()
}

/// The four approval options, due long after any day these tests run on
/// (the commands of a `Desk::new` run on the computer's clock).
fn approval() -> Vec<OsString> {
    with(approval_args(), "--delete-by", "2099-12-31")
}

/// `kura pack -o OUT` of `data/` (one small file), with `extra` arguments
/// (recipients, key) and the four approval options.
fn pack_data(desk: &Desk, out: &str, extra: &[&str]) -> Vec<OsString> {
    desk.write("data/list_dummy.csv", "id,name\n00000001,DUMMY\n");
    let mut a = osargs!["pack", "-o", out];
    a.extend(extra.iter().map(OsString::from));
    a.extend(approval());
    a.push("data".into());
    a
}

/// `args` in Japanese (`--lang ja` first).
fn ja(args: Vec<OsString>) -> Vec<OsString> {
    [osargs!["--lang", "ja"], args].concat()
}

/// A desk with `a.kura` packed for both keys at [`PACKED`].
fn packed() -> Desk {
    let d = Desk::new();
    d.pack_small("a", "APP-101", "check", DUE, PACKED);
    d
}

// ------------------------------------------------ messages that point the way

#[test]
fn a_public_key_given_for_the_private_one_is_named_with_the_private_one() {
    let d = Desk::new();
    let r = "-r";
    let line = d.clinic.line.as_str();
    let args = pack_data(&d, "x.kura", &[r, line, "-i", "engineer.key.pub"]);
    assert_eq!(
        refusal(&d.run(&args), 4),
        "engineer.key.pub is a public key: give -i your private key, engineer.key (the same name without .pub)"
    );
    let ja = ja(args);
    assert_eq!(
        refusal(&d.run(&ja), 4),
        "engineer.key.pub は公開鍵です。-i には秘密鍵 engineer.key（.pub を除いた名前のファイル）を指定してください"
    );
    // A recipients file has no private key beside it to name.
    d.write("clinic.recipients", &format!("# the clinic\n{}\n", d.clinic.line));
    let args = pack_data(&d, "x.kura", &[r, line, "-i", "clinic.recipients"]);
    assert_eq!(
        refusal(&d.run(&args), 4),
        "clinic.recipients holds public keys, not a private key: give -i your private key \
         (for a key made with kura keygen -o NAME, that is NAME, not NAME.pub)"
    );
    assert_absent(&d.path("x.kura"));
}

#[test]
fn a_mistyped_vault_is_said_to_be_missing_not_its_log() {
    let d = packed();
    for cmd in [
        osargs!["verify", "a.kuar", "-i", "engineer.key"],
        osargs!["extract", "a.kuar", "-i", "engineer.key", "-C", "out"],
        osargs!["contents", "a.kuar", "-i", "engineer.key"],
    ] {
        assert_eq!(
            refusal(&d.run(&cmd), 10),
            "there is no vault a.kuar: check the vault's name and folder",
            "{cmd:?}"
        );
    }
    // The commands that also work once the vault is gone (destroyed, lost)
    // say it of both.
    for cmd in [
        osargs!["inspect", "a.kuar"],
        osargs!["custody", "show", "a.kuar"],
        osargs!["custody", "verify", "a.kuar"],
        osargs!["certify", "a.kuar", "--deleted", "-i", "engineer.key", "-o", "c.json"],
        osargs!["custody", "add", "a.kuar", "--event", "note", "-i", "engineer.key"],
    ] {
        assert_eq!(
            refusal(&d.run(&cmd), 10),
            "there is no vault a.kuar (nor its custody log a.kuar.custody): check the vault's name and folder",
            "{cmd:?}"
        );
    }
    let out = d.run(["--lang", "ja", "verify", "a.kuar", "-i", "engineer.key"]);
    assert_eq!(
        refusal(&out, 10),
        "保管庫 a.kuar がありません。保管庫の名前と場所を確かめてください"
    );
    let out = d.run(["--lang", "ja", "inspect", "a.kuar"]);
    assert_eq!(
        refusal(&out, 10),
        "保管庫 a.kuar がありません（管理記録 a.kuar.custody もありません）。保管庫の名前と場所を確かめてください"
    );
    // A vault whose log alone is missing is still told so.
    std::fs::rename(d.path("a.kura.custody"), d.path("kept.custody")).unwrap();
    let line = refusal(&d.run(["verify", "a.kura", "-i", "engineer.key"]), 10);
    assert!(line.starts_with("the custody log a.kura.custody is missing"), "{line}");
}

#[test]
fn a_folder_given_as_the_output_asks_for_a_file_name_inside_it() {
    let d = Desk::new();
    d.mkdir("usbdir");
    let line = d.clinic.line.clone();
    for force in [false, true] {
        let mut extra = vec!["-r", &line, "-i", "engineer.key"];
        if force {
            extra.push("--force");
        }
        let out = d.run(pack_data(&d, "usbdir", &extra));
        assert_eq!(
            refusal(&out, 2),
            "usbdir is a folder: give a file name inside it, such as usbdir/export.kura"
        );
    }
    assert_empty_dir(&d.path("usbdir"));
    let ja = ja(pack_data(&d, "usbdir", &["-r", &line, "-i", "engineer.key"]));
    assert_eq!(
        refusal(&d.run(ja), 2),
        "usbdir はフォルダーです。その中のファイル名を指定してください（例: usbdir/export.kura）"
    );
}

#[test]
fn a_file_given_to_r_is_pointed_to_capital_r() {
    let d = Desk::new();
    let out = d.run(pack_data(&d, "x.kura", &["-r", "clinic.key.pub", "-i", "engineer.key"]));
    assert_eq!(
        refusal(&out, 2),
        "-r takes a key itself, and clinic.key.pub is a file: give a file of recipients with -R clinic.key.pub"
    );
    // Which works.
    ok(&d.run(pack_data(
        &d,
        "x.kura",
        &["-R", "clinic.key.pub", "-R", "engineer.key.pub", "-i", "engineer.key"],
    )));
}

#[test]
fn certify_and_certificate_verify_say_in_one_line_what_to_add() {
    let d = packed();
    d.handover("a", "2026-03-02T11:00:00+09:00");
    let out = d.run(["certify", "a.kura", "-i", "engineer.key", "-o", "c.json"]);
    assert_eq!(
        refusal(&out, 2),
        "say what to certify: add --deleted [PATH…] if the data was destroyed, or --returned if the medium is handed back"
    );
    let out = d.run([
        "--lang",
        "ja",
        "certify",
        "a.kura",
        "-i",
        "engineer.key",
        "-o",
        "c.json",
    ]);
    assert_eq!(
        refusal(&out, 2),
        "証明する内容を指定してください。データを消去したなら --deleted [パス…]、媒体を返却するなら --returned を付けてください"
    );
    assert_absent(&d.path("c.json"));
    let cert = d.certify("a", false, "2026-03-10T09:00:00+09:00");
    let verify = |extra: &[&str]| {
        let mut c = d.kura();
        c.args(["certificate", "verify"]).arg(&cert).args(extra);
        c.output().unwrap()
    };
    assert_eq!(
        refusal(&verify(&["--signers", "allowed_signers"]), 2),
        "add --custody CLINIC_COPY: your own copy of the custody log, kept at hand-over, which the certificate is checked against"
    );
    assert_eq!(
        refusal(&verify(&["--lang", "ja", "--signers", "allowed_signers"]), 2),
        "--custody 控えのファイル を付けてください。受け渡しの時に保存した管理記録の控えで、証明書はこれと照合します"
    );
    assert_eq!(
        refusal(&verify(&["--custody", "a.clinic.custody"]), 2),
        "add --signers FILE: the allowed_signers file naming who may sign certificates"
    );
    assert_eq!(
        refusal(&verify(&["--lang", "ja", "--custody", "a.clinic.custody"]), 2),
        "--signers ファイル を付けてください。証明書に署名してよい人を載せた allowed_signers ファイルです"
    );
    ok(&verify(&[
        "--custody",
        "a.clinic.custody",
        "--signers",
        "allowed_signers",
    ]));
}

#[test]
fn a_file_that_is_not_there_is_named_with_its_option() {
    let d = packed();
    let line = d.clinic.line.clone();
    let cases: Vec<(Vec<OsString>, &str)> = vec![
        (pack_data(&d, "x.kura", &["-r", &line, "-i", "kura_enginer"]), "-i"),
        (
            pack_data(&d, "x.kura", &["-R", "clinic.recipients", "-i", "engineer.key"]),
            "-R",
        ),
        (
            pack_data(
                &d,
                "x.kura",
                &["-r", &line, "-i", "engineer.key", "--approval-doc", "approval.pdf"],
            ),
            "--approval-doc",
        ),
        (
            osargs!["verify", "a.kura", "-i", "engineer.key", "--signers", "alowed"],
            "--signers",
        ),
        (osargs!["inspect", "a.kura", "--custody", "copy.custody"], "--custody"),
        (
            osargs!["custody", "add", "a.kura", "--event", "note", "-i", "clinc.key"],
            "-i",
        ),
    ];
    for (args, option) in cases {
        let name = args
            .iter()
            .position(|a| a == option)
            .map(|i| args[i + 1].to_string_lossy().into_owned())
            .unwrap();
        assert_eq!(
            refusal(&d.run(&args), 10),
            format!("{name} (given with {option}) does not exist: check the name and folder"),
            "{args:?}"
        );
    }
    let ja = ja(pack_data(&d, "x.kura", &["-r", &line, "-i", "kura_enginer"]));
    assert_eq!(
        refusal(&d.run(ja), 10),
        "-i で指定した kura_enginer がありません。名前と場所を確かめてください"
    );
}

#[test]
fn every_missing_approval_field_is_named_at_once() {
    let d = Desk::new();
    d.write("data/a.txt", "dummy\n");
    let line = d.clinic.line.clone();
    let bare = osargs!["pack", "-o", "x.kura", "-r", line, "-i", "engineer.key", "data"];
    assert_eq!(
        refusal(&d.run(&bare), 3),
        "the clinic's written approval is incomplete: add --approval-id, --approved-by, --purpose, --delete-by as the approval states"
    );
    let ja = ja(bare);
    assert_eq!(
        refusal(&d.run(&ja), 3),
        "医療機関の書面承認の記録が不足しています。承認書の内容どおりに --approval-id, --approved-by, --purpose, --delete-by を指定してください"
    );
    // Two of them.
    let args = without(
        without(
            pack_data(&d, "x.kura", &["-r", &line, "-i", "engineer.key"]),
            "--purpose",
        ),
        "--approval-id",
    );
    assert_eq!(
        refusal(&d.run(&args), 3),
        "the clinic's written approval is incomplete: add --approval-id, --purpose as the approval states"
    );
}

// ------------------------------------------------------------ silent traps

#[test]
fn packing_without_ones_own_key_warns_and_says_how_to_add_it() {
    let d = Desk::new();
    d.write("clinic.recipients", &format!("{}\n", d.clinic.line));
    let out = ok(&d.run(pack_data(
        &d,
        "x.kura",
        &["-R", "clinic.recipients", "-i", "engineer.key"],
    )));
    let fp = json(&ok(&d.run(["inspect", "x.kura", "--json"])))["packer"]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let last = stdout_of(&out).lines().last().unwrap().to_string();
    assert_eq!(
        last,
        format!(
            "Note: your own key ({fp}) is not among the recipients, so you cannot open this vault yourself \
             (at the office it would say \"not addressed to you\"). If you need to, pack again adding \
             -r \"$(cat engineer.key.pub)\""
        )
    );
    let v = json(&ok(&d.run(
        [
            pack_data(&d, "y.kura", &["-R", "clinic.recipients", "-i", "engineer.key"]),
            osargs!["--json"],
        ]
        .concat(),
    )));
    assert_eq!(v["packer_is_recipient"], false);
    // With it, no note.
    let out = ok(&d.run(pack_data(
        &d,
        "z.kura",
        &[
            "-R",
            "clinic.recipients",
            "-r",
            d.engineer.line.as_str(),
            "-i",
            "engineer.key",
        ],
    )));
    assert!(!stdout_of(&out).contains("Note:"), "{}", stdout_of(&out));
    let v = json(&ok(&d.run(["inspect", "z.kura", "--json"])));
    assert_eq!(v["recipients"].as_array().unwrap().len(), 2);
    let ja = ok(&d.run(
        [
            osargs!["--lang", "ja"],
            pack_data(&d, "w.kura", &["-R", "clinic.recipients", "-i", "engineer.key"]),
        ]
        .concat(),
    ));
    assert!(
        stdout_of(&ja).contains(&format!(
            "注意: あなた自身の鍵（{fp}）が受取人に入っていないため、この保管庫をあなたは開けません"
        )),
        "{}",
        stdout_of(&ja)
    );
}

/// Runs kura in `dir` under a pseudo-terminal (util-linux `script`),
/// typing `answers` one by one, each once `prompt` has been drawn one more
/// time; returns (exit code, screen).
fn answered(dir: &Path, args: &[&str], prompt: &str, answers: &[&str]) -> (i32, String) {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let line: Vec<String> = std::iter::once(KURA)
        .chain(args.iter().copied())
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let mut child = command("script")
        .current_dir(dir)
        .env("TERM", "dumb")
        .args(["-q", "-e", "-c", &line.join(" "), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs");
    let mut keys = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let mut screen_out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = screen_out.read(&mut buf) {
            let _ = tx.send(buf[..n].to_vec());
        }
    });
    let mut screen = Vec::new();
    for (typed, answer) in answers.iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(30);
        while String::from_utf8_lossy(&screen).matches(prompt).count() <= typed && Instant::now() < deadline {
            if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(50)) {
                screen.extend(bytes);
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = writeln!(keys, "{answer}");
    }
    drop(keys);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    screen.extend(rx.try_iter().flatten());
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&screen).into_owned(),
    )
}

/// An encrypted key `dir/enc.key` (passphrase "correct horse battery").
fn encrypted_key(dir: &Path) {
    std::fs::write(dir.join("pass"), "correct horse battery\n").unwrap();
    ok(kura().current_dir(dir).args([
        "keygen",
        "-o",
        "enc.key",
        "--comment",
        "enc@kura.test",
        "--passphrase-file",
        "pass",
    ]));
}

#[test]
fn a_mistyped_passphrase_is_asked_again_three_times_in_all_on_a_terminal() {
    let d = Desk::new();
    encrypted_key(&d.root);
    d.write("data/a.txt", "dummy\n");
    let line = d.engineer.line.clone();
    let pack = |out: &str| -> Vec<String> {
        let mut a: Vec<String> = ["pack", "-o", out, "-r", &line, "-i", "enc.key"]
            .map(String::from)
            .to_vec();
        a.extend(approval().iter().map(|s| s.to_string_lossy().into_owned()));
        a.push("data".into());
        a
    };
    let args = pack("x.kura");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, screen) = answered(
        &d.root,
        &args,
        "Passphrase for",
        &["wrong", "worse", "correct horse battery"],
    );
    assert_eq!(code, 0, "{screen}");
    assert_eq!(
        screen
            .matches("Wrong passphrase, try again. Passphrase for enc.key:")
            .count(),
        2,
        "{screen}"
    );
    assert!(d.path("x.kura").exists());
    // Three wrong answers: refused, nothing written.
    let args = pack("y.kura");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, screen) = answered(&d.root, &args, "Passphrase for", &["one", "two", "three"]);
    assert_eq!(code, 4, "{screen}");
    assert!(screen.contains("wrong passphrase for enc.key"), "{screen}");
    assert_absent(&d.path("y.kura"));
    // Without a terminal a passphrase file is tried once.
    d.write("bad", "wrong\n");
    let mut a: Vec<OsString> = args.iter().map(OsString::from).collect();
    a.extend(osargs!["--passphrase-file", "bad"]);
    let out = d.kura().args(&a).output().unwrap();
    assert_eq!(refusal(&out, 4), "wrong passphrase for enc.key");
}

#[test]
fn keygen_refuses_a_short_passphrase_on_a_terminal_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (code, screen) = answered(
        dir.path(),
        &["keygen", "-o", "k"],
        "passphrase",
        &["abc1234", "abc1234"],
    );
    assert_eq!(code, 4, "{screen}");
    assert!(
        screen.contains(
            "kura: error: the passphrase is too short: use at least 8 characters (a few words are easy to remember); \
             a short one is soon guessed by whoever gets the key file"
        ),
        "{screen}"
    );
    assert_absent(&dir.path().join("k"));
    let (code, screen) = answered(
        dir.path(),
        &["--lang", "ja", "keygen", "-o", "k"],
        "パスフレーズ",
        &["abc", "abc"],
    );
    assert_eq!(code, 4, "{screen}");
    assert!(
        screen.contains("パスフレーズが短すぎます。8 文字以上にしてください"),
        "{screen}"
    );
    // Eight characters are enough (Japanese ones count as one each).
    let (code, screen) = answered(
        dir.path(),
        &["keygen", "-o", "k"],
        "passphrase",
        &["蔵の鍵はここに置く", "蔵の鍵はここに置く"],
    );
    assert_eq!(code, 0, "{screen}");
    assert!(dir.path().join("k").exists());
}

#[test]
fn listing_a_ledger_that_was_never_set_up_creates_nothing_and_says_how() {
    let d = packed();
    let data = d.path("data-home");
    let at_home = |c: &mut Command| {
        c.env("HOME", d.path("home")).env("XDG_DATA_HOME", &data);
    };
    let mut c = d.kura();
    at_home(&mut c);
    let out = c.args(["ledger", "list"]).output().unwrap();
    let default = data.join("kura/ledger.sqlite");
    assert_eq!(
        refusal(&out, 2),
        format!(
            "no ledger is set up here yet: name one with --ledger FILE or the environment variable \
             KURA_LEDGER=FILE (kura ledger add creates it, by default as {})",
            default.display()
        )
    );
    let mut c = d.kura();
    at_home(&mut c);
    let out = c.args(["--lang", "ja", "ledger", "list"]).output().unwrap();
    assert_eq!(
        refusal(&out, 2),
        format!(
            "この環境にはまだ台帳がありません。--ledger ファイル か環境変数 KURA_LEDGER=ファイル で台帳を指定してください\
             （台帳は kura ledger add で作られます。指定がなければ {} に作られます）",
            default.display()
        )
    );
    assert_absent(&data);
    // Registering an export is what makes it; from then on it is listed.
    let mut c = d.kura();
    at_home(&mut c);
    ok(c.args(["ledger", "add", "a.kura"]));
    let mut c = d.kura();
    at_home(&mut c);
    let v = json(&ok(c.args(["ledger", "list", "--json"])));
    assert_eq!(v["counts"]["total"], 1);
}

#[test]
fn a_certificate_without_an_organisation_leaves_it_empty() {
    let d = packed();
    d.handover("a", "2026-03-02T11:00:00+09:00");
    let cert = d.certify("a", false, "2026-03-10T09:00:00+09:00");
    let c: Value = serde_json::from_slice(&std::fs::read(&cert).unwrap()).unwrap();
    assert_eq!(c["issuer"]["name"], ENGINEER);
    assert!(c["issuer"].get("organisation").is_none(), "{:#}", c["issuer"]);
    let out = ok(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &[]));
    assert!(
        stdout_of(&out).contains(&format!("  issuer: {ENGINEER} / —\n")),
        "{}",
        stdout_of(&out)
    );
    let out = ok(&d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--lang", "ja"]));
    assert!(
        stdout_of(&out).contains(&format!("  発行者: {ENGINEER} / 未記入\n")),
        "{}",
        stdout_of(&out)
    );
}

// ---------------------------------------------------- Japanese and display

#[test]
fn japanese_output_names_events_roles_and_outcomes_in_japanese() {
    let d = packed();
    let out = ok(d
        .custody_add("a.kura", "handover", "clinic.key", &["--lang", "ja"])
        .env("KURA_NOW", "2026-03-02T11:00:00+09:00"));
    assert_eq!(stdout_of(&out), "管理記録 #1（引き渡し）を追加しました\n");
    std::fs::copy(d.path("a.kura.custody"), d.path("a.clinic.custody")).unwrap();
    let out = ok(d.kura().args(["--lang", "ja", "inspect", "a.kura"]));
    assert!(
        stdout_of(&out).contains("管理記録           2 (引き渡し)\n"),
        "{}",
        stdout_of(&out)
    );
    let out = ok(d.kura().env("KURA_NOW", "2026-03-10T09:00:00+09:00").args([
        "--lang",
        "ja",
        "certify",
        "a.kura",
        "--deleted",
        "-i",
        "engineer.key",
        "-o",
        "c.json",
    ]));
    assert!(
        stdout_of(&out).contains("管理記録 #2（消去）を追加しました\n"),
        "{}",
        stdout_of(&out)
    );
    let out = ok(&d.verify_certificate(
        &d.path("c.json"),
        "a.clinic.custody",
        "allowed_signers",
        &["--lang", "ja"],
    ));
    let text = stdout_of(&out);
    assert!(text.contains("[保管庫] 消去済み ("), "{text}");
    for english in ["handover", "destroyed", "[vault]", "(packed)", "deleted"] {
        assert!(!text.contains(english), "{english} in: {text}");
    }
    // The printed page gives them in both languages.
    ok(d.kura().args(["certificate", "render", "c.json", "-o", "c.html"]));
    let page = d.read("c.html");
    for (ja, en) in [
        ("保管庫", "vault"),
        ("消去済み", "destroyed"),
        ("引き渡し", "handover"),
        ("作成", "packed"),
    ] {
        let both = format!("<span class=\"ja\">{ja}</span><span class=\"en\">{en}</span>");
        assert!(page.contains(&both), "no {both} in the page");
    }
}

#[test]
fn inspect_names_the_recipients_from_the_trust_list_and_shows_the_approval_document() {
    let d = Desk::new();
    d.write("approval.pdf", "%PDF dummy approval\n");
    let line = d.clinic.line.clone();
    let eng = d.engineer.line.clone();
    ok(&d.run(pack_data(
        &d,
        "x.kura",
        &[
            "-r",
            &line,
            "-r",
            &eng,
            "-i",
            "engineer.key",
            "--approval-doc",
            "approval.pdf",
        ],
    )));
    d.write("clinic_only", &format!("{CLINIC} {}\n", bare_key(&d.clinic.line)));
    let out = ok(d.kura().args(["inspect", "x.kura", "--signers", "clinic_only"]));
    let text = stdout_of(&out);
    let v = json(&ok(d.kura().args([
        "inspect",
        "x.kura",
        "--signers",
        "clinic_only",
        "--json",
    ])));
    let fp = |i: usize| v["recipients"][i]["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(v["recipients"][0]["principal"], CLINIC);
    assert_eq!(v["recipients"][1]["principal"], Value::Null);
    assert!(
        text.contains(&format!("recipient          \"{CLINIC}\" ({})\n", fp(0))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "recipient          {} ({ENGINEER}) — not in the allowed signers file\n",
            fp(1)
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "1 of the 2 recipients are in the allowed signers file, named as it names them; \
             if the clinic must be able to open the vault, check that its own key is among them"
        ),
        "{text}"
    );
    let blake3 = blake3::hash(b"%PDF dummy approval\n").to_hex().to_string();
    assert!(
        text.contains(&format!(
            "approval document  attached, inside the encryption (BLAKE3 {blake3})\n"
        )),
        "{text}"
    );
    assert_eq!(v["approval_document_attached"], true);
    let ja = stdout_of(&ok(d.kura().args([
        "--lang",
        "ja",
        "inspect",
        "x.kura",
        "--signers",
        "clinic_only",
    ])));
    assert!(
        ja.contains(&format!("受取人             「{CLINIC}」（{}）\n", fp(0))),
        "{ja}"
    );
    assert!(ja.contains("信頼リストにない鍵"), "{ja}");
    assert!(
        ja.contains(&format!("承認書ファイル     添付あり、暗号化の内側（BLAKE3 {blake3}）")),
        "{ja}"
    );
    // Without --signers, as before: no principal in the JSON.
    let v = json(&ok(d.kura().args(["inspect", "x.kura", "--json"])));
    assert!(v["recipients"][0].get("principal").is_none());
    // None attached.
    ok(&d.run(pack_data(&d, "y.kura", &["-r", &line, "-i", "engineer.key"])));
    let text = stdout_of(&ok(d.kura().args(["inspect", "y.kura"])));
    assert!(text.contains("approval document  none attached\n"), "{text}");
}

#[test]
fn custody_show_json_gives_the_receipt_as_an_object() {
    let d = packed();
    let v = json(&ok(d.kura().args(["custody", "show", "a.kura", "--json"])));
    let receipt = &v["receipt"];
    assert!(receipt.is_object(), "{v:#}");
    assert_eq!(receipt["format"], "kura-receipt");
    assert_eq!(receipt["approval"]["id"], "APP-101");
    assert_eq!(receipt["vault_id"], v["vault_id"]);
    // The exact signed text stays in the first record, and says the same.
    let text = v["records"][0]["receipt"].as_str().expect("the signed text");
    assert_eq!(&serde_json::from_str::<Value>(text).unwrap(), receipt);
}

#[test]
fn contents_lists_the_files_after_checking_everything_and_writes_nothing() {
    let d = Desk::new();
    d.write("approval.pdf", "%PDF dummy approval\n");
    d.write("data/csv/list_dummy.csv", "id,name\n00000001,DUMMY\n");
    set_mode(&d.path("data/csv/list_dummy.csv"), 0o640);
    set_mtime(&d.path("data/csv/list_dummy.csv"), 1_700_000_000);
    let line = d.clinic.line.clone();
    let eng = d.engineer.line.clone();
    let mut a = osargs![
        "pack",
        "-o",
        "x.kura",
        "-r",
        line,
        "-r",
        eng,
        "-i",
        "engineer.key",
        "--approval-doc",
        "approval.pdf"
    ];
    a.extend(approval());
    a.push("data".into());
    ok(&d.run(a));
    let before = names_in(&d.root);
    let out = ok(d.kura().env("TZ", "UTC").args([
        "contents",
        "x.kura",
        "-i",
        "engineer.key",
        "--signers",
        "allowed_signers",
    ]));
    let text = stdout_of(&out);
    assert!(text.starts_with("OK: vault "), "{text}");
    assert!(text.contains(&format!("Signed by \"{ENGINEER}\"")), "{text}");
    assert!(text.contains("Approval document: "), "{text}");
    assert!(text.contains("(20 B); it is not listed below\n"), "{text}");
    assert!(
        text.contains("-rw-r----- 23 2023-11-14 22:13 data/csv/list_dummy.csv\n"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("d") && l.ends_with(" data/csv/")),
        "{text}"
    );
    assert_eq!(names_in(&d.root), before, "contents wrote a file");
    let records = custody_records(&d.path("x.kura"));
    assert_eq!(records.last().unwrap()["event"], "verified");
    let v = json(&ok(d.kura().args([
        "contents",
        "x.kura",
        "-i",
        "engineer.key",
        "--json",
    ])));
    let entry = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "data/csv/list_dummy.csv")
        .expect("the file is listed");
    assert_eq!(entry["size"], 23);
    assert_eq!(entry["mode"], 0o640);
    assert_eq!(entry["mtime"], 1_700_000_000);
    assert_eq!(entry["type"], "file");
    assert_eq!(v["approval_document"]["size"], 20);
    assert_eq!(v["file_count"], 1);
    // A vault that does not verify lists nothing.
    let mut bytes = std::fs::read(d.path("x.kura")).unwrap();
    let n = bytes.len() - 100;
    bytes[n] ^= 1;
    std::fs::write(d.path("x.kura"), bytes).unwrap();
    let out = d.run(["contents", "x.kura", "-i", "engineer.key"]);
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    assert!(stdout_of(&out).is_empty(), "{}", stdout_of(&out));
}
