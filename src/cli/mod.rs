//! The command line: argument definitions and dispatch. Each command lives
//! in its own file and only turns arguments into library calls and results
//! into a [`Report`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use kura::error::{Error, Kind, Result};
use kura::i18n::{self, Lang};
pub use kura::units::bytes;

pub mod approval;
pub mod approve;
pub mod certificate;
pub mod certify;
pub mod consent;
pub mod contents;
pub mod countersign;
pub mod custody;
pub mod demo;
pub mod extract;
pub mod help;
pub mod incident;
pub mod inspect;
pub mod keygen;
pub mod ledger;
pub mod list;
pub mod pack;
pub mod progress;
pub mod prune;
pub mod render;
pub mod shell;
pub mod size;
pub mod table;
pub mod verify;

/// Version of the `--json` output schema (docs/JSON.md).
pub const JSON_SCHEMA: u32 = 1;

#[derive(Parser, Debug)]
#[command(
    name = "kura",
    version,
    about = "Carry a patient-data export out of a clinic encrypted, signed and accounted for",
    long_about = "kura packs an export into one encrypted vault readable only by named recipients, \
records the clinic's written approval, keeps a signed chain of custody beside it, and ends with a \
signed deletion or return certificate.\n\nNever put patient names in notes or other free text."
)]
pub struct Cli {
    /// Language of messages: ja or en (default: from LC_ALL, LC_MESSAGES, LANG)
    #[arg(long, global = true, value_parser = ["ja", "en"])]
    pub lang: Option<String>,
    /// Print machine-readable JSON on stdout (errors too)
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Make an OpenSSH Ed25519 key pair (KEY and KEY.pub)
    Keygen(keygen::KeygenArgs),
    /// Sign the clinic's take-out approval for an engineer to pack under
    Approve(approve::ApproveArgs),
    /// Pack files and folders into an encrypted, signed vault
    Pack(pack::PackArgs),
    /// Show a vault's public facts (no key needed)
    Inspect(inspect::InspectArgs),
    /// Decrypt and check everything, writing no plaintext
    Verify(verify::VerifyArgs),
    /// Decrypt, check everything, then put the files in DEST
    Extract(extract::ExtractArgs),
    /// List the files a vault holds, after checking everything (no plaintext written)
    Contents(contents::ContentsArgs),
    /// The chain of custody beside a vault
    #[command(subcommand)]
    Custody(custody::CustodyCommand),
    /// Destroy the data (or hand it back) and issue a signed certificate
    Certify(certify::CertifyArgs),
    /// Deletion and return certificates
    #[command(subcommand)]
    Certificate(certificate::CertificateCommand),
    /// Run the whole flow on built-in dummy data
    Demo(demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(shell::CompletionsArgs),
    /// Print the manual page, or write one per command into a folder
    Man(shell::ManArgs),
    /// The clinic's ledger of exports: outstanding, overdue, closed
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// The clinic's take-out approval: print its form, or show it
    #[command(subcommand)]
    Approval(approval::ApprovalCommand),
    /// Every vault in some folders: custody state, delete-by, and whether its ciphertext matches its receipt (no key needed)
    List(list::ListArgs),
    /// Delete the vaults a keep policy does not keep (and those past their delete-by day), with one certificate
    Prune(prune::PruneArgs),
    /// Draft the report of a lost medium (deadline, contents, protection, custody) and record the loss
    Incident(incident::IncidentArgs),
}

/// Who I am, shared by every command that signs or decrypts.
#[derive(Args, Debug, Clone)]
pub struct IdentityArgs {
    /// My key: an OpenSSH Ed25519 private key (signs and decrypts) or an age identity file (decrypts)
    #[arg(short = 'i', long = "identity", value_name = "KEY")]
    pub identity: Vec<PathBuf>,
    /// File holding the key's passphrase (else $KURA_PASSPHRASE_FILE, else asked on the terminal)
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Command that prints the key's passphrase, run by the shell (else $KURA_PASSPHRASE_COMMAND)
    #[arg(long, value_name = "CMD", conflicts_with = "passphrase_file")]
    pub passphrase_command: Option<String>,
}

impl IdentityArgs {
    /// Refuses key and passphrase files that are not there, naming `-i` or
    /// `--passphrase-file`.
    pub fn check(&self) -> Result<()> {
        given("-i", &self.identity)?;
        given("--passphrase-file", &self.passphrase_file)
    }

    pub fn passphrase(&self) -> kura::keys::PassphraseSource {
        kura::keys::PassphraseSource::with_command(self.passphrase_file.clone(), self.passphrase_command.clone())
    }

