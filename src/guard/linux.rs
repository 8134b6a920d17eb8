//! Linux: which mount holds a path (`/proc/self/mountinfo`), what it is
//! (`statfs` magic, the mount's type and source), and whether its disk is
//! portable (sysfs).
//!
//! A path's mount is the mountinfo entry with the longest mount point that
//! contains it (the last one listed wins when mounts are stacked). Its block
//! device comes from the entry's `major:minor` through `/sys/dev/block/M:m`,
//! or, for file systems with anonymous device numbers (btrfs), from the
//! mount source `/dev/NAME` through `/sys/class/block/NAME`. A partition is
//! judged by its disk. The disk is portable when:
//! - its `removable` attribute is 1 (USB sticks, card readers);
//! - its sysfs path runs through a USB controller (`…/usbN/…`: external USB
//!   disks, which report removable 0);
//! - it is an SD or MMC card (`mmcblk*` whose `device/type` is `SD`).
//!
//! Stacked devices are followed: device-mapper (LUKS, LVM) and md through
//! `slaves/`, loop devices through `loop/backing_file`, so an encrypted
//! container on a stick still counts as the stick.
//!
//! The device under a file system ([`super::Device`]) is read the same
//! way, down the stack to the whole disk: a dm-crypt mapping on the way
//! (`dm/uuid` starting `CRYPT-`) means an encrypted volume; the disk's
//! `device/vendor`, `device/model`, `device/serial` (or `wwid`), a USB
//! device's `serial` above it, and udev's `/run/udev/data/bMAJ:MIN`
//! (`ID_VENDOR`, `ID_MODEL`, `ID_SERIAL_SHORT`) name it; its transport
//! comes from its sysfs path (`usbN`, `nvme`, `mmc`, `virtio`, `ata`), its
//! kind from that, `removable`, `queue/rotational` and `device/type`.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::{existing_ancestor, is_fat_fs, is_network_fs, Device, DeviceKind, Medium, Portable, Probe};
use crate::error::Result;

/// Reads the real `/proc` and `/sys`, or a fixture tree shaped like them.
pub struct Linux {
    root: PathBuf,
    real: bool,
}

/// One line of mountinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub major: u32,
    pub minor: u32,
    pub mount_point: PathBuf,
    pub fs_type: String,
    pub source: String,
}

/// Undoes mountinfo's octal escapes (`\040` for a space, …).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') as u32 * 64 + (b[i + 2] - b'0') as u32 * 8 + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `/proc/self/mountinfo` (see proc(5)); malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(sep) = fields.iter().position(|f| *f == "-") else {
            continue;
        };
        if sep < 6 || fields.len() < sep + 3 {
            continue;
        }
        let Some((maj, min)) = fields[2].split_once(':') else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (maj.parse(), min.parse()) else {
            continue;
        };
        let fs_type = fields[sep + 1].to_string();
        out.push(Mount {
            major,
            minor,
            mount_point: PathBuf::from(unescape(fields[4])),
            fs_type,
            source: unescape(fields[sep + 2]),
        });
    }
    out
}

/// The mount holding `path` (absolute, without links): the longest mount
/// point that is a prefix of it, the last one listed on ties.
pub fn mount_of<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    let mut best: Option<&Mount> = None;
    for m in mounts {
        if path.starts_with(&m.mount_point) {
            let longer = best.is_none_or(|b| m.mount_point.components().count() >= b.mount_point.components().count());
            if longer {
                best = Some(m);
            }
        }
    }
    best
}

// statfs(2) magic numbers (linux/magic.h and the file systems' sources).
const MSDOS_SUPER_MAGIC: i64 = 0x4d44;
const EXFAT_SUPER_MAGIC: i64 = 0x2011_BAB0;
const NETWORK_MAGIC: &[(i64, &str)] = &[
    (0x6969, "nfs"),
    (0x517B, "smb"),
    (0xFF53_4D42, "cifs"),
    (0xFE53_4D42, "smb2"),
    (0x7375_7245, "coda"),
    (0x5346_414F, "afs"),
    (0x6B41_4653, "afs"),
    (0x00C3_6400, "ceph"),
    (0x0102_1997, "9p"),
    (0x564C, "ncp"),
    (0x2003_0528, "orangefs"),
    (0x0BD0_0BD0, "lustre"),
    (0x7461_636F, "ocfs2"),
    (0x0116_1970, "gfs2"),
];

/// `statfs` of a path: (magic, bytes available to unprivileged users).
fn statfs(path: &Path) -> Option<(i64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statfs.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)]
    let magic = st.f_type as i64;
    #[allow(clippy::unnecessary_cast)]
    let free = (st.f_bavail as u64).saturating_mul(st.f_bsize as u64);
    Some((magic, free))
}

