//! `--help` in the user's language, and clap's usage errors as kura errors.
//!
//! The clap definitions carry English doc comments, but what is shown comes
//! from the Fluent catalogs: after clap has built the command tree (so the
//! global options and the generated `--help`, `--version` and `help` are in
//! place), [`command`] walks every command and argument and replaces its
//! texts with catalog messages whose ids follow the command path:
//!
//! | text | id |
//! |---|---|
//! | a command's `about` | `help-PATH-about` (`help-about` for kura itself) |
//! | a command's `long_about` | `help-PATH-long-about` |
//! | an argument's `help` | `help-PATH-arg-ID`, else the shared `help-arg-ID` |
//! | an argument's `long_help` | the same id followed by `-long` |
//! | a command's `after_help` | `help-PATH-after-help` |
//!
//! PATH is the subcommand names joined by `-` (`custody-add`) and ID the
//! argument's id with `_` written as `-` (`passphrase-file`). A shared
//! `help-arg-ID` entry serves every command with that argument that has no
//! entry of its own: keep those for options that mean the same everywhere
//! (the global options, and the key and ledger options flattened into
//! several commands). `--help`, `--version` and the `help` command use
//! `help-flag-*` and `help-cmd-help-*`.
//! A unit test checks that every command and argument has its texts in both
//! catalogs, so a command added without translations fails the tests.

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, CommandFactory};

use super::Cli;
use kura::error::{Error, Kind};
use kura::i18n::{self, Lang};

/// The clap-generated `help` subcommand and its shared texts.
const HELP_COMMAND: &str = "help";

/// The whole command tree, built, with every text in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    localize(cmd, &[], lang, false)
}

/// The message id prefix of a command path: `help` or `help-custody-add`.
fn prefix(path: &[String]) -> String {
    let mut p = String::from("help");
    for part in path {
        p.push('-');
        p.push_str(part);
    }
    p
}

/// Fluent ids allow letters, digits, `-` and `_`; kura's ids use `-`.
fn id_part(s: &str) -> String {
    s.replace('_', "-")
}

/// The catalog ids for one argument's help, the command's own first, then
/// the shared one; the first that exists wins.
fn arg_ids(path: &[String], arg: &Arg) -> Vec<String> {
    let id = arg.get_id().as_str();
    vec![
        format!("{}-arg-{}", prefix(path), id_part(id)),
        format!("help-arg-{}", id_part(id)),
    ]
}

/// Whether an argument is clap's generated `--help` or `--version`.
fn builtin(arg: &Arg) -> Option<&'static str> {
    match arg.get_action() {
        clap::ArgAction::Help | clap::ArgAction::HelpShort | clap::ArgAction::HelpLong => Some("help"),
        clap::ArgAction::Version => Some("version"),
        _ => None,
    }
}

/// The first id of `ids` present in `lang`'s catalog, else in English.
fn text_for(lang: Lang, ids: &[String]) -> Option<String> {
    [lang, Lang::En]
        .iter()
        .find_map(|l| ids.iter().find_map(|id| i18n::lookup(*l, id)))
}

fn localize_arg(arg: Arg, path: &[String], lang: Lang) -> Arg {
    let mut arg = arg;
    if let Some(which) = builtin(&arg) {
        let long = arg.get_long_help().is_some();
        let (short_id, long_id) = match (which, long) {
            ("help", true) => ("help-flag-help-more", Some("help-flag-help-summary")),
            ("help", false) => ("help-flag-help", None),
            _ => ("help-flag-version", None),
        };
        if let Some(s) = text_for(lang, &[short_id.to_string()]) {
            arg = arg.help(s);
        }
        if let Some(s) = long_id.and_then(|id| text_for(lang, &[id.to_string()])) {
            arg = arg.long_help(s);
        }
    } else {
        let ids = arg_ids(path, &arg);
        if let Some(s) = text_for(lang, &ids) {
            arg = arg.help(s);
        }
        if arg.get_long_help().is_some() {
            let long: Vec<String> = ids.iter().map(|i| format!("{i}-long")).collect();
            if let Some(s) = text_for(lang, &long) {
                arg = arg.long_help(s);
            }
        }
    }
    // The global options come last under their own heading; in Japanese
    // every heading is set, as clap's own are English.
    let heading = if arg.is_global_set() {
        Some("msg-help-heading-global")
    } else if lang == Lang::En {
        None
    } else if arg.is_positional() {
        Some("msg-help-heading-arguments")
    } else {
        Some("msg-help-heading-options")
    };
    if let Some(h) = heading {
        arg = arg.help_heading(i18n::text(lang, h, &[]));
    }
    arg
}

