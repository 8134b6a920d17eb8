//! The one place kura reads the clock.
//!
//! Test builds only (`debug_assertions`, as `cargo test` builds kura): the
//! environment variable `KURA_NOW` (RFC 3339) replaces the clock, so tests
//! can show "overdue" without waiting, and every custody record so dated
//! says so in its signed details (`"clock": "KURA_NOW"`). A release build
//! does not contain that code: no environment variable sets the time of a
//! signed record.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, SecondsFormat};

/// The variable a test build reads, and the value of the `clock` detail of
/// a record it dated.
pub const ENV_NOW: &str = "KURA_NOW";

/// The current time with the local offset.
pub fn now() -> DateTime<FixedOffset> {
    hand_set().unwrap_or_else(|| Local::now().fixed_offset())
}

/// Whether the time comes from `KURA_NOW` (never in a release build).
/// Records made then say so in their signed details (`"clock": "KURA_NOW"`),
/// so a date set by hand is never mistaken for the computer's clock.
pub fn overridden() -> bool {
    hand_set().is_some()
}

/// The time `KURA_NOW` sets, in a test build.
#[cfg(debug_assertions)]
fn hand_set() -> Option<DateTime<FixedOffset>> {
    parse_hand_set(&std::env::var(ENV_NOW).ok()?)
}

/// A release build has no way to set the clock.
#[cfg(not(debug_assertions))]
fn hand_set() -> Option<DateTime<FixedOffset>> {
    None
}

#[cfg(debug_assertions)]
fn parse_hand_set(value: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(value.trim()).ok()
}

/// Today's date in the local time zone.
pub fn today() -> NaiveDate {
    now().date_naive()
}

/// RFC 3339 with offset, whole seconds.
pub fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// An RFC 3339 time shown in the local time zone for people.
pub fn local_display(s: &str) -> String {
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        Err(_) => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A release build ignores `KURA_NOW` whatever it says; `cargo test
    /// --release` runs this (tests/time_evidence.rs checks the release
    /// binary the same way).
    #[cfg(not(debug_assertions))]
    #[test]
    fn a_release_build_never_sets_the_clock_by_hand() {
        assert_eq!(hand_set(), None);
        assert!(!overridden());
        std::env::set_var(ENV_NOW, "2001-02-03T04:05:06+09:00");
        assert_eq!(hand_set(), None);
        assert!(!overridden());
        assert_ne!(rfc3339(&now()), "2001-02-03T04:05:06+09:00");
        assert_ne!(today().to_string(), "2001-02-03");
    }

    #[cfg(debug_assertions)]
    #[test]
    fn a_test_build_reads_kura_now_as_rfc3339() {
        let t = parse_hand_set(" 2026-04-01T09:00:00+09:00\n").unwrap();
        assert_eq!(rfc3339(&t), "2026-04-01T09:00:00+09:00");
        assert_eq!(parse_hand_set("2026-04-01"), None);
        assert_eq!(parse_hand_set(""), None);
    }
}