fn read_trim(p: &Path) -> Option<String> {
    fs::read_to_string(p).ok().map(|s| s.trim().to_string())
}

/// A sysfs attribute as a value: trimmed, `None` when absent or empty.
fn attr(p: &Path) -> Option<String> {
    read_trim(p).filter(|s| !s.is_empty())
}

/// The whole disk of a block device's sysfs directory (a partition's
/// parent).
fn whole_disk(dev: &Path) -> PathBuf {
    if dev.join("partition").exists() {
        dev.parent().map(Path::to_path_buf).unwrap_or_else(|| dev.to_path_buf())
    } else {
        dev.to_path_buf()
    }
}

/// Whether a sysfs path runs through a USB controller (`…/usbN/…`).
fn via_usb(p: &Path) -> bool {
    p.to_string_lossy()
        .split('/')
        .any(|c| c.len() > 3 && c.starts_with("usb") && c[3..].bytes().all(|b| b.is_ascii_digit()))
}

/// How a disk is attached, from its sysfs path and name.
fn transport(disk: &Path, name: &str) -> Option<&'static str> {
    let s = disk.to_string_lossy();
    let has = |c: &str| s.split('/').any(|x| x.starts_with(c));
    if via_usb(disk) {
        Some("usb")
    } else if name.starts_with("nvme") || has("nvme") {
        Some("nvme")
    } else if name.starts_with("mmcblk") {
        Some("mmc")
    } else if has("virtio") || name.starts_with("vd") || name.starts_with("xvd") {
        Some("virtio")
    } else if has("ata") {
        Some("ata")
    } else if has("host") && has("target") {
        Some("scsi")
    } else {
        None
    }
}

/// The kind of a whole disk (not a stacked device).
fn disk_kind(disk: &Path, name: &str, transport: Option<&str>) -> DeviceKind {
    let rotational = read_trim(&disk.join("queue/rotational"));
    let by_rotation = match rotational.as_deref() {
        Some("0") => DeviceKind::Ssd,
        Some("1") => DeviceKind::Hdd,
        _ => DeviceKind::Unknown,
    };
    if name.starts_with("loop") {
        return DeviceKind::Loop;
    }
    if name.starts_with("zram") || name.starts_with("ram") {
        return DeviceKind::Memory;
    }
    match transport {
        Some("usb") if read_trim(&disk.join("removable")).as_deref() == Some("1") => DeviceKind::UsbFlash,
        Some("usb") => by_rotation,
        Some("nvme") => DeviceKind::Ssd,
        Some("mmc") => match read_trim(&disk.join("device/type")).as_deref() {
            Some("SD") => DeviceKind::Sd,
            Some("MMC") => DeviceKind::Ssd,
            _ => DeviceKind::Unknown,
        },
        Some("virtio") => DeviceKind::Virtual,
        _ if disk.to_string_lossy().contains("/devices/virtual/") => DeviceKind::Unknown,
        _ => by_rotation,
    }
}

/// Whether a disk says it is a virtual machine's (QEMU, VMware, Hyper-V,
/// VirtualBox, Xen): its maker or model names the hypervisor, or it sits
/// on Hyper-V's VMBus. Such a disk reports "rotational" or not as its
/// hypervisor pleases, so its kind is `virtual`, not `hdd` or `ssd`.
fn virtual_disk(disk: &Path, vendor: Option<&str>, model: Option<&str>) -> bool {
    let names = format!("{} {}", vendor.unwrap_or(""), model.unwrap_or("")).to_ascii_lowercase();
    let makers = ["qemu", "vmware", "msft virtual", "vbox", "virtual disk", "xen"];
    makers.iter().any(|m| names.contains(m)) || disk.to_string_lossy().to_ascii_lowercase().contains("/vmbus")
}

/// udev's properties of a block device (`E:KEY=VALUE` lines).
fn udev_props(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("E:"))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

impl Linux {
    /// The running system.
    pub fn real() -> Self {
        Linux {
            root: PathBuf::from("/"),
            real: true,
        }
    }

    /// A fixture: `root/proc/self/mountinfo` and `root/sys/…` stand in for
    /// the real ones. Paths to classify are still real paths; `statfs` is
    /// used only for free space.
    pub fn with_root(root: PathBuf) -> Self {
        Linux { root, real: false }
    }

    fn sys(&self, rel: &str) -> PathBuf {
        self.root.join("sys").join(rel)
    }

    /// Resolves a sysfs link inside the root (fixtures use links relative
    /// to their own tree, as sysfs does).
    fn resolve(&self, link: &Path) -> Option<PathBuf> {
        if self.real {
            return fs::canonicalize(link).ok();
        }
        let target = fs::read_link(link).ok()?;
        let mut p = link.parent()?.to_path_buf();
        for c in target.components() {
            match c {
                Component::ParentDir => {
                    p.pop();
                }
                Component::Normal(n) => p.push(n),
                Component::RootDir => p = self.root.clone(),
                _ => {}
            }
        }
        Some(p)
    }

