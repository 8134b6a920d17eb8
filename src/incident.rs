//! The facts for a loss report: when a medium carrying a vault is lost, the
//! vendor must report to 日医総研 within three business days, and the
//! clinic (with the vendor as its contractor) may owe the Personal
//! Information Protection Commission (個人情報保護委員会, PPC) a prompt
//! report (速報) and a final one (確報). This gathers what the given copy of
//! the custody log can say about it — what was on the medium (counts and
//! sizes, the approval, never a file name), how it was protected, and the
//! chain of custody — and computes the deadlines. It states nothing beyond
//! that copy: an extraction it does not record (made later, or without
//! kura) is not known here.
//!
//! Business days skip Saturdays, Sundays, Japanese public holidays ([`HOLIDAYS`],
//! plus any a [`Calendar`] file adds) and the year-end closure (12/29–1/3).
//! For a year the table does not cover, the deadline is computed without
//! holidays and said to be so: it is then the earliest the real one can be.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

use crate::custody::{Chain, Record, TimeFlag};
use crate::error::{Error, Kind, Result};
use crate::keys::{KeyInfo, RecipientInfo};
use crate::vault::Approval;

/// Business days the rules allow for the report to 日医総研.
pub const REPORT_BUSINESS_DAYS: u32 = 3;

/// Where [`HOLIDAYS`] comes from.
pub const HOLIDAYS_SOURCE: &str = "内閣府「国民の祝日について」 (https://www8.cao.go.jp/chosei/shukujitsu/gaiyou.html)";

/// Japanese public holidays (国民の祝日, 振替休日 as 休日, 国民の休日),
/// from 内閣府「国民の祝日について」 and its published list of holidays.
/// 春分の日 and 秋分の日 are fixed each February for the next year in the
/// 官報; those of 2027 and 2028 are the days calculated by the National
/// Astronomical Observatory and must be checked when they are announced.
/// A later year, or a change, is added with a holidays file
/// ([`Calendar::add_file`], `kura incident --holidays FILE`).
pub const HOLIDAYS: &[(&str, &str)] = &[
    ("2025-01-01", "元日"),         // 水
    ("2025-01-13", "成人の日"),     // 月
    ("2025-02-11", "建国記念の日"), // 火
    ("2025-02-23", "天皇誕生日"),   // 日
    ("2025-02-24", "休日"),         // 月
    ("2025-03-20", "春分の日"),     // 木
    ("2025-04-29", "昭和の日"),     // 火
    ("2025-05-03", "憲法記念日"),   // 土
    ("2025-05-04", "みどりの日"),   // 日
    ("2025-05-05", "こどもの日"),   // 月
    ("2025-05-06", "休日"),         // 火
    ("2025-07-21", "海の日"),       // 月
    ("2025-08-11", "山の日"),       // 月
    ("2025-09-15", "敬老の日"),     // 月
    ("2025-09-23", "秋分の日"),     // 火
    ("2025-10-13", "スポーツの日"), // 月
    ("2025-11-03", "文化の日"),     // 月
    ("2025-11-23", "勤労感謝の日"), // 日
    ("2025-11-24", "休日"),         // 月
    ("2026-01-01", "元日"),         // 木
    ("2026-01-12", "成人の日"),     // 月
    ("2026-02-11", "建国記念の日"), // 水
    ("2026-02-23", "天皇誕生日"),   // 月
    ("2026-03-20", "春分の日"),     // 金
    ("2026-04-29", "昭和の日"),     // 水
    ("2026-05-03", "憲法記念日"),   // 日
    ("2026-05-04", "みどりの日"),   // 月
    ("2026-05-05", "こどもの日"),   // 火
    ("2026-05-06", "休日"),         // 水
    ("2026-07-20", "海の日"),       // 月
    ("2026-08-11", "山の日"),       // 火
    ("2026-09-21", "敬老の日"),     // 月
    ("2026-09-22", "国民の休日"),   // 火
    ("2026-09-23", "秋分の日"),     // 水
    ("2026-10-12", "スポーツの日"), // 月
    ("2026-11-03", "文化の日"),     // 火
    ("2026-11-23", "勤労感謝の日"), // 月
    ("2027-01-01", "元日"),         // 金
    ("2027-01-11", "成人の日"),     // 月
    ("2027-02-11", "建国記念の日"), // 木
    ("2027-02-23", "天皇誕生日"),   // 火
    ("2027-03-21", "春分の日"),     // 日
    ("2027-03-22", "休日"),         // 月
    ("2027-04-29", "昭和の日"),     // 木
    ("2027-05-03", "憲法記念日"),   // 月
    ("2027-05-04", "みどりの日"),   // 火
    ("2027-05-05", "こどもの日"),   // 水
    ("2027-07-19", "海の日"),       // 月
    ("2027-08-11", "山の日"),       // 水
    ("2027-09-20", "敬老の日"),     // 月
    ("2027-09-23", "秋分の日"),     // 木
    ("2027-10-11", "スポーツの日"), // 月
    ("2027-11-03", "文化の日"),     // 水
    ("2027-11-23", "勤労感謝の日"), // 火
    ("2028-01-01", "元日"),         // 土
    ("2028-01-10", "成人の日"),     // 月
    ("2028-02-11", "建国記念の日"), // 金
    ("2028-02-23", "天皇誕生日"),   // 水
    ("2028-03-20", "春分の日"),     // 月
    ("2028-04-29", "昭和の日"),     // 土
    ("2028-05-03", "憲法記念日"),   // 水
    ("2028-05-04", "みどりの日"),   // 木
    ("2028-05-05", "こどもの日"),   // 金
    ("2028-07-17", "海の日"),       // 月
    ("2028-08-11", "山の日"),       // 金
    ("2028-09-18", "敬老の日"),     // 月
    ("2028-09-22", "秋分の日"),     // 金
    ("2028-10-09", "スポーツの日"), // 月
    ("2028-11-03", "文化の日"),     // 金
    ("2028-11-23", "勤労感謝の日"), // 木
];

