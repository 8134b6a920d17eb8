//! Fault injection for the tests: a debug build (the one `cargo test`
//! runs) that finds `KURA_TEST_ABORT_AT=POINT` in its environment aborts
//! at that point, as a `kill -9` would stop it there: no destructor, no
//! clean-up, no record. Release builds compile [`point`] to nothing.
//!
//! The points: `extracting` (the intent record is written, nothing
//! decrypted yet), `staged` (every file is decrypted and checked in the
//! stage, nothing moved into DEST yet), `receipt-kept` (`ledger close -i
//! --append-to`: the ledger is closed and keeps the clinic's receipt, the
//! log is untouched), `receipt-records-copied` (the log has taken the
//! certificate's records it lacked, not yet the receipt's).

/// Aborts here when the test asked for it (debug builds only).
#[inline]
pub fn point(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("KURA_TEST_ABORT_AT").is_some_and(|v| v == name) {
        std::process::abort();
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}
