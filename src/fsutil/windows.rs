//! The Windows calls kura needs that the standard library does not offer:
//! a file's identity and link count (`GetFileInformationByHandle`), an
//! entry opened as itself rather than what a link points to
//! (`FILE_FLAG_OPEN_REPARSE_POINT`), a folder held so that it cannot be
//! renamed or removed while kura works in it (opened without
//! `FILE_SHARE_DELETE`), and a folder only its user may open (a protected
//! DACL naming that user alone).

use std::ffi::c_void;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::AsRawHandle;
use std::path::Path;

type Handle = *mut c_void;

const FILE_SHARE_READ: u32 = 0x1;
const FILE_SHARE_WRITE: u32 = 0x2;
const FILE_SHARE_DELETE: u32 = 0x4;
const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
const FILE_LIST_DIRECTORY: u32 = 0x1;
const FILE_READ_ATTRIBUTES: u32 = 0x80;
const SYNCHRONIZE: u32 = 0x0010_0000;
const FILE_ATTRIBUTE_DIRECTORY: u32 = 0x10;
const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
const TOKEN_QUERY: u32 = 0x8;
const TOKEN_USER: u32 = 1;
const SDDL_REVISION_1: u32 = 1;
const DACL_SECURITY_INFORMATION: u32 = 0x4;
const PROTECTED_DACL_SECURITY_INFORMATION: u32 = 0x8000_0000;

#[repr(C)]
#[derive(Default)]
struct ByHandleFileInformation {
    attributes: u32,
    times: [u32; 6],
    volume_serial: u32,
    size_high: u32,
    size_low: u32,
    links: u32,
    index_high: u32,
    index_low: u32,
}

#[link(name = "kernel32")]
extern "system" {
    fn GetFileInformationByHandle(file: Handle, info: *mut ByHandleFileInformation) -> i32;
    fn GetCurrentProcess() -> Handle;
    fn CloseHandle(h: Handle) -> i32;
    fn LocalFree(mem: *mut c_void) -> *mut c_void;
}

#[link(name = "advapi32")]
extern "system" {
    fn OpenProcessToken(process: Handle, access: u32, token: *mut Handle) -> i32;
    fn GetTokenInformation(token: Handle, class: u32, info: *mut c_void, len: u32, returned: *mut u32) -> i32;
    fn ConvertSidToStringSidW(sid: *mut c_void, out: *mut *mut u16) -> i32;
    fn ConvertStringSecurityDescriptorToSecurityDescriptorW(
        sddl: *const u16,
        revision: u32,
        sd: *mut *mut c_void,
        len: *mut u32,
    ) -> i32;
    fn SetFileSecurityW(path: *const u16, what: u32, sd: *mut c_void) -> i32;
}

/// What identifies a file on Windows, and how many names it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// The volume's serial number.
    pub volume: u64,
    /// The file's index on that volume.
    pub index: u64,
    /// Its hard links (names).
    pub links: u64,
    pub is_dir: bool,
    pub is_reparse_point: bool,
}

/// The identity of an opened file or folder.
pub fn identity(f: &File) -> io::Result<Identity> {
    let mut i = ByHandleFileInformation::default();
    // SAFETY: the handle is open for the lifetime of `f`; `i` is the
    // structure the call fills.
    if unsafe { GetFileInformationByHandle(f.as_raw_handle().cast(), &mut i) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Identity {
        volume: u64::from(i.volume_serial),
        index: (u64::from(i.index_high) << 32) | u64::from(i.index_low),
        links: u64::from(i.links),
        is_dir: i.attributes & FILE_ATTRIBUTE_DIRECTORY != 0,
        is_reparse_point: i.attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0,
    })
}

