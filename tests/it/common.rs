//! Helpers shared by the integration tests: they run the built kura binary
//! on dummy data at a [`Desk`], a temporary folder with keys.
//!
//! Running kura: [`kura`] (or [`Desk::kura`], in the desk's working folder
//! and on its clock) makes the command; [`ok`], [`run`], [`assert_refused`]
//! and friends check what it did. Wrappers that start kura themselves (sh
//! setting a limit, strace, script) get the same environment from
//! [`command`] and [`Desk::command`].

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use crate::corpus::Corpus;

/// The built kura binary.
pub const KURA: &str = env!("CARGO_BIN_EXE_kura");

/// The clock of a desk made by [`Desk::with_export`] (`KURA_NOW`).
pub const NOW: &str = "2026-04-01T10:00:00+09:00";
/// The `--delete-by` day of [`approval_args`]: after [`NOW`].
pub const DELETE_BY: &str = "2026-06-30";
/// A moment after [`DELETE_BY`]: vaults are overdue then.
pub const AFTER_DELETE_BY: &str = "2026-07-01T09:00:00+09:00";

/// The comments of the desk's two keys, and their names in its
/// allowed_signers file.
pub const ENGINEER: &str = "engineer@kura.test";
pub const CLINIC: &str = "clinic@kura.test";

/// Command-line arguments of mixed types (`&str`, `String`, `Path`,
/// `PathBuf`, …) as a `Vec<OsString>`: `desk.run(osargs!["verify", vault])`.
macro_rules! osargs {
    ($($a:expr),* $(,)?) => {
        vec![$(::std::ffi::OsString::from(::std::convert::AsRef::<::std::ffi::OsStr>::as_ref(&$a))),*]
    };
}

// ---------------------------------------------------------------------------
// Running kura and checking what it did
// ---------------------------------------------------------------------------

/// `program` in the environment kura runs in during the tests: English (the
/// C locale), no passphrase file or command, no ledger and the computer's own clock
/// unless a test sets them, stdin null. `program` is kura ([`kura`]), a
/// wrapper that starts it (sh, strace, script), or a tool whose output a
/// test reads in that locale.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.env_remove("KURA_NOW")
        .env_remove("KURA_LEDGER")
        .env("KURA_PASSPHRASE_FILE", "")
        .env("KURA_PASSPHRASE_COMMAND", "")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    c
}

/// The kura binary (see [`command`]).
pub fn kura() -> Command {
    command(KURA)
}

/// A run of kura to check: a command (run when checked) or the output of
/// one that has run.
pub trait IntoOutput {
    fn into_output(self) -> Output;
}

impl IntoOutput for &mut Command {
    fn into_output(self) -> Output {
        self.output().expect("kura runs")
    }
}

impl IntoOutput for &Output {
    fn into_output(self) -> Output {
        self.clone()
    }
}

/// Asserts that kura succeeded without panicking; returns its output.
pub fn ok(run: impl IntoOutput) -> Output {
    let out = run.into_output();
    assert_no_panic(&out);
    assert!(out.status.success(), "expected success:\n{}", describe(&out));
    out
}

/// (exit code, stdout, stderr) of a run.
pub fn run(run: impl IntoOutput) -> (i32, String, String) {
    let out = run.into_output();
    (out.status.code().unwrap_or(-1), stdout_of(&out), stderr_of(&out))
}

/// Parses a `--json` stdout.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", describe(out)))
}

/// Exit code, stdout and stderr, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that nothing panicked (kura must not panic on any input).
pub fn assert_no_panic(out: &Output) {
    let err = stderr_of(out);
    assert!(
        !err.contains("panicked") && !stdout_of(out).contains("panicked"),
        "kura panicked:\n{}",
        describe(out)
    );
}

