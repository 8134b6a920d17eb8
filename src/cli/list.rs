//! `kura list`: every vault in some folders, its custody state and whether
//! its ciphertext is what its receipt says. No key needed; writes nothing.

use std::path::PathBuf;

use clap::Args;
use serde_json::{json, Value};

use super::table::{cell, pad, width};
use super::{bytes, label, t, Report};
use kura::error::{Error, Kind, Result};
use kura::retention::{self, Cipher, Depth, LogState, Status};

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Folders holding vaults
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Read every byte and compare its BLAKE3 with the receipt (default: sizes only)
    #[arg(long)]
    pub check: bool,
    /// Look in sub-folders too
    #[arg(long)]
    pub recursive: bool,
}

/// Columns of the table: vault, approval, created, delete-by, size,
/// custody, ciphertext. With the spaces between them: 80.
const COLS: [usize; 7] = [16, 8, 11, 11, 9, 10, 9];

/// The word for a vault's custody state: its last event, or what is wrong
/// with its log.
pub fn custody_word(s: &Status) -> String {
    match (s.log, s.state()) {
        (LogState::Verified, Some(e)) => label("event", e),
        (LogState::Missing, _) => t("msg-list-log-missing", &[]),
        _ => t("msg-list-log-broken", &[]),
    }
}

/// The word for the ciphertext's standing.
fn cipher_word(c: Cipher) -> String {
    let id = match c {
        Cipher::Matches => "msg-list-cipher-matches",
        Cipher::SizeDiffers => "msg-list-cipher-size-differs",
        Cipher::Blake3Differs => "msg-list-cipher-blake3-differs",
        Cipher::Gone => "msg-list-cipher-gone",
        Cipher::Remains => "msg-list-cipher-remains",
        Cipher::Missing => "msg-list-cipher-missing",
        Cipher::Unreadable => "msg-list-cipher-unreadable",
        Cipher::Unknown => "msg-list-cipher-unknown",
    };
    t(id, &[])
}

/// Still there after its delete-by day.
fn overdue(s: &Status, today: chrono::NaiveDate) -> bool {
    s.present() && s.chain.as_ref().is_some_and(|c| c.receipt.overdue(today))
}

/// A vault as `--json` gives it (docs/JSON.md).
pub fn json_of(s: &Status, today: chrono::NaiveDate) -> Value {
    let receipt = s.chain.as_ref().map(|c| &c.receipt);
    json!({
        "vault": s.found.vault.display().to_string(),
        "custody": s.found.custody.as_ref().map(|p| p.display().to_string()),
        "vault_id": receipt.map(|r| r.vault_id.clone()),
        "approval_id": receipt.map(|r| r.approval.id.clone()),
        "created": receipt.map(|r| r.created.clone()),
        "delete_by": receipt.map(|r| r.approval.delete_by.clone()),
        "consent": receipt.map(|r| {
            kura::approval::Consent::of_created(&r.approval, &r.created, None)
                .map_or_else(|e| super::consent::unreadable(&e), |c| super::consent::json(&c))
        }),
        "overdue": overdue(s, today),
        "size": s.size,
        "receipt_size": receipt.map(|r| r.ciphertext.size),
        "state": s.state(),
        "log": s.log,
        "log_error": s.log_error.as_ref().map(|e| e.id),
        "time_flagged": s.time_flagged(),
        "receipt_reconstructed": reconstructed(s),
        "ciphertext": s.cipher,
        "checked": s.depth,
        "ok": s.ok(),
    })
}

/// Whether the vault's log was started again (`--without-receipt`): its
/// receipt was rebuilt from the vault, so the ciphertext matching it
/// proves nothing of the vault that was handed over.
fn reconstructed(s: &Status) -> bool {
    s.chain.as_ref().is_some_and(|c| c.reconstructed())
}

/// `s` cut to its last `max` columns (with `…` in front) and padded: the
/// end of a vault's name (its date, in nightly names) is what tells it
/// from its neighbours.
fn tail(s: &str, max: usize) -> String {
    let s = kura::i18n::escape_controls(s);
    if width(&s) <= max {
        return pad(&s, max);
    }
    let mut kept: Vec<char> = vec![];
    for c in s.chars().rev() {
        if width(&kept.iter().collect::<String>()) + width(&c.to_string()) + 1 > max {
            break;
        }
        kept.push(c);
    }
    let cut: String = std::iter::once('…').chain(kept.into_iter().rev()).collect();
    pad(&cut, max)
}