    /// The sysfs directory of the mount's block device, if it has one.
    fn device_dir(&self, m: &Mount) -> Option<PathBuf> {
        if m.major != 0 {
            if let Some(d) = self.resolve(&self.sys(&format!("dev/block/{}:{}", m.major, m.minor))) {
                return Some(d);
            }
        }
        let mut source = PathBuf::from(&m.source);
        if self.real {
            if let Ok(c) = fs::canonicalize(&source) {
                source = c; // /dev/mapper/x -> /dev/dm-0
            }
        }
        let name = source.strip_prefix("/dev").ok()?.file_name()?.to_str()?.to_string();
        self.resolve(&self.sys(&format!("class/block/{name}")))
    }

    /// Whether a block device (sysfs dir) is portable, following stacked
    /// devices; `depth` bounds the walk.
    fn portable(&self, dev: &Path, depth: u32) -> (Option<Portable>, PathBuf) {
        let disk = whole_disk(dev);
        if depth > 8 {
            return (None, disk);
        }
        let name = disk.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if via_usb(&disk) {
            return (Some(Portable::Usb), disk);
        }
        if read_trim(&disk.join("removable")).as_deref() == Some("1") {
            return (Some(Portable::RemovableFlag), disk);
        }
        if name.starts_with("mmcblk") && read_trim(&disk.join("device/type")).as_deref() == Some("SD") {
            return (Some(Portable::Card), disk);
        }
        // Stacked devices: dm-crypt, LVM and md sit on their slaves.
        if let Ok(rd) = fs::read_dir(dev.join("slaves")) {
            for e in rd.flatten() {
                if let Some(slave) = self.resolve(&e.path()) {
                    let (p, sdisk) = self.portable(&slave, depth + 1);
                    if p.is_some() {
                        return (p, sdisk);
                    }
                }
            }
        }
        // A loop device is as portable as the file behind it.
        if let Some(backing) = read_trim(&disk.join("loop/backing_file")) {
            if self.real && depth < 4 {
                if let Ok(m) = self.medium_at(Path::new(&backing), depth + 1) {
                    if let (Some(p), Some(d)) = (m.portable, m.disk) {
                        return (Some(p), PathBuf::from(d));
                    }
                }
            }
        }
        (None, disk)
    }

    /// The device holding a mount: memory and network file systems by
    /// their type, block devices by walking their stack down to the disk.
    fn device(&self, mount: &Mount, dev: Option<&Path>, network: bool) -> Device {
        let t = mount.fs_type.to_ascii_lowercase();
        if network {
            return Device {
                kind: DeviceKind::Network,
                ..Device::default()
            };
        }
        if t == "tmpfs" || t == "ramfs" {
            return Device {
                kind: DeviceKind::Memory,
                ..Device::default()
            };
        }
        let mut d = match dev {
            Some(dev) => self.stack(dev),
            None => Device::default(),
        };
        if t == "ecryptfs" {
            d.encrypted = Some(true);
        }
        d
    }

    /// Walks a block device down through its slaves (device-mapper, md)
    /// to the first whole disk, noting any dm-crypt mapping on the way.
    fn stack(&self, dev: &Path) -> Device {
        let mut crypt = false;
        let mut cur = dev.to_path_buf();
        for _ in 0..8 {
            let disk = whole_disk(&cur);
            if attr(&disk.join("dm/uuid")).is_some_and(|u| u.starts_with("CRYPT-")) {
                crypt = true;
            }
            let slave = fs::read_dir(disk.join("slaves")).ok().and_then(|rd| {
                let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
                names.sort();
                names.into_iter().find_map(|p| self.resolve(&p))
            });
            match slave {
                Some(s) => cur = s,
                None => {
                    let mut d = self.disk(&disk);
                    d.encrypted = Some(crypt);
                    return d;
                }
            }
        }
        Device {
            encrypted: crypt.then_some(true),
            ..Device::default()
        }
    }