/// Asserts a refusal as users see it: exit `code` (docs/EXIT-CODES.md), no
/// panic, and exactly one line on stderr, `kura: error: …` (`kura: エラー: …`
/// in Japanese), with a message. Returns that line.
pub fn assert_refused(out: &Output, code: i32) -> String {
    assert_no_panic(out);
    assert_eq!(out.status.code(), Some(code), "wrong exit code:\n{}", describe(out));
    let err = stderr_of(out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one stderr line:\n{}", describe(out));
    let line = lines[0];
    let msg = ["kura: error: ", "kura: エラー: "]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .unwrap_or_else(|| panic!("stderr does not start with `kura: error: `:\n{}", describe(out)));
    assert!(msg.trim().len() >= 10, "message too thin: {line:?}");
    line.to_string()
}

/// Runs the calling test once more, in a process of its own (this test
/// binary started for that one test), and returns true once it has passed
/// there; in that process it returns false and the test goes on. A test
/// starts with `if ran_in_own_process() { return; }` when it changes what
/// belongs to the whole process for good: loading a key through the
/// library turns core dumps off for the process and for every program it
/// starts after that (kura keeps secrets out of core dumps), which would
/// hide whether kura turns them off itself (`secrets`).
pub fn ran_in_own_process() -> bool {
    const OWN: &str = "KURA_TEST_OWN_PROCESS";
    if std::env::var_os(OWN).is_some() {
        return false;
    }
    let thread = std::thread::current();
    let name = thread.name().expect("tests run on threads named after them");
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([name, "--exact", "--test-threads=1"])
        .env(OWN, "1")
        .stdin(Stdio::null())
        .output()
        .expect("the test binary runs");
    assert!(
        out.status.success() && stdout_of(&out).contains("test result: ok. 1 passed"),
        "{name}, in a process of its own:\n{}",
        describe(&out)
    );
    true
}

/// Runs `cmd` (stdout and stderr captured) and fails the test if it has not
/// exited within `limit`: for commands that must never wait for input.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "command still running after {limit:?} (waiting for input?):\n{}",
                describe(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `args` with the value of `flag` replaced: `with(desk.pack_args(out),
/// "--delete-by", "2099-12-31")`.
pub fn with(mut args: Vec<OsString>, flag: &str, value: impl Into<OsString>) -> Vec<OsString> {
    let at = args.iter().position(|a| a == flag).expect("flag present");
    args[at + 1] = value.into();
    args
}

/// `args` with `flag` and its value removed.
pub fn without(mut args: Vec<OsString>, flag: &str) -> Vec<OsString> {
    let at = args.iter().position(|a| a == flag).expect("flag present");
    args.drain(at..at + 2);
    args
}

/// The four approval options of a complete pack (delete by [`DELETE_BY`]).
pub fn approval_args() -> Vec<OsString> {
    osargs![
        "--approval-id",
        "APP-2026-041",
        "--approved-by",
        "院長 山田（ダミー）",
        "--purpose",
        "レセプト不具合の調査",
        "--delete-by",
        DELETE_BY
    ]
}

// ---------------------------------------------------------------------------
// Stock tools
// ---------------------------------------------------------------------------

/// Runs a stock tool (age, zstd, tar, ssh-keygen, …). A missing tool is a
/// test failure, never a skip.
pub fn tool<I, S>(program: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("the stock tool `{program}` is required by the tests and could not run: {e}"))
}

/// [`tool`], asserting that it succeeded.
pub fn tool_ok<I, S>(program: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = tool(program, args);
    assert!(out.status.success(), "`{program}` failed:\n{}", describe(&out));
    out
}

/// Runs `script` with `bash -c`, `pipefail` on, in `dir`.
pub fn shell(dir: &Path, script: &str) -> Output {
    Command::new("bash")
        .args(["-c", &format!("set -euo pipefail\n{script}")])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("bash runs")
}

// ---------------------------------------------------------------------------
// Files and trees
// ---------------------------------------------------------------------------

/// Asserts that `path` does not exist (not even as a dangling link).
pub fn assert_absent(path: &Path) {
    assert!(
        fs::symlink_metadata(path).is_err(),
        "{} should not exist",
        path.display()
    );
}

/// Asserts that `dir` is an empty directory.
pub fn assert_empty_dir(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{} should be a directory: {e}", dir.display()))
        .map(|e| e.expect("dir entry").file_name())
        .collect();
    assert!(left.is_empty(), "{} should be empty, holds {left:?}", dir.display());
}

/// Asserts that `dir` either does not exist or is empty.
pub fn assert_absent_or_empty(dir: &Path) {
    if fs::symlink_metadata(dir).is_ok() {
        assert_empty_dir(dir);
    }
}

/// Every name in `dir`, sorted (an empty list for a missing folder).
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// How much of each entry [`listing`] describes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Meta {
    /// Kind, content (BLAKE3) and link target only.
    Content,
    /// Also permission bits and modification time (not of links).
    Full,
}

/// Every entry under `dir` (not following links), keyed by relative path,
/// described as `file <blake3>`, `dir` or `link -> target`, with mode and
/// mtime for [`Meta::Full`]. Compare two listings to compare two trees.
pub fn listing(dir: &Path, meta: Meta) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, meta: Meta, out: &mut BTreeMap<String, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).expect("below root").to_string_lossy().into_owned();
            let m = fs::symlink_metadata(&p).expect("lstat");
            let mut d = if m.file_type().is_symlink() {
                format!("link -> {}", fs::read_link(&p).expect("readlink").display())
            } else if m.is_dir() {
                "dir".to_string()
            } else if m.is_file() {
                format!("file {}", blake3::hash(&fs::read(&p).expect("read")).to_hex())
            } else {
                "special".to_string()
            };
            if meta == Meta::Full && !m.file_type().is_symlink() {
                let mtime = m
                    .modified()
                    .expect("mtime")
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("after 1970");
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    d.push_str(&format!(" mode={:o}", m.permissions().mode() & 0o7777));
                }
                d.push_str(&format!(" mtime={}", mtime.as_secs()));
            }
            out.insert(rel, d);
            if m.is_dir() {
                walk(root, &p, meta, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, meta, &mut out);
    out
}

