//! Where a path lives, and the data-protection rules that depend on it.
//!
//! - Rule 10 (no plaintext on portable media): `extract` refuses a
//!   destination on a removable or portable medium unless `--allow-removable`.
//! - Rule 11 (no real data on public networks): `pack -o` and `extract -C`
//!   refuse network file systems unless `--allow-network`.
//! - The key never travels with the data: `pack` and `extract` refuse when an
//!   identity file lies on the same removable medium as the vault, unless
//!   `--allow-key-with-vault`.
//! - The medium's limits: FAT file systems hold files of at most 4 GiB − 1,
//!   and free space is checked before writing where it can be estimated.
//!
//! How a path is classified is platform-specific (docs/MEDIA.md):
//! [`linux`] reads `/proc/self/mountinfo`, `statfs` and sysfs; [`macos`]
//! reads `statfs` and asks `diskutil`; [`windows`] asks `GetDriveTypeW` and
//! `GetVolumeInformationW`. Elsewhere nothing is known and nothing is refused.
//!
//! The Linux backend reads from a root directory that tests can point at a
//! fixture (a `proc/self/mountinfo` and a `sys/` tree); see [`Probe`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Kind, Result};

#[cfg(any(target_os = "linux", all(test, unix)))]
pub mod linux;
#[cfg(target_os = "macos")]
pub mod macos;
#[cfg(windows)]
pub mod windows;

/// The largest file a FAT32 or exFAT-formatted stick may hold in kura's
/// view: FAT32's limit, 4 GiB − 1 (exFAT has none, but many devices that
/// read exFAT sticks, and Windows' own tools for FAT, stop there too; kura
/// treats both alike so that a vault on any stick opens everywhere).
pub const FAT_MAX_FILE: u64 = (4 << 30) - 1;

/// Why a medium counts as removable or portable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Portable {
    /// The kernel marks the disk removable (USB sticks, card readers).
    RemovableFlag,
    /// The disk is attached over USB (external disks report "fixed").
    Usb,
    /// An SD or MMC card.
    Card,
    /// The platform says so (Windows DRIVE_REMOVABLE, macOS external media).
    Platform(String),
}

impl Portable {
    /// The message id describing this kind of medium.
    pub fn message_id(&self) -> &'static str {
        match self {
            Portable::RemovableFlag => "msg-portable-removable",
            Portable::Usb => "msg-portable-usb",
            Portable::Card => "msg-portable-card",
            Portable::Platform(_) => "msg-portable-external",
        }
    }
}

/// What kura knows about the file system holding a path. Fields that the
/// platform cannot tell are `None` or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Medium {
    /// The existing path that was examined (the path itself or its nearest
    /// existing parent).
    pub path: PathBuf,
    /// Where the file system is mounted.
    pub mount_point: PathBuf,
    /// File system type as the platform names it (`ext4`, `nfs4`,
    /// `fuse.sshfs`, `vfat`, `NTFS`, …).
    pub fs_type: String,
    /// What is mounted (`/dev/sdb1`, `server:/export`, `//host/share`).
    pub source: String,
    /// A stable name for the physical medium (the whole disk), used to tell
    /// whether two paths are on the same stick.
    pub disk: Option<String>,
    /// Set when the medium is removable or portable.
    pub portable: Option<Portable>,
    /// Set when the file system is reached over a network.
    pub network: bool,
    /// FAT32 or exFAT: files of at most [`FAT_MAX_FILE`] bytes.
    pub fat: bool,
    /// Bytes available to kura, when known.
    pub free: Option<u64>,
    /// The device under the file system, as far as the platform tells.
    pub device: Device,
}