    /// What a whole disk is and who made it.
    fn disk(&self, disk: &Path) -> Device {
        let name = disk.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let transport = transport(disk, &name);
        let mut d = Device {
            kind: disk_kind(disk, &name, transport),
            transport: transport.map(str::to_string),
            vendor: attr(&disk.join("device/vendor")),
            model: attr(&disk.join("device/model")),
            serial: attr(&disk.join("device/serial"))
                .or_else(|| attr(&disk.join("serial")))
                .or_else(|| attr(&disk.join("device/wwid")))
                .or_else(|| attr(&disk.join("wwid"))),
            encrypted: None,
        };
        // A USB disk's serial number is its USB device's, further up.
        if d.serial.is_none() && transport == Some("usb") {
            let mut p = disk.parent();
            while let Some(dir) = p.filter(|p| via_usb(p)) {
                if dir.join("idVendor").exists() {
                    d.serial = attr(&dir.join("serial"));
                    break;
                }
                p = dir.parent();
            }
        }
        if matches!(d.kind, DeviceKind::Ssd | DeviceKind::Hdd | DeviceKind::Unknown)
            && virtual_disk(disk, d.vendor.as_deref(), d.model.as_deref())
        {
            d.kind = DeviceKind::Virtual;
        }
        // udev knows what sysfs leaves out (the serial of a SCSI disk).
        if let Some(devno) = attr(&disk.join("dev")) {
            let udev = self.root.join(format!("run/udev/data/b{devno}"));
            let props = udev_props(&fs::read_to_string(udev).unwrap_or_default());
            let get = |k: &str| {
                props
                    .iter()
                    .find(|(key, v)| key == k && !v.is_empty())
                    .map(|(_, v)| v.clone())
            };
            d.vendor = d.vendor.or_else(|| get("ID_VENDOR"));
            d.model = d.model.or_else(|| get("ID_MODEL"));
            d.serial = d.serial.or_else(|| get("ID_SERIAL_SHORT"));
        }
        d
    }

    fn mountinfo(&self) -> String {
        fs::read_to_string(self.root.join("proc/self/mountinfo")).unwrap_or_default()
    }

    fn medium_at(&self, path: &Path, depth: u32) -> Result<Medium> {
        let at = existing_ancestor(path);
        let mounts = parse_mountinfo(&self.mountinfo());
        let mut m = Medium {
            path: at.clone(),
            ..Medium::default()
        };
        if let Some(mount) = mount_of(&mounts, &at) {
            m.mount_point = mount.mount_point.clone();
            m.fs_type = mount.fs_type.clone();
            m.source = mount.source.clone();
            m.network = is_network_fs(&mount.fs_type, &mount.source);
            m.fat = is_fat_fs(&mount.fs_type);
            let dev = self.device_dir(mount);
            if let Some(dev) = &dev {
                let (portable, disk) = self.portable(dev, depth);
                m.portable = portable;
                m.disk = Some(disk.to_string_lossy().into_owned());
            } else if m.network {
                m.disk = Some(mount.source.clone());
            }
            m.device = self.device(mount, dev.as_deref(), m.network);
        }
        if let Some((magic, free)) = statfs(&at) {
            m.free = Some(free);
            if self.real {
                if magic == MSDOS_SUPER_MAGIC || magic == EXFAT_SUPER_MAGIC {
                    m.fat = true;
                }
                if let Some((_, name)) = NETWORK_MAGIC.iter().find(|(x, _)| *x == magic) {
                    m.network = true;
                    m.device = Device {
                        kind: DeviceKind::Network,
                        ..Device::default()
                    };
                    if m.fs_type.is_empty() {
                        m.fs_type = name.to_string();
                    }
                }
            }
        }
        Ok(m)
    }
}

impl Probe for Linux {
    fn medium(&self, path: &Path) -> Result<Medium> {
        self.medium_at(path, 0)
    }
}

/// A fake `/proc/self/mountinfo` and `/sys` tree, for tests and for trying
/// kura's rules on a machine without such media (see [`Linux::with_root`]).
pub struct Fixture {
    root: PathBuf,
    lines: Vec<String>,
}

impl Fixture {
    /// Starts a fixture in `root` with `/` mounted from an internal disk.
    pub fn new(root: &Path) -> std::io::Result<Fixture> {
        let mut f = Fixture {
            root: root.to_path_buf(),
            lines: Vec::new(),
        };
        f.block(
            "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0",
            "sda",
            Some("sda1"),
            false,
            (8, 1),
        )?;
        f.mount(Path::new("/"), "ext4", "/dev/sda1", (8, 1))?;
        Ok(f)
    }

    fn link(&self, at: &Path, target: &Path) -> std::io::Result<()> {
        if let Some(p) = at.parent() {
            fs::create_dir_all(p)?;
        }
        let _ = fs::remove_file(at);
        std::os::unix::fs::symlink(target, at)
    }

