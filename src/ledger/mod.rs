//! The clinic ledger: which exports are still out, which are overdue, and
//! which a verified certificate has closed.
//!
//! An export is registered at hand-over from its custody log; the ledger
//! keeps a copy of that log's text, which is the clinic's copy that a
//! certificate is later checked against. The ledger is an embedded SQLite
//! database (one file, no server) in the user's data folder, or wherever
//! `KURA_LEDGER` points. It is opened in WAL mode with a busy timeout and
//! every write runs in an immediate transaction, so several kura processes
//! may use it at once. It must live on a local disk: SQLite's WAL mode does
//! not work on network file systems.

pub mod receipt;
pub mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

use crate::certificate::model::{Certificate, Timeliness};
use crate::custody::Chain;
use crate::error::{Error, Kind, Result};
use crate::keys::KeyInfo;
use receipt::SignedReceipt;
use schema::db_error;

/// The environment variable that names the ledger file.
pub const ENV_LEDGER: &str = "KURA_LEDGER";

/// How long a command waits for another kura process to finish writing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The ledger file: `KURA_LEDGER` if set, else `ledger.sqlite` in a `kura`
/// folder of the user's data directory (`$XDG_DATA_HOME` or
/// `~/.local/share` on Linux, `~/Library/Application Support` on macOS,
/// `%APPDATA%` on Windows).
pub fn default_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_LEDGER).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    dirs::data_dir()
        .map(|d| d.join("kura").join("ledger.sqlite"))
        .ok_or_else(|| Error::new(Kind::Usage, "err-ledger-no-home"))
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Out, and the delete-by day has not passed.
    Outstanding,
    /// Out, and the delete-by day has passed with no certificate.
    Overdue,
    /// Closed by a verified deletion certificate.
    ClosedDeleted,
    /// Closed by a verified return certificate.
    ClosedReturned,
    /// Closed by a verified certificate that states the vault as lost:
    /// only the plaintext copies were deleted.
    ClosedLost,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Outstanding => "outstanding",
            Status::Overdue => "overdue",
            Status::ClosedDeleted => "closed-deleted",
            Status::ClosedReturned => "closed-returned",
            Status::ClosedLost => "closed-lost",
        }
    }
}

/// How a verified certificate closed an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Closure {
    /// `deleted` or `returned`.
    pub action: String,
    pub on_time: bool,
    /// When the certificate was issued (RFC 3339).
    pub issued_at: String,
    pub certificate_id: String,
    /// BLAKE3 of the exact bytes of the certificate file.
    pub certificate_blake3: String,
    /// Who signed it (fingerprint and comment).
    pub issuer: String,
    /// When the ledger recorded the closing (RFC 3339).
    pub recorded_at: String,
    /// The certificate and its signature, kept with the entry.
    #[serde(skip)]
    pub certificate_json: String,
    #[serde(skip)]
    pub certificate_sig: String,
    /// What the kept certificate shows about the deadline (never stored:
    /// read from the certificate itself).
    #[serde(flatten)]
    pub timeliness: Timeliness,
}

impl Closure {
    /// The timeliness of a kept certificate's text; no claim at all if it
    /// no longer reads as a certificate.
    pub fn timeliness_of(certificate_json: &str) -> Timeliness {
        Certificate::parse(certificate_json.as_bytes())
            .map(|c| c.timeliness())
            .unwrap_or_else(|_| Timeliness::unknown())
    }
}

/// The clinic's signed receipt of the certificate that closed an export
/// (see [`receipt`]), as kept in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct Receipt {
    /// When the clinic received and checked the certificate (empty if the
    /// kept receipt no longer reads).
    pub received_at: String,
    /// The clinic's key that signed it.
    pub clinic: Option<KeyInfo>,
    /// Received after the delete-by day.
    pub received_late: bool,
    /// `received_at` was set by hand (test builds): not evidence.
    pub time_set_by_hand: bool,
    /// BLAKE3 of the receipt's exact bytes.
    pub blake3: String,
    /// Whether the kept signature verifies (false: the ledger was altered).
    pub signature_valid: bool,
    #[serde(skip)]
    pub signed: SignedReceipt,
}

