//! Secrets: a passphrase never appears in kura's output, errors, --json or
//! the files it writes; core dumps are off while keys are in memory; and
//! private keys that others can read are refused with the command that
//! fixes them.

use std::fs;
#[cfg(unix)]
use std::io::Write;
use std::process::Output;
#[cfg(unix)]
use std::process::Stdio;

use crate::common::*;

const SECRET: &str = "Kura-Passphrase-9f3e51c7-DO-NOT-LEAK";
const WRONG: &str = "Wrong-Passphrase-0b77e2aa-DO-NOT-LEAK";

fn leaks(out: &Output) -> Option<String> {
    let all = format!("{}{}", stdout_of(out), stderr_of(out));
    for s in [SECRET, WRONG] {
        if all.contains(s) {
            return Some(format!("{s} in:\n{}", describe(out)));
        }
    }
    None
}

#[test]
fn a_passphrase_never_appears_in_output_errors_json_or_files() {
    let fx = Desk::with_export();
    let pass = fx.path("pass.txt");
    let wrong = fx.path("wrong.txt");
    fs::write(&pass, format!("{SECRET}\n")).unwrap();
    fs::write(&wrong, format!("{WRONG}\n")).unwrap();
    let key = fx.path("keys/locked");
    let key_s = key.to_str().unwrap();
    let p = pass.to_str().unwrap();
    let w = wrong.to_str().unwrap();
    let mut outputs: Vec<Output> = Vec::new();
    outputs.push(fx.run(osargs![
        "keygen",
        "-o",
        key,
        "--comment",
        "locked@kura.test",
        "--passphrase-file",
        pass
    ]));
    let vault = fx.path("x.kura");
    let dest = fx.path("dest");
    let cert = fx.path("cert.json");
    let line = fs::read_to_string(fx.path("keys/locked.pub")).unwrap();
    for json in [false, true] {
        let j: &[&str] = if json { &["--json"] } else { &[] };
        let run = |args: Vec<std::ffi::OsString>| {
            let mut c = fx.kura();
            c.args(j).args(args);
            c.output().unwrap()
        };
        // Wrong passphrase, passphrase from the environment, from a file.
        let mut a = osargs![
            "pack",
            "-o",
            vault,
            "-r",
            line.trim(),
            "-i",
            key_s,
            "--passphrase-file",
            w
        ];
        a.extend(approval_args());
        a.push(fx.export().into());
        outputs.push(run(a));
        let mut c = fx.kura();
        c.args(j)
            .env("KURA_PASSPHRASE_FILE", &wrong)
            .args(osargs!["verify", fx.path("none.kura"), "-i", key_s]);
        outputs.push(c.output().unwrap());
        let mut a = osargs![
            "pack",
            "-o",
            vault,
            "-r",
            line.trim(),
            "-i",
            key_s,
            "--passphrase-file",
            p,
            "--force"
        ];
        a.extend(approval_args());
        a.push(fx.export().into());
        outputs.push(run(a));
        outputs.push(run(osargs!["verify", vault, "-i", key_s, "--passphrase-file", p]));
        outputs.push(run(osargs!["verify", vault, "-i", key_s, "--passphrase-file", w]));
        outputs.push(run(osargs!["inspect", vault]));
        let _ = fs::remove_dir_all(&dest);
        outputs.push(run(osargs![
            "extract",
            vault,
            "-i",
            key_s,
            "--passphrase-file",
            p,
            "-C",
            dest
        ]));
        outputs.push(run(osargs![
            "custody",
            "add",
            vault,
            "--event",
            "note",
            "--note",
            "checked",
            "-i",
            key_s,
            "--passphrase-file",
            p
        ]));
        outputs.push(run(osargs!["custody", "show", vault]));
        outputs.push(run(osargs![
            "custody",
            "add",
            vault,
            "--event",
            "note",
            "-i",
            key_s,
            "--passphrase-file",
            w
        ]));
        // The passphrase file passed as if it were a key, a vault, a log.
        outputs.push(run(osargs!["verify", vault, "-i", p]));
        outputs.push(run(osargs!["verify", pass, "-i", key_s, "--passphrase-file", p]));
        outputs.push(run(osargs!["custody", "verify", pass]));
        outputs.push(run(osargs![
            "verify",
            vault,
            "-i",
            key_s,
            "--passphrase-file",
            p,
            "--signers",
            p
        ]));
        let mut a = osargs![
            "pack",
            "-o",
            fx.path("y.kura"),
            "-R",
            p,
            "-i",
            key_s,
            "--passphrase-file",
            p
        ];
        a.extend(approval_args());
        a.push(fx.export().into());
        outputs.push(run(a));
        let _ = fs::remove_file(&cert);
        let _ = fs::remove_file(fx.path("cert.json.sig"));
        outputs.push(run(osargs![
            "certify",
            vault,
            "--returned",
            "-i",
            key_s,
            "--passphrase-file",
            p,
            "-o",
            cert
        ]));
    }
    let mut successes = 0;
    for o in &outputs {
        assert_no_panic(o);
        if let Some(l) = leaks(o) {
            panic!("a passphrase leaked: {l}");
        }
        successes += o.status.success() as usize;
    }
    assert!(successes >= 12, "the flow itself worked ({successes} successes)");
    // Nor in anything kura wrote.
    for f in [
        custody_of(&vault),
        cert.clone(),
        fx.path("cert.json.sig"),
        vault.clone(),
    ] {
        let bytes = fs::read(&f).unwrap_or_default();
        for s in [SECRET, WRONG] {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds a passphrase",
                f.display()
            );
        }
    }
    // The key file is encrypted: the passphrase unlocks it, it is not in it.
    let key_text = fs::read_to_string(&key).unwrap();
    assert!(!key_text.contains(SECRET));
}

