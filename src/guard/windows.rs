//! Windows: `GetVolumePathNameW` finds the volume holding a path,
//! `GetDriveTypeW` says whether it is removable (`DRIVE_REMOVABLE`: USB
//! sticks, card readers) or remote (`DRIVE_REMOTE`: mapped network drives;
//! UNC paths `\\server\share` are remote too), `GetVolumeInformationW` names
//! its file system (`FAT32`, `exFAT`, `NTFS`), and `GetDiskFreeSpaceExW`
//! its free space. The disk under the volume is asked
//! (`IOCTL_STORAGE_QUERY_PROPERTY`) for its bus, so that an external USB
//! hard disk, which reports `DRIVE_FIXED`, counts as portable too, and an
//! SD or MMC card as a card; `IOCTL_STORAGE_GET_DEVICE_NUMBER` names the
//! physical disk, so that two partitions of one stick are one medium
//! (docs/MEDIA.md).

use std::ffi::{c_void, OsString};
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::AsRawHandle;
use std::path::{Path, PathBuf};

use super::{existing_ancestor, is_fat_fs, Medium, Portable, Probe};
use crate::error::Result;

/// The real system.
pub struct Windows;

const DRIVE_REMOVABLE: u32 = 2;
const DRIVE_REMOTE: u32 = 4;

#[link(name = "kernel32")]
extern "system" {
    fn GetVolumePathNameW(file_name: *const u16, volume_path: *mut u16, len: u32) -> i32;
    fn GetDriveTypeW(root: *const u16) -> u32;
    fn GetVolumeInformationW(
        root: *const u16,
        name: *mut u16,
        name_len: u32,
        serial: *mut u32,
        max_component: *mut u32,
        flags: *mut u32,
        fs_name: *mut u16,
        fs_name_len: u32,
    ) -> i32;
    fn GetDiskFreeSpaceExW(dir: *const u16, free_to_caller: *mut u64, total: *mut u64, total_free: *mut u64) -> i32;
    fn GetVolumeNameForVolumeMountPointW(mount_point: *const u16, name: *mut u16, len: u32) -> i32;
    fn DeviceIoControl(
        device: *mut c_void,
        code: u32,
        input: *const c_void,
        input_len: u32,
        output: *mut c_void,
        output_len: u32,
        returned: *mut u32,
        overlapped: *mut c_void,
    ) -> i32;
}

const IOCTL_STORAGE_QUERY_PROPERTY: u32 = 0x002D_1400;
const IOCTL_STORAGE_GET_DEVICE_NUMBER: u32 = 0x002D_1080;
const BUS_1394: u32 = 0x4;
const BUS_USB: u32 = 0x7;
const BUS_SD: u32 = 0xC;
const BUS_MMC: u32 = 0xD;

/// What the disk under a volume says of itself.
#[derive(Debug, Default, PartialEq, Eq)]
struct Device {
    portable: Option<Portable>,
    /// `PhysicalDriveN`.
    disk: Option<String>,
    /// Its kind, maker, model and serial number, as its descriptor says.
    described: super::Device,
}

/// How a storage device descriptor (`STORAGE_DEVICE_DESCRIPTOR`: version,
/// size, device type and modifier, then the removable-media flag at byte
/// 10 and the bus type at byte 28) classifies the medium.
fn portable_from_descriptor(d: &[u8]) -> Option<Portable> {
    let bus = u32::from_le_bytes(d.get(28..32)?.try_into().ok()?);
    match bus {
        BUS_USB => Some(Portable::Usb),
        BUS_SD | BUS_MMC => Some(Portable::Card),
        BUS_1394 => Some(Portable::Platform("FireWire".into())),
        _ if d.get(10).is_some_and(|r| *r != 0) => Some(Portable::RemovableFlag),
        _ => None,
    }
}

/// Asks the disk under the volume mounted at `root` (NUL-terminated) for
/// its bus and number. Anything it cannot tell (a network share, a
/// volume without a device, a driver that does not answer) stays unknown.
fn device(root: &[u16]) -> Device {
    let mut out = Device::default();
    let mut name = [0u16; 64];
    // SAFETY: `root` is NUL-terminated, `name` holds `name.len()` units.
    if unsafe { GetVolumeNameForVolumeMountPointW(root.as_ptr(), name.as_mut_ptr(), name.len() as u32) } == 0 {
        return out;
    }
    // `\\?\Volume{…}\` names the root folder; without the last backslash, the volume.
    let volume = from_wide(&name);
    let Ok(h) = std::fs::OpenOptions::new()
        .access_mode(0)
        .share_mode(0x1 | 0x2)
        .open(volume.trim_end_matches('\\'))
    else {
        return out;
    };
    let h = h.as_raw_handle().cast::<c_void>();
    // STORAGE_PROPERTY_QUERY: StorageDeviceProperty, PropertyStandardQuery.
    let query = [0u32; 3];
    let mut desc = [0u8; 1024];
    let mut got = 0u32;
    // SAFETY: the handle is open; buffers and lengths match.
    let ok = unsafe {
        DeviceIoControl(
            h,
            IOCTL_STORAGE_QUERY_PROPERTY,
            query.as_ptr().cast(),
            12,
            desc.as_mut_ptr().cast(),
            desc.len() as u32,
            &mut got,
            std::ptr::null_mut(),
        )
    };
    if ok != 0 {
        let answer = &desc[..(got as usize).min(desc.len())];
        out.portable = portable_from_descriptor(answer);
        out.described = super::device_from_descriptor(answer);
    }
    // STORAGE_DEVICE_NUMBER: device type, device number, partition number.
    let mut number = [0u32; 3];
    // SAFETY: as above.
    let ok = unsafe {
        DeviceIoControl(
            h,
            IOCTL_STORAGE_GET_DEVICE_NUMBER,
            std::ptr::null(),
            0,
            number.as_mut_ptr().cast(),
            12,
            &mut got,
            std::ptr::null_mut(),
        )
    };
    if ok != 0 {
        out.disk = Some(format!("PhysicalDrive{}", number[1]));
    }
    out
}