/// What kind of device holds a file system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DeviceKind {
    /// A solid-state disk (SATA, NVMe, eMMC): flash behind a controller.
    Ssd,
    /// A spinning disk (the kernel reports it rotational).
    Hdd,
    /// A removable USB flash drive.
    UsbFlash,
    /// An SD or MMC card.
    Sd,
    /// A file system reached over a network.
    Network,
    /// Memory: tmpfs, ramfs, zram.
    Memory,
    /// A loop device (a file standing as a disk).
    Loop,
    /// A virtual machine's disk (virtio, Xen): the host's storage is
    /// beyond this computer's view.
    Virtual,
    /// The platform does not tell.
    #[default]
    Unknown,
}

impl DeviceKind {
    /// The name certificates record (`ssd`, `hdd`, `usb-flash`, …).
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Ssd => "ssd",
            DeviceKind::Hdd => "hdd",
            DeviceKind::UsbFlash => "usb-flash",
            DeviceKind::Sd => "sd",
            DeviceKind::Network => "network",
            DeviceKind::Memory => "memory",
            DeviceKind::Loop => "loop",
            DeviceKind::Virtual => "virtual",
            DeviceKind::Unknown => "unknown",
        }
    }
}

/// Every [`DeviceKind::name`].
pub const DEVICE_KINDS: &[&str] = &[
    "ssd",
    "hdd",
    "usb-flash",
    "sd",
    "network",
    "memory",
    "loop",
    "virtual",
    "unknown",
];

/// The device under a file system. What the platform does not tell stays
/// `None` (or [`DeviceKind::Unknown`]): nothing is guessed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub kind: DeviceKind,
    /// How it is attached: `usb`, `nvme`, `mmc`, `ata`, `scsi`, `virtio`.
    pub transport: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// `Some(true)`: an encryption layer was found under the file system
    /// (Linux: a dm-crypt/LUKS mapping; eCryptfs). `Some(false)`: the
    /// stack down to the disk was read and holds none (self-encrypting
    /// drives and per-folder encryption such as fscrypt are not seen).
    /// `None`: not known.
    pub encrypted: Option<bool>,
}

/// The most characters of a medium's maker, model or serial number that
/// kura keeps: real ones are far shorter (SCSI: 8 and 16, USB: at most
/// 126), while a hostile device may report any length.
pub const DEVICE_NAME_MAX: usize = 128;

/// `s` cut to [`DEVICE_NAME_MAX`] characters (a cut one ends with `…`):
/// a name a device or a file system driver reports.
pub fn bounded_name(s: String) -> String {
    if s.chars().count() <= DEVICE_NAME_MAX {
        return s;
    }
    s.chars().take(DEVICE_NAME_MAX - 1).chain(['…']).collect()
}

impl Device {
    /// The device with its maker, model and serial number cut by
    /// [`bounded_name`], as they go into a signed certificate and onto the
    /// screen.
    pub fn bounded(self) -> Device {
        Device {
            vendor: self.vendor.map(bounded_name),
            model: self.model.map(bounded_name),
            serial: self.serial.map(bounded_name),
            ..self
        }
    }
}

