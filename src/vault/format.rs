//! Constants of the vault layout. See docs/FORMAT.md.

/// The version of the manifest and receipt formats this kura writes.
pub const FORMAT_VERSION: u32 = 1;

/// Reserved top-level directory inside the tar for kura's own members.
pub const RESERVED_DIR: &str = ".kura";
/// The manifest: second to last member of the tar.
pub const MANIFEST_PATH: &str = ".kura/manifest.json";
/// Its SSHSIG signature (namespace `kura-manifest`): the last member.
pub const MANIFEST_SIG_PATH: &str = ".kura/manifest.json.sig";
/// Where the written approval document goes (first member, when given).
pub const APPROVAL_PREFIX: &str = ".kura/approval/";

/// zstd level kura packs with unless told otherwise. Level 1 costs about a
/// third less CPU than `zstd -3` on a receipt system's text dump for about
/// 2% more bytes (docs/PERFORMANCE.md); any level decodes the same way.
pub const ZSTD_LEVEL: i32 = 1;
/// The levels `kura pack --level` accepts (zstd's own range, without the
/// "ultra" levels that need a large window to decode).
pub const ZSTD_LEVELS: std::ops::RangeInclusive<i64> = 1..=19;

/// Bounds on what a reader accepts, so a hostile vault ends in an error and
/// not in an exhausted machine.
pub const MAX_MANIFEST_BYTES: u64 = 256 << 20;
pub const MAX_SIGNATURE_BYTES: u64 = 16 << 10;
/// Members in one vault (pack refuses more; the manifest of this many is
/// about 250 MB, near `MAX_MANIFEST_BYTES`).
pub const MAX_ENTRIES: usize = 1_000_000;
pub const MAX_PATH_BYTES: usize = 4096;
/// The largest total of zero padding accepted after the end of the tar.
pub const MAX_TRAILING_ZEROS: u64 = 1 << 20;
