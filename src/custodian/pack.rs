//! `pack`: the medium rules, then the vault, then the vault and its custody
//! log put in place together.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::Keys;
use crate::approval::PackUnder;
use crate::error::{Error, Kind, Result};
use crate::fsutil::check_clobber;
use crate::guard::{self, Allow, Probe};
use crate::keys::Recipients;
use crate::vault::pack::{ApprovalInput, PackOptions};
use crate::vault::Receipt;

/// Inputs to [`pack`].
pub struct PackRequest<'a> {
    pub inputs: &'a [PathBuf],
    /// The approval typed on the command line, or (with `under`) only the
    /// scan to pack.
    pub approval: &'a ApprovalInput,
    /// The clinic's signed approval to pack under: its terms are checked
    /// and its fields replace those of `approval`.
    pub under: Option<&'a PackUnder>,
    pub opts: &'a PackOptions,
    /// The packer's key (signs the manifest, the receipt and the log).
    pub keys: Keys<'a>,
    pub recipients: &'a Recipients,
    pub now: DateTime<FixedOffset>,
    /// The safety rules the user overrode; the "packed" record says so.
    pub allow: Allow,
    /// Tells what medium a path is on (`guard::system()`, or a fake).
    pub probe: &'a dyn Probe,
    /// Where the custody log goes instead of beside the vault: required
    /// when the vault goes to standard output (`-o -`), which has no
    /// "beside".
    pub custody: Option<&'a Path>,
}

/// What a finished pack produced.
#[derive(Debug, Clone)]
pub struct Packed {
    pub vault: PathBuf,
    pub custody: PathBuf,
    /// What the custody log's first record says of the vault (counts,
    /// approval, the manifest's and the ciphertext's hashes).
    pub receipt: Receipt,
    /// Temporary files that killed kura runs had left in the output's
    /// folder, found and removed now.
    pub swept: Vec<PathBuf>,
    /// The streams packed (`--stdin-name`): name, size, BLAKE3, parts.
    pub streams: Vec<crate::vault::stream::Stream>,
}

/// Packs the inputs into a vault and writes its custody log with the first
/// ("packed") record. Refused before anything is written: an output inside
/// what is packed, a network output (rule 11), a key on the vault's
/// removable medium, an existing vault or log without `force`, an approval
/// document larger than a vault holds, a pack the clinic's signed approval
/// does not allow (see [`PackUnder::input`]).
pub fn pack(req: &PackRequest, progress: &(dyn Fn(u64) + Sync)) -> Result<Packed> {
    let opts = req.opts;
    let output = &opts.output;
    let to_stdout = crate::naming::is_stdout(output);
    // No output may replace a key this run reads (-o engineer.key).
    let keys: Vec<&Path> = req.keys.paths.iter().map(PathBuf::as_path).collect();
    if !to_stdout {
        crate::fsutil::check_not_folder(output, "export.kura")?;
        check_output_apart(req.inputs, output)?;
        let logs = [
            crate::naming::custody_path_single(output),
            crate::naming::split_custody_path(output),
        ];
        crate::fsutil::check_apart(&[output, &logs[0], &logs[1]], &keys)?;
    }
    if let Some(doc) = &req.approval.document {
        let max = crate::vault::format::MAX_APPROVAL_BYTES;
        if std::fs::metadata(doc).is_ok_and(|m| m.len() > max) {
            return Err(Error::new(Kind::Refused, "err-approval-doc-too-large")
                .arg("path", doc.display())
                .arg("max", crate::units::bytes(max)));
        }
    }
    let custody = match (to_stdout, req.custody) {
        (true, None) => return Err(Error::new(Kind::Usage, "err-stdout-needs-custody")),
        (true, Some(_)) if opts.split.is_some() => return Err(Error::new(Kind::Usage, "err-stdout-split")),
        (false, Some(_)) => return Err(Error::new(Kind::Usage, "err-custody-only-stdout")),
        (true, Some(c)) => {
            crate::fsutil::check_not_folder(c, "export.kura.custody")?;
            check_output_apart(req.inputs, c)?;
            crate::fsutil::check_apart(&[c], &keys)?;
            c.to_path_buf()
        }
        (false, None) => match opts.split {
            None => crate::naming::custody_path_single(output),
            Some(_) => crate::naming::split_custody_path(output),
        },
    };
    // Standard output has no medium kura can see; the log's has.
    let placed = if to_stdout { &custody } else { output };
    let medium = guard::check_pack_output(req.probe, placed, req.allow)?;
    guard::check_key_apart(req.probe, req.keys.paths, placed, &medium, req.allow)?;
    let today = req.now.date_naive();
    let recipients = req.recipients.infos();
    if let Some(under) = req.under {
        under.precheck(&recipients, today)?;
    }
    let signer = req.keys.signer()?;
    let signed_input;
    let approval = match req.under {
        None => req.approval,
        Some(under) => {
            signed_input = under.input(signer.info(), &recipients, today, req.approval.document.clone())?;
            &signed_input
        }
    };
    if !to_stdout {
        crate::vault::volumes::check_vault_clobber(output, opts.force)?;
    }
    check_clobber(&custody, opts.force)?;
    // Stale temporary files of killed runs, in the folder this run writes
    // to (the log's when the vault goes to standard output).
    let swept = crate::fsutil::stale::sweep_temps(&crate::fsutil::parent_dir(placed));

    let sealed = crate::vault::pack::pack(
        &crate::vault::pack::PackRequest {
            inputs: req.inputs,
            approval,
            opts,
            signer: &signer,
            recipients: req.recipients,
            now: req.now,
            probe: req.probe,
        },
        progress,
    )?;
    crate::fault::point("sealed");
    let mut details = serde_json::Map::new();
    let overrides = req.allow.overrides();
    if !overrides.is_empty() {
        details.insert("overrides".into(), overrides.into());
    }
    let log = crate::custody::new_log_bytes_with(&sealed.receipt, &signer, req.now, details)?;
    let (vault, receipt, streams) = (sealed.vault.clone(), sealed.receipt.clone(), sealed.streams.clone());
    // The vault and its custody log are put in place together.
    let _critical = crate::interrupt::Critical::enter()?;
    if to_stdout {
        // The vault's last bytes are held back until its log is on disk:
        // a reader never gets a whole vault that has no log. If they cannot
        // be delivered, the log goes again, and the one it replaced
        // (--force: another vault's) is put back.
        let previous = if opts.force { aside(&custody) } else { None };
        crate::fsutil::write_atomic(&custody, &log, opts.force)?;
        if let Err(e) = sealed.commit() {
            match previous {
                Some(p) => {
                    let _ = p.persist(&custody);
                }
                None => {
                    let _ = std::fs::remove_file(&custody);
                }
            }
            return Err(e);
        }
    } else {
        sealed.commit()?;
        if let Err(e) = crate::fsutil::write_atomic(&custody, &log, opts.force) {
            for f in crate::vault::volumes::files(output).unwrap_or_default() {
                let _ = std::fs::remove_file(f);
            }
            return Err(e);
        }
    }
    Ok(Packed {
        vault,
        custody,
        receipt,
        swept,
        streams,
    })
}