/// Years [`HOLIDAYS`] covers, first and last.
pub const HOLIDAYS_YEARS: (i32, i32) = (2025, 2028);

/// The days that are not business days: weekends, public holidays and the
/// year-end closure.
#[derive(Debug, Clone, Serialize)]
pub struct Calendar {
    #[serde(skip)]
    holidays: BTreeMap<NaiveDate, String>,
    /// The years whose holidays are known (from the table and any file).
    pub years: Vec<i32>,
    /// Where the holidays come from.
    pub sources: Vec<String>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::japan()
    }
}

impl Calendar {
    /// The built-in table.
    pub fn japan() -> Calendar {
        let holidays = HOLIDAYS
            .iter()
            .map(|(d, n)| {
                (
                    NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("a valid table"),
                    n.to_string(),
                )
            })
            .collect();
        Calendar {
            holidays,
            years: (HOLIDAYS_YEARS.0..=HOLIDAYS_YEARS.1).collect(),
            sources: vec![HOLIDAYS_SOURCE.to_string()],
        }
    }

    /// Adds the holidays of a file: one `YYYY-MM-DD NAME` a line (the name
    /// optional), `#` starting a comment. Every year that appears counts as
    /// covered: a file that adds a year must list all of its holidays. A
    /// line that is not a date is refused, naming the line.
    pub fn add_file(&mut self, text: &str, source: &str) -> Result<()> {
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (day, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
                Error::new(Kind::Usage, "err-holidays-line")
                    .arg("path", source)
                    .arg("line", i + 1)
            })?;
            self.holidays.insert(d, name.trim().to_string());
            if !self.years.contains(&d.year()) {
                self.years.push(d.year());
            }
        }
        self.years.sort_unstable();
        self.sources.push(source.to_string());
        Ok(())
    }

    /// Whether the holidays of `year` are known.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The public holiday on `d`, if any.
    pub fn holiday(&self, d: NaiveDate) -> Option<&str> {
        self.holidays.get(&d).map(String::as_str)
    }

    /// The year-end closure: 12/29 to 1/3.
    pub fn year_end(d: NaiveDate) -> bool {
        (d.month() == 12 && d.day() >= 29) || (d.month() == 1 && d.day() <= 3)
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !Calendar::year_end(d) && self.holiday(d).is_none()
    }

    /// The day `n` business days after `from` (which itself does not count).
    pub fn add_business_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_business_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The last day to report a loss discovered on `discovered`: the rules
    /// count `n` business days *including the day of discovery* (発見した日を
    /// 含め), so a loss found on a business day leaves that day and `n - 1`
    /// more; one found on another day leaves the next `n` business days.
    pub fn report_deadline(&self, discovered: NaiveDate, n: u32) -> NaiveDate {
        if self.is_business_day(discovered) && n > 0 {
            self.add_business_days(discovered, n - 1)
        } else {
            self.add_business_days(discovered, n)
        }
    }

    /// Whether every day from `from` to `to` has known holidays.
    pub fn covers_span(&self, from: NaiveDate, to: NaiveDate) -> bool {
        (from.year()..=to.year()).all(|y| self.covers(y))
    }

    /// The days from `from` to `to` (both included) that are not business
    /// days, each with why: `sat`, `sun`, `year-end` or the holiday's name.
    pub fn days_off(&self, from: NaiveDate, to: NaiveDate) -> Vec<DayOff> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| !self.is_business_day(*d))
            .map(|d| DayOff {
                date: d,
                why: match (self.holiday(d), d.weekday()) {
                    (Some(h), _) if !h.is_empty() => h.to_string(),
                    (Some(_), _) => "holiday".into(),
                    _ if Calendar::year_end(d) => "year-end".into(),
                    (_, Weekday::Sat) => "sat".into(),
                    _ => "sun".into(),
                },
            })
            .collect()
    }
}

