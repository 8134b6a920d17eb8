//! Streams: a nightly database dump packed straight from the program that
//! makes it (`pack --from-command`, `--stdin-name NAME -`, a FIFO), a vault
//! written to standard output (`pack -o - --custody FILE`), and one file
//! sent to standard output (`extract --to-stdout`), with a real PostgreSQL
//! cluster round trip and no plaintext file anywhere on the way.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::*;

/// The stream parts kura cuts a stream into (`vault::stream::PART_BYTES`).
const PART: usize = 8 << 20;

/// `pack -o OUT --stdin-name NAME` with the desk's keys and approval, then `rest`.
fn stream_pack_args(fx: &Desk, out: impl AsRef<std::ffi::OsStr>, name: &str, rest: &[&str]) -> Vec<OsString> {
    let mut a = fx.pack_args(out);
    a.extend(osargs!["--stdin-name", name]);
    a.extend(rest.iter().map(OsString::from));
    a
}

/// Runs kura at the desk with `input` on its standard input.
fn run_with_stdin(fx: &Desk, args: &[OsString], input: &[u8]) -> Output {
    run_with_stdin_read(fx, args, input, true)
}

/// [`run_with_stdin`]; unless `read`, kura's standard output is closed by
/// its reader before kura writes a byte.
pub(crate) fn run_with_stdin_read(fx: &Desk, args: &[OsString], input: &[u8], read: bool) -> Output {
    let mut child = fx
        .kura()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kura runs");
    if !read {
        drop(child.stdout.take());
    }
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("kura runs");
    writer.join().unwrap();
    out
}

/// `extract VAULT -i ENGINEER --to-stdout MEMBER`.
fn to_stdout_args(fx: &Desk, vault: &Path, member: &str) -> Vec<OsString> {
    osargs!["extract", vault, "-i", fx.engineer.private, "--to-stdout", member]
}

/// Names in `dir`, for "nothing was left" assertions (temporary files too).
fn left_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn standard_input_is_packed_in_parts_and_comes_back_whole() {
    let fx = Desk::with_export();
    let out = fx.mkdir("out");
    let vault = out.join("x.kura");
    // Two whole parts and a short one.
    let data = noise(2 * PART + 12345, 7);
    let o = run_with_stdin(&fx, &stream_pack_args(&fx, &vault, "db.dump", &["-"]), &data);
    ok(&o);
    // What kura sends back is the stream, byte for byte.
    let back = ok(fx.kura().args(to_stdout_args(&fx, &vault, "db.dump")));
    assert!(back.stdout == data, "extract --to-stdout gave back other bytes");
    assert!(stderr_of(&back).contains("standard output"), "{}", describe(&back));
    // With stock tools: the parts, in order, concatenated.
    let stock = fx.mkdir("stock");
    shell(
        &stock,
        &format!(
            "age -d -i '{}' '{}' | zstd -d | tar -x && cat db.dump.part* > db.dump",
            fx.engineer.private.display(),
            vault.display()
        ),
    );
    let mut parts: Vec<String> = left_in(&stock).into_iter().filter(|n| n.contains(".part")).collect();
    parts.sort();
    assert_eq!(
        parts,
        ["db.dump.part000001", "db.dump.part000002", "db.dump.part000003"]
    );
    assert!(
        fs::read(stock.join("db.dump")).unwrap() == data,
        "the stock-tools path differs"
    );
    // The manifest records the whole stream.
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(stock.join(".kura/manifest.json")).unwrap()).unwrap();
    let s = &manifest["streams"][0];
    assert_eq!(s["path"], "db.dump");
    assert_eq!(s["size"], data.len() as u64);
    assert_eq!(s["parts"], 3);
    assert_eq!(s["blake3"], blake3::hash(&data).to_hex().as_str());
    // The copy is in the custody log, named as standard output.
    let records = custody_records(&vault);
    let done = records.last().unwrap();
    assert_eq!(done["event"], "extracted");
    assert_eq!(done["details"]["stdout"], true);
    assert_eq!(done["details"]["member"], "db.dump");
    assert_eq!(done["details"]["bytes"], data.len() as u64);
    assert_eq!(records[records.len() - 2]["event"], "extracting");

    // verify checks the whole stream and shows it.
    let v = json(&ok(&fx.run(osargs![
        "verify",
        &vault,
        "-i",
        fx.engineer.private,
        "--json"
    ])));
    assert_eq!(v["streams"], manifest["streams"]);

    // certify cannot see that copy: it says so, and lists it as streamed.
    let cert = fx.path("cert.json");
    let o = ok(&fx.run(osargs![
        "certify",
        &vault,
        "--deleted",
        "-i",
        fx.engineer.private,
        "-o",
        &cert
    ]));
    assert!(stdout_of(&o).contains("standard output"), "{}", describe(&o));
    let c: serde_json::Value = serde_json::from_slice(&fs::read(&cert).unwrap()).unwrap();
    assert_eq!(c["verification"]["extractions"][0]["status"], "streamed", "{c}");
}

