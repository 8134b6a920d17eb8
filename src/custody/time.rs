//! How far a record's time is evidence. A record's time is what the signer's
//! computer said when it signed; kura flags each record whose time it cannot
//! take even as that:
//!
//! - `hand-set`: the signed details carry `"clock"` (`"clock": "KURA_NOW"`:
//!   a test build dated it from the environment, not from the clock);
//! - `backwards`: dated before a record that comes earlier in the chain (some
//!   computer's clock was wrong; which one, the log cannot tell);
//! - `unreadable`: not an RFC 3339 time.
//!
//! A flag is a warning, never a refusal (clocks drift, and the chain is
//! still intact), but a time so flagged is not evidence of when something
//! happened: a deadline is not said to be met on its strength.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::Record;

/// What is wrong with a record's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeIssue {
    HandSet,
    Backwards,
    Unreadable,
}

/// One record whose time is not evidence, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimeFlag {
    /// The record's sequence number.
    pub record: u64,
    pub issue: TimeIssue,
    /// For `backwards`: the earlier record (the latest dated so far) that
    /// this one is dated before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dated_before: Option<u64>,
}

/// Every flag of `records` (a chain, oldest first), in order.
pub fn flags(records: &[Record]) -> Vec<TimeFlag> {
    let mut out = Vec::new();
    let mut latest: Option<(DateTime<FixedOffset>, u64)> = None;
    let mut flag = |record: u64, issue: TimeIssue, dated_before: Option<u64>| {
        out.push(TimeFlag {
            record,
            issue,
            dated_before,
        })
    };
    for r in records {
        if r.details.contains_key("clock") {
            flag(r.seq, TimeIssue::HandSet, None);
        }
        match DateTime::parse_from_rfc3339(&r.time) {
            Err(_) => flag(r.seq, TimeIssue::Unreadable, None),
            Ok(t) => match latest {
                Some((before, seq)) if t < before => flag(r.seq, TimeIssue::Backwards, Some(seq)),
                _ => latest = Some((t, r.seq)),
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyInfo;
    use serde_json::{Map, Value};

    fn rec(seq: u64, time: &str, hand_set: bool) -> Record {
        let mut details = Map::new();
        if hand_set {
            details.insert("clock".into(), Value::String("KURA_NOW".into()));
        }
        Record {
            v: 1,
            seq,
            prev: String::new(),
            vault_id: String::new(),
            event: "note".into(),
            actor: KeyInfo {
                key: String::new(),
                fingerprint: String::new(),
                comment: String::new(),
            },
            time: time.into(),
            host: String::new(),
            note: None,
            details,
            receipt: None,
            receipt_sig: None,
        }
    }

    #[test]
    fn times_that_increase_by_the_clock_are_not_flagged() {
        let chain = [
            rec(0, "2026-04-01T09:00:00+09:00", false),
            // The same instant in another offset, then the same time again.
            rec(1, "2026-04-01T00:00:00+00:00", false),
            rec(2, "2026-04-01T09:00:00+09:00", false),
            rec(3, "2026-04-02T09:00:00+09:00", false),
        ];
        assert_eq!(flags(&chain), vec![]);
    }

    #[test]
    fn a_record_dated_before_an_earlier_one_is_flagged_against_the_latest() {
        let chain = [
            rec(0, "2026-04-01T09:00:00+09:00", false),
            rec(1, "2026-04-03T09:00:00+09:00", false),
            rec(2, "2026-04-02T09:00:00+09:00", false),
            // Later than #2 but still before #1.
            rec(3, "2026-04-02T10:00:00+09:00", false),
            rec(4, "2026-04-04T09:00:00+09:00", false),
            // One second before #4, in another offset.
            rec(5, "2026-04-03T23:59:59+00:00", false),
        ];
        let got: Vec<(u64, TimeIssue, Option<u64>)> = flags(&chain)
            .iter()
            .map(|f| (f.record, f.issue, f.dated_before))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, TimeIssue::Backwards, Some(1)),
                (3, TimeIssue::Backwards, Some(1)),
                (5, TimeIssue::Backwards, Some(4)),
            ]
        );
    }

    #[test]
    fn hand_set_and_unreadable_times_are_flagged() {
        let chain = [
            rec(0, "2026-04-01T09:00:00+09:00", true),
            rec(1, "yesterday", false),
            rec(2, "2026-03-01T09:00:00+09:00", true),
        ];
        let got: Vec<(u64, TimeIssue)> = flags(&chain).iter().map(|f| (f.record, f.issue)).collect();
        assert_eq!(
            got,
            vec![
                (0, TimeIssue::HandSet),
                (1, TimeIssue::Unreadable),
                (2, TimeIssue::HandSet),
                (2, TimeIssue::Backwards),
            ]
        );
        let json = serde_json::to_value(flags(&chain)).unwrap();
        assert_eq!(
            json[3],
            serde_json::json!({"record": 2, "issue": "backwards", "dated_before": 0})
        );
        assert_eq!(json[0], serde_json::json!({"record": 0, "issue": "hand-set"}));
    }
}