#[cfg(unix)]
fn proc_limit(pid: u32, name: &str) -> String {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    limits
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {limits}"))
        .to_string()
}

#[cfg(unix)]
#[test]
fn core_dumps_are_off_while_a_key_is_being_unlocked() {
    let fx = Desk::with_export();
    let pass = fx.path("pass.txt");
    fs::write(&pass, format!("{SECRET}\n")).unwrap();
    let key = fx.path("keys/locked");
    ok(&fx.run(osargs!["keygen", "-o", key, "--passphrase-file", pass]));
    let vault = fx.packed("x.kura");
    // kura waits on a FIFO for the passphrase: it is then mid-unlock.
    let fifo = fx.path("pass.fifo");
    make_fifo(&fifo);
    let mut cmd = fx.kura();
    cmd.arg("verify")
        .arg(&vault)
        .arg("-i")
        .arg(&fx.engineer.private)
        .arg("-i")
        .arg(&key)
        .arg("--passphrase-file")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // kura starts with core dumps allowed: the limits it shows are its own.
    let child = allow_core_dumps(&mut cmd)
        .spawn()
        .expect("kura starts with core dumps allowed (a hard limit of 0: a key was loaded in this process)");
    let mut writer = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let line = proc_limit(child.id(), "Max core file size");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "soft and hard core limits: {line}");
    writer.write_all(format!("{SECRET}\n").as_bytes()).unwrap();
    drop(writer);
    let o = child.wait_with_output().unwrap();
    ok(&o);
}

#[cfg(unix)]
#[test]
fn a_key_others_can_read_is_refused_with_the_fix() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    for mode in [0o644, 0o640, 0o604] {
        set_mode(&fx.engineer.private, mode);
        let line = assert_refused(&fx.verify(&vault, &fx.engineer.private, &[]), 4);
        assert!(
            line.contains(&format!("chmod 600 {}", fx.engineer.private.display())),
            "{line}"
        );
    }
    set_mode(&fx.engineer.private, 0o600);
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}
