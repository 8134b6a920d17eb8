//! Faults: nothing lost, nothing half-written.
//!
//! - A full disk while packing, extracting or appending custody (real tmpfs
//!   mounts, the tests run as root): exit 10, a message that says the disk
//!   is full, no partial vault, temporary file or stage, the custody log as
//!   it was.
//! - Ctrl-C (SIGINT) and SIGTERM in the middle of pack and extract, and
//!   while kura waits for a passphrase: exit 130, partial outputs removed.
//! - A custody append killed at any moment (SIGKILL) never breaks the chain.
//! - Nothing existing is overwritten without --force.
//! - Pack writes nothing but its own outputs, and puts them on the medium
//!   (fsync of the files and of their folder) before it reports success:
//!   traced with strace.

use std::fs;
#[cfg(unix)]
use std::io::Write;
#[cfg(unix)]
use std::path::{Path, PathBuf};
#[cfg(unix)]
use std::process::{Child, Command, Stdio};
#[cfg(unix)]
use std::sync::OnceLock;
#[cfg(unix)]
use std::time::Duration;

use crate::common::*;

/// A dummy export large enough that pack and extract are still running
/// when the test interrupts them (incompressible: a custom-format dump).
/// Made once ([`Corpus::large`] is deterministic) and kept in Cargo's
/// folder for test files.
#[cfg(unix)]
fn large_export() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dummy-export-100m");
        let dir = base.join("export");
        if !base.join("complete").exists() {
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(&base).unwrap();
            Corpus::large(100).write(&dir);
            fs::write(base.join("complete"), b"").unwrap();
        }
        dir
    })
}

#[cfg(unix)]
pub(crate) fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kura starts")
}

/// Waits until `ready` holds (the child is mid-run) or the child exits;
/// returns whether it is still running.
#[cfg(unix)]
pub(crate) fn wait_until(child: &mut Child, ready: impl Fn() -> bool) -> bool {
    loop {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(unix)]
pub(crate) fn signal(child: &Child, sig: i32) {
    // SAFETY: sending a signal to our own child.
    let r = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(r, 0, "kill failed");
}

/// A file in `dir` whose name starts with `prefix` and holds data.
#[cfg(unix)]
fn has_partial(dir: &Path, prefix: &str) -> bool {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten().any(|e| {
                e.file_name().to_string_lossy().starts_with(prefix)
                    && (e.metadata().map(|m| m.len() > 0 || m.is_dir()).unwrap_or(false))
            })
        })
        .unwrap_or(false)
}

#[cfg(unix)]
fn interrupted_pack(sig: i32) {
    let fx = Desk::with_export();
    let out = fx.mkdir("out");
    let vault = out.join("x.kura");
    let mut a = fx.pack_args(&vault);
    a.push(large_export().into());
    let mut cmd = fx.kura();
    cmd.args(a);
    let mut child = spawn(cmd);
    assert!(
        wait_until(&mut child, || has_partial(&out, ".x.kura.")),
        "pack finished before it could be interrupted"
    );
    signal(&child, sig);
    let o = child.wait_with_output().unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(130), "{}", describe(&o));
    assert!(stderr_of(&o).contains("interrupted"), "{}", describe(&o));
    assert_empty_dir(&out);
}

#[cfg(unix)]
#[test]
fn sigint_during_pack_removes_the_partial_vault() {
    interrupted_pack(libc::SIGINT);
}

#[cfg(unix)]
#[test]
fn sigterm_during_pack_removes_the_partial_vault() {
    interrupted_pack(libc::SIGTERM);
}

#[cfg(unix)]
fn interrupted_extract(sig: i32, dest_exists: bool) {
    let fx = Desk::with_export();
    let vault = fx.path("x.kura");
    let mut a = fx.pack_args(&vault);
    a.push(large_export().into());
    ok(&fx.run(a));
    let custody = fs::read(custody_of(&vault)).unwrap();
    let dest = fx.path("dest");
    if dest_exists {
        fs::create_dir(&dest).unwrap();
    }
    let mut cmd = fx.kura();
    cmd.arg("extract")
        .arg(&vault)
        .arg("-i")
        .arg(&fx.engineer.private)
        .arg("-C")
        .arg(&dest);
    let mut child = spawn(cmd);
    let stage_with_files = || {
        fs::read_dir(&dest)
            .map(|rd| {
                rd.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with(".kura-stage-") && has_partial(&e.path(), ""))
            })
            .unwrap_or(false)
    };
    assert!(
        wait_until(&mut child, stage_with_files),
        "extract finished before it could be interrupted"
    );
    signal(&child, sig);
    let o = child.wait_with_output().unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(130), "{}", describe(&o));
    if dest_exists {
        assert_empty_dir(&dest);
    } else {
        assert_absent(&dest);
    }
    // The extraction had begun (the stage held files): its intent and
    // its end, nothing claiming a copy.
    assert_eq!(assert_no_copy_recorded(&new_records(&vault, &custody)), 1);
}

