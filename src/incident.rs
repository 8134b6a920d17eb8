//! The facts for a loss report: when a medium carrying a vault is lost, the
//! clinic and the vendor must each report within three business days. This
//! gathers what the given copy of the custody log can say about it — what
//! was on the medium (counts and sizes, the approval, never a file name),
//! how it was protected, and the chain of custody — and computes the
//! deadline. It states nothing beyond that copy: an extraction it does not
//! record (made later, or without kura) is not known here.
//!
//! Business days skip Saturdays and Sundays only. Japanese public holidays
//! are not known to kura, so the deadline given is the earliest the real one
//! can be: a holiday in between moves it later, never earlier.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

use crate::custody::{Chain, Record, TimeFlag};
use crate::keys::{KeyInfo, RecipientInfo};
use crate::vault::Approval;

/// Business days the rules allow for the report.
pub const REPORT_BUSINESS_DAYS: u32 = 3;

pub fn is_business_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The day `n` business days after `from` (which itself does not count).
pub fn add_business_days(from: NaiveDate, n: u32) -> NaiveDate {
    let mut d = from;
    let mut left = n;
    while left > 0 {
        d = d + Days::new(1);
        if is_business_day(d) {
            left -= 1;
        }
    }
    d
}

/// The last day to report a loss discovered on `discovered`: the rules
/// count `n` business days *including the day of discovery* (発見した日を
/// 含め), so a loss found on a business day leaves that day and `n - 1`
/// more; one found on a weekend leaves the next `n` business days.
pub fn report_deadline(discovered: NaiveDate, n: u32) -> NaiveDate {
    if is_business_day(discovered) && n > 0 {
        add_business_days(discovered, n - 1)
    } else {
        add_business_days(discovered, n)
    }
}

fn ymd<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.format("%Y-%m-%d").to_string())
}

/// One custody event as the report shows it: no note, no details (free
/// text and paths stay out of a document that travels).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: u64,
    pub time: String,
    pub event: String,
    pub actor: KeyInfo,
    pub host: String,
}

impl Event {
    fn of(r: &Record) -> Event {
        Event {
            seq: r.seq,
            time: r.time.clone(),
            event: r.event.clone(),
            actor: r.actor.clone(),
            host: r.host.clone(),
        }
    }
}

/// What the medium held, from the signed receipt.
#[derive(Debug, Clone, Serialize)]
pub struct Contents {
    pub vault_id: String,
    pub created: String,
    pub packer: KeyInfo,
    pub file_count: u64,
    pub total_size: u64,
    pub ciphertext_size: u64,
    pub approval: Approval,
}

/// How it was protected.
#[derive(Debug, Clone, Serialize)]
pub struct Protection {
    /// `age v1`: the file key wrapped for each recipient, the payload in
    /// ChaCha20-Poly1305; no passphrase stanza.
    pub encryption: String,
    pub recipients: Vec<RecipientInfo>,
    /// The manifest (list of contents, inside the encryption) is signed by
    /// the packer; the receipt outside binds it to the ciphertext.
    pub manifest_signed_by: KeyInfo,
    pub manifest_blake3: String,
    pub ciphertext_blake3: String,
}

/// Everything the report states.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    #[serde(serialize_with = "ymd")]
    pub discovered: NaiveDate,
    #[serde(serialize_with = "ymd")]
    pub deadline: NaiveDate,
    pub business_days: u32,
    /// Always false: see the module documentation.
    pub public_holidays_considered: bool,
    pub contents: Contents,
    pub protection: Protection,
    pub events: Vec<Event>,
    pub last_event: Event,
    /// Extractions recorded in the log (where plaintext copies were made):
    /// host and time only.
    pub extractions: Vec<Event>,
    /// The log says the vault was already deleted or returned.
    pub closed_by: Option<Event>,
    /// Records whose note was left out of this report.
    pub notes_omitted: usize,
    /// Records whose time is not evidence (dated by hand, or before an
    /// earlier record).
    pub time_flags: Vec<TimeFlag>,
}

impl Facts {
    pub fn of(chain: &Chain, discovered: NaiveDate) -> Facts {
        let r = &chain.receipt;
        let events: Vec<Event> = chain.records.iter().map(Event::of).collect();
        let pick = |kinds: &[&str]| -> Vec<Event> {
            events
                .iter()
                .filter(|e| kinds.contains(&e.event.as_str()))
                .cloned()
                .collect()
        };
        Facts {
            discovered,
            deadline: report_deadline(discovered, REPORT_BUSINESS_DAYS),
            business_days: REPORT_BUSINESS_DAYS,
            public_holidays_considered: false,
            contents: Contents {
                vault_id: r.vault_id.clone(),
                created: r.created.clone(),
                packer: r.packer.clone(),
                file_count: r.file_count,
                total_size: r.total_size,
                ciphertext_size: r.ciphertext.size,
                approval: r.approval.clone(),
            },
            protection: Protection {
                encryption: "age v1".into(),
                recipients: r.recipients.clone(),
                manifest_signed_by: r.packer.clone(),
                manifest_blake3: r.manifest_blake3.clone(),
                ciphertext_blake3: r.ciphertext.blake3.clone(),
            },
            last_event: events.last().cloned().expect("a verified chain has records"),
            // Each copy the log records: an extraction done, or begun and
            // never ended (killed half-way), one per place.
            extractions: chain.copy_records().into_iter().map(Event::of).collect(),
            closed_by: pick(&["deleted", "returned"]).pop(),
            notes_omitted: chain.records.iter().filter(|r| r.note.is_some()).count(),
            time_flags: chain.time_flags(),
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn three_business_days_skip_the_weekend() {
        // 2026-03-02 is a Monday.
        assert_eq!(add_business_days(d("2026-03-02"), 3), d("2026-03-05"));
        // Thursday → Tuesday; Friday → Wednesday.
        assert_eq!(add_business_days(d("2026-03-05"), 3), d("2026-03-10"));
        assert_eq!(add_business_days(d("2026-03-06"), 3), d("2026-03-11"));
        // Found on a Saturday or Sunday: Monday is the first day.
        assert_eq!(add_business_days(d("2026-03-07"), 3), d("2026-03-11"));
        assert_eq!(add_business_days(d("2026-03-08"), 3), d("2026-03-11"));
    }

    #[test]
    fn the_report_deadline_counts_the_day_of_discovery() {
        // Monday, Tuesday, Wednesday.
        assert_eq!(report_deadline(d("2026-03-02"), 3), d("2026-03-04"));
        // Thursday, Friday, Monday; Friday, Monday, Tuesday.
        assert_eq!(report_deadline(d("2026-03-05"), 3), d("2026-03-09"));
        assert_eq!(report_deadline(d("2026-03-06"), 3), d("2026-03-10"));
        // Found on a Saturday or Sunday: Monday is the first day.
        assert_eq!(report_deadline(d("2026-03-07"), 3), d("2026-03-11"));
        assert_eq!(report_deadline(d("2026-03-08"), 3), d("2026-03-11"));
    }
}