    /// Adds a block device: disk `disk` under `/sys/devices/PARENT/block`,
    /// with partition `part` if given, numbered `dev` (major, minor).
    pub fn block(
        &mut self,
        parent: &str,
        disk: &str,
        part: Option<&str>,
        removable: bool,
        dev: (u32, u32),
    ) -> std::io::Result<()> {
        let rel_disk = format!("devices/{parent}/block/{disk}");
        let disk_dir = self.root.join("sys").join(&rel_disk);
        fs::create_dir_all(&disk_dir)?;
        fs::write(disk_dir.join("removable"), if removable { "1\n" } else { "0\n" })?;
        // The whole disk's number: the partition's minor less its index,
        // as the kernel numbers them (sda 8:0, sda1 8:1).
        let disk_minor = if part.is_some() { dev.1 - dev.1 % 16 } else { dev.1 };
        fs::write(disk_dir.join("dev"), format!("{}:{}\n", dev.0, disk_minor))?;
        let (rel, name) = match part {
            Some(p) => {
                fs::create_dir_all(disk_dir.join(p))?;
                fs::write(disk_dir.join(p).join("partition"), "1\n")?;
                (format!("{rel_disk}/{p}"), p)
            }
            None => (rel_disk, disk),
        };
        let sys = self.root.join("sys");
        self.link(
            &sys.join(format!("dev/block/{}:{}", dev.0, dev.1)),
            &Path::new("../..").join(&rel),
        )?;
        self.link(&sys.join(format!("class/block/{name}")), &Path::new("../..").join(&rel))
    }

    /// Adds a device-mapper device `dm-N` (numbered `dev`) on top of the
    /// block device whose sysfs path (below `/sys/devices`) is `slave`.
    pub fn mapper(&mut self, n: u32, slave: &str, dev: (u32, u32)) -> std::io::Result<()> {
        let rel = format!("devices/virtual/block/dm-{n}");
        let sys = self.root.join("sys");
        let name = Path::new(slave)
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("slave")
            .to_string();
        fs::create_dir_all(sys.join(&rel).join("slaves"))?;
        self.link(
            &sys.join(&rel).join("slaves").join(name),
            &Path::new("../../../..").join(slave),
        )?;
        self.link(
            &sys.join(format!("dev/block/{}:{}", dev.0, dev.1)),
            &Path::new("../..").join(&rel),
        )?;
        self.link(&sys.join(format!("class/block/dm-{n}")), &Path::new("../..").join(&rel))
    }

