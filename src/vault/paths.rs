//! Rules for member paths and link targets, shared by pack and open so that
//! kura never writes a vault it would refuse to open.

use super::format::MAX_PATH_BYTES;
use crate::error::{Error, Kind, Result};

fn unsafe_path(path: &str, why: &str) -> Error {
    Error::new(Kind::Unsafe, "err-unsafe-path")
        .arg("path", path.escape_debug())
        .arg("why", why)
}

/// Checks a member path: relative, `/`-separated, no empty, `.` or `..`
/// components, no NUL or backslash, no drive prefix, not too long. Returns
/// it without a trailing `/`.
pub fn check_member_path(path: &str) -> Result<String> {
    if path.len() > MAX_PATH_BYTES {
        return Err(unsafe_path(&path[..64.min(path.len())], "too long"));
    }
    if path.starts_with('/') {
        return Err(unsafe_path(path, "absolute"));
    }
    if path.contains('\0') || path.contains('\\') {
        return Err(unsafe_path(path, "forbidden character"));
    }
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Err(unsafe_path(path, "empty"));
    }
    for comp in trimmed.split('/') {
        match comp {
            "" | "." => return Err(unsafe_path(path, "empty or '.' component")),
            ".." => return Err(unsafe_path(path, "'..' component")),
            c if c.len() >= 2 && c.as_bytes()[1] == b':' && c.as_bytes()[0].is_ascii_alphabetic() => {
                return Err(unsafe_path(path, "drive prefix"))
            }
            _ => {}
        }
    }
    Ok(trimmed.to_string())
}

/// Whether a relative link `target` at member `link` resolves, lexically,
/// inside the same top-level tree as the link.
///
/// `..` may only lead the target: after a name, it would climb out of
/// wherever that name leads, which is not its lexical parent when the name
/// is itself a link (`a/up -> ..` makes `a/up/../..` leave the tree).
pub fn link_stays_inside(link: &str, target: &str) -> bool {
    if target.is_empty() || target.starts_with('/') || target.contains('\\') || target.contains('\0') {
        return false;
    }
    let mut stack: Vec<&str> = link.split('/').collect();
    stack.pop(); // the link itself
    let top = match stack.first() {
        Some(t) => *t,
        None => return false, // a link at top level has nowhere inside to point
    };
    let mut named = false;
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." if named => return false,
            ".." => {
                stack.pop();
                if stack.is_empty() {
                    return false;
                }
            }
            c => {
                named = true;
                stack.push(c)
            }
        }
    }
    stack.first() == Some(&top)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths() {
        assert_eq!(check_member_path("export/a.txt").unwrap(), "export/a.txt");
        assert_eq!(check_member_path("export/").unwrap(), "export");
        for bad in [
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/./b",
            "",
            "a\\b",
            "C:/x",
            "a/c:x",
        ] {
            assert!(check_member_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links() {
        assert!(link_stays_inside("export/a/link", "../b.txt"));
        assert!(link_stays_inside("export/link", "a/b"));
        assert!(!link_stays_inside("export/link", "../other/x"));
        assert!(!link_stays_inside("export/a/link", "../../../etc/passwd"));
        assert!(!link_stays_inside("export/link", "/etc/passwd"));
        assert!(!link_stays_inside("toplink", "x"));
        // `..` after a name could climb out through a link.
        assert!(!link_stays_inside("export/c", "a/up/../.."));
        assert!(!link_stays_inside("export/c", "a/../b"));
        assert!(link_stays_inside("export/a/c", "./../b/./x"));
    }
}
