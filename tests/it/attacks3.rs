//! Attacks on streams (`pack --stdin-name … --from-command`): each test
//! stages one and asserts what kura leaves behind.

use std::ffi::OsString;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::faults::{signal, spawn, wait_until};
use crate::streams::run_with_stdin_read;

/// SIGTERM while kura waits on a command that writes nothing for a while:
/// the command is stopped with it, so kura ends at once (not after its
/// 10-second grace) with 130, leaves nothing, and no command runs on.
#[test]
fn a_signal_while_a_stream_command_is_silent_stops_the_command_too() {
    let fx = Desk::with_export();
    let out = fx.mkdir("out");
    let started = fx.path("started");
    let mut a = fx.pack_args(out.join("x.kura"));
    a.extend(osargs!["--stdin-name", "db.dump", "--from-command", "--", "sh", "-c"]);
    a.push(OsString::from(format!(
        "head -c 1000 /dev/zero; echo $$ > '{}'; exec sleep 60",
        started.display()
    )));
    let mut cmd = fx.kura();
    cmd.args(a);
    let mut child = spawn(cmd);
    let ready = wait_until(&mut child, || {
        std::fs::read_to_string(&started).is_ok_and(|s| s.ends_with('\n'))
    });
    assert!(ready, "pack ended before the command started");
    let pid: i32 = std::fs::read_to_string(&started).unwrap().trim().parse().unwrap();
    let t = Instant::now();
    signal(&child, libc::SIGTERM);
    let o = child.wait_with_output().unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(130), "{}", describe(&o));
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "kura waited {:?} for the command",
        t.elapsed()
    );
    assert_empty_dir(&out);
    // The command was stopped (and reaped by kura), not left running.
    // SAFETY: signal 0 only asks whether the process exists.
    assert_ne!(unsafe { libc::kill(pid, 0) }, 0, "the command {pid} still runs");
}

/// Files that merely look like a stream's parts (an export holding `x` and
/// `x.part000001`): `--to-stdout x` sends `x` alone — never the other
/// file's plaintext too — and succeeds; each part-named file comes out as
/// itself.
#[test]
fn a_file_beside_files_named_like_its_parts_is_sent_alone() {
    let fx = Desk::with_export();
    let data = fx.mkdir("split");
    std::fs::write(data.join("x"), b"dummy report\n").unwrap();
    std::fs::write(data.join("x.part000001"), b"dummy piece one\n").unwrap();
    std::fs::write(data.join("x.part000002"), b"dummy piece two\n").unwrap();
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &[], &[&data]));
    for (member, want) in [
        ("split/x", &b"dummy report\n"[..]),
        ("split/x.part000001", b"dummy piece one\n"),
        ("split/x.part000002", b"dummy piece two\n"),
    ] {
        let o = fx
            .kura()
            .args(osargs![
                "extract",
                &vault,
                "-i",
                fx.engineer.private,
                "--to-stdout",
                member
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{member}: {}", describe(&o));
        assert_eq!(o.stdout, want, "{member}");
    }
}

/// `-o - --custody LOG --force` whose reader goes away before the vault's
/// last bytes: the run fails, and the log it replaced (another vault's,
/// the only record of that vault) is back in its place, unchanged.
#[test]
fn a_forced_vault_to_standard_output_that_is_not_delivered_keeps_the_log_it_replaced() {
    let fx = Desk::with_export();
    let out = fx.mkdir("out");
    let log = out.join("db.custody");
    let args = |force: bool| {
        let mut a = fx.pack_args("-");
        a.extend(osargs!["--custody", &log, "--stdin-name", "db.dump", "-"]);
        if force {
            a.push("--force".into());
        }
        a
    };
    let send = |a: Vec<OsString>, read: bool| run_with_stdin_read(&fx, &a, b"dummy dump\n", read);
    ok(&send(args(false), true));
    let first = std::fs::read(&log).unwrap();
    let o = send(args(true), false);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(10), "{}", describe(&o));
    assert_eq!(std::fs::read(&log).unwrap(), first, "the first vault's log was lost");
    assert_eq!(names_in(&out), ["db.custody"]);
}
