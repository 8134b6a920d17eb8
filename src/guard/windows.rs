//! Windows: `GetVolumePathNameW` finds the volume holding a path,
//! `GetDriveTypeW` says whether it is removable (`DRIVE_REMOVABLE`: USB
//! sticks, card readers) or remote (`DRIVE_REMOTE`: mapped network drives;
//! UNC paths `\\server\share` are remote too), `GetVolumeInformationW` names
//! its file system (`FAT32`, `exFAT`, `NTFS`), and `GetDiskFreeSpaceExW`
//! its free space. External USB hard disks report `DRIVE_FIXED` and are not
//! recognised as portable (docs/MEDIA.md).

use std::ffi::OsString;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
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
        m.disk = Some(root_s.to_ascii_uppercase());
        // SAFETY: `root` is NUL-terminated (filled by GetVolumePathNameW).
        let kind = unsafe { GetDriveTypeW(root.as_ptr()) };
        let unc = root_s.starts_with("\\\\") && !root_s.starts_with("\\\\?\\") && !root_s.starts_with("\\\\.\\");
        m.network = kind == DRIVE_REMOTE || unc;
        if kind == DRIVE_REMOVABLE {
            m.portable = Some(Portable::Platform("removable drive".into()));
        }
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
