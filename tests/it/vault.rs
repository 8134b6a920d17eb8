//! The vault core through the built binary: keygen, pack, inspect, verify
//! and extract on a small dummy export, and the custody records they leave.
//! Interoperability with stock tools is in `vault_interop.rs`, refusals in
//! `vault_refusals.rs`, hand-made hostile archives in `vault_hostile.rs`.

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::common::*;
use serde_json::Value;

fn json_of(out: &std::process::Output) -> Value {
    ok(out);
    json(out)
}

/// `ssh-keygen -l`'s SHA-256 fingerprint of a public key file.
fn ssh_fingerprint(public: &Path) -> String {
    let out = tool_ok("ssh-keygen", osargs!["-l", "-E", "sha256", "-f", public]);
    stdout_of(&out)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_string()
}

/// Files (not links or folders) under the export and their total size.
fn file_totals(dir: &Path) -> (u64, u64) {
    let mut n = 0;
    let mut size = 0;
    for rel in listing(dir, Meta::Content).keys() {
        let m = fs::symlink_metadata(dir.join(rel)).unwrap();
        if m.is_file() {
            n += 1;
            size += m.len();
        }
    }
    (n, size)
}

// ---------------------------------------------------------------- keygen

#[test]
fn keygen_writes_a_private_key_readable_only_by_its_owner_and_a_pub_file() {
    let fx = Desk::with_export();
    let key = fx.path("keys/new");
    let out = fx.run(osargs![
        "keygen",
        "-o",
        key,
        "--comment",
        "tanaka@vendor.example",
        "--no-passphrase",
        "--json"
    ]);
    let v = json_of(&out);
    #[cfg(unix)]
    {
        let meta = fs::metadata(&key).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "private key mode");
    }
    let pem = fs::read_to_string(&key).unwrap();
    assert!(pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"), "{pem}");
    let public = fx.path("keys/new.pub");
    let line = fs::read_to_string(&public).unwrap();
    assert!(line.starts_with("ssh-ed25519 AAAA"), "{line}");
    assert!(line.trim_end().ends_with(" tanaka@vendor.example"), "{line}");
    assert_eq!(v["encrypted"], false);
    assert_eq!(v["comment"], "tanaka@vendor.example");
    assert_eq!(v["fingerprint"], ssh_fingerprint(&public));
    assert_empty_dir(&fx.cwd);
}

#[test]
fn keygen_never_overwrites_a_key_or_its_pub_file() {
    let fx = Desk::with_export();
    let before = fs::read(&fx.engineer.private).unwrap();
    let before_pub = fs::read(&fx.engineer.public).unwrap();
    let out = fx.run(osargs!["keygen", "-o", fx.engineer.private, "--no-passphrase"]);
    let line = assert_refused(&out, 9);
    assert!(line.contains("already exists"), "{line}");
    assert_eq!(fs::read(&fx.engineer.private).unwrap(), before);
    assert_eq!(fs::read(&fx.engineer.public).unwrap(), before_pub);

    // Only the .pub is in the way: still refused, and no private key appears.
    let lone = fx.path("keys/lone");
    fs::write(fx.path("keys/lone.pub"), "not mine\n").unwrap();
    let out = fx.run(osargs!["keygen", "-o", lone, "--no-passphrase"]);
    assert_refused(&out, 9);
    assert_absent(&lone);
    assert_eq!(fs::read_to_string(fx.path("keys/lone.pub")).unwrap(), "not mine\n");
}

/// `ssh-keygen -y` prints the public key only with the right passphrase.
fn assert_encrypted_with(key: &Path, pass: &str) {
    let wrong = tool("ssh-keygen", osargs!["-y", "-P", "", "-f", key]);
    assert!(!wrong.status.success(), "the key opened without a passphrase");
    let right = tool_ok("ssh-keygen", osargs!["-y", "-P", pass, "-f", key]);
    let pub_line = fs::read_to_string(format!("{}.pub", key.display())).unwrap();
    assert_eq!(bare_key(&stdout_of(&right)), bare_key(&pub_line));
}

