//! Where a vault's files are: its split volumes (`x.kura.001`, …) and its
//! custody log (`x.kura.custody`, or `x.kura-custody` beside volumes). A
//! leaf that `vault`, `custody` and `guard` all name files by; see
//! docs/FORMAT.md.

use std::path::{Path, PathBuf};

/// The custody log sits beside a single-file vault with this suffix added.
pub const CUSTODY_SUFFIX: &str = ".custody";
/// Suffix of a split vault's custody log (`x.kura-custody`, which the shell
/// pattern `x.kura.*` of its volumes does not take in).
pub const SPLIT_CUSTODY_SUFFIX: &str = "-custody";

/// The name that stands for standard output (`pack -o -`): a vault
/// written there has no file, so no volumes and no log beside it.
pub const STDOUT: &str = "-";

/// Whether `path` names standard output ([`STDOUT`]).
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == STDOUT
}

fn with_suffix(vault: &Path, suffix: &str) -> PathBuf {
    let mut s = vault.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Volume `n` (from 1) of the split vault `vault`: `x.kura.001`.
pub fn volume_path(vault: &Path, n: usize) -> PathBuf {
    with_suffix(vault, &format!(".{n:03}"))
}

/// The custody log of the split vault `vault`: `x.kura-custody`.
pub fn split_custody_path(vault: &Path) -> PathBuf {
    with_suffix(vault, SPLIT_CUSTODY_SUFFIX)
}

/// The custody log path of a single-file vault: `x.kura.custody`.
pub fn custody_path_single(vault: &Path) -> PathBuf {
    with_suffix(vault, CUSTODY_SUFFIX)
}

/// Whether `vault` names a split vault on disk (no file `x.kura`, but a
/// first volume `x.kura.001`).
pub fn is_split(vault: &Path) -> bool {
    !vault.exists() && volume_path(vault, 1).is_file()
}

/// The custody log path for a vault path: `x.kura.custody`, or
/// `x.kura-custody` for a vault split into volumes.
pub fn custody_path(vault: &Path) -> PathBuf {
    if is_split(vault) {
        return split_custody_path(vault);
    }
    custody_path_single(vault)
}

/// The file that stands for the vault on its medium: the vault itself, or
/// the first volume of a split vault.
pub fn first_file(vault: &Path) -> PathBuf {
    if vault.exists() {
        vault.to_path_buf()
    } else {
        volume_path(vault, 1)
    }
}
