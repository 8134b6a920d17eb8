//! Keys: who I am (`identity`), who may open a vault (`recipients`), how
//! passphrases are obtained (`passphrase`), and SSHSIG signatures with
//! OpenSSH allowed_signers trust lists (`signature`); `memory` keeps secrets
//! out of core dumps.

pub mod identity;
pub mod memory;
pub mod passphrase;
pub mod recipients;
pub mod signature;

pub use identity::{Identities, SigningKey};
pub use passphrase::PassphraseSource;
pub use recipients::{RecipientInfo, Recipients};
pub use signature::{AllowedSigners, KeyInfo};
