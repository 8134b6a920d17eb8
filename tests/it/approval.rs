//! The clinic's signed take-out approval: `kura approve` signs it, `kura
//! pack --approval` packs under it and refuses, before anything exists,
//! every pack it does not allow; the signed document travels in the vault
//! and is checked wherever the vault is opened.

use std::ffi::OsString;
use std::path::Path;

use crate::common::*;

/// The approval's file, apart from what is packed and where it is packed.
const APPROVAL: &str = "approval/APPROVAL.json";
/// The clinic's signers file for approvals.
const CLINIC_SIGNERS: &str = "clinic_signers";

/// `kura approve` at the desk with a complete one-off approval (delete by
/// [`DELETE_BY`]) for the desk's engineer, requiring the clinic's key as a
/// recipient; `extra` adds options, or replaces the value of one given.
pub(crate) fn approve_args(desk: &Desk, out: &str, extra: &[&str]) -> Vec<OsString> {
    let mut a = osargs![
        "approve",
        "-o",
        desk.path(out),
        "-i",
        desk.clinic.private,
        "--approval-id",
        "APP-2026-041",
        "--approved-by",
        "山田 花子（ダミー）",
        "--role",
        "院長",
        "--clinic",
        "ダミー医院",
        "--clinic-code",
        "1312345678",
        "--engineer",
        desk.engineer.public,
        "--recipient",
        desk.clinic.line,
        "--purpose",
        "レセプト不具合の調査",
        "--scope",
        "レセプト関連テーブル 2025年度分（ダミー）",
    ];
    if !extra.contains(&"--standing") && !extra.contains(&"--delete-by") {
        a.extend(osargs!["--delete-by", DELETE_BY]);
    }
    let mut rest = extra.iter().peekable();
    while let Some(flag) = rest.next() {
        let value = rest.next_if(|v| !v.starts_with("--"));
        match value {
            Some(v) if a.iter().any(|x| x == flag) => a = with(a, flag, v),
            _ => a.extend(std::iter::once(flag).chain(value).map(OsString::from)),
        }
    }
    a
}

/// A desk with the export, a signed approval at [`APPROVAL`] (with
/// `extra`), and the clinic's signers file naming the clinic's key for
/// approvals.
fn desk_with_approval(extra: &[&str]) -> Desk {
    let desk = Desk::with_export();
    desk.mkdir("approval");
    ok(&desk.run(approve_args(&desk, APPROVAL, extra)));
    write_clinic_signers(&desk, &desk.clinic.line);
    desk
}

fn write_clinic_signers(desk: &Desk, key_line: &str) {
    desk.write(
        CLINIC_SIGNERS,
        &format!("clinic namespaces=\"kura-approval\" {}\n", bare_key(key_line)),
    );
}

/// `kura pack -o out/x.kura` under the desk's approval: both keys as
/// recipients, the engineer packs; `extra` before the export.
fn pack_under_args(desk: &Desk, extra: &[&str]) -> Vec<OsString> {
    let mut a = osargs![
        "pack",
        "-o",
        desk.path("out/x.kura"),
        "-r",
        desk.engineer.line,
        "-r",
        desk.clinic.line,
        "-i",
        desk.engineer.private,
        "--approval",
        desk.path(APPROVAL),
        "--clinic-signers",
        desk.path(CLINIC_SIGNERS),
    ];
    a.extend(extra.iter().map(OsString::from));
    a.push(desk.export().into());
    a
}

/// Runs `args`, asserts it is refused with `code` and that nothing at all
/// changed under the desk (no vault, no log, no temporary file); returns
/// the error's id (from `--json`).
fn refused_leaving_nothing(desk: &Desk, args: Vec<OsString>, code: i32) -> String {
    desk.mkdir("out");
    let before = listing(&desk.root, Meta::Content);
    let out = desk.run(&args);
    assert_refused(&out, code);
    assert_eq!(listing(&desk.root, Meta::Content), before, "something was written");
    let mut json_args = args;
    json_args.insert(0, "--json".into());
    let out = desk.run(&json_args);
    assert_eq!(listing(&desk.root, Meta::Content), before, "something was written");
    json(&out)["error"]["id"].as_str().expect("an error id").to_string()
}

