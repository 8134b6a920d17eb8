//! macOS: `statfs` tells the file system type, whether it is local
//! (`MNT_LOCAL`) and which device is mounted; `diskutil info -plist DEVICE`
//! tells whether that device is removable, ejectable, external or on USB.
//! When `diskutil` cannot be asked, the medium is not judged portable.
//! The same answer describes the device for certificates
//! ([`super::device_from_plist`]).

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{existing_ancestor, is_fat_fs, is_network_fs, Medium, Portable, Probe};
use crate::error::Result;

/// The real system.
pub struct MacOs;

const MNT_LOCAL: u32 = 0x0000_1000;

fn c_field(f: &[libc::c_char]) -> String {
    // SAFETY: statfs fills these arrays with NUL-terminated strings.
    unsafe { CStr::from_ptr(f.as_ptr()) }.to_string_lossy().into_owned()
}

/// Reads a boolean or string value of `key` from `diskutil info -plist`.
fn plist_value<'a>(plist: &'a str, key: &str) -> Option<&'a str> {
    let at = plist.find(&format!("<key>{key}</key>"))?;
    let rest = plist[at + key.len() + 11..].trim_start();
    if rest.starts_with("<true/>") {
        Some("true")
    } else if rest.starts_with("<false/>") {
        Some("false")
    } else if let Some(s) = rest.strip_prefix("<string>") {
        s.split_once("</string>").map(|(v, _)| v)
    } else {
        None
    }
}

/// Whether `diskutil` describes the device as portable, and why.
pub fn portable_from_plist(plist: &str) -> Option<Portable> {
    let yes = |k: &str| plist_value(plist, k) == Some("true");
    let protocol = plist_value(plist, "BusProtocol").unwrap_or("");
    if yes("RemovableMedia") || yes("Removable") {
        return Some(Portable::Platform("removable media".into()));
    }
    if protocol.eq_ignore_ascii_case("USB") {
        return Some(Portable::Usb);
    }
    if protocol.eq_ignore_ascii_case("Secure Digital") || protocol.eq_ignore_ascii_case("SD") {
        return Some(Portable::Card);
    }
    if plist_value(plist, "Internal") == Some("false") && (yes("Ejectable") || yes("RemovableMediaOrExternalDevice")) {
        return Some(Portable::Platform("external disk".into()));
    }
    None
}

impl Probe for MacOs {
    fn medium(&self, path: &Path) -> Result<Medium> {
        use std::os::unix::ffi::OsStrExt;
        let at = existing_ancestor(path);
        let mut m = Medium {
            path: at.clone(),
            ..Medium::default()
        };
        let Ok(c) = std::ffi::CString::new(at.as_os_str().as_bytes()) else {
            return Ok(m);
        };
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statfs.
        if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
            return Ok(m);
        }
        m.fs_type = c_field(&st.f_fstypename);
        m.source = c_field(&st.f_mntfromname);
        m.mount_point = PathBuf::from(c_field(&st.f_mntonname));
        m.free = Some((st.f_bavail as u64).saturating_mul(st.f_bsize as u64));
        m.network = st.f_flags & MNT_LOCAL == 0 || is_network_fs(&m.fs_type, &m.source);
        m.fat = is_fat_fs(&m.fs_type);
        if m.network {
            m.disk = Some(m.source.clone());
        } else if m.source.starts_with("/dev/") {
            let out = Command::new("diskutil")
                .args(["info", "-plist", &m.source])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .output();
            if let Ok(out) = out {
                let plist = String::from_utf8_lossy(&out.stdout);
                m.portable = portable_from_plist(&plist);
                m.device = super::device_from_plist(|k| plist_value(&plist, k));
                let whole = plist_value(&plist, "ParentWholeDisk").unwrap_or(&m.source);
                m.disk = Some(whole.to_string());
            }
        }
        Ok(m)
    }
}