#[cfg(unix)]
#[test]
fn sigint_during_extract_removes_the_stage_and_the_new_destination() {
    interrupted_extract(libc::SIGINT, false);
}

#[cfg(unix)]
#[test]
fn sigterm_during_extract_leaves_an_existing_destination_empty() {
    interrupted_extract(libc::SIGTERM, true);
}

#[cfg(unix)]
#[test]
fn a_signal_while_waiting_for_a_passphrase_ends_kura_at_once() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let enc = fx.path("keys/encrypted");
    let pass = fx.path("pass.txt");
    fs::write(&pass, "correct horse battery staple\n").unwrap();
    ok(&fx.run(osargs!["keygen", "-o", enc, "--passphrase-file", pass]));
    // kura asks for the passphrase on a terminal (script(1) gives it one)
    // where nobody types. (A FIFO as the passphrase file is refused at
    // once: kura never waits on one.)
    let dest = fx.path("dest");
    let mut inner = fx.kura();
    inner
        .arg("extract")
        .arg(&vault)
        .arg("-i")
        .arg(&enc)
        .arg("-C")
        .arg(&dest);
    let pidfile = fx.path("kura.pid");
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_str().unwrap().replace('\'', "'\\''"));
    let line = std::iter::once(inner.get_program())
        .chain(inner.get_args())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new("script");
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(d) = inner.get_current_dir() {
        cmd.current_dir(d);
    }
    let script = format!("echo $$ > {}; exec {line}", quote(pidfile.as_os_str()));
    cmd.args(["-q", "-e", "-c", &script, "/dev/null"]).stdin(Stdio::piped());
    let mut child = spawn(cmd);
    let (screen, reader) = read_in_background(child.stdout.take().unwrap());
    let asking = wait_until(&mut child, || {
        String::from_utf8_lossy(&screen.lock().unwrap()).contains("assphrase")
    });
    assert!(asking, "kura did not ask for the passphrase");
    let pid: i32 = fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    // SAFETY: sending a signal to kura, our grandchild, still running.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill failed");
    let o = child.wait_with_output().unwrap();
    reader.join().unwrap();
    let o = std::process::Output {
        stdout: screen.lock().unwrap().clone(),
        ..o
    };
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(130), "{}", describe(&o));
    assert_absent(&dest);
}

#[cfg(unix)]
#[test]
fn a_full_disk_while_packing_leaves_nothing() {
    let fx = Desk::with_export();
    // The start compresses well, so the estimate made before writing says
    // it fits; the rest does not compress, and the disk fills up.
    let src = fx.path("filling");
    let mut data = vec![0u8; 512 << 10];
    data.extend(noise(6 << 20, 3));
    write_file(&src.join("dump.bin"), &data, 0o644, 1_600_000_000);
    let mnt = Tmpfs::mount(&fx.path("stick"), "size=2m");
    let vault = mnt.dir.join("x.kura");
    let line = assert_refused(&fx.pack(&vault, &[], &[&src]), 10);
    assert!(line.contains("disk is full"), "{line}");
    assert_empty_dir(&mnt.dir);
}

#[cfg(unix)]
#[test]
fn a_full_disk_for_the_custody_log_takes_the_vault_back() {
    let fx = Desk::with_export();
    // Room for one file only: the vault fits, its custody log does not.
    let mnt = Tmpfs::mount(&fx.path("stick"), "size=16m,nr_inodes=2");
    let vault = mnt.dir.join("x.kura");
    let line = assert_refused(&fx.pack(&vault, &[], &[fx.export()]), 10);
    assert!(line.contains("disk is full"), "{line}");
    assert_empty_dir(&mnt.dir);
}

#[cfg(unix)]
#[test]
fn a_full_disk_while_extracting_leaves_no_stage() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let custody = fs::read(custody_of(&vault)).unwrap();
    // Bytes enough, but too few inodes for every file of the export.
    let mnt = Tmpfs::mount(&fx.path("ram"), "size=64m,nr_inodes=12,mode=0700");
    let line = assert_refused(
        &fx.extract(&vault, &fx.engineer.private, &mnt.dir.join("new-dest"), &[]),
        10,
    );
    assert!(line.contains("disk is full"), "{line}");
    assert_empty_dir(&mnt.dir);
    // (The mount point itself is refused as a destination before anything
    // is written: certify could not destroy a copy there whole.)
    let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, &mnt.dir, &[]), 3);
    assert!(line.contains("mount point"), "{line}");
    assert_empty_dir(&mnt.dir);
    assert_no_copy_recorded(&new_records(&vault, &custody));
}

