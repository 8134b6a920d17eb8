//! The medium of each item a certificate covers, as a NIST SP 800-88
//! certificate of sanitization and a データ消去証明書 record it: the device's
//! kind, maker, model and serial number, its file system, whether the
//! volume is encrypted, and what overwriting achieved there; with the
//! place, the medium's asset number, what becomes of it, and the issuer's
//! title and contact, all signed.
//!
//! USB sticks, SSDs, spinning disks and LUKS volumes are stood up with a
//! fake mountinfo and sysfs (`KURA_GUARD_FIXTURE`, debug builds only);
//! memory and loop devices are real mounts (the tests run as root).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use serde_json::Value;

/// A vault packed on the desk, the clinic's copy of its log taken, and
/// a place to write the certificate.
struct Case {
    fx: Desk,
    vault: PathBuf,
    clinic_copy: PathBuf,
    cert: PathBuf,
}

impl Case {
    fn new(vault_dir: &str) -> Case {
        let fx = Desk::with_export();
        let vault = fx.packed(&format!("{vault_dir}/x.kura"));
        let clinic_copy = fx.mkdir("clinic").join("copy.custody");
        fs::copy(custody_of(&vault), &clinic_copy).unwrap();
        let cert = fx.mkdir("out").join("CERT.json");
        Case {
            fx,
            vault,
            clinic_copy,
            cert,
        }
    }

    /// A plaintext copy (one file) at `dir/copy.csv`.
    fn copy_in(&self, dir: &Path) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        let p = dir.join("copy.csv");
        fs::write(&p, "id,name\n00000001,DUMMY\n").unwrap();
        p
    }

    /// `kura certify VAULT --deleted COPIES… -i ENGINEER -o CERT EXTRA…`,
    /// with the fake media of `fixture` if given.
    fn certify(&self, copies: &[&Path], extra: &[&str], fixture: Option<&Path>) -> Output {
        let mut c = self.fx.kura();
        if let Some(f) = fixture {
            c.env("KURA_GUARD_FIXTURE", f);
        }
        c.arg("certify").arg(&self.vault).arg("--deleted").args(copies);
        c.arg("-i").arg(&self.fx.engineer.private).arg("-o").arg(&self.cert);
        c.args(extra).output().unwrap()
    }

    fn cert_json(&self) -> Value {
        serde_json::from_slice(&fs::read(&self.cert).unwrap()).unwrap()
    }

    /// `kura certificate verify CERT` against the clinic's copy.
    fn check(&self, extra: &[&str]) -> Output {
        self.fx
            .verify_certificate(&self.cert, &self.clinic_copy, &self.fx.signers, extra)
    }
}