#[test]
fn streams_at_the_part_boundaries_keep_their_length_and_names() {
    let fx = Desk::with_export();
    // Empty, exactly one part, exactly two parts, one byte more.
    for (len, members) in [
        (0, vec!["s"]),
        (PART, vec!["s"]),
        (2 * PART, vec!["s.part000001", "s.part000002"]),
        (2 * PART + 1, vec!["s.part000001", "s.part000002", "s.part000003"]),
    ] {
        let vault = fx.path(&format!("b{len}.kura"));
        let data = noise(len, len as u64 + 1);
        ok(&run_with_stdin(&fx, &stream_pack_args(&fx, &vault, "s", &["-"]), &data));
        let v = json(&ok(&fx.run(osargs![
            "contents",
            &vault,
            "-i",
            fx.engineer.private,
            "--json"
        ])));
        let text = v.to_string();
        for m in &members {
            assert!(text.contains(&format!("\"{m}\"")), "{len}: {m} missing from {text}");
        }
        assert_eq!(v["streams"][0]["parts"], members.len(), "{len}");
        let back = ok(fx.kura().args(to_stdout_args(&fx, &vault, "s")));
        assert!(back.stdout == data, "{len}: other bytes came back");
    }
}

#[test]
fn a_short_stream_is_one_file_and_a_missing_name_is_refused() {
    let fx = Desk::with_export();
    let vault = fx.path("x.kura");
    ok(&run_with_stdin(
        &fx,
        &stream_pack_args(&fx, &vault, "notes.txt", &["-"]),
        b"dummy\n",
    ));
    let listed = ok(&fx.run(osargs!["contents", &vault, "-i", fx.engineer.private]));
    assert!(stdout_of(&listed).contains(" notes.txt"), "{}", describe(&listed));
    let back = ok(fx.kura().args(to_stdout_args(&fx, &vault, "notes.txt")));
    assert_eq!(back.stdout, b"dummy\n");

    // `-` without a name, a name that leaves the tree, one with a control
    // character, two inputs: one line each, nothing written.
    let other = fx.path("y.kura");
    let mut a = fx.pack_args(&other);
    a.push("-".into());
    assert!(assert_refused(&run_with_stdin(&fx, &a, b"x"), 2).contains("--stdin-name"));
    for name in ["../up", "/abs", "a\u{1b}[2Jb", ".kura/manifest.json"] {
        assert_refused(
            &run_with_stdin(&fx, &stream_pack_args(&fx, &other, name, &["-"]), b"x"),
            2,
        );
    }
    let two = stream_pack_args(&fx, &other, "d", &["-"]);
    let mut two = two.clone();
    two.push(fx.export().into());
    assert_refused(&run_with_stdin(&fx, &two, b"x"), 2);
    assert_absent(&other);
    assert_absent(&custody_of(&other));
    // No such file in the vault: said, and the intent ended as abandoned.
    let o = fx.kura().args(to_stdout_args(&fx, &vault, "nope")).output().unwrap();
    assert_refused(&o, 2);
    assert!(o.stdout.is_empty());
    assert_eq!(custody_records(&vault).last().unwrap()["event"], "abandoned");
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_read_as_a_stream() {
    let fx = Desk::with_export();
    let fifo = fx.path("pipe");
    tool_ok("mkfifo", [&fifo]);
    let data = noise(100_000, 3);
    let writer = {
        let (fifo, data) = (fifo.clone(), data.clone());
        std::thread::spawn(move || fs::write(fifo, data).unwrap())
    };
    let vault = fx.path("x.kura");
    ok(&fx.run(stream_pack_args(&fx, &vault, "dump.bin", &[fifo.to_str().unwrap()])));
    writer.join().unwrap();
    let back = ok(fx.kura().args(to_stdout_args(&fx, &vault, "dump.bin")));
    assert!(back.stdout == data);
    // A regular file is not a pipe: --stdin-name is for streams.
    let o = fx.run(stream_pack_args(
        &fx,
        fx.path("y.kura"),
        "f",
        &[fx.path("allowed_signers").to_str().unwrap()],
    ));
    assert_refused(&o, 2);
    assert_absent(&fx.path("y.kura"));
}

#[cfg(unix)]
#[test]
fn a_command_that_fails_is_killed_or_cannot_start_leaves_nothing() {
    let fx = Desk::with_export();
    let out = fx.mkdir("out");
    let vault = out.join("x.kura");
    let cases: [&[&str]; 3] = [
        // Output first (more than a part), then a failure: the pipefail trap.
        &["sh", "-c", "head -c 20000000 /dev/zero; exit 3"],
        &["sh", "-c", "head -c 20000000 /dev/zero; kill -9 $$"],
        &["/nonexistent/dummy-dump"],
    ];
    for argv in cases {
        let mut a = stream_pack_args(&fx, &vault, "db.dump", &["--from-command", "--"]);
        a.extend(argv.iter().map(OsString::from));
        let o = fx.run(a);
        let line = assert_refused(&o, 10);
        assert!(line.contains(argv[0]), "{line}");
        assert!(left_in(&out).is_empty(), "{argv:?} left {:?}", left_in(&out));
    }
    // And one that succeeds.
    let mut a = stream_pack_args(&fx, &vault, "db.dump", &["--from-command", "--"]);
    a.extend(osargs!["printf", "dummy %s", "ok"]);
    ok(&fx.run(a));
    assert_eq!(
        ok(fx.kura().args(to_stdout_args(&fx, &vault, "db.dump"))).stdout,
        b"dummy ok"
    );
}

#[cfg(unix)]
#[test]
fn a_vault_on_standard_output_opens_with_stock_tools_and_needs_its_log_named() {
    let fx = Desk::with_export();
    let out = fx.mkdir("out");
    let log = out.join("x.kura.custody");
    let mut a = fx.pack_args("-");
    a.extend(osargs!["--custody", &log, fx.export()]);
    let o = ok(&fx.run(a.clone()));
    // kura's own lines went to stderr; stdout is the vault.
    assert!(o.stdout.starts_with(b"age-encryption.org/v1\n"));
    assert!(stderr_of(&o).contains("standard output"), "{}", describe(&o));
    let vault = out.join("x.kura");
    fs::write(&vault, &o.stdout).unwrap();
    let stock = fx.mkdir("stock");
    shell(
        &stock,
        &format!(
            "age -d -i '{}' '{}' | zstd -d | tar -x",
            fx.engineer.private.display(),
            vault.display()
        ),
    );
    assert!(stock.join("export").is_dir());
    // The log beside the saved vault is the one kura wrote: verify passes.
    ok(&fx.run(osargs!["verify", &vault, "-i", fx.engineer.private]));
    // --json goes to stderr too, and names the stream.
    let mut a = fx.pack_args("-");
    a.extend(osargs![
        "--json",
        "--custody",
        out.join("j.custody"),
        "--stdin-name",
        "d",
        "--from-command",
        "--",
        "printf",
        "x"
    ]);
    let o = ok(&fx.run(a));
    assert!(o.stdout.starts_with(b"age-encryption.org/v1\n"));
    let j: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap_or_else(|e| panic!("{e}: {}", describe(&o)));
    assert_eq!(j["vault"], "-");
    assert_eq!(j["streams"][0]["path"], "d");
    assert_eq!(j["streams"][0]["size"], 1);
    fs::remove_file(out.join("j.custody")).unwrap();

    // Without --custody, with --split, --custody without -o -: refused,
    // nothing on stdout, no log.
    let bare = fx
        .pack_args("-")
        .into_iter()
        .chain([fx.export().into()])
        .collect::<Vec<_>>();
    let o = fx.run(bare);
    assert!(assert_refused(&o, 2).contains("--custody"));
    assert!(o.stdout.is_empty());
    let other = out.join("y.custody");
    let mut split = fx.pack_args("-");
    split.extend(osargs!["--custody", &other, "--split", "10M", fx.export()]);
    let o = fx.run(split);
    assert_refused(&o, 2);
    assert!(o.stdout.is_empty());
    let mut misplaced = fx.pack_args(out.join("z.kura"));
    misplaced.extend(osargs!["--custody", &other, fx.export()]);
    assert_refused(&fx.run(misplaced), 2);
    assert_eq!(left_in(&out), ["x.kura", "x.kura.custody"]);

    // A command that fails after its output went out: exit 10, no log, and
    // what went out never decrypts whole.
    let failed_log = out.join("f.custody");
    let mut a = fx.pack_args("-");
    a.extend(osargs![
        "--custody",
        &failed_log,
        "--stdin-name",
        "db.dump",
        "--from-command",
        "--"
    ]);
    a.extend(osargs!["sh", "-c", "head -c 20000000 /dev/urandom; exit 1"]);
    let o = fx.run(a);
    assert_refused(&o, 10);
    assert_absent(&failed_log);
    assert_never_decrypts_whole(&fx, &o.stdout);
}

/// Asserts that more than a MiB of vault went out, and that age refuses
/// it as incomplete (a failed `pack -o -`).
fn assert_never_decrypts_whole(fx: &Desk, sent: &[u8]) {
    assert!(sent.len() > 1 << 20, "{} bytes went out", sent.len());
    let partial = fx.path("partial.age");
    fs::write(&partial, sent).unwrap();
    let age = tool(
        "age",
        osargs!["-d", "-i", fx.engineer.private, "-o", fx.path("partial.zst"), &partial],
    );
    assert!(!age.status.success(), "a vault that failed decrypted whole");
}

#[cfg(unix)]
#[test]
fn a_vault_on_standard_output_whose_log_cannot_be_written_never_arrives_whole() {
    let fx = Desk::with_export();
    let full = Tmpfs::mount(&fx.path("full"), "size=64k");
    // Fill it: the log's write fails for want of space.
    let _ = fs::write(full.dir.join("filler"), vec![0u8; 1 << 20]);
    let log = full.dir.join("x.custody");
    let mut a = fx.pack_args("-");
    a.extend(osargs![
        "--custody",
        &log,
        "--stdin-name",
        "db.dump",
        "--from-command",
        "--"
    ]);
    a.extend(osargs!["head", "-c", "3000000", "/dev/urandom"]);
    let o = fx.run(a);
    assert_refused(&o, 10);
    assert_absent(&log);
    assert_never_decrypts_whole(&fx, &o.stdout);
}

#[test]
fn to_stdout_from_an_altered_vault_writes_nothing_and_exits_6() {
    let fx = Desk::with_export();
    let vault = fx.path("x.kura");
    let data = noise(3 * PART / 2, 11);
    ok(&run_with_stdin(
        &fx,
        &stream_pack_args(&fx, &vault, "db.dump", &["-"]),
        &data,
    ));
    let before = fs::read(custody_of(&vault)).unwrap();
    let mut bytes = fs::read(&vault).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    fs::write(&vault, &bytes).unwrap();
    let o = fx.kura().args(to_stdout_args(&fx, &vault, "db.dump")).output().unwrap();
    assert_refused(&o, 6);
    assert!(o.stdout.is_empty(), "{} bytes went out", o.stdout.len());
    // Nothing went out, so no copy is recorded.
    assert_no_copy_recorded(&new_records(&vault, &before));
}

/// Runs kura with `args` on a terminal (script(1)): stdin and stdout are
/// the terminal. Returns the exit code and what the terminal showed.
fn on_terminal(fx: &Desk, args: &[OsString]) -> (i32, String) {
    let quoted: Vec<String> = std::iter::once(KURA)
        .chain(args.iter().map(|a| a.to_str().unwrap()))
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    let o = fx
        .command("script")
        .args(["-q", "-e", "-c", &quoted.join(" "), "/dev/null"])
        .output()
        .expect("script(1) runs");
    (o.status.code().unwrap_or(-1), stdout_of(&o))
}

#[cfg(unix)]
#[test]
fn a_terminal_is_neither_read_as_a_stream_nor_written_a_vault() {
    let fx = Desk::with_export();
    let vault = fx.path("x.kura");
    let (code, screen) = on_terminal(&fx, &stream_pack_args(&fx, &vault, "d", &["-"]));
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("standard input is a terminal"), "{screen}");
    let mut a = fx.pack_args("-");
    a.extend(osargs!["--custody", fx.path("c.custody"), fx.export()]);
    let (code, screen) = on_terminal(&fx, &a);
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains("standard output is a terminal"), "{screen}");
    assert_absent(&fx.path("c.custody"));
    ok(&run_with_stdin(
        &fx,
        &stream_pack_args(&fx, &vault, "d", &["-"]),
        b"dummy",
    ));
    let before = fs::read(custody_of(&vault)).unwrap();
    let (code, screen) = on_terminal(&fx, &to_stdout_args(&fx, &vault, "d"));
    assert_eq!(code, 2, "{screen}");
    assert!(!screen.contains("dummy"), "{screen}");
    assert!(new_records(&vault, &before).is_empty());
}

