//! Interoperability both ways with the stock binaries: kura vaults opened by
//! `age | zstd | tar`, kura signatures checked by `ssh-keygen -Y verify`,
//! keys from `ssh-keygen` used by kura, and keys from `kura keygen` used by
//! `ssh-keygen` and `age`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

/// `age -d -i KEY VAULT | zstd -d | tar -xf - -C DEST`, as a user would.
fn open_with_stock_tools(key: &Path, vault: &Path, dest: &Path) {
    fs::create_dir_all(dest).unwrap();
    let out = shell(
        dest,
        &format!(
            "age -d -i '{}' '{}' | zstd -d | tar -xf -",
            key.display(),
            vault.display()
        ),
    );
    assert!(out.status.success(), "age | zstd | tar failed:\n{}", describe(&out));
}

/// `ssh-keygen -Y verify` of `message` against `sig` as `principal` in `ns`.
fn ssh_verify(signers: &Path, principal: &str, ns: &str, sig: &Path, message: &Path) -> std::process::Output {
    shell(
        Path::new("/"),
        &format!(
            "ssh-keygen -Y verify -f '{}' -I '{principal}' -n '{ns}' -s '{}' < '{}'",
            signers.display(),
            sig.display(),
            message.display()
        ),
    )
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> PathBuf {
    fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

#[test]
fn age_zstd_tar_open_a_kura_vault_with_identical_files_and_the_signed_manifest() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let plain = fx.path("stock");
    open_with_stock_tools(&fx.engineer.private, &vault, &plain);
    assert_same_tree(&plain.join("export"), fx.export(), Meta::Full);
    let top: Vec<String> = listing(&plain, Meta::Content)
        .into_keys()
        .filter(|k| !k.contains('/'))
        .collect();
    assert_eq!(top, [".kura", "export"]);
    let kura_dir: Vec<String> = listing(&plain.join(".kura"), Meta::Content).into_keys().collect();
    assert_eq!(kura_dir, ["manifest.json", "manifest.json.sig"]);

    // The manifest describes the vault inspect shows, and every file in it.
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(plain.join(".kura/manifest.json")).unwrap()).unwrap();
    let inspect = json(&fx.run(osargs!["inspect", vault, "--json"]));
    assert_eq!(manifest["vault_id"], inspect["vault_id"]);
    assert_eq!(manifest["approval"], inspect["approval"]);
    let manifest_bytes = fs::read(plain.join(".kura/manifest.json")).unwrap();
    assert_eq!(
        inspect["manifest_blake3"],
        blake3::hash(&manifest_bytes).to_hex().as_str()
    );
    for e in manifest["entries"].as_array().unwrap() {
        if e["type"] == "file" {
            let p = plain.join(e["path"].as_str().unwrap());
            assert_eq!(e["blake3"], blake3::hash(&fs::read(&p).unwrap()).to_hex().as_str());
        }
    }

    // The clinic's key opens it too.
    let plain2 = fx.path("stock2");
    open_with_stock_tools(&fx.clinic.private, &vault, &plain2);
    assert_same_tree(&plain2.join("export"), fx.export(), Meta::Content);
}

#[test]
fn age_opens_an_armored_kura_vault() {
    let fx = Desk::with_export();
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &["--armor"], &[fx.export()]));
    let plain = fx.path("stock");
    open_with_stock_tools(&fx.clinic.private, &vault, &plain);
    assert_same_tree(&plain.join("export"), fx.export(), Meta::Full);
}

#[test]
fn age_opens_a_vault_for_a_native_age_recipient_with_its_identity_file() {
    let fx = Desk::with_export();
    let id = fx.path("keys/age-identity.txt");
    let out = tool_ok("age-keygen", osargs!["-o", id]);
    let recipient = stderr_of(&out)
        .trim()
        .strip_prefix("Public key: ")
        .expect("age-keygen prints the public key")
        .to_string();
    let vault = fx.path("x.kura");
    let mut args = fx.pack_args(&vault);
    args.extend(osargs!["-r", recipient, fx.export()]);
    ok(&fx.run(args));
    let plain = fx.path("stock");
    open_with_stock_tools(&id, &vault, &plain);
    assert_same_tree(&plain.join("export"), fx.export(), Meta::Full);
}

#[test]
fn ssh_keygen_accepts_the_manifest_signature_in_namespace_kura_manifest_only() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let plain = fx.path("stock");
    open_with_stock_tools(&fx.engineer.private, &vault, &plain);
    let manifest = plain.join(".kura/manifest.json");
    let sig = plain.join(".kura/manifest.json.sig");
    let p = &fx.engineer.principal;
    let good = ssh_verify(&fx.signers, p, "kura-manifest", &sig, &manifest);
    assert!(good.status.success(), "{}", describe(&good));
    assert!(
        stdout_of(&good).contains("Good \"kura-manifest\" signature"),
        "{}",
        describe(&good)
    );

    let wrong_ns = ssh_verify(&fx.signers, p, "kura-receipt", &sig, &manifest);
    assert!(!wrong_ns.status.success(), "accepted in another namespace");
    let wrong_principal = ssh_verify(&fx.signers, &fx.clinic.principal, "kura-manifest", &sig, &manifest);
    assert!(!wrong_principal.status.success(), "accepted for the clinic's principal");
    let mut altered = fs::read(&manifest).unwrap();
    let at = altered.iter().position(|b| *b == b'5').unwrap();
    altered[at] = b'6';
    let altered = write(&fx.path("altered.json"), altered);
    let bad = ssh_verify(&fx.signers, p, "kura-manifest", &sig, &altered);
    assert!(!bad.status.success(), "accepted an altered manifest");
}