/// Asserts that `dir` holds the same tree as `expected`: same names, kinds,
/// contents and link targets, and with [`Meta::Full`] the same modes and
/// mtimes.
pub fn assert_same_tree(dir: &Path, expected: &Path, meta: Meta) {
    assert_eq!(
        listing(dir, meta),
        listing(expected, meta),
        "{} differs from {}",
        dir.display(),
        expected.display()
    );
}

/// Writes `bytes` to `path` (creating parents) with `mode` (on Unix) and
/// `mtime`.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32, mtime: i64) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, bytes).expect("write");
    #[cfg(unix)]
    set_mode(path, mode);
    #[cfg(not(unix))]
    let _ = mode;
    set_mtime(path, mtime);
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Without Unix modes (Windows) there is nothing to set: the tests that
/// call this only to keep a key private run the same there.
#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) {}

pub fn set_mtime(path: &Path, mtime: i64) {
    filetime::set_file_mtime(path, filetime::FileTime::from_unix_time(mtime, 0)).expect("set mtime");
}

/// Has `cmd` start with core dumps allowed, up to the hard limit. If that
/// is 0, `cmd` fails to start: something in this process loaded a key
/// through the library (see [`ran_in_own_process`]), and what the program
/// showed of its limits would not be its own doing.
#[cfg(unix)]
pub fn allow_core_dumps(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure only calls getrlimit and
    // setrlimit, which are async-signal-safe, and makes errors without
    // allocating.
    unsafe {
        cmd.pre_exec(|| {
            let mut core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_CORE, &mut core) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if core.rlim_max == 0 {
                return Err(std::io::Error::from_raw_os_error(libc::EPERM));
            }
            core.rlim_cur = core.rlim_max;
            if libc::setrlimit(libc::RLIMIT_CORE, &core) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

/// Deterministic incompressible bytes (xorshift), for data that spans
/// several age chunks (64 KiB each) once encrypted.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// The custody log beside a vault (`X.kura.custody`).
pub fn custody_of(vault: &Path) -> PathBuf {
    let mut s = vault.as_os_str().to_os_string();
    s.push(".custody");
    PathBuf::from(s)
}

/// The custody log's records, parsed.
pub fn custody_records(vault: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(custody_of(vault))
        .expect("custody log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("custody line is JSON"))
        .collect()
}

/// The records a vault's custody log gained since it held `before`
/// (asserting that it only grew).
pub fn new_records(vault: &Path, before: &[u8]) -> Vec<serde_json::Value> {
    let after = fs::read(custody_of(vault)).unwrap();
    assert!(after.starts_with(before), "the log only grew");
    String::from_utf8_lossy(&after[before.len()..])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// No record among `records` says a plaintext copy exists: an extraction
/// that failed after its intent (`extracting`) recorded that it was
/// `abandoned` (what it wrote is gone), and none recorded `extracted`.
/// Returns how many extractions were begun and abandoned.
pub fn assert_no_copy_recorded(records: &[serde_json::Value]) -> usize {
    let events: Vec<&str> = records.iter().map(|r| r["event"].as_str().unwrap_or("")).collect();
    let mut pairs = 0;
    let mut it = events.iter();
    while let Some(e) = it.next() {
        match *e {
            "extracting" => {
                assert_eq!(it.next(), Some(&"abandoned"), "an intent without its end: {events:?}");
                pairs += 1;
            }
            "verified" | "note" | "handover" | "received" => {}
            other => panic!("a record of a copy, or out of place: {other} in {events:?}"),
        }
    }
    pairs
}

/// `ssh-ed25519 AAAA…` without the comment.
pub fn bare_key(line: &str) -> String {
    line.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// The desk
// ---------------------------------------------------------------------------

/// A key pair made by `kura keygen --no-passphrase`.
pub struct TestKey {
    /// The private key (mode 0600).
    pub private: PathBuf,
    /// `private` + `.pub`.
    pub public: PathBuf,
    /// The public key line (`ssh-ed25519 AAAA… comment`), trimmed.
    pub line: String,
    /// Its name in the desk's allowed_signers file (its comment).
    pub principal: String,
}

impl TestKey {
    fn make(path: &Path, comment: &str) -> TestKey {
        ok(kura()
            .arg("keygen")
            .arg("-o")
            .arg(path)
            .args(["--comment", comment, "--no-passphrase"]));
        let public = PathBuf::from(format!("{}.pub", path.display()));
        let line = fs::read_to_string(&public).expect("public key").trim().to_string();
        TestKey {
            private: path.to_path_buf(),
            public,
            line,
            principal: comment.to_string(),
        }
    }
}

/// A temporary folder, `root`, holding the engineer's and the clinic's key
/// (`engineer.key` and `clinic.key`, unencrypted, made by `kura keygen`,
/// named [`ENGINEER`] and [`CLINIC`]), an `allowed_signers` file naming
/// both and an empty `keys/` for the keys a test makes itself.
///
/// - [`Desk::new`]: kura runs in `root` on the computer's clock; tests name
///   files relative to it (`"engineer.key"`, `"x.kura"`).
/// - [`Desk::with_export`]: also a small dummy export, `export/`; kura runs
///   in an empty `cwd/` (nothing should ever land there) at [`NOW`]; tests
///   name files by their full path ([`Desk::path`], `desk.engineer.private`).
pub struct Desk {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    /// Where kura runs.
    pub cwd: PathBuf,
    /// `KURA_NOW` of every command, if set.
    now: Option<&'static str>,
    pub engineer: TestKey,
    pub clinic: TestKey,
    /// The allowed_signers file naming both keys.
    pub signers: PathBuf,
    export: Option<PathBuf>,
}

/// The dummy export's symlink (inside the tree) and its target.
pub const EXPORT_LINK: &str = "receipts/latest";
pub const EXPORT_LINK_TARGET: &str = "000/receipt_000002.txt";

impl Desk {
    /// A desk where kura runs in `root`, on the computer's clock.
    pub fn new() -> Desk {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        fs::create_dir_all(root.join("keys")).expect("mkdir keys");
        let engineer = TestKey::make(&root.join("engineer.key"), ENGINEER);
        let clinic = TestKey::make(&root.join("clinic.key"), CLINIC);
        let d = Desk {
            _tmp: tmp,
            cwd: root.clone(),
            now: None,
            engineer,
            clinic,
            signers: root.join("allowed_signers"),
            export: None,
            root,
        };
        d.write_signers("allowed_signers", "");
        d
    }

    /// A desk with the dummy export (see [`make_export`]), where kura runs
    /// in the empty `cwd/` at [`NOW`].
    pub fn with_export() -> Desk {
        let mut d = Desk::new();
        d.cwd = d.mkdir("cwd");
        d.now = Some(NOW);
        let export = d.path("export");
        make_export(&export);
        d.export = Some(export);
        d
    }

    /// The dummy export (a desk made by [`Desk::with_export`]).
    pub fn export(&self) -> &Path {
        self.export.as_deref().expect("a desk made by Desk::with_export")
    }

    /// A path under the root.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Creates (and returns) a directory under the root.
    pub fn mkdir(&self, rel: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(&p).expect("mkdir");
        p
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).expect("readable")
    }

    /// Writes `text` to a file under the root (creating its folder).
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(p, text).expect("writable");
    }

    /// `program` (kura, or a wrapper that starts it) as [`command`] makes
    /// it, in `cwd`, on the desk's clock.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = command(program);
        c.current_dir(&self.cwd);
        if let Some(now) = self.now {
            c.env("KURA_NOW", now);
        }
        c
    }

    /// kura at this desk (see [`Desk::command`]).
    pub fn kura(&self) -> Command {
        self.command(KURA)
    }

    /// Runs kura at this desk with `args`; returns its output, whatever the
    /// exit code.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.kura().args(args).output().expect("kura runs")
    }

    /// Writes the allowed_signers file `rel`: the engineer's key, with
    /// `engineer_options` (like `valid-before="…"`) if not empty, and the
    /// clinic's.
    pub fn write_signers(&self, rel: &str, engineer_options: &str) {
        let options = if engineer_options.is_empty() {
            String::new()
        } else {
            format!("{engineer_options} ")
        };
        self.write(
            rel,
            &format!(
                "{} {options}{}\n{} {}\n",
                self.engineer.principal,
                bare_key(&self.engineer.line),
                self.clinic.principal,
                bare_key(&self.clinic.line)
            ),
        );
    }

    /// The arguments of a complete `kura pack -o OUT` (inputs to follow):
    /// both keys as recipients, the engineer's key signs, the approval of
    /// [`approval_args`].
    pub fn pack_args(&self, out: impl AsRef<OsStr>) -> Vec<OsString> {
        let mut a = osargs![
            "pack",
            "-o",
            out,
            "-r",
            self.engineer.line,
            "-r",
            self.clinic.line,
            "-i",
            self.engineer.private
        ];
        a.extend(approval_args());
        a
    }

    /// Runs `kura pack -o OUT [extra…] INPUTS…` with [`Desk::pack_args`].
    pub fn pack(&self, out: &Path, extra: &[&str], inputs: &[&Path]) -> Output {
        let mut a = self.pack_args(out);
        a.extend(extra.iter().map(|s| s.into()));
        a.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
        self.run(a)
    }

    /// Packs the dummy export into `ROOT/NAME`, asserting success; returns
    /// the vault path.
    pub fn packed(&self, name: &str) -> PathBuf {
        let vault = self.path(name);
        if let Some(parent) = vault.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        ok(&self.pack(&vault, &[], &[self.export()]));
        vault
    }

    /// Packs a small dummy export (`NAME-data/`: a dump and a CSV) into
    /// `NAME.kura` with approval `approval_id` for `purpose`, due by
    /// `delete_by`, the clock at `now` (RFC 3339). Returns the vault path.
    pub fn pack_small(&self, name: &str, approval_id: &str, purpose: &str, delete_by: &str, now: &str) -> PathBuf {
        let src = format!("{name}-data");
        self.write(
            &format!("{src}/orca_dump_dummy.sql"),
            "-- dummy dump, no real patients\n",
        );
        self.write(&format!("{src}/csv/list_dummy.csv"), "id,name\n00000001,DUMMY\n");
        let vault = self.path(&format!("{name}.kura"));
        let mut a = with(self.pack_args(&vault), "--approval-id", approval_id);
        a = with(a, "--purpose", purpose);
        a = with(a, "--delete-by", delete_by);
        a.push(self.path(&src).into());
        ok(self.kura().env("KURA_NOW", now).args(a));
        vault
    }

    /// `kura verify VAULT -i KEY [extra…]`.
    pub fn verify(&self, vault: &Path, key: &Path, extra: &[&str]) -> Output {
        let mut c = self.kura();
        c.arg("verify").arg(vault).arg("-i").arg(key).args(extra);
        c.output().expect("kura runs")
    }

    /// `kura extract VAULT -i KEY -C DEST [extra…]`.
    pub fn extract(&self, vault: &Path, key: &Path, dest: &Path, extra: &[&str]) -> Output {
        let mut c = self.kura();
        c.arg("extract")
            .arg(vault)
            .arg("-i")
            .arg(key)
            .arg("-C")
            .arg(dest)
            .args(extra);
        c.output().expect("kura runs")
    }

    /// `kura custody add LOG --event EVENT -i KEY [extra…]` (`extra`: more
    /// options, like `--note`), to run.
    pub fn custody_add(&self, log: impl AsRef<OsStr>, event: &str, key: impl AsRef<OsStr>, extra: &[&str]) -> Command {
        let mut c = self.kura();
        c.args(["custody", "add"])
            .arg(log)
            .args(["--event", event, "-i"])
            .arg(key)
            .args(extra);
        c
    }

    /// Adds an `event` record to `NAME.kura`'s custody log, signed with
    /// `key` at `now`, asserting success.
    pub fn record(&self, name: &str, event: &str, key: &str, now: &str, extra: &[&str]) {
        ok(self
            .custody_add(format!("{name}.kura"), event, key, extra)
            .env("KURA_NOW", now));
    }

    /// Records the clinic's hand-over of `NAME.kura` at `now` and keeps the
    /// clinic's copy of the log as `NAME.clinic.custody`.
    pub fn handover(&self, name: &str, now: &str) {
        self.record(name, "handover", "clinic.key", now, &[]);
        fs::copy(
            self.path(&format!("{name}.kura.custody")),
            self.path(&format!("{name}.clinic.custody")),
        )
        .expect("copy of the log");
    }

    /// The engineer certifies the deletion of `NAME.kura` (its return if
    /// `returned`) at `now` into `NAME.cert.json`; returns that path.
    pub fn certify(&self, name: &str, returned: bool, now: &str) -> PathBuf {
        let cert = format!("{name}.cert.json");
        let action = if returned { "--returned" } else { "--deleted" };
        ok(self.kura().env("KURA_NOW", now).args([
            "certify",
            &format!("{name}.kura"),
            action,
            "-i",
            "engineer.key",
            "-o",
            &cert,
        ]));
        self.path(&cert)
    }

    /// `kura certificate verify CERT --custody CUSTODY --signers SIGNERS
    /// [extra…]`.
    pub fn verify_certificate(
        &self,
        cert: &Path,
        custody: impl AsRef<OsStr>,
        signers: impl AsRef<OsStr>,
        extra: &[&str],
    ) -> Output {
        self.kura()
            .args(["certificate", "verify"])
            .arg(cert)
            .arg("--custody")
            .arg(custody)
            .arg("--signers")
            .arg(signers)
            .args(extra)
            .output()
            .expect("kura runs")
    }
}

/// A small dummy export: [`Corpus::small`] (a SQL dump, CSVs with a
/// Japanese name, a few receipts, an empty `scans/`) plus a binary scan of
/// ~150 KB, an executable, a private and a read-only file, an empty file
/// and folder, a link inside the tree (on Unix), and fixed modes and
/// mtimes.
fn make_export(export: &Path) {
    Corpus::small(3).write(export);
    write_file(
        &export.join("scans/scan_0001.jpg"),
        &noise(150_000, 7),
        0o644,
        1_700_000_100,
    );
    write_file(
        &export.join("tools/run.sh"),
        b"#!/bin/sh\necho dummy\n",
        0o755,
        1_700_000_200,
    );
    write_file(
        &export.join("private.txt"),
        "ダミーの内部メモ\n".as_bytes(),
        0o600,
        1_700_000_300,
    );
    write_file(&export.join("readonly.txt"), b"read only\n", 0o444, 1_700_000_400);
    write_file(&export.join("empty.txt"), b"", 0o640, 1_700_000_500);
    fs::create_dir_all(export.join("empty-dir")).expect("mkdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(EXPORT_LINK_TARGET, export.join(EXPORT_LINK)).expect("symlink");
    // Fixed times for everything, folders last (deepest first) and modes.
    let mut t = 1_600_000_000;
    let all: Vec<String> = listing(export, Meta::Content).into_keys().collect();
    for rel in all.iter().rev() {
        let p = export.join(rel);
        let m = fs::symlink_metadata(&p).expect("lstat");
        if m.file_type().is_symlink() {
            continue;
        }
        #[cfg(unix)]
        if m.is_dir() {
            set_mode(&p, if rel == "tools" { 0o750 } else { 0o755 });
        }
        if ![
            "scans/scan_0001.jpg",
            "tools/run.sh",
            "private.txt",
            "readonly.txt",
            "empty.txt",
        ]
        .contains(&rel.as_str())
            || m.is_dir()
        {
            t += 61;
            set_mtime(&p, t);
        }
    }
    set_mtime(export, 1_650_000_000);
}

/// `chattr FLAG PATH`, undone when dropped; `None` (with a note) where the
/// file system does not support the flag.
#[cfg(unix)]
pub struct Chattr(pub PathBuf);

#[cfg(unix)]
impl Chattr {
    pub fn set(flag: &str, path: &Path) -> Option<Chattr> {
        let out = Command::new("chattr").arg(flag).arg(path).output();
        let out = out.expect("chattr must be installed for these tests");
        if !out.status.success() {
            eprintln!(
                "note: chattr {flag} is not supported here ({}); that assertion is skipped",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Chattr(path.to_path_buf()))
    }
}

#[cfg(unix)]
impl Drop for Chattr {
    fn drop(&mut self) {
        let _ = Command::new("chattr").args(["-i", "-a"]).arg(&self.0).output();
    }
}

/// A packed vault, its custody log and the engineer's key copied into
/// `ROOT/nobody` and owned by `nobody` (see [`as_nobody`]), the key mode
/// 0600, the log mode 0444 (on a writable disk, so only by its mode);
/// returns that folder (`x.kura`, `x.kura.custody`, `key`).
#[cfg(unix)]
pub fn vault_of_nobody(desk: &Desk) -> PathBuf {
    let vault = desk.packed("x.kura");
    set_mode(&desk.root, 0o755);
    let home = desk.mkdir("nobody");
    std::fs::copy(&vault, home.join("x.kura")).unwrap();
    std::fs::copy(custody_of(&vault), home.join("x.kura.custody")).unwrap();
    std::fs::copy(&desk.engineer.private, home.join("key")).unwrap();
    for p in [
        home.clone(),
        home.join("x.kura"),
        home.join("x.kura.custody"),
        home.join("key"),
    ] {
        std::os::unix::fs::lchown(&p, Some(65534), Some(65534)).unwrap();
    }
    set_mode(&home.join("key"), 0o600);
    set_mode(&home.join("x.kura.custody"), 0o444);
    home
}

/// Runs kura with `args` as `nobody` in `home` (see [`vault_of_nobody`]).
#[cfg(unix)]
pub fn kura_as_nobody(desk: &Desk, home: &Path, args: &[&str]) -> Output {
    let mut c = desk.kura();
    c.current_dir(home).args(args);
    as_nobody(c)
}

/// Runs kura as `nobody`, whose files these then are.
#[cfg(unix)]
pub fn as_nobody(c: Command) -> Output {
    let args: Vec<_> = std::iter::once(c.get_program().to_owned())
        .chain(c.get_args().map(|a| a.to_owned()))
        .collect();
    let mut s = Command::new("setpriv");
    s.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(args);
    s.current_dir(c.get_current_dir().unwrap()).stdin(Stdio::null());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => s.env(k, v),
            None => s.env_remove(k),
        };
    }
    let out = s.output().expect("setpriv must be installed for these tests");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("setpriv:"),
        "{}",
        describe(&out)
    );
    out
}

/// A tmpfs mounted for one test (tests run as root), unmounted when
/// dropped. `options` are mount options such as `size=2m,nr_inodes=64`.
/// A mount that fails is a test failure, never a skip.
#[cfg(unix)]
pub struct Tmpfs {
    pub dir: PathBuf,
}

#[cfg(unix)]
impl Tmpfs {
    pub fn mount(dir: &Path, options: &str) -> Tmpfs {
        fs::create_dir_all(dir).expect("mkdir mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mounting a tmpfs at {} failed (these tests need root and mount):\n{}",
            dir.display(),
            describe(&out)
        );
        Tmpfs { dir: dir.to_path_buf() }
    }
}

#[cfg(unix)]
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).output();
    }
}

