//! kura's committed test vectors (`tests/vectors/v1/`, see its README.md): a
//! vault, a split vault, their custody logs and a deletion certificate, made
//! once with dummy data and test-only keys and never made again. Every test
//! here works on a fresh copy of them in a temporary folder (verify and
//! extract append custody records) and checks that they still open and
//! check out, with kura and with the stock tools alone (age, zstd, tar,
//! ssh-keygen; a missing tool is a failure, never a skip).
//!
//! A change that makes one of these tests fail changed the format. That
//! takes a new format version and new vectors beside these, never new
//! vectors in their place.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The principals of the two test-only keys in `allowed_signers`.
const ENGINEER: &str = "engineer.test-only-never-use@kura.invalid";
const CLINIC: &str = "clinic.test-only-never-use@kura.invalid";
const ENGINEER_KEY: &str = "test-only-engineer.key";
const CLINIC_KEY: &str = "test-only-clinic.key";
const SIGNERS: &str = "allowed_signers";

/// Where a custody line's signature begins (docs/FORMAT.md 4.2).
const SIG_MARK: &str = ",\"sig\":\"";

/// A copy of the v1 vectors in a temporary folder.
struct Vectors {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Vectors {
    /// Copies every vector; the private keys get mode 0600, as kura refuses
    /// keys that others can read (git checks them out 0644).
    fn copy() -> Vectors {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("v1");
        fs::create_dir(&dir).expect("mkdir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1");
        for e in fs::read_dir(&src).expect("tests/vectors/v1 is there") {
            let e = e.expect("dir entry");
            let name = e.file_name().to_string_lossy().into_owned();
            fs::copy(e.path(), dir.join(&name)).expect("copy a vector");
            let mode = if name.ends_with(".key") { 0o600 } else { 0o644 };
            fs::set_permissions(dir.join(&name), fs::Permissions::from_mode(mode)).expect("chmod");
        }
        Vectors { _tmp: tmp, dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    fn text(&self, name: &str) -> String {
        String::from_utf8(self.bytes(name)).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"))
    }

    /// Runs the built kura in the copy's folder: English, no passphrase
    /// file, no clock or ledger override, stdin null.
    fn kura(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_kura"))
            .args(args)
            .current_dir(&self.dir)
            .env("LC_ALL", "C")
            .env("KURA_PASSPHRASE_FILE", "")
            .env_remove("KURA_NOW")
            .env_remove("KURA_LEDGER")
            .stdin(Stdio::null())
            .output()
            .expect("kura runs")
    }

    /// [`Vectors::kura`], asserting success; returns stdout.
    fn kura_ok(&self, args: &[&str]) -> String {
        let out = self.kura(args);
        assert!(out.status.success(), "kura {args:?} failed:\n{}", describe(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Asserts that `kura ARGS` exits with `code`.
    fn kura_exits(&self, code: i32, args: &[&str]) {
        let out = self.kura(args);
        assert_eq!(out.status.code(), Some(code), "kura {args:?}:\n{}", describe(&out));
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{}",
            describe(&out)
        );
    }

    /// Runs `script` with bash (`pipefail` on) in the copy's folder.
    fn shell(&self, script: &str) -> Output {
        Command::new("bash")
            .args(["-c", &format!("set -euo pipefail\n{script}")])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .expect("bash runs")
    }

    /// Opens a vault with the stock tools only, into the folder `dest`:
    /// `cat FILES | age -d -i KEY | zstd -d | tar -xf - -C DEST`.
    fn stock_open(&self, files: &str, key: &str, dest: &str) {
        let out = self.shell(&format!(
            "for t in age zstd tar ssh-keygen; do command -v $t >/dev/null || \
             {{ echo \"the stock tool $t is required by this test\" >&2; exit 1; }}; done\n\
             mkdir {dest}\ncat {files} | age -d -i {key} | zstd -d | tar -xf - -C {dest}"
        ));
        assert!(out.status.success(), "stock tools failed:\n{}", describe(&out));
    }

    /// `ssh-keygen -Y verify` of `message` against the armored `sig`, for
    /// `principal` in the allowed signers and `namespace`.
    fn openssh_verify(&self, principal: &str, namespace: &str, message: &[u8], sig: &str) -> Output {
        let msg = self.path("openssh.msg");
        let sig_file = self.path("openssh.sig");
        fs::write(&msg, message).expect("write message");
        fs::write(&sig_file, sig).expect("write signature");
        Command::new("ssh-keygen")
            .args(["-Y", "verify", "-f", SIGNERS, "-I", principal, "-n", namespace, "-s"])
            .arg(&sig_file)
            .current_dir(&self.dir)
            .stdin(fs::File::open(&msg).expect("open message"))
            .output()
            .expect("the stock tool ssh-keygen is required by this test")
    }

    fn assert_openssh_accepts(&self, principal: &str, namespace: &str, message: &[u8], sig: &str) {
        let out = self.openssh_verify(principal, namespace, message, sig);
        assert!(
            out.status.success(),
            "ssh-keygen rejects a {namespace} signature:\n{}",
            describe(&out)
        );
    }
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The expected tree of a `*.listing` vector: path → `KIND MODE MTIME SIZE
/// BLAKE3-OR-TARGET` (`-` where it does not apply).
fn expected_tree(listing: &str) -> BTreeMap<String, String> {
    listing
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, ' ').collect();
            assert_eq!(f.len(), 6, "listing line {l:?}");
            (f[5].to_string(), f[..5].join(" "))
        })
        .collect()
}

/// The tree `root/top` as [`expected_tree`] describes it, paths starting
/// with `top`.
fn tree(root: &Path, top: &str) -> BTreeMap<String, String> {
    fn walk(root: &Path, rel: &str, out: &mut BTreeMap<String, String>) {
        let p = root.join(rel);
        let m = fs::symlink_metadata(&p).unwrap_or_else(|e| panic!("lstat {}: {e}", p.display()));
        let mode = m.permissions().mode() & 0o7777;
        let mtime = filetime::FileTime::from_last_modification_time(&m).unix_seconds();
        let d = if m.file_type().is_symlink() {
            format!("link - - - {}", fs::read_link(&p).expect("readlink").display())
        } else if m.is_dir() {
            format!("dir {mode:o} {mtime} - -")
        } else if m.is_file() {
            let hash = blake3_hex(&fs::read(&p).expect("read"));
            format!("file {mode:o} {mtime} {} {hash}", m.len())
        } else {
            "special".to_string()
        };
        out.insert(rel.to_string(), d);
        if m.is_dir() {
            for e in fs::read_dir(&p).expect("read dir") {
                let name = e.expect("dir entry").file_name().to_string_lossy().into_owned();
                walk(root, &format!("{rel}/{name}"), out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, top, &mut out);
    out
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Checks a custody log's lines with OpenSSH and BLAKE3 alone, as
/// docs/FORMAT.md 4.2 says: the chain of `prev` hashes, every record's
/// signature (namespace kura-custody, by the principal named in its actor's
/// comment), and the receipt's signature in record 0 (kura-receipt).
/// Returns the receipt.
fn check_custody_with_openssh(v: &Vectors, lines: &[&str]) -> Value {
    assert!(!lines.is_empty(), "a custody log has records");
    let mut receipt = Value::Null;
    for (i, line) in lines.iter().enumerate() {
        let rec = json(line);
        assert_eq!(rec["seq"], i as u64, "record {i}");
        let prev = if i == 0 {
            "0".repeat(64)
        } else {
            blake3_hex(lines[i - 1].as_bytes())
        };
        assert_eq!(
            rec["prev"],
            prev.as_str(),
            "record {i}: prev is the previous line's hash"
        );
        let cut = line.rfind(SIG_MARK).expect("a record ends with its signature");
        let message = format!("{}}}", &line[..cut]);
        let sig = rec["sig"].as_str().expect("sig is a string");
        let principal = rec["actor"]["comment"].as_str().expect("actor comment");
        v.assert_openssh_accepts(principal, "kura-custody", message.as_bytes(), sig);
        if i == 0 {
            let text = rec["receipt"].as_str().expect("record 0 holds the receipt");
            receipt = json(text);
            let packer = receipt["packer"]["comment"].as_str().expect("packer comment");
            let rsig = rec["receipt_sig"].as_str().expect("receipt_sig");
            v.assert_openssh_accepts(packer, "kura-receipt", text.as_bytes(), rsig);
        }
    }
    receipt
}

/// Checks, with OpenSSH and BLAKE3 alone, what stock tools extracted into
/// `dest`: the manifest's signature (kura-manifest), that the receipt names
/// this manifest, and that the manifest lists exactly the expected paths.
/// Returns the manifest.
fn check_manifest_with_openssh(v: &Vectors, dest: &str, receipt: &Value, expected: &BTreeMap<String, String>) -> Value {
    let manifest = v.bytes(&format!("{dest}/.kura/manifest.json"));
    let sig = v.text(&format!("{dest}/.kura/manifest.json.sig"));
    v.assert_openssh_accepts(ENGINEER, "kura-manifest", &manifest, &sig);
    assert_eq!(receipt["manifest_blake3"], blake3_hex(&manifest).as_str());
    let m = json(std::str::from_utf8(&manifest).expect("UTF-8 manifest"));
    assert_eq!(m["format"], "kura-manifest");
    assert_eq!(m["version"], 1);
    assert_eq!(m["vault_id"], receipt["vault_id"]);
    let paths: Vec<&str> = m["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(sorted, expected.keys().map(String::as_str).collect::<Vec<_>>());
    m
}

/// Asserts that the receipt's ciphertext size and BLAKE3 are those of
/// `bytes` (the vault, or its volumes one after the other).
fn assert_receipt_covers(receipt: &Value, bytes: &[u8]) {
    assert_eq!(receipt["ciphertext"]["size"], bytes.len() as u64);
    assert_eq!(receipt["ciphertext"]["blake3"], blake3_hex(bytes).as_str());
}

/// The volumes of the split vector, read one after the other.
fn split_volumes(v: &Vectors) -> Vec<u8> {
    let mut all = v.bytes("split.kura.001");
    all.extend(v.bytes("split.kura.002"));
    all
}

fn flip_byte(path: &Path, at: usize) {
    let mut b = fs::read(path).expect("read");
    b[at] ^= 0x01;
    fs::write(path, b).expect("write");
}

/// Opens `vault` (whose custody log is `log`) with kura: `custody verify`,
/// `verify` with either key, `extract` (the tree `top` must equal the
/// listing), `custody verify` again: the records today's kura appended
/// still chain onto the old ones.
fn open_with_kura(v: &Vectors, vault: &str, log: &str, top: &str, listing: &str) {
    let expected = expected_tree(&v.text(listing));
    v.kura_ok(&["custody", "verify", vault, "--signers", SIGNERS]);
    for key in [ENGINEER_KEY, CLINIC_KEY] {
        v.kura_ok(&["verify", vault, "-i", key, "--signers", SIGNERS]);
    }
    v.kura_ok(&["extract", vault, "-i", CLINIC_KEY, "--signers", SIGNERS, "-C", "out"]);
    assert_eq!(names_in(&v.path("out")), [top]);
    assert_eq!(tree(&v.path("out"), top), expected);
    v.kura_ok(&["custody", "verify", log, "--signers", SIGNERS]);
}

/// Opens the vault made of `files` (a shell word) with the stock tools and
/// `key` into `stock/` (the tree `top` must equal the listing), and checks
/// its custody log `log` of `records` records and its manifest with OpenSSH
/// alone. Returns the receipt and the manifest.
fn open_with_stock_tools(
    v: &Vectors,
    files: &str,
    key: &str,
    log: &str,
    records: usize,
    top: &str,
    listing: &str,
) -> (Value, Value) {
    let expected = expected_tree(&v.text(listing));
    v.stock_open(files, key, "stock");
    assert_eq!(names_in(&v.path("stock")), [".kura", top]);
    assert_eq!(tree(&v.path("stock"), top), expected);
    let custody = v.text(log);
    let lines: Vec<&str> = custody.lines().collect();
    assert_eq!(lines.len(), records);
    let receipt = check_custody_with_openssh(v, &lines);
    let manifest = check_manifest_with_openssh(v, "stock", &receipt, &expected);
    (receipt, manifest)
}

// ---------------------------------------------------------------------------
// The single vault (export.kura) and its custody log
// ---------------------------------------------------------------------------

#[test]
fn v1_vault_opens_and_checks_with_kura() {
    let v = Vectors::copy();
    let info = json(&v.kura_ok(&["inspect", "export.kura", "--json"]));
    assert_eq!(info["ok"], true, "{info}");
    assert_eq!(info["file_count"], 6);
    assert_eq!(info["custody_records"], 3);
    assert_eq!(info["last_event"], "verified");
    open_with_kura(&v, "export.kura", "export.kura.custody", "data", "export.listing");
}

#[test]
fn v1_vault_opens_and_checks_with_stock_tools() {
    let v = Vectors::copy();
    let (receipt, manifest) = open_with_stock_tools(
        &v,
        "export.kura",
        ENGINEER_KEY,
        "export.kura.custody",
        3,
        "data",
        "export.listing",
    );
    assert_receipt_covers(&receipt, &v.bytes("export.kura"));
    // The approval document, byte for byte, and its hash in both.
    let doc = v.bytes("stock/.kura/approval/approval-dummy.txt");
    assert_eq!(doc, v.bytes("approval-dummy.txt"));
    assert_eq!(manifest["approval"]["document_blake3"], blake3_hex(&doc).as_str());
    assert_eq!(receipt["approval"], manifest["approval"]);
    // The OpenSSH check is not vacuous: a changed manifest fails it.
    let mut changed = v.bytes("stock/.kura/manifest.json");
    changed[10] ^= 0x01;
    let sig = v.text("stock/.kura/manifest.json.sig");
    assert!(!v
        .openssh_verify(ENGINEER, "kura-manifest", &changed, &sig)
        .status
        .success());
}

#[test]
fn v1_vault_with_a_flipped_byte_is_refused() {
    let v = Vectors::copy();
    let vault = v.path("export.kura");
    let len = fs::metadata(&vault).expect("vault").len() as usize;
    flip_byte(&vault, len / 2);
    v.kura_exits(6, &["verify", "export.kura", "-i", ENGINEER_KEY, "--signers", SIGNERS]);
    v.kura_exits(6, &["extract", "export.kura", "-i", ENGINEER_KEY, "-C", "out"]);
    assert!(
        !v.path("out").exists() || names_in(&v.path("out")).is_empty(),
        "nothing extracted"
    );
}

#[test]
fn v1_custody_log_with_an_edited_record_is_refused() {
    let v = Vectors::copy();
    let log = v.path("export.kura.custody");
    let text = v.text("export.kura.custody");
    assert!(text.contains("dummy USB stick TEST-1"));
    fs::write(&log, text.replace("dummy USB stick TEST-1", "dummy USB stick TEST-2")).expect("write");
    v.kura_exits(6, &["custody", "verify", "export.kura"]);
    v.kura_exits(6, &["verify", "export.kura", "-i", ENGINEER_KEY]);
    // OpenSSH rejects the edited record too.
    let edited = v.text("export.kura.custody");
    let line = edited.lines().nth(1).expect("record 1");
    let rec = json(line);
    let message = format!("{}}}", &line[..line.rfind(SIG_MARK).expect("sig")]);
    let out = v.openssh_verify(
        CLINIC,
        "kura-custody",
        message.as_bytes(),
        rec["sig"].as_str().expect("sig"),
    );
    assert!(!out.status.success(), "ssh-keygen accepted an edited record");
}

// ---------------------------------------------------------------------------
// The split vault (split.kura.001, split.kura.002, split.kura-custody)
// ---------------------------------------------------------------------------

#[test]
fn v1_split_vault_opens_and_checks_with_kura() {
    let v = Vectors::copy();
    assert!(!v.path("split.kura").exists() && !v.path("split.kura.custody").exists());
    assert!(v.path("split.kura.001").is_file() && v.path("split.kura.002").is_file());
    let info = json(&v.kura_ok(&["inspect", "split.kura", "--json"]));
    assert_eq!(info["ok"], true, "{info}");
    assert_eq!(info["custody_records"], 2);
    assert_eq!(info["ciphertext"]["size"], split_volumes(&v).len() as u64);
    open_with_kura(&v, "split.kura", "split.kura-custody", "split-data", "split.listing");
}

#[test]
fn v1_split_vault_opens_and_checks_with_stock_tools() {
    let v = Vectors::copy();
    // The shell pattern takes the volumes in order, and not the log.
    let (receipt, _) = open_with_stock_tools(
        &v,
        "split.kura.*",
        CLINIC_KEY,
        "split.kura-custody",
        2,
        "split-data",
        "split.listing",
    );
    // The receipt describes the volumes one after the other.
    assert_receipt_covers(&receipt, &split_volumes(&v));
}

#[test]
fn v1_split_vault_with_a_damaged_or_missing_volume_is_refused() {
    let v = Vectors::copy();
    let second = v.path("split.kura.002");
    let kept = v.bytes("split.kura.002");
    flip_byte(&second, kept.len() / 2);
    v.kura_exits(6, &["verify", "split.kura", "-i", ENGINEER_KEY]);
    fs::remove_file(&second).expect("remove volume 2");
    v.kura_exits(6, &["verify", "split.kura", "-i", ENGINEER_KEY]);
    // Without volume 1 there is no split vault to read.
    fs::write(&second, kept).expect("restore volume 2");
    fs::remove_file(v.path("split.kura.001")).expect("remove volume 1");
    v.kura_exits(10, &["verify", "split.kura", "-i", ENGINEER_KEY]);
}

// ---------------------------------------------------------------------------
// The deletion certificate (export.cert.json, .sig) and the clinic's copy of
// the custody log (clinic-copy.kura.custody)
// ---------------------------------------------------------------------------

#[test]
fn v1_certificate_checks_with_kura() {
    let v = Vectors::copy();
    let report = json(&v.kura_ok(&[
        "certificate",
        "verify",
        "export.cert.json",
        "--custody",
        "clinic-copy.kura.custody",
        "--signers",
        SIGNERS,
        "--json",
    ]));
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["on_time"], true, "{report}");
    assert_eq!(report["clinic_records"], 2, "{report}");
    assert_eq!(report["custody_records"], 5, "{report}");
    v.kura_ok(&["custody", "verify", "clinic-copy.kura.custody", "--signers", SIGNERS]);
    // The vectors belong together: the clinic's copy is the beginning of the
    // vault's log, which is the beginning of the certificate's chain, and the
    // certificate is about the committed vault.
    let clinic = v.text("clinic-copy.kura.custody");
    let log = v.text("export.kura.custody");
    assert_eq!(clinic.lines().count(), 2);
    assert!(log.starts_with(&clinic));
    let cert = json(&v.text("export.cert.json"));
    let chain: Vec<&str> = cert["custody"]["lines"]
        .as_array()
        .expect("custody.lines")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    assert_eq!(chain[..3], log.lines().collect::<Vec<_>>()[..]);
    assert_eq!(cert["action"], "deleted");
    assert_eq!(cert["vault"]["ciphertext"]["size"], v.bytes("export.kura").len() as u64);
    assert_eq!(
        cert["vault"]["ciphertext"]["blake3"],
        blake3_hex(&v.bytes("export.kura")).as_str()
    );
}

#[test]
fn v1_certificate_checks_with_openssh() {
    let v = Vectors::copy();
    let cert = v.bytes("export.cert.json");
    let sig = v.text("export.cert.json.sig");
    v.assert_openssh_accepts(ENGINEER, "kura-certificate", &cert, &sig);
    // Its chain, down to the certifying record, checks out with OpenSSH.
    let doc = json(std::str::from_utf8(&cert).expect("UTF-8"));
    let chain: Vec<&str> = doc["custody"]["lines"]
        .as_array()
        .expect("custody.lines")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    assert_eq!(chain.len(), 5);
    let receipt = check_custody_with_openssh(&v, &chain);
    assert_eq!(doc["vault"]["manifest_blake3"], receipt["manifest_blake3"]);
    let last = json(chain[4]);
    assert_eq!(last["event"], "deleted");
    assert_eq!(last["details"]["certificate_id"], doc["certificate_id"]);
    assert_eq!(doc["custody"]["head"], blake3_hex(chain[4].as_bytes()).as_str());
}

#[test]
fn v1_altered_or_untrusted_certificate_is_refused() {
    let v = Vectors::copy();
    let cert = v.text("export.cert.json");
    let original = "\"result\": \"nothing remains\"";
    assert!(cert.contains(original));
    fs::write(
        v.path("altered.json"),
        cert.replace(original, "\"result\": \"nothing remainz\""),
    )
    .expect("write");
    fs::copy(v.path("export.cert.json.sig"), v.path("altered.json.sig")).expect("copy sig");
    let check = |cert: &'static str, signers: &'static str| {
        [
            "certificate",
            "verify",
            cert,
            "--custody",
            "clinic-copy.kura.custody",
            "--signers",
            signers,
        ]
    };
    v.kura_exits(6, &check("altered.json", SIGNERS));
    let sig = v.text("export.cert.json.sig");
    let out = v.openssh_verify(ENGINEER, "kura-certificate", &v.bytes("altered.json"), &sig);
    assert!(!out.status.success(), "ssh-keygen accepted an altered certificate");
    // Only the clinic's key trusted: the engineer's certificate is not.
    let clinic_only: String = v.text(SIGNERS).lines().filter(|l| l.starts_with(CLINIC)).collect();
    fs::write(v.path("clinic_only"), format!("{clinic_only}\n")).expect("write");
    v.kura_exits(7, &check("export.cert.json", "clinic_only"));
}

// ---------------------------------------------------------------------------
// The vault packed under the clinic's signed approval (signed-approval.*,
// see make-signed-approval.sh)
// ---------------------------------------------------------------------------

/// `ssh-keygen -Y verify -n kura-approval -f clinic_signers -I clinic` of
/// `document` (bytes) against the armored `sig`.
fn clinic_verify(v: &Vectors, document: &[u8], sig: &str) -> Output {
    fs::write(v.path("approval.msg"), document).expect("write message");
    fs::write(v.path("approval.sig"), sig).expect("write signature");
    Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "kura-approval",
            "-f",
            "clinic_signers",
            "-I",
            "clinic",
            "-s",
        ])
        .arg(v.path("approval.sig"))
        .current_dir(&v.dir)
        .stdin(fs::File::open(v.path("approval.msg")).expect("open message"))
        .output()
        .expect("the stock tool ssh-keygen is required by this test")
}

#[test]
fn v1_signed_approval_vault_opens_and_checks_with_kura() {
    let v = Vectors::copy();
    let info = json(&v.kura_ok(&["inspect", "signed-approval.kura", "--json"]));
    assert_eq!(info["ok"], true, "{info}");
    assert_eq!(info["file_count"], 2);
    let approval = &info["approval"];
    assert_eq!(approval["id"], "A-TEST-0002");
    assert_eq!(approval["approved_by"], "院長 ダミー（テスト用） (院長)");
    assert_eq!(approval["delete_by"], "2099-12-31");
    assert_eq!(approval["signed"]["document"], v.text("signed-approval.json").as_str());
    assert_eq!(
        approval["signed"]["signature"],
        v.text("signed-approval.json.sig").as_str()
    );
    open_with_kura(
        &v,
        "signed-approval.kura",
        "signed-approval.kura.custody",
        "approved-data",
        "signed-approval.listing",
    );
}

#[test]
fn v1_signed_approval_checks_with_stock_tools() {
    let v = Vectors::copy();
    let document = v.bytes("signed-approval.json");
    let sig = v.text("signed-approval.json.sig");
    let out = clinic_verify(&v, &document, &sig);
    assert!(
        out.status.success(),
        "ssh-keygen rejects the approval:\n{}",
        describe(&out)
    );
    let (receipt, manifest) = open_with_stock_tools(
        &v,
        "signed-approval.kura",
        ENGINEER_KEY,
        "signed-approval.kura.custody",
        2,
        "approved-data",
        "signed-approval.listing",
    );
    // The same bytes inside the encryption and in the public receipt.
    assert_eq!(receipt["approval"], manifest["approval"]);
    let carried = receipt["approval"]["signed"]["document"].as_str().expect("document");
    assert_eq!(carried.as_bytes(), document.as_slice());
    let carried_sig = receipt["approval"]["signed"]["signature"].as_str().expect("signature");
    assert!(clinic_verify(&v, carried.as_bytes(), carried_sig).status.success());
    // Not vacuous: a changed approval fails, and so does another namespace.
    let changed = String::from_utf8(document)
        .expect("UTF-8")
        .replace("2099-12-31", "2099-12-30");
    assert!(!clinic_verify(&v, changed.as_bytes(), &sig).status.success());
    let out = v.openssh_verify(CLINIC, "kura-manifest", carried.as_bytes(), carried_sig);
    assert!(!out.status.success(), "an approval signature passed as another kind");
}

#[test]
fn v1_signed_approval_pack_terms_are_checked_against_the_vector() {
    // The vector's approval, packed under again: only the engineer named
    // in it may, and not past what it allows (10 files).
    let v = Vectors::copy();
    fs::create_dir(v.path("many")).expect("mkdir");
    for i in 0..11 {
        fs::write(v.path(&format!("many/{i}.txt")), "dummy\n").expect("write");
    }
    let pack = |key: &'static str, out: &'static str, input: &'static str| {
        [
            "pack",
            "-o",
            out,
            "-R",
            "recipients.txt",
            "-i",
            key,
            "--approval",
            "signed-approval.json",
            "--clinic-signers",
            "clinic_signers",
            input,
        ]
    };
    v.kura_exits(3, &pack(CLINIC_KEY, "a.kura", "signed-approval.listing"));
    v.kura_exits(3, &pack(ENGINEER_KEY, "b.kura", "many"));
    v.kura_ok(&pack(ENGINEER_KEY, "c.kura", "signed-approval.listing"));
    assert!(!v.path("a.kura").exists() && !v.path("b.kura").exists());
}