#[cfg(unix)]
#[test]
fn a_vault_put_in_the_checked_ones_place_is_not_what_is_sent() {
    let fx = Desk::with_export();
    let (a, b) = (fx.path("a.kura"), fx.path("b.kura"));
    let data_a = noise(PART + 1000, 21);
    ok(&run_with_stdin(
        &fx,
        &stream_pack_args(&fx, &a, "db.dump", &["-"]),
        &data_a,
    ));
    ok(&run_with_stdin(
        &fx,
        &stream_pack_args(&fx, &b, "db.dump", &["-"]),
        &noise(PART + 1000, 22),
    ));
    // Once a.kura has been checked, b.kura (addressed to the same key)
    // takes its name: what goes out is still the vault that was checked.
    let o = fx
        .kura()
        .args(to_stdout_args(&fx, &a, "db.dump"))
        .env(
            "KURA_TEST_AFTER_CHECK",
            format!("mv '{}' '{}'", b.display(), a.display()),
        )
        .output()
        .unwrap();
    ok(&o);
    assert_absent(&b);
    assert!(o.stdout == data_a, "the bytes sent are not the checked vault's");
}

// ---------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_postgres_dump_goes_through_a_vault_and_back_without_a_plaintext_file() {
    let pg = Postgres::start();
    pg.sql("postgres", "CREATE DATABASE clinic");
    pg.sql(
        "clinic",
        "CREATE TABLE receipts (id int PRIMARY KEY, patient text, points int, day date);
         INSERT INTO receipts SELECT i, 'ダミー患者 ' || i, i * 7 % 1000, DATE '2026-04-01' + i % 30
           FROM generate_series(1, 20000) i;
         CREATE TABLE notes (id serial PRIMARY KEY, body text);
         INSERT INTO notes (body) SELECT md5(i::text) FROM generate_series(1, 50000) i;",
    );
    let fx = Desk::with_export();
    let out = fx.mkdir("out").canonicalize().unwrap();
    let vault = out.join("clinic.kura");
    let pg_dump: Vec<OsString> = osargs!["pg_dump", "-Fc", "-U", "kura", "-h", pg.socket(), "clinic"];
    // Packed straight from pg_dump: nothing written but the vault (under
    // its temporary name) and its log.
    let mut a = stream_pack_args(&fx, &vault, "clinic.dump", &["--from-command", "--"]);
    a.extend(pg_dump.iter().cloned());
    let calls = strace(&fx, a);
    // The trace saw pg_dump (a process of its own) and the vault written.
    let pids: std::collections::BTreeSet<&str> = calls.iter().filter_map(|c| c.line.split(' ').next()).collect();
    assert!(pids.len() > 1, "only kura was traced");
    assert!(calls
        .iter()
        .any(|c| writes(c) && c.paths().iter().any(|p| p.contains("/.clinic.kura."))));
    let stray = writes_outside(&calls, &[&out]);
    assert!(
        stray.is_empty(),
        "pack wrote outside its outputs:\n{}",
        stray.join("\n")
    );

    // Sent back to standard output: kura writes nothing but its log.
    let (o, calls) = strace_output(&fx, to_stdout_args(&fx, &vault, "clinic.dump"));
    ok(&o);
    let stray = writes_outside(&calls, &[&out]);
    assert!(stray.is_empty(), "extract wrote outside its log:\n{}", stray.join("\n"));
    let dump = o.stdout;
    assert!(dump.starts_with(b"PGDMP"), "not a pg_dump custom archive");

    // pg_restore into a fresh database: the same rows.
    pg.sql("postgres", "CREATE DATABASE restored");
    let mut restore = command("pg_restore")
        .args(["-U", "kura", "-h"])
        .arg(pg.socket())
        .args(["-d", "restored", "--no-owner", "--exit-on-error"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    restore.stdin.take().unwrap().write_all(&dump).unwrap();
    ok(&restore.wait_with_output().unwrap());
    for q in [
        "SELECT count(*), sum(points), md5(string_agg(patient || day, ',' ORDER BY id)) FROM receipts",
        "SELECT count(*), md5(string_agg(body, ',' ORDER BY id)) FROM notes",
    ] {
        let (a, b) = (pg.sql("clinic", q), pg.sql("restored", q));
        assert_eq!(a, b, "{q}");
        assert!(!a.starts_with("0|"), "{q}: {a}");
    }

    // A dump that fails (no such database): no vault, no log, nothing left.
    let bad_out = fx.mkdir("bad");
    let mut a = stream_pack_args(&fx, bad_out.join("x.kura"), "clinic.dump", &["--from-command", "--"]);
    a.extend(osargs!["pg_dump", "-Fc", "-U", "kura", "-h", pg.socket(), "no_such_db"]);
    let o = fx.run(a);
    let line = assert_refused_with_tool_output(&o, 10);
    assert!(line.contains("pg_dump"), "{line}");
    assert!(left_in(&bad_out).is_empty(), "{:?}", left_in(&bad_out));
}

/// Like `assert_refused`, for a run where the command kura ran printed
/// its own messages on the shared stderr first: kura's line is the last,
/// and it is the only `kura:` line.
fn assert_refused_with_tool_output(o: &Output, code: i32) -> String {
    assert_no_panic(o);
    assert_eq!(o.status.code(), Some(code), "{}", describe(o));
    let err = stderr_of(o);
    let ours: Vec<&str> = err.lines().filter(|l| l.starts_with("kura:")).collect();
    assert_eq!(ours.len(), 1, "{}", describe(o));
    assert_eq!(err.lines().last(), Some(ours[0]));
    ours[0].to_string()
}