#[test]
fn keygen_takes_the_passphrase_from_a_file_or_the_environment() {
    let fx = Desk::with_export();
    let pass = fx.path("pass.txt");
    fs::write(&pass, "correct horse battery\n").unwrap();

    let by_flag = fx.path("keys/by-flag");
    let out = fx.run(osargs!["keygen", "-o", by_flag, "--passphrase-file", pass, "--json"]);
    assert_eq!(json_of(&out)["encrypted"], true);
    assert_encrypted_with(&by_flag, "correct horse battery");

    let by_env = fx.path("keys/by-env");
    let out = fx
        .kura()
        .env("KURA_PASSPHRASE_FILE", &pass)
        .args(["keygen", "-o"])
        .arg(&by_env)
        .output()
        .unwrap();
    ok(&out);
    assert_encrypted_with(&by_env, "correct horse battery");

    // The encrypted key packs with its passphrase from either source.
    for (i, how) in ["flag", "env"].iter().enumerate() {
        let vault = fx.path(&format!("out/{how}.kura"));
        fs::create_dir_all(vault.parent().unwrap()).unwrap();
        let args = with(fx.pack_args(&vault), "-i", &by_flag);
        let mut c = fx.kura();
        c.args(&args);
        if i == 0 {
            c.arg("--passphrase-file").arg(&pass);
        } else {
            c.env("KURA_PASSPHRASE_FILE", &pass);
        }
        ok(&c.arg(fx.export()).output().unwrap());
        let v = json_of(&fx.run(osargs!["inspect", vault, "--json"]));
        assert_eq!(
            v["packer"]["fingerprint"],
            ssh_fingerprint(&fx.path("keys/by-flag.pub"))
        );
    }
}

#[test]
fn without_a_terminal_or_passphrase_source_kura_fails_at_once_instead_of_waiting() {
    let fx = Desk::with_export();
    let key = fx.path("keys/asks");
    let mut c = fx.kura();
    c.args(["keygen", "-o"]).arg(&key);
    let out = output_within(&mut c, Duration::from_secs(30));
    let line = assert_refused(&out, 4);
    assert!(
        line.contains("--passphrase-file") && line.contains("KURA_PASSPHRASE_FILE"),
        "{line}"
    );
    assert_absent(&key);
    assert_absent(&fx.path("keys/asks.pub"));

    // An encrypted key without a passphrase source: the same, for pack.
    let pass = fx.path("pass.txt");
    fs::write(&pass, "s3cret").unwrap();
    let enc = fx.path("keys/enc");
    ok(&fx.run(osargs!["keygen", "-o", enc, "--passphrase-file", pass]));
    let out_dir = fx.mkdir("out");
    let args = with(fx.pack_args(out_dir.join("x.kura")), "-i", enc);
    let mut c = fx.kura();
    c.args(&args).arg(fx.export());
    let out = output_within(&mut c, Duration::from_secs(30));
    assert_refused(&out, 4);
    assert_empty_dir(&out_dir);
}

// ---------------------------------------------------------------- pack + inspect

#[test]
fn inspect_shows_the_public_facts_without_any_key() {
    let fx = Desk::with_export();
    let vault = fx.path("out/x.kura");
    fs::create_dir_all(vault.parent().unwrap()).unwrap();
    let mut args = fx.pack_args(&vault);
    args.push("--json".into());
    args.push(fx.export().into());
    let packed = json_of(&fx.run(args));
    assert_eq!(packed["vault"], vault.display().to_string());
    assert_eq!(packed["custody"], custody_of(&vault).display().to_string());
    // Only the vault and its custody log were written.
    let names: Vec<String> = listing(&fx.path("out"), Meta::Content).into_keys().collect();
    assert_eq!(names, ["x.kura", "x.kura.custody"]);

    let v = json_of(&fx.run(osargs!["inspect", vault, "--json"]));
    assert_eq!(v["vault_id"], packed["vault_id"]);
    assert!(v["vault_id"].as_str().unwrap().len() >= 32, "{v:#}");
    assert_eq!(v["created"], NOW);
    assert_eq!(v["packer"]["fingerprint"], ssh_fingerprint(&fx.engineer.public));
    assert_eq!(v["packer"]["comment"], "engineer@kura.test");
    assert_eq!(v["approval"]["id"], "APP-2026-041");
    assert_eq!(v["approval"]["approved_by"], "院長 山田（ダミー）");
    assert_eq!(v["approval"]["purpose"], "レセプト不具合の調査");
    assert_eq!(v["approval"]["delete_by"], DELETE_BY);
    assert_eq!(v["overdue"], false);
    let fps: Vec<&str> = v["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(
        fps,
        [ssh_fingerprint(&fx.engineer.public), ssh_fingerprint(&fx.clinic.public)]
    );
    let (files, size) = file_totals(fx.export());
    assert_eq!(v["file_count"], files);
    assert_eq!(v["total_size"], size);
    let bytes = fs::read(&vault).unwrap();
    assert_eq!(v["ciphertext"]["size"], bytes.len() as u64);
    assert_eq!(v["ciphertext"]["blake3"], blake3::hash(&bytes).to_hex().as_str());
    assert!(bytes.len() > 150_000, "the scan alone is 150 kB of noise");

    // People see the same facts.
    let text = stdout_of(&ok(&fx.run(osargs!["inspect", vault])));
    for want in [
        v["vault_id"].as_str().unwrap(),
        "APP-2026-041",
        "院長 山田（ダミー）",
        DELETE_BY,
        v["ciphertext"]["blake3"].as_str().unwrap(),
        fps[1],
    ] {
        assert!(text.contains(want), "inspect lacks {want}:\n{text}");
    }
}