/// Localises `cmd` (at `path`) and everything below it. `in_help` is true
/// inside the tree of the generated `help` subcommand, whose entries are
/// copies of the real commands (they take the real commands' texts).
fn localize(mut cmd: clap::Command, path: &[String], lang: Lang, in_help: bool) -> clap::Command {
    let is_help = !path.is_empty() && cmd.get_name() == HELP_COMMAND && !in_help;
    let p = prefix(path);
    let about = if is_help || (in_help && cmd.get_name() == HELP_COMMAND) {
        text_for(lang, &["help-cmd-help-about".to_string()])
    } else {
        text_for(lang, &[format!("{p}-about")])
    };
    if let Some(s) = about {
        cmd = cmd.about(s);
    }
    if !in_help && !is_help && cmd.get_long_about().is_some() {
        if let Some(s) = text_for(lang, &[format!("{p}-long-about")]) {
            cmd = cmd.long_about(s);
        }
    }
    if !in_help && !is_help && cmd.get_after_help().is_some() {
        if let Some(s) = text_for(lang, &[format!("{p}-after-help")]) {
            cmd = cmd.after_help(s);
        }
    }
    if !is_help && !in_help {
        cmd = cmd.mut_args(|a| localize_arg(a, path, lang));
    } else if is_help {
        cmd = cmd.mut_args(|a| {
            let a = match text_for(lang, &["help-cmd-help-arg-subcommand".to_string()]) {
                Some(s) if a.get_id() == "subcommand" => a.help(s),
                _ => a,
            };
            localize_arg(a, path, lang)
        });
    }
    if lang == Lang::Ja {
        let usage = i18n::text(lang, "msg-help-usage", &[]);
        cmd = cmd
            .help_template(format!(
                "{{before-help}}{{about-with-newline}}\n{usage} {{usage}}\n\n{{all-args}}{{after-help}}"
            ))
            .subcommand_help_heading(i18n::text(lang, "msg-help-heading-commands", &[]));
    }
    // The help tree mirrors the real tree one level up: `kura help custody
    // add` stands for `kura custody add`.
    let child_base: Vec<String> = if is_help {
        path[..path.len() - 1].to_vec()
    } else {
        path.to_vec()
    };
    let child_in_help = in_help || is_help;
    cmd.mut_subcommands(|sub| {
        let mut p = child_base.clone();
        p.push(sub.get_name().to_string());
        localize(sub, &p, lang, child_in_help)
    })
}

/// Every message id the help of `cmd` needs: (where, candidate ids). For the
/// catalog test.
#[cfg(test)]
fn required_ids(cmd: &clap::Command) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    collect(cmd, &[], &mut out);
    out
}

#[cfg(test)]
fn collect(cmd: &clap::Command, path: &[String], out: &mut Vec<(String, Vec<String>)>) {
    let p = prefix(path);
    let at = |what: &str| format!("kura {} {what}", path.join(" "));
    if cmd.get_name() == HELP_COMMAND && !path.is_empty() {
        out.push((at("about"), vec!["help-cmd-help-about".into()]));
        return;
    }
    out.push((at("about"), vec![format!("{p}-about")]));
    if cmd.get_long_about().is_some() {
        out.push((at("long about"), vec![format!("{p}-long-about")]));
    }
    if cmd.get_after_help().is_some() {
        out.push((at("after help"), vec![format!("{p}-after-help")]));
    }
    for arg in cmd.get_arguments() {
        if builtin(arg).is_some() {
            continue;
        }
        let ids = arg_ids(path, arg);
        let name = format!("argument {}", arg.get_id());
        if arg.get_long_help().is_some() {
            out.push((
                at(&format!("{name} (long)")),
                ids.iter().map(|i| format!("{i}-long")).collect(),
            ));
        }
        out.push((at(&name), ids));
    }
    for sub in cmd.get_subcommands() {
        let mut p = path.to_vec();
        p.push(sub.get_name().to_string());
        collect(sub, &p, out);
    }
}

fn ctx_string(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(v.iter().map(StyledStr::to_string).collect::<Vec<_>>().join(", ")),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A clap parse failure as a kura usage error (exit code 2) whose message
/// id and arguments describe what was wrong, in any language.
pub fn usage_error(e: &clap::Error) -> Error {
    let arg = ctx_string(e, ContextKind::InvalidArg).unwrap_or_default();
    let base = |id: &'static str| Error::new(Kind::Usage, id);
    let mut err = match e.kind() {
        ErrorKind::UnknownArgument => base("err-usage-unknown-arg").arg("arg", &arg),
        ErrorKind::InvalidSubcommand => base("err-usage-unknown-command").arg(
            "command",
            ctx_string(e, ContextKind::InvalidSubcommand).unwrap_or_default(),
        ),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => base("err-usage-invalid-value")
            .arg("arg", &arg)
            .arg("value", ctx_string(e, ContextKind::InvalidValue).unwrap_or_default()),
        ErrorKind::MissingRequiredArgument => base("err-usage-missing").arg("arg", &arg),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            base("err-usage-missing-command")
        }
        ErrorKind::ArgumentConflict => base("err-usage-conflict")
            .arg("arg", &arg)
            .arg("other", ctx_string(e, ContextKind::PriorArg).unwrap_or_default()),
        ErrorKind::NoEquals | ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues
            if !arg.is_empty() =>
        {
            base("err-usage-arg").arg("arg", &arg)
        }
        ErrorKind::InvalidUtf8 => base("err-usage-utf8"),
        _ => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or_default();
            base("err-usage").arg("detail", first.trim_start_matches("error: "))
        }
    };
    if let Some(valid) = ctx_string(e, ContextKind::ValidValue) {
        err = err.arg("valid", valid);
    }
    if let Some(s) =
        ctx_string(e, ContextKind::SuggestedArg).or_else(|| ctx_string(e, ContextKind::SuggestedSubcommand))
    {
        err = err.arg("suggestion", s);
    }
    err
}