impl Receipt {
    /// A kept receipt, checked.
    pub fn of(signed: SignedReceipt) -> Receipt {
        let (checked, valid) = match signed.verify() {
            Ok(r) => (Some(r), true),
            Err(_) => (None, false),
        };
        Receipt {
            received_at: checked.as_ref().map(|r| r.received_at.clone()).unwrap_or_default(),
            clinic: checked.as_ref().map(|r| r.clinic.clone()),
            received_late: checked.as_ref().is_some_and(|r| r.received_late()),
            time_set_by_hand: checked.as_ref().is_some_and(|r| r.clock.is_some()),
            blake3: signed.blake3(),
            signature_valid: valid,
            signed,
        }
    }
}

/// One registered export.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub vault_id: String,
    pub approval_id: String,
    pub approved_by: String,
    pub purpose: String,
    pub delete_by: String,
    /// The engineer who packed it (the packer's key).
    pub engineer: KeyInfo,
    pub file_count: u64,
    pub total_size: u64,
    pub manifest_blake3: String,
    pub ciphertext_blake3: String,
    pub created: String,
    pub registered_at: String,
    pub custody_source: String,
    pub custody_records: u64,
    pub custody_head: String,
    pub closed: Option<Closure>,
    /// The clinic's signed receipt of the closing certificate, if it made one.
    pub receipt: Option<Receipt>,
}

impl Entry {
    fn delete_by_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.delete_by, "%Y-%m-%d").ok()
    }

    pub fn status(&self, today: NaiveDate) -> Status {
        match &self.closed {
            Some(c) if c.timeliness.vault_lost => Status::ClosedLost,
            Some(c) if c.action == "returned" => Status::ClosedReturned,
            Some(_) => Status::ClosedDeleted,
            None if self.delete_by_date().is_some_and(|d| today > d) => Status::Overdue,
            None => Status::Outstanding,
        }
    }

    /// Whole days past the delete-by day while still out (0 otherwise).
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        match (&self.closed, self.delete_by_date()) {
            (None, Some(d)) if today > d => (today - d).num_days(),
            _ => 0,
        }
    }
}

/// What `register` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new entry.
    New,
    /// Already registered with this very log.
    Unchanged,
    /// Already registered; the log has grown and the copy was brought up to
    /// date (`added` new records).
    Extended { added: u64 },
}

/// What `close` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    New,
    /// The same certificate had closed it already.
    Unchanged,
}

/// An open ledger.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
}

const COLUMNS: &str = "vault_id, approval_id, approved_by, purpose, delete_by, engineer_key, \
    engineer_fingerprint, engineer_comment, file_count, total_size, manifest_blake3, ciphertext_blake3, \
    created, registered_at, custody_source, custody_records, custody_head, closed_action, closed_on_time, \
    closed_at, certificate_id, certificate_blake3, certificate_issuer, closed_recorded_at, \
    certificate_json, certificate_sig, receipt_json, receipt_sig";

