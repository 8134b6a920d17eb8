//! Attacks on the clinic's signed approval, countersignatures, list/prune
//! and the clinic's receipt: each test stages one and asserts kura refuses
//! it or says what it is.

use std::path::{Path, PathBuf};

use crate::approval::approve_args;
use crate::common::*;

/// `kura approve` at `out` (see [`approve_args`]) with `extra`.
fn approve(desk: &Desk, out: &str, extra: &[&str]) -> PathBuf {
    ok(&desk.run(approve_args(desk, out, extra)));
    desk.path(out)
}

/// An approval at `out` as [`approve`] makes it, but signed with the
/// engineer's own key.
fn self_approval(desk: &Desk, out: &str) -> PathBuf {
    let mut args = approve_args(desk, out, &[]);
    let i = args.iter().position(|a| a == "-i").unwrap();
    args[i + 1] = desk.engineer.private.clone().into();
    ok(&desk.run(args));
    desk.path(out)
}

/// Packs the desk's export through the library, as a hand that does not
/// ask `PackUnder` would: the signed approval is carried as it is, none of
/// its terms checked, by the desk's engineer, to the clinic's key, at `now`.
fn pack_carrying(desk: &Desk, document: &Path, now: &str, out: &Path) {
    let signed = kura::vault::manifest::SignedApproval {
        document: std::fs::read_to_string(document).unwrap(),
        signature: std::fs::read_to_string(kura::approval::signature_path(document)).unwrap(),
    };
    let (approval, _) = kura::approval::open(&signed).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(now).unwrap();
    let declared = approval.declared_for(&signed, now.date_naive());
    let input = kura::vault::pack::ApprovalInput {
        id: declared.id,
        approved_by: declared.approved_by,
        purpose: declared.purpose,
        delete_by: declared.delete_by,
        document: None,
        signed: Some(signed),
        terms: approval.terms(),
    };
    let mut recipients = kura::keys::Recipients::default();
    recipients.add(&desk.clinic.line, "-r #1").unwrap();
    let passphrase = kura::keys::PassphraseSource::new(None);
    let keys = [desk.engineer.private.clone()];
    let probe = kura::guard::system();
    let inputs = [desk.export().to_path_buf()];
    let opts = kura::vault::pack::PackOptions::new(out.to_path_buf());
    kura::custodian::pack(
        &kura::custodian::PackRequest {
            inputs: &inputs,
            approval: &input,
            under: None,
            custody: None,
            opts: &opts,
            keys: kura::custodian::Keys {
                paths: &keys,
                passphrase: &passphrase,
            },
            recipients: &recipients,
            now,
            allow: Default::default(),
            probe: probe.as_ref(),
        },
        &|_| {},
    )
    .unwrap();
}

/// A vault carrying the clinic's signed approval, packed by a key the
/// approval does not name, or after a standing approval ran out, or one
/// carrying an approval its packer signed himself: verify
/// must not pass it as packed under the clinic's approval.
#[test]
fn a_vault_outside_its_signed_approval_fails_verify() {
    if ran_in_own_process() {
        return;
    }
    let desk = Desk::with_export();
    desk.mkdir("a");
    desk.mkdir("out");
    // Only the clinic's own key may pack under this one.
    let clinic = desk.clinic.public.to_str().unwrap();
    let other = approve(&desk, "a/other.json", &["--engineer", clinic]);
    // The engineer may pack under this one until 2026-04-30.
    let standing = approve(
        &desk,
        "a/standing.json",
        &["--standing", "--keep-days", "30", "--valid-until", "2026-04-30"],
    );
    let own = self_approval(&desk, "a/self.json");
    let cases = [
        (other, NOW, "out/stranger.kura"),
        (own, NOW, "out/self.kura"),
        (standing.clone(), "2026-06-01T10:00:00+09:00", "out/late.kura"),
    ];
    for (document, now, out) in cases {
        let vault = desk.path(out);
        pack_carrying(&desk, &document, now, &vault);
        let out = desk.run(osargs!["--json", "verify", vault, "-i", desk.clinic.private]);
        assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
        assert_eq!(
            json(&out)["error"]["id"],
            "err-approval-not-covered",
            "{}",
            describe(&out)
        );
        // The loss report does not call it consent either.
        let out = ok(&desk.run(osargs!["--json", "incident", custody_of(&vault)]));
        assert_eq!(
            json(&out)["facts"]["approval"]["consent"],
            "invalid",
            "{}",
            describe(&out)
        );
    }
    // Within its terms, the same way of packing verifies.
    let vault = desk.path("out/fine.kura");
    pack_carrying(&desk, &standing, NOW, &vault);
    ok(&desk.run(osargs!["--json", "verify", vault, "-i", desk.clinic.private]));
}