/// Reads `out` on a thread of its own as it comes (what a terminal shows
/// so far, for a test waiting for a prompt); the thread ends with it.
#[cfg(unix)]
pub fn read_in_background(
    mut out: std::process::ChildStdout,
) -> (std::sync::Arc<std::sync::Mutex<Vec<u8>>>, std::thread::JoinHandle<()>) {
    let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = screen.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        while let Ok(n) = std::io::Read::read(&mut out, &mut buf) {
            if n == 0 {
                break;
            }
            seen.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    (screen, reader)
}

// ---------------------------------------------------------------------------
// Tracing what kura writes
// ---------------------------------------------------------------------------

/// One traced system call: the process, the call and its result.
#[cfg(unix)]
pub struct Call {
    pub line: String,
}

#[cfg(unix)]
impl Call {
    pub fn name(&self) -> &str {
        let rest = self.line.split_once(' ').map(|(_, r)| r.trim_start()).unwrap_or("");
        rest.split('(').next().unwrap_or("")
    }
    /// The absolute paths the call names: its quoted arguments, or (for
    /// calls on a descriptor, such as fsync) the descriptor's path as
    /// `strace -y` shows it. A relative name is returned as it is.
    pub fn paths(&self) -> Vec<String> {
        let args = self.line.split_once('(').map(|(_, a)| a).unwrap_or("");
        let quoted: Vec<String> = args.split('"').skip(1).step_by(2).map(str::to_string).collect();
        if !quoted.is_empty() {
            return quoted;
        }
        let fd = args.split(['<', '>']).nth(1).unwrap_or("");
        vec![fd.to_string()]
    }
    /// [`Call::paths`], a relative name joined to the folder of the
    /// descriptor before it (`renameat(4</dir>, "name", …)`, as `strace -y`
    /// shows it).
    pub fn resolved_paths(&self) -> Vec<String> {
        let args = self.line.split_once('(').map(|(_, a)| a).unwrap_or("");
        let mut out = vec![];
        let mut dir: Option<String> = None;
        for (i, part) in args.split('"').enumerate() {
            if i % 2 == 1 {
                out.push(match &dir {
                    Some(d) if !part.starts_with('/') => format!("{d}/{part}"),
                    _ => part.to_string(),
                });
                dir = None;
            } else if let Some(d) = part.rsplit_once('<').and_then(|(_, d)| d.split_once('>')) {
                dir = Some(d.0.to_string());
            }
        }
        if out.is_empty() {
            return self.paths();
        }
        out
    }
}

/// Runs kura at `fx` with `args` under `strace -f` (kura and every process
/// it starts), asserting success; returns the system calls that open,
/// create, rename, link, make folders, sync or truncate.
#[cfg(unix)]
pub fn strace(fx: &Desk, args: Vec<std::ffi::OsString>) -> Vec<Call> {
    let (o, calls) = strace_output(fx, args);
    ok(&o);
    calls
}

/// [`strace`] returning kura's output as well, whatever its exit code.
#[cfg(unix)]
pub fn strace_output(fx: &Desk, args: Vec<std::ffi::OsString>) -> (Output, Vec<Call>) {
    let log = fx.path("strace.log");
    let mut cmd = fx.command("strace");
    strace_into(&mut cmd, &log).arg(KURA).args(args);
    traced(&mut cmd, &log)
}

/// Adds to `strace` (a command made by [`command`] or [`Desk::command`])
/// the options that trace every process into `log`: the calls [`strace`]
/// returns. The program to trace and its arguments follow.
#[cfg(unix)]
pub fn strace_into<'a>(strace: &'a mut Command, log: &Path) -> &'a mut Command {
    strace.args(["-f", "-qq", "-y", "-o"]).arg(log).args([
        "-e",
        "trace=open,openat,openat2,creat,rename,renameat,renameat2,link,linkat,mkdir,mkdirat,fsync,fdatasync,truncate,ftruncate",
    ])
}