#[test]
fn ssh_keygen_accepts_the_receipt_signature_and_a_custody_record_signature() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    ok(&fx.verify(&vault, &fx.clinic.private, &[]));
    let log = fs::read_to_string(custody_of(&vault)).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2);

    // Record 0 holds the receipt's exact text and its signature.
    let rec0: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let receipt = write(&fx.path("receipt.json"), rec0["receipt"].as_str().unwrap());
    let receipt_sig = write(&fx.path("receipt.sig"), rec0["receipt_sig"].as_str().unwrap());
    let good = ssh_verify(
        &fx.signers,
        &fx.engineer.principal,
        "kura-receipt",
        &receipt_sig,
        &receipt,
    );
    assert!(good.status.success(), "{}", describe(&good));
    let wrong_ns = ssh_verify(
        &fx.signers,
        &fx.engineer.principal,
        "kura-custody",
        &receipt_sig,
        &receipt,
    );
    assert!(
        !wrong_ns.status.success(),
        "receipt signature accepted as a custody signature"
    );

    // Each record: the line without `,"sig":"…"` is what was signed.
    for (line, principal) in [(lines[0], &fx.engineer.principal), (lines[1], &fx.clinic.principal)] {
        let cut = line.rfind(",\"sig\":\"").expect("sig is the last member");
        let msg = write(&fx.path("record.msg"), format!("{}}}", &line[..cut]));
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let sig = write(&fx.path("record.sig"), v["sig"].as_str().unwrap());
        let good = ssh_verify(&fx.signers, principal, "kura-custody", &sig, &msg);
        assert!(good.status.success(), "record not accepted:\n{}", describe(&good));
        let wrong_ns = ssh_verify(&fx.signers, principal, "kura-receipt", &sig, &msg);
        assert!(!wrong_ns.status.success());
    }
}