fn entry_from_row(r: &Row) -> rusqlite::Result<Entry> {
    let action: Option<String> = r.get(17)?;
    let closed = match action {
        Some(action) => {
            let certificate_json = r.get::<_, Option<String>>(24)?.unwrap_or_default();
            Some(Closure {
                action,
                on_time: r.get::<_, Option<bool>>(18)?.unwrap_or(false),
                issued_at: r.get::<_, Option<String>>(19)?.unwrap_or_default(),
                certificate_id: r.get::<_, Option<String>>(20)?.unwrap_or_default(),
                certificate_blake3: r.get::<_, Option<String>>(21)?.unwrap_or_default(),
                issuer: r.get::<_, Option<String>>(22)?.unwrap_or_default(),
                recorded_at: r.get::<_, Option<String>>(23)?.unwrap_or_default(),
                timeliness: Closure::timeliness_of(&certificate_json),
                certificate_json,
                certificate_sig: r.get::<_, Option<String>>(25)?.unwrap_or_default(),
            })
        }
        None => None,
    };
    Ok(Entry {
        vault_id: r.get(0)?,
        approval_id: r.get(1)?,
        approved_by: r.get(2)?,
        purpose: r.get(3)?,
        delete_by: r.get(4)?,
        engineer: KeyInfo {
            key: r.get(5)?,
            fingerprint: r.get(6)?,
            comment: r.get(7)?,
        },
        file_count: r.get::<_, i64>(8)? as u64,
        total_size: r.get::<_, i64>(9)? as u64,
        manifest_blake3: r.get(10)?,
        ciphertext_blake3: r.get(11)?,
        created: r.get(12)?,
        registered_at: r.get(13)?,
        custody_source: r.get(14)?,
        custody_records: r.get::<_, i64>(15)? as u64,
        custody_head: r.get(16)?,
        closed,
        receipt: match (r.get::<_, Option<String>>(26)?, r.get::<_, Option<String>>(27)?) {
            (Some(json), Some(sig)) => Some(Receipt::of(SignedReceipt { json, sig })),
            _ => None,
        },
    })
}