fn receipt_approval(desk: &Desk, vault: &Path) -> serde_json::Value {
    let out = ok(desk.kura().arg("--json").arg("inspect").arg(vault));
    json(&out)["approval"].clone()
}

#[test]
fn a_signed_approval_packs_and_travels_in_the_vault() {
    let desk = desk_with_approval(&["--max-files", "100", "--max-size", "10M"]);
    // Stock ssh-keygen accepts the clinic's signature.
    let approval = desk.path(APPROVAL);
    let sig = desk.path("approval/APPROVAL.json.sig");
    let check = shell(
        &desk.root,
        &format!(
            "ssh-keygen -Y verify -n kura-approval -f {} -I clinic -s {} < {}",
            desk.path(CLINIC_SIGNERS).display(),
            sig.display(),
            approval.display()
        ),
    );
    assert!(check.status.success(), "ssh-keygen refused: {}", describe(&check));
    desk.mkdir("out");
    let mut a = pack_under_args(&desk, &[]);
    a.insert(0, "--json".into());
    let packed = json(&ok(&desk.run(a)));
    let vault = desk.path("out/x.kura");
    let a = receipt_approval(&desk, &vault);
    assert_eq!(a, packed["approval"]);
    assert_eq!(a["id"], "APP-2026-041");
    assert_eq!(a["approved_by"], "山田 花子（ダミー） (院長)");
    assert_eq!(a["purpose"], "レセプト不具合の調査");
    assert_eq!(a["delete_by"], DELETE_BY);
    // The document and signature, byte for byte as the clinic wrote them.
    assert_eq!(a["signed"]["document"], std::fs::read_to_string(&approval).unwrap());
    assert_eq!(a["signed"]["signature"], std::fs::read_to_string(&sig).unwrap());
    ok(&desk.verify(&vault, &desk.clinic.private, &[]));
    let dest = desk.path("dest");
    ok(&desk.extract(&vault, &desk.engineer.private, &dest, &[]));
}

#[test]
fn every_term_the_approval_sets_is_refused_before_anything_is_written() {
    // A pack the approval does not allow.
    let stranger_desk = Desk::new();
    // What, the approval's options, the pack's options, exit code, error id.
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<&'a str>, i32, &'a str);
    let cases: Vec<Case> = vec![
        (
            "over max-files",
            vec!["--max-files", "1"],
            vec![],
            3,
            "err-approval-over-limit",
        ),
        (
            "over max-size",
            vec!["--max-size", "100K"],
            vec![],
            3,
            "err-approval-over-limit",
        ),
        (
            "over a max-size in bytes",
            vec!["--max-size", "10"],
            vec![],
            3,
            "err-approval-over-limit",
        ),
        (
            "typed approval too",
            vec![],
            vec!["--purpose", "x"],
            2,
            "err-approval-typed-too",
        ),
        (
            "typed id too",
            vec![],
            vec!["--approval-id", "x"],
            2,
            "err-approval-typed-too",
        ),
        (
            "delete-by of a one-off",
            vec![],
            vec!["--delete-by", "2026-05-01"],
            2,
            "err-approval-delete-by-fixed",
        ),
    ];
    for (what, approve_extra, pack_extra, code, id) in cases {
        let desk = desk_with_approval(&approve_extra);
        let got = refused_leaving_nothing(&desk, pack_under_args(&desk, &pack_extra), code);
        assert_eq!(got, id, "{what}");
    }
    // Another engineer's key.
    let desk = desk_with_approval(&[]);
    let other = stranger_desk.engineer.public.to_str().unwrap().to_string();
    ok(&desk.run(approve_args(&desk, APPROVAL, &["--force", "--engineer", &other])));
    let got = refused_leaving_nothing(&desk, pack_under_args(&desk, &[]), 3);
    assert_eq!(got, "err-approval-not-engineer");
    // A required recipient left out.
    let desk = desk_with_approval(&[]);
    let mut a = pack_under_args(&desk, &[]);
    let at = a.iter().position(|x| x == desk.clinic.line.as_str()).unwrap();
    a.drain(at - 1..=at);
    assert_eq!(refused_leaving_nothing(&desk, a, 3), "err-approval-recipient-missing");
    // Past its delete-by day.
    let desk = desk_with_approval(&[]);
    let mut late = desk.kura();
    late.env("KURA_NOW", AFTER_DELETE_BY);
    desk.mkdir("out");
    let before = listing(&desk.root, Meta::Content);
    let out = late.args(pack_under_args(&desk, &[])).output().unwrap();
    assert_refused(&out, 3);
    assert!(stderr_of(&out).contains("APP-2026-041"), "{}", describe(&out));
    assert_eq!(listing(&desk.root, Meta::Content), before);
    // Without the clinic's signers file.
    let desk = desk_with_approval(&[]);
    let a = without(pack_under_args(&desk, &[]), "--clinic-signers");
    assert_eq!(refused_leaving_nothing(&desk, a, 2), "err-approval-needs-signers");
    // Signed by a key the clinic's signers file does not name.
    let desk = desk_with_approval(&[]);
    write_clinic_signers(&desk, &desk.engineer.line);
    assert_eq!(
        refused_leaving_nothing(&desk, pack_under_args(&desk, &[]), 7),
        "err-approval-untrusted"
    );
}

