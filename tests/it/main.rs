//! The integration tests, one module per subject, in one test binary (one
//! link for all of them). Each runs the built kura binary on dummy data at
//! a `common::Desk`; see `common` for the helpers they share, and `corpus`
//! for the dummy clinic export they pack.
//!
//! The tests run as threads of one process: a test must not change what is
//! process-wide (the working directory, the environment, the umask,
//! resource limits); it sets such things on the kura it starts instead
//! (`Desk::command`), or, where a library call changes them for good (keys
//! loaded through the library turn core dumps off), runs in a process of
//! its own (`common::ran_in_own_process`).

#[macro_use]
mod common;
mod corpus;

mod approval;
mod approval_show;
mod attacks2;
#[cfg(unix)]
mod attacks3;
#[cfg(unix)]
mod attacks4;
#[cfg(unix)]
mod bounded;
mod certdoc;
mod certificate;
mod cli_lang;
mod custody;
mod demo;
#[cfg(unix)]
mod destroy_confined;
#[cfg(unix)]
mod evidence;
mod faults;
mod first_hour;
mod hostile_input;
mod house;
mod incident;
mod incident_report;
mod json;
mod ledger;
mod media;
mod medium;
mod nightly;
#[cfg(unix)]
mod readonly;
mod render;
mod retention;
mod secrets;
mod setup;
mod shown_is_checked;
#[cfg(unix)]
mod streams;
mod terminal;
mod time_evidence;
mod vault;
#[cfg(unix)]
mod vault_hostile;
mod vault_interop;
mod vault_refusals;
#[cfg(unix)]
mod vectors;