/// Fills the file system holding `dir` to the last byte.
#[cfg(unix)]
fn fill(dir: &Path) -> PathBuf {
    let p = dir.join("filler");
    let mut f = fs::File::create(&p).unwrap();
    let block = vec![0xA5u8; 4096];
    loop {
        match f.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = f.write(&[0u8]);
    p
}

#[cfg(unix)]
#[test]
fn a_full_disk_while_appending_custody_keeps_the_log_intact() {
    let fx = Desk::with_export();
    let packed = fx.packed("x.kura");
    let mnt = Tmpfs::mount(&fx.path("stick"), "size=1m");
    let vault = mnt.dir.join("x.kura");
    fs::copy(&packed, &vault).unwrap();
    fs::copy(custody_of(&packed), custody_of(&vault)).unwrap();
    let before = fs::read(custody_of(&vault)).unwrap();
    let filler = fill(&mnt.dir);
    // A long note (2000 characters, 6000 bytes) needs more than the slack
    // left in the log's last page.
    let note = "メ".repeat(2000);
    let add = |fx: &Desk| {
        fx.run(osargs![
            "custody",
            "add",
            vault,
            "--event",
            "handover",
            "--note",
            note,
            "-i",
            fx.engineer.private
        ])
    };
    let line = assert_refused(&add(&fx), 10);
    assert!(line.contains("disk is full"), "{line}");
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), before, "the log is as it was");
    ok(&fx.run(osargs!["custody", "verify", vault]));
    fs::remove_file(filler).unwrap();
    ok(&add(&fx));
    ok(&fx.run(osargs!["custody", "verify", vault]));
    assert_eq!(custody_records(&vault).len(), 2);
}

#[cfg(unix)]
#[test]
fn a_custody_append_killed_at_any_moment_never_breaks_the_chain() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let mut complete = 1;
    for round in 0..24u64 {
        let mut cmd = fx.kura();
        cmd.args(osargs![
            "custody",
            "add",
            vault,
            "--event",
            "note",
            "--note",
            format!("round {round}"),
            "-i",
            fx.engineer.private
        ]);
        let child = spawn(cmd);
        // Kill it after a varying part of its run (it may also finish).
        std::thread::sleep(Duration::from_micros(500 * round * round));
        // SAFETY: our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let o = child.wait_with_output().unwrap();
        if o.status.success() {
            complete += 1;
        }
        ok(&fx.run(osargs!["custody", "verify", vault]));
    }
    // The next append repairs any torn tail and continues the chain.
    ok(&fx.run(osargs![
        "custody",
        "add",
        vault,
        "--event",
        "handover",
        "-i",
        fx.engineer.private
    ]));
    let o = fx.run(osargs!["custody", "verify", vault, "--json"]);
    ok(&o);
    let text = fs::read_to_string(custody_of(&vault)).unwrap();
    assert!(text.ends_with('\n'));
    assert!(text.lines().count() > complete, "every finished append is kept");
}

#[test]
fn nothing_is_overwritten_without_force() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura");
    let vault_bytes = fs::read(&vault).unwrap();
    let custody = fs::read(custody_of(&vault)).unwrap();
    // An existing vault; an existing custody log alone.
    assert_refused(&fx.pack(&vault, &[], &[fx.export()]), 9);
    let other = fx.path("y.kura");
    fs::write(custody_of(&other), b"someone's log\n").unwrap();
    assert_refused(&fx.pack(&other, &[], &[fx.export()]), 9);
    assert_absent(&other);
    assert_eq!(fs::read(custody_of(&other)).unwrap(), b"someone's log\n");
    assert_eq!(fs::read(&vault).unwrap(), vault_bytes);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), custody);
    // An existing file in DEST.
    let dest = fx.mkdir("dest/export/receipts");
    let mine = dest.join(EXPORT_LINK_TARGET);
    fs::create_dir_all(mine.parent().unwrap()).unwrap();
    fs::write(&mine, b"mine").unwrap();
    let before = listing(&fx.path("dest"), Meta::Full);
    let o = fx.extract(&vault, &fx.engineer.private, &fx.path("dest"), &[]);
    assert_refused(&o, 9);
    assert_eq!(listing(&fx.path("dest"), Meta::Full), before, "DEST untouched");
    // An existing key.
    let key = fx.engineer.private.clone();
    let before = fs::read(&key).unwrap();
    assert_refused(&fx.run(osargs!["keygen", "-o", key, "--no-passphrase"]), 9);
    assert_eq!(fs::read(&key).unwrap(), before);
    // An existing certificate.
    let cert = fx.path("cert.json");
    fs::write(&cert, b"{}").unwrap();
    let o = fx.run(osargs![
        "certify",
        vault,
        "--returned",
        "-i",
        fx.engineer.private,
        "-o",
        cert
    ]);
    assert_refused(&o, 9);
    assert_eq!(fs::read(&cert).unwrap(), b"{}");
    assert!(vault.exists());
}

