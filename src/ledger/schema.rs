//! The ledger's database schema and its migrations.
//!
//! The schema version lives in SQLite's `PRAGMA user_version`. Each entry of
//! [`MIGRATIONS`] takes the database from version `i` to `i + 1`; they run in
//! order inside one `BEGIN IMMEDIATE` transaction, so two kura processes
//! opening a fresh ledger at the same moment never both migrate it. A
//! migration, once released, is never edited: changes come as new entries.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Kind, Result};

/// Every migration, oldest first. `MIGRATIONS.len()` is the current version.
pub const MIGRATIONS: &[&str] = &[
    // 1: one row per export, from registration at hand-over to closing by a
    // verified certificate.
    r#"
    CREATE TABLE exports (
        vault_id            TEXT PRIMARY KEY NOT NULL,
        approval_id         TEXT NOT NULL,
        approved_by         TEXT NOT NULL,
        purpose             TEXT NOT NULL,
        delete_by           TEXT NOT NULL,      -- YYYY-MM-DD
        engineer_key        TEXT NOT NULL,      -- packer's public key line
        engineer_fingerprint TEXT NOT NULL,     -- SHA256:…
        engineer_comment    TEXT NOT NULL,
        file_count          INTEGER NOT NULL,
        total_size          INTEGER NOT NULL,
        manifest_blake3     TEXT NOT NULL,
        ciphertext_blake3   TEXT NOT NULL,
        created             TEXT NOT NULL,      -- when the vault was packed
        registered_at       TEXT NOT NULL,      -- when the ledger took it
        custody_source      TEXT NOT NULL,      -- the file it was read from
        custody_records     INTEGER NOT NULL,
        custody_head        TEXT NOT NULL,      -- BLAKE3 of the last line
        custody_text        TEXT NOT NULL,      -- the clinic's copy of the log
        closed_action       TEXT CHECK (closed_action IN ('deleted', 'returned')),
        closed_on_time      INTEGER,
        closed_at           TEXT,               -- the certificate's issue time
        closed_recorded_at  TEXT,               -- when the ledger closed it
        certificate_id      TEXT,
        certificate_blake3  TEXT,
        certificate_issuer  TEXT,
        certificate_json    TEXT,
        certificate_sig     TEXT
    ) STRICT;
    CREATE INDEX exports_delete_by ON exports (delete_by);
    "#,
    // 2: the clinic's signed receipt of the certificate that closed the
    // export (ledger::receipt): its exact JSON and its SSHSIG.
    r#"
    ALTER TABLE exports ADD COLUMN receipt_json TEXT;
    ALTER TABLE exports ADD COLUMN receipt_sig TEXT;
    "#,
    // 3: the clinic's signed take-out approvals as issued (`kura approve`),
    // and the ledger's own settings (whether `ledger add` requires a vault's
    // approval to be signed by the clinic).
    r#"
    CREATE TABLE approvals (
        approval_id         TEXT PRIMARY KEY NOT NULL,
        clinic_name         TEXT NOT NULL,
        clinic_code         TEXT,
        approver            TEXT NOT NULL,      -- name (role)
        purpose             TEXT NOT NULL,
        scope               TEXT NOT NULL,
        disposal            TEXT NOT NULL,      -- delete or return
        delete_by           TEXT,               -- YYYY-MM-DD, a one-off approval
        keep_days           INTEGER,            -- a standing approval
        valid_until         TEXT,
        issued_at           TEXT NOT NULL,
        signer_key          TEXT NOT NULL,
        signer_fingerprint  TEXT NOT NULL,
        document            TEXT NOT NULL,      -- APPROVAL.json, byte for byte
        signature           TEXT NOT NULL,      -- its SSHSIG
        registered_at       TEXT NOT NULL
    ) STRICT;
    CREATE TABLE settings (
        name                TEXT PRIMARY KEY NOT NULL,
        value               TEXT NOT NULL
    ) STRICT;
    "#,
];

/// Brings the database to the current schema. Refuses a database written by
/// a newer kura rather than guessing at it.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let target = MIGRATIONS.len() as i64;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_error)?;
    if version > target {
        return Err(Error::new(Kind::Refused, "err-ledger-newer")
            .arg("version", version)
            .arg("supported", target));
    }
    if version == target {
        return tx.commit().map_err(db_error);
    }
    for sql in &MIGRATIONS[version as usize..] {
        tx.execute_batch(sql).map_err(db_error)?;
    }
    tx.pragma_update(None, "user_version", target).map_err(db_error)?;
    tx.commit().map_err(db_error)
}

/// A database failure as a kura error.
pub fn db_error(e: rusqlite::Error) -> Error {
    Error::new(Kind::Io, "err-ledger-db").arg("detail", e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_reach_the_current_version_once() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_version_1_ledger_is_brought_up_keeping_its_exports() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute_batch(
            "INSERT INTO exports (vault_id, approval_id, approved_by, purpose, delete_by, engineer_key, \
             engineer_fingerprint, engineer_comment, file_count, total_size, manifest_blake3, \
             ciphertext_blake3, created, registered_at, custody_source, custody_records, custody_head, \
             custody_text) VALUES ('v', 'a', 'b', 'p', '2099-01-01', 'k', 'f', '', 1, 1, 'm', 'c', 't', \
             't', 's', 1, 'h', 'x')",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let n: i64 = c.query_row("SELECT count(*) FROM exports", [], |r| r.get(0)).unwrap();
        let a: i64 = c.query_row("SELECT count(*) FROM approvals", [], |r| r.get(0)).unwrap();
        assert_eq!((n, a), (1, 0));
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        let e = migrate(&mut c).unwrap_err();
        assert_eq!(e.id, "err-ledger-newer");
    }
}