/// The lines printed under a usage error: possible values, a suggestion,
/// the usage line and where to read more.
pub fn usage_hints(e: &clap::Error, err: &Error, lang: Lang) -> Vec<String> {
    let get = |k: &str| err.args.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
    let mut out = Vec::new();
    if let Some(v) = get("valid") {
        out.push(i18n::text(lang, "msg-usage-valid", &[("values", v)]));
    }
    if let Some(s) = get("suggestion") {
        out.push(i18n::text(lang, "msg-usage-suggestion", &[("suggestion", s)]));
    }
    if let Some(usage) = ctx_string(e, ContextKind::Usage) {
        let usage = usage.trim();
        let body = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
        out.push(String::new());
        out.push(format!("{} {body}", i18n::text(lang, "msg-help-usage", &[])));
        let cmd = body
            .split_whitespace()
            .take_while(|w| !w.starts_with(['[', '<', '-']))
            .collect::<Vec<_>>()
            .join(" ");
        out.push(String::new());
        out.push(i18n::text(lang, "msg-usage-more", &[("command", &cmd)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_argument_has_help_in_both_catalogs() {
        let cmd = command(Lang::En);
        let mut missing = Vec::new();
        for (at, ids) in required_ids(&cmd) {
            for lang in [Lang::En, Lang::Ja] {
                if !ids.iter().any(|id| i18n::lookup(lang, id).is_some()) {
                    missing.push(format!("{}: {at}: {}", lang.code(), ids.join(" or ")));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "help texts missing from the catalogs:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn japanese_help_replaces_every_text() {
        let cmd = command(Lang::Ja);
        let pack = cmd.find_subcommand("pack").expect("pack exists");
        let about = pack.get_about().expect("about").to_string();
        assert!(!about.is_ascii(), "pack about not translated: {about}");
        for arg in pack.get_arguments() {
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            assert!(!help.is_ascii(), "pack {} not translated: {help}", arg.get_id());
        }
        let add = cmd
            .find_subcommand("custody")
            .and_then(|c| c.find_subcommand("add"))
            .expect("custody add exists");
        assert!(!add.get_about().expect("about").to_string().is_ascii());
    }

    #[test]
    fn english_help_comes_from_the_catalog() {
        let cmd = command(Lang::En);
        let pack = cmd.find_subcommand("pack").expect("pack exists");
        let out = pack
            .get_arguments()
            .find(|a| a.get_id() == "output")
            .and_then(|a| a.get_help())
            .map(|h| h.to_string());
        assert_eq!(out, i18n::lookup(Lang::En, "help-pack-arg-output"));
    }

    #[test]
    fn usage_errors_name_the_argument() {
        let mut cmd = command(Lang::En);
        let e = cmd
            .try_get_matches_from_mut(["kura", "pack", "--nonsense"])
            .expect_err("unknown option");
        let err = usage_error(&e);
        assert_eq!(err.id, "err-usage-unknown-arg");
        assert_eq!(err.exit_code(), 2);
        assert!(err.args.iter().any(|(k, v)| *k == "arg" && v == "--nonsense"));
    }

    #[test]
    fn every_command_is_documented_in_the_json_schema() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/JSON.md")).expect("docs/JSON.md");
        let cmd = command(Lang::En);
        let mut missing = Vec::new();
        for path in leaves(&cmd, &mut Vec::new()) {
            let heading = format!("### `kura {path}`");
            if !doc.contains(&heading) {
                missing.push(heading);
            }
        }
        assert!(missing.is_empty(), "docs/JSON.md lacks: {missing:?}");
    }

    /// The commands that run (no subcommands of their own), as "custody add".
    fn leaves(cmd: &clap::Command, path: &mut Vec<String>) -> Vec<String> {
        let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| s.get_name() != "help").collect();
        if subs.is_empty() {
            return vec![path.join(" ")];
        }
        let mut out = Vec::new();
        for s in subs {
            path.push(s.get_name().to_string());
            out.extend(leaves(s, path));
            path.pop();
        }
        out
    }
}
