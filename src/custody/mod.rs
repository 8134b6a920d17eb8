//! The chain of custody: `X.kura.custody`, an append-only JSON Lines log
//! beside the vault. Each line is one record, signed (SSHSIG, namespace
//! `kura-custody`) by the actor, and carrying the BLAKE3 of the previous
//! line's exact bytes, so any edit, removal, insertion or reordering breaks
//! the chain at a record that `verify` names. The first record ("packed")
//! holds the vault's signed receipt.
//!
//! Line format (docs/FORMAT.md): the record's JSON object with a last member
//! `"sig"`; the signed message is the line with `,"sig":"…"` removed.
//!
//! Records carry no patient information. Notes are free text: they must not
//! name patients.
//!
//! A record's time is the signer's claim; [`time`] flags the ones that are
//! not even that (dated by hand, or before an earlier record).

pub mod time;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, IoContext, Kind, Result};
use crate::keys::signature::{self, AllowedSigners, KeyInfo, NS_CUSTODY, NS_RECEIPT};
use crate::keys::SigningKey;
use crate::naming::{custody_path, is_split, split_custody_path, CUSTODY_SUFFIX, SPLIT_CUSTODY_SUFFIX};
use crate::vault::format::FORMAT_VERSION;
use crate::vault::Receipt;
pub use time::{TimeFlag, TimeIssue};

/// The events a custody record may state.
pub const EVENTS: &[&str] = &[
    "packed",
    "handover",
    "received",
    "verified",
    "extracted",
    "returned",
    "deleted",
    "note",
    "lost",
];

/// `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Largest custody log kura reads, and longest line.
pub const MAX_LOG_BYTES: u64 = 64 << 20;
pub const MAX_LINE_BYTES: usize = 256 << 10;
pub const MAX_NOTE_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record format version (1).
    pub v: u32,
    /// 0 for the first record, then 1, 2, …
    pub seq: u64,
    /// BLAKE3 (hex) of the previous line's exact bytes; zeros for the first.
    pub prev: String,
    pub vault_id: String,
    pub event: String,
    pub actor: KeyInfo,
    /// RFC 3339 with offset.
    pub time: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Event-specific facts (for example `destination` of an extraction).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub details: Map<String, Value>,
    /// First record only: the receipt's JSON text, signed as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_sig: Option<String>,
}

/// A verified custody log.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The exact lines (without newline) of every complete record.
    pub lines: Vec<String>,
    pub records: Vec<Record>,
    pub receipt: Receipt,
    /// The file ended in an incomplete line (an interrupted append), which
    /// was ignored.
    pub torn_tail: bool,
}

impl Chain {
    pub fn vault_id(&self) -> &str {
        &self.receipt.vault_id
    }

    /// The chain as it stood after its first `n` records (a prefix of a
    /// verified chain is itself verified).
    pub fn prefix(&self, n: usize) -> Chain {
        let n = n.min(self.lines.len());
        Chain {
            lines: self.lines[..n].to_vec(),
            records: self.records[..n].to_vec(),
            receipt: self.receipt.clone(),
            torn_tail: false,
        }
    }

    /// BLAKE3 of the last line: what the next record's `prev` must be.
    pub fn head(&self) -> String {
        self.lines
            .last()
            .map(|l| hash_line(l))
            .unwrap_or_else(|| GENESIS.into())
    }

    /// The records whose time is not evidence ([`time`]).
    pub fn time_flags(&self) -> Vec<TimeFlag> {
        time::flags(&self.records)
    }

    /// Checks that every actor may sign custody records.
    pub fn require_signers(&self, signers: &AllowedSigners) -> Result<()> {
        for (i, r) in self.records.iter().enumerate() {
            signers.require(&r.actor, NS_CUSTODY, &format!("custody record #{i}"))?;
        }
        signers.require(&self.receipt.packer, NS_RECEIPT, "receipt")?;
        Ok(())
    }
}

