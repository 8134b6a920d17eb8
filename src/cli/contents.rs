//! `kura contents`: what a vault holds (paths, sizes, modes, times), listed
//! only after the whole vault has been decrypted and checked, as `verify`
//! does; no plaintext is written.

use clap::Args;
use serde_json::json;

use super::verify::{checked, describe, json_of, VerifyArgs};
use super::{bytes, t, Report};
use kura::error::Result;
use kura::vault::manifest::{Entry, EntryKind};

#[derive(Args, Debug)]
pub struct ContentsArgs {
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// `drwxr-x---`, as `ls -l` shows an entry.
fn mode_text(e: &Entry) -> String {
    let kind = match e.kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
    };
    let mut s = String::from(kind);
    for shift in [6, 3, 0] {
        let bits = (e.mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// The modification time in the local time zone, to the minute.
fn mtime_text(mtime: i64) -> String {
    chrono::DateTime::from_timestamp(mtime, 0)
        .map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| mtime.to_string())
}

pub fn run(a: ContentsArgs) -> Result<Report> {
    let (opened, consent) = checked(&a.verify)?;
    let m = &opened.manifest;
    let mut value = json_of(&opened, &consent);
    value["entries"] = json!(m.entries);
    value["approval_document"] = json!(m.approval_document);
    let mut rep = Report::new(value);
    describe(&opened, &consent, &mut rep);
    match &m.approval_document {
        Some(d) => rep.push(t(
            "msg-contents-approval-doc",
            &[("path", &d.path), ("size", &bytes(d.size))],
        )),
        None => rep.push(t("msg-contents-no-approval-doc", &[])),
    }
    let width = m.entries.iter().map(|e| e.size.to_string().len()).max().unwrap_or(1);
    for e in &m.entries {
        let mut line = format!("{} {:>width$} {} {}", mode_text(e), e.size, mtime_text(e.mtime), e.path);
        if e.kind == EntryKind::Dir {
            line.push('/');
        }
        if let Some(target) = &e.target {
            line.push_str(&format!(" -> {target}"));
        }
        rep.push(line);
    }
    Ok(rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_ls_shows_them() {
        let e = |kind, mode| Entry {
            path: "x".into(),
            kind,
            size: 0,
            mode,
            mtime: 0,
            blake3: None,
            target: None,
        };
        assert_eq!(mode_text(&e(EntryKind::File, 0o644)), "-rw-r--r--");
        assert_eq!(mode_text(&e(EntryKind::Dir, 0o750)), "drwxr-x---");
        assert_eq!(mode_text(&e(EntryKind::Symlink, 0o777)), "lrwxrwxrwx");
    }
}