/// What a Windows storage device descriptor (`STORAGE_DEVICE_DESCRIPTOR`,
/// the answer to `IOCTL_STORAGE_QUERY_PROPERTY`) says of a disk: the
/// removable-media flag at byte 10, the offsets of its vendor, product and
/// serial number strings at bytes 12, 16 and 24 (0: none), and its bus at
/// byte 28. The descriptor does not tell a SATA SSD from a spinning disk,
/// nor whether the volume is encrypted: those stay unknown. Platform-neutral
/// so that it is tested everywhere.
pub fn device_from_descriptor(d: &[u8]) -> Device {
    let u32_at = |o: usize| d.get(o..o + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let text_at = |field: usize| -> Option<String> {
        let off = usize::try_from(u32_at(field)?).ok()?;
        if off == 0 || off >= d.len() {
            return None;
        }
        let end = d[off..].iter().position(|b| *b == 0).map_or(d.len(), |e| off + e);
        let s = String::from_utf8_lossy(&d[off..end]).trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    let removable = d.get(10).is_some_and(|r| *r != 0);
    use DeviceKind::*;
    let (kind, transport) = match u32_at(28) {
        Some(0x7) if removable => (UsbFlash, Some("usb")),
        Some(0x7) => (Unknown, Some("usb")),
        Some(0xC) => (Sd, Some("mmc")),
        Some(0xD) => (Unknown, Some("mmc")),
        Some(0x11) => (Ssd, Some("nvme")),
        Some(0x3 | 0xB) => (Unknown, Some("ata")),
        Some(0x1 | 0xA) => (Unknown, Some("scsi")),
        Some(0xE) => (Virtual, None),
        Some(0xF) => (Loop, None),
        _ => (Unknown, None),
    };
    Device {
        kind,
        transport: transport.map(str::to_string),
        vendor: text_at(12),
        model: text_at(16),
        serial: text_at(24),
        encrypted: None,
    }
}

/// What macOS's `diskutil info -plist DEVICE` says of the device under a
/// volume, given a lookup of its keys (`true`/`false` for booleans):
/// `BusProtocol`, `Removable`/`RemovableMedia`, `SolidState`,
/// `VirtualOrPhysical`, `MediaName` (the model), and `FileVault` or
/// `Encryption` true for an encrypted volume. It names no maker or serial
/// number, and an unencrypted answer is not taken as proof (the disk may
/// encrypt by itself): those stay unknown. Platform-neutral so that it is
/// tested everywhere.
pub fn device_from_plist<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Device {
    let yes = |k: &str| get(k) == Some("true");
    let bus = get("BusProtocol").unwrap_or("").to_ascii_lowercase();
    let removable = yes("Removable") || yes("RemovableMedia");
    let kind = if bus == "disk image" {
        DeviceKind::Loop
    } else if get("VirtualOrPhysical") == Some("Virtual") {
        DeviceKind::Virtual
    } else if bus == "usb" && removable {
        DeviceKind::UsbFlash
    } else if bus == "secure digital" || bus == "sd" {
        DeviceKind::Sd
    } else {
        match get("SolidState") {
            Some("true") => DeviceKind::Ssd,
            Some("false") => DeviceKind::Hdd,
            _ => DeviceKind::Unknown,
        }
    };
    let transport = match bus.as_str() {
        "usb" => Some("usb"),
        "sata" => Some("ata"),
        "secure digital" | "sd" => Some("mmc"),
        _ => None,
    };
    Device {
        kind,
        transport: transport.map(str::to_string),
        vendor: None,
        model: get("MediaName")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        serial: None,
        encrypted: (yes("FileVault") || yes("Encryption")).then_some(true),
    }
}

/// Classifies paths. The real platform's probe is [`system`].
pub trait Probe {
    /// Describes the file system holding `path` (which need not exist yet:
    /// its nearest existing parent is examined).
    fn medium(&self, path: &Path) -> Result<Medium>;
}

/// A probe that knows nothing (platforms without a backend).
pub struct Unknown;

impl Probe for Unknown {
    fn medium(&self, path: &Path) -> Result<Medium> {
        Ok(Medium {
            path: existing_ancestor(path),
            ..Medium::default()
        })
    }
}

/// The probe for this platform.
///
/// Debug builds (the test suite) honour `KURA_GUARD_FIXTURE`: a directory
/// holding `proc/self/mountinfo` and a `sys/` tree that replace the real
/// ones, so that the command-line tests can stand a destination on a fake
/// USB stick or NFS mount. Release builds ignore it.
pub fn system() -> Box<dyn Probe> {
    #[cfg(all(debug_assertions, target_os = "linux"))]
    if let Some(root) = std::env::var_os("KURA_GUARD_FIXTURE").filter(|v| !v.is_empty()) {
        return Box::new(linux::Linux::with_root(PathBuf::from(root)));
    }
    #[cfg(target_os = "linux")]
    return Box::new(linux::Linux::real());
    #[cfg(target_os = "macos")]
    return Box::new(macos::MacOs);
    #[cfg(windows)]
    return Box::new(windows::Windows);
    #[allow(unreachable_code)]
    Box::new(Unknown)
}

/// The path itself if it exists, else its nearest existing parent (made
/// absolute and free of links where possible).
pub fn existing_ancestor(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let mut p = abs.as_path();
    loop {
        if let Ok(c) = crate::fsutil::canonicalize(p) {
            return c;
        }
        match p.parent() {
            Some(parent) => p = parent,
            None => return abs,
        }
    }
}

/// The overrides given on the command line.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allow {
    /// `--allow-removable`: plaintext may be written to portable media.
    pub removable: bool,
    /// `--allow-network`: the vault or plaintext may be on a network share.
    pub network: bool,
    /// `--allow-key-with-vault`: the key may sit on the vault's medium.
    pub key_with_vault: bool,
}

impl Allow {
    /// The rules overridden, as custody records name them
    /// (`allow-removable`, `allow-network`, `allow-key-with-vault`).
    pub fn overrides(&self) -> Vec<&'static str> {
        [
            (self.removable, "allow-removable"),
            (self.network, "allow-network"),
            (self.key_with_vault, "allow-key-with-vault"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

fn network_refusal(m: &Medium, what: &Path) -> Error {
    let fs = if m.fs_type.is_empty() {
        "network".to_string()
    } else {
        m.fs_type.clone()
    };
    Error::new(Kind::Policy, "err-guard-network")
        .arg("path", what.display())
        .arg("fs", fs)
}

/// Rule 11 for `pack -o`: the vault may not be written to a network file
/// system. Returns what was learnt about the output's medium.
pub fn check_pack_output(probe: &dyn Probe, out: &Path, allow: Allow) -> Result<Medium> {
    let m = probe.medium(out)?;
    if m.network && !allow.network {
        return Err(network_refusal(&m, out));
    }
    Ok(m)
}

/// Rules 10 and 11 for `extract -C DEST`: plaintext may go neither to a
/// portable medium nor to a network file system.
pub fn check_extract_dest(probe: &dyn Probe, dest: &Path, allow: Allow) -> Result<Medium> {
    let m = probe.medium(dest)?;
    if m.network && !allow.network {
        return Err(network_refusal(&m, dest));
    }
    if let Some(why) = &m.portable {
        if !allow.removable {
            return Err(Error::new(Kind::Policy, "err-guard-removable")
                .arg("path", dest.display())
                .arg_msg("why", why.message_id()));
        }
    }
    Ok(m)
}

/// The key never travels with the data: refuses when one of `keys` lies on
/// the same portable medium as the vault (`vault_medium`).
pub fn check_key_apart(
    probe: &dyn Probe,
    keys: &[PathBuf],
    vault: &Path,
    vault_medium: &Medium,
    allow: Allow,
) -> Result<()> {
    if allow.key_with_vault || vault_medium.portable.is_none() {
        return Ok(());
    }
    let Some(disk) = &vault_medium.disk else { return Ok(()) };
    for key in keys {
        let km = probe.medium(key)?;
        if km.disk.as_ref() == Some(disk) {
            return Err(Error::new(Kind::Policy, "err-guard-key-with-vault")
                .arg("key", key.display())
                .arg("vault", vault.display()));
        }
    }
    Ok(())
}

/// Refuses a single-file vault that could outgrow a FAT file system, and
/// volumes larger than it allows. `estimate` is an upper bound on the
/// vault's size.
pub fn check_fat(m: &Medium, out: &Path, estimate: u64, split: Option<u64>) -> Result<()> {
    if !m.fat {
        return Ok(());
    }
    match split {
        Some(size) if size > FAT_MAX_FILE => Err(Error::new(Kind::Io, "err-split-over-fat")
            .arg("size", crate::units::bytes(size))
            .arg("fs", &m.fs_type)),
        Some(_) => Ok(()),
        None if estimate > FAT_MAX_FILE => Err(Error::new(Kind::Io, "err-fat-too-big")
            .arg("path", out.display())
            .arg("fs", &m.fs_type)
            .arg("size", crate::units::bytes(estimate))),
        None => Ok(()),
    }
}

/// Refuses when the medium certainly cannot hold `need` more bytes.
pub fn check_space(m: &Medium, out: &Path, need: u64, input: u64) -> Result<()> {
    match m.free {
        Some(free) if free < need => Err(Error::new(Kind::Io, "err-space-short")
            .arg("path", out.display())
            .arg("free", crate::units::bytes(free))
            .arg("need", crate::units::bytes(need))
            .arg("size", crate::units::bytes(input))),
        _ => Ok(()),
    }
}

/// Every rule that applies to `extract`: rules 10 and 11 for DEST, the key
/// kept apart from the vault, and room in DEST for `need` bytes (the
/// receipt's total, when known).
pub fn extract_rules(
    probe: &dyn Probe,
    vault: &Path,
    dest: &Path,
    keys: &[PathBuf],
    allow: Allow,
    need: Option<(u64, u64)>,
) -> Result<()> {
    let dm = check_extract_dest(probe, dest, allow)?;
    // A split vault's first volume stands for the vault.
    let on_disk = crate::naming::first_file(vault);
    let vm = probe.medium(&on_disk)?;
    check_key_apart(probe, keys, vault, &vm, allow)?;
    if let Some((bytes, files)) = need {
        // Each file takes at least a block of its own.
        let need = bytes.saturating_add(files.saturating_mul(4096));
        check_space(&dm, dest, need, bytes)?;
    }
    Ok(())
}

/// File system types reached over a network, as Linux's mountinfo and
/// macOS's `statfs` name them (FUSE file systems as `fuse.NAME`).
pub const NETWORK_FS: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb",
    "smb2",
    "smb3",
    "smbfs",
    "ncpfs",
    "ncp",
    "9p",
    "ceph",
    "glusterfs",
    "afs",
    "coda",
    "lustre",
    "orangefs",
    "pvfs2",
    "ocfs2",
    "gfs2",
    "beegfs",
    "gpfs",
    "davfs",
    "webdav",
    "afpfs",
    "ftp",
    "cvmfs",
    "fuse.sshfs",
    "fuse.rclone",
    "fuse.s3fs",
    "fuse.gcsfuse",
    "fuse.goofys",
    "fuse.glusterfs",
    "fuse.ceph",
    "fuse.ceph-fuse",
    "fuse.cephfs",
    "fuse.curlftpfs",
    "fuse.davfs",
    "fuse.davfs2",
    "fuse.smbnetfs",
    "fuse.afpfs",
    "fuse.afpfs-ng",
    "fuse.blobfuse",
    "fuse.blobfuse2",
    "fuse.juicefs",
    "fuse.mfs",
    "fuse.lizardfs",
    "fuse.gvfsd-fuse",
    "fuse.onedriver",
    "fuse.google-drive-ocamlfuse",
    "fuse.webdavfs",
    "fuse.httpfs",
    "fuse.httpdirfs",
    "fuse.seaweedfs",
    "fuse.cvmfs2",
    "fuse.xtreemfs",
    "fuse.quobyte",
    "fuse.moosefs",
    "fuse.s3backer",
    "fuse.ossfs",
    "fuse.obsfs",
    "fuse.cosfs",
    "fuse.mountpoint-s3",
    "fuse.alluxio-fuse",
    "fuse.dropbox",
    "fuse.keybase",
    "fuse.kbfsfuse",
];

/// File system types that are FAT32 or exFAT.
pub const FAT_FS: &[&str] = &[
    "vfat",
    "msdos",
    "fat",
    "fat32",
    "exfat",
    "fuse.exfat",
    "fuse.fat32",
    "msdosfs",
];

/// Whether a file system type (and mount source) means a network mount.
pub fn is_network_fs(fs_type: &str, source: &str) -> bool {
    let t = fs_type.to_ascii_lowercase();
    if NETWORK_FS.contains(&t.as_str()) {
        return true;
    }
    // Unlisted FUSE file systems: a source such as `user@host:/path`,
    // `host:/path` or `//host/share` names a remote end.
    if t.starts_with("fuse") {
        let s = source.trim();
        let remote_colon = s
            .split_once(':')
            .is_some_and(|(host, _)| !host.is_empty() && !host.contains('/') && host.len() > 1);
        return remote_colon || s.starts_with("//") || s.contains("://");
    }
    false
}

/// Whether a file system type is FAT32 or exFAT.
pub fn is_fat_fs(fs_type: &str) -> bool {
    FAT_FS.contains(&fs_type.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_devices_names_are_cut_to_a_bound_and_short_ones_kept() {
        let d = Device {
            vendor: Some("DummyCo".into()),
            model: Some("M".repeat(100_000)),
            serial: Some("é".repeat(DEVICE_NAME_MAX)),
            ..Device::default()
        }
        .bounded();
        assert_eq!(d.vendor.as_deref(), Some("DummyCo"));
        let model = d.model.unwrap();
        assert_eq!(model.chars().count(), DEVICE_NAME_MAX);
        assert!(model.ends_with('…'));
        assert_eq!(d.serial.unwrap(), "é".repeat(DEVICE_NAME_MAX));
    }

    #[test]
    fn network_types() {
        for (t, s) in [
            ("nfs4", "server:/export"),
            ("cifs", "//nas/share"),
            ("fuse.sshfs", "me@host:/home/me"),
            ("9p", "hostshare"),
            ("fuse.unknownthing", "me@host:/x"),
            ("fuse.rclone", "gdrive:"),
            ("ceph", "10.0.0.1:6789:/"),
            ("glusterfs", "gl:/vol"),
            ("afs", "AFS"),
        ] {
            assert!(is_network_fs(t, s), "{t} {s}");
        }
        for (t, s) in [
            ("ext4", "/dev/sda1"),
            ("tmpfs", "tmpfs"),
            ("vfat", "/dev/sdb1"),
            ("fuseblk", "/dev/sdb1"),
            ("fuse.encfs", "encfs"),
            ("overlay", "overlay"),
        ] {
            assert!(!is_network_fs(t, s), "{t} {s}");
        }
    }

    /// A storage device descriptor: removable flag, bus, and strings.
    fn descriptor(removable: bool, bus: u32, vendor: &str, product: &str, serial: &str) -> Vec<u8> {
        let mut d = vec![0u8; 40];
        d[10] = u8::from(removable);
        d[28..32].copy_from_slice(&bus.to_le_bytes());
        for (field, text) in [(12, vendor), (16, product), (24, serial)] {
            if text.is_empty() {
                continue;
            }
            let off = d.len() as u32;
            d[field..field + 4].copy_from_slice(&off.to_le_bytes());
            d.extend_from_slice(text.as_bytes());
            d.push(0);
        }
        d
    }

    #[test]
    fn a_windows_descriptor_names_the_disk_and_its_kind() {
        let stick = device_from_descriptor(&descriptor(true, 0x7, "DummyCo ", "Stick 32G", "4C53DUMMY"));
        assert_eq!(stick.kind, DeviceKind::UsbFlash);
        assert_eq!(stick.transport.as_deref(), Some("usb"));
        assert_eq!(stick.vendor.as_deref(), Some("DummyCo"));
        assert_eq!(stick.model.as_deref(), Some("Stick 32G"));
        assert_eq!(stick.serial.as_deref(), Some("4C53DUMMY"));
        assert_eq!(stick.encrypted, None, "BitLocker is not asked");
        assert_eq!(
            device_from_descriptor(&descriptor(false, 0x11, "", "NVME DUMMY", "")).kind,
            DeviceKind::Ssd
        );
        assert_eq!(
            device_from_descriptor(&descriptor(true, 0xC, "", "", "")).kind,
            DeviceKind::Sd
        );
        assert_eq!(
            device_from_descriptor(&descriptor(false, 0xF, "", "", "")).kind,
            DeviceKind::Loop
        );
        let sata = device_from_descriptor(&descriptor(false, 0xB, "", "DUMMY DISK", ""));
        assert_eq!(sata.kind, DeviceKind::Unknown, "SSD or spinning disk: not told");
        assert_eq!((sata.vendor, sata.serial), (None, None));
        // Short, or pointing outside itself: nothing is read from outside.
        let mut bad = descriptor(false, 0x7, "", "", "");
        bad[24..28].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        assert_eq!(device_from_descriptor(&bad).serial, None);
        assert_eq!(device_from_descriptor(&[0u8; 12]), Device::default());
    }

    #[test]
    fn a_macos_plist_names_the_kind_and_filevault() {
        let of = |pairs: &[(&'static str, &'static str)]| {
            let pairs = pairs.to_vec();
            device_from_plist(move |k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v))
        };
        let internal = of(&[
            ("BusProtocol", "Apple Fabric"),
            ("SolidState", "true"),
            ("MediaName", "DUMMY SSD "),
            ("FileVault", "true"),
        ]);
        assert_eq!(internal.kind, DeviceKind::Ssd);
        assert_eq!(internal.model.as_deref(), Some("DUMMY SSD"));
        assert_eq!(
            (internal.vendor, internal.serial),
            (None, None),
            "diskutil does not say"
        );
        assert_eq!(internal.encrypted, Some(true));
        let stick = of(&[
            ("BusProtocol", "USB"),
            ("RemovableMedia", "true"),
            ("SolidState", "false"),
        ]);
        assert_eq!(
            (stick.kind, stick.transport.as_deref()),
            (DeviceKind::UsbFlash, Some("usb"))
        );
        assert_eq!(stick.encrypted, None, "not encrypted is not proven");
        assert_eq!(
            of(&[("BusProtocol", "SATA"), ("SolidState", "false")]).kind,
            DeviceKind::Hdd
        );
        assert_eq!(of(&[("BusProtocol", "Secure Digital")]).kind, DeviceKind::Sd);
        assert_eq!(of(&[("BusProtocol", "Disk Image")]).kind, DeviceKind::Loop);
        assert_eq!(of(&[("VirtualOrPhysical", "Virtual")]).kind, DeviceKind::Virtual);
        assert_eq!(of(&[]), Device::default());
    }

    #[test]
    fn fat_limits() {
        let fat = Medium {
            fat: true,
            fs_type: "vfat".into(),
            ..Medium::default()
        };
        let out = Path::new("x.kura");
        assert!(check_fat(&fat, out, FAT_MAX_FILE, None).is_ok());
        let e = check_fat(&fat, out, FAT_MAX_FILE + 1, None).unwrap_err();
        assert_eq!((e.kind, e.id), (Kind::Io, "err-fat-too-big"));
        assert!(check_fat(&fat, out, 10 << 30, Some(2 << 30)).is_ok());
        assert_eq!(
            check_fat(&fat, out, 1, Some(4 << 30)).unwrap_err().id,
            "err-split-over-fat"
        );
        let ext4 = Medium::default();
        assert!(check_fat(&ext4, out, 10 << 30, None).is_ok());
    }

    #[test]
    fn space() {
        let m = Medium {
            free: Some(1000),
            ..Medium::default()
        };
        assert!(check_space(&m, Path::new("x"), 999, 5).is_ok());
        assert_eq!(
            check_space(&m, Path::new("x"), 1001, 5).unwrap_err().id,
            "err-space-short"
        );
        assert!(check_space(&Medium::default(), Path::new("x"), u64::MAX, 5).is_ok());
    }
}