#[test]
fn an_altered_approval_is_an_integrity_error() {
    // Changed after the clinic signed it: the signature no longer covers
    // the bytes, so it is not the clinic's approval at all (6, like any
    // altered signed file), whoever the signers file names.
    let desk = desk_with_approval(&[]);
    let text = desk.read(APPROVAL).replace(DELETE_BY, "2099-12-31");
    desk.write(APPROVAL, &text);
    let id = refused_leaving_nothing(&desk, pack_under_args(&desk, &[]), 6);
    assert_eq!(id, "err-approval-signature");
}

#[test]
fn a_standing_approval_gives_each_vault_its_own_delete_by() {
    let desk = desk_with_approval(&["--standing", "--keep-days", "30", "--valid-until", "2026-04-30"]);
    desk.mkdir("out");
    ok(&desk.run(pack_under_args(&desk, &[])));
    // NOW is 2026-04-01: 30 days on.
    let a = receipt_approval(&desk, &desk.path("out/x.kura"));
    assert_eq!(a["delete_by"], "2026-05-01");
    // An earlier day may be chosen, a later one not.
    ok(&desk.run(pack_under_args(&desk, &["--force", "--delete-by", "2026-04-15"])));
    let a = receipt_approval(&desk, &desk.path("out/x.kura"));
    assert_eq!(a["delete_by"], "2026-04-15");
    ok(&desk.verify(&desk.path("out/x.kura"), &desk.clinic.private, &[]));
    let fresh = desk_with_approval(&["--standing", "--keep-days", "30", "--valid-until", "2026-04-30"]);
    let a = pack_under_args(&fresh, &["--delete-by", "2026-05-02"]);
    assert_eq!(refused_leaving_nothing(&fresh, a, 3), "err-approval-delete-by-late");
    // Past valid-until.
    fresh.mkdir("out");
    let before = listing(&fresh.root, Meta::Content);
    let out = fresh
        .kura()
        .env("KURA_NOW", "2026-05-01T09:00:00+09:00")
        .args(pack_under_args(&fresh, &[]))
        .output()
        .unwrap();
    assert_refused(&out, 3);
    assert_eq!(listing(&fresh.root, Meta::Content), before);
}