/// BLAKE3 (hex) of a line's exact bytes: the next record's `prev`.
pub fn hash_line(line: &str) -> String {
    blake3::hash(line.as_bytes()).to_hex().to_string()
}

/// The custody log for a path: the path itself if it names a log
/// (`X.kura.custody`, a split vault's `X.kura-custody`, or a copy under any
/// name), else the log beside the vault (`X.kura.custody`, or
/// `X.kura-custody` for a split vault).
pub fn log_path(path: &Path) -> PathBuf {
    let name = path.to_string_lossy();
    if name.ends_with(CUSTODY_SUFFIX) || name.ends_with(SPLIT_CUSTODY_SUFFIX) {
        return path.to_path_buf();
    }
    let beside = custody_path(path);
    if beside.exists() {
        return beside;
    }
    if is_split(path) {
        return split_custody_path(path);
    }
    // A copy of a log kept under another name (a clinic's "copy.txt"): a
    // log is JSON Lines, so it starts with '{'; a vault never does.
    if looks_like_log(path) {
        return path.to_path_buf();
    }
    beside
}

fn looks_like_log(path: &Path) -> bool {
    use std::io::Read;
    let mut first = [0u8; 1];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut first))
        .is_ok_and(|_| first[0] == b'{')
}

/// This computer's host name, as records state it.
pub fn host() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// "The log is broken at record #n", with the reason (a `msg-custody-why-*`
/// message id) in the user's language.
fn bad(seq: usize, why: &'static str) -> Error {
    Error::new(Kind::Integrity, "err-custody-bad-record")
        .arg("n", seq)
        .arg_msg("why", why)
}

/// Signs a record and returns its line (without newline).
pub fn sign_record(record: &Record, signer: &SigningKey) -> Result<String> {
    let body = serde_json::to_string(record).map_err(Error::internal)?;
    let sig = signer.sign(NS_CUSTODY, body.as_bytes())?;
    let mut line = body;
    line.pop(); // the closing brace
    line.push_str(",\"sig\":");
    line.push_str(&serde_json::to_string(&sig).map_err(Error::internal)?);
    line.push('}');
    Ok(line)
}

/// Splits a line into (signed message, record, signature).
fn split_line(line: &str, n: usize) -> Result<(String, Record, String)> {
    const MARK: &str = ",\"sig\":\"";
    let at = line.rfind(MARK).ok_or_else(|| bad(n, "msg-custody-why-no-signature"))?;
    if !line.ends_with("\"}") {
        return Err(bad(n, "msg-custody-why-malformed"));
    }
    let body = format!("{}}}", &line[..at]);
    let sig: String = serde_json::from_str(&line[at + MARK.len() - 1..line.len() - 1])
        .map_err(|_| bad(n, "msg-custody-why-malformed"))?;
    let record: Record = serde_json::from_str(&body).map_err(|_| bad(n, "msg-custody-why-malformed"))?;
    // The whole line must be exactly the record plus its signature.
    let whole: Value = serde_json::from_str(line).map_err(|_| bad(n, "msg-custody-why-malformed"))?;
    if whole.get("sig").and_then(Value::as_str) != Some(sig.as_str()) {
        return Err(bad(n, "msg-custody-why-malformed"));
    }
    Ok((body, record, sig))
}

/// Parses and verifies a whole custody log.
pub fn verify_text(text: &str) -> Result<Chain> {
    let torn_tail = !text.is_empty() && !text.ends_with('\n');
    let mut raw: Vec<&str> = text.split('\n').collect();
    let last = raw.pop().unwrap_or("");
    let mut torn = false;
    if torn_tail {
        // An interrupted append leaves a proper prefix of a line, which is
        // never a whole JSON object. A last line that is one (without its
        // newline) is a record like any other and must check out.
        let mut probe = raw.clone();
        probe.push(last);
        match verify_lines(&probe) {
            Ok(chain) => return Ok(chain),
            Err(e) if serde_json::from_str::<Value>(last).is_ok() => return Err(e),
            Err(_) => torn = true,
        }
    }
    let mut chain = verify_lines(&raw)?;
    chain.torn_tail = torn;
    Ok(chain)
}

