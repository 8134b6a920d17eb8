//! One error type for all of kura, mapping to documented exit codes
//! (docs/EXIT-CODES.md). Every error carries a message id and arguments so
//! that the CLI can render it in the user's language (see `i18n`).

use std::fmt;
use std::io;

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
    pub args: Vec<(&'static str, String)>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, id: &'static str) -> Self {
        Error {
            kind,
            id,
            args: Vec::new(),
        }
    }

    /// Adds a named argument to the message.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// An I/O failure while doing `what` on `path`.
    pub fn io(err: &io::Error, path: impl fmt::Display) -> Self {
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
        Error::new(kind, id).arg("path", path).arg("detail", err)
    }

    pub fn internal(detail: impl fmt::Display) -> Self {
        Error::new(Kind::Internal, "err-internal").arg("detail", detail)
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }

    /// The message in the given language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::i18n::text(lang, self.id, &args)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(crate::i18n::Lang::En))
    }
}

impl std::error::Error for Error {}

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
    Error::io(&e, path)
}

/// Wraps a kura error into an `io::Error` so it can cross `Read`/`Write`.
pub fn into_io(e: Error) -> io::Error {
    io::Error::other(e)
}