/// A day that is not a business day, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayOff {
    #[serde(serialize_with = "ymd")]
    pub date: NaiveDate,
    /// `sat`, `sun`, `year-end`, or the holiday's name (憲法記念日, 休日, …).
    pub why: String,
}

/// The Personal Information Protection Commission's dates, counted from the
/// day the loss became known (day 1), weekends and holidays included
/// (個人情報保護委員会「個人情報の保護に関する法律についてのガイドライン
/// （通則編）」3-5-3-3, 3-5-3-4).
#[derive(Debug, Clone, Serialize)]
pub struct PpcDates {
    /// 速報 ("promptly": the guideline's rule of thumb is about 3 to 5 days):
    /// the 3rd and the 5th day. The draft asks for the earlier one; the
    /// later is the end of the usual range, not a deadline the law states.
    #[serde(serialize_with = "ymd")]
    pub preliminary_from: NaiveDate,
    #[serde(serialize_with = "ymd")]
    pub preliminary_by: NaiveDate,
    /// 確報: 30 days, or 60 when the loss may have been caused for an
    /// improper purpose (不正の目的).
    #[serde(serialize_with = "ymd")]
    pub final_by: NaiveDate,
    pub final_days: u32,
    pub improper_purpose: bool,
}

impl PpcDates {
    pub fn of(known: NaiveDate, improper_purpose: bool) -> PpcDates {
        let final_days = if improper_purpose { 60 } else { 30 };
        let day = |n: u64| known + Days::new(n - 1);
        PpcDates {
            preliminary_from: day(3),
            preliminary_by: day(5),
            final_by: day(final_days as u64),
            final_days,
            improper_purpose,
        }
    }
}

fn ymd<S: serde::Serializer>(d: &NaiveDate, s: S) -> std::result::Result<S::Ok, S::Error> {
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

/// How the vault's approval stands, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalStanding {
    /// `declared` (typed by the packer, nobody at the clinic signed),
    /// `signed-unchecked` (the clinic's signed approval, its signature
    /// verified; whose key it is was not checked) or `invalid` (a signed
    /// approval whose signature or terms do not check: not to be relied on).
    pub consent: String,
    /// The signed approval, when it checks.
    pub signed: Option<crate::approval::Approval>,
}

impl ApprovalStanding {
    /// The approval of the vault whose receipt is `r`: a signed approval
    /// that does not let this vault exist (another packer, a recipient
    /// missing, packed after its last day, signed by the packer) is
    /// `invalid` too.
    fn of_vault(r: &crate::vault::Receipt) -> ApprovalStanding {
        let packed = packed_day(&r.created);
        let consent = crate::approval::Consent::of(&r.approval, packed, None)
            .and_then(|c| c.check_vault(&r.packer, &r.recipients, packed).map(|()| c));
        ApprovalStanding::from_consent(consent)
    }

    /// The approval alone, whatever vault carries it.
    #[cfg(test)]
    fn of(approval: &Approval, created: &str) -> ApprovalStanding {
        ApprovalStanding::from_consent(crate::approval::Consent::of(approval, packed_day(created), None))
    }

    fn from_consent(consent: Result<crate::approval::Consent>) -> ApprovalStanding {
        match consent {
            Ok(c) => ApprovalStanding {
                consent: c.name().to_string(),
                signed: match c {
                    crate::approval::Consent::Signed { approval, .. } => Some(*approval),
                    crate::approval::Consent::Declared => None,
                },
            },
            Err(_) => ApprovalStanding {
                consent: "invalid".into(),
                signed: None,
            },
        }
    }
}