fn wide(p: &Path) -> Vec<u16> {
    p.as_os_str().encode_wide().chain(std::iter::once(0)).collect()
}

fn from_wide(buf: &[u16]) -> String {
    let end = buf.iter().position(|c| *c == 0).unwrap_or(buf.len());
    OsString::from_wide(&buf[..end]).to_string_lossy().into_owned()
}

impl Probe for Windows {
    fn medium(&self, path: &Path) -> Result<Medium> {
        let at = existing_ancestor(path);
        let mut m = Medium {
            path: at.clone(),
            ..Medium::default()
        };
        let mut root = [0u16; 1024];
        let p = wide(&at);
        // SAFETY: `p` is NUL-terminated and `root` holds `root.len()` units.
        if unsafe { GetVolumePathNameW(p.as_ptr(), root.as_mut_ptr(), root.len() as u32) } == 0 {
            return Ok(m);
        }
        let root_s = from_wide(&root);
        m.mount_point = PathBuf::from(&root_s);
        m.source = root_s.clone();
        // SAFETY: `root` is NUL-terminated (filled by GetVolumePathNameW).
        let kind = unsafe { GetDriveTypeW(root.as_ptr()) };
        let unc = root_s.starts_with("\\\\") && !root_s.starts_with("\\\\?\\") && !root_s.starts_with("\\\\.\\");
        m.network = kind == DRIVE_REMOTE || unc;
        let dev = if m.network { Device::default() } else { device(&root) };
        m.disk = Some(dev.disk.unwrap_or_else(|| root_s.to_ascii_uppercase()));
        if kind == DRIVE_REMOVABLE {
            m.portable = Some(Portable::Platform("removable drive".into()));
        } else {
            m.portable = dev.portable;
        }
        m.device = dev.described;
        let mut fs_name = [0u16; 64];
        // SAFETY: every out-pointer is null or points at a buffer of the given size.
        let ok = unsafe {
            GetVolumeInformationW(
                root.as_ptr(),
                std::ptr::null_mut(),
                0,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                fs_name.as_mut_ptr(),
                fs_name.len() as u32,
            )
        };
        if ok != 0 {
            m.fs_type = from_wide(&fs_name);
            m.fat = is_fat_fs(&m.fs_type);
        }
        let mut free = 0u64;
        // SAFETY: `p` is NUL-terminated; the other pointers may be null.
        if unsafe { GetDiskFreeSpaceExW(p.as_ptr(), &mut free, std::ptr::null_mut(), std::ptr::null_mut()) } != 0 {
            m.free = Some(free);
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn descriptor(removable: u8, bus: u32) -> Vec<u8> {
        let mut d = vec![0u8; 40];
        d[10] = removable;
        d[28..32].copy_from_slice(&bus.to_le_bytes());
        d
    }

    #[test]
    fn the_bus_says_whether_a_fixed_disk_travels() {
        assert_eq!(portable_from_descriptor(&descriptor(0, BUS_USB)), Some(Portable::Usb));
        assert_eq!(portable_from_descriptor(&descriptor(0, BUS_SD)), Some(Portable::Card));
        assert_eq!(portable_from_descriptor(&descriptor(0, BUS_MMC)), Some(Portable::Card));
        assert_eq!(
            portable_from_descriptor(&descriptor(1, 0xB)),
            Some(Portable::RemovableFlag)
        );
        // SATA and NVMe, fixed: the laptop's own disk.
        assert_eq!(portable_from_descriptor(&descriptor(0, 0xB)), None);
        assert_eq!(portable_from_descriptor(&descriptor(0, 0x11)), None);
        assert_eq!(
            portable_from_descriptor(&[0u8; 12]),
            None,
            "a short answer tells nothing"
        );
    }

    #[test]
    fn the_folder_kura_runs_in_is_on_a_known_volume() {
        let d = tempfile::tempdir().unwrap();
        let m = Windows.medium(d.path()).unwrap();
        assert!(!m.path.to_string_lossy().starts_with(r"\\?\"), "{m:?}");
        assert!(m.disk.is_some() && !m.mount_point.as_os_str().is_empty(), "{m:?}");
        assert!(!m.network, "{m:?}");
    }
}
