//! The shipped nightly backup, end to end: docs/examples/kura-nightly.sh
//! run for real, night after night, against a throwaway PostgreSQL
//! cluster, with the passphrase handed over as systemd's LoadCredential
//! does; each night's dump restored by following docs/BACKUPS.md's
//! walk-through line for line; a failing dump and an altered vault make
//! the night fail with kura's exit code. The nights are simulated:
//! `KURA_NOW` for kura (its records are flagged as dated by hand, as
//! expected) and a `date` on PATH that says the same time, for the
//! vault's name.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use crate::common::*;
use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/kura-nightly.sh");
const BACKUPS_DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/BACKUPS.md");

/// The clinic's server: the database, its keys and settings, the backup
/// folder, and the service's credentials folder.
struct Server {
    pg: Postgres,
    desk: Desk,
    /// Holds `kura` and the simulated `date`.
    bin: PathBuf,
    backups: PathBuf,
    certificates: PathBuf,
    /// `$CREDENTIALS_DIRECTORY`: `kura-passphrase`, as LoadCredential= gives it.
    credentials: PathBuf,
}

impl Server {
    fn new() -> Server {
        let pg = Postgres::start();
        pg.sql("postgres", "CREATE DATABASE orca");
        pg.sql(
            "orca",
            "CREATE TABLE patients (id int PRIMARY KEY, name text, born date);
             INSERT INTO patients SELECT i, 'ダミー患者 ' || i, DATE '1950-01-01' + i * 97 % 20000
               FROM generate_series(1, 300) i;
             CREATE TABLE visits (id serial PRIMARY KEY, patient int REFERENCES patients, night text, points int);",
        );
        let desk = Desk::new();
        let bin = desk.mkdir("bin");
        std::os::unix::fs::symlink(KURA, bin.join("kura")).unwrap();
        // `date` at the simulated night (in Japan time, TZ=JST-9).
        fs::write(bin.join("date"), "#!/bin/sh\nexec /bin/date -d \"$KURA_NOW\" \"$@\"\n").unwrap();
        fs::set_permissions(bin.join("date"), fs::Permissions::from_mode(0o755)).unwrap();

        // Section 1 of docs/BACKUPS.md: the server's key with a passphrase
        // in a root-only file, the recovery key as the only recipient, who
        // may pack, the clinic's standing approval (keep-days 7).
        let credentials = desk.mkdir("credentials");
        set_mode(&credentials, 0o700);
        desk.write("credentials/kura-passphrase", "dummy nightly passphrase\n");
        set_mode(&credentials.join("kura-passphrase"), 0o400);
        ok(desk
            .kura()
            .args(["keygen", "-o", "nightly.key", "--comment", "nightly@clinic-server"])
            .arg("--passphrase-file")
            .arg(credentials.join("kura-passphrase")));
        ok(&desk.run([
            "keygen",
            "-o",
            "recovery.key",
            "--comment",
            "recovery@clinic",
            "--no-passphrase",
        ]));
        desk.write("recipients.txt", &desk.read("recovery.key.pub"));
        // Who may write in the logs: the server packs and prunes, the
        // recovery key records each restore (an extraction).
        desk.write(
            "allowed_signers",
            &format!(
                "nightly@clinic-server {}\nrecovery@clinic {}\n",
                bare_key(&desk.read("nightly.key.pub")),
                bare_key(&desk.read("recovery.key.pub"))
            ),
        );
        desk.write(
            "clinic_signers",
            &format!("{} {}\n", desk.clinic.principal, bare_key(&desk.clinic.line)),
        );
        ok(desk.kura().env("KURA_NOW", "2026-03-31T17:00:00+09:00").args([
            "approve",
            "--standing",
            "--keep-days",
            "7",
            "-o",
            "standing-approval.json",
            "-i",
            "clinic.key",
            "--approval-id",
            "NIGHTLY-2026",
            "--approved-by",
            "Dummy Director",
            "--role",
            "director",
            "--clinic",
            "Dummy Clinic",
            "--engineer",
            "nightly.key.pub",
            "--recipient",
            "recovery.key.pub",
            "--purpose",
            "nightly backup of the clinic database",
            "--scope",
            "database orca, every table",
        ]));
        let backups = desk.mkdir("backups");
        let certificates = desk.path("state/certificates");
        Server {
            pg,
            bin,
            backups,
            certificates,
            credentials,
            desk,
        }
    }

