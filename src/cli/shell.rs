//! `kura completions SHELL` and `kura man`: generated from the same clap
//! definitions (and in the same language) as `--help`, so every command,
//! including ones added later, is covered. Each manual page also has an
//! EXIT STATUS section (docs/EXIT-CODES.md) and EXAMPLES; `kura man` on a
//! terminal shows the page formatted, not its roff source. And how kura
//! writes a command for a shell ([`quote`]).

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;
use serde_json::json;

use super::{help, t, Report};
use kura::error::{Error, IoContext, Kind, Result};
use kura::i18n;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write kura.1 and one page per command (kura-pack.1, …) into this folder instead of printing kura.1
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Replace pages that already exist in DIR
    #[arg(long)]
    pub force: bool,
}

pub fn completions(a: CompletionsArgs) -> Result<Report> {
    let mut cmd = help::command(i18n::lang());
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "kura", &mut buf);
    let script = String::from_utf8(buf).map_err(Error::internal)?;
    let shell = a.shell.to_string();
    Ok(Report::new(json!({ "shell": shell, "script": script })).text(script.trim_end()))
}

/// `arg` as a POSIX shell reads it back as one word: as it is when it holds
/// only characters no shell treats specially, else in single quotes (a
/// single quote inside written `'\''`). Commands kura prints for people
/// to copy (the demo's, the manual's examples) can be pasted as they are.
pub fn quote(arg: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.into()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''")).into()
    }
}

/// An example of a manual page: the words after `kura` (`APPROVER` and
/// `PURPOSE` stand for catalog values), and the catalog id of what it
/// does. `flow`: shown on kura's own page too, as a step of the usual flow.
struct Example {
    args: &'static [&'static str],
    what: &'static str,
    flow: bool,
}

const fn ex(args: &'static [&'static str], what: &'static str, flow: bool) -> Example {
    Example { args, what, flow }
}

