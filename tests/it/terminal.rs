//! The terminal side: shell completions and manual pages generated from the
//! command definitions (so they cover every command), and progress bars
//! that appear on a terminal and never in piped output.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

use crate::common::*;

/// Every command path below kura, as "custody add" (clap's `help` aside),
/// read from the "Commands:" sections of `kura … --help`.
fn command_paths() -> Vec<String> {
    fn walk(path: &mut Vec<String>, out: &mut Vec<String>) {
        let help = stdout(kura().args(["--lang", "en"]).args(path.iter()).arg("--help"));
        let subs: Vec<String> = help
            .lines()
            .skip_while(|l| l.trim() != "Commands:")
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .filter(|name| name != "help")
            .collect();
        for s in subs {
            path.push(s);
            out.push(path.join(" "));
            walk(path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&mut Vec::new(), &mut out);
    assert!(out.len() > 10, "{out:?}");
    out
}

fn stdout(c: &mut Command) -> String {
    String::from_utf8(ok(c).stdout).expect("UTF-8")
}

/// A stock tool's stdout, in the C locale (man prints plain ASCII then);
/// it must be installed and succeed.
fn tool_text(program: &str, args: &[&OsStr]) -> String {
    let out = command(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed: {e}"));
    assert!(out.status.success(), "{program}: {}", stderr_of(&out));
    stdout_of(&out)
}

#[test]
fn completions_cover_every_command_in_every_shell() {
    let paths = command_paths();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let script = stdout(kura().args(["completions", shell]));
        for p in &paths {
            let name = p.rsplit(' ').next().unwrap();
            assert!(script.contains(name), "{shell} completion lacks {p}");
        }
        assert!(
            script.contains("approval-id"),
            "{shell} completion lacks pack's options"
        );
    }
    let bash = stdout(kura().args(["completions", "bash"]));
    assert!(bash.contains("complete -F"), "{bash}");
    // Nested commands are completed in context.
    assert!(bash.contains("kura__custody__add") || bash.contains("kura__subcmd__custody__subcmd__add"));
    let (code, _, err) = run(kura().args(["completions", "tcsh"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn bash_accepts_the_completion_script() {
    let script = stdout(kura().args(["completions", "bash"]));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kura.bash");
    std::fs::write(&file, script).unwrap();
    // Load it and ask what follows `kura cus`.
    let probe = format!(
        "source {}; COMP_WORDS=(kura cus); COMP_CWORD=1; COMP_LINE='kura cus'; COMP_POINT=8; \
         _kura kura cus kura; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = tool_text("bash", &["-c".as_ref(), probe.as_ref()]);
    assert_eq!(out.trim(), "custody");
}

#[test]
fn the_manual_page_lists_every_command() {
    let page = stdout(kura().args(["man"]));
    assert!(page.contains(".TH kura 1"), "{page}");
    for p in command_paths().iter().filter(|p| !p.contains(' ')) {
        let entry = format!("kura\\-{}(1)", p.replace('-', "\\-"));
        assert!(page.contains(&entry), "kura.1 lacks {entry}");
    }
    // man(1) itself can format it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kura.1"), &page).unwrap();
    let out = tool_text("man", &[dir.path().join("kura.1").as_os_str()]);
    assert!(out.contains("SUBCOMMANDS") && out.contains("kura-pack"), "{out}");
}

#[test]
fn man_writes_one_page_per_command_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    ok(kura().args(["man", "-o"]).arg(&pages));
    for p in command_paths() {
        let file = pages.join(format!("kura-{}.1", p.replace(' ', "-")));
        let text = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("no page {}", file.display()));
        assert!(text.contains(".SH SYNOPSIS"), "{}", file.display());
    }
    let root = std::fs::read_to_string(pages.join("kura.1")).unwrap();
    assert!(root.contains(".TH kura 1"));
    // Again: refused without --force (exit 9), accepted with it.
    let (code, _, err) = run(kura().args(["man", "-o"]).arg(&pages));
    assert_eq!(code, 9, "{err}");
    ok(kura().args(["man", "--force", "-o"]).arg(&pages));
}

#[test]
fn japanese_manual_pages_under_a_japanese_locale() {
    let page = stdout(kura().args(["--lang", "ja", "man"]));
    assert!(page.contains("患者データの持ち出し"), "{page}");
    assert!(
        page.contains(".SH \"終了ステータス\"") && page.contains(".SH \"使用例\""),
        "{page}"
    );
}

/// The exit codes of docs/EXIT-CODES.md (its first table).
fn documented_exit_codes() -> Vec<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/EXIT-CODES.md")).unwrap();
    doc.lines()
        .skip_while(|l| !l.starts_with("| code | kind |"))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.trim_start_matches('|').split('|').next())
        .map(|c| c.trim().to_string())
        .filter(|c| c.parse::<u32>().is_ok())
        .collect()
}

#[test]
fn every_manual_page_has_exit_status_and_examples_of_its_command() {
    let codes = documented_exit_codes();
    assert!(codes.len() >= 13, "{codes:?}");
    let dir = tempfile::tempdir().unwrap();
    ok(kura().args(["man", "-o"]).arg(dir.path()));
    for p in std::iter::once(String::new()).chain(command_paths()) {
        let name = if p.is_empty() {
            "kura.1".to_string()
        } else {
            format!("kura-{}.1", p.replace(' ', "-"))
        };
        let page = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let status = page
            .split(".SH \"EXIT STATUS\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{name} has no EXIT STATUS"));
        for code in &codes {
            assert!(
                status.contains(&format!("\\fB{code}\\fR")),
                "{name} lacks exit code {code}"
            );
        }
        let examples = page
            .split(".SH \"EXAMPLES\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{name} has no EXAMPLES"));
        let command = format!("kura {p}").trim_end().replace('-', "\\-");
        assert!(
            examples.contains(&format!("\n{command}")),
            "{name}: no example of `kura {p}`"
        );
    }
}

/// What a terminal shows of `screen`: man's overstrikes (`X\bX` for bold,
/// `_\bX` for underline) resolved.
fn seen(screen: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in screen.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}

#[test]
fn man_on_a_terminal_shows_the_page_not_its_roff_source() {
    let desk = Desk::new();
    let is_roff = |s: &str| s.lines().any(|l| l.starts_with(".SH") || l.starts_with(".TH"));
    // Formatted by man(1) (here without a pager).
    let screen = seen(&on_terminal_with(&desk, &[("MANPAGER", "cat")], &["man"]));
    assert!(!is_roff(&screen), "{screen}");
    assert!(
        screen.contains("General Commands Manual"),
        "not formatted by man: {screen}"
    );
    for heading in ["NAME", "SYNOPSIS", "EXIT STATUS", "EXAMPLES"] {
        assert!(screen.contains(heading), "{heading}: {screen}");
    }
    assert!(screen.contains("kura verify export.kura"), "{screen}");
    // Japanese in a UTF-8 locale: man formats it too.
    let env = [("MANPAGER", "cat"), ("LC_ALL", "C.UTF-8")];
    let screen = seen(&on_terminal_with(&desk, &env, &["--lang", "ja", "man"]));
    assert!(
        !is_roff(&screen) && screen.contains("General Commands Manual"),
        "{screen}"
    );
    assert!(
        screen.contains("終了ステータス") && screen.contains("使用例"),
        "{screen}"
    );
    // Japanese where man would garble it (the C locale): plain text.
    let screen = on_terminal_with(&desk, &[("MANPAGER", "cat")], &["--lang", "ja", "man"]);
    assert!(
        !is_roff(&screen) && !screen.contains("General Commands Manual"),
        "{screen}"
    );
    assert!(
        screen.contains("終了ステータス") && screen.contains("使用例"),
        "{screen}"
    );
    assert!(screen.contains("  kura verify export.kura"), "{screen}");
    // Piped, the roff source as before (the_manual_page_lists_every_command).
    assert!(stdout(kura().arg("man")).starts_with(".ie"));
}

// ---------------------------------------------------------------- progress

/// A desk with a packed vault of a few MiB of dummy data.
fn packed_desk() -> Desk {
    let desk = Desk::new();
    for i in 0..4 {
        let p = desk.path(&format!("data/blob{i}.bin"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, noise(1 << 20, 2 * i + 1)).unwrap();
    }
    desk
}

/// `kura pack -o OUT … data`, due by a day the computer's clock has not
/// reached.
fn pack_args(desk: &Desk, out: &str) -> Vec<OsString> {
    let mut a = with(desk.pack_args(out), "--delete-by", "2099-12-31");
    a.push("data".into());
    a
}

fn assert_no_terminal_codes(what: &str, stderr: &[u8]) {
    assert!(
        !stderr.contains(&0x1b),
        "{what}: escape codes on a pipe: {:?}",
        String::from_utf8_lossy(stderr)
    );
    assert!(
        !stderr.contains(&b'\r'),
        "{what}: carriage returns on a pipe: {:?}",
        String::from_utf8_lossy(stderr)
    );
}

#[test]
fn piped_runs_print_no_progress() {
    let desk = packed_desk();
    let out = ok(desk.kura().args(pack_args(&desk, "x.kura")));
    assert_no_terminal_codes("pack", &out.stderr);
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    for args in [
        vec!["verify", "x.kura", "-i", "engineer.key", "--signers", "allowed_signers"],
        vec!["extract", "x.kura", "-i", "engineer.key", "-C", "out"],
    ] {
        let out = ok(desk.kura().args(&args));
        assert_no_terminal_codes(args[0], &out.stderr);
        assert_no_terminal_codes(args[0], &out.stdout);
    }
}

/// Runs kura in `dir` under a pseudo-terminal (util-linux `script`), so
/// that stdout and stderr are a terminal; returns everything it drew.
fn on_terminal<S: AsRef<OsStr>>(desk: &Desk, args: &[S]) -> String {
    on_terminal_with(desk, &[], args)
}

/// [`on_terminal`] with more environment variables.
fn on_terminal_with<S: AsRef<OsStr>>(desk: &Desk, env: &[(&str, &str)], args: &[S]) -> String {
    let quoted: Vec<String> = std::iter::once(KURA)
        .chain(args.iter().map(|a| a.as_ref().to_str().expect("UTF-8 argument")))
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let out = desk
        .command("script")
        .env("TERM", "xterm")
        .env("COLUMNS", "100")
        .envs(env.iter().copied())
        .args(["-q", "-e", "-c", &quoted.join(" "), "/dev/null"])
        .output()
        .expect("script(1) from util-linux runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "kura failed on a terminal: {text}");
    text
}

#[test]
fn a_terminal_shows_progress_with_bytes_and_throughput() {
    let desk = packed_desk();
    let screen = on_terminal(&desk, &pack_args(&desk, "x.kura"));
    assert!(screen.contains("Packing"), "no progress bar: {screen:?}");
    assert!(
        screen.contains("MiB") || screen.contains("KiB"),
        "no byte counts: {screen:?}"
    );
    assert!(screen.contains("/s"), "no throughput: {screen:?}");
    assert!(screen.contains("Packed 4 files"), "{screen:?}");

    let screen = on_terminal(&desk, &["verify", "x.kura", "-i", "engineer.key"]);
    assert!(screen.contains("Checking"), "no progress bar: {screen:?}");
    let screen = on_terminal(&desk, &["extract", "x.kura", "-i", "engineer.key", "-C", "out"]);
    assert!(screen.contains("Extracting"), "no progress bar: {screen:?}");
}

#[test]
fn quiet_and_json_draw_no_progress_even_on_a_terminal() {
    let desk = packed_desk();
    let mut args = pack_args(&desk, "q.kura");
    args.push("--quiet".into());
    let screen = on_terminal(&desk, &args);
    assert!(screen.is_empty(), "--quiet printed: {screen:?}");
    let mut args = pack_args(&desk, "j.kura");
    args.push("--json".into());
    let screen = on_terminal(&desk, &args);
    assert!(!screen.contains("Packing"), "{screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
    let v: serde_json::Value = serde_json::from_str(screen.trim()).expect("only JSON on the terminal");
    assert_eq!(v["ok"], true);
}

/// Runs kura under a pseudo-terminal and types `lines` into it, each half a
/// second after its passphrase prompt has appeared (the n-th line once the
/// screen shows "passphrase" n times, or after 30 s); returns (success,
/// screen). Waiting for the prompt, not for a fixed time, keeps the test
/// independent of how busy the machine is.
fn typed_on_terminal(dir: &Path, args: &str, lines: &[&str]) -> (bool, String) {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    let cmd = format!("'{KURA}' {args}");
    let mut child = command("script")
        .current_dir(dir)
        .env("TERM", "xterm")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1) from util-linux runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let screen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let screen = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                screen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let prompts = || {
        String::from_utf8_lossy(&screen.lock().unwrap())
            .matches("passphrase")
            .count()
    };
    for (n, l) in lines.iter().enumerate() {
        let start = Instant::now();
        while prompts() <= n && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(500));
        let _ = writeln!(stdin, "{l}");
    }
    std::thread::sleep(Duration::from_millis(500));
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let screen = String::from_utf8_lossy(&screen.lock().unwrap()).into_owned();
    (status.success(), screen)
}

#[test]
fn keygen_asks_for_the_passphrase_twice_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, screen) = typed_on_terminal(
        dir.path(),
        "keygen -o k1 --comment t",
        &["correct horse", "correct horse"],
    );
    assert!(ok, "{screen}");
    assert!(
        screen.contains("New passphrase") && screen.contains("again"),
        "{screen}"
    );
    assert!(!screen.contains("correct horse"), "the passphrase was echoed: {screen}");
    // The key is encrypted with exactly that passphrase (OpenSSH agrees).
    let key = dir.path().join("k1");
    let arg = OsStr::new;
    let with = tool_text(
        "ssh-keygen",
        &[arg("-y"), arg("-P"), arg("correct horse"), arg("-f"), key.as_os_str()],
    );
    assert!(with.starts_with("ssh-ed25519 "), "{with}");
    let without = tool("ssh-keygen", osargs!["-y", "-P", "", "-f", key]);
    assert!(!without.status.success(), "the key opened without its passphrase");

    // Two different answers: no key at all.
    let (ok, screen) = typed_on_terminal(dir.path(), "keygen -o k2", &["one", "two"]);
    assert!(!ok, "{screen}");
    assert!(screen.contains("passphrases differ"), "{screen}");
    assert!(!dir.path().join("k2").exists() && !dir.path().join("k2.pub").exists());
}