/// Real memory and loop mounts, and fake media (Linux's sysfs).
#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use std::process::Command;

    impl Case {
        /// The certificate item for `path`.
        fn item(&self, cert: &Value, path: &Path) -> Value {
            let items = cert["items"].as_array().unwrap();
            let p = path.to_str().unwrap();
            items
                .iter()
                .find(|i| i["path"] == p)
                .unwrap_or_else(|| panic!("no item for {p} in {items:?}"))
                .clone()
        }

        #[cfg(debug_assertions)]
        /// Replaces the certificate with `v`, signed by the engineer with
        /// OpenSSH, as a dishonest issuer would.
        fn resign(&self, v: &Value) {
            let mut bytes = serde_json::to_vec_pretty(v).unwrap();
            bytes.push(b'\n');
            fs::write(&self.cert, bytes).unwrap();
            let sig = PathBuf::from(format!("{}.sig", self.cert.display()));
            fs::remove_file(&sig).unwrap();
            let mut args = osargs!["-Y", "sign", "-f", self.fx.engineer.private, "-n", "kura-certificate"];
            args.push(self.cert.clone().into());
            tool_ok("ssh-keygen", args);
        }
    }

    #[cfg(debug_assertions)]
    const USB: &str = "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0";
    #[cfg(debug_assertions)]
    const SSD: &str = "pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0";
    #[cfg(debug_assertions)]
    const HDD: &str = "pci0000:00/0000:00:17.0/ata3/host2/target2:0:0/2:0:0:0";
    #[cfg(debug_assertions)]
    const ODD: &str = "platform/odd0/mystery0";

    #[cfg(debug_assertions)]
    /// A fake machine under `root`: a USB stick (`stick`, with maker, model
    /// and serial number), an SSD (`ssd`), a spinning disk (`hdd`), a LUKS
    /// volume on the SSD (`luks`), and a disk that tells nothing (`odd`), each
    /// mounted at `data/NAME`.
    fn machine(root: &Path, data: &Path) {
        use kura::guard::linux::Fixture;
        let mut f = Fixture::new(root).unwrap();
        f.block(USB, "sdb", Some("sdb1"), true, (8, 17)).unwrap();
        f.attr(&format!("{USB}/block/sdb/device/vendor"), "DummyCo").unwrap();
        f.attr(&format!("{USB}/block/sdb/device/model"), "Stick 32G").unwrap();
        f.udev((8, 16), &[("ID_SERIAL_SHORT", "4C530000DUMMY")]).unwrap();
        f.block(SSD, "sdc", Some("sdc1"), false, (8, 33)).unwrap();
        f.block(SSD, "sdc", Some("sdc2"), false, (8, 34)).unwrap();
        f.attr(&format!("{SSD}/block/sdc/queue/rotational"), "0").unwrap();
        f.attr(&format!("{SSD}/block/sdc/device/model"), "DUMMY SSD 1TB")
            .unwrap();
        f.block(HDD, "sdd", Some("sdd1"), false, (8, 49)).unwrap();
        f.attr(&format!("{HDD}/block/sdd/queue/rotational"), "1").unwrap();
        f.mapper(2, &format!("{SSD}/block/sdc/sdc2"), (254, 2)).unwrap();
        f.crypt(2).unwrap();
        f.block(ODD, "sde", None, false, (8, 64)).unwrap();
        for (dir, fs_type, src, dev) in [
            ("stick", "vfat", "/dev/sdb1", (8, 17)),
            ("ssd", "ext4", "/dev/sdc1", (8, 33)),
            ("hdd", "ext4", "/dev/sdd1", (8, 49)),
            ("luks", "ext4", "/dev/mapper/work", (254, 2)),
            ("odd", "xfs", "/dev/sde", (8, 64)),
        ] {
            let d = data.join(dir);
            fs::create_dir_all(&d).unwrap();
            f.mount(&d, fs_type, src, dev).unwrap();
        }
    }

    #[cfg(debug_assertions)]
    /// A [`Case`] whose vault is packed in `vault_dir`, on the fake machine of
    /// [`machine`]: returns it, the fixture and the machine's `data/` folder.
    fn on_machine(vault_dir: &str) -> (Case, PathBuf, PathBuf) {
        let case = Case::new(vault_dir);
        let root = case.fx.root.canonicalize().unwrap();
        let (fixture, data) = (root.join("media-fixture"), root.join("data"));
        machine(&fixture, &data);
        (case, fixture, data)
    }

    #[cfg(debug_assertions)]
    #[test]
    fn each_item_records_its_medium_and_what_overwriting_achieved_there() {
        let (case, fixture, data) = on_machine("data/stick");
        let copies: Vec<PathBuf> = ["ssd", "hdd", "luks", "odd"]
            .iter()
            .map(|d| case.copy_in(&data.join(d)))
            .collect();
        let refs: Vec<&Path> = copies.iter().map(PathBuf::as_path).collect();
        let site = [
            "--medium-id",
            "ASSET-0042",
            "--place",
            "ダミー医療機関 2F サーバー室",
            "--title",
            "Field engineer",
            "--contact",
            "03-0000-0000",
            "--medium-after",
            "returned",
        ];
        let out = case.certify(&refs, &site, Some(&fixture));
        ok(&out);
        let said = stdout_of(&out);
        assert!(
            said.contains("USB flash drive") && said.contains("4C530000DUMMY"),
            "{said}"
        );
        let cert = case.cert_json();
        assert_eq!(cert["medium_id"], "ASSET-0042");
        assert_eq!(cert["place"], "ダミー医療機関 2F サーバー室");
        assert_eq!(cert["medium_after"], "returned");
        assert_eq!(cert["issuer"]["title"], "Field engineer");
        assert_eq!(cert["issuer"]["contact"], "03-0000-0000");

        let vault = case.item(&cert, &data.join("stick/x.kura"));
        let m = &vault["medium"];
        assert_eq!(m["kind"], "usb-flash");
        assert_eq!(m["transport"], "usb");
        assert_eq!((&m["vendor"], &m["model"]), (&"DummyCo".into(), &"Stick 32G".into()));
        assert_eq!(m["serial"], "4C530000DUMMY");
        assert_eq!((&m["fs_type"], &m["encrypted"]), (&"vfat".into(), &false.into()));
        assert_eq!(vault["sanitization"]["category"], "clear");
        assert_eq!(
            vault["sanitization"]["basis"], "ciphertext",
            "the vault is protected by age"
        );

        let ssd = case.item(&cert, &copies[0]);
        assert_eq!(ssd["medium"]["kind"], "ssd");
        assert_eq!(ssd["medium"]["model"], "DUMMY SSD 1TB");
        assert_eq!(ssd["medium"]["encrypted"], false);
        assert_eq!(ssd["sanitization"]["basis"], "flash");
        assert!(
            ssd["sanitization"]["note"]["en"]
                .as_str()
                .unwrap()
                .contains("wear levelling"),
            "{ssd}"
        );
        let hdd = case.item(&cert, &copies[1]);
        assert_eq!(hdd["medium"]["kind"], "hdd");
        assert_eq!(hdd["sanitization"]["basis"], "hdd");
        let luks = case.item(&cert, &copies[2]);
        assert_eq!(
            (&luks["medium"]["kind"], &luks["medium"]["encrypted"]),
            (&"ssd".into(), &true.into())
        );
        assert_eq!(luks["sanitization"]["basis"], "encrypted-volume");
        let odd = case.item(&cert, &copies[3]);
        assert_eq!(odd["medium"]["kind"], "unknown", "not guessed");
        for f in ["vendor", "model", "serial", "transport"] {
            assert_eq!(odd["medium"][f], Value::Null, "{f} of a disk that tells nothing");
        }
        assert_eq!(odd["medium"]["fs_type"], "xfs");
        assert_eq!(odd["sanitization"]["basis"], "unknown");
        // The certificate-level method is kept for readers of the first format.
        assert_eq!(cert["method"]["category"], "clear");

        // What the clinic sees: the same, checked.
        let checked = ok(&case.check(&["--json"]));
        let v = json(&checked);
        assert_eq!(v["valid"], true);
        assert_eq!(v["medium_id"], "ASSET-0042");
        assert_eq!(v["medium_after"], "returned");
        assert_eq!(v["place"], cert["place"]);
        assert_eq!(v["issuer"]["title"], "Field engineer");
        assert_eq!(v["issuer"]["contact"], "03-0000-0000");
        assert_eq!(v["items"], cert["items"]);
        let text = stdout_of(&ok(&case.check(&["--lang", "ja"])));
        for want in [
            "USB メモリー",
            "DummyCo Stick 32G",
            "シリアル番号 4C530000DUMMY",
            "暗号化あり",
            "暗号化は検出されず",
            "ASSET-0042",
            "返却",
        ] {
            assert!(text.contains(want), "{want} in:\n{text}");
        }
        // The printable page: each item's medium in the item table.
        let html = case.fx.path("out/CERT.html");
        let mut c = case.fx.kura();
        c.args(["certificate", "render"]).arg(&case.cert).arg("-o").arg(&html);
        c.arg("--custody")
            .arg(&case.clinic_copy)
            .arg("--signers")
            .arg(&case.fx.signers);
        ok(&mut c);
        let page = fs::read_to_string(&html).unwrap();
        for want in [
            "USB メモリー",
            "USB flash drive",
            "DummyCo",
            "4C530000DUMMY",
            "ASSET-0042",
            "暗号化あり",
            "wear levelling",
        ] {
            assert!(page.contains(want), "{want} on the page");
        }
    }

    #[cfg(debug_assertions)]
    #[test]
    fn a_medium_field_changed_after_signing_fails_verification() {
        let (case, fixture, data) = on_machine("stick");
        let copy = case.copy_in(&data.join("ssd"));
        ok(&case.certify(&[&copy], &["--medium-after", "reused"], Some(&fixture)));
        ok(&case.check(&[]));
        let signed = fs::read(&case.cert).unwrap();

        // Altered without re-signing: the signature no longer holds.
        let mut v = case.cert_json();
        v["items"][1]["medium"]["serial"] = "OTHER-DISK".into();
        let mut bytes = serde_json::to_vec_pretty(&v).unwrap();
        bytes.push(b'\n');
        fs::write(&case.cert, &bytes).unwrap();
        let said = assert_refused(&case.check(&[]), 6);
        assert!(said.contains("changed after it was signed"), "{said}");

        // Re-signed by its issuer claiming encryption the medium does not
        // have: the statement contradicts the recorded medium.
        fs::write(&case.cert, &signed).unwrap();
        let mut v = case.cert_json();
        v["items"][1]["sanitization"]["basis"] = "encrypted-volume".into();
        case.resign(&v);
        let said = assert_refused(&case.check(&[]), 6);
        assert!(said.contains("items.sanitization"), "{said}");
        // And a medium fate that is not one of the four.
        let mut v: Value = serde_json::from_slice(&signed).unwrap();
        v["medium_after"] = "sold".into();
        case.resign(&v);
        let said = assert_refused(&case.check(&[]), 6);
        assert!(said.contains("medium_after"), "{said}");
    }

    #[test]
    fn a_copy_on_a_tmpfs_is_recorded_as_memory() {
        let case = Case::new("stick");
        let ram = Tmpfs::mount(&case.fx.path("ram"), "size=4m");
        let copy = case.copy_in(&ram.dir.join("work"));
        ok(&case.certify(&[&copy], &[], None));
        let item = case.item(&case.cert_json(), &copy);
        assert_eq!(item["medium"]["kind"], "memory");
        assert_eq!(item["medium"]["fs_type"], "tmpfs");
        assert_eq!(item["medium"]["encrypted"], Value::Null, "not known, not guessed");
        assert_eq!(item["sanitization"]["basis"], "memory");
        ok(&case.check(&[]));
    }

    /// A file system on a real loop device, unmounted (and the device freed)
    /// when dropped.
    struct LoopMount(PathBuf);

    impl LoopMount {
        fn new(image: &Path, at: &Path) -> LoopMount {
            let f = fs::File::create(image).unwrap();
            f.set_len(16 << 20).unwrap();
            tool_ok("mkfs.ext4", [Path::new("-q"), image]);
            fs::create_dir_all(at).unwrap();
            let out = Command::new("mount")
                .arg("-o")
                .arg("loop")
                .arg(image)
                .arg(at)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "mounting a loop device (these tests run as root): {}",
                describe(&out)
            );
            LoopMount(at.to_path_buf())
        }
    }

    impl Drop for LoopMount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).output();
        }
    }

    #[test]
    fn a_copy_on_a_loop_device_is_recorded_as_loop() {
        let case = Case::new("stick");
        let mnt = LoopMount::new(&case.fx.path("disk.img"), &case.fx.path("loopdisk"));
        let copy = case.copy_in(&mnt.0.join("work"));
        ok(&case.certify(&[&copy], &[], None));
        let item = case.item(&case.cert_json(), &copy);
        assert_eq!(item["medium"]["kind"], "loop");
        assert_eq!(item["medium"]["fs_type"], "ext4");
        assert_eq!(item["medium"]["encrypted"], false, "no dm-crypt layer under it");
        assert_eq!(
            item["sanitization"]["basis"], "unknown",
            "what holds the image is not told"
        );
        ok(&case.check(&[]));
    }
}

#[test]
fn medium_after_takes_one_of_four_words() {
    let case = Case::new("stick");
    let copy = case.copy_in(&case.fx.path("work"));
    let said = assert_refused(&case.certify(&[&copy], &["--medium-after", "sold"], None), 2);
    assert!(said.contains("sold"), "{said}");
    assert!(copy.exists() && case.vault.exists(), "nothing destroyed");
    assert_absent(&case.cert);
}

#[test]
fn the_stated_texts_are_shown_escaped() {
    let case = Case::new("stick");
    let copy = case.copy_in(&case.fx.path("work"));
    let place = "Room 1\x1b[2J\u{202e}";
    ok(&case.certify(&[&copy], &["--place", place, "--title", "Eng\nineer"], None));
    assert_eq!(case.cert_json()["place"], place, "recorded as given");
    let text = stdout_of(&ok(&case.check(&[])));
    assert!(!text.contains('\x1b') && !text.contains('\u{202e}'), "{text:?}");
    assert!(text.contains("Room 1\\x1b[2J\\u{202e}"), "{text}");
    assert!(text.contains("Eng\\nineer"), "{text}");
}
