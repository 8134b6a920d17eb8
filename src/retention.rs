//! Vaults kept in a folder, such as nightly backups: which are there
//! ([`find`]), what each one's custody log and ciphertext say ([`survey`]),
//! and which of them a keep policy keeps ([`Policy::keep`], restic's
//! `forget` rules). Reads only: the deletion itself is
//! `custodian::prune`'s.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, FixedOffset};
use serde::Serialize;

use crate::custody::{self, Chain};
use crate::error::{Error, Kind, Result};
use crate::naming;

/// A vault found in a folder: by its custody log, its single file or its
/// volumes (a split vault's volumes are one vault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `x.kura` (for a split vault, the name its volumes share).
    pub vault: PathBuf,
    /// Its custody log, when one is beside it.
    pub custody: Option<PathBuf>,
}

/// What a file name says it is: the vault it belongs to.
pub fn vault_of(name: &str) -> Option<&str> {
    if let Some(v) = name.strip_suffix(naming::CUSTODY_SUFFIX) {
        return v.ends_with(".kura").then_some(v);
    }
    if let Some(v) = name.strip_suffix(naming::SPLIT_CUSTODY_SUFFIX) {
        return v.ends_with(".kura").then_some(v);
    }
    if name.ends_with(".kura") {
        return Some(name);
    }
    let (v, n) = name.rsplit_once('.')?;
    (v.ends_with(".kura") && n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit())).then_some(v)
}

/// Every vault in `dir` (and its sub-folders when `recursive`), sorted by
/// path. Links are not followed: a vault, log or folder reached through
/// one is not listed.
pub fn find(dir: &Path, recursive: bool) -> Result<Vec<Found>> {
    let meta = std::fs::symlink_metadata(dir).map_err(|e| Error::io(e, dir.display()))?;
    if !meta.is_dir() {
        return Err(Error::new(Kind::Usage, "err-list-not-folder").arg("path", dir.display()));
    }
    let mut vaults: BTreeMap<PathBuf, Found> = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(d) = folders.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| Error::io(e, d.display()))?;
        for entry in rd {
            let entry = entry.map_err(|e| Error::io(e, d.display()))?;
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() && recursive {
                folders.push(entry.path());
            }
            if !ft.is_file() {
                continue;
            }
            let name = entry.file_name();
            let Some(v) = name.to_str().and_then(vault_of) else {
                continue;
            };
            let vault = d.join(v);
            let f = vaults.entry(vault.clone()).or_insert(Found { vault, custody: None });
            if name.to_str().is_some_and(|n| n.ends_with("custody")) {
                f.custody = Some(entry.path());
            }
        }
    }
    Ok(vaults.into_values().collect())
}

/// How far the ciphertext was compared with the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Depth {
    /// Sizes only.
    Size,
    /// Every byte, hashed with BLAKE3.
    Blake3,
}

/// The ciphertext against the receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cipher {
    /// As the receipt says (as far as it was compared).
    Matches,
    /// Its size differs from the receipt's.
    SizeDiffers,
    /// Same size, other bytes.
    Blake3Differs,
    /// Not there, and its log says it is gone (deleted, lost).
    Gone,
    /// Still there, though its log says it was deleted.
    Remains,
    /// Not there, and its log does not say why.
    Missing,
    /// Not there to be read (a volume missing, a link, unreadable).
    Unreadable,
    /// No verified receipt to compare with.
    Unknown,
}

/// The custody log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogState {
    Verified,
    Missing,
    Broken,
}

/// A vault as [`survey`] found it.
#[derive(Debug, Clone)]
pub struct Status {
    pub found: Found,
    pub log: LogState,
    /// Why the log did not verify.
    pub log_error: Option<Error>,
    pub chain: Option<Chain>,
    /// Bytes of the vault's files on disk (all volumes).
    pub size: Option<u64>,
    pub cipher: Cipher,
    pub depth: Depth,
}

/// Events after which the vault is rightly no longer there.
const GONE: &[&str] = &["deleted", "lost"];
/// Events that say something about the vault without changing where it is
/// (what the log takes after a deletion).
const REMARKS: &[&str] = &["note", "certificate-received"];

impl Status {
    /// The log's last event.
    pub fn state(&self) -> Option<&str> {
        self.chain
            .as_ref()
            .and_then(|c| c.records.last())
            .map(|r| r.event.as_str())
    }

    /// The log's last event about where the vault is: notes and the
    /// clinic's receipt of a certificate after it leave it deleted.
    fn whereabouts(&self) -> Option<&str> {
        self.chain
            .as_ref()
            .and_then(|c| c.records.iter().rev().find(|r| !REMARKS.contains(&r.event.as_str())))
            .map(|r| r.event.as_str())
    }

    /// The receipt's creation time.
    pub fn created(&self) -> Option<DateTime<FixedOffset>> {
        let c = self.chain.as_ref()?;
        DateTime::parse_from_rfc3339(&c.receipt.created).ok()
    }