/// Opens the entry at `path` itself, file or folder, a link or junction
/// as the link, only to ask what it is.
pub fn open_entry(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .access_mode(FILE_READ_ATTRIBUTES | SYNCHRONIZE)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// Opens a regular file for reading or writing, a link as the link
/// (never what it points to: its metadata then says it is a link).
pub fn open_file_no_follow(path: &Path, write: bool) -> io::Result<File> {
    OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// Opens a folder (a link or junction as the link) and holds it: while
/// the handle is open nobody can rename, move or remove the folder,
/// because it is shared for reading and writing but not for deletion.
pub fn hold_folder(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .access_mode(FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// Whether someone holds the folder at `path` (see [`hold_folder`]):
/// opening it for deletion is then a sharing violation.
pub fn held(path: &Path) -> bool {
    const DELETE: u32 = 0x0001_0000;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    let r = OpenOptions::new()
        .access_mode(DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE)
        .share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path);
    r.is_err_and(|e| e.raw_os_error() == Some(ERROR_SHARING_VIOLATION))
}

fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    s.encode_wide().chain(std::iter::once(0)).collect()
}

/// The current user's SID in its string form (`S-1-5-21-…`).
fn user_sid() -> io::Result<String> {
    let mut token: Handle = std::ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle; `token` receives a
    // handle closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // TOKEN_USER is a SID pointer and flags followed by the SID itself.
    let mut buf = vec![0u64; 64];
    let mut len = 0u32;
    // SAFETY: `buf` holds `buf.len() * 8` bytes, aligned for TOKEN_USER.
    let ok = unsafe {
        GetTokenInformation(
            token,
            TOKEN_USER,
            buf.as_mut_ptr().cast(),
            (buf.len() * 8) as u32,
            &mut len,
        )
    };
    let err = io::Error::last_os_error();
    // SAFETY: `token` was opened above and is closed once.
    unsafe { CloseHandle(token) };
    if ok == 0 {
        return Err(err);
    }
    // SAFETY: TOKEN_USER starts with the pointer to the SID, which lies in `buf`.
    let sid = unsafe { *buf.as_ptr().cast::<*mut c_void>() };
    let mut s: *mut u16 = std::ptr::null_mut();
    // SAFETY: `sid` is a valid SID; `s` receives a string freed with LocalFree.
    if unsafe { ConvertSidToStringSidW(sid, &mut s) } == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `s` is a NUL-terminated wide string allocated by the call.
    let out = unsafe {
        let n = (0..).take_while(|&i| *s.add(i) != 0).count();
        let text = String::from_utf16_lossy(std::slice::from_raw_parts(s, n));
        LocalFree(s.cast());
        text
    };
    Ok(out)
}

/// The security descriptor that lets only the current user in, passed on
/// to everything created inside, and ignoring what the folder above
/// would pass on (`P`: protected).
pub fn owner_only_sddl() -> io::Result<String> {
    Ok(format!("D:P(A;OICI;FA;;;{})", user_sid()?))
}

/// Lets only the current user open `path` and what is created in it.
/// Fails where the file system keeps no permissions (FAT, exFAT).
pub fn owner_only(path: &Path) -> io::Result<()> {
    let sddl = wide(owner_only_sddl()?.as_ref());
    let mut sd: *mut c_void = std::ptr::null_mut();
    // SAFETY: `sddl` is NUL-terminated; `sd` receives a descriptor freed
    // with LocalFree.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let p = wide(path.as_os_str());
    // SAFETY: `p` is NUL-terminated, `sd` a valid descriptor.
    let ok = unsafe {
        SetFileSecurityW(
            p.as_ptr(),
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            sd,
        )
    };
    let err = io::Error::last_os_error();
    // SAFETY: allocated by the conversion above, freed once.
    unsafe { LocalFree(sd) };
    if ok == 0 {
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_and_its_hard_link_are_one_file_with_two_names() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        std::fs::write(&a, "x").unwrap();
        let before = identity(&open_entry(&a).unwrap()).unwrap();
        assert_eq!(before.links, 1);
        std::fs::hard_link(&a, &b).unwrap();
        let ia = identity(&open_entry(&a).unwrap()).unwrap();
        let ib = identity(&open_entry(&b).unwrap()).unwrap();
        assert_eq!(ia, ib);
        assert_eq!((ia.links, ia.index, ia.is_dir), (2, before.index, false));
        let id = identity(&open_entry(d.path()).unwrap()).unwrap();
        assert!(id.is_dir && id.index != ia.index);
    }

    #[test]
    fn a_held_folder_cannot_be_renamed() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::create_dir(&f).unwrap();
        assert!(!held(&f));
        let h = hold_folder(&f).unwrap();
        assert!(held(&f));
        assert!(std::fs::rename(&f, d.path().join("g")).is_err());
        drop(h);
        assert!(!held(&f));
        std::fs::rename(&f, d.path().join("g")).unwrap();
    }

    #[test]
    fn an_owner_only_folder_names_its_user_alone() {
        let sddl = owner_only_sddl().unwrap();
        assert!(sddl.starts_with("D:P(A;OICI;FA;;;S-1-"), "{sddl}");
        let d = tempfile::tempdir().unwrap();
        owner_only(d.path()).unwrap();
        std::fs::write(d.path().join("x"), "still mine").unwrap();
        assert_eq!(std::fs::read_to_string(d.path().join("x")).unwrap(), "still mine");
    }
}
