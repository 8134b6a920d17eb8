//! The one place kura reads the clock. `KURA_NOW` (RFC 3339) overrides it,
//! so tests and demonstrations can show "overdue" without waiting.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, SecondsFormat};

pub const ENV_NOW: &str = "KURA_NOW";

/// The current time with the local offset.
pub fn now() -> DateTime<FixedOffset> {
    if let Some(t) = std::env::var(ENV_NOW)
        .ok()
        .and_then(|v| DateTime::parse_from_rfc3339(v.trim()).ok())
    {
        return t;
    }
    Local::now().fixed_offset()
}

/// Whether `KURA_NOW` is in effect. Records made then say so in their
/// signed details (`"clock": "KURA_NOW"`), so a date set by hand is never
/// mistaken for the computer's clock.
pub fn overridden() -> bool {
    std::env::var(ENV_NOW)
        .ok()
        .is_some_and(|v| DateTime::parse_from_rfc3339(v.trim()).is_ok())
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
