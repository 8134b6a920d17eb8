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
    "extracting",
    "extracted",
    "abandoned",
    "returned",
    "deleted",
    "note",
    "lost",
    "certificate-received",
];

/// The events a person attests with `kura custody add`. The others are
/// recorded by kura itself, by the operation they describe (`packed` by
/// pack, `verified` by verify, `extracting`/`extracted`/`abandoned` by extract,
/// `deleted`/`returned` by certify, `certificate-received` by `ledger close`),
/// so that a record of them means the operation was done.
pub const PEOPLE_EVENTS: &[&str] = &["handover", "received", "note", "lost"];

/// Events that end the holder's custody: once one is recorded, the log
/// takes no record of the vault being opened again, nor a second one.
pub const CERTIFYING_EVENTS: &[&str] = &["deleted", "returned"];

/// What may follow a certified deletion: notes and the clinic's receipt of
/// the certificate (the data is gone; a record of it being handed over,
/// received, lost or opened again would contradict the certificate).
const AFTER_DELETED: &[&str] = &["note", "certificate-received"];
/// What may follow a certified return: the medium going back and the
/// clinic checking it (handover, received, verified, notes, a loss, the
/// clinic's receipt of the certificate), never another extraction or
/// certification.
const AFTER_RETURNED: &[&str] = &[
    "note",
    "handover",
    "received",
    "verified",
    "lost",
    "certificate-received",
];

/// How long an operation waits for another kura to release the log (a
/// custody record takes milliseconds; an extraction or a certification
/// holds the log for its whole run).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether `event` may come after `earlier` records: the record number of
/// the certifying record it would follow, if it may not.
fn out_of_order(earlier: &[Record], event: &str) -> Option<u64> {
    let certified = earlier.iter().find(|r| CERTIFYING_EVENTS.contains(&r.event.as_str()))?;
    let allowed = if certified.event == "deleted" {
        AFTER_DELETED
    } else {
        AFTER_RETURNED
    };
    (!allowed.contains(&event)).then_some(certified.seq)
}

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

    /// The records that say a plaintext copy may exist, one per host and
    /// destination, the first record naming it: an `extracting` (the intent)
    /// unless an `abandoned` ended it (what it wrote is gone again), or an
    /// `extracted` that follows no intent (logs written before intents were
    /// recorded).
    pub fn copy_records(&self) -> Vec<&Record> {
        let place = |r: &Record| {
            r.details
                .get("destination")
                .and_then(|v| v.as_str())
                .map(|d| (r.host.clone(), d.to_string()))
        };
        // For each place, the copy record and whether it is an intent still
        // waiting for its end.
        let mut found: Vec<Option<&Record>> = vec![];
        let mut at: std::collections::HashMap<(String, String), (usize, bool)> = Default::default();
        for r in &self.records {
            let Some(key) = place(r) else { continue };
            match (r.event.as_str(), at.get(&key).copied()) {
                // Again into a place a copy is already recorded for: that
                // record stands, whatever becomes of this attempt.
                ("extracting", Some((i, _))) if found[i].is_some() => {}
                ("extracting", _) | ("extracted", None) => {
                    found.push(Some(r));
                    at.insert(key, (found.len() - 1, r.event == "extracting"));
                }
                ("extracted", Some((i, _))) => {
                    found[i] = found[i].or(Some(r));
                    at.insert(key, (i, false));
                }
                ("abandoned", Some((i, true))) => {
                    found[i] = None;
                    at.remove(&key);
                }
                _ => {}
            }
        }
        found.into_iter().flatten().collect()
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
        if out_of_order(&records, &record.event).is_some() {
            return Err(bad(n, "msg-custody-why-after-certified"));
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
            missing(path)
        } else {
            e
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| bad(0, "msg-custody-why-utf8"))?;
    verify_text(&text)
}