/// Runs `strace` made with [`strace_into`]: its output, whatever its exit
/// code, and the calls traced into `log`.
#[cfg(unix)]
pub fn traced(strace: &mut Command, log: &Path) -> (Output, Vec<Call>) {
    let o = strace
        .output()
        .unwrap_or_else(|e| panic!("strace is required by this test (apt-get install strace): {e}"));
    let calls = fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| Call { line: l.to_string() })
        .collect();
    (o, calls)
}

#[cfg(unix)]
pub fn writes(call: &Call) -> bool {
    let l = &call.line;
    match call.name() {
        "open" | "openat" | "openat2" => {
            l.contains("O_WRONLY") || l.contains("O_RDWR") || l.contains("O_CREAT") || l.contains("O_TRUNC")
        }
        "creat" | "rename" | "renameat" | "renameat2" | "link" | "linkat" | "mkdir" | "mkdirat" | "truncate" => true,
        _ => false,
    }
}

/// Writes outside `folders`: anything opened for writing, created,
/// renamed or linked elsewhere, except the terminal and /dev/null (a
/// successful call only).
#[cfg(unix)]
pub fn writes_outside(calls: &[Call], folders: &[&Path]) -> Vec<String> {
    let inside: Vec<String> = folders.iter().map(|f| format!("{}/", f.to_str().unwrap())).collect();
    calls
        .iter()
        .filter(|c| writes(c) && !c.line.contains("= -1"))
        .filter(|c| {
            c.resolved_paths()
                .iter()
                .any(|p| !(p == "/dev/null" || p == "/dev/tty" || inside.iter().any(|i| p.starts_with(i.as_str()))))
        })
        .map(|c| c.line.clone())
        .collect()
}