    /// Writes the sysfs attribute `rel` (below `/sys/devices`, such as
    /// `PARENT/block/sdb/queue/rotational` or `PARENT/block/sdb/device/model`).
    pub fn attr(&self, rel: &str, value: &str) -> std::io::Result<()> {
        let p = self.root.join("sys/devices").join(rel);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d)?;
        }
        fs::write(p, format!("{value}\n"))
    }

    /// Writes udev's record of the block device numbered `dev`
    /// (`/run/udev/data/bMAJ:MIN`) with these `E:` properties.
    pub fn udev(&self, dev: (u32, u32), props: &[(&str, &str)]) -> std::io::Result<()> {
        let d = self.root.join("run/udev/data");
        fs::create_dir_all(&d)?;
        let text: String = props.iter().map(|(k, v)| format!("E:{k}={v}\n")).collect();
        fs::write(d.join(format!("b{}:{}", dev.0, dev.1)), text)
    }

    /// Marks the device-mapper device `dm-N` a dm-crypt (LUKS) mapping.
    pub fn crypt(&self, n: u32) -> std::io::Result<()> {
        self.attr(
            &format!("virtual/block/dm-{n}/dm/uuid"),
            &format!("CRYPT-LUKS2-0123456789abcdef0123456789abcdef-luks-dm{n}"),
        )
    }

    /// Mounts `fs_type` from `source` (device `dev`) at `mount_point` and
    /// rewrites `proc/self/mountinfo`.
    pub fn mount(&mut self, mount_point: &Path, fs_type: &str, source: &str, dev: (u32, u32)) -> std::io::Result<()> {
        let id = 20 + self.lines.len();
        let mp = mount_point
            .to_string_lossy()
            .replace('\\', "\\134")
            .replace(' ', "\\040");
        self.lines.push(format!(
            "{id} 1 {}:{} / {mp} rw,relatime - {fs_type} {source} rw",
            dev.0, dev.1
        ));
        let p = self.root.join("proc/self");
        fs::create_dir_all(&p)?;
        fs::write(p.join("mountinfo"), self.lines.join("\n") + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines() {
        let text = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
                    42 27 0:39 / /mnt/my\\040stick rw shared:1 - vfat /dev/sdb1 rw\n\
                    43 27 0:40 / /net rw - nfs4 server:/export rw\n\
                    garbage\n";
        let m = parse_mountinfo(text);
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].mount_point, PathBuf::from("/mnt/my stick"));
        assert_eq!(m[1].fs_type, "vfat");
        assert_eq!(m[2].source, "server:/export");
        assert_eq!(mount_of(&m, Path::new("/mnt/my stick/a/b")).unwrap().fs_type, "vfat");
        assert_eq!(mount_of(&m, Path::new("/mnt/my sticker")).unwrap().fs_type, "ext4");
        assert_eq!(mount_of(&m, Path::new("/net")).unwrap().fs_type, "nfs4");
    }

    #[test]
    fn real_root_is_classified() {
        let m = Linux::real().medium(Path::new("/")).unwrap();
        assert_eq!(m.mount_point, PathBuf::from("/"));
        assert!(!m.fs_type.is_empty());
        assert!(m.free.is_some());
    }
    /// A laptop with an internal disk, a USB stick (removable), an external
    /// USB disk (not flagged removable), an SD card, a LUKS container on the
    /// stick, a btrfs partition on it, and an NFS mount.
    fn laptop(tmp: &Path) -> (Linux, PathBuf) {
        let root = tmp.join("fixture");
        let data = tmp.join("data");
        let mut f = Fixture::new(&root).unwrap();
        let usb = "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0";
        f.block(usb, "sdb", Some("sdb1"), true, (8, 17)).unwrap();
        f.block(usb, "sdb", Some("sdb2"), true, (8, 18)).unwrap();
        f.block(usb, "sdb", Some("sdb3"), true, (8, 19)).unwrap();
        let usb2 = "pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host7/target7:0:0/7:0:0:0";
        f.block(usb2, "sdc", Some("sdc1"), false, (8, 33)).unwrap();
        let mmc = "platform/fe320000.mmc/mmc_host/mmc0/mmc0:aaaa";
        f.block(mmc, "mmcblk0", Some("mmcblk0p1"), false, (179, 1)).unwrap();
        std::fs::write(root.join("sys/devices").join(mmc).join("block/mmcblk0/device"), "").ok();
        std::fs::remove_file(root.join("sys/devices").join(mmc).join("block/mmcblk0/device")).ok();
        std::fs::create_dir_all(root.join("sys/devices").join(mmc).join("block/mmcblk0/device")).unwrap();
        std::fs::write(
            root.join("sys/devices").join(mmc).join("block/mmcblk0/device/type"),
            "SD\n",
        )
        .unwrap();
        f.mapper(1, &format!("{usb}/block/sdb/sdb2"), (254, 1)).unwrap();
        for (dir, fs, src, dev) in [
            ("stick", "vfat", "/dev/sdb1", (8, 17)),
            ("usbdisk", "ext4", "/dev/sdc1", (8, 33)),
            ("sd", "exfat", "/dev/mmcblk0p1", (179, 1)),
            ("luks", "ext4", "/dev/mapper/secret", (254, 1)),
            ("btrfs", "btrfs", "/dev/sdb3", (0, 51)),
            ("nfs", "nfs4", "server:/export", (0, 52)),
            ("sshfs", "fuse.sshfs", "me@host:/home/me", (0, 53)),
            ("internal", "ext4", "/dev/sda1", (8, 1)),
        ] {
            std::fs::create_dir_all(data.join(dir)).unwrap();
            f.mount(&data.join(dir), fs, src, dev).unwrap();
        }
        (Linux::with_root(root), data)
    }

    #[test]
    fn fixture_media_are_classified() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let (probe, data) = laptop(&tmp);
        let m = |d: &str| probe.medium(&data.join(d).join("not/yet/made")).unwrap();
        let stick = m("stick");
        assert_eq!(stick.portable, Some(Portable::Usb));
        assert!(stick.fat && !stick.network);
        assert_eq!(m("usbdisk").portable, Some(Portable::Usb));
        assert_eq!(m("sd").portable, Some(Portable::Card));
        assert!(m("sd").fat);
        assert_eq!(m("luks").portable, Some(Portable::Usb));
        assert_eq!(m("btrfs").portable, Some(Portable::Usb));
        assert_eq!(m("luks").disk, stick.disk, "the container is on the stick");
        assert_eq!(m("btrfs").disk, stick.disk);
        assert!(m("nfs").network && m("nfs").portable.is_none());
        assert!(m("sshfs").network);
        let internal = m("internal");
        assert!(internal.portable.is_none() && !internal.network && !internal.fat);
        assert_ne!(internal.disk, stick.disk);
    }

    #[test]
    fn fixture_removable_flag_without_usb() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let root = tmp.join("fx");
        let mut f = Fixture::new(&root).unwrap();
        f.block(
            "pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0",
            "sdd",
            None,
            true,
            (8, 48),
        )
        .unwrap();
        f.mount(&tmp, "ext4", "/dev/sdd", (8, 48)).unwrap();
        let m = Linux::with_root(root).medium(&tmp.join("x")).unwrap();
        assert_eq!(m.portable, Some(Portable::RemovableFlag));
    }

    #[test]
    fn rules_on_fixture_media() {
        use super::super::{check_extract_dest, check_key_apart, check_pack_output, Allow};
        use crate::error::Kind;
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let (probe, data) = laptop(&tmp);
        let none = Allow::default();
        let e = check_extract_dest(&probe, &data.join("stick/out"), none).unwrap_err();
        assert_eq!((e.kind, e.id), (Kind::Policy, "err-guard-removable"));
        let all = Allow {
            removable: true,
            network: true,
            key_with_vault: true,
        };
        assert!(check_extract_dest(&probe, &data.join("stick/out"), all).is_ok());
        assert!(check_extract_dest(&probe, &data.join("internal/out"), none).is_ok());
        assert_eq!(
            check_extract_dest(&probe, &data.join("nfs/out"), none).unwrap_err().id,
            "err-guard-network"
        );
        assert_eq!(
            check_pack_output(&probe, &data.join("sshfs/x.kura"), none)
                .unwrap_err()
                .id,
            "err-guard-network"
        );
        assert!(check_pack_output(&probe, &data.join("stick/x.kura"), none).is_ok());
        let vault = data.join("stick/x.kura");
        let vm = probe.medium(&vault).unwrap();
        let e = check_key_apart(&probe, &[data.join("luks/me.key")], &vault, &vm, none).unwrap_err();
        assert_eq!((e.kind, e.id), (Kind::Policy, "err-guard-key-with-vault"));
        assert!(check_key_apart(&probe, &[data.join("internal/me.key")], &vault, &vm, none).is_ok());
        assert!(check_key_apart(&probe, &[data.join("usbdisk/me.key")], &vault, &vm, none).is_ok());
        assert!(check_key_apart(&probe, &[data.join("luks/me.key")], &vault, &vm, all).is_ok());
        // Both on the internal disk: nothing travels.
        let iv = data.join("internal/x.kura");
        let im = probe.medium(&iv).unwrap();
        assert!(check_key_apart(&probe, &[data.join("internal/me.key")], &iv, &im, none).is_ok());
    }

    #[test]
    fn tmpfs_is_neither_removable_nor_network() {
        // /dev/shm is a tmpfs on every Linux system.
        let m = Linux::real().medium(Path::new("/dev/shm")).unwrap();
        assert_eq!(m.fs_type, "tmpfs");
        assert!(m.portable.is_none() && !m.network && !m.fat);
    }

    /// A desk computer: an internal SSD (ata), an internal spinning disk,
    /// an NVMe disk, a USB stick with a LUKS partition, a disk that tells
    /// nothing about itself, and an SD card.
    #[test]
    fn fixture_devices_are_described() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let root = tmp.join("fx");
        let data = tmp.join("data");
        let mut f = Fixture::new(&root).unwrap();
        let sda = "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0";
        f.attr(&format!("{sda}/block/sda/queue/rotational"), "0").unwrap();
        f.attr(&format!("{sda}/block/sda/device/vendor"), "ATA     ").unwrap();
        f.attr(&format!("{sda}/block/sda/device/model"), "DUMMY SSD 512GB")
            .unwrap();
        f.udev((8, 0), &[("ID_SERIAL_SHORT", "S0DUMMY0001"), ("ID_MODEL", "ignored")])
            .unwrap();
        let hdd = "pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0";
        f.block(hdd, "sdb", Some("sdb1"), false, (8, 17)).unwrap();
        f.attr(&format!("{hdd}/block/sdb/queue/rotational"), "1").unwrap();
        let nvme = "pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0";
        f.block(nvme, "nvme0n1", Some("nvme0n1p1"), false, (259, 1)).unwrap();
        f.attr(&format!("{nvme}/block/nvme0n1/device/serial"), "NVME-DUMMY-7")
            .unwrap();
        let usb = "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0";
        f.block(usb, "sdc", Some("sdc1"), true, (8, 33)).unwrap();
        f.block(usb, "sdc", Some("sdc2"), true, (8, 34)).unwrap();
        f.attr(&format!("{usb}/block/sdc/device/vendor"), "DummyCo").unwrap();
        f.attr(&format!("{usb}/block/sdc/device/model"), "Stick 32G").unwrap();
        f.attr("pci0000:00/0000:00:14.0/usb1/1-1/idVendor", "0781").unwrap();
        f.attr("pci0000:00/0000:00:14.0/usb1/1-1/serial", "4C53DUMMY").unwrap();
        f.mapper(3, &format!("{usb}/block/sdc/sdc2"), (254, 3)).unwrap();
        f.crypt(3).unwrap();
        f.mapper(4, &format!("{hdd}/block/sdb/sdb1"), (254, 4)).unwrap();
        let odd = "platform/odd0/host9/target9:0:0/9:0:0:0";
        f.block(odd, "sde", None, false, (8, 64)).unwrap();
        let mmc = "platform/fe320000.mmc/mmc_host/mmc0/mmc0:aaaa";
        f.block(mmc, "mmcblk0", Some("mmcblk0p1"), false, (179, 1)).unwrap();
        f.attr(&format!("{mmc}/block/mmcblk0/device/type"), "SD").unwrap();
        let vm = "pci0000:00/0000:00:10.0/host32/target32:0:0/32:0:0:0";
        f.block(vm, "sdf", Some("sdf1"), false, (8, 81)).unwrap();
        f.attr(&format!("{vm}/block/sdf/queue/rotational"), "1").unwrap();
        f.attr(&format!("{vm}/block/sdf/device/vendor"), "VMware,").unwrap();
        f.attr(&format!("{vm}/block/sdf/device/model"), "Virtual disk").unwrap();
        for (dir, fs, src, dev) in [
            ("hdd", "ext4", "/dev/sdb1", (8, 17)),
            ("nvme", "xfs", "/dev/nvme0n1p1", (259, 1)),
            ("stick", "vfat", "/dev/sdc1", (8, 33)),
            ("luks", "ext4", "/dev/mapper/secret", (254, 3)),
            ("lvm", "ext4", "/dev/mapper/vg-lv", (254, 4)),
            ("odd", "ext4", "/dev/sde", (8, 64)),
            ("sd", "exfat", "/dev/mmcblk0p1", (179, 1)),
            ("vm", "ext4", "/dev/sdf1", (8, 81)),
            ("nfs", "nfs4", "server:/export", (0, 52)),
            ("ram", "tmpfs", "tmpfs", (0, 60)),
        ] {
            fs::create_dir_all(data.join(dir)).unwrap();
            f.mount(&data.join(dir), fs, src, dev).unwrap();
        }
        let probe = Linux::with_root(root);
        let d = |p: &Path| probe.medium(p).unwrap().device;
        let internal = d(&tmp.join("elsewhere"));
        assert_eq!(internal.kind, DeviceKind::Ssd);
        assert_eq!(internal.transport.as_deref(), Some("ata"));
        assert_eq!(internal.vendor.as_deref(), Some("ATA"));
        assert_eq!(
            internal.model.as_deref(),
            Some("DUMMY SSD 512GB"),
            "sysfs first, udev fills gaps"
        );
        assert_eq!(internal.serial.as_deref(), Some("S0DUMMY0001"));
        assert_eq!(internal.encrypted, Some(false));
        let d = |dir: &str| probe.medium(&data.join(dir).join("x")).unwrap().device;
        assert_eq!(d("hdd").kind, DeviceKind::Hdd);
        let nvme = d("nvme");
        assert_eq!((nvme.kind, nvme.transport.as_deref()), (DeviceKind::Ssd, Some("nvme")));
        assert_eq!(nvme.serial.as_deref(), Some("NVME-DUMMY-7"));
        let stick = d("stick");
        assert_eq!(stick.kind, DeviceKind::UsbFlash);
        assert_eq!(stick.vendor.as_deref(), Some("DummyCo"));
        assert_eq!(stick.model.as_deref(), Some("Stick 32G"));
        assert_eq!(stick.serial.as_deref(), Some("4C53DUMMY"), "the USB device's serial");
        assert_eq!(stick.encrypted, Some(false));
        let luks = d("luks");
        assert_eq!(luks.encrypted, Some(true), "a dm-crypt mapping under the file system");
        assert_eq!(
            (luks.kind, luks.serial.as_deref()),
            (DeviceKind::UsbFlash, Some("4C53DUMMY"))
        );
        let lvm = d("lvm");
        assert_eq!(
            (lvm.kind, lvm.encrypted),
            (DeviceKind::Hdd, Some(false)),
            "a mapping that is not dm-crypt"
        );
        let odd = d("odd");
        assert_eq!(odd.kind, DeviceKind::Unknown, "no rotational attribute: not guessed");
        assert_eq!((odd.vendor, odd.model, odd.serial), (None, None, None));
        assert_eq!(d("sd").kind, DeviceKind::Sd);
        assert_eq!(d("vm").kind, DeviceKind::Virtual, "a disk named by its hypervisor");
        assert_eq!(d("nfs").kind, DeviceKind::Network);
        assert_eq!(d("nfs").encrypted, None);
        assert_eq!(d("ram").kind, DeviceKind::Memory);
    }

    #[test]
    fn a_real_tmpfs_is_memory() {
        let m = Linux::real().medium(Path::new("/dev/shm")).unwrap();
        assert_eq!(m.device.kind, DeviceKind::Memory);
        assert_eq!(m.device.encrypted, None);
    }
}