#[test]
fn an_approval_signed_with_stock_ssh_keygen_is_accepted() {
    let desk = Desk::with_export();
    let engineer = bare_key(&desk.engineer.line);
    let fingerprint = |pubfile: &Path| {
        let out = tool_ok("ssh-keygen", [OsString::from("-lf"), pubfile.into()]);
        stdout_of(&out).split_whitespace().nth(1).unwrap().to_string()
    };
    let doc = format!(
        r#"{{
  "format": "kura-approval",
  "version": 1,
  "approval_id": "HAND-1",
  "issued_at": "2026-03-31T09:00:00+09:00",
  "clinic": {{ "name": "ダミー医院" }},
  "approver": {{ "name": "山田 花子", "role": "企画管理者" }},
  "engineers": [ {{ "key": "{engineer}", "fingerprint": "{}", "comment": "" }} ],
  "recipients": [ {{ "type": "ssh-ed25519", "fingerprint": "{}", "comment": "" }} ],
  "purpose": "調査",
  "scope": "ダミーのテーブル",
  "disposal": "delete",
  "delete_by": "{DELETE_BY}"
}}
"#,
        fingerprint(&desk.engineer.public),
        fingerprint(&desk.clinic.public),
    );
    desk.mkdir("approval");
    desk.write(APPROVAL, &doc);
    tool_ok(
        "ssh-keygen",
        [
            OsString::from("-Y"),
            "sign".into(),
            "-n".into(),
            "kura-approval".into(),
            "-f".into(),
            desk.clinic.private.clone().into(),
            desk.path(APPROVAL).into(),
        ],
    );
    write_clinic_signers(&desk, &desk.clinic.line);
    desk.mkdir("out");
    ok(&desk.run(pack_under_args(&desk, &[])));
    let a = receipt_approval(&desk, &desk.path("out/x.kura"));
    assert_eq!(a["id"], "HAND-1");
    assert_eq!(a["approved_by"], "山田 花子 (企画管理者)");
    assert_eq!(a["signed"]["document"], doc);
}

/// The packer re-signs the receipt after changing the signed approval it
/// carries (or a field the approval sets): the receipt's own signature
/// holds, the clinic's does not, or no longer matches.
#[test]
fn a_vault_whose_signed_approval_was_altered_fails_verify() {
    if ran_in_own_process() {
        return;
    }
    let desk = desk_with_approval(&[]);
    desk.mkdir("out");
    ok(&desk.run(pack_under_args(&desk, &[])));
    let vault = desk.path("out/x.kura");
    let log = custody_of(&vault);
    let chain = kura::custody::read(&log).unwrap();
    let key = kura::keys::identity::load_signing_key(&desk.engineer.private, &kura::keys::PassphraseSource::new(None))
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    let tamper = |change: &dyn Fn(&mut kura::vault::Receipt)| {
        let mut r = chain.receipt.clone();
        change(&mut r);
        std::fs::write(&log, kura::custody::new_log_bytes(&r, &key, now).unwrap()).unwrap();
    };
    let signed_doc = |r: &mut kura::vault::Receipt| {
        let s = r.approval.signed.as_mut().unwrap();
        s.document = s.document.replace(DELETE_BY, "2099-12-31");
    };
    let later = |r: &mut kura::vault::Receipt| r.approval.delete_by = "2099-12-31".into();
    let cases = [
        (
            &signed_doc as &dyn Fn(&mut kura::vault::Receipt),
            "err-approval-signature",
        ),
        (&later, "err-approval-mismatch"),
    ];
    for (change, expected) in cases {
        tamper(change);
        for args in [
            osargs!["--json", "verify", vault, "-i", desk.clinic.private],
            osargs![
                "--json",
                "extract",
                vault,
                "-i",
                desk.engineer.private,
                "-C",
                desk.path("dest")
            ],
        ] {
            let out = desk.run(&args);
            assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
            assert_eq!(json(&out)["error"]["id"], expected, "{}", describe(&out));
            assert_absent(&desk.path("dest"));
        }
    }
}

#[test]
fn approve_refuses_what_it_cannot_sign_and_never_overwrites() {
    let desk = desk_with_approval(&[]);
    let before = listing(&desk.root, Meta::Content);
    let again = desk.run(approve_args(&desk, APPROVAL, &[]));
    assert_refused(&again, 9);
    assert_eq!(listing(&desk.root, Meta::Content), before);
    for (option, value, id) in [
        ("--scope", "line one\nline two", "err-approve-control"),
        ("--purpose", "bell\u{7}", "err-approve-control"),
        ("--clinic", "ダミー医院\u{202e}", "err-approve-control"),
        ("--approval-id", " APP-1", "err-approve-padded"),
        ("--role", "", "err-approve-empty"),
    ] {
        let mut args = approve_args(&desk, "approval/other.json", &[option, value]);
        args.insert(0, "--json".into());
        let out = desk.run(&args);
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        assert_eq!(json(&out)["error"]["id"], id, "{option} {value:?}");
        assert_eq!(listing(&desk.root, Meta::Content), before);
    }
    for (extra, code) in [
        (vec!["--delete-by", "2026-13-01"], 2),
        (vec!["--delete-by", "2026-03-01"], 3),
        (vec!["--max-size", "lots"], 2),
        (vec!["--engineer", "not a key"], 2),
    ] {
        let out = desk.run(approve_args(&desk, "approval/other.json", &extra));
        assert_refused(&out, code);
        assert_eq!(listing(&desk.root, Meta::Content), before, "{extra:?}");
    }
    // A standing approval needs its keep-days (clap's usage error, with the
    // usage lines it prints).
    let out = desk.run(approve_args(&desk, "approval/other.json", &["--standing"]));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(listing(&desk.root, Meta::Content), before);
    ok(&desk.run(approve_args(&desk, APPROVAL, &["--force", "--return"])));
    assert!(desk.read(APPROVAL).contains("\"disposal\": \"return\""));
}