/// The issuer countersigns as a witness under a second key the clinic's
/// signers file lists under the issuer's own name: the certificate must not
/// be shown as witnessed by someone else.
#[test]
fn the_issuer_under_a_second_key_is_no_witness() {
    use crate::certdoc::{certified, countersign, witness_key};
    let d = Desk::new();
    let cert = certified(&d);
    let second = witness_key(&d, ENGINEER, true);
    ok(&countersign(&d, &cert, &second, "立会人（ダミー）", "立会人", &[]));
    let out = d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--json"]);
    assert_eq!(out.status.code(), Some(7), "{}", describe(&out));
    assert_eq!(json(&out)["error"]["id"], "err-witness-is-issuer-principal");
    let render = d
        .kura()
        .args(["--json", "certificate", "render", "-o", "cert.html"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert)
        .output()
        .unwrap();
    assert_eq!(render.status.code(), Some(7), "{}", describe(&render));
    assert_absent(&d.path("cert.html"));
}

/// A vault dated years ahead (a clock set wrong, or a packer's hand): it
/// would stand as the newest vault for years, never deleted and pushing
/// the real backups out of keep-last. It is refused and counts for nothing.
#[test]
fn a_vault_dated_in_the_future_pushes_no_backup_out() {
    use crate::retention::{desk, pack_night, prune, vaults_left};
    let d = desk();
    pack_night(&d, "real", "2026-04-01T01:00:00+09:00", "2026-05-01");
    pack_night(&d, "ahead", "2036-04-01T01:00:00+09:00", "2036-05-01");
    // Tomorrow where it was packed, today where it is pruned: not refused.
    pack_night(&d, "east", "2026-04-03T08:00:00+14:00", "2026-05-01");
    let out = prune(&d, "2026-04-02T03:00:00+09:00", &["--keep-last", "2"], &["--json"]);
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    let left = vaults_left(&d);
    assert!(
        left.contains("real") && left.contains("ahead") && left.contains("east"),
        "{left:?}"
    );
    let v = json(&out);
    let of = |name: &str| {
        v["vaults"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["vault"].as_str().unwrap().ends_with(name))
            .unwrap()
            .clone()
    };
    assert_eq!(of("ahead.kura")["error"], "err-prune-future", "{v:#}");
    assert_eq!(of("east.kura")["action"], "keep", "{v:#}");
    assert_eq!(of("real.kura")["action"], "keep", "{v:#}");
}

/// A careless `-o` names a file of the folder's vaults (`--force` given,
/// as a script may): the certificate would take the place of a kept
/// vault's custody log. Refused before anything is removed or written.
#[test]
fn a_prune_certificate_named_as_a_vault_file_of_the_folder_is_refused() {
    use crate::retention::{desk, pack_night, prune, vaults_left};
    let d = desk();
    pack_night(&d, "old", "2026-03-01T01:00:00+09:00", "2026-03-31");
    pack_night(&d, "real", "2026-04-01T01:00:00+09:00", "2026-05-01");
    let before = listing(&d.path("backups"), Meta::Content);
    for out in ["backups/real.kura.custody", "backups/new.kura"] {
        let o = prune(
            &d,
            "2026-04-02T03:00:00+09:00",
            &["--keep-last", "1"],
            &["-o", out, "--force", "--json"],
        );
        assert_eq!(o.status.code(), Some(3), "{}", describe(&o));
        assert_eq!(
            json(&o)["error"]["id"],
            "err-prune-output-in-folder",
            "{}",
            describe(&o)
        );
        assert_eq!(listing(&d.path("backups"), Meta::Content), before, "{out}");
    }
    assert_eq!(vaults_left(&d).len(), 2);
}

/// One witness's statement copied (or linked) under a second number: the
/// certificate would show two countersignatures where one person signed.
#[test]
fn a_witness_copied_under_another_number_counts_once_or_not_at_all() {
    use crate::certdoc::{certified, countersign, witness_key};
    let d = Desk::new();
    let cert = certified(&d);
    let nurse = witness_key(&d, "nurse@clinic.test", true);
    ok(&countersign(&d, &cert, &nurse, "佐藤（ダミー）", "立会人", &[]));
    for ext in ["json", "json.sig"] {
        std::fs::copy(
            d.path(&format!("a.cert.json.witness-1.{ext}")),
            d.path(&format!("a.cert.json.witness-2.{ext}")),
        )
        .unwrap();
    }
    let out = d.verify_certificate(&cert, "a.clinic.custody", "allowed_signers", &["--json"]);
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    assert_eq!(json(&out)["error"]["id"], "err-witness-twice");
}

/// The newest backup copied under another name, its log with it (by a
/// careless hand or on purpose): the same vault counted twice would push a
/// real backup out of keep-last. Both copies are refused and count for
/// nothing; the policy keeps the real backups.
#[test]
fn a_vault_copied_under_another_name_is_not_counted_twice() {
    use crate::retention::{desk, pack_night, prune, vaults_left};
    let d = desk();
    for day in 1..=3 {
        let name = format!("night-{day}");
        pack_night(&d, &name, &format!("2026-04-0{day}T01:00:00+09:00"), "2026-05-01");
    }
    for ext in ["kura", "kura.custody"] {
        std::fs::copy(
            d.path(&format!("backups/night-3.{ext}")),
            d.path(&format!("backups/zz-copy.{ext}")),
        )
        .unwrap();
    }
    let out = prune(&d, "2026-04-04T03:00:00+09:00", &["--keep-last", "2"], &["--json"]);
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    let left = vaults_left(&d);
    for name in ["night-1", "night-2", "night-3", "zz-copy"] {
        assert!(left.contains(name), "{name}: {left:?}");
    }
    let v = json(&out);
    let copies: Vec<_> = v["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["error"] == "err-prune-same-vault")
        .collect();
    assert_eq!(copies.len(), 2, "{v:#}");
}

/// `ledger close --receipt-out` naming the very log given to `--append-to`
/// (or the certificate), `--force` given: the clinic's custody log (or the
/// certificate) would be replaced by the receipt. Refused before the
/// ledger or any file changes.
#[test]
fn a_receipt_out_naming_the_log_or_the_certificate_is_refused() {
    use crate::incident_report::{certified, close_cmd};
    let d = Desk::new();
    let cert = certified(&d, "a", "2026-06-30", "2026-06-01T10:00:00+09:00");
    let before = listing(&d.root, Meta::Content);
    for target in ["a.clinic.custody", "a.cert.json", "a.cert.json.sig"] {
        let out = close_cmd(
            &d,
            "2026-06-02T09:00:00+09:00",
            &cert,
            &[
                "-i",
                "clinic.key",
                "--append-to",
                "a.clinic.custody",
                "--receipt-out",
                target,
                "--force",
                "--json",
            ],
        )
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(3), "{target}: {}", describe(&out));
        assert_eq!(json(&out)["error"]["id"], "err-output-replaces-input", "{target}");
        assert_eq!(listing(&d.root, Meta::Content), before, "{target}");
    }
}

/// `certify -o` naming the vault's own custody log (or the vault), `--force`
/// given: the log, the evidence, would be replaced by the certificate.
/// Refused before anything is destroyed or written.
#[test]
fn a_certificate_output_naming_the_log_or_the_vault_is_refused() {
    let d = Desk::new();
    d.pack_small("a", "APP-ATK-2", "調査（ダミー）", "2026-06-30", NOW);
    let before = listing(&d.root, Meta::Content);
    for target in ["a.kura.custody", "a.kura"] {
        let out = d.run([
            "--json",
            "certify",
            "a.kura",
            "--deleted",
            "-i",
            "engineer.key",
            "-o",
            target,
            "--force",
        ]);
        assert_eq!(out.status.code(), Some(3), "{target}: {}", describe(&out));
        assert_eq!(json(&out)["error"]["id"], "err-output-replaces-input", "{target}");
        assert_eq!(listing(&d.root, Meta::Content), before, "{target}");
    }
}

/// `-o` naming the very key given with `-i`, `--force` given: `pack` would
/// replace the engineer's key with the vault, `approve` the clinic's key
/// with the approval. Refused before anything is written.
#[test]
fn an_output_naming_the_signing_key_is_refused() {
    let d = Desk::with_export();
    let before = listing(&d.root, Meta::Content);
    let mut pack = d.pack_args(&d.engineer.private);
    pack.extend(osargs!["--force", d.export()]);
    let approve = approve_args(&d, "clinic.key", &["--force"]);
    for mut args in [pack, approve] {
        args.insert(0, "--json".into());
        let out = d.run(&args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", describe(&out));
        assert_eq!(json(&out)["error"]["id"], "err-output-replaces-input", "{args:?}");
        assert_eq!(listing(&d.root, Meta::Content), before, "{args:?}");
    }
}

/// `certificate render -o` naming the certificate it prints (or its
/// signature, or the clinic's log), `--force` given: the page would
/// replace the certificate. Refused.
#[test]
fn a_page_naming_the_certificate_it_prints_is_refused() {
    use crate::certdoc::certified;
    let d = Desk::new();
    let cert = certified(&d);
    let before = listing(&d.root, Meta::Content);
    for target in ["a.cert.json", "a.cert.json.sig", "a.clinic.custody"] {
        let out = d.run([
            "--json",
            "certificate",
            "render",
            "a.cert.json",
            "-o",
            target,
            "--force",
            "--signers",
            "allowed_signers",
            "--custody",
            "a.clinic.custody",
        ]);
        assert_eq!(out.status.code(), Some(3), "{target}: {}", describe(&out));
        assert_eq!(json(&out)["error"]["id"], "err-output-replaces-input", "{target}");
        assert_eq!(listing(&d.root, Meta::Content), before, "{target}");
    }
    assert!(cert.exists());
}

/// The engineer signs an approval for himself and hands pack a signers
/// file that lists his own key for every namespace (the desk's own
/// allowed_signers, say): that is the packer's word again, not the
/// clinic's consent. Refused before anything is written.
#[test]
fn an_approval_signed_by_the_packer_himself_is_refused() {
    let d = Desk::with_export();
    d.mkdir("a");
    d.mkdir("out");
    self_approval(&d, "a/self.json");
    let before = listing(&d.root, Meta::Content);
    let out = d.run(osargs![
        "--json",
        "pack",
        "-o",
        d.path("out/x.kura"),
        "-r",
        d.engineer.line,
        "-r",
        d.clinic.line,
        "-i",
        d.engineer.private,
        "--approval",
        d.path("a/self.json"),
        "--clinic-signers",
        d.signers,
        d.export()
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert_eq!(json(&out)["error"]["id"], "err-approval-self-signed");
    assert_eq!(listing(&d.root, Meta::Content), before);
}

/// A note recorded after a vault of the backup folder was deleted (the
/// log takes notes and the clinic's receipt after a deletion): the vault
/// is still rightly gone. list must not call it missing, nor prune refuse
/// it night after night; and a deleted vault's ciphertext put back is
/// still seen as remaining.
#[test]
fn a_note_after_a_deletion_leaves_the_vault_rightly_gone() {
    use crate::retention::{desk, pack_night, prune};
    let d = desk();
    pack_night(&d, "old", "2026-03-01T01:00:00+09:00", "2026-03-31");
    pack_night(&d, "real", "2026-04-01T01:00:00+09:00", "2026-05-01");
    let kept = std::fs::read(d.path("backups/old.kura")).unwrap();
    ok(&prune(&d, "2026-04-02T03:00:00+09:00", &["--keep-last", "1"], &[]));
    ok(d.custody_add(
        d.path("backups/old.kura.custody"),
        "note",
        &d.engineer.private,
        &["--note", "消去を確認（ダミー）"],
    )
    .env("KURA_NOW", "2026-04-02T04:00:00+09:00"));
    ok(d.kura().args(["list", "backups"]));
    let again = prune(
        &d,
        "2026-04-03T03:00:00+09:00",
        &["--keep-last", "1"],
        &["-o", "again.json"],
    );
    ok(&again);
    // The ciphertext back in the folder after its deletion and the note.
    std::fs::write(d.path("backups/old.kura"), kept).unwrap();
    let out = d.kura().args(["--json", "list", "backups"]).output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", describe(&out));
    let v = json(&out);
    let old = v["vaults"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["vault"].as_str().unwrap().ends_with("old.kura"))
        .unwrap()
        .clone();
    assert_eq!(old["ciphertext"], "remains", "{v:#}");
}
