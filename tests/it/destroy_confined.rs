//! `kura certify` destroys only its targets, held to the standard of
//! `rm --one-file-system --preserve-root` and `shred`: the home folder and
//! the root by any spelling, other file systems, immutable files, what the
//! user may not change, and anything swapped between the survey and the
//! destruction are refused — before the first byte is overwritten — and
//! nothing outside a target is ever touched. `--dry-run` shows what would
//! go and changes nothing.
//!
//! These tests run as root (they mount tmpfs file systems, set `chattr`
//! flags and run kura as `nobody` with `setpriv`). A change between survey
//! and destruction is staged with the debug-build hook
//! `KURA_TEST_AFTER_SURVEY`, never with a sleep.

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::common::{as_nobody, Chattr};

const KURA: &str = env!("CARGO_BIN_EXE_kura");
const NOBODY: u32 = 65534;

/// A packed vault, its key, a certificate to write, and room for the
/// plaintext copies to destroy, all in a fresh folder.
struct Case {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    key: PathBuf,
    vault: PathBuf,
    cert: PathBuf,
    home: PathBuf,
}

fn mode_of(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a tool that must be installed and must succeed.
fn tool(program: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new(program).args(args).output();
    let out = out.unwrap_or_else(|e| panic!("{program} must be installed for these tests: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed:\n{}", describe(&out));
}

/// The one-line refusal on stderr, after checking the exit code.
fn refused(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{}", describe(out));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr:\n{}", describe(out));
    assert!(lines[0].starts_with("kura: error: "), "{}", describe(out));
    assert!(!err.contains("panicked"), "{}", describe(out));
    lines[0].to_string()
}

/// A file system mounted for a test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path) -> Mount {
        fs::create_dir_all(dir).unwrap();
        tool(
            "mount",
            &["-t".as_ref(), "tmpfs".as_ref(), "tmpfs".as_ref(), dir.as_os_str()],
        );
        Mount(dir.to_path_buf())
    }

    fn bind(from: &Path, dir: &Path) -> Mount {
        fs::create_dir_all(dir).unwrap();
        tool("mount", &["--bind".as_ref(), from.as_os_str(), dir.as_os_str()]);
        Mount(dir.to_path_buf())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

impl Case {
    fn new() -> Case {
        let tmp = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(tmp.path()).unwrap();
        set_mode(&root, 0o755);
        let home = root.join("home-of-the-engineer");
        fs::create_dir(&home).unwrap();
        fs::create_dir(root.join("keys")).unwrap();
        let key = root.join("keys/engineer");
        let c = Case {
            _tmp: tmp,
            root: root.clone(),
            key: key.clone(),
            vault: root.join("stick/V.kura"),
            cert: root.join("out/CERT.json"),
            home,
        };
        c.ok(c
            .kura()
            .args(["keygen", "-o"])
            .arg(&key)
            .args(["--no-passphrase", "--comment", "eng@clinic.example"]));
        let export = c.tree("export", &[("list.csv", "id,name\n00000001,DUMMY\n")]);
        fs::create_dir_all(root.join("stick")).unwrap();
        fs::create_dir_all(root.join("out")).unwrap();
        let recipient = fs::read_to_string(root.join("keys/engineer.pub")).unwrap();
        let vault = c.vault.clone();
        c.ok(c
            .kura()
            .args(["pack", "-o"])
            .arg(&vault)
            .args(["-r", recipient.trim(), "-i"])
            .arg(&key)
            .args(["--approval-id", "A-1", "--approved-by", "B", "--purpose", "C"])
            .args(["--delete-by", "2099-01-01"])
            .arg(&export));
        c
    }

    fn kura(&self) -> Command {
        let mut c = Command::new(KURA);
        c.current_dir(&self.root)
            .env("LC_ALL", "C")
            .env("KURA_PASSPHRASE_FILE", "")
            .env("HOME", &self.home)
            .env_remove("KURA_NOW")
            .env_remove("KURA_LEDGER")
            .env_remove("KURA_TEST_AFTER_SURVEY")
            .stdin(Stdio::null());
        c
    }

    fn ok(&self, c: &mut Command) -> Output {
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        out
    }

    /// Files under `ROOT/rel`, made with their folders; returns the folder.
    fn tree(&self, rel: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = self.root.join(rel);
        fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            let p = dir.join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        dir
    }

    /// `kura certify V.kura --deleted PATHS -i KEY -o CERT [extra…]`.
    fn certify_cmd(&self, paths: &[&Path], extra: &[&str]) -> Command {
        let mut c = self.kura();
        c.arg("certify").arg(&self.vault).arg("--deleted").args(paths);
        c.arg("-i").arg(&self.key).arg("-o").arg(&self.cert).args(extra);
        c
    }

    fn certify(&self, paths: &[&Path]) -> Output {
        self.certify_cmd(paths, &[]).output().unwrap()
    }

    /// Certify with `sh -c HOOK` run between the survey and the destruction.
    fn certify_hooked(&self, paths: &[&Path], hook: &str) -> Output {
        let mut c = self.certify_cmd(paths, &[]);
        c.env("KURA_TEST_AFTER_SURVEY", hook);
        c.output().unwrap()
    }

    fn log(&self) -> String {
        fs::read_to_string(self.root.join("stick/V.kura.custody")).unwrap()
    }

    /// No certificate, no signature, no custody record, the vault intact.
    fn assert_nothing_certified(&self, log_before: &str) {
        assert!(fs::symlink_metadata(&self.cert).is_err(), "no certificate");
        assert!(fs::symlink_metadata(self.cert.with_extension("json.sig")).is_err());
        assert_eq!(
            fs::read_dir(self.root.join("out")).unwrap().count(),
            0,
            "nothing in out/"
        );
        assert_eq!(self.log(), log_before, "no custody record");
        assert!(self.vault.exists(), "the vault is intact");
    }
}

/// Every file under `dir` with its content, to compare before and after.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>, u32)> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p);
            } else if m.is_file() {
                out.push((p.clone(), fs::read(&p).unwrap(), m.mode() & 0o7777));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_home_folder_reached_through_a_linked_parent_is_refused() {
    let case = Case::new();
    // As on Fedora Silverblue: /home is a link to var/home.
    let real = case.tree("sys/var/home/user", &[("notes.txt", "my own notes\n")]);
    symlink("var/home", case.root.join("sys/home")).unwrap();
    let home = case.root.join("sys/home/user");
    let before = contents(&case.root.join("sys/var"));
    let log = case.log();
    let parent = case.root.join("sys/var/home");
    let bind = Mount::bind(&parent, &case.root.join("alias"));
    for target in [&home, &real, &parent, &case.root.join("sys/var"), &bind.0] {
        let mut c = case.certify_cmd(&[target], &[]);
        let line = refused(&c.env("HOME", &home).output().unwrap(), 3);
        assert!(
            line.contains("root or your home folder"),
            "{}: {line}",
            target.display()
        );
        assert_eq!(contents(&case.root.join("sys/var")), before, "{}", target.display());
        case.assert_nothing_certified(&log);
    }
}

#[test]
fn the_root_is_refused_as_too_wide() {
    let case = Case::new();
    let log = case.log();
    for spelling in ["/", "//", "/tmp/..", "/usr/./.."] {
        let line = refused(&case.certify(&[Path::new(spelling)]), 3);
        assert!(line.contains("root or your home folder"), "{spelling}: {line}");
        case.assert_nothing_certified(&log);
    }
}

#[test]
fn a_file_swapped_for_a_link_between_survey_and_destruction_is_never_followed() {
    let case = Case::new();
    let work = case.tree("work", &[("a.csv", "1,2\n"), ("sub/b.csv", "3,4\n")]);
    let outside = case.tree("outside", &[("secret.txt", "belongs to someone else\n")]);
    set_mode(&outside.join("secret.txt"), 0o640);
    let before = contents(&outside);
    let work_before = contents(&work);
    let log = case.log();
    let hook = "rm work/sub/b.csv && ln -s ../../outside/secret.txt work/sub/b.csv";
    let line = refused(&case.certify_hooked(&[&work], hook), 3);
    assert!(
        line.contains(&format!(
            "{} changed after it was surveyed",
            work.join("sub/b.csv").display()
        )),
        "{line}"
    );
    assert!(line.contains("issued no certificate"), "{line}");
    assert_eq!(
        contents(&outside),
        before,
        "the link's target is untouched, content and mode"
    );
    assert_eq!(mode_of(&outside.join("secret.txt")), 0o640);
    assert_eq!(
        contents(&work)[0],
        work_before[0],
        "nothing of the tree was overwritten either"
    );
    case.assert_nothing_certified(&log);
}

#[test]
fn a_folder_swapped_for_a_link_between_survey_and_destruction_is_never_followed() {
    let case = Case::new();
    let work = case.tree("work", &[("a.csv", "1,2\n"), ("sub/b.csv", "3,4\n")]);
    let outside = case.tree("outside", &[("dir/kept.txt", "keep me\n")]);
    set_mode(&outside.join("dir"), 0o750);
    let before = contents(&outside);
    let log = case.log();
    let hook = "mv work/sub outside/moved && ln -s ../outside/dir work/sub";
    let line = refused(&case.certify_hooked(&[&work], hook), 3);
    assert!(line.contains("changed after it was surveyed"), "{line}");
    let after: Vec<_> = contents(&outside)
        .into_iter()
        .filter(|(p, ..)| p.starts_with(outside.join("dir")))
        .collect();
    assert_eq!(after, before, "the link's target is untouched");
    assert_eq!(mode_of(&outside.join("dir")), 0o750, "its mode too");
    assert_eq!(fs::read_to_string(work.join("a.csv")).unwrap(), "1,2\n");
    case.assert_nothing_certified(&log);
}

#[test]
fn a_new_file_or_a_new_hard_link_after_the_survey_stops_certify() {
    let case = Case::new();
    let work = case.tree("work", &[("a.csv", "1,2\n")]);
    let log = case.log();
    let line = refused(&case.certify_hooked(&[&work], "echo late > work/late.csv"), 3);
    assert!(
        line.contains(&format!("{} changed", work.join("late.csv").display())),
        "{line}"
    );
    case.assert_nothing_certified(&log);
    fs::remove_file(work.join("late.csv")).unwrap();
    let line = refused(&case.certify_hooked(&[&work], "ln work/a.csv elsewhere.csv"), 3);
    assert!(
        line.contains(&format!("{} changed", work.join("a.csv").display())),
        "{line}"
    );
    assert_eq!(fs::read_to_string(case.root.join("elsewhere.csv")).unwrap(), "1,2\n");
    case.assert_nothing_certified(&log);
}

#[test]
fn another_file_system_mounted_inside_is_not_crossed() {
    let case = Case::new();
    let work = case.tree("work", &[("a.csv", "1,2\n")]);
    let mnt = Mount::tmpfs(&work.join("mnt"));
    fs::write(mnt.0.join("on-tmpfs.txt"), "another file system\n").unwrap();
    let log = case.log();
    let line = refused(&case.certify(&[&work]), 3);
    assert!(
        line.contains(&format!("{} inside it is another file system", mnt.0.display())),
        "{line}"
    );
    assert_eq!(
        fs::read_to_string(mnt.0.join("on-tmpfs.txt")).unwrap(),
        "another file system\n"
    );
    assert_eq!(fs::read_to_string(work.join("a.csv")).unwrap(), "1,2\n");
    case.assert_nothing_certified(&log);
    // The same folder bind-mounted onto itself is a mount point too.
    drop(mnt);
    let sub = case.tree("work/sub", &[("b.csv", "3\n")]);
    let _bind = Mount::bind(&sub, &sub);
    let line = refused(&case.certify(&[&work]), 3);
    assert!(line.contains("another file system"), "{line}");
    case.assert_nothing_certified(&log);
}

#[test]
fn a_target_that_is_a_mount_point_is_refused() {
    let case = Case::new();
    let mnt = Mount::tmpfs(&case.root.join("ram"));
    fs::write(mnt.0.join("x.csv"), "1\n").unwrap();
    let log = case.log();
    let line = refused(&case.certify(&[&mnt.0]), 3);
    assert!(line.contains("it is a mount point"), "{line}");
    assert_eq!(fs::read_to_string(mnt.0.join("x.csv")).unwrap(), "1\n");
    case.assert_nothing_certified(&log);
}

#[test]
fn immutable_or_append_only_files_and_folders_are_refused_before_anything_is_overwritten() {
    let case = Case::new();
    let work = case.tree(
        "work",
        &[("a.csv", "first\n"), ("z.csv", "last\n"), ("sub/c.csv", "c\n")],
    );
    let log = case.log();
    let before = contents(&work);
    for (flag, rel) in [("+i", "z.csv"), ("+a", "z.csv"), ("+i", "sub"), ("+a", "sub")] {
        let path = work.join(rel);
        let Some(_flag) = Chattr::set(flag, &path) else {
            continue;
        };
        let line = refused(&case.certify(&[&work]), 3);
        assert!(
            line.contains(&format!("{} is marked immutable or append-only", path.display())),
            "{line}"
        );
        assert!(line.contains("chattr -i"), "{line}");
        assert_eq!(contents(&work), before, "nothing overwritten ({flag} {rel})");
        case.assert_nothing_certified(&log);
    }
}

#[test]
fn a_read_only_file_system_is_refused_before_anything_is_overwritten() {
    let case = Case::new();
    let mnt = Mount::tmpfs(&case.root.join("card"));
    fs::create_dir(mnt.0.join("work")).unwrap();
    fs::write(mnt.0.join("work/a.csv"), "1\n").unwrap();
    tool("mount", &["-o".as_ref(), "remount,ro".as_ref(), mnt.0.as_os_str()]);
    let log = case.log();
    let line = refused(&case.certify(&[&mnt.0.join("work")]), 3);
    assert!(line.contains("read-only file system"), "{line}");
    case.assert_nothing_certified(&log);
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
}

#[test]
fn what_the_user_may_not_overwrite_or_remove_is_refused_before_anything_is_overwritten() {
    let case = Case::new();
    for p in [
        "keys/engineer",
        "keys/engineer.pub",
        "keys",
        "stick",
        "stick/V.kura",
        "stick/V.kura.custody",
        "out",
    ] {
        chown(&case.root.join(p), NOBODY);
    }
    chown(&case.home, NOBODY);
    let nb = case.tree("nb", &[]);
    chown(&nb, NOBODY);
    let log = case.log();

    // Someone else's read-only file in my folder.
    let work = case.tree("nb/mine", &[("a.csv", "mine\n"), ("theirs.csv", "theirs\n")]);
    chown(&work, NOBODY);
    chown(&work.join("a.csv"), NOBODY);
    let before = contents(&work);
    let line = refused(&as_nobody(case.certify_cmd(&[&work], &[])), 3);
    assert!(
        line.contains(&format!("{} cannot be overwritten", work.join("theirs.csv").display())),
        "{line}"
    );
    assert_eq!(contents(&work), before, "nothing overwritten");
    case.assert_nothing_certified(&log);

    // My file in someone else's folder I may not write to.
    let work = case.tree("nb/mine2", &[("a.csv", "mine\n"), ("sub/b.csv", "mine too\n")]);
    for p in [&work, &work.join("a.csv"), &work.join("sub/b.csv")] {
        chown(p, NOBODY);
    }
    let before = contents(&work);
    let line = refused(&as_nobody(case.certify_cmd(&[&work], &[])), 3);
    let expect = format!(
        "{} cannot be removed: the folder {} does not let you remove entries",
        work.join("sub/b.csv").display(),
        work.join("sub").display()
    );
    assert!(line.contains(&expect), "{line}");
    assert_eq!(contents(&work), before, "nothing overwritten");
    case.assert_nothing_certified(&log);

    // Someone else's folder in a sticky folder (as /tmp): not mine to remove.
    let sticky = case.tree("sticky", &[]);
    set_mode(&sticky, 0o1777);
    let work = case.tree("sticky/theirs", &[("a.csv", "mine\n")]);
    set_mode(&work, 0o777);
    chown(&work.join("a.csv"), NOBODY);
    let line = refused(&as_nobody(case.certify_cmd(&[&work], &[])), 3);
    let expect = format!("{} cannot be removed: the folder {}", work.display(), sticky.display());
    assert!(line.contains(&expect), "{line}");
    assert_eq!(fs::read_to_string(work.join("a.csv")).unwrap(), "mine\n");
    case.assert_nothing_certified(&log);
}

#[test]
fn a_failure_part_way_names_what_was_destroyed_and_what_was_not() {
    let case = Case::new();
    let first = case.tree("first", &[("a.csv", "a\n")]);
    let second = case.tree("second", &[("b.csv", "b\n"), ("z.csv", "z\n")]);
    let log = case.log();
    // Set after the survey, so only the destruction itself runs into it.
    let _undo = Chattr(second.join("z.csv"));
    let out = case.certify_hooked(&[&first, &second], "chattr +i second/z.csv");
    if out.status.code() == Some(1) && String::from_utf8_lossy(&out.stderr).contains("KURA_TEST_AFTER_SURVEY") {
        eprintln!("note: chattr +i is not supported here; the part-way failure is not staged");
        return;
    }
    let line = refused(&out, 10);
    assert!(
        line.contains(&format!("could not destroy {}", second.display())),
        "{line}"
    );
    assert!(
        line.contains("Of it, 1 of 2 files had been overwritten and 0 entries removed"),
        "{line}"
    );
    assert!(
        line.contains(&format!("Destroyed in full: {}.", first.display())),
        "{line}"
    );
    assert!(
        line.contains(&format!("Not touched: {}.", case.vault.display())),
        "{line}"
    );
    assert!(!line.contains("Already destroyed: -"), "{line}");
    assert!(!first.exists(), "the first copy is gone");
    assert_ne!(fs::read(second.join("b.csv")).unwrap(), b"b\n", "b.csv was overwritten");
    assert_eq!(fs::read_to_string(second.join("z.csv")).unwrap(), "z\n");
    case.assert_nothing_certified(&log);
}

#[test]
fn dry_run_lists_what_would_be_destroyed_and_changes_nothing() {
    let case = Case::new();
    let work = case.tree("work", &[("a.csv", "1,2\n"), ("sub/b.csv", "3,4,5\n")]);
    let before = contents(&work);
    let vault_size = fs::metadata(&case.vault).unwrap().len();
    let log = case.log();
    let out = case.ok(&mut case.certify_cmd(&[&work], &["--dry-run", "--json"]));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["dry_run"], true);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items[0]["role"], "vault");
    assert_eq!(items[0]["path"], case.vault.display().to_string());
    assert_eq!(items[0]["outcome"], "destroyed");
    assert_eq!(items[0]["size"], vault_size);
    assert_eq!(items[1]["role"], "plaintext-copy");
    assert_eq!(items[1]["path"], work.display().to_string());
    assert_eq!(items[1]["type"], "dir");
    assert_eq!(items[1]["files"], 2);
    assert_eq!(items[1]["size"], 10);
    assert_eq!(v["files"], 3);
    assert_eq!(v["bytes"], vault_size + 10);
    assert_eq!(contents(&work), before);
    case.assert_nothing_certified(&log);

    let out = case.ok(&mut case.certify_cmd(&[&work], &["--dry-run"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Would destroy: {} (2 files, ", work.display())),
        "{text}"
    );
    assert!(text.contains("Nothing was destroyed"), "{text}");
    assert_eq!(contents(&work), before);
    case.assert_nothing_certified(&log);

    // A dry run refuses what certify would refuse.
    let mnt = Mount::tmpfs(&work.join("mnt"));
    let line = refused(&case.certify_cmd(&[&work], &["--dry-run"]).output().unwrap(), 3);
    assert!(line.contains("another file system"), "{line}");
    drop(mnt);
    case.assert_nothing_certified(&log);

    // And the real run then goes ahead.
    case.ok(&mut case.certify_cmd(&[&work], &[]));
    assert!(!work.exists() && !case.vault.exists() && case.cert.exists());
}

#[test]
fn a_vault_handed_back_is_only_read_so_it_may_sit_on_a_read_only_medium() {
    let case = Case::new();
    let card = Mount::tmpfs(&case.root.join("card"));
    let vault = card.0.join("V.kura");
    fs::copy(&case.vault, &vault).unwrap();
    let log = case.root.join("stick/V.kura.custody");
    tool("mount", &["-o".as_ref(), "remount,ro".as_ref(), card.0.as_os_str()]);
    let mut c = case.kura();
    c.arg("certify")
        .arg(&vault)
        .arg("--returned")
        .arg("--custody")
        .arg(&log);
    c.arg("-i").arg(&case.key).arg("-o").arg(&case.cert);
    case.ok(&mut c);
    assert!(vault.exists() && case.cert.exists());
}
