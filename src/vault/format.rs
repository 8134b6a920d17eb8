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
/// not in an exhausted machine: each is far beyond any real export, and
/// together they keep opening any vault to seconds of work and a bounded
/// amount of memory (docs/FORMAT.md, section 2.1; `bounds`). `pack`
/// refuses an export beyond them, so kura never writes a vault it would
/// refuse to open.
///
/// The manifest: at most this, and at most what the members read call for
/// (see [`MANIFEST_SLACK`]).
pub const MAX_MANIFEST_BYTES: u64 = 256 << 20;
pub const MAX_SIGNATURE_BYTES: u64 = 16 << 10;
/// The scanned approval document (`.kura/approval/NAME`).
pub const MAX_APPROVAL_BYTES: u64 = 256 << 20;
/// Members in one vault (the manifest of this many is about 250 MB, near
/// `MAX_MANIFEST_BYTES`).
pub const MAX_ENTRIES: usize = 1_000_000;
/// Folders in one vault: folder members, and the folders a member's path
/// implies (`a/b` for `a/b/c.txt`) when the archive has no member for them.
pub const MAX_FOLDERS: usize = 100_000;
/// Components of one member path (`a/b/c.txt` has 3).
pub const MAX_DEPTH: usize = 128;
/// Bytes of one member path, and of one link target.
pub const MAX_PATH_BYTES: usize = 4096;
/// Bytes of all member paths and link targets together.
pub const MAX_NAME_BYTES: u64 = 128 << 20;
/// Tar header bytes (headers, pax and GNU extensions) allowed per member,
/// beside twice its path and link target, and once per vault.
pub const HEADER_BYTES_PER_MEMBER: u64 = 4 << 10;
pub const HEADER_BYTES_BASE: u64 = 1 << 20;
/// A manifest may be at most this, plus twice its receipt's JSON, plus four
/// times the compact JSON of the entries for the members read (room for any
/// JSON whitespace a writer uses).
pub const MANIFEST_SLACK: u64 = 1 << 20;
/// The largest total of zero padding accepted after the end of the tar.
pub const MAX_TRAILING_ZEROS: u64 = 1 << 20;
