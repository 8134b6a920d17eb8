//! The medium: split vaults (`--split`, `x.kura.001`…) that kura and stock
//! tools open, FAT's 4 GiB − 1 limit, free space checked before writing,
//! and the rule 10/11 guards (removable destinations, network file systems,
//! the key travelling with the vault).
//!
//! Removable and network media are stood up with a fake mountinfo and sysfs
//! (`KURA_GUARD_FIXTURE`, honoured by debug builds only); free space and the
//! plain local case use real tmpfs mounts (the tests run as root).

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::*;

fn volume(vault: &Path, n: usize) -> PathBuf {
    let mut s = vault.as_os_str().to_os_string();
    s.push(format!(".{n:03}"));
    PathBuf::from(s)
}

fn split_custody(vault: &Path) -> PathBuf {
    let mut s = vault.as_os_str().to_os_string();
    s.push("-custody");
    PathBuf::from(s)
}

/// The dummy export plus 3 MiB of incompressible data, so that a vault
/// spans several 1 MiB volumes.
fn bulky_export(fx: &Desk) -> PathBuf {
    let src = fx.path("bulky");
    fs::create_dir_all(&src).unwrap();
    write_file(&src.join("scan.bin"), &noise(3 << 20, 11), 0o644, 1_600_000_000);
    write_file(&src.join("note.txt"), b"dummy, no patients\n", 0o644, 1_600_000_000);
    src
}

/// The bulky export packed as `stick/x.kura` in volumes of 1 MiB; returns
/// the vault's path.
fn split_packed(fx: &Desk) -> PathBuf {
    let src = bulky_export(fx);
    let vault = fx.mkdir("stick").join("x.kura");
    ok(&fx.pack(&vault, &["--split", "1M"], &[&src]));
    vault
}