fn verify_lines(lines: &[&str]) -> Result<Chain> {
    if lines.is_empty() {
        return Err(Error::new(Kind::Integrity, "err-custody-empty"));
    }
    let mut records = Vec::with_capacity(lines.len());
    let mut receipt: Option<Receipt> = None;
    let mut prev = GENESIS.to_string();
    for (n, line) in lines.iter().enumerate() {
        if line.len() > MAX_LINE_BYTES {
            return Err(bad(n, "msg-custody-why-too-long"));
        }
        let (body, record, sig) = split_line(line, n)?;
        if record.v != FORMAT_VERSION {
            return Err(bad(n, "msg-custody-why-version"));
        }
        if n >= 2 && record.seq == n as u64 - 1 && record.prev == hash_line(lines[n - 2]) && lines[n - 1] != *line {
            // This record follows the one before its predecessor, which is
            // not a copy of it: the predecessor was inserted.
            return Err(bad(n - 1, "msg-custody-why-inserted"));
        }
        if record.seq != n as u64 {
            return Err(bad(n, "msg-custody-why-sequence"));
        }
        if record.prev != prev {
            return Err(bad(n, "msg-custody-why-link"));
        }
        if !EVENTS.contains(&record.event.as_str()) {
            return Err(bad(n, "msg-custody-why-event"));
        }
        signature::verify(&record.actor, NS_CUSTODY, body.as_bytes(), &sig, "custody record")
            .map_err(|_| bad(n, "msg-custody-why-signature"))?;
        if n == 0 {
            if record.event != "packed" {
                return Err(bad(0, "msg-custody-why-first"));
            }
            let (Some(text), Some(rsig)) = (&record.receipt, &record.receipt_sig) else {
                return Err(bad(0, "msg-custody-why-no-receipt"));
            };
            let r = Receipt::parse(text)?;
            signature::verify(&r.packer, NS_RECEIPT, text.as_bytes(), rsig, "receipt")
                .map_err(|_| bad(0, "msg-custody-why-receipt-signature"))?;
            if r.vault_id != record.vault_id || r.packer != record.actor {
                return Err(bad(0, "msg-custody-why-receipt-record"));
            }
            receipt = Some(r);
        } else {
            if record.receipt.is_some() || record.event == "packed" {
                return Err(bad(n, "msg-custody-why-second-receipt"));
            }
            let id = &receipt.as_ref().expect("set by record 0").vault_id;
            if &record.vault_id != id {
                return Err(bad(n, "msg-custody-why-other-vault"));
            }
        }
        prev = hash_line(line);
        records.push(record);
    }
    Ok(Chain {
        lines: lines.iter().map(|s| s.to_string()).collect(),
        records,
        receipt: receipt.expect("record 0 checked"),
        torn_tail: false,
    })
}