    /// Whether the vault's files are on disk.
    pub fn present(&self) -> bool {
        self.size.is_some()
    }

    /// The log verifies and the ciphertext is what it should be.
    pub fn ok(&self) -> bool {
        self.log == LogState::Verified && matches!(self.cipher, Cipher::Matches | Cipher::Gone)
    }

    /// Whether a time in the log was set by hand or runs backwards.
    pub fn time_flagged(&self) -> bool {
        self.chain.as_ref().is_some_and(|c| !c.time_flags().is_empty())
    }
}

/// The vault's files: its single file, or its volumes in order. None when
/// nothing of it is there; a link is refused, never followed.
fn files(vault: &Path) -> Result<Option<Vec<PathBuf>>> {
    if !naming::first_file(vault).exists() && std::fs::symlink_metadata(vault).is_err() {
        return Ok(None);
    }
    let files = crate::vault::volumes::files(vault)?;
    for f in &files {
        let m = std::fs::symlink_metadata(f).map_err(|e| Error::io(e, f.display()))?;
        if !m.is_file() {
            return Err(Error::new(Kind::Refused, "err-special-file").arg("path", f.display()));
        }
    }
    Ok(Some(files))
}

/// Opens a file for reading without following a link in its last name.
fn open_no_follow(p: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    o.open(p)
}

/// BLAKE3 of the concatenated files (the ciphertext a receipt describes).
fn hash_files(files: &[PathBuf]) -> Result<String> {
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    for f in files {
        let mut file = open_no_follow(f).map_err(|e| Error::io(e, f.display()))?;
        loop {
            let n = file.read(&mut buf).map_err(|e| Error::io(e, f.display()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
    }
    Ok(h.finalize().to_hex().to_string())
}

/// Reads a vault's custody log and compares its files with the receipt:
/// sizes only, or every byte (`depth` [`Depth::Blake3`]). Writes nothing;
/// needs no key.
pub fn survey(found: &Found, depth: Depth) -> Status {
    let (chain, log, log_error) = match &found.custody {
        None => (None, LogState::Missing, None),
        Some(p) => match custody::read(p) {
            Ok(c) => (Some(c), LogState::Verified, None),
            Err(e) => (None, LogState::Broken, Some(e)),
        },
    };
    let mut st = Status {
        found: found.clone(),
        log,
        log_error,
        chain,
        size: None,
        cipher: Cipher::Unknown,
        depth,
    };
    let files = match files(&found.vault) {
        Ok(f) => f,
        Err(_) => {
            st.cipher = Cipher::Unreadable;
            return st;
        }
    };
    let Some(files) = files else {
        st.cipher = match st.whereabouts() {
            Some(e) if GONE.contains(&e) => Cipher::Gone,
            Some(_) => Cipher::Missing,
            None => Cipher::Unknown,
        };
        return st;
    };
    let size: u64 = files
        .iter()
        .filter_map(|f| std::fs::symlink_metadata(f).ok())
        .map(|m| m.len())
        .sum();
    st.size = Some(size);
    let Some(receipt) = st.chain.as_ref().map(|c| c.receipt.ciphertext.clone()) else {
        return st;
    };
    st.cipher = if st.whereabouts() == Some("deleted") {
        Cipher::Remains
    } else if size != receipt.size {
        Cipher::SizeDiffers
    } else if depth == Depth::Size {
        Cipher::Matches
    } else {
        match hash_files(&files) {
            Ok(h) if h == receipt.blake3 => Cipher::Matches,
            Ok(_) => Cipher::Blake3Differs,
            Err(_) => Cipher::Unreadable,
        }
    };
    st
}

/// A keep rule, as restic's `forget` has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// One of the newest N.
    Last,
    /// The newest of its day, for the newest D days that have vaults.
    Daily,
    /// The newest of its ISO week, for the newest W such weeks.
    Weekly,
    /// The newest of its calendar month, for the newest M such months.
    Monthly,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Last => "last",
            Rule::Daily => "daily",
            Rule::Weekly => "weekly",
            Rule::Monthly => "monthly",
        }
    }
}

/// How many vaults each rule keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub last: usize,
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
}

