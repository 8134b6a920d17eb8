//! `kura certify` and `kura certificate verify` through the built binary:
//! what is destroyed and what is kept, the refusals (each with its exit code
//! and message, and nothing destroyed), OpenSSH checking the signature, and
//! every way a certificate can fail a clinic's check.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use serde_json::Value;

/// An export as it stands when the engineer is done: packed on the stick,
/// handed over (the clinic kept a copy of the log then), verified and
/// extracted into `work/`.
struct Case {
    fx: Desk,
    vault: PathBuf,
    work: PathBuf,
    clinic_copy: PathBuf,
    cert: PathBuf,
}

impl Case {
    fn new() -> Case {
        let fx = Desk::with_export();
        let vault = fx.packed("stick/export.kura");
        ok(&custody_add(
            &fx,
            &vault,
            "handover",
            "USB stick #3",
            &fx.clinic.private,
        ));
        let clinic_copy = fx.mkdir("clinic").join("copy.custody");
        fs::copy(custody_of(&vault), &clinic_copy).unwrap();
        let signers = fx.signers.to_str().unwrap().to_string();
        ok(&fx.verify(&vault, &fx.engineer.private, &["--signers", &signers]));
        let work = fx.path("work");
        ok(&fx.extract(&vault, &fx.engineer.private, &work, &["--signers", &signers]));
        let cert = fx.mkdir("out").join("CERT.json");
        Case {
            fx,
            vault,
            work,
            clinic_copy,
            cert,
        }
    }

    /// `kura certify VAULT ARGS… -i ENGINEER -o CERT`.
    fn certify(&self, args: &[&Path], now: &str) -> Output {
        let mut c = self.fx.kura();
        c.env("KURA_NOW", now).arg("certify").arg(&self.vault).args(args);
        c.arg("-i").arg(&self.fx.engineer.private).arg("-o").arg(&self.cert);
        c.output().unwrap()
    }

    fn deleted(&self) -> Value {
        ok(&self.certify(&[Path::new("--deleted"), &self.work], NOW));
        self.cert_json()
    }

    fn cert_json(&self) -> Value {
        serde_json::from_slice(&fs::read(&self.cert).unwrap()).unwrap()
    }

    /// `kura certificate verify CERT --custody COPY --signers SIGNERS`.
    fn check(&self, copy: &Path, signers: &Path, extra: &[&str]) -> Output {
        self.fx.verify_certificate(&self.cert, copy, signers, extra)
    }

    fn check_clinic(&self) -> Output {
        self.check(&self.clinic_copy, &self.fx.signers, &[])
    }

    /// Replaces the certificate with `v` and signs it with `key` using
    /// OpenSSH, as a dishonest issuer (or an intruder) would.
    fn resign(&self, v: &Value, key: &Path) {
        let mut bytes = serde_json::to_vec_pretty(v).unwrap();
        bytes.push(b'\n');
        fs::write(&self.cert, bytes).unwrap();
        let sig = sig_of(&self.cert);
        fs::remove_file(&sig).unwrap();
        tool_ok(
            "ssh-keygen",
            [
                "-Y".as_ref(),
                "sign".as_ref(),
                "-f".as_ref(),
                key.as_os_str(),
                "-n".as_ref(),
                "kura-certificate".as_ref(),
                self.cert.as_os_str(),
            ],
        );
    }