/// One example for every command, in the order of the usual flow.
#[rustfmt::skip]
const EXAMPLES: &[Example] = &[
    ex(&["demo"], "msg-man-ex-demo", false),
    ex(&["keygen", "-o", "kura_engineer", "--comment", "engineer@vendor.example"], "msg-man-ex-keygen", true),
    ex(&["approve", "-o", "APPROVAL.json", "-i", "clinic.key", "--approval-id", "2026-041",
         "--approved-by", "APPROVER", "--role", "ROLE", "--clinic", "CLINIC", "--engineer", "kura_engineer.pub",
         "--recipient", "clinic.key.pub", "--purpose", "PURPOSE", "--scope", "SCOPE", "--delete-by", "2026-12-15"],
       "msg-man-ex-approve", true),
    ex(&["approval", "render", "APPROVAL.json", "-o", "approval.html", "--clinic-signers", "clinic_signers"],
       "msg-man-ex-approval-render", false),
    ex(&["approval", "show", "APPROVAL.json"], "msg-man-ex-approval-show", false),
    ex(&["pack", "-o", "/media/usb/export.kura", "-R", "recipients.txt", "-i", "kura_engineer",
         "--approval-id", "2026-041", "--approved-by", "APPROVER", "--purpose", "PURPOSE",
         "--delete-by", "2026-12-15", "--approval-doc", "approval.pdf", "/srv/orca-export"],
       "msg-man-ex-pack", true),
    ex(&["pack", "-o", "/media/usb/export.kura", "-R", "recipients.txt", "-i", "kura_engineer",
         "--approval", "APPROVAL.json", "--clinic-signers", "clinic_signers", "/srv/orca-export"],
       "msg-man-ex-pack-approval", true),
    ex(&["pack", "-o", "backup.kura", "-R", "recipients.txt", "-i", "kura_backup",
         "--approval-id", "2026-041", "--approved-by", "APPROVER", "--purpose", "PURPOSE",
         "--delete-by", "2026-12-15", "--stdin-name", "clinic.dump", "--from-command", "--",
         "pg_dump", "-Fc", "clinic"],
       "msg-man-ex-pack-command", false),
    ex(&["inspect", "/media/usb/export.kura"], "msg-man-ex-inspect", false),
    ex(&["custody", "add", "export.kura", "--event", "handover", "-i", "clinic.key"], "msg-man-ex-custody-add", true),
    ex(&["ledger", "add", "export.kura.custody", "--signers", "allowed_signers"], "msg-man-ex-ledger-add", false),
    ex(&["verify", "export.kura", "-i", "kura_engineer", "--signers", "allowed_signers"], "msg-man-ex-verify", true),
    ex(&["contents", "export.kura", "-i", "kura_engineer", "--signers", "allowed_signers"], "msg-man-ex-contents", true),
    ex(&["extract", "export.kura", "-i", "kura_engineer", "-C", "case-041", "--signers", "allowed_signers"],
       "msg-man-ex-extract", true),
    ex(&["extract", "/media/backup/export.kura", "-i", "kura_engineer", "-C", "restore",
         "--custody", "export.kura.custody"],
       "msg-man-ex-extract-read-only", false),
    ex(&["verify", "export.kura", "-i", "kura_engineer", "--without-receipt", "--signers", "allowed_signers"],
       "msg-man-ex-verify-without-receipt", false),
    ex(&["extract", "backup.kura", "-i", "kura_backup", "--to-stdout", "clinic.dump"], "msg-man-ex-extract-stdout", false),
    ex(&["custody", "show", "export.kura"], "msg-man-ex-custody-show", false),
    ex(&["custody", "verify", "export.kura", "--signers", "allowed_signers"], "msg-man-ex-custody-verify", false),
    ex(&["certify", "export.kura", "--deleted", "case-041", "-i", "kura_engineer", "-o", "certificate.json"],
       "msg-man-ex-certify", true),
    ex(&["certificate", "verify", "certificate.json", "--custody", "export.kura.custody",
         "--signers", "allowed_signers"],
       "msg-man-ex-certificate-verify", true),
    ex(&["certificate", "render", "certificate.json", "-o", "certificate.html",
         "--signers", "allowed_signers", "--custody", "export.kura.custody"],
       "msg-man-ex-certificate-render", false),
    ex(&["certificate", "countersign", "certificate.json", "-i", "witness.key", "--name", "Hanako Sato",
         "--role", "clinic staff, witnessed"],
       "msg-man-ex-certificate-countersign", false),
    ex(&["ledger", "close", "certificate.json", "--signers", "allowed_signers", "-i", "kura_clinic",
         "--append-to", "export.kura.custody"],
       "msg-man-ex-ledger-close", false),
    ex(&["ledger", "list"], "msg-man-ex-ledger-list", false),
    ex(&["ledger", "config", "--require-signed-approval", "on"], "msg-man-ex-ledger-config", false),
    ex(&["ledger", "approvals", "--unused"], "msg-man-ex-ledger-approvals", false),
    ex(&["ledger", "show", "0f80c89b-d4fe-4fdd-b753-c12b4fb707db"], "msg-man-ex-ledger-show", false),
    ex(&["incident", "export.kura.custody", "-i", "kura_engineer"], "msg-man-ex-incident", false),
    ex(&["list", "/srv/backups", "--check"], "msg-man-ex-list", false),
    ex(&["prune", "/srv/backups", "--keep-last", "7", "--keep-weekly", "4", "--keep-monthly", "6",
         "--signers", "allowed_signers", "-i", "kura_engineer", "-o", "prune.json"],
       "msg-man-ex-prune", false),
    ex(&["completions", "bash"], "msg-man-ex-completions", false),
    ex(&["man", "-o", "man1"], "msg-man-ex-man", false),
];

