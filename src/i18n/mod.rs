//! Messages in Japanese and English, from Fluent catalogs compiled into the
//! binary (`en.ftl`, `ja.ftl`). The language comes from `--lang`, else from
//! LC_ALL, LC_MESSAGES or LANG (the first one set), else English.

use std::borrow::Cow;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A user-facing language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("ja") {
            Some(Lang::Ja)
        } else if s.starts_with("en") || s == "c" || s == "posix" || s.starts_with("c.") {
            Some(Lang::En)
        } else {
            None
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    /// The language the environment asks for, as POSIX defines the order;
    /// when none of the variables is set, the system's user interface
    /// language (on Windows), else English.
    pub fn from_env() -> Lang {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if LOCALE_VARS.iter().any(|k| get(k).is_some()) {
            return Self::from_vars(get);
        }
        system_ui_lang().unwrap_or(Lang::En)
    }

    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        for var in LOCALE_VARS {
            if let Some(v) = get(var).filter(|v| !v.is_empty()) {
                return Lang::parse(&v).unwrap_or(Lang::En);
            }
        }
        Lang::En
    }
}

/// The locale variables consulted, in POSIX order.
const LOCALE_VARS: [&str; 3] = ["LC_ALL", "LC_MESSAGES", "LANG"];

/// The user's display language on Windows (`GetUserDefaultUILanguage`):
/// Japanese when its primary language is LANG_JAPANESE (0x11).
#[cfg(windows)]
fn system_ui_lang() -> Option<Lang> {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetUserDefaultUILanguage() -> u16;
    }
    // SAFETY: takes no arguments and only returns the current user's LANGID.
    let langid = unsafe { GetUserDefaultUILanguage() };
    Some(if langid & 0x3ff == 0x11 { Lang::Ja } else { Lang::En })
}

/// Elsewhere the locale variables are the system's way of saying it.
#[cfg(not(windows))]
fn system_ui_lang() -> Option<Lang> {
    None
}

static CURRENT: OnceLock<Lang> = OnceLock::new();

/// Fixes the language for this process (first call wins).
pub fn set_lang(lang: Lang) {
    let _ = CURRENT.set(lang);
}

/// The process language: the one set by the CLI, else the environment's.
pub fn lang() -> Lang {
    *CURRENT.get_or_init(Lang::from_env)
}

const EN: &str = include_str!("en.ftl");
const JA: &str = include_str!("ja.ftl");

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static EN_B: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static JA_B: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let (cell, src, tag) = match lang {
        Lang::En => (&EN_B, EN, "en"),
        Lang::Ja => (&JA_B, JA, "ja"),
    };
    cell.get_or_init(|| {
        let res = FluentResource::try_new(src.to_string()).expect("bundled catalog parses");
        let mut b = FluentBundle::new_concurrent(vec![tag.parse().expect("valid tag")]);
        b.set_use_isolating(false);
        b.add_resource(res).expect("bundled catalog has no duplicates");
        b
    })
}