    fn custody_lines(&self) -> Vec<String> {
        fs::read_to_string(custody_of(&self.vault))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// `kura custody add LOG --event EVENT --note NOTE -i KEY`.
fn custody_add(fx: &Desk, log: &Path, event: &str, note: &str, key: &Path) -> Output {
    fx.custody_add(log, event, key, &["--note", note]).output().unwrap()
}

fn sig_of(cert: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sig", cert.display()))
}

/// Asserts that a refused certify destroyed nothing and wrote nothing.
fn assert_nothing_done(case: &Case, log_before: &[String]) {
    assert!(case.vault.exists(), "the vault is still there");
    assert!(case.work.join("export").exists(), "the copy is still there");
    assert_absent(&case.cert);
    assert_absent(&sig_of(&case.cert));
    assert_eq!(case.custody_lines(), log_before, "no custody record");
    assert_empty_dir(case.cert.parent().unwrap());
}

#[test]
fn certify_deleted_destroys_the_listed_paths_and_the_vault_and_nothing_remains() {
    let case = Case::new();
    let notes = case.fx.path("notes.txt");
    fs::write(&notes, "working notes on the dummy export\n").unwrap();
    let notes_hash = blake3::hash(&fs::read(&notes).unwrap()).to_hex().to_string();
    let work_files = listing(&case.work, Meta::Content)
        .values()
        .filter(|d| d.starts_with("file"))
        .count();
    let receipt: Value = serde_json::from_str(custody_records(&case.vault)[0]["receipt"].as_str().unwrap()).unwrap();

    let out = case.certify(&[Path::new("--deleted"), &case.work, &notes], NOW);
    let text = stdout_of(&ok(&out));
    assert!(
        text.contains("Destroyed:") && text.contains("Certificate written"),
        "{text}"
    );
    assert_absent(&case.vault);
    assert_absent(&case.work);
    assert_absent(&notes);
    // No renamed leftovers beside them; the custody log (the evidence) stays.
    let stick: Vec<_> = fs::read_dir(case.vault.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(stick, vec![custody_of(&case.vault).file_name().unwrap().to_owned()]);
    assert!(fs::read_dir(&case.fx.root).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".kura")));

    let c = case.cert_json();
    assert_eq!(c["format"], "kura-certificate");
    assert_eq!(c["action"], "deleted");
    assert_eq!(c["vault"]["vault_id"], receipt["vault_id"]);
    assert_eq!(c["vault"]["manifest_blake3"], receipt["manifest_blake3"]);
    assert_eq!(c["vault"]["file_count"], receipt["file_count"]);
    assert_eq!(c["approval"]["id"], "APP-2026-041");
    assert_eq!(c["approval"]["approved_by"], "院長 山田（ダミー）");
    assert_eq!(c["delete_by"], DELETE_BY);
    assert_eq!(c["on_time"], true);
    assert_eq!(c["issued_at"], NOW);
    assert_eq!(c["issuer"]["name"], "engineer@kura.test");
    // Not given, so not stated: never guessed from the key's e-mail domain.
    assert!(c["issuer"].get("organisation").is_none(), "{}", c["issuer"]);
    assert_eq!(c["tool"]["name"], "kura");
    let items = c["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["role"], "vault");
    assert_eq!(
        items[0]["path"],
        fs::canonicalize(case.fx.path("stick"))
            .unwrap()
            .join("export.kura")
            .to_str()
            .unwrap()
    );
    assert_eq!(items[0]["blake3"], receipt["ciphertext"]["blake3"]);
    assert_eq!(items[0]["size"], receipt["ciphertext"]["size"]);
    assert_eq!(items[1]["type"], "dir");
    assert_eq!(items[1]["files"], work_files as u64);
    assert_eq!(items[2]["type"], "file");
    assert_eq!(items[2]["blake3"], notes_hash.as_str());
    assert!(items.iter().all(|i| i["outcome"] == "destroyed"));
    assert_eq!(c["verification"]["result"], "nothing remains");
    assert_eq!(c["verification"]["extractions"][0]["status"], "destroyed");
    assert_eq!(c["method"]["category"], "clear");
    assert!(c["method"]["caveat"]["en"].as_str().unwrap().contains("wear levelling"));
    assert!(c["method"]["protection"]["en"].as_str().unwrap().contains("ciphertext"));
    assert!(c["method"]["caveat"]["ja"]
        .as_str()
        .unwrap()
        .contains("ウェアレベリング"));

    // The chain inside is the log, up to and including the certifying record.
    let lines = case.custody_lines();
    assert_eq!(c["custody"]["lines"], serde_json::json!(lines));
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert_eq!(last["event"], "deleted");
    assert_eq!(last["details"]["certificate_id"], c["certificate_id"]);
    ok(&case.fx.run(osargs!["custody", "verify", case.vault]));
}

#[test]
fn the_clinic_checks_the_certificate_against_its_copy_of_the_log() {
    let case = Case::new();
    case.deleted();
    let out = stdout_of(&ok(&case.check_clinic()));
    let first = out.lines().next().unwrap();
    // The fixture's clock is set by hand (KURA_NOW): the dates are shown,
    // but a time set by hand never makes a certificate "within the deadline".
    assert!(
        first.starts_with("This certificate is valid.")
            && first.contains("deleted; the certificate is dated 2026-04-01, but its times are not reliable")
            && first.contains("whether the deadline (2026-06-30) was met"),
        "{out}"
    );
    assert!(first.contains("APP-2026-041"), "{first}");

    let out = case
        .fx
        .kura()
        .env("LC_ALL", "ja_JP.UTF-8")
        .args(["certificate", "verify"])
        .arg(&case.cert)
        .arg("--custody")
        .arg(&case.clinic_copy)
        .arg("--signers")
        .arg(&case.fx.signers)
        .output()
        .unwrap();
    let ja = stdout_of(&ok(&out));
    assert!(ja.lines().next().unwrap().starts_with("この証明書は有効です。"), "{ja}");
    assert!(
        ja.contains("証明書の日付は 2026-04-01 ですが、日時が信頼できないため")
            && ja.contains("期限（2026-06-30）を守ったかどうかは分かりません。"),
        "{ja}"
    );

    let v: Value =
        serde_json::from_slice(&case.check(&case.clinic_copy, &case.fx.signers, &["--json"]).stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["on_time"], true);
    assert_eq!(v["days_late"], 0);
    assert_eq!(v["signer"]["principal"], "engineer@kura.test");
    assert_eq!(v["clinic_records"], 2);
    // packed, handover, verified, extracting, extracted, deleted
    assert_eq!(v["custody_records"], 6);
}

#[test]
fn ssh_keygen_accepts_the_certificate_signature() {
    let case = Case::new();
    case.deleted();
    let out = shell(
        case.cert.parent().unwrap(),
        &format!(
            "ssh-keygen -Y verify -f {} -I engineer@kura.test -n kura-certificate -s CERT.json.sig < CERT.json",
            case.fx.signers.display()
        ),
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout_of(&out).contains("Good \"kura-certificate\" signature for engineer@kura.test"));
    // Under another namespace the same signature is refused.
    let out = shell(
        case.cert.parent().unwrap(),
        &format!(
            "ssh-keygen -Y verify -f {} -I engineer@kura.test -n kura-custody -s CERT.json.sig < CERT.json",
            case.fx.signers.display()
        ),
    );
    assert!(!out.status.success());
}

#[test]
fn certify_refuses_while_an_extracted_copy_on_this_computer_remains() {
    let case = Case::new();
    let before = case.custody_lines();
    // Nothing listed: the extraction recorded in the log still exists.
    let line = assert_refused(&case.certify(&[Path::new("--deleted")], NOW), 3);
    let dest = fs::canonicalize(&case.work).unwrap();
    assert!(
        line.contains(&format!("still exists at {}", dest.display())) && line.contains("record #3"),
        "{line}"
    );
    assert_nothing_done(&case, &before);
    // A part of it is not enough.
    let part = case.work.join("export");
    assert_refused(&case.certify(&[Path::new("--deleted"), &part], NOW), 3);
    assert_nothing_done(&case, &before);
    // --returned refuses too, unless the copy is destroyed with it.
    assert_refused(&case.certify(&[Path::new("--returned")], NOW), 3);
    assert_nothing_done(&case, &before);
    // Once the copy is gone by other means, certify goes ahead and says so.
    fs::remove_dir_all(&case.work).unwrap();
    ok(&case.certify(&[Path::new("--deleted")], NOW));
    assert_eq!(case.cert_json()["verification"]["extractions"][0]["status"], "absent");
}

#[test]
fn certify_refuses_paths_that_hold_the_evidence_or_overlap_and_destroys_nothing() {
    let case = Case::new();
    let before = case.custody_lines();
    let stick = case.fx.path("stick");
    let line = assert_refused(&case.certify(&[Path::new("--deleted"), &case.work, &stick], NOW), 3);
    assert!(line.contains("custody log"), "{line}");
    assert_nothing_done(&case, &before);
    let inner = case.work.join("export");
    let line = assert_refused(&case.certify(&[Path::new("--deleted"), &case.work, &inner], NOW), 2);
    assert!(line.contains("overlap"), "{line}");
    assert_nothing_done(&case, &before);
    let out_dir = case.cert.parent().unwrap().to_path_buf();
    let line = assert_refused(&case.certify(&[Path::new("--deleted"), &case.work, &out_dir], NOW), 3);
    assert!(line.contains("certificate is to be written inside it"), "{line}");
    assert_nothing_done(&case, &before);
    #[cfg(unix)]
    {
        let link = case.fx.path("work-link");
        std::os::unix::fs::symlink(&case.work, &link).unwrap();
        let line = assert_refused(&case.certify(&[Path::new("--deleted"), &link], NOW), 3);
        assert!(line.contains("symbolic link"), "{line}");
        assert_nothing_done(&case, &before);
    }
    let missing = case.fx.path("no-such-folder");
    assert_refused(&case.certify(&[Path::new("--deleted"), &case.work, &missing], NOW), 10);
    assert_nothing_done(&case, &before);
}

#[test]
fn certify_never_overwrites_a_certificate_and_refuses_a_vault_that_is_not_the_receipts() {
    let case = Case::new();
    let before = case.custody_lines();
    fs::write(&case.cert, "an older certificate").unwrap();
    let line = assert_refused(&case.certify(&[Path::new("--deleted"), &case.work], NOW), 9);
    assert!(line.contains("already exists"), "{line}");
    assert_eq!(fs::read_to_string(&case.cert).unwrap(), "an older certificate");
    fs::remove_file(&case.cert).unwrap();
    assert_nothing_done(&case, &before);

    let mut bytes = fs::read(&case.vault).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    fs::write(&case.vault, &bytes).unwrap();
    let line = assert_refused(&case.certify(&[Path::new("--deleted"), &case.work], NOW), 6);
    assert!(line.contains("does not match the vault's signed receipt"), "{line}");
    assert_nothing_done(&case, &before);
}

#[test]
fn returned_keeps_the_vault_intact_and_is_certified_as_returned() {
    let case = Case::new();
    let out = case.certify(&[Path::new("--returned"), Path::new("--destroy"), &case.work], NOW);
    ok(&out);
    assert_absent(&case.work);
    ok(&case.fx.verify(&case.vault, &case.fx.clinic.private, &[]));
    let c = case.cert_json();
    assert_eq!(c["action"], "returned");
    assert_eq!(c["items"][0]["role"], "vault");
    assert_eq!(c["items"][0]["outcome"], "kept");
    assert_eq!(c["items"][1]["outcome"], "destroyed");
    let first = stdout_of(&ok(&case.check_clinic())).lines().next().unwrap().to_string();
    assert!(
        first.contains("was returned; the certificate is dated 2026-04-01, but its times are not reliable"),
        "{first}"
    );
    // The clinic countersigns receipt of the medium in the same log.
    let back = custody_add(
        &case.fx,
        &case.vault,
        "received",
        "stick back at the clinic",
        &case.fx.clinic.private,
    );
    ok(&back);
    ok(&case
        .fx
        .run(osargs!["custody", "verify", case.vault, "--signers", case.fx.signers]));
}

#[test]
fn late_certification_is_reported_as_late() {
    let case = Case::new();
    let out = case.certify(&[Path::new("--deleted"), &case.work], AFTER_DELETE_BY);
    assert!(stdout_of(&ok(&out)).contains("after the delete-by day"));
    assert_eq!(case.cert_json()["on_time"], false);
    let first = stdout_of(&ok(&case.check_clinic())).lines().next().unwrap().to_string();
    // Dated by hand (the fixture's KURA_NOW): late by its own date, as the
    // JSON below says, but the words make no claim on a time set by hand.
    assert!(
        first.starts_with("This certificate is valid.")
            && first.contains("deleted; the certificate is dated 2026-07-01, but its times are not reliable")
            && first.contains("whether the deadline (2026-06-30) was met"),
        "{first}"
    );
    let v: Value =
        serde_json::from_slice(&case.check(&case.clinic_copy, &case.fx.signers, &["--json"]).stdout).unwrap();
    assert_eq!(
        (v["on_time"].clone(), v["days_late"].clone()),
        (Value::Bool(false), Value::from(1))
    );
}

#[test]
fn a_certificate_edited_by_one_character_is_refused() {
    let case = Case::new();
    case.deleted();
    let text = fs::read_to_string(&case.cert).unwrap();
    let edited = text.replacen("\"on_time\": true", "\"on_time\": trUe", 1);
    assert_ne!(edited, text);
    // Still one character: make it valid JSON by changing a digit of a size.
    let at = text.find("\"total_size\": ").unwrap() + "\"total_size\": ".len();
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'9' { b'8' } else { bytes[at] + 1 };
    fs::write(&case.cert, &bytes).unwrap();
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(
        line.contains("NOT valid") && line.contains("changed after it was signed"),
        "{line}"
    );
    fs::write(&case.cert, edited).unwrap();
    assert_refused(&case.check_clinic(), 6);
}

#[test]
fn a_certificate_signed_by_a_key_not_in_the_signers_file_is_refused() {
    let case = Case::new();
    case.deleted();
    // The clinic's list without the engineer.
    let clinic_only = case.fx.path("clinic_only");
    fs::write(
        &clinic_only,
        format!("{} {}\n", case.fx.clinic.principal, bare_key(&case.fx.clinic.line)),
    )
    .unwrap();
    let line = assert_refused(&case.check(&case.clinic_copy, &clinic_only, &[]), 7);
    let fingerprint = stdout_of(&tool_ok(
        "ssh-keygen",
        ["-lf".as_ref(), case.fx.engineer.public.as_os_str()],
    ));
    let fingerprint = fingerprint.split_whitespace().nth(1).unwrap();
    assert!(line.contains("NOT trusted") && line.contains(fingerprint), "{line}");
    // An engineer listed only for other namespaces may not sign certificates.
    let narrow = case.fx.path("narrow");
    fs::write(
        &narrow,
        format!("e namespaces=\"kura-custody\" {}\n", bare_key(&case.fx.engineer.line)),
    )
    .unwrap();
    assert_refused(&case.check(&case.clinic_copy, &narrow, &[]), 7);
    // An intruder's key re-signing the certificate.
    let intruder = case.fx.path("keys/intruder");
    ok(&kura()
        .arg("keygen")
        .arg("-o")
        .arg(&intruder)
        .args(["--no-passphrase"])
        .output()
        .unwrap());
    let v = case.cert_json();
    case.resign(&v, &intruder);
    let line = assert_refused(&case.check_clinic(), 7);
    assert!(line.contains("not in your allowed signers"), "{line}");
}

#[test]
fn a_certificate_checked_against_another_vaults_log_is_refused() {
    let case = Case::new();
    case.deleted();
    let other = case.fx.packed("other/export.kura");
    let line = assert_refused(&case.check(&custody_of(&other), &case.fx.signers, &[]), 3);
    assert!(line.contains("another export"), "{line}");
}

#[test]
fn a_certificate_carrying_an_altered_chain_is_refused_naming_the_record() {
    let case = Case::new();
    let original = case.deleted();
    let lines: Vec<String> = serde_json::from_value(original["custody"]["lines"].clone()).unwrap();
    assert_eq!(
        lines.len(),
        6,
        "packed, handover, verified, extracting, extracted, deleted"
    );
    // What a dishonest issuer would write: the chain and its summary.
    let with_lines = |l: &[String]| {
        let mut v = original.clone();
        v["custody"]["lines"] = serde_json::json!(l);
        v["custody"]["records"] = l.len().into();
        v["custody"]["head"] = blake3::hash(l.last().unwrap().as_bytes()).to_hex().to_string().into();
        v
    };

    // An edited record (where the copy was extracted to).
    let mut l = lines.clone();
    l[3] = l[3].replace("/work", "/elsewhere");
    case.resign(&with_lines(&l), &case.fx.engineer.private);
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(
        line.contains("custody history inside it is broken at record #3"),
        "{line}"
    );

    // A removed record (the extraction).
    let mut l = lines.clone();
    l.remove(3);
    case.resign(&with_lines(&l), &case.fx.engineer.private);
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(line.contains("broken at record #3"), "{line}");

    // Reordered records.
    let mut l = lines.clone();
    l.swap(2, 3);
    case.resign(&with_lines(&l), &case.fx.engineer.private);
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(line.contains("broken at record #2"), "{line}");

    // The certifying record cut off.
    case.resign(&with_lines(&lines[..4]), &case.fx.engineer.private);
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(line.contains("does not end with the signed deletion"), "{line}");

    // A field that disagrees with the receipt inside the chain.
    let mut v = original.clone();
    v["approval"]["delete_by"] = "2026-12-31".into();
    v["delete_by"] = "2026-12-31".into();
    case.resign(&v, &case.fx.engineer.private);
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(line.contains("does not agree"), "{line}");

    // Re-signing the untouched content is fine: the checks are on content.
    case.resign(&original, &case.fx.engineer.private);
    ok(&case.check_clinic());
}

#[test]
fn a_clinic_copy_that_is_not_the_beginning_of_the_chain_is_refused() {
    let case = Case::new();
    // The clinic noted something in its own copy that the engineer's log
    // never had: the histories diverge at record #2.
    let noted = custody_add(
        &case.fx,
        &case.clinic_copy,
        "note",
        "stick left the clinic",
        &case.fx.clinic.private,
    );
    ok(&noted);
    case.deleted();
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(line.contains("differs from your copy at record #2"), "{line}");

    // A clinic copy that was itself tampered with is refused as such.
    let copy = fs::read_to_string(&case.clinic_copy)
        .unwrap()
        .replace("USB stick #3", "USB stick #4");
    fs::write(&case.clinic_copy, copy).unwrap();
    let line = assert_refused(&case.check_clinic(), 6);
    assert!(line.contains("record #1"), "{line}");
}

#[test]
fn a_missing_signature_file_is_reported() {
    let case = Case::new();
    case.deleted();
    fs::remove_file(sig_of(&case.cert)).unwrap();
    let line = assert_refused(&case.check_clinic(), 10);
    assert!(line.contains("CERT.json.sig is missing"), "{line}");
}

#[test]
fn an_expired_allowed_signers_line_is_not_trusted_as_with_ssh_keygen() {
    let d = Desk::new();
    d.pack_small("a", "APP-LEFT", "check", "2026-03-16", "2026-03-02T10:00:00+09:00");
    d.handover("a", "2026-03-02T11:00:00+09:00");
    let cert = d.certify("a", false, "2026-03-10T15:00:00+09:00");
    // ssh-keygen's verdict on the engineer's signature, trusting `signers`.
    let ssh_keygen = |signers: &str| {
        shell(
            &d.cwd,
            &format!(
                "ssh-keygen -Y verify -f {signers} -I engineer@kura.test -n kura-certificate -s a.cert.json.sig < a.cert.json"
            ),
        )
    };
    // The engineer left: the clinic closed their line with valid-before.
    d.write_signers("left_signers", "valid-before=\"20200101Z\"");
    let out = d.verify_certificate(&cert, "a.clinic.custody", "left_signers", &[]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    // OpenSSH reads the line the same way.
    let o = ssh_keygen("left_signers");
    assert!(!o.status.success(), "ssh-keygen accepted an expired signer");
    // Still within its window, the same key is trusted by both.
    d.write_signers("window_signers", "valid-after=\"20200101\",valid-before=\"29991231Z\"");
    let o = ssh_keygen("window_signers");
    assert!(o.status.success(), "{}", describe(&o));
    let out = d.verify_certificate(&cert, "a.clinic.custody", "window_signers", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn after_a_loss_the_copies_are_certified_deleted_and_the_vault_lost() {
    let d = Desk::new();
    d.pack_small("a", "APP-LOST", "check", "2026-03-16", "2026-03-02T10:00:00+09:00");
    d.handover("a", "2026-03-02T11:00:00+09:00");
    let at = |t: &str| {
        let mut c = d.kura();
        c.env("KURA_NOW", t);
        c
    };
    ok(at("2026-03-03T09:00:00+09:00").args(["extract", "a.kura", "-i", "engineer.key", "-C", "work"]));
    // The engineer keeps a copy of the log; then the stick is lost.
    fs::copy(d.path("a.kura.custody"), d.path("mine.custody")).unwrap();
    fs::remove_file(d.path("a.kura")).unwrap();
    fs::remove_file(d.path("a.kura.custody")).unwrap();
    let certify = |t: &str, action: &[&str]| {
        let mut c = at(t);
        c.args([
            "certify",
            "a.kura",
            "--custody",
            "mine.custody",
            "-i",
            "engineer.key",
            "-o",
            "c.json",
        ])
        .args(action);
        c
    };
    // Without a recorded loss, a missing vault is an error, and nothing is destroyed.
    let (code, _, err) = run(&mut certify("2026-03-04T09:00:00+09:00", &["--deleted", "work"]));
    assert_eq!(code, 10, "{err}");
    assert!(d.path("work").exists());
    ok(at("2026-03-04T09:00:00+09:00").args(["incident", "mine.custody", "-i", "engineer.key"]));
    // A lost vault cannot be certified as returned.
    let (code, _, err) = run(&mut certify("2026-03-04T10:00:00+09:00", &["--returned"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("lost"), "{err}");
    ok(&mut certify("2026-03-04T10:00:00+09:00", &["--deleted", "work"]));
    assert!(!d.path("work").exists());
    let c: Value = serde_json::from_slice(&fs::read(d.path("c.json")).unwrap()).unwrap();
    assert_eq!(c["items"][0]["role"], "vault");
    assert_eq!(c["items"][0]["outcome"], "lost");
    assert_eq!(c["items"][1]["outcome"], "destroyed");
    // The clinic checks it against the copy it kept at hand-over.
    ok(&d.verify_certificate(&d.path("c.json"), "a.clinic.custody", "allowed_signers", &[]));
}
