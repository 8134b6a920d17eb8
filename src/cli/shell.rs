//! `kura completions SHELL` and `kura man`: generated from the same clap
//! definitions (and in the same language) as `--help`, so every command,
//! including ones added later, is covered.

use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;
use serde_json::json;

use super::{help, t, Report};
use kura::error::{Error, IoContext, Result};
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

/// The page of `cmd` in roff.
fn render(cmd: &clap::Command) -> Result<(String, Vec<u8>)> {
    let page = clap_mangen::Man::new(cmd.clone());
    let mut roff = Vec::new();
    page.render(&mut roff).map_err(Error::internal)?;
    Ok((page.get_filename(), roff))
}

/// Every command worth a page: kura and each subcommand, depth first,
/// without clap's generated `help`.
fn pages(cmd: &clap::Command, out: &mut Vec<clap::Command>) {
    out.push(cmd.clone());
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        pages(sub, out);
    }
}

pub fn man(a: ManArgs) -> Result<Report> {
    let cmd = help::command(i18n::lang());
    let Some(dir) = a.output_dir else {
        let (name, roff) = render(&cmd)?;
        let text = String::from_utf8(roff).map_err(Error::internal)?;
        return Ok(Report::new(json!({ "page": name, "roff": text })).text(text.trim_end()));
    };
    std::fs::create_dir_all(&dir).at(dir.display())?;
    let mut all = Vec::new();
    pages(&cmd, &mut all);
    let mut files = Vec::new();
    for c in &all {
        let (name, roff) = render(c)?;
        let path = dir.join(&name);
        kura::fsutil::write_atomic(&path, &roff, a.force)?;
        files.push(path.display().to_string());
    }
    let n = files.len().to_string();
    let d = dir.display().to_string();
    Ok(Report::new(json!({ "dir": d, "files": files })).line(t("msg-man-written", &[("n", &n), ("dir", &d)])))
}