/// Packs the export with `key` (its .pub as the only recipient), then
/// verifies and extracts with it; `pass` is a passphrase file if needed.
fn round_trip_with(fx: &Desk, key: &Path, pass: Option<&Path>, name: &str) {
    let public = fs::read_to_string(format!("{}.pub", key.display())).unwrap();
    let vault = fx.path(&format!("{name}.kura"));
    let mut pass_args: Vec<std::ffi::OsString> = vec![];
    if let Some(p) = pass {
        pass_args = osargs!["--passphrase-file", p];
    }
    let mut c = fx.kura();
    c.args(osargs!["pack", "-o", vault, "-r", public.trim(), "-i", key])
        .args(&pass_args)
        .args(approval_args())
        .arg(fx.export());
    ok(&c.output().unwrap());
    let mut c = fx.kura();
    c.args(osargs!["verify", vault, "-i", key]).args(&pass_args);
    ok(&c.output().unwrap());
    let dest = fx.path(&format!("{name}-dest"));
    let mut c = fx.kura();
    c.args(osargs!["extract", vault, "-i", key, "-C", dest])
        .args(&pass_args);
    ok(&c.output().unwrap());
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
    let recs = custody_records(&vault);
    let events: Vec<&str> = recs.iter().map(|r| r["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["packed", "verified", "extracting", "extracted"]);
    let want = bare_key(&public);
    assert!(recs.iter().all(|r| r["actor"]["key"] == want.as_str()));
}

#[test]
fn keys_made_by_ssh_keygen_pack_verify_and_extract() {
    let fx = Desk::with_export();
    let plain_key = fx.path("keys/ssh_plain");
    tool_ok(
        "ssh-keygen",
        osargs!["-q", "-t", "ed25519", "-N", "", "-C", "plain@ssh", "-f", plain_key],
    );
    round_trip_with(&fx, &plain_key, None, "plain");

    let enc_key = fx.path("keys/ssh_enc");
    tool_ok(
        "ssh-keygen",
        osargs![
            "-q",
            "-t",
            "ed25519",
            "-N",
            "pass phrase 2",
            "-C",
            "enc@ssh",
            "-f",
            enc_key
        ],
    );
    let pass = write(&fx.path("pass.txt"), "pass phrase 2\n");
    round_trip_with(&fx, &enc_key, Some(&pass), "enc");

    // Without its passphrase the encrypted key is refused at once, and a
    // wrong one is refused too.
    let vault = fx.path("enc.kura");
    assert_refused(&fx.verify(&vault, &enc_key, &[]), 4);
    let wrong = write(&fx.path("wrong.txt"), "not it\n");
    let line = assert_refused(
        &fx.verify(&vault, &enc_key, &["--passphrase-file", wrong.to_str().unwrap()]),
        4,
    );
    assert!(line.contains("wrong passphrase"), "{line}");
}

#[test]
fn keys_made_by_kura_work_with_ssh_keygen_and_age() {
    let fx = Desk::with_export();
    // ssh-keygen reads the private key and derives the same public key.
    let out = tool_ok("ssh-keygen", osargs!["-y", "-f", fx.engineer.private]);
    assert_eq!(bare_key(&stdout_of(&out)), bare_key(&fx.engineer.line));

    // ssh-keygen signs with it; the signature verifies.
    let msg = write(&fx.path("message.txt"), "a dummy message\n");
    tool_ok(
        "ssh-keygen",
        osargs!["-Y", "sign", "-f", fx.engineer.private, "-n", "file", msg],
    );
    let sig = fx.path("message.txt.sig");
    let good = ssh_verify(&fx.signers, &fx.engineer.principal, "file", &sig, &msg);
    assert!(good.status.success(), "{}", describe(&good));

    // A passphrase-protected kura key opens in ssh-keygen with its passphrase.
    let pass = write(&fx.path("pass.txt"), "kura pass\n");
    let enc = fx.path("keys/enc");
    ok(&fx.run(osargs!["keygen", "-o", enc, "--passphrase-file", pass]));
    let out = tool_ok("ssh-keygen", osargs!["-y", "-P", "kura pass", "-f", enc]);
    let pub_line = fs::read_to_string(fx.path("keys/enc.pub")).unwrap();
    assert_eq!(bare_key(&stdout_of(&out)), bare_key(&pub_line));

    // age encrypts to the .pub and decrypts with the private key.
    let plain = write(&fx.path("plain.txt"), "dummy data\n");
    let enc_file = fx.path("plain.txt.age");
    tool_ok("age", osargs!["-R", fx.clinic.public, "-o", enc_file, plain]);
    let out = tool_ok("age", osargs!["-d", "-i", fx.clinic.private, enc_file]);
    assert_eq!(out.stdout, b"dummy data\n");
}

#[test]
fn many_small_files_keep_their_order_content_and_hashes() {
    // Enough small files, of sizes around the limits, to fill several of
    // the runs that pack frames on helper threads, with large files between.
    let fx = Desk::with_export();
    let src = fx.path("many");
    for i in 0..700u64 {
        let dir = src.join(format!("d{:02}", i / 100));
        let size = match i % 7 {
            0 => 0,
            1 => 64 << 10,
            2 => (64 << 10) + 1,
            _ => (i * 37 % 3000) as usize,
        };
        write_file(
            &dir.join(format!("f{i:04}.bin")),
            &noise(size, i),
            0o644,
            1_700_000_000 + i as i64,
        );
    }
    let vault = fx.path("many.kura");
    ok(&fx.pack(&vault, &[], &[&src]));
    // Stock tools see the files in the walk's order (names sorted), intact.
    let o = shell(
        &fx.root,
        &format!(
            "age -d -i {} {} | zstd -d | tar -tf -",
            fx.engineer.private.display(),
            vault.display()
        ),
    );
    assert!(o.status.success(), "{}", describe(&o));
    let names: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.ends_with(".bin"))
        .map(str::to_string)
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names.len(), 700);
    assert_eq!(names, sorted, "members out of order");
    let plain = fx.path("stock");
    open_with_stock_tools(&fx.engineer.private, &vault, &plain);
    assert_same_tree(&plain.join("many"), &src, Meta::Full);
    // kura's own check of every hash passes.
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}

#[test]
fn a_tree_of_many_small_folders_packs_within_a_low_descriptor_limit() {
    // pack opens small files relative to their folder, holding folders
    // open while their files wait to be read; however many folders the
    // tree has, it must stay within the process's descriptor limit.
    let fx = Desk::with_export();
    let src = fx.path("folders");
    for d in 0..300u64 {
        for f in 0..8u64 {
            let i = d * 8 + f;
            write_file(
                &src.join(format!("p{d:03}/r{f}.txt")),
                format!("dummy receipt {i}\n").as_bytes(),
                0o644,
                1_700_000_000 + i as i64,
            );
        }
    }
    let vault = fx.path("folders.kura");
    let mut args = fx.pack_args(&vault);
    args.push(src.clone().into_os_string());
    let out = fx
        .command("sh")
        .arg("-c")
        .arg("ulimit -n 100; exec \"$@\"")
        .arg("sh")
        .arg(KURA)
        .args(&args)
        .output()
        .expect("kura runs");
    ok(&out);
    let plain = fx.path("stock");
    open_with_stock_tools(&fx.engineer.private, &vault, &plain);
    assert_same_tree(&plain.join("folders"), &src, Meta::Full);
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}
