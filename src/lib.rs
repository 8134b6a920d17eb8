//! kura (蔵): carry an unavoidable patient-data export out of a clinic
//! encrypted to named recipients, signed, and accounted for in a chain of
//! custody that ends in a signed deletion or return certificate.
//!
//! The crate is shaped like the data flow:
//! - [`keys`]: identities, recipients, passphrases, SSHSIG signatures;
//! - [`vault`]: the format, manifest and receipt, the pack and open pipelines;
//! - [`custody`]: the hash-chained, signed custody log;
//! - [`certificate`]: deletion and return certificates;
//! - [`ledger`]: the clinic's register of exports (SQLite);
//! - [`incident`]: the facts and deadline for a loss report;
//! - [`guard`]: the medium a path is on (removable, network, FAT) and the
//!   rules that depend on it;
//! - [`i18n`]: Japanese and English messages;
//! - [`custodian`]: the operations that leave evidence (pack, verify,
//!   extract, certify, prune), each run together with its custody record;
//! - [`retention`]: the vaults of a backup folder and the keep policy;
//! - [`error`]: one error type with documented exit codes;
//! - [`naming`] and [`units`]: leaves every module may use (where a vault's
//!   files are; sizes as people read them).
//!
//! The command line is not part of the library: it lives in the `kura`
//! binary (`src/main.rs`, `src/cli/`), which the library cannot see.
//! docs/ARCHITECTURE.md draws the layers and which way they depend.

pub mod approval;
pub mod certificate;
pub mod clock;
pub mod custodian;
pub mod custody;
pub mod error;
pub mod fault;
pub mod form;
pub mod fsutil;
pub mod guard;
pub mod i18n;
pub mod incident;
pub mod interrupt;
pub mod keys;
pub mod ledger;
pub mod naming;
pub mod retention;
pub mod units;
pub mod vault;

pub use error::{Error, Kind, Result};