#[cfg(unix)]
#[test]
fn pack_writes_only_its_outputs_and_syncs_them_before_success() {
    let fx = Desk::with_export();
    let out = fx.mkdir("out").canonicalize().unwrap();
    let vault = out.join("x.kura");
    let mut a = fx.pack_args(&vault);
    a.push(fx.export().into());
    let calls = strace(&fx, a);
    let out_s = out.to_str().unwrap();
    let mine = |p: &str| {
        p == "/dev/null"
            || p == "/dev/tty"
            || p.strip_prefix(out_s).is_some_and(|rest| {
                let name = rest.trim_start_matches('/');
                name == "x.kura" || name == "x.kura.custody" || name.starts_with(".x.kura.")
            })
    };
    for c in calls.iter().filter(|c| writes(c)) {
        if c.line.contains("= -1") {
            continue; // a failed attempt wrote nothing
        }
        for p in c.paths() {
            assert!(mine(&p), "pack wrote something else than its outputs: {}", c.line);
        }
    }
    // Each output fsynced before its rename, then the folder fsynced.
    let pos = |pred: &dyn Fn(&Call) -> bool| calls.iter().position(pred);
    for name in ["x.kura", "x.kura.custody"] {
        let tmp = format!("{out_s}/.{name}.");
        let synced =
            pos(&|c: &Call| matches!(c.name(), "fsync" | "fdatasync") && c.paths().iter().any(|p| p.starts_with(&tmp)))
                .unwrap_or_else(|| panic!("{name} was not fsynced"));
        let renamed = pos(&|c: &Call| {
            c.name().starts_with("rename") || c.name().starts_with("link")
        } && c.paths().iter().any(|p| p == &format!("{out_s}/{name}")))
        .unwrap_or_else(|| panic!("{name} was not moved into place"));
        assert!(synced < renamed, "{name}: fsync after rename");
        let dir_synced = calls[renamed..]
            .iter()
            .any(|c| matches!(c.name(), "fsync" | "fdatasync") && c.paths().iter().any(|p| p == out_s));
        assert!(dir_synced, "{name}: the folder was not fsynced after the rename");
    }
}

#[cfg(unix)]
#[test]
fn custody_appends_and_certificates_are_synced() {
    let fx = Desk::with_export();
    let vault = fx.packed("x.kura").canonicalize().unwrap();
    let log = custody_of(&vault);
    let calls = strace(
        &fx,
        osargs![
            "custody",
            "add",
            vault,
            "--event",
            "handover",
            "-i",
            fx.engineer.private
        ],
    );
    let log_s = log.to_str().unwrap();
    assert!(
        calls
            .iter()
            .any(|c| matches!(c.name(), "fsync" | "fdatasync") && c.paths().iter().any(|p| p == log_s)),
        "the custody append was not fsynced"
    );
    let cert = fx.path("cert.json");
    let calls = strace(
        &fx,
        osargs!["certify", vault, "--returned", "-i", fx.engineer.private, "-o", cert],
    );
    let dir = fx.root.canonicalize().unwrap();
    let dir_s = dir.to_str().unwrap();
    for name in ["cert.json", "cert.json.sig"] {
        let synced = calls.iter().any(|c| {
            matches!(c.name(), "fsync" | "fdatasync")
                && c.paths()
                    .iter()
                    .any(|p| p.starts_with(&format!("{dir_s}/.{name}.")) || p == &format!("{dir_s}/{name}"))
        });
        assert!(synced, "{name} was not fsynced");
    }
    assert!(
        calls
            .iter()
            .any(|c| matches!(c.name(), "fsync" | "fdatasync") && c.paths().iter().any(|p| p == dir_s)),
        "the certificate's folder was not fsynced"
    );
}