/// Reads and verifies the custody log at `path`.
pub fn read(path: &Path) -> Result<Chain> {
    let bytes = crate::fsutil::read_bounded(path, MAX_LOG_BYTES).map_err(|e| {
        if e.id == "err-io-not-found" {
            Error::new(Kind::Io, "err-custody-missing").arg("path", path.display())
        } else {
            e
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| bad(0, "msg-custody-why-utf8"))?;
    verify_text(&text)
}

/// A record's details, marked when its time came from `KURA_NOW` rather
/// than the computer's clock.
fn clock_details(mut details: Map<String, Value>) -> Map<String, Value> {
    if crate::clock::overridden() {
        details.insert("clock".into(), Value::String(crate::clock::ENV_NOW.into()));
    }
    details
}

/// The bytes of a new custody log: its first record, holding the signed
/// receipt.
pub fn new_log_bytes(receipt: &Receipt, signer: &SigningKey, now: DateTime<FixedOffset>) -> Result<Vec<u8>> {
    new_log_bytes_with(receipt, signer, now, Map::new())
}

/// [`new_log_bytes`] with details for the "packed" record (the safety
/// rules the packer overrode, say).
pub fn new_log_bytes_with(
    receipt: &Receipt,
    signer: &SigningKey,
    now: DateTime<FixedOffset>,
    details: Map<String, Value>,
) -> Result<Vec<u8>> {
    let text = receipt.to_json();
    let receipt_sig = signer.sign(NS_RECEIPT, text.as_bytes())?;
    let record = Record {
        v: FORMAT_VERSION,
        seq: 0,
        prev: GENESIS.into(),
        vault_id: receipt.vault_id.clone(),
        event: "packed".into(),
        actor: signer.info().clone(),
        time: crate::clock::rfc3339(&now),
        host: host(),
        note: None,
        details: clock_details(details),
        receipt: Some(text),
        receipt_sig: Some(receipt_sig),
    };
    let mut line = sign_record(&record, signer)?.into_bytes();
    line.push(b'\n');
    Ok(line)
}

/// What to append.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub event: String,
    pub note: Option<String>,
    pub details: Map<String, Value>,
}

impl NewEvent {
    pub fn new(event: &str) -> Self {
        NewEvent {
            event: event.to_string(),
            ..Default::default()
        }
    }
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }
}

/// Appends a signed record under an exclusive lock. The existing log must
/// verify; an incomplete last line left by a crash is cut off first. The
/// record is on the medium (fsync) before this returns.
pub fn append(path: &Path, ev: NewEvent, signer: &SigningKey, now: DateTime<FixedOffset>) -> Result<Record> {
    if !EVENTS.contains(&ev.event.as_str()) || ev.event == "packed" {
        return Err(Error::new(Kind::Usage, "err-custody-event")
            .arg("event", &ev.event)
            .arg("events", EVENTS[1..].join(", ")));
    }
    if let Some(n) = &ev.note {
        if n.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::new(Kind::Usage, "err-custody-note-long").arg("max", MAX_NOTE_CHARS));
        }
    }
    let mut f: File = OpenOptions::new().read(true).write(true).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::new(Kind::Io, "err-custody-missing").arg("path", path.display())
        } else {
            Error::io(e, path.display())
        }
    })?;
    f.lock().at(path.display())?;
    let mut text = String::new();
    (&mut f)
        .take(MAX_LOG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|_| bad(0, "msg-custody-why-utf8"))?;
    if text.len() as u64 > MAX_LOG_BYTES {
        // Never cut a log kura could not read whole.
        return Err(Error::new(Kind::Refused, "err-file-too-large")
            .arg("path", path.display())
            .arg("max", MAX_LOG_BYTES));
    }
    let chain = verify_text(&text)?;
    if chain.torn_tail {
        let complete: usize = chain.lines.iter().map(|l| l.len() + 1).sum();
        f.set_len(complete as u64).at(path.display())?;
    }
    // A complete last record that lacks its newline is ended first.
    let needs_newline = !chain.torn_tail && !text.ends_with('\n');
    let record = Record {
        v: FORMAT_VERSION,
        seq: chain.records.len() as u64,
        prev: chain.head(),
        vault_id: chain.vault_id().to_string(),
        event: ev.event,
        actor: signer.info().clone(),
        time: crate::clock::rfc3339(&now),
        host: host(),
        note: ev.note.filter(|n| !n.trim().is_empty()),
        details: clock_details(ev.details),
        receipt: None,
        receipt_sig: None,
    };
    let mut line = sign_record(&record, signer)?;
    if needs_newline {
        line.insert(0, '\n');
    }
    line.push('\n');
    let end = f.seek(SeekFrom::End(0)).at(path.display())?;
    let written = f.write_all(line.as_bytes()).and_then(|_| f.sync_all());
    if let Err(e) = written {
        // A full disk or an I/O error mid-line: take the partial line back,
        // so the log ends where it did.
        let _ = f.set_len(end);
        let _ = f.sync_all();
        return Err(Error::io(e, path.display()));
    }
    Ok(record)
}