#[test]
fn inspect_says_overdue_after_the_delete_by_day() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let inspect = |now: &str| {
        let out = fx
            .kura()
            .env("KURA_NOW", now)
            .arg("inspect")
            .arg(&vault)
            .arg("--json")
            .output()
            .unwrap();
        json_of(&out)["overdue"].clone()
    };
    assert_eq!(inspect(&format!("{DELETE_BY}T23:59:00+09:00")), false);
    assert_eq!(inspect(AFTER_DELETE_BY), true);
}

#[test]
fn an_approval_document_is_packed_and_bound_to_the_approval() {
    let fx = Desk::with_export();
    let doc = fx.path("approval.pdf");
    fs::write(&doc, b"%PDF-1.4 dummy approval, no patient\n").unwrap();
    let vault = fx.path("x.kura");
    let out = fx.pack(&vault, &["--approval-doc", doc.to_str().unwrap()], &[fx.export()]);
    ok(&out);
    let v = json_of(&fx.run(osargs!["inspect", vault, "--json"]));
    assert_eq!(
        v["approval"]["document_blake3"],
        blake3::hash(&fs::read(&doc).unwrap()).to_hex().as_str()
    );
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}

// ---------------------------------------------------------------- verify

#[test]
fn verify_checks_everything_writes_no_plaintext_and_says_the_signer_was_not_checked() {
    let fx = Desk::with_export();
    let vault = fx.packed("out/x.kura");
    let before = listing(&fx.root, Meta::Content);

    let text = stdout_of(&ok(&fx.verify(&vault, &fx.engineer.private, &[])));
    assert!(text.contains("OK"), "{text}");
    assert!(text.contains("NOT checked against a trust list"), "{text}");
    assert!(text.contains(&ssh_fingerprint(&fx.engineer.public)), "{text}");

    let v = json_of(&fx.verify(&vault, &fx.clinic.private, &["--json"]));
    assert_eq!(v["signer_trusted"], false);
    assert!(v["signer_principal"].is_null());
    assert_eq!(v["custody_recorded"], true);
    assert_eq!(v["file_count"], file_totals(fx.export()).0);
    assert!(v["destination"].is_null());

    // Nothing changed but the custody log.
    let mut after = listing(&fx.root, Meta::Content);
    let log = "out/x.kura.custody".to_string();
    assert_ne!(after.remove(&log), None);
    let mut before = before;
    before.remove(&log);
    assert_eq!(after, before);
    assert_empty_dir(&fx.cwd);

    let recs = custody_records(&vault);
    let events: Vec<&str> = recs.iter().map(|r| r["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["packed", "verified", "verified"]);
    assert_eq!(recs[1]["actor"]["fingerprint"], ssh_fingerprint(&fx.engineer.public));
    assert_eq!(recs[2]["actor"]["fingerprint"], ssh_fingerprint(&fx.clinic.public));
    assert_eq!(recs[2]["time"], NOW);
    assert!(!recs[2]["host"].as_str().unwrap().is_empty());
}

#[test]
fn verify_with_signers_names_the_trusted_principal() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let signers = fx.signers.to_str().unwrap();
    let text = stdout_of(&ok(&fx.verify(&vault, &fx.clinic.private, &["--signers", signers])));
    assert!(text.contains("engineer@kura.test"), "{text}");
    assert!(!text.contains("NOT checked"), "{text}");
    let v = json_of(&fx.verify(&vault, &fx.clinic.private, &["--signers", signers, "--json"]));
    assert_eq!(v["signer_trusted"], true);
    assert_eq!(v["signer_principal"], "engineer@kura.test");
}

// ---------------------------------------------------------------- extract

#[test]
fn extract_restores_files_modes_mtimes_and_links_and_records_the_destination() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.path("case-041"); // does not exist yet
    let v = json_of(&fx.extract(&vault, &fx.engineer.private, &dest, &["--json"]));
    let names: Vec<String> = fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["export"], "only the export lands in DEST (no stage, no .kura)");
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
    let link = dest.join("export").join(EXPORT_LINK);
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_link(&link).unwrap(), Path::new(EXPORT_LINK_TARGET));
    assert_eq!(
        fs::read(&link).unwrap(),
        fs::read(fx.export().join("receipts/000/receipt_000002.txt")).unwrap()
    );

    let canonical = fs::canonicalize(&dest).unwrap().display().to_string();
    assert_eq!(v["destination"], canonical);
    let recs = custody_records(&vault);
    let last = recs.last().unwrap();
    // The intent (before any plaintext was written), then the result.
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1]["event"], "extracting");
    assert_eq!(recs[1]["details"]["destination"], canonical);
    assert_eq!(last["event"], "extracted");
    assert_eq!(last["details"]["destination"], canonical);
    assert_eq!(last["actor"]["fingerprint"], ssh_fingerprint(&fx.engineer.public));
    assert_eq!(last["time"], NOW);
}