/// The day a vault created at `created` (RFC 3339) was packed, in its own
/// offset.
fn packed_day(created: &str) -> NaiveDate {
    chrono::DateTime::parse_from_rfc3339(created)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

/// Everything the report states.
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    #[serde(serialize_with = "ymd")]
    pub discovered: NaiveDate,
    #[serde(serialize_with = "ymd")]
    pub deadline: NaiveDate,
    pub business_days: u32,
    /// Whether the holidays of every year from discovery to deadline are
    /// known (else only weekends and the year-end were skipped, and the
    /// deadline is the earliest the real one can be).
    pub public_holidays_considered: bool,
    /// The days between discovery and deadline that were skipped.
    pub days_off: Vec<DayOff>,
    /// Where the holidays come from, and which years they cover.
    pub calendar: Calendar,
    /// The Personal Information Protection Commission's dates.
    pub ppc: PpcDates,
    /// Whether the clinic signed the approval, and what it says.
    pub approval: ApprovalStanding,
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
    pub fn of(chain: &Chain, discovered: NaiveDate, calendar: &Calendar, improper_purpose: bool) -> Facts {
        let r = &chain.receipt;
        let deadline = calendar.report_deadline(discovered, REPORT_BUSINESS_DAYS);
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
            deadline,
            business_days: REPORT_BUSINESS_DAYS,
            public_holidays_considered: calendar.covers_span(discovered, deadline),
            days_off: calendar.days_off(discovered, deadline),
            calendar: calendar.clone(),
            ppc: PpcDates::of(discovered, improper_purpose),
            approval: ApprovalStanding::of_vault(r),
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
        let c = Calendar::japan();
        // 2026-03-02 is a Monday.
        assert_eq!(c.add_business_days(d("2026-03-02"), 3), d("2026-03-05"));
        // Thursday → Tuesday; Friday → Wednesday.
        assert_eq!(c.add_business_days(d("2026-03-05"), 3), d("2026-03-10"));
        assert_eq!(c.add_business_days(d("2026-03-06"), 3), d("2026-03-11"));
        // Found on a Saturday or Sunday: Monday is the first day.
        assert_eq!(c.add_business_days(d("2026-03-07"), 3), d("2026-03-11"));
        assert_eq!(c.add_business_days(d("2026-03-08"), 3), d("2026-03-11"));
    }

    #[test]
    fn the_report_deadline_counts_the_day_of_discovery() {
        let c = Calendar::japan();
        // Monday, Tuesday, Wednesday.
        assert_eq!(c.report_deadline(d("2026-03-02"), 3), d("2026-03-04"));
        // Thursday, Friday, Monday; Friday, Monday, Tuesday.
        assert_eq!(c.report_deadline(d("2026-03-05"), 3), d("2026-03-09"));
        assert_eq!(c.report_deadline(d("2026-03-06"), 3), d("2026-03-10"));
        // Found on a Saturday or Sunday: Monday is the first day.
        assert_eq!(c.report_deadline(d("2026-03-07"), 3), d("2026-03-11"));
        assert_eq!(c.report_deadline(d("2026-03-08"), 3), d("2026-03-11"));
    }

    #[test]
    fn golden_week_is_skipped() {
        let c = Calendar::japan();
        // Thursday 4/30 and Friday 5/1 count; 5/2 土, 5/3 憲法記念日 (a
        // Sunday), 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日; then 5/7.
        assert_eq!(c.report_deadline(d("2026-04-30"), 3), d("2026-05-07"));
        // The days skipped are named (the full list: tests/it/incident_report.rs).
        let off = c.days_off(d("2026-04-30"), d("2026-05-07"));
        assert_eq!(off.len(), 5);
        assert_eq!(off[4].why, "休日");
        // 2026's silver week: 敬老の日 9/21, 国民の休日 9/22, 秋分の日 9/23.
        assert_eq!(c.report_deadline(d("2026-09-18"), 3), d("2026-09-25"));
    }

    #[test]
    fn the_year_end_closure_is_skipped() {
        let c = Calendar::japan();
        // Monday 12/28 counts; 12/29–1/3 closed; Monday 1/4 and Tuesday 1/5.
        assert_eq!(c.report_deadline(d("2026-12-28"), 3), d("2027-01-05"));
        // Found during the closure: the first three business days after it.
        assert_eq!(c.report_deadline(d("2026-12-30"), 3), d("2027-01-06"));
        // 2027-12-28 is a Tuesday; 2028-01-04 a Tuesday, 01-10 成人の日.
        assert_eq!(c.report_deadline(d("2027-12-28"), 3), d("2028-01-05"));
    }

    #[test]
    fn the_table_covers_2025_to_2028_and_matches_the_law() {
        let c = Calendar::japan();
        for y in 2025..=2028 {
            assert!(c.covers(y));
            // 元日, 建国記念の日, 天皇誕生日, 昭和の日, 憲法記念日, 文化の日, 勤労感謝の日.
            for md in [
                "01-01", "02-11", "02-23", "04-29", "05-03", "05-04", "05-05", "08-11", "11-03", "11-23",
            ] {
                assert!(c.holiday(d(&format!("{y}-{md}"))).is_some(), "{y}-{md}");
            }
        }
        assert!(!c.covers(2029));
        // A holiday on a Sunday gives the next working day off (振替休日).
        for (date, _) in HOLIDAYS {
            let h = d(date);
            if h.weekday() == Weekday::Sun {
                let mut n = h + Days::new(1);
                while c.holiday(n).is_some_and(|x| x != "休日") {
                    n = n + Days::new(1);
                }
                assert_eq!(c.holiday(n), Some("休日"), "after {date}");
            }
        }
        assert_eq!(c.holiday(d("2026-09-22")), Some("国民の休日"));
    }

    #[test]
    fn a_file_adds_years_and_a_bad_line_is_refused() {
        let mut c = Calendar::japan();
        c.add_file("# 2029\n2029-01-01 元日\n\n2029-01-08 成人の日 # 第2月曜\n", "h.txt")
            .unwrap();
        assert!(c.covers(2029));
        assert_eq!(c.holiday(d("2029-01-08")), Some("成人の日"));
        // 1/1–1/3 closed, 1/4 Thu, 1/5 Fri, 1/8 holiday, 1/9 Tue.
        assert_eq!(c.report_deadline(d("2029-01-01"), 3), d("2029-01-09"));
        let e = c.add_file("2029-02-30 bad\n", "h.txt").unwrap_err();
        assert_eq!(e.id, "err-holidays-line");
        // Without the file, 2029 is not covered and said to be so.
        assert!(!Calendar::japan().covers_span(d("2028-12-28"), d("2029-01-05")));
    }

    #[test]
    fn the_commission_counts_calendar_days_from_day_one() {
        let p = PpcDates::of(d("2026-04-30"), false);
        assert_eq!(
            (p.preliminary_from, p.preliminary_by, p.final_by),
            (d("2026-05-02"), d("2026-05-04"), d("2026-05-29"))
        );
        assert_eq!(PpcDates::of(d("2026-04-30"), true).final_by, d("2026-06-28"));
    }

    #[test]
    fn a_signed_approval_gives_the_report_its_scope_and_a_forged_one_is_flagged() {
        let clinic = crate::keys::SigningKey::generate("clinic@kura.test").unwrap();
        let doc = serde_json::json!({
            "format": "kura-approval", "version": 1, "approval_id": "A-7",
            "issued_at": "2026-04-01T09:00:00+09:00",
            "clinic": { "name": "ダミー医院", "code": "0000000000" },
            "approver": { "name": "院長（ダミー）", "role": "院長" },
            "engineers": [clinic.info()],
            "recipients": [RecipientInfo {
                kind: "ssh-ed25519".into(),
                fingerprint: clinic.info().fingerprint.clone(),
                comment: String::new(),
            }],
            "purpose": "調査", "scope": "レセプト 2026年3月分（約120名）", "disposal": "delete",
            "delete_by": "2026-06-30", "loss_plan": "直ちに院長へ連絡"
        });
        let a = crate::approval::Approval::parse(&doc.to_string()).unwrap();
        let signed = a.sign(&clinic).unwrap();
        let declared = a.declared_for(&signed, d("2026-04-01"));
        let s = ApprovalStanding::of(&declared, "2026-04-01T10:00:00+09:00");
        assert_eq!(s.consent, "signed-unchecked");
        assert_eq!(
            s.signed.as_ref().map(|a| a.scope.as_str()),
            Some("レセプト 2026年3月分（約120名）")
        );
        // The packer's fields changed after the clinic signed: not relied on.
        let mut forged = declared.clone();
        forged.purpose = "別の目的".into();
        let s = ApprovalStanding::of(&forged, "2026-04-01T10:00:00+09:00");
        assert_eq!((s.consent.as_str(), s.signed.is_none()), ("invalid", true));
        let mut plain = declared;
        plain.signed = None;
        assert_eq!(
            ApprovalStanding::of(&plain, "2026-04-01T10:00:00+09:00").consent,
            "declared"
        );
    }
}