// ---------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------

#[cfg(unix)]
/// A PostgreSQL server binary: on PATH, else in Debian's versioned folder.
pub fn pg_bin(name: &str) -> PathBuf {
    for dir in std::env::var_os("PATH").iter().flat_map(std::env::split_paths) {
        if dir.join(name).is_file() {
            return dir.join(name);
        }
    }
    let mut versions: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin").join(name)).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is required by this test (apt-get install postgresql)"))
}

/// A throwaway cluster in a temporary folder, on a Unix socket there and
/// no TCP, stopped when dropped. The server refuses to run as root: as
/// root, it runs as `nobody`.
#[cfg(unix)]
pub struct Postgres {
    dir: tempfile::TempDir,
}

#[cfg(unix)]
impl Postgres {
    pub fn as_owner(&self, program: &Path) -> Command {
        // SAFETY: geteuid has no preconditions.
        let mut c = if unsafe { libc::geteuid() } == 0 {
            let mut c = command("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
                .arg(program);
            c
        } else {
            command(program)
        };
        c.current_dir(self.dir.path());
        c
    }

    pub fn start() -> Postgres {
        let pg = Postgres {
            dir: tempfile::tempdir().unwrap(),
        };
        set_mode(pg.dir.path(), 0o755);
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            let passwd = fs::read_to_string("/etc/passwd").unwrap();
            let nobody: Vec<u32> = passwd
                .lines()
                .find_map(|l| l.strip_prefix("nobody:"))
                .expect("a user nobody")
                .split(':')
                .skip(1)
                .take(2)
                .map(|n| n.parse().unwrap())
                .collect();
            std::os::unix::fs::chown(pg.dir.path(), Some(nobody[0]), Some(nobody[1])).unwrap();
        }
        let data = pg.dir.path().join("data");
        ok(pg
            .as_owner(&pg_bin("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "kura",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&data));
        ok(pg
            .as_owner(&pg_bin("pg_ctl"))
            .args(["-w", "-l", "log", "-D"])
            .arg(&data)
            .args([
                "-o",
                &format!("-k {} -c listen_addresses= -F", pg.dir.path().display()),
                "start",
            ]));
        pg
    }

    pub fn socket(&self) -> &Path {
        self.dir.path()
    }

    /// psql on database `db`: unaligned rows.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let o = ok(command("psql")
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", "kura", "-h"])
            .arg(self.socket())
            .args(["-d", db, "-c", sql]));
        stdout_of(&o)
    }
}

#[cfg(unix)]
impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .as_owner(&pg_bin("pg_ctl"))
            .args(["-w", "-m", "immediate", "-D"])
            .arg(&data)
            .arg("stop")
            .output();
    }
}