#[test]
fn extract_into_an_existing_empty_folder_by_the_clinic_key() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let dest = fx.mkdir("dest");
    let text = stdout_of(&ok(&fx.extract(&vault, &fx.clinic.private, &dest, &[])));
    assert!(text.contains("NOT checked against a trust list"), "{text}");
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
    let recs = custody_records(&vault);
    assert_eq!(
        recs.last().unwrap()["actor"]["fingerprint"],
        ssh_fingerprint(&fx.clinic.public)
    );
}

#[test]
fn several_inputs_each_become_a_top_level_member() {
    let fx = Desk::with_export();
    let extra = fx.path("notes.txt");
    write_file(&extra, b"dummy note\n", 0o640, 1_234_567_890);
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &[], &[fx.export(), &extra]));
    let dest = fx.mkdir("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
    #[cfg(unix)]
    {
        let m = fs::metadata(dest.join("notes.txt")).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o640);
    }
    assert_eq!(fs::read(dest.join("notes.txt")).unwrap(), b"dummy note\n");
}

#[test]
fn file_modes_are_restored_exactly_whatever_the_umask() {
    let fx = Desk::with_export();
    let src = fx.mkdir("modes");
    for (name, mode) in [
        ("a.txt", 0o644),
        ("b.txt", 0o600),
        ("c.sh", 0o755),
        ("d.txt", 0o444),
        // (Write for group or others is never restored: see MODE_MASK.)
        ("e.txt", 0o640),
        ("f.txt", 0o604),
    ] {
        write_file(&src.join(name), name.as_bytes(), mode, 1_600_000_000);
    }
    let vault = fx.path("m.kura");
    ok(&fx.pack(&vault, &[], &[&src]));
    for umask in ["022", "077", "000", "027"] {
        let dest = fx.mkdir(&format!("dest-{umask}"));
        // The umask is the extracting process's own: set it in a shell
        // that then becomes kura.
        let mut c = fx.command("sh");
        c.arg("-c")
            .arg(format!("umask {umask}; exec \"$@\""))
            .arg("sh")
            .arg(KURA)
            .arg("extract")
            .arg(&vault)
            .arg("-i")
            .arg(&fx.engineer.private)
            .arg("-C")
            .arg(&dest);
        ok(&c.output().expect("kura runs"));
        assert_same_tree(&dest.join("modes"), &src, Meta::Full);
    }
}

#[cfg(unix)]
#[test]
fn file_modes_are_restored_exactly_under_a_default_acl() {
    // A default ACL on DEST takes the umask's place for new files: here it
    // would leave group and others nothing.
    let fx = Desk::with_export();
    let src = fx.mkdir("modes");
    for (name, mode) in [("a.txt", 0o644), ("b.sh", 0o755), ("c.txt", 0o640)] {
        write_file(&src.join(name), name.as_bytes(), mode, 1_600_000_000);
    }
    let vault = fx.path("m.kura");
    ok(&fx.pack(&vault, &[], &[&src]));
    let dest = fx.mkdir("dest");
    tool_ok("setfacl", osargs!["-d", "-m", "u::rwx,g::---,o::---", &dest]);
    // The ACL is in force: a file made there the usual way loses its
    // group and other bits.
    let probe = dest.join("probe");
    fs::write(&probe, b"x").unwrap();
    assert_eq!(fs::metadata(&probe).unwrap().permissions().mode() & 0o077, 0);
    fs::remove_file(&probe).unwrap();
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_same_tree(&dest.join("modes"), &src, Meta::Full);
}