fn row(s: &Status, today: chrono::NaiveDate) -> String {
    let receipt = s.chain.as_ref().map(|c| &c.receipt);
    let name = s
        .found
        .vault
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let created = receipt.map(|r| r.created.get(..10).unwrap_or(&r.created).to_string());
    let created = format!(
        "{}{}",
        created.unwrap_or_default(),
        if s.time_flagged() { "*" } else { "" }
    );
    let delete_by = receipt.map(|r| r.approval.delete_by.clone()).unwrap_or_default();
    let delete_by = format!("{delete_by}{}", if overdue(s, today) { "!" } else { "" });
    let size = s.size.map(bytes).unwrap_or_else(|| "-".into());
    let size = format!("{}{size}", " ".repeat(COLS[4].saturating_sub(width(&size))));
    let cells = [
        tail(&name, COLS[0]),
        cell(receipt.map(|r| r.approval.id.as_str()).unwrap_or("-"), COLS[1]),
        cell(&created, COLS[2]),
        cell(&delete_by, COLS[3]),
        cell(&size, COLS[4]),
        cell(&custody_word(s), COLS[5]),
        cell(
            &format!("{}{}", cipher_word(s.cipher), if reconstructed(s) { "?" } else { "" }),
            COLS[6],
        ),
    ];
    cells.join(" ").trim_end().to_string()
}

fn header() -> String {
    let ids = [
        "msg-list-head-vault",
        "msg-list-head-approval",
        "msg-list-head-created",
        "msg-list-head-delete-by",
        "msg-list-head-size",
        "msg-list-head-custody",
        "msg-list-head-ciphertext",
    ];
    let cells: Vec<String> = ids.iter().zip(COLS).map(|(id, w)| pad(&t(id, &[]), w)).collect();
    cells.join(" ").trim_end().to_string()
}

/// Every vault in `dirs`, surveyed to `depth`.
pub fn survey_all(dirs: &[PathBuf], recursive: bool, depth: Depth) -> Result<Vec<Status>> {
    let mut out = vec![];
    for d in dirs {
        for f in retention::find(d, recursive)? {
            out.push(retention::survey(&f, depth));
        }
    }
    Ok(out)
}

pub fn run(a: ListArgs) -> Result<Report> {
    super::given("DIR", &a.dirs)?;
    let depth = if a.check { Depth::Blake3 } else { Depth::Size };
    let all = survey_all(&a.dirs, a.recursive, depth)?;
    let today = kura::clock::today();
    let bad: Vec<&Status> = all.iter().filter(|s| !s.ok()).collect();
    let mut rep = Report::new(json!({
        "checked": depth,
        "vaults": all.iter().map(|s| json_of(s, today)).collect::<Vec<_>>(),
        "failed": bad.len(),
    }));
    if all.is_empty() {
        rep.push(t("msg-list-none", &[]));
        return Ok(rep);
    }
    rep.push(header());
    for s in &all {
        rep.push(row(s, today));
    }
    for s in &bad {
        let why = match &s.log_error {
            Some(e) => e.message(kura::i18n::lang()),
            None => cipher_word(s.cipher),
        };
        let path = s.found.vault.display().to_string();
        rep.push(t("msg-list-failed-one", &[("path", &path), ("why", &why)]));
    }
    let depth_id = match depth {
        Depth::Size => "msg-list-depth-size",
        Depth::Blake3 => "msg-list-depth-blake3",
    };
    rep.push(t(depth_id, &[]));
    if all.iter().any(|s| overdue(s, today)) {
        rep.push(t("msg-list-overdue-mark", &[]));
    }
    if all.iter().any(|s| s.time_flagged()) {
        rep.push(t("msg-list-hand-set", &[]));
    }
    if all.iter().any(reconstructed) {
        rep.push(t("msg-list-reconstructed", &[]));
    }
    // Whether the clinic signed each approval: said once for the list.
    let declared = all
        .iter()
        .filter_map(|s| s.chain.as_ref())
        .filter(|c| c.receipt.approval.signed.is_none())
        .count();
    if declared > 0 {
        rep.push(t(
            "msg-list-declared",
            &[("n", &declared.to_string()), ("total", &all.len().to_string())],
        ));
    }
    if !bad.is_empty() {
        rep.failure = Some(Error::new(Kind::Integrity, "err-list-failed").arg("n", bad.len()));
    }
    Ok(rep)
}