/// Creates the ledger's folder (private to the user) and file (mode 0600)
/// if they do not exist, so that SQLite's own files inherit that mode.
fn prepare_file(path: &Path) -> Result<()> {
    let dir = crate::fsutil::parent_dir(path);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(|e| Error::io(e, dir.display()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path).map(drop).map_err(|e| Error::io(e, path.display()))
}

impl Ledger {
    /// Opens (creating and migrating if needed) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Ledger> {
        prepare_file(path)?;
        let mut conn = Connection::open(path).map_err(|e| {
            Error::new(Kind::Io, "err-ledger-open")
                .arg("path", path.display())
                .arg("detail", e)
        })?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_error)?;
        // Switching a new database to WAL takes an exclusive lock, and
        // SQLite answers "busy" at once, without its busy handler, while
        // another process is creating the same file: wait and try again.
        let started = std::time::Instant::now();
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
                Ok(m) => break m,
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(
                        f.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && started.elapsed() < BUSY_TIMEOUT =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => {
                    return Err(Error::new(Kind::Io, "err-ledger-open")
                        .arg("path", path.display())
                        .arg("detail", e))
                }
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::new(Kind::Io, "err-ledger-open")
                .arg("path", path.display())
                .arg("detail", format!("journal mode {mode}")));
        }
        // A closed entry is evidence: it is on the medium before kura says so.
        conn.pragma_update(None, "synchronous", "FULL").map_err(db_error)?;
        schema::migrate(&mut conn)?;
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Registers the export whose verified custody log is `chain` (read from
    /// `source`). Registering again with the same log changes
    /// nothing; with a log that has grown since, the copy is brought up to
    /// date. A log that does not continue the stored copy is refused: its
    /// history differs from what the clinic registered.
    pub fn register(
        &mut self,
        chain: &Chain,
        source: &Path,
        now: DateTime<FixedOffset>,
    ) -> Result<(Registered, Entry)> {
        let r = &chain.receipt;
        let kept = kept_text(chain);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let stored: Option<(String, i64, Option<String>)> = tx
            .query_row(
                "SELECT custody_text, custody_records, closed_action FROM exports WHERE vault_id = ?1",
                [&r.vault_id],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()
            .map_err(db_error)?;
        let outcome = match stored {
            None => {
                tx.execute(
                    "INSERT INTO exports (vault_id, approval_id, approved_by, purpose, delete_by, \
                     engineer_key, engineer_fingerprint, engineer_comment, file_count, total_size, \
                     manifest_blake3, ciphertext_blake3, created, registered_at, custody_source, \
                     custody_records, custody_head, custody_text) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                    params![
                        r.vault_id,
                        r.approval.id,
                        r.approval.approved_by,
                        r.approval.purpose,
                        r.approval.delete_by,
                        r.packer.key,
                        r.packer.fingerprint,
                        r.packer.comment,
                        r.file_count as i64,
                        r.total_size as i64,
                        r.manifest_blake3,
                        r.ciphertext.blake3,
                        r.created,
                        crate::clock::rfc3339(&now),
                        source.display().to_string(),
                        chain.records.len() as i64,
                        chain.head(),
                        kept,
                    ],
                )
                .map_err(db_error)?;
                Registered::New
            }
            Some((old_text, old_n, _closed)) => {
                if !kept.starts_with(&old_text) {
                    return Err(Error::new(Kind::Integrity, "err-ledger-history-differs")
                        .arg("id", &r.vault_id)
                        .arg("n", old_n));
                }
                let added = chain.records.len() as i64 - old_n;
                // A closed entry's copy may still grow (the clinic
                // countersigns a return): the certificate's chain stays its
                // beginning, which is all a later check asks.
                if added == 0 {
                    Registered::Unchanged
                } else {
                    tx.execute(
                        "UPDATE exports SET custody_text = ?2, custody_records = ?3, custody_head = ?4, \
                         custody_source = ?5 WHERE vault_id = ?1",
                        params![
                            r.vault_id,
                            kept,
                            chain.records.len() as i64,
                            chain.head(),
                            source.display().to_string()
                        ],
                    )
                    .map_err(db_error)?;
                    Registered::Extended { added: added as u64 }
                }
            }
        };
        let entry = get_in(&tx, &r.vault_id)?.ok_or_else(|| Error::internal("registered entry vanished"))?;
        tx.commit().map_err(db_error)?;
        Ok((outcome, entry))
    }

    /// Every export, oldest delete-by first.
    pub fn list(&self) -> Result<Vec<Entry>> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM exports ORDER BY delete_by, registered_at, vault_id"
            ))
            .map_err(db_error)?;
        let rows = st.query_map([], entry_from_row).map_err(db_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
    }

    pub fn get(&self, vault_id: &str) -> Result<Option<Entry>> {
        get_in(&self.conn, vault_id)
    }

    /// The clinic's copy of the custody log of `vault_id`.
    pub fn custody_text(&self, vault_id: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT custody_text FROM exports WHERE vault_id = ?1",
                [vault_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_error)
    }

    /// Closes `vault_id` with a certificate the caller has verified against
    /// the stored custody copy. Closing again with the same certificate
    /// changes nothing; a different certificate for a closed entry is
    /// refused. `expected_head` is the stored copy's head the certificate was
    /// checked against: if the copy changed meanwhile, the close is refused.
    pub fn close(&mut self, vault_id: &str, expected_head: &str, c: &Closure) -> Result<(Closed, Entry)> {
        self.close_with_receipt(vault_id, expected_head, c, None)
    }

    /// [`Ledger::close`], keeping the clinic's signed receipt of the
    /// certificate with the entry. An entry that already keeps a receipt
    /// keeps that one (the first receipt is the evidence); one closed
    /// without a receipt takes it now.
    pub fn close_with_receipt(
        &mut self,
        vault_id: &str,
        expected_head: &str,
        c: &Closure,
        receipt: Option<&SignedReceipt>,
    ) -> Result<(Closed, Entry)> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let entry = get_in(&tx, vault_id)?
            .ok_or_else(|| Error::new(Kind::Refused, "err-ledger-unknown").arg("id", vault_id))?;
        if entry.custody_head != expected_head {
            return Err(Error::new(Kind::Refused, "err-ledger-changed").arg("id", vault_id));
        }
        let outcome = match &entry.closed {
            Some(old) if old.certificate_blake3 == c.certificate_blake3 => Closed::Unchanged,
            Some(old) => {
                return Err(Error::new(Kind::Exists, "err-ledger-already-closed")
                    .arg("id", vault_id)
                    .arg("certificate", &old.certificate_id))
            }
            None => {
                tx.execute(
                    "UPDATE exports SET closed_action = ?2, closed_on_time = ?3, closed_at = ?4, \
                     certificate_id = ?5, certificate_blake3 = ?6, certificate_issuer = ?7, \
                     closed_recorded_at = ?8, certificate_json = ?9, certificate_sig = ?10 \
                     WHERE vault_id = ?1",
                    params![
                        vault_id,
                        c.action,
                        c.on_time,
                        c.issued_at,
                        c.certificate_id,
                        c.certificate_blake3,
                        c.issuer,
                        c.recorded_at,
                        c.certificate_json,
                        c.certificate_sig
                    ],
                )
                .map_err(db_error)?;
                Closed::New
            }
        };
        if let (Some(r), None) = (receipt, &entry.receipt) {
            tx.execute(
                "UPDATE exports SET receipt_json = ?2, receipt_sig = ?3 WHERE vault_id = ?1",
                params![vault_id, r.json, r.sig],
            )
            .map_err(db_error)?;
        }
        let entry = get_in(&tx, vault_id)?.ok_or_else(|| Error::internal("closed entry vanished"))?;
        tx.commit().map_err(db_error)?;
        Ok((outcome, entry))
    }
}