impl Policy {
    /// For each creation time (in its own offset), the rules that keep it;
    /// empty for one the policy does not keep. Newer first; at the same
    /// instant, the one given later counts as newer.
    pub fn keep(&self, created: &[DateTime<FixedOffset>]) -> Vec<Vec<Rule>> {
        let mut order: Vec<usize> = (0..created.len()).collect();
        order.sort_by(|&a, &b| created[b].cmp(&created[a]).then(b.cmp(&a)));
        let mut kept = vec![Vec::new(); created.len()];
        type Bucket = fn(&DateTime<FixedOffset>) -> (i32, u32);
        let rules: [(Rule, usize, Bucket); 4] = [
            (Rule::Last, self.last, |_| (0, 0)),
            (Rule::Daily, self.daily, |t| (t.year(), t.ordinal())),
            (Rule::Weekly, self.weekly, |t| {
                (t.iso_week().year(), t.iso_week().week())
            }),
            (Rule::Monthly, self.monthly, |t| (t.year(), t.month())),
        ];
        for (rule, count, bucket) in rules {
            let mut left = count;
            let mut last: Option<(i32, u32)> = None;
            for (n, &i) in order.iter().enumerate() {
                if left == 0 {
                    break;
                }
                // keep-last counts vaults, the others count buckets.
                let b = if rule == Rule::Last {
                    (0, n as u32)
                } else {
                    bucket(&created[i])
                };
                if last != Some(b) {
                    kept[i].push(rule);
                    left -= 1;
                    last = Some(b);
                }
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn file_names_name_their_vault() {
        assert_eq!(vault_of("a.kura"), Some("a.kura"));
        assert_eq!(vault_of("a.kura.custody"), Some("a.kura"));
        assert_eq!(vault_of("a.kura-custody"), Some("a.kura"));
        assert_eq!(vault_of("a.kura.001"), Some("a.kura"));
        assert_eq!(vault_of("a.kura.0012"), Some("a.kura"));
        for other in [
            "a.kura.01",
            "a.kura.abc",
            "a.txt",
            "a.custody",
            "kura",
            "a.kura.sig",
            "x-custody",
        ] {
            assert_eq!(vault_of(other), None, "{other}");
        }
    }

    #[test]
    fn keep_last_keeps_the_newest_whatever_order_they_come_in() {
        let c = [
            t("2026-01-02T01:00:00+09:00"),
            t("2026-01-03T01:00:00+09:00"),
            t("2026-01-01T01:00:00+09:00"),
        ];
        let p = Policy {
            last: 2,
            ..Default::default()
        };
        assert_eq!(p.keep(&c), vec![vec![Rule::Last], vec![Rule::Last], vec![]]);
    }

    #[test]
    fn daily_keeps_the_newest_of_each_day_counting_only_days_with_vaults() {
        // Two on the 5th, none on the 4th, one on the 3rd, one on the 1st.
        let c = [
            t("2026-03-05T01:00:00+09:00"),
            t("2026-03-05T13:00:00+09:00"),
            t("2026-03-03T01:00:00+09:00"),
            t("2026-03-01T01:00:00+09:00"),
        ];
        let p = Policy {
            daily: 2,
            ..Default::default()
        };
        assert_eq!(p.keep(&c), vec![vec![], vec![Rule::Daily], vec![Rule::Daily], vec![]]);
        // The day is the one the vault was made in, in its own offset.
        // (Both are 2026-03-05 in UTC; in their own offsets, the 6th and the 5th.)
        let late = [t("2026-03-06T00:30:00+09:00"), t("2026-03-05T15:40:00+00:00")];
        assert_eq!(p.keep(&late), vec![vec![Rule::Daily], vec![Rule::Daily]]);
    }

    #[test]
    fn weekly_goes_by_iso_week_and_monthly_by_calendar_month() {
        // 2026-01-01 is a Thursday of ISO week 2026-W01, whose Monday is
        // 2025-12-29; 2025-12-28 (Sunday) is in 2025-W52.
        let c = [
            t("2026-01-04T01:00:00+09:00"), // W01 newest
            t("2026-01-01T01:00:00+09:00"), // W01
            t("2025-12-29T01:00:00+09:00"), // W01
            t("2025-12-28T01:00:00+09:00"), // W52
            t("2025-11-30T01:00:00+09:00"), // W48
        ];
        let p = Policy {
            weekly: 2,
            ..Default::default()
        };
        assert_eq!(
            p.keep(&c),
            vec![vec![Rule::Weekly], vec![], vec![], vec![Rule::Weekly], vec![]]
        );
        let p = Policy {
            monthly: 3,
            ..Default::default()
        };
        assert_eq!(
            p.keep(&c),
            vec![
                vec![Rule::Monthly],
                vec![],
                vec![Rule::Monthly],
                vec![],
                vec![Rule::Monthly]
            ]
        );
    }

    #[test]
    fn a_vault_kept_by_several_rules_says_so_and_none_keeps_nothing() {
        let c = [t("2026-05-10T01:00:00+09:00"), t("2026-05-09T01:00:00+09:00")];
        let p = Policy {
            last: 1,
            daily: 1,
            weekly: 1,
            monthly: 1,
        };
        assert_eq!(
            p.keep(&c),
            vec![vec![Rule::Last, Rule::Daily, Rule::Weekly, Rule::Monthly], vec![]]
        );
        assert_eq!(Policy::default().keep(&c), vec![Vec::<Rule>::new(), vec![]]);
    }
}