#[test]
fn split_vault_is_read_by_kura_and_by_cat_age_zstd_tar() {
    let fx = Desk::with_export();
    let src = bulky_export(&fx);
    let out = fx.mkdir("stick");
    let vault = out.join("x.kura");
    ok(&fx.pack(&vault, &["--split", "1M"], &[&src, fx.export()]));
    let names = names_in(&out);
    assert_eq!(
        names,
        ["x.kura-custody", "x.kura.001", "x.kura.002", "x.kura.003", "x.kura.004"],
        "volumes of 1 MiB and the custody log, nothing else"
    );
    for n in 1..=3 {
        assert_eq!(fs::metadata(volume(&vault, n)).unwrap().len(), 1 << 20);
    }
    // Stock tools, exactly as the documentation says.
    let stock = fx.mkdir("stock");
    let script = format!(
        "cat x.kura.* | age -d -i {} | zstd -d | tar -x -C {}",
        fx.engineer.private.display(),
        stock.display()
    );
    let o = shell(&out, &script);
    assert!(o.status.success(), "{}", describe(&o));
    assert_same_tree(&stock.join("export"), fx.export(), Meta::Content);
    assert_eq!(fs::read(stock.join("bulky/scan.bin")).unwrap(), noise(3 << 20, 11));
    // kura reads the volumes wherever it is given x.kura.
    let total: u64 = (1..=4).map(|n| fs::metadata(volume(&vault, n)).unwrap().len()).sum();
    let o = fx.run(osargs!["inspect", vault, "--json"]);
    let j = json(&o);
    assert_eq!(j["vault_present"], true, "{}", describe(&o));
    assert_eq!(j["ciphertext"]["size"], total);
    ok(&fx.verify(
        &vault,
        &fx.engineer.private,
        &["--signers", fx.signers.to_str().unwrap()],
    ));
    let dest = fx.path("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
    // The custody log of a split vault records both events.
    let log = fs::read_to_string(split_custody(&vault)).unwrap();
    assert_eq!(log.lines().count(), 4, "packed, verified, extracting, extracted");
    let o = fx.run(osargs!["custody", "verify", vault]);
    ok(&o);
    // The log can be named directly too, and a copy under any name.
    ok(&fx.run(osargs!["custody", "show", split_custody(&vault)]));
    let copy = fx.path("clinic copy.txt");
    fs::copy(split_custody(&vault), &copy).unwrap();
    ok(&fx.run(osargs!["custody", "verify", copy]));
}

#[test]
fn a_split_vault_is_certified_deleted_volume_by_volume() {
    let fx = Desk::with_export();
    let vault = split_packed(&fx);
    let out = fx.path("stick");
    let volumes = names_in(&out).len() - 1;
    assert!(volumes >= 3);
    let dest = fx.path("work");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    let clinic_copy = fx.path("clinic.custody");
    fs::copy(split_custody(&vault), &clinic_copy).unwrap();
    let cert = fx.path("cert.json");
    let o = fx.run(osargs![
        "certify",
        &vault,
        "--deleted",
        &dest,
        "-i",
        &fx.engineer.private,
        "-o",
        &cert,
        "--json"
    ]);
    let j = json(&o);
    assert_eq!(j["ok"], true, "{}", describe(&o));
    // Every volume is gone; the custody log (evidence) stays.
    assert_eq!(names_in(&out), ["x.kura-custody"]);
    assert!(!dest.exists());
    let c: serde_json::Value = serde_json::from_slice(&fs::read(&cert).unwrap()).unwrap();
    let v = &c["items"][0];
    assert_eq!(v["role"], "vault");
    assert_eq!(v["files"], volumes, "{c:#}");
    assert_eq!(v["outcome"], "destroyed");
    assert_eq!(v["blake3"], c["vault"]["ciphertext"]["blake3"]);
    let o = fx.run(osargs![
        "certificate",
        "verify",
        &cert,
        "--custody",
        &clinic_copy,
        "--signers",
        &fx.signers
    ]);
    ok(&o);
}

#[test]
fn split_vault_with_a_missing_or_altered_volume_is_refused() {
    let fx = Desk::with_export();
    let vault = split_packed(&fx);
    // A volume swapped for another's bytes.
    let v2 = fs::read(volume(&vault, 2)).unwrap();
    let mut bad = v2.clone();
    bad[1000] ^= 1;
    fs::write(volume(&vault, 2), &bad).unwrap();
    let line = assert_refused(&fx.verify(&vault, &fx.engineer.private, &[]), 6);
    assert!(line.contains("receipt") || line.contains("altered"), "{line}");
    fs::write(volume(&vault, 2), &v2).unwrap();
    // A volume missing from the middle.
    fs::rename(volume(&vault, 2), fx.path("aside")).unwrap();
    let line = assert_refused(&fx.verify(&vault, &fx.engineer.private, &[]), 6);
    assert!(line.contains("x.kura.002"), "names the missing volume: {line}");
    let dest = fx.path("dest");
    assert_refused(&fx.extract(&vault, &fx.engineer.private, &dest, &[]), 6);
    assert_absent(&dest);
    fs::rename(fx.path("aside"), volume(&vault, 2)).unwrap();
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}

#[test]
fn split_vaults_are_never_replaced_without_force() {
    let fx = Desk::with_export();
    let vault = split_packed(&fx);
    let out = fx.path("stick");
    let before: Vec<Vec<u8>> = (1..=4).map(|n| fs::read(volume(&vault, n)).unwrap()).collect();
    // Neither as volumes nor as one file of the same name.
    assert_refused(&fx.pack(&vault, &["--split", "1M"], &[fx.export()]), 9);
    assert_refused(&fx.pack(&vault, &[], &[fx.export()]), 9);
    let after: Vec<Vec<u8>> = (1..=4).map(|n| fs::read(volume(&vault, n)).unwrap()).collect();
    assert_eq!(before, after);
    assert_eq!(names_in(&out).len(), 5, "nothing added: {:?}", names_in(&out));
    // With --force a smaller vault replaces it, stale volumes included.
    ok(&fx.pack(&vault, &["--split", "1M", "--force"], &[fx.export()]));
    assert_eq!(names_in(&out), ["x.kura-custody", "x.kura.001"]);
    ok(&fx.verify(&vault, &fx.engineer.private, &[]));
}

#[test]
fn split_sizes_are_checked() {
    let fx = Desk::with_export();
    let vault = fx.mkdir("out").join("x.kura");
    for bad in ["abc", "10", "2X", "1.G", ""] {
        let line = assert_refused(&fx.pack(&vault, &["--split", bad], &[fx.export()]), 2);
        assert!(line.contains("--split"), "{line}");
    }
    assert_empty_dir(&fx.path("out"));
}

#[cfg(unix)]
#[test]
fn too_little_free_space_is_refused_before_writing() {
    let fx = Desk::with_export();
    let src = fx.path("big");
    fs::create_dir_all(&src).unwrap();
    write_file(&src.join("scan.bin"), &noise(8 << 20, 5), 0o644, 1_600_000_000);
    let mnt = Tmpfs::mount(&fx.path("small"), "size=2m");
    let vault = mnt.dir.join("x.kura");
    let line = assert_refused(&fx.pack(&vault, &[], &[&src]), 10);
    assert!(line.contains("disk") && line.contains("full"), "{line}");
    assert_empty_dir(&mnt.dir);
    // Extracting: the receipt says how much is coming.
    let vault = fx.path("x.kura");
    ok(&fx.pack(&vault, &[], &[&src]));
    let custody = fs::read(custody_of(&vault)).unwrap();
    let dest = mnt.dir.join("dest");
    let line = assert_refused(&fx.extract(&vault, &fx.engineer.private, &dest, &[]), 10);
    assert!(line.contains("disk") && line.contains("full"), "{line}");
    assert_empty_dir(&mnt.dir);
    assert_eq!(fs::read(custody_of(&vault)).unwrap(), custody, "nothing recorded");
}

#[cfg(unix)]
#[test]
fn a_local_tmpfs_is_neither_removable_nor_network() {
    let fx = Desk::with_export();
    let mnt = Tmpfs::mount(&fx.path("ram"), "size=64m");
    let vault = mnt.dir.join("x.kura");
    ok(&fx.pack(&vault, &[], &[fx.export()]));
    let dest = mnt.dir.join("dest");
    ok(&fx.extract(&vault, &fx.engineer.private, &dest, &[]));
    assert_same_tree(&dest.join("export"), fx.export(), Meta::Full);
}

/// Fake media for the guards: a USB stick (vfat), an NFS and an sshfs
/// mount, on a laptop whose internal disk holds everything else.
#[cfg(all(debug_assertions, target_os = "linux"))]
mod guards {
    use super::*;
    use kura::guard::linux::Fixture as Media;

    pub struct Laptop {
        pub fx: Desk,
        pub fixture: PathBuf,
        pub stick: PathBuf,
        pub nfs: PathBuf,
        pub sshfs: PathBuf,
    }

    impl Laptop {
        pub fn new() -> Laptop {
            let fx = Desk::with_export();
            let root = fx.root.canonicalize().unwrap();
            let fixture = root.join("media-fixture");
            let mut m = Media::new(&fixture).unwrap();
            let usb = "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0";
            m.block(usb, "sdb", Some("sdb1"), true, (8, 17)).unwrap();
            let (stick, nfs, sshfs) = (root.join("stick"), root.join("nfs"), root.join("sshfs"));
            for d in [&stick, &nfs, &sshfs] {
                fs::create_dir_all(d).unwrap();
            }
            m.mount(&stick, "vfat", "/dev/sdb1", (8, 17)).unwrap();
            m.mount(&nfs, "nfs4", "fileserver:/export/clinic", (0, 52)).unwrap();
            m.mount(&sshfs, "fuse.sshfs", "me@office:/home/me", (0, 53)).unwrap();
            Laptop {
                fx,
                fixture,
                stick,
                nfs,
                sshfs,
            }
        }

        pub fn kura(&self, args: Vec<std::ffi::OsString>) -> std::process::Output {
            self.fx
                .kura()
                .env("KURA_GUARD_FIXTURE", &self.fixture)
                .args(args)
                .output()
                .expect("kura runs")
        }

        pub fn pack(&self, out: &Path, key: &Path, extra: &[&str]) -> std::process::Output {
            let mut a = with(self.fx.pack_args(out), "-i", key);
            a.extend(extra.iter().map(|s| s.into()));
            a.push(self.fx.export().into());
            self.kura(a)
        }

        pub fn extract(&self, vault: &Path, key: &Path, dest: &Path, extra: &[&str]) -> std::process::Output {
            let mut a = osargs!["extract", vault, "-i", key, "-C", dest];
            a.extend(extra.iter().map(|s| s.into()));
            self.kura(a)
        }

        /// The engineer's key copied to `dir`.
        pub fn key_in(&self, dir: &Path) -> PathBuf {
            let k = dir.join("engineer.key");
            fs::copy(&self.fx.engineer.private, &k).unwrap();
            set_mode(&k, 0o600);
            k
        }
    }

    #[test]
    fn rule_10_extract_refuses_a_usb_stick_unless_allowed() {
        let l = Laptop::new();
        let vault = l.fx.packed("x.kura");
        let records = custody_records(&vault).len();
        let dest = l.stick.join("out");
        let o = l.extract(&vault, &l.fx.engineer.private, &dest, &[]);
        let line = assert_refused(&o, 11);
        assert!(line.contains("--allow-removable") && line.contains("USB"), "{line}");
        assert_absent(&dest);
        assert_eq!(custody_records(&vault).len(), records, "nothing recorded");
        // In --json the refusal is a policy error.
        let mut a = osargs!["--json", "extract", vault, "-i", l.fx.engineer.private, "-C", dest];
        a.push("--lang".into());
        a.push("en".into());
        let j = json(&l.kura(a));
        assert_eq!(j["error"]["kind"], "policy");
        assert_eq!(j["error"]["exit_code"], 11);
        // Japanese says why too.
        let a = osargs![
            "--lang",
            "ja",
            "extract",
            vault,
            "-i",
            l.fx.engineer.private,
            "-C",
            dest
        ];
        let line = assert_refused(&l.kura(a), 11);
        assert!(line.contains("規則10"), "{line}");
        // Allowed explicitly, it works.
        ok(&l.extract(&vault, &l.fx.engineer.private, &dest, &["--allow-removable"]));
        assert_same_tree(&dest.join("export"), l.fx.export(), Meta::Full);
        // The signed record says the rule was overridden.
        let last = custody_records(&vault).pop().unwrap();
        assert_eq!(last["event"], "extracted");
        assert_eq!(last["details"]["overrides"], serde_json::json!(["allow-removable"]));
    }

    #[test]
    fn rule_11_network_file_systems_are_refused_unless_allowed() {
        let l = Laptop::new();
        // pack -o onto NFS and sshfs.
        for dir in [&l.nfs, &l.sshfs] {
            let out = dir.join("x.kura");
            let line = assert_refused(&l.pack(&out, &l.fx.engineer.private, &[]), 11);
            assert!(line.contains("--allow-network") && line.contains("rule 11"), "{line}");
            assert_empty_dir(dir);
        }
        let out = l.nfs.join("x.kura");
        ok(&l.pack(&out, &l.fx.engineer.private, &["--allow-network"]));
        // extract -C onto a network share.
        let vault = l.fx.packed("local.kura");
        let dest = l.sshfs.join("out");
        let line = assert_refused(&l.extract(&vault, &l.fx.engineer.private, &dest, &[]), 11);
        assert!(line.contains("fuse.sshfs"), "{line}");
        assert_absent(&dest);
        ok(&l.extract(&vault, &l.fx.engineer.private, &dest, &["--allow-network"]));
        // Reading a vault from a share is fine: it is ciphertext.
        let dest = l.fx.path("dest");
        ok(&l.extract(&out, &l.fx.engineer.private, &dest, &[]));
    }

    #[test]
    fn the_key_may_not_travel_with_the_vault() {
        let l = Laptop::new();
        let key_on_stick = l.key_in(&l.stick);
        let out = l.stick.join("x.kura");
        let line = assert_refused(&l.pack(&out, &key_on_stick, &[]), 11);
        assert!(line.contains("--allow-key-with-vault"), "{line}");
        assert_eq!(names_in(&l.stick), ["engineer.key"], "nothing written");
        // The usual case: key on the laptop, vault on the stick.
        ok(&l.pack(&out, &l.fx.engineer.private, &[]));
        let dest = l.fx.path("dest");
        let line = assert_refused(&l.extract(&out, &key_on_stick, &dest, &[]), 11);
        assert!(line.contains("engineer.key"), "{line}");
        assert_absent(&dest);
        ok(&l.extract(&out, &l.fx.engineer.private, &dest, &[]));
        // Explicitly allowed.
        let out2 = l.stick.join("y.kura");
        ok(&l.pack(&out2, &key_on_stick, &["--allow-key-with-vault"]));
    }

    #[test]
    fn fat_sticks_refuse_a_vault_that_could_reach_4_gib() {
        let l = Laptop::new();
        // A sparse 5 GiB input: kura refuses before reading it.
        let src = l.fx.path("huge");
        fs::create_dir_all(&src).unwrap();
        fs::File::create(src.join("dump.bin"))
            .unwrap()
            .set_len(5 << 30)
            .unwrap();
        let out = l.stick.join("x.kura");
        let mut a = l.fx.pack_args(&out);
        a.push(src.clone().into());
        let line = assert_refused(&l.kura(a.clone()), 10);
        assert!(
            line.contains("4 GiB") && line.contains("--split") && line.contains("vfat"),
            "{line}"
        );
        assert_empty_dir(&l.stick);
        // Volumes larger than FAT allows are refused too.
        let mut b = a.clone();
        b.extend(osargs!["--split", "5G"]);
        let line = assert_refused(&l.kura(b), 10);
        assert!(line.contains("4 GiB"), "{line}");
        assert_empty_dir(&l.stick);
        // A small vault fits in one file.
        ok(&l.pack(&out, &l.fx.engineer.private, &[]));
    }
}
