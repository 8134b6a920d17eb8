//! Secrets: a passphrase never appears in kura's output, errors, --json or
//! the files it writes; core dumps are off while keys are in memory; and
//! private keys that others can read are refused with the command that
//! fixes them.

use std::fs;
use std::process::Output;
#[cfg(unix)]
use std::process::{Command, Stdio};

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
    // kura asks for the passphrase on a terminal (script(1) gives it one)
    // where nobody types: it is then mid-unlock. (A FIFO as the passphrase
    // file is refused at once: kura never waits on one.)
    let pidfile = fx.path("kura.pid");
    let q = |p: &std::path::Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let inner = format!(
        "echo $$ > {}; exec {} verify {} -i {} -i {}",
        q(&pidfile),
        q(std::path::Path::new(KURA)),
        q(&vault),
        q(&fx.engineer.private),
        q(&key)
    );
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &inner, "/dev/null"])
        .current_dir(&fx.cwd)
        .env("LC_ALL", "C")
        .env("KURA_PASSPHRASE_FILE", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // kura starts with core dumps allowed: the limits it shows are its own.
    let mut child = allow_core_dumps(&mut cmd)
        .spawn()
        .expect("kura starts with core dumps allowed (a hard limit of 0: a key was loaded in this process)");
    let (screen, reader) = read_in_background(child.stdout.take().unwrap());
    // Until kura asks (or ends, which fails below).
    while child.try_wait().unwrap().is_none() && !String::from_utf8_lossy(&screen.lock().unwrap()).contains("assphrase")
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid: u32 = fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    let line = proc_limit(pid, "Max core file size");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "soft and hard core limits: {line}");
    // SAFETY: ending kura, our grandchild, still waiting for a passphrase.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGTERM) }, 0);
    let _ = child.wait();
    reader.join().unwrap();
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