/// A signed take-out approval the clinic issued, as the ledger keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedApproval {
    pub approval_id: String,
    pub clinic: crate::approval::Clinic,
    pub approver: crate::approval::Approver,
    pub purpose: String,
    pub scope: String,
    pub disposal: crate::approval::Disposal,
    /// `YYYY-MM-DD` of a one-off approval.
    pub delete_by: Option<String>,
    /// A standing approval's terms.
    pub standing: Option<crate::approval::Standing>,
    pub issued_at: String,
    /// The key that signed it.
    pub signer: KeyInfo,
    pub registered_at: String,
    /// How many registered exports cite its id (0: issued, not yet used).
    pub used: u64,
}

/// What `register_approval` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRegistered {
    New,
    /// The same signed document was registered already.
    Unchanged,
}

/// The setting that makes `ledger add` refuse a vault whose approval the
/// clinic did not sign with a key it trusts.
pub const SETTING_REQUIRE_SIGNED: &str = "require_signed_approval";

impl Ledger {
    /// Registers an approval the clinic signed, after checking that the
    /// signature is good over the exact document and that the document is
    /// `approval`. The same document again changes nothing; another
    /// document under an id already registered is refused (9): an approval
    /// id names one approval.
    pub fn register_approval(
        &mut self,
        approval: &crate::approval::Approval,
        signed: &crate::vault::manifest::SignedApproval,
        now: DateTime<FixedOffset>,
    ) -> Result<(ApprovalRegistered, IssuedApproval)> {
        let (opened, signer) = crate::approval::open(signed)?;
        if &opened != approval {
            return Err(Error::new(Kind::Integrity, "err-approval-mismatch").arg("id", &approval.approval_id));
        }
        let a = &opened;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT document FROM approvals WHERE approval_id = ?1",
                [&a.approval_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_error)?;
        let outcome = match stored {
            Some(doc) if doc == signed.document => ApprovalRegistered::Unchanged,
            Some(_) => return Err(Error::new(Kind::Exists, "err-ledger-approval-differs").arg("id", &a.approval_id)),
            None => {
                tx.execute(
                    "INSERT INTO approvals (approval_id, clinic_name, clinic_code, approver, purpose, scope, \
                     disposal, delete_by, keep_days, valid_until, issued_at, signer_key, signer_fingerprint, \
                     document, signature, registered_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                    params![
                        a.approval_id,
                        a.clinic.name,
                        a.clinic.code,
                        format!("{} ({})", a.approver.name, a.approver.role),
                        a.purpose,
                        a.scope,
                        serde_json::to_value(a.disposal)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        a.delete_by,
                        a.standing.as_ref().map(|s| s.keep_days as i64),
                        a.standing.as_ref().and_then(|s| s.valid_until.clone()),
                        a.issued_at,
                        signer.key,
                        signer.fingerprint,
                        signed.document,
                        signed.signature,
                        crate::clock::rfc3339(&now),
                    ],
                )
                .map_err(db_error)?;
                ApprovalRegistered::New
            }
        };
        let issued = approvals_in(&tx, Some(&a.approval_id))?
            .pop()
            .ok_or_else(|| Error::internal("registered approval vanished"))?;
        tx.commit().map_err(db_error)?;
        Ok((outcome, issued))
    }

    /// The signed document registered under approval id `id`, if any.
    pub fn issued_document(&self, id: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT document FROM approvals WHERE approval_id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db_error)
    }

    /// Refuses (9) an approval whose id is registered with another
    /// document: checked before an approval is written, so that a refusal
    /// leaves nothing behind.
    pub fn check_approval_id(&self, approval: &crate::approval::Approval) -> Result<()> {
        match self.issued_document(&approval.approval_id)? {
            Some(doc) if doc != approval.to_document() => {
                Err(Error::new(Kind::Exists, "err-ledger-approval-differs").arg("id", &approval.approval_id))
            }
            _ => Ok(()),
        }
    }

    /// Every approval the clinic registered, with how many exports cite
    /// it, newest first.
    pub fn approvals(&self) -> Result<Vec<IssuedApproval>> {
        approvals_in(&self.conn, None)
    }

    /// Whether `ledger add` requires the clinic's trusted signature on a
    /// vault's approval (off until set).
    pub fn require_signed_approval(&self) -> Result<bool> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE name = ?1",
                [SETTING_REQUIRE_SIGNED],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_error)?;
        Ok(v.as_deref() == Some("on"))
    }

    pub fn set_require_signed_approval(&mut self, on: bool) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO settings (name, value) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![SETTING_REQUIRE_SIGNED, if on { "on" } else { "off" }],
            )
            .map(drop)
            .map_err(db_error)
    }
}

