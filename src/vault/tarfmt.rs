//! Writing POSIX tar: a ustar header per member, preceded by a pax extended
//! header (`x`) only when a field does not fit ustar (long path or link
//! target, size of 8 GiB or more, a modification time out of range).
//! Readable by GNU tar, bsdtar and every POSIX pax reader.

use std::io::{self, Write};

use super::manifest::{Entry, EntryKind};

pub const BLOCK: usize = 512;
const ZEROS: [u8; BLOCK] = [0; BLOCK];
const USTAR_MAX_SIZE: u64 = 0o77777777777;
const USTAR_MAX_TIME: i64 = 0o77777777777;

/// Bytes of padding after `size` bytes of member data.
pub fn padding(size: u64) -> usize {
    let rem = (size % BLOCK as u64) as usize;
    if rem == 0 {
        0
    } else {
        BLOCK - rem
    }
}

fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    // "%d %s=%s\n" where the length counts the whole record, itself included.
    let body = key.len() + value.len() + 3; // space, '=', '\n'
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

fn truncated(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Encodes the header block(s) for `entry`.
pub fn header_bytes(entry: &Entry) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(BLOCK * 3);
    write_header(&mut out, entry)?;
    Ok(out)
}

/// Appends the header block(s) for `entry` to `out` (a bundle of small files
/// is framed this way without a buffer per header).
pub fn write_header(out: &mut Vec<u8>, entry: &Entry) -> io::Result<()> {
    let mut h = tar::Header::new_ustar();
    let mut pax = Vec::new();
    let name: std::borrow::Cow<str> = match entry.kind {
        EntryKind::Dir => format!("{}/", entry.path).into(),
        _ => entry.path.as_str().into(),
    };
    if h.set_path(&*name).is_err() || name.len() > 255 {
        pax_record(&mut pax, "path", name.as_bytes());
        let short = truncated(&name, 99).as_bytes();
        let ustar = h.as_ustar_mut().expect("ustar header");
        ustar.name = [0; 100];
        ustar.prefix = [0; 155];
        ustar.name[..short.len()].copy_from_slice(short);
    }
    match entry.kind {
        EntryKind::File => h.set_entry_type(tar::EntryType::Regular),
        EntryKind::Dir => h.set_entry_type(tar::EntryType::Directory),
        EntryKind::Symlink => {
            h.set_entry_type(tar::EntryType::Symlink);
            let target = entry.target.as_deref().unwrap_or("");
            if target.len() > 100 || h.set_link_name(target).is_err() {
                pax_record(&mut pax, "linkpath", target.as_bytes());
            }
        }
    }
    let size = if entry.kind == EntryKind::File { entry.size } else { 0 };
    if size > USTAR_MAX_SIZE {
        pax_record(&mut pax, "size", size.to_string().as_bytes());
        h.set_size(0);
    } else {
        h.set_size(size);
    }
    if (0..=USTAR_MAX_TIME).contains(&entry.mtime) {
        h.set_mtime(entry.mtime as u64);
    } else {
        pax_record(&mut pax, "mtime", entry.mtime.to_string().as_bytes());
        h.set_mtime(0);
    }
    h.set_mode(entry.mode & 0o7777);
    h.set_uid(0);
    h.set_gid(0);
    h.set_cksum();

    if !pax.is_empty() {
        let mut x = tar::Header::new_ustar();
        x.set_path("././@PaxHeader")?;
        x.set_entry_type(tar::EntryType::XHeader);
        x.set_size(pax.len() as u64);
        x.set_mode(0o644);
        x.set_cksum();
        out.extend_from_slice(x.as_bytes());
        let pad = padding(pax.len() as u64);
        out.extend_from_slice(&pax);
        out.extend_from_slice(&ZEROS[..pad]);
    }
    out.extend_from_slice(h.as_bytes());
    Ok(())
}

/// Writes zero padding after `size` bytes of data.
pub fn write_padding<W: Write>(w: &mut W, size: u64) -> io::Result<()> {
    w.write_all(&ZEROS[..padding(size)])
}

/// The end-of-archive marker: two zero blocks.
pub fn write_end<W: Write>(w: &mut W) -> io::Result<()> {
    w.write_all(&ZEROS)?;
    w.write_all(&ZEROS)
}