    /// `program` with the service's environment at `now` (what the unit's
    /// Environment= and LoadCredential= give it) and the database on the
    /// cluster's socket.
    fn service(&self, program: &str, now: &str, db: &str) -> Command {
        let d = &self.desk;
        let mut c = d.command(program);
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default());
        c.env("PATH", path)
            .env("TZ", "JST-9")
            .env("KURA_NOW", now)
            .env("PGHOST", self.pg.socket())
            .env("PGUSER", "kura")
            .env("CREDENTIALS_DIRECTORY", &self.credentials)
            .env("KURA_DB", db)
            .env("KURA_BACKUP_DIR", &self.backups)
            .env("KURA_KEY", d.path("nightly.key"))
            .env("KURA_RECIPIENTS", d.path("recipients.txt"))
            .env("KURA_APPROVAL", d.path("standing-approval.json"))
            .env("KURA_CLINIC_SIGNERS", d.path("clinic_signers"))
            .env("KURA_SIGNERS", d.path("allowed_signers"))
            .env("KURA_CERTIFICATES", &self.certificates)
            .env("KURA_KEEP", "--keep-last 3");
        c
    }

    /// A night's new rows, then the script at `now` on database `db`.
    fn night(&self, now: &str, db: &str) -> Output {
        self.add_rows(now);
        self.service("bash", now, db).arg(SCRIPT).output().unwrap()
    }

    /// The day's work in the database.
    fn add_rows(&self, now: &str) {
        self.pg.sql(
            "orca",
            &format!(
                "INSERT INTO visits (patient, night, points)
                   SELECT 1 + i * 7 % 300, '{now}', i * 13 % 900 FROM generate_series(1, 200) i"
            ),
        );
    }

    fn vaults(&self) -> BTreeSet<String> {
        names_in(&self.backups)
            .into_iter()
            .filter(|n| n.ends_with(".kura"))
            .collect()
    }

    fn certificates(&self) -> BTreeSet<String> {
        names_in(&self.certificates)
            .into_iter()
            .filter(|n| n.ends_with(".json"))
            .collect()
    }

    /// What the database holds, as one line per table.
    fn data(&self, db: &str) -> Vec<String> {
        [
            "SELECT count(*), md5(string_agg(name || born, ',' ORDER BY id)) FROM patients",
            "SELECT count(*), sum(points), md5(string_agg(patient || night || points, ',' ORDER BY id)) FROM visits",
        ]
        .iter()
        .map(|q| self.pg.sql(db, q))
        .collect()
    }

    /// docs/BACKUPS.md section 6 (see [`walk_through`]), its commands as
    /// written, for `vault` (the example's name and folder replaced by the
    /// test's) at `now`; into a fresh `orca_restored`.
    fn restore_as_documented(&self, vault: &str, now: &str) -> Output {
        let block = walk_through(BACKUPS_DOC);
        assert!(block.contains("orca-20260401T013000.kura") && block.contains("/srv/kura-backups"));
        let script = block
            .replace("orca-20260401T013000.kura", vault)
            .replace("/srv/kura-backups", self.backups.to_str().unwrap());
        self.pg.sql("postgres", "DROP DATABASE IF EXISTS orca_restored");
        let mut c = self.service("bash", now, "orca");
        c.args(["-c", &format!("set -euo pipefail\n{script}")]);
        c.output().unwrap()
    }
}

