//! The vault: an age file whose plaintext is one zstd stream of a POSIX
//! (pax) tar. `format` holds the constants of the layout (docs/FORMAT.md),
//! `manifest` and `receipt` the signed descriptions inside and outside the
//! encryption, `walk` the collection of inputs, `tarfmt` the tar framing,
//! `pack` and `open` the two streaming pipelines (`tally`: pack's progress).

pub mod bounds;
pub mod format;
pub mod manifest;
pub mod open;
pub mod pack;
pub mod paths;
pub mod pipe;
pub mod receipt;
pub mod stage;
pub mod stream;
pub mod streamed;
pub mod tally;
pub mod tarfmt;
pub mod volumes;
pub mod walk;

pub use manifest::{Approval, Entry, EntryKind, Manifest};
pub use receipt::Receipt;