    /// The key files, read by the operation once its checks have passed.
    pub fn keys<'a>(&'a self, passphrase: &'a kura::keys::PassphraseSource) -> kura::custodian::Keys<'a> {
        kura::custodian::Keys {
            paths: &self.identity,
            passphrase,
        }
    }
}

/// Refuses a file named by `option` that is not there, saying which option
/// named it: a bare "not found: NAME" leaves the user to guess where NAME
/// came from.
pub fn given<'a>(option: &str, paths: impl IntoIterator<Item = &'a PathBuf>) -> Result<()> {
    for p in paths {
        if let Err(e) = std::fs::symlink_metadata(p) {
            if e.kind() == std::io::ErrorKind::NotFound {
                // A passphrase that cannot be read is a key problem (4),
                // however it fails.
                let kind = if option == "--passphrase-file" {
                    Kind::Key
                } else {
                    Kind::Io
                };
                return Err(Error::new(kind, "err-option-not-found")
                    .arg("option", option)
                    .arg("path", p.display()));
            }
        }
    }
    Ok(())
}

/// What a command produced: lines for people, a value for scripts.
///
/// Each of `human` is exactly one line: [`Report::line`] and
/// [`Report::push`] escape a newline (or any other control character)
/// inside what they are given, so a value from a vault, a log or a key can
/// never start a line of its own that would pass for kura's.
/// [`Report::text`] is for kura's own multi-line text (a completion script,
/// a manual page).
pub struct Report {
    pub human: Vec<String>,
    pub json: Value,
    /// A failure found while the report was made (a vault that fails its
    /// check): the report is still printed, then this error, and the exit
    /// code is its.
    pub failure: Option<Error>,
}

impl Report {
    pub fn new(json: Value) -> Self {
        Report {
            human: Vec::new(),
            json,
            failure: None,
        }
    }
    pub fn line(mut self, s: impl Into<String>) -> Self {
        self.push(s);
        self
    }
    pub fn push(&mut self, s: impl Into<String>) {
        let s = s.into();
        self.human.push(match i18n::escape_controls(&s) {
            std::borrow::Cow::Borrowed(_) => s,
            std::borrow::Cow::Owned(escaped) => escaped,
        });
    }
    /// Text of kura's own making, kept as the lines it has.
    pub fn text(mut self, block: &str) -> Self {
        for l in block.lines() {
            self.push(l);
        }
        self
    }
}

/// A word kura stores in a language-neutral form (an event, an item's role
/// or outcome, an extraction's status) as people read it in their
/// language: the message `msg-KIND-VALUE`; the stored form itself when the
/// catalog has none (a value from a newer kura). `--json` keeps the stored
/// form.
pub fn label(kind: &str, value: &str) -> String {
    i18n::lookup(i18n::lang(), &format!("msg-{kind}-{value}")).unwrap_or_else(|| value.to_string())
}

/// Translates with the process language.
pub fn t(id: &str, args: &[(&str, &str)]) -> String {
    i18n::t(id, args)
}

fn run(cli: Cli) -> Result<Report> {
    match cli.command {
        Command::Keygen(a) => keygen::run(a),
        Command::Approve(a) => approve::run(a),
        Command::Pack(a) => pack::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Extract(a) => extract::run(a),
        Command::Contents(a) => contents::run(a),
        Command::Custody(c) => custody::run(c),
        Command::Certify(a) => certify::run(a),
        Command::Certificate(c) => certificate::run(c),
        Command::Demo(a) => demo::run(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
        Command::Ledger(c) => ledger::run(c),
        Command::Incident(a) => incident::run(a),
        Command::Approval(c) => approval::run(c),
        Command::List(a) => list::run(a),
        Command::Prune(a) => prune::run(a),
    }
}

fn error_json(e: &Error, lang: Lang) -> Value {
    let args: serde_json::Map<String, Value> = e
        .words(lang)
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect();
    serde_json::json!({
        "schema": JSON_SCHEMA,
        "ok": false,
        "error": {
            "kind": e.kind.name(),
            "exit_code": e.exit_code(),
            "id": e.id,
            "message": e.message(lang),
            "args": args,
        }
    })
}

/// Looks for `--lang` before clap runs, so clap's own errors can be framed.
fn early_lang(args: &[String]) -> Option<Lang> {
    args.iter()
        .position(|a| a == "--lang")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| Lang::parse(v))
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("--lang="))
                .and_then(Lang::parse)
        })
}

/// How the results are shown: `--json` and `--quiet`, fixed once parsed.
static OUTPUT: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();

/// Whether `--json` was given (commands that print while they work stay
/// silent on stdout then).
pub fn json_mode() -> bool {
    OUTPUT.get().is_some_and(|o| o.0)
}

/// Whether `--quiet` was given.
pub fn quiet_mode() -> bool {
    OUTPUT.get().is_some_and(|o| o.1)
}