#[test]
fn a_scan_the_approval_names_must_be_the_one_packed() {
    let desk = Desk::with_export();
    desk.write("approval/scan.pdf", "%PDF dummy scan of the signed form\n");
    desk.write("approval/other.pdf", "%PDF another form\n");
    let scan = desk.path("approval/scan.pdf");
    ok(&desk.run(approve_args(&desk, APPROVAL, &["--document", scan.to_str().unwrap()])));
    write_clinic_signers(&desk, &desk.clinic.line);
    let other = desk.path("approval/other.pdf");
    let a = pack_under_args(&desk, &["--approval-doc", other.to_str().unwrap()]);
    assert_eq!(refused_leaving_nothing(&desk, a, 3), "err-approval-document-mismatch");
    let a = pack_under_args(&desk, &[]);
    assert_eq!(refused_leaving_nothing(&desk, a, 3), "err-approval-document-mismatch");
    ok(&desk.run(pack_under_args(&desk, &["--approval-doc", scan.to_str().unwrap()])));
    let a = receipt_approval(&desk, &desk.path("out/x.kura"));
    assert_eq!(a["document_blake3"].as_str().unwrap().len(), 64);
    ok(&desk.verify(&desk.path("out/x.kura"), &desk.clinic.private, &[]));
}

#[test]
fn a_refused_approval_never_asks_for_the_passphrase_first() {
    // The engineer's key has a passphrase and there is no terminal (nor a
    // passphrase file): the expired approval is what the engineer hears of.
    let desk = desk_with_approval(&[]);
    desk.write("pass", "a long dummy passphrase\n");
    let locked = desk.path("keys/locked");
    ok(&desk.run(osargs!["keygen", "-o", locked, "--passphrase-file", desk.path("pass")]));
    let public = desk.path("keys/locked.pub");
    let public = public.to_str().unwrap();
    ok(&desk.run(approve_args(&desk, APPROVAL, &["--force", "--engineer", public])));
    let mut args = pack_under_args(&desk, &[]);
    args = with(args, "-i", &locked);
    desk.mkdir("out");
    let before = listing(&desk.root, Meta::Content);
    let out = desk
        .kura()
        .env("KURA_NOW", AFTER_DELETE_BY)
        .env("KURA_PASSPHRASE_FILE", "")
        .args(&args)
        .output()
        .unwrap();
    assert_refused(&out, 3);
    assert_eq!(listing(&desk.root, Meta::Content), before);
    // On time, the same pack reaches the key, and needs its passphrase.
    let out = desk
        .kura()
        .env("KURA_PASSPHRASE_FILE", "")
        .args(&args)
        .output()
        .unwrap();
    assert_refused(&out, 4);
}

#[test]
fn the_signature_may_lie_elsewhere_but_must_be_there() {
    let desk = desk_with_approval(&[]);
    let moved = desk.path("approval/signature.txt");
    std::fs::rename(desk.path("approval/APPROVAL.json.sig"), &moved).unwrap();
    // Not beside the approval: the option that names it is said.
    let line = {
        desk.mkdir("out");
        let before = listing(&desk.root, Meta::Content);
        let out = desk.run(pack_under_args(&desk, &[]));
        assert_eq!(listing(&desk.root, Meta::Content), before);
        assert_refused(&out, 10)
    };
    assert!(line.contains("--approval-sig"), "{line}");
    ok(&desk.run(pack_under_args(&desk, &["--approval-sig", moved.to_str().unwrap()])));
}