// ---------------------------------------------------------------- variants

#[test]
fn armored_vaults_pack_verify_and_extract() {
    let fx = Desk::with_export();
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &["--armor"], &[fx.export()]));
    let text = fs::read_to_string(&vault).expect("an armored vault is text");
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{}",
        &text[..60]
    );
    assert!(text.trim_end().ends_with("-----END AGE ENCRYPTED FILE-----"));
    let v = json_of(&fx.run(osargs!["inspect", vault, "--json"]));
    assert_eq!(v["ciphertext"]["size"], text.len() as u64);
    assert_eq!(
        v["ciphertext"]["blake3"],
        blake3::hash(text.as_bytes()).to_hex().as_str()
    );
    ok(&fx.verify(&vault, &fx.clinic.private, &[]));
    let dest = fx.mkdir("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
}

#[test]
fn a_recipients_file_with_comments_and_blank_lines() {
    let fx = Desk::with_export();
    let rfile = fx.path("recipients.txt");
    fs::write(
        &rfile,
        format!(
            "# the clinic (kept by the office manager)\n{}\n\n   # the engineer\n{}\n",
            fx.clinic.line, fx.engineer.line
        ),
    )
    .unwrap();
    let vault = fx.path("x.kura");
    let mut args = osargs!["pack", "-o", vault, "-R", rfile, "-i", fx.engineer.private];
    args.extend(approval_args());
    args.push(fx.export().into());
    let out = fx.run(args);
    ok(&out);
    let v = json_of(&fx.run(osargs!["inspect", vault, "--json"]));
    let recipients = v["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2, "{v:#}");
    assert_eq!(recipients[0]["fingerprint"], ssh_fingerprint(&fx.clinic.public));
    assert_eq!(recipients[0]["comment"], "clinic@kura.test");
    assert_eq!(recipients[1]["fingerprint"], ssh_fingerprint(&fx.engineer.public));
    for key in [&fx.clinic.private, &fx.engineer.private] {
        ok(&fx.verify(&vault, key, &[]));
    }
}

#[test]
fn a_native_age_recipient_decrypts_with_its_age_identity() {
    let fx = Desk::with_export();
    let id = fx.path("keys/age-identity.txt");
    tool_ok("age-keygen", osargs!["-o", id]);
    let id_text = fs::read_to_string(&id).unwrap();
    let recipient = id_text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("age-keygen writes the public key")
        .trim()
        .to_string();
    assert!(recipient.starts_with("age1"));
    let vault = fx.path("x.kura");
    let mut args = osargs!["pack", "-o", vault, "-r", recipient, "-i", fx.engineer.private];
    args.extend(approval_args());
    args.push(fx.export().into());
    let out = fx.run(args);
    ok(&out);
    let v = json_of(&fx.run(osargs!["inspect", vault, "--json"]));
    assert_eq!(v["recipients"][0]["type"], "x25519");
    assert_eq!(v["recipients"][0]["fingerprint"], recipient.as_str());

    // The packer's SSH key is not a recipient here.
    assert_refused(&fx.verify(&vault, &fx.engineer.private, &[]), 5);

    // An age identity cannot sign a custody record, so alone it decrypts
    // nothing to disk.
    let dest = fx.path("dest");
    let line = assert_refused(&fx.extract(&vault, &id, &dest, &[]), 4);
    assert!(line.contains("sign"), "{line}");
    assert_absent(&dest);
    let text = stdout_of(&ok(&fx.verify(&vault, &id, &[])));
    assert!(text.contains("no custody record was written"), "{text}");
    assert_eq!(custody_records(&vault).len(), 1);

    // With the SSH key given as well, the age identity decrypts and the SSH
    // key signs the record.
    let mut c = fx.kura();
    c.arg("verify")
        .arg(&vault)
        .arg("-i")
        .arg(&id)
        .arg("-i")
        .arg(&fx.engineer.private);
    ok(&c.output().unwrap());
    let recs = custody_records(&vault);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1]["actor"]["fingerprint"], ssh_fingerprint(&fx.engineer.public));
    // And so it extracts, the copy recorded.
    let mut c = fx.kura();
    c.args(osargs![
        "extract",
        vault,
        "-i",
        id,
        "-i",
        fx.engineer.private,
        "-C",
        dest,
        "--json"
    ]);
    let v = json_of(&c.output().unwrap());
    assert_eq!(v["custody_recorded"], true);
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
    let events: Vec<String> = custody_records(&vault)
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(events, ["packed", "verified", "extracting", "extracted"]);
}