/// Parses the arguments with `--help` in `lang`; a parse failure is
/// reported here and its exit code returned.
fn parse(argv: &[String], json: bool, lang: Lang) -> std::result::Result<Cli, i32> {
    use clap::error::ErrorKind as K;
    use clap::FromArgMatches;
    let mut cmd = help::command(lang);
    let e = match cmd
        .try_get_matches_from_mut(argv)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion) {
        let _ = e.print();
        return Err(0);
    }
    let err = help::usage_error(&e);
    if json {
        say(&json_text(&error_json(&err, lang), false));
    } else if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
    } else {
        let prefix = i18n::text(lang, "msg-error-prefix", &[]);
        complain(&format!("kura: {prefix}: {}", err.message(lang)));
        for line in help::usage_hints(&e, &err, lang) {
            complain(&line);
        }
    }
    Err(err.exit_code())
}

/// Set when standard output carries data (`pack -o -`, `extract
/// --to-stdout`): kura's own lines, `--json` included, then go to stderr.
static STDOUT_IS_DATA: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Gives standard output over to data; refused when it is a terminal
/// (binary data would garble it, and a person meant a file).
pub fn stdout_for_data() -> Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        return Err(kura::error::Error::new(Kind::Usage, "err-stdout-terminal"));
    }
    STDOUT_IS_DATA.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// Prints a line on stdout; a closed pipe (`kura … | head`) is not an error.
/// Control characters other than newlines are escaped, whatever the line
/// was made of: text from a vault, a log or a key never reaches the
/// terminal as a command (see [`i18n::escape_controls`]).
pub(crate) fn say(line: &str) {
    use std::io::Write;
    let line = i18n::escape_controls_but_newlines(line);
    if STDOUT_IS_DATA.load(std::sync::atomic::Ordering::SeqCst) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        return;
    }
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Prints a line on stderr, ignoring a closed stream; escaped as [`say`].
fn complain(line: &str) {
    use std::io::Write;
    let line = i18n::escape_controls_but_newlines(line);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A JSON document as text whose every control character is escaped.
/// serde_json escapes those below U+0020 in strings; DEL, the C1 controls,
/// the bidirectional controls and the line separators it leaves raw. They
/// can only stand inside strings, where `\uXXXX` means the same character,
/// so the document says exactly the same.
fn json_text(v: &Value, pretty: bool) -> String {
    let text = if pretty {
        serde_json::to_string_pretty(v).unwrap_or_default()
    } else {
        v.to_string()
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != '\n' && i18n::is_control(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints the one line saying kura was interrupted (once per process: the
/// signal handler and the command's own error path may both get here).
fn announce_interrupt() {
    static ANNOUNCED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !ANNOUNCED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        complain(&format!("kura: {}", t("err-interrupted", &[])));
    }
}

/// Runs kura with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let json = argv.iter().any(|a| a == "--json");
    let lang = early_lang(&argv).unwrap_or_else(Lang::from_env);
    i18n::set_lang(lang);
    let cli = match parse(&argv, json, lang) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let _ = OUTPUT.set((cli.json, cli.quiet));
    let _ = ctrlc::set_handler(|| kura::interrupt::on_signal(announce_interrupt));
    let (json, quiet) = (cli.json, cli.quiet);
    match run(cli) {
        Ok(report) => {
            let failure = report.failure;
            if json {
                let mut v = report.json;
                if let Value::Object(m) = &mut v {
                    m.insert("schema".into(), JSON_SCHEMA.into());
                    m.insert("ok".into(), failure.is_none().into());
                    if let Some(e) = &failure {
                        m.insert("error".into(), error_json(e, lang)["error"].clone());
                    }
                }
                say(&json_text(&v, true));
            } else if !quiet {
                for l in report.human {
                    say(&l);
                }
            }
            match failure {
                None => 0,
                Some(e) => {
                    if !json {
                        let prefix = i18n::text(lang, "msg-error-prefix", &[]);
                        complain(&format!("kura: {prefix}: {}", e.message(lang).replace('\n', " ")));
                    }
                    e.exit_code()
                }
            }
        }
        Err(e) => {
            // Interrupted: whatever error the stopped stream caused, the
            // cause is the signal, and partial outputs are already gone.
            let e = if kura::interrupt::requested() {
                kura::interrupt::error()
            } else {
                e
            };
            if json {
                say(&json_text(&error_json(&e, lang), false));
            } else if e.kind == Kind::Interrupted {
                announce_interrupt();
            } else {
                let prefix = i18n::text(lang, "msg-error-prefix", &[]);
                let msg = e.message(lang).replace('\n', " ");
                complain(&format!("kura: {prefix}: {msg}"));
            }
            e.exit_code()
        }
    }
}