impl Example {
    /// The words after `kura`, placeholders filled in.
    fn words(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| match *a {
                "APPROVER" => t("msg-man-ex-approver", &[]),
                "PURPOSE" => t("msg-man-ex-purpose", &[]),
                "ROLE" => t("msg-man-ex-role", &[]),
                "CLINIC" => t("msg-man-ex-clinic", &[]),
                "SCOPE" => t("msg-man-ex-scope", &[]),
                other => other.to_string(),
            })
            .collect()
    }

    /// The command line, quoted for a shell, continued with ` \` on the
    /// next line (indented) where it would pass `width`; an option stays
    /// with its value.
    fn lines(&self, width: usize) -> Vec<String> {
        let words: Vec<String> = self.words().iter().map(|w| quote(w).into_owned()).collect();
        let mut units: Vec<String> = vec!["kura".into()];
        let mut i = 0;
        while i < words.len() {
            let takes_value = words[i].starts_with('-') && words.get(i + 1).is_some_and(|w| !w.starts_with('-'));
            if takes_value {
                units.push(format!("{} {}", words[i], words[i + 1]));
                i += 2;
            } else {
                units.push(words[i].clone());
                i += 1;
            }
        }
        let mut lines = vec![String::new()];
        for u in units {
            let line = lines.last_mut().expect("a line");
            if line.is_empty() {
                line.push_str(&u);
            } else if line.chars().count() + 1 + u.chars().count() + 2 <= width {
                line.push(' ');
                line.push_str(&u);
            } else {
                line.push_str(" \\");
                lines.push(format!("    {u}"));
            }
        }
        lines
    }

    /// Whether the page of the command at `path` shows this example: the
    /// examples of that command and of those below it; on kura's own page,
    /// the usual flow.
    fn belongs_to(&self, path: &[String]) -> bool {
        if path.is_empty() {
            return self.flow;
        }
        self.args.len() >= path.len() && self.args.iter().zip(path).all(|(a, p)| a == p)
    }
}

/// The exit codes (docs/EXIT-CODES.md), with the catalog id of each meaning.
fn exit_codes() -> Vec<(i32, String)> {
    let kinds = [
        Kind::Internal,
        Kind::Usage,
        Kind::Refused,
        Kind::Key,
        Kind::Decrypt,
        Kind::Integrity,
        Kind::Untrusted,
        Kind::Unsafe,
        Kind::Exists,
        Kind::Io,
        Kind::Policy,
        Kind::Interrupted,
    ];
    std::iter::once((0, "msg-man-exit-success".to_string()))
        .chain(
            kinds
                .iter()
                .map(|k| (k.exit_code(), format!("msg-man-exit-{}", k.name()))),
        )
        .collect()
}

/// Text for roff: backslashes and hyphens escaped, and a line that would
/// start like a request kept as text.
fn roff_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split('\n') {
        if !out.is_empty() {
            out.push('\n');
        }
        if line.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&line.replace('\\', "\\e").replace('-', "\\-"));
    }
    out
}

/// The EXIT STATUS and EXAMPLES sections of the page of `path`, in roff.
fn extra_sections(path: &[String]) -> String {
    // Left-aligned: justified lines spread Japanese text unevenly.
    let mut r = format!(".ad l\n.SH \"{}\"\n", t("msg-man-exit-status", &[]));
    r.push_str(&format!("{}\n", roff_text(&t("msg-man-exit-intro", &[]))));
    for (code, id) in exit_codes() {
        r.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(&t(&id, &[]))));
    }
    let examples: Vec<&Example> = EXAMPLES.iter().filter(|e| e.belongs_to(path)).collect();
    if !examples.is_empty() {
        r.push_str(&format!(".SH \"{}\"\n", t("msg-man-examples", &[])));
        for e in examples {
            let command = roff_text(&e.lines(66).join("\n"));
            r.push_str(&format!(
                ".PP\n{}\n.PP\n.RS 4\n.nf\n{command}\n.fi\n.RE\n",
                roff_text(&t(e.what, &[]))
            ));
        }
    }
    r
}

