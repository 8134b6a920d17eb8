//! One error type for all of kura, mapping to documented exit codes
//! (docs/EXIT-CODES.md). Every error carries a message id and arguments, and
//! is put into words only where it is shown: [`Error::message`] in the
//! user's language (the command line), `Display` in English. An argument
//! may itself be a message id or another error, which are rendered in the
//! same language then; the error that caused it is kept as its `source()`.

use std::fmt;
use std::io;
use std::sync::Arc;

/// What kind of failure happened; decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Something unexpected inside kura.
    Internal,
    /// The command line was wrong.
    Usage,
    /// The input was refused by a rule (approval incomplete, delete-by in the
    /// past, special files, links leaving the tree, ...).
    Refused,
    /// A key or passphrase could not be used.
    Key,
    /// None of the given identities can open the vault.
    Decrypt,
    /// A vault, manifest, receipt, custody log or certificate failed an
    /// integrity or signature check (tampered, truncated, mismatched).
    Integrity,
    /// A signature is valid but the signer is not in the trust list.
    Untrusted,
    /// An archive tried to write outside its destination or carried
    /// forbidden entry types.
    Unsafe,
    /// The output exists and `--force` was not given.
    Exists,
    /// Reading or writing failed (not found, permission, disk full).
    Io,
    /// A data-protection rule forbids the operation here (removable media,
    /// network file system, key travelling with the data).
    Policy,
    /// Interrupted by Ctrl-C or SIGTERM.
    Interrupted,
}

impl Kind {
    /// The process exit code for this kind (documented in docs/EXIT-CODES.md).
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Internal => 1,
            Kind::Usage => 2,
            Kind::Refused => 3,
            Kind::Key => 4,
            Kind::Decrypt => 5,
            Kind::Integrity => 6,
            Kind::Untrusted => 7,
            Kind::Unsafe => 8,
            Kind::Exists => 9,
            Kind::Io => 10,
            Kind::Policy => 11,
            Kind::Interrupted => 130,
        }
    }

    /// A stable machine-readable name, used in `--json` errors.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Internal => "internal",
            Kind::Usage => "usage",
            Kind::Refused => "refused",
            Kind::Key => "key",
            Kind::Decrypt => "decrypt",
            Kind::Integrity => "integrity",
            Kind::Untrusted => "untrusted",
            Kind::Unsafe => "unsafe",
            Kind::Exists => "exists",
            Kind::Io => "io",
            Kind::Policy => "policy",
            Kind::Interrupted => "interrupted",
        }
    }
}

/// A kura error: a kind (exit code), a message id from the catalog in
/// `src/i18n/*.ftl`, and named arguments for the message.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    pub id: &'static str,
    /// Arguments given as text.
    pub args: Vec<(&'static str, String)>,
    /// Arguments rendered in the reader's language: a message id, or the
    /// error that stopped a step (see [`Error::arg_msg`], [`Error::arg_error`]).
    pub(crate) worded: Vec<(&'static str, Worded)>,
    /// The underlying error, for `source()`.
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

/// An argument put into words when the message is.
#[derive(Debug, Clone)]
pub(crate) enum Worded {
    Message(&'static str),
    Error(Box<Error>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, id: &'static str) -> Self {
        Error {
            kind,
            id,
            args: Vec::new(),
            worded: Vec::new(),
            source: None,
        }
    }

    /// Adds a named argument to the message.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// Adds a named argument that is itself a message (its id), worded in
    /// the language the error is shown in.
    pub fn arg_msg(mut self, name: &'static str, id: &'static str) -> Self {
        self.worded.push((name, Worded::Message(id)));
        self
    }

    /// Adds a named argument that is another kura error (what stopped a
    /// step), worded in the language the error is shown in; it is also the
    /// source.
    pub fn arg_error(mut self, name: &'static str, inner: Error) -> Self {
        self.source = Some(Arc::new(inner.clone()));
        self.worded.push((name, Worded::Error(Box::new(inner))));
        self
    }

    /// Keeps `cause` as this error's `source()`.
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(cause));
        self
    }

    /// The arguments as the message shows them in `lang`.
    pub fn words(&self, lang: crate::i18n::Lang) -> Vec<(&'static str, String)> {
        let mut out = self.args.clone();
        for (name, w) in &self.worded {
            let text = match w {
                Worded::Message(id) => crate::i18n::text(lang, id, &[]),
                Worded::Error(e) => e.message(lang),
            };
            out.push((name, text));
        }
        out
    }

    /// An I/O failure on `path`; `err` is kept as the source.
    pub fn io(err: io::Error, path: impl fmt::Display) -> Self {
        let id = match err.kind() {
            io::ErrorKind::NotFound => "err-io-not-found",
            io::ErrorKind::PermissionDenied => "err-io-permission",
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => "err-io-full",
            io::ErrorKind::FileTooLarge => "err-io-too-big",
            io::ErrorKind::AlreadyExists => "err-io-exists",
            _ if err.raw_os_error() == Some(28) => "err-io-full",
            _ if err.raw_os_error() == Some(27) => "err-io-too-big",
            _ => "err-io",
        };
        let kind = if id == "err-io-exists" { Kind::Exists } else { Kind::Io };
        Error::new(kind, id)
            .arg("path", path)
            .arg("detail", &err)
            .caused_by(err)
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::new(Kind::Internal, "err-internal").arg("detail", detail)
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// The message in the given language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        let words = self.words(lang);
        let args: Vec<(&str, &str)> = words.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::i18n::text(lang, self.id, &args)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(crate::i18n::Lang::En))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Attaches a path to an `io::Result`.
pub trait IoContext<T> {
    fn at(self, path: impl fmt::Display) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: impl fmt::Display) -> Result<T> {
        self.map_err(|e| io_or_inner(e, path))
    }
}

/// Errors raised inside stream adapters travel through `io::Error`; this
/// recovers the original kura error if there is one.
pub fn io_or_inner(e: io::Error, path: impl fmt::Display) -> Error {
    if e.get_ref().and_then(|r| r.downcast_ref::<Error>()).is_some() {
        let inner = e.into_inner().expect("checked above");
        return *inner.downcast::<Error>().expect("checked above");
    }
    Error::io(e, path)
}

/// Wraps a kura error into an `io::Error` so it can cross `Read`/`Write`.
pub fn into_io(e: Error) -> io::Error {
    io::Error::other(e)
}