/// A second name for the file at `path`, if there is one and the file
/// system allows hard links: a hidden temporary name beside it (removed
/// when dropped), to put the file back after replacing it.
fn aside(path: &Path) -> Option<tempfile::TempPath> {
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let name = path.file_name()?.to_string_lossy().into_owned();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(crate::fsutil::stale::TEMP_SUFFIX)
        .rand_bytes(crate::fsutil::stale::TEMP_RANDOM)
        .make_in(crate::fsutil::parent_dir(path), |p| std::fs::hard_link(path, p))
        .ok()
        .map(tempfile::NamedTempFile::into_temp_path)
}

/// Refuses an output whose folder is one of the inputs or lies inside one:
/// the vault being written (under a temporary name), its volumes and its
/// custody log all go into that folder, and the walk would pack them. An
/// input that is itself one of those files is refused likewise. Inputs
/// and folders that do not exist are left to the walk and the writing to
/// report.
fn check_output_apart(inputs: &[PathBuf], output: &Path) -> Result<()> {
    let (Ok(dir), Some(name)) = (
        crate::fsutil::canonicalize(&crate::fsutil::parent_dir(output)),
        output.file_name().and_then(|n| n.to_str()),
    ) else {
        return Ok(());
    };
    // `x.kura`, `x.kura.custody`, `x.kura-custody`, `x.kura.001`, …
    let ours = |p: &Path| {
        p.parent() == Some(dir.as_path())
            && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.strip_prefix(name).is_some_and(|rest| {
                    use crate::naming::{CUSTODY_SUFFIX, SPLIT_CUSTODY_SUFFIX};
                    let volume = |d: &str| d.len() >= 3 && d.bytes().all(|b| b.is_ascii_digit());
                    rest.is_empty()
                        || rest == CUSTODY_SUFFIX
                        || rest == SPLIT_CUSTODY_SUFFIX
                        || rest.strip_prefix('.').is_some_and(volume)
                })
            })
    };
    for input in inputs {
        let Ok(real) = crate::fsutil::canonicalize(input) else {
            continue;
        };
        if dir.starts_with(&real) || ours(&real) {
            return Err(Error::new(Kind::Refused, "err-output-inside-input")
                .arg("output", output.display())
                .arg("input", input.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_inside_an_input_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let export = tmp.path().join("export");
        std::fs::create_dir_all(export.join("sub")).unwrap();
        std::fs::write(tmp.path().join("x.kura.001"), b"").unwrap();
        let refused = |inputs: &[PathBuf], out: PathBuf| check_output_apart(inputs, &out).map_err(|e| e.id).err();
        let inputs = [export.clone()];
        assert_eq!(refused(&inputs, export.join("x.kura")), Some("err-output-inside-input"));
        assert_eq!(
            refused(&inputs, export.join("sub/../sub/x.kura")),
            Some("err-output-inside-input")
        );
        assert_eq!(refused(&inputs, tmp.path().join("x.kura")), None);
        // A sibling whose name only begins like the input's.
        std::fs::create_dir(tmp.path().join("export2")).unwrap();
        assert_eq!(refused(&inputs, tmp.path().join("export2/x.kura")), None);
        // One of the output's own files given as an input.
        let vol = [tmp.path().join("x.kura.001")];
        assert_eq!(
            refused(&vol, tmp.path().join("x.kura")),
            Some("err-output-inside-input")
        );
        assert_eq!(refused(&vol, tmp.path().join("y.kura")), None);
        std::fs::write(tmp.path().join("x.kura.bak"), b"").unwrap();
        assert_eq!(
            refused(&[tmp.path().join("x.kura.bak")], tmp.path().join("x.kura")),
            None
        );
        #[cfg(unix)]
        {
            // Through a link to the folder.
            std::os::unix::fs::symlink(&export, tmp.path().join("link")).unwrap();
            let via = [tmp.path().join("link")];
            assert_eq!(refused(&via, export.join("x.kura")), Some("err-output-inside-input"));
        }
    }
}