/// Whether `c` is a character a terminal or a browser would act on rather
/// than show: the C0 controls (newline and tab included), DEL, the C1
/// controls, the bidirectional embeddings, overrides, isolates and marks
/// (which reorder what follows them), and the Unicode line and paragraph
/// separators. Text from a vault, a log, a key or a host name may hold any
/// of them; shown raw, they could hide or rewrite what kura prints next.
pub fn is_control(c: char) -> bool {
    matches!(c,
        '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{61c}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `c` written visibly: `\n`, `\r`, `\t`, `\x1b` for the other ASCII
/// controls, `\u{202e}` for the rest.
fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_ascii() => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every character for which `escape` holds written visibly.
fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` safe to show as one value on one line: every [`is_control`]
/// character, newlines included, written visibly (`\x1b`, `\n`,
/// `\u{202e}`). Everything else, backslashes included, is unchanged.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape_where(s, is_control)
}

/// `s` safe to print as lines of text: as [`escape_controls`], but keeping
/// the newlines that separate the lines.
pub fn escape_controls_but_newlines(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && is_control(c))
}

/// The message `id` in `lang` with named arguments; falls back to English,
/// then to the id itself, so a message is never lost. Every argument is
/// shown with its control characters escaped ([`escape_controls`]): an
/// argument is one value, never a line break or a terminal command.
pub fn text(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    let args: Vec<(&str, Cow<str>)> = args.iter().map(|(k, v)| (*k, escape_controls(v))).collect();
    let mut fargs = FluentArgs::new();
    for (k, v) in &args {
        // Counts of days are numbers, so that a catalog can choose between
        // "1 day" and "2 days" (Fluent's plural categories).
        match (*k, v.parse::<i64>()) {
            ("days", Ok(n)) => fargs.set(*k, FluentValue::from(n)),
            _ => fargs.set(*k, FluentValue::from(v.to_string())),
        }
    }
    for l in [lang, Lang::En] {
        let b = bundle(l);
        if let Some(pattern) = b.get_message(id).and_then(|m| m.value()) {
            let mut errs = vec![];
            return b.format_pattern(pattern, Some(&fargs), &mut errs).into_owned();
        }
    }
    let mut s = id.to_string();
    for (k, v) in &args {
        s.push_str(&format!(" {k}={v}"));
    }
    s
}

/// The message `id` in exactly `lang`, or `None` when that catalog lacks it
/// (no fallback; used to localise `--help` and to check the catalogs).
pub fn lookup(lang: Lang, id: &str) -> Option<String> {
    let b = bundle(lang);
    let pattern = b.get_message(id)?.value()?;
    let mut errs = vec![];
    Some(b.format_pattern(pattern, None, &mut errs).into_owned())
}

/// The message `id` in the process language.
pub fn t(id: &str, args: &[(&str, &str)]) -> String {
    text(lang(), id, args)
}

/// Every message id in a catalog (used by tests to keep the two in step).
pub fn ids(lang: Lang) -> Vec<String> {
    let src = match lang {
        Lang::En => EN,
        Lang::Ja => JA,
    };
    src.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_order_follows_posix() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(Lang::from_vars(env(&[("LANG", "ja_JP.UTF-8")])), Lang::Ja);
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_MESSAGES", "ja_JP"), ("LANG", "en_US")])),
            Lang::Ja
        );
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
    }

    #[test]
    fn catalogs_have_the_same_ids() {
        let mut en = ids(Lang::En);
        let mut ja = ids(Lang::Ja);
        en.sort();
        ja.sort();
        assert!(!en.is_empty());
        assert_eq!(en, ja);
    }

    #[test]
    fn every_id_used_in_the_source_is_in_the_catalog() {
        let en = ids(Lang::En);
        let mut missing = vec![];
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let src = std::fs::read_to_string(&p).unwrap();
                    for part in src.split('"').skip(1).step_by(2) {
                        let is_id = ["err-", "msg-", "warn-"].iter().any(|pre| part.starts_with(pre))
                            && part
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit());
                        if is_id && !en.contains(&part.to_string()) {
                            missing.push(format!("{}: {part}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "ids missing from en.ftl: {missing:?}");
    }

    #[test]
    fn day_counts_are_singular_or_plural_in_english() {
        assert_eq!(
            text(Lang::En, "msg-ledger-st-overdue", &[("days", "1")]),
            "OVERDUE (1 day)"
        );
        assert_eq!(
            text(Lang::En, "msg-ledger-st-overdue", &[("days", "3")]),
            "OVERDUE (3 days)"
        );
        assert_eq!(
            text(Lang::Ja, "msg-ledger-st-overdue", &[("days", "1")]),
            "期限超過（1 日）"
        );
    }

    #[test]
    fn control_characters_are_written_visibly() {
        assert_eq!(escape_controls("plain 日本語 C:\\x"), "plain 日本語 C:\\x");
        assert_eq!(
            escape_controls("a\x1b[2J\nb\tc\rd\x7f\u{85}\u{9b}\u{202e}\u{2066}\u{2028}\u{200f}e"),
            "a\\x1b[2J\\nb\\tc\\rd\\x7f\\u{85}\\u{9b}\\u{202e}\\u{2066}\\u{2028}\\u{200f}e"
        );
        assert_eq!(escape_controls_but_newlines("a\x1b\nb"), "a\\x1b\nb");
        // Escaping what is escaped changes nothing.
        let once = escape_controls("x\x1b\u{202e}").into_owned();
        assert_eq!(escape_controls(&once), once);
    }

    #[test]
    fn arguments_are_one_value_on_one_line() {
        let s = text(
            Lang::En,
            "err-io-not-found",
            &[("path", "a\x1b[8m\nkura: done"), ("detail", "d")],
        );
        assert!(s.contains("a\\x1b[8m\\nkura: done"), "{s}");
        assert!(!s.contains('\x1b') && !s.contains('\n'));
    }

    #[test]
    fn japanese_is_rendered_with_arguments() {
        let s = text(Lang::Ja, "err-io-not-found", &[("path", "x.kura"), ("detail", "d")]);
        assert!(s.contains("x.kura"));
        assert!(!s.is_ascii());
    }
}