/// The same two sections as plain text.
fn extra_text(path: &[String]) -> String {
    let mut r = format!("{}\n", t("msg-man-exit-status", &[]));
    r.push_str(&format!("  {}\n", t("msg-man-exit-intro", &[])));
    for (code, id) in exit_codes() {
        r.push_str(&format!("  {code:>3}  {}\n", t(&id, &[])));
    }
    let examples: Vec<&Example> = EXAMPLES.iter().filter(|e| e.belongs_to(path)).collect();
    if !examples.is_empty() {
        r.push_str(&format!("\n{}\n", t("msg-man-examples", &[])));
        for e in examples {
            r.push_str(&format!("  {}\n", t(e.what, &[])));
            for l in e.lines(72) {
                r.push_str(&format!("      {l}\n"));
            }
        }
    }
    r
}

/// The page of `cmd` (at `path`) in roff: clap's sections, then EXIT
/// STATUS and EXAMPLES before VERSION and AUTHORS.
fn render(cmd: &clap::Command, path: &[String]) -> Result<(String, Vec<u8>)> {
    let page = clap_mangen::Man::new(cmd.clone());
    let mut roff = Vec::new();
    page.render(&mut roff).map_err(Error::internal)?;
    let mut roff = String::from_utf8(roff).map_err(Error::internal)?;
    let at = [".SH VERSION", ".SH AUTHORS"]
        .iter()
        .find_map(|h| roff.find(&format!("\n{h}")).map(|i| i + 1))
        .unwrap_or(roff.len());
    roff.insert_str(at, &extra_sections(path));
    Ok((page.get_filename(), roff.into_bytes()))
}

/// Every command worth a page, with its path: kura and each subcommand,
/// depth first, without clap's generated `help`.
fn pages(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, clap::Command)>) {
    out.push((path.clone(), cmd.clone()));
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        path.push(sub.get_name().to_string());
        pages(sub, path, out);
        path.pop();
    }
}

/// Whether the terminal can show what `man` makes of a page in `text`'s
/// characters: ASCII always, anything else in a UTF-8 locale.
fn locale_shows(text: &str) -> bool {
    let charset = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
        .to_ascii_lowercase();
    text.is_ascii() || charset.contains("utf-8") || charset.contains("utf8")
}