/// The restore walk-through of a BACKUPS document: the first `sh` block
/// of its section 6.
fn walk_through(doc: &str) -> String {
    let doc = fs::read_to_string(doc).unwrap();
    let section = &doc[doc.find("## 6. ").expect("the document has its section 6")..];
    let block = section.split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    block.to_string()
}

/// The vault names of a night at 01:30 Japan time.
fn vault(day: &str) -> String {
    format!("orca-{}T013000.kura", day.replace('-', ""))
}

fn at(day: &str) -> String {
    format!("{day}T01:30:00+09:00")
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|d| vault(d)).collect()
}

#[test]
fn the_shipped_nightly_script_backs_up_restores_prunes_and_fails_loudly() {
    let s = Server::new();
    // keep-last 3 and keep-days 7: (night, vaults left after it). A week
    // without backups after 5 April: on the 13th every older vault's
    // delete-by day has come (the 10th, 11th and 12th), though keep-last
    // would keep them.
    let nights: &[(&str, &[&str])] = &[
        ("2026-04-01", &["2026-04-01"]),
        ("2026-04-02", &["2026-04-01", "2026-04-02"]),
        ("2026-04-03", &["2026-04-01", "2026-04-02", "2026-04-03"]),
        ("2026-04-04", &["2026-04-02", "2026-04-03", "2026-04-04"]),
        ("2026-04-05", &["2026-04-03", "2026-04-04", "2026-04-05"]),
        ("2026-04-13", &["2026-04-13"]),
    ];
    let mut before = BTreeSet::new();
    let mut certificates = 0;
    for &(day, left) in nights {
        let o = if day == "2026-04-04" {
            // Traced: nothing is written but the vault, its log, kura's
            // temporary files beside them and the certificate.
            let log = s.desk.path("strace.log");
            let mut c = s.service("strace", &at(day), "orca");
            strace_into(&mut c, &log).arg("bash").arg(SCRIPT);
            s.add_rows(&at(day));
            let (o, calls) = traced(&mut c, &log);
            let pids: BTreeSet<&str> = calls.iter().filter_map(|c| c.line.split(' ').next()).collect();
            assert!(pids.len() > 2, "bash, kura and pg_dump were traced");
            assert!(calls.iter().any(|c| c.line.contains("pg_dump")), "pg_dump ran");
            let stray = writes_outside(&calls, &[&s.backups, &s.certificates]);
            assert!(stray.is_empty(), "the night wrote elsewhere:\n{}", stray.join("\n"));
            o
        } else {
            s.night(&at(day), "orca")
        };
        ok(&o);
        let now = s.vaults();
        assert_eq!(now, set(left), "{day}: {}", describe(&o));
        assert!(
            now.contains(&vault(day)) && !before.contains(&vault(day)),
            "{day}: one new vault"
        );
        before = now;

        // Tonight's dump restores, by the documented walk-through, into the
        // same data; no dump file appears on the way.
        let o = s.restore_as_documented(&vault(day), &format!("{day}T09:00:00+09:00"));
        ok(&o);
        assert!(stdout_of(&o).contains("orca.dump"), "{}", describe(&o));
        let (source, restored) = (s.data("orca"), s.data("orca_restored"));
        assert_eq!(source, restored, "{day}");
        assert!(!restored[1].starts_with("0|"), "{restored:?}");
        for dir in [&s.backups, &s.certificates, &s.desk.cwd] {
            if dir.exists() {
                for name in names_in(dir) {
                    let bytes = fs::read(dir.join(&name)).unwrap_or_default();
                    assert!(!bytes.starts_with(b"PGDMP"), "a plaintext dump: {name}");
                }
            }
        }
        let written = s.certificates().len();
        assert!(
            written == certificates || written == certificates + 1,
            "{day}: one certificate a run"
        );
        certificates = written;
    }
    // A certificate on each night that deleted: the 4th, 5th and 13th.
    assert_eq!(certificates, 3);

    // The 13th's certificate covers the three vaults past their delete-by
    // day, and `kura certificate verify` accepts it against their logs.
    let cert_path = s.certificates.join("prune-20260413T013000.json");
    let cert: Value = serde_json::from_slice(&fs::read(&cert_path).unwrap()).unwrap();
    assert_eq!(1 + cert["other_vaults"].as_array().unwrap().len(), 3, "{cert}");
    for day in ["2026-04-03", "2026-04-05"] {
        let log = s.backups.join(format!("{}.custody", vault(day)));
        assert_eq!(
            custody_records(&s.backups.join(vault(day))).last().unwrap()["event"],
            "deleted"
        );
        let o = ok(&s
            .desk
            .verify_certificate(&cert_path, &log, s.desk.path("allowed_signers"), &["--json"]));
        let v = json(&o);
        assert_eq!(v["vaults"], 3);
        assert_eq!(v["timing"], "time-not-reliable", "KURA_NOW dates are flagged");
    }

    // A night whose dump fails (no such database): the script stops with
    // kura's exit code 10 (docs/EXIT-CODES.md), no vault, nothing pruned.
    let files = names_in(&s.backups);
    let o = s.night(&at("2026-04-14"), "no_such_db");
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(10), "{}", describe(&o));
    let err = stderr_of(&o);
    let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("kura:")).collect();
    assert_eq!(ours.len(), 1, "{}", describe(&o));
    assert!(ours[0].contains("pg_dump"), "{}", ours[0]);
    assert_eq!(names_in(&s.backups), files, "nothing written, nothing pruned");
    assert_eq!(s.certificates().len(), 3);

    // A night where an older vault has been altered: tonight's backup is
    // still made, the check reports the altered one and prune keeps it
    // (keep-last 3 alone would delete it), and the script exits with the
    // check's 6.
    ok(&s.night(&at("2026-04-15"), "orca"));
    ok(&s.night(&at("2026-04-16"), "orca"));
    let altered = s.backups.join(vault("2026-04-13"));
    let mut bytes = fs::read(&altered).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    fs::write(&altered, &bytes).unwrap();
    let o = s.night(&at("2026-04-17"), "orca");
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(6), "{}", describe(&o));
    let left = set(&["2026-04-13", "2026-04-15", "2026-04-16", "2026-04-17"]);
    assert_eq!(s.vaults(), left);
    let refused = stdout_of(&o)
        .lines()
        .any(|l| l.starts_with("Not deleted:") && l.contains(&vault("2026-04-13")));
    assert!(refused, "prune ran and refused it: {}", describe(&o));
    assert_eq!(s.certificates().len(), 3, "nothing deleted");
    bytes[middle] ^= 0x40;
    fs::write(&altered, &bytes).unwrap();

    // Put back, the folder checks clean: the four vaults left, every
    // deleted one shown by its log.
    let o = ok(s
        .service("kura", "2026-04-17T09:00:00+09:00", "orca")
        .arg("--json")
        .args(["list", "--check"])
        .arg(&s.backups));
    let j = json(&o);
    let vaults = j["vaults"].as_array().unwrap();
    assert_eq!(vaults.len(), nights.len() + 3, "{j}");
    let matching: Vec<&Value> = vaults.iter().filter(|v| v["ciphertext"] == "matches").collect();
    assert_eq!(matching.len(), 4, "{j}");
}

/// The Japanese walk-through runs the same commands as the English one
/// (the one the test above runs): only its comments differ.
#[test]
fn the_japanese_restore_walk_through_runs_the_same_commands() {
    let commands = |doc: &str| -> Vec<String> {
        walk_through(doc)
            .lines()
            .map(|l| l.split(" #").next().unwrap().trim_end().to_string())
            .collect()
    };
    let ja = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/BACKUPS.ja.md");
    assert_eq!(commands(ja), commands(BACKUPS_DOC));
}