/// The approvals registered (one when `id` is given), each read back from
/// its signed document, which the ledger checked when it took it.
fn approvals_in(conn: &Connection, id: Option<&str>) -> Result<Vec<IssuedApproval>> {
    let mut st = conn
        .prepare(
            "SELECT a.document, (SELECT count(*) FROM exports e WHERE e.approval_id = a.approval_id), \
             a.registered_at, a.signature FROM approvals a WHERE ?1 IS NULL OR a.approval_id = ?1 \
             ORDER BY a.issued_at DESC, a.approval_id",
        )
        .map_err(db_error)?;
    let rows = st
        .query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .map_err(db_error)?;
    let mut out = Vec::new();
    for row in rows {
        let (document, used, registered_at, signature) = row.map_err(db_error)?;
        let (a, signer) = crate::approval::open(&crate::vault::manifest::SignedApproval { document, signature })?;
        out.push(IssuedApproval {
            approval_id: a.approval_id,
            clinic: a.clinic,
            approver: a.approver,
            purpose: a.purpose,
            scope: a.scope,
            disposal: a.disposal,
            delete_by: a.delete_by,
            standing: a.standing,
            issued_at: a.issued_at,
            signer,
            registered_at,
            used,
        });
    }
    Ok(out)
}

fn get_in(conn: &Connection, vault_id: &str) -> Result<Option<Entry>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM exports WHERE vault_id = ?1"),
        [vault_id],
        entry_from_row,
    )
    .optional()
    .map_err(db_error)
}

/// The log text as kept: every complete record, each ending in a newline
/// (an interrupted append's torn tail is not part of the evidence).
fn kept_text(chain: &Chain) -> String {
    let mut s = String::new();
    for l in &chain.lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate::model::Timing;

    #[test]
    fn a_kept_certificate_that_no_longer_reads_makes_no_claim_on_time() {
        for text in ["", "{}", "not a certificate"] {
            let t = Closure::timeliness_of(text);
            assert_eq!(
                (t.timing, t.time_reliable),
                (Timing::TimeNotReliable, false),
                "{text:?}"
            );
        }
    }
}