/// Shows `roff` with `man -l -` (formatted, through the user's pager);
/// false if that is not possible here (no man, or one that failed).
fn show_with_man(roff: &str) -> bool {
    use std::io::Write;
    use std::process::{Command, Stdio};
    if !locale_shows(roff) {
        return false;
    }
    let Ok(mut child) = Command::new("man")
        .args(["-l", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let fed = child
        .stdin
        .take()
        .is_some_and(|mut s| s.write_all(roff.as_bytes()).is_ok());
    child.wait().is_ok_and(|st| st.success()) && fed
}

pub fn man(a: ManArgs) -> Result<Report> {
    let cmd = help::command(i18n::lang());
    let Some(dir) = a.output_dir else {
        let (name, roff) = render(&cmd, &[])?;
        let text = String::from_utf8(roff).map_err(Error::internal)?;
        let report = Report::new(json!({ "page": name, "roff": text }));
        // On a terminal, the page to read, not its source.
        if !super::json_mode() && !super::quiet_mode() && std::io::stdout().is_terminal() {
            if show_with_man(&text) {
                return Ok(report);
            }
            let mut cmd = cmd;
            let help = cmd.render_long_help().to_string();
            return Ok(report.text(&format!("{}\n\n{}", help.trim_end(), extra_text(&[]).trim_end())));
        }
        return Ok(report.text(text.trim_end()));
    };
    std::fs::create_dir_all(&dir).at(dir.display())?;
    let mut all = Vec::new();
    pages(&cmd, &mut Vec::new(), &mut all);
    let mut files = Vec::new();
    for (path, c) in &all {
        let (name, roff) = render(c, path)?;
        let path = dir.join(&name);
        kura::fsutil::write_atomic(&path, &roff, a.force)?;
        files.push(path.display().to_string());
    }
    let n = files.len().to_string();
    let d = dir.display().to_string();
    Ok(Report::new(json!({ "dir": d, "files": files })).line(t("msg-man-written", &[("n", &n), ("dir", &d)])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kura::i18n::Lang;

    #[test]
    fn quoting_keeps_plain_words_and_quotes_the_rest() {
        assert_eq!(quote("export.kura"), "export.kura");
        assert_eq!(quote("engineer@vendor.example"), "engineer@vendor.example");
        assert_eq!(quote("--delete-by=2026-12-15"), "--delete-by=2026-12-15");
        assert_eq!(quote("USB stick #3"), "'USB stick #3'");
        assert_eq!(quote("院長 山田（ダミー）"), "'院長 山田（ダミー）'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        for special in ["$HOME", "a*", "~/x", "a;b", "a|b", "`x`", "a\"b", "(x)", "a\\b"] {
            assert!(quote(special).starts_with('\''), "{special}");
        }
    }

    /// The command paths of the commands that run (no subcommands).
    fn leaves(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| s.get_name() != "help").collect();
        if subs.is_empty() {
            out.push(path.clone());
        }
        for s in subs {
            path.push(s.get_name().to_string());
            leaves(s, path, out);
            path.pop();
        }
    }

    #[test]
    fn every_command_has_an_example_that_kura_accepts() {
        for lang in [Lang::En, Lang::Ja] {
            let mut cmd = help::command(lang);
            for e in EXAMPLES {
                let argv = std::iter::once("kura".to_string()).chain(e.words());
                if let Err(err) = cmd.try_get_matches_from_mut(argv) {
                    panic!("kura {:?}: {err}", e.args);
                }
            }
        }
        let mut all = Vec::new();
        leaves(&help::command(Lang::En), &mut Vec::new(), &mut all);
        for path in all {
            assert!(
                EXAMPLES.iter().any(|e| e.belongs_to(&path)),
                "no example for kura {}",
                path.join(" ")
            );
        }
        assert!(EXAMPLES.iter().filter(|e| e.belongs_to(&[])).count() >= 5);
    }

    #[test]
    fn long_examples_are_continued_within_the_width() {
        let pack = EXAMPLES.iter().find(|e| e.args[0] == "pack").expect("a pack example");
        let lines = pack.lines(66);
        assert!(lines.len() > 1);
        for (i, l) in lines.iter().enumerate() {
            assert!(l.chars().count() <= 66, "{l}");
            assert_eq!(l.ends_with(" \\"), i + 1 < lines.len(), "{l}");
        }
        // An option stays with its value.
        assert!(lines.iter().any(|l| l.contains("--delete-by 2026-12-15")));
    }

    #[test]
    fn the_exit_status_section_lists_every_code_of_the_documentation() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/EXIT-CODES.md")).unwrap();
        // The rows of the first table, the one with the kinds.
        let documented: Vec<i32> = doc
            .lines()
            .skip_while(|l| !l.starts_with("| code | kind |"))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.trim_start_matches('|').split('|').next()?.trim().parse().ok())
            .collect();
        let listed: Vec<i32> = exit_codes().iter().map(|(c, _)| *c).collect();
        assert_eq!(documented, listed, "docs/EXIT-CODES.md");
        for (_, id) in exit_codes() {
            for lang in [Lang::En, Lang::Ja] {
                assert!(i18n::lookup(lang, &id).is_some(), "{id} missing in {}", lang.code());
            }
        }
    }

    #[test]
    fn roff_text_escapes_what_roff_would_read_as_requests() {
        assert_eq!(roff_text(".SH x\n'y -z\\w"), "\\&.SH x\n\\&'y \\-z\\ew");
    }
}