/// The custody log at `path` is not there. When it is named after a vault
/// (`X.kura.custody`, `X.kura-custody`) and that vault is not there either,
/// the message says so: the vault's name was most likely mistyped.
fn missing(path: &Path) -> Error {
    let e = Error::new(Kind::Io, "err-custody-missing").arg("path", path.display());
    let name = path.to_string_lossy();
    let vault = name
        .strip_suffix(CUSTODY_SUFFIX)
        .or_else(|| name.strip_suffix(SPLIT_CUSTODY_SUFFIX))
        .filter(|v| !v.is_empty());
    match vault {
        Some(v) if !crate::naming::first_file(Path::new(v)).exists() => e.arg("vault_missing", "yes").arg("vault", v),
        _ => e,
    }
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

/// A custody log opened for appending: exclusively locked for as long as
/// the value lives, so that an operation (an extraction, a certification)
/// and its records are not interleaved with another kura's. The existing
/// log must verify; an incomplete last line left by a crash is cut off.
pub struct Log {
    file: File,
    path: PathBuf,
    chain: Chain,
    /// The file's complete last record lacks its newline.
    needs_newline: bool,
}

impl Log {
    /// Opens, locks and verifies the log at `path`. A log that cannot be
    /// written (a write-protected medium, a read-only mount) is refused
    /// here, before the operation that would need to record starts.
    pub fn open(path: &Path) -> Result<Log> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => missing(path),
                _ if is_read_only(&e) => Error::new(Kind::Io, "err-custody-unwritable")
                    .arg("path", path.display())
                    .arg("detail", &e)
                    .caused_by(e),
                _ => Error::io(e, path.display()),
            })?;
        // A FIFO or a device in the log's place is refused, never read
        // (reading one could wait for ever).
        if !file.metadata().at(path.display())?.is_file() {
            return Err(Error::new(Kind::Refused, "err-not-regular-file").arg("path", path.display()));
        }
        lock(&file, path)?;
        let mut text = String::new();
        (&mut file)
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
            file.set_len(complete as u64).at(path.display())?;
        }
        // A complete last record that lacks its newline is ended first.
        let needs_newline = !chain.torn_tail && !text.ends_with('\n');
        Ok(Log {
            file,
            path: path.to_path_buf(),
            chain: Chain {
                torn_tail: false,
                ..chain
            },
            needs_newline,
        })
    }

    /// The log as it stands (including what this value appended).
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses an event the log may not take next: an unknown one, a
    /// second `packed`, or opening or certifying the vault again after a
    /// certifying record.
    pub fn check(&self, event: &str) -> Result<()> {
        if !EVENTS.contains(&event) || event == "packed" {
            return Err(Error::new(Kind::Usage, "err-custody-event")
                .arg("event", event)
                .arg("events", PEOPLE_EVENTS.join(", ")));
        }
        if let Some(seq) = out_of_order(&self.chain.records, event) {
            return Err(Error::new(Kind::Refused, "err-custody-after-certified")
                .arg("event", event)
                .arg("n", seq)
                .arg("path", self.path.display()));
        }
        Ok(())
    }

    /// Appends a signed record. The record is on the medium (fsync) before
    /// this returns; a failure leaves the log as it was.
    pub fn append(&mut self, ev: NewEvent, signer: &SigningKey, now: DateTime<FixedOffset>) -> Result<Record> {
        self.check(&ev.event)?;
        if let Some(n) = &ev.note {
            if n.chars().count() > MAX_NOTE_CHARS {
                return Err(Error::new(Kind::Usage, "err-custody-note-long").arg("max", MAX_NOTE_CHARS));
            }
        }
        let record = Record {
            v: FORMAT_VERSION,
            seq: self.chain.records.len() as u64,
            prev: self.chain.head(),
            vault_id: self.chain.vault_id().to_string(),
            event: ev.event,
            actor: signer.info().clone(),
            time: crate::clock::rfc3339(&now),
            host: host(),
            note: ev.note.filter(|n| !n.trim().is_empty()),
            details: clock_details(ev.details),
            receipt: None,
            receipt_sig: None,
        };
        let line = sign_record(&record, signer)?;
        self.write_lines(std::slice::from_ref(&line))?;
        self.chain.lines.push(line);
        self.chain.records.push(record.clone());
        Ok(record)
    }

    /// Appends records signed elsewhere, as their exact lines: the rest of
    /// a certificate's chain that this log is the beginning of. The log
    /// with them must verify (chain, signatures, order), or nothing is
    /// written.
    pub fn append_lines(&mut self, lines: &[String]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for l in self.chain.lines.iter().chain(lines) {
            text.push_str(l);
            text.push('\n');
        }
        let chain = verify_text(&text)?;
        if chain.lines.len() != self.chain.lines.len() + lines.len() {
            return Err(Error::internal("appended lines did not read as whole records"));
        }
        self.write_lines(lines)?;
        self.chain = Chain {
            torn_tail: false,
            ..chain
        };
        Ok(())
    }

    /// Writes whole lines at the end of the file and syncs them; a failure
    /// takes back what was written, so the log ends where it did.
    fn write_lines(&mut self, lines: &[String]) -> Result<()> {
        let mut bytes = String::new();
        if self.needs_newline {
            bytes.push('\n');
        }
        for line in lines {
            bytes.push_str(line);
            bytes.push('\n');
        }
        let path = self.path.display();
        let end = self.file.seek(SeekFrom::End(0)).at(&path)?;
        let written = self.file.write_all(bytes.as_bytes()).and_then(|_| self.file.sync_all());
        if let Err(e) = written {
            // A full disk or an I/O error mid-line: take the partial line back,
            // so the log ends where it did.
            let _ = self.file.set_len(end);
            let _ = self.file.sync_all();
            return Err(Error::io(e, path));
        }
        self.needs_newline = false;
        Ok(())
    }
}

/// Whether opening for writing failed because the medium or the file does
/// not allow writing (as opposed to a missing file or a lock).
fn is_read_only(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::PermissionDenied
        || e.kind() == std::io::ErrorKind::ReadOnlyFilesystem
        || e.raw_os_error() == Some(1) // EPERM: an immutable file
}

/// Takes the log's exclusive lock, waiting up to [`LOCK_WAIT`] for another
/// kura to finish with it; never longer (scripts must not hang).
fn lock(file: &File, path: &Path) -> Result<()> {
    let start = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::new(Kind::Refused, "err-custody-busy").arg("path", path.display()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(e, path.display())),
        }
    }
}

/// Appends one record a person attests (`kura custody add`: handover,
/// received, note, lost); the events kura records itself are refused.
pub fn attest(path: &Path, ev: NewEvent, signer: &SigningKey, now: DateTime<FixedOffset>) -> Result<Record> {
    if !PEOPLE_EVENTS.contains(&ev.event.as_str()) {
        let id = if EVENTS.contains(&ev.event.as_str()) && ev.event != "packed" {
            "err-custody-event-by-kura"
        } else {
            "err-custody-event"
        };
        return Err(Error::new(Kind::Usage, id)
            .arg("event", &ev.event)
            .arg("events", PEOPLE_EVENTS.join(", ")));
    }
    if ev.note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Error::new(Kind::Usage, "err-custody-note-long").arg("max", MAX_NOTE_CHARS));
    }
    append(path, ev, signer, now)
}

/// Appends a signed record under the log's lock (see [`Log`]).
pub fn append(path: &Path, ev: NewEvent, signer: &SigningKey, now: DateTime<FixedOffset>) -> Result<Record> {
    let mut log = Log::open(path)?;
    log.check(&ev.event)?;
    log.append(ev, signer, now)
}
