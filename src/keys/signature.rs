//! SSHSIG signatures (OpenSSH `ssh-keygen -Y sign` format, SHA-512) and
//! OpenSSH allowed_signers trust lists.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

use crate::error::{Error, Kind, Result};

/// Namespaces: each kind of signed object has its own, so a signature made
/// for one can never be replayed as another.
pub const NS_MANIFEST: &str = "kura-manifest";
pub const NS_RECEIPT: &str = "kura-receipt";
pub const NS_CUSTODY: &str = "kura-custody";
pub const NS_CERTIFICATE: &str = "kura-certificate";

/// The public facts about a signing key.
///
/// Read from a file (a receipt, manifest, custody record, certificate …), a
/// `KeyInfo` is checked as it is parsed: `key` must be a readable OpenSSH
/// public key written as kura writes it, and `fingerprint` must be that
/// key's own SHA-256 fingerprint. A stored fingerprint that names another
/// key is tampering, and the file it came in does not parse. `comment` is
/// the signer's own label for the key, shown but never trusted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredKeyInfo")]
pub struct KeyInfo {
    /// The public key as an OpenSSH line without comment (`ssh-ed25519 AAAA…`).
    pub key: String,
    /// OpenSSH SHA-256 fingerprint (`SHA256:…`), as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The key's comment (usually the engineer's name or address).
    pub comment: String,
}

/// A `KeyInfo` as written in a file, before its checks.
#[derive(Deserialize)]
struct StoredKeyInfo {
    key: String,
    fingerprint: String,
    comment: String,
}

impl TryFrom<StoredKeyInfo> for KeyInfo {
    type Error = &'static str;

    fn try_from(s: StoredKeyInfo) -> std::result::Result<KeyInfo, Self::Error> {
        let pk = PublicKey::from_openssh(&s.key).map_err(|_| "unreadable public key")?;
        let computed = KeyInfo::of(&pk);
        if computed.key != s.key {
            return Err("public key not in canonical form");
        }
        if computed.fingerprint != s.fingerprint {
            return Err("fingerprint does not match the public key");
        }
        Ok(KeyInfo {
            comment: s.comment,
            ..computed
        })
    }
}

impl KeyInfo {
    pub fn of(pk: &PublicKey) -> KeyInfo {
        let mut bare = pk.clone();
        bare.set_comment("");
        KeyInfo {
            key: bare.to_openssh().unwrap_or_default().trim().to_string(),
            fingerprint: pk.fingerprint(HashAlg::Sha256).to_string(),
            comment: pk.comment().to_string(),
        }
    }

    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_openssh(&self.key).map_err(|_| Error::new(Kind::Integrity, "err-bad-public-key"))
    }

    /// "SHA256:… (comment)" for people. The fingerprint is the key's own,
    /// computed from it.
    pub fn display(&self) -> String {
        let fingerprint = self
            .public_key()
            .map(|pk| pk.fingerprint(HashAlg::Sha256).to_string())
            .unwrap_or_else(|_| self.fingerprint.clone());
        if self.comment.is_empty() {
            fingerprint
        } else {
            format!("{fingerprint} ({})", self.comment)
        }
    }
}

/// Signs `msg` under `namespace`, returning the armored signature.
pub fn sign(key: &PrivateKey, namespace: &str, msg: &[u8]) -> Result<String> {
    let sig = key
        .sign(namespace, HashAlg::Sha512, msg)
        .map_err(|e| Error::internal(format!("signing failed: {e}")))?;
    sig.to_pem(LineEnding::LF)
        .map_err(|e| Error::internal(format!("encoding signature failed: {e}")))
}

/// Signs a message given by its SHA-512 digest, for a message hashed while
/// it was written: the very signature [`sign`] makes over the message
/// itself, since SSHSIG signs the message's hash.
pub fn sign_digest(key: &PrivateKey, namespace: &str, digest: &[u8; 64]) -> Result<String> {
    use signature::Signer;
    // What SSHSIG signs (OpenSSH's PROTOCOL.sshsig): the magic "SSHSIG",
    // then the namespace, a reserved empty string, the hash algorithm and
    // the message's hash, each an SSH string (32-bit big-endian length,
    // then the bytes).
    let mut blob = b"SSHSIG".to_vec();
    for field in [namespace.as_bytes(), b"", b"sha512", digest.as_slice()] {
        blob.extend_from_slice(&(field.len() as u32).to_be_bytes());
        blob.extend_from_slice(field);
    }
    let signature = key
        .try_sign(&blob)
        .map_err(|e| Error::internal(format!("signing failed: {e}")))?;
    let sig = SshSig::new(
        key.public_key().key_data().clone(),
        namespace,
        HashAlg::Sha512,
        signature,
    )
    .map_err(|e| Error::internal(format!("signing failed: {e}")))?;
    sig.to_pem(LineEnding::LF)
        .map_err(|e| Error::internal(format!("encoding signature failed: {e}")))
}

/// Checks an armored SSHSIG over `msg` in `namespace`, made by `expected`.
/// `what` names the object for the error message.
pub fn verify(expected: &KeyInfo, namespace: &str, msg: &[u8], armored: &str, what: &str) -> Result<()> {
    let bad = || Error::new(Kind::Integrity, "err-signature-invalid").arg("what", what);
    let sig = SshSig::from_pem(armored.trim().as_bytes()).map_err(|_| bad())?;
    if sig.namespace() != namespace {
        return Err(bad());
    }
    let pk = expected.public_key()?;
    if sig.public_key() != pk.key_data() {
        return Err(bad());
    }
    pk.verify(namespace, msg, &sig).map_err(|_| bad())
}

/// An OpenSSH allowed_signers file (see ssh-keygen(1), "ALLOWED SIGNERS").
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    entries: Vec<AllowedSigner>,
}

#[derive(Debug, Clone)]
struct AllowedSigner {
    principals: String,
    namespaces: Option<Vec<String>>,
    /// `valid-after=` and `valid-before=`: outside them the line does not
    /// count, as with `ssh-keygen -Y verify` (checked at the present time).
    valid_after: Option<chrono::DateTime<chrono::Utc>>,
    valid_before: Option<chrono::DateTime<chrono::Utc>>,
    key: PublicKey,
}

/// An OpenSSH allowed_signers time: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, in local time, or in UTC with a trailing `Z`.
fn signers_time(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    let v = value.trim_matches('"');
    let (digits, utc) = match v.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (v, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let naive: NaiveDateTime = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d").ok()?.and_hms_opt(0, 0, 0)?,
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").ok()?,
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok()?,
        _ => return None,
    };
    if utc {
        Some(chrono::Utc.from_utc_datetime(&naive))
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

/// Splits an allowed_signers line into fields, honouring double quotes.
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Splits `a,b="x,y",c` at commas outside double quotes.
fn split_options(opts: &str) -> Vec<&str> {
    let mut out = vec![];
    let (mut start, mut quoted) = (0, false);
    for (i, c) in opts.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&opts[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&opts[start..]);
    out
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-") || s.starts_with("ecdsa-") || s.starts_with("sk-")
}

/// Matches OpenSSH-style patterns with `*` and `?`, without recursion and
/// in at most len(pattern) × len(s) steps, whatever the pattern.
fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si) = (0, 0);
    // Where the last `*` was, and where in `s` it currently stops.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) && p[pi] != '*' {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Largest allowed_signers file kura reads.
const MAX_SIGNERS_FILE: u64 = 4 << 20;

impl AllowedSigners {
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::fsutil::read_bounded_text(path, MAX_SIGNERS_FILE)?;
        Self::parse(&text).map_err(|line| {
            Error::new(Kind::Usage, "err-signers-syntax")
                .arg("path", path.display())
                .arg("line", line)
        })
    }

    /// Parses the file; on error returns the 1-based line number.
    pub fn parse(text: &str) -> std::result::Result<Self, usize> {
        let mut entries = vec![];
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f = fields(line);
            if f.len() < 3 {
                return Err(n + 1);
            }
            let principals = f[0].trim_matches('"').to_string();
            let (options, key_at) = if is_key_type(&f[1]) {
                (None, 1)
            } else {
                (Some(&f[1]), 2)
            };
            if f.len() < key_at + 2 {
                return Err(n + 1);
            }
            let mut namespaces = None;
            let mut cert_authority = false;
            let (mut valid_after, mut valid_before) = (None, None);
            if let Some(opts) = options {
                for opt in split_options(opts) {
                    let (name, value) = opt.split_once('=').unwrap_or((opt, ""));
                    match name.to_ascii_lowercase().as_str() {
                        "namespaces" => {
                            namespaces = Some(value.trim_matches('"').split(',').map(str::to_string).collect())
                        }
                        "cert-authority" => cert_authority = true,
                        "valid-after" => valid_after = Some(signers_time(value).ok_or(n + 1)?),
                        "valid-before" => valid_before = Some(signers_time(value).ok_or(n + 1)?),
                        _ => {}
                    }
                }
            }
            let key = PublicKey::from_openssh(&format!("{} {}", f[key_at], f[key_at + 1])).map_err(|_| n + 1)?;
            if cert_authority {
                continue; // kura signatures are made by plain keys, never certificates
            }
            entries.push(AllowedSigner {
                principals,
                namespaces,
                valid_after,
                valid_before,
                key,
            });
        }
        Ok(AllowedSigners { entries })
    }

    /// The principals allowed to sign in `namespace` with `key`, if any.
    pub fn principal_for(&self, key: &KeyInfo, namespace: &str) -> Option<String> {
        let pk = key.public_key().ok()?;
        let now = crate::clock::now().with_timezone(&chrono::Utc);
        self.entries
            .iter()
            .find(|e| {
                e.key.key_data() == pk.key_data()
                    && e.namespaces
                        .as_ref()
                        .is_none_or(|ns| ns.iter().any(|p| glob(p, namespace)))
                    && e.valid_after.is_none_or(|t| now >= t)
                    && e.valid_before.is_none_or(|t| now <= t)
            })
            .map(|e| e.principals.clone())
    }

    /// Fails unless `key` may sign in `namespace`; `what` names the object.
    pub fn require(&self, key: &KeyInfo, namespace: &str, what: &str) -> Result<String> {
        self.principal_for(key, namespace).ok_or_else(|| {
            Error::new(Kind::Untrusted, "err-signer-not-allowed")
                .arg("what", what)
                .arg("key", key.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_from_the_digest_is_the_signature_of_the_message() {
        use ssh_key::sha2::{Digest, Sha512};
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        for msg in [&b""[..], b"{\"entries\":[]}\n", &[7u8; 100_000]] {
            let digest: [u8; 64] = Sha512::digest(msg).into();
            let from_digest = sign_digest(&key, NS_MANIFEST, &digest).unwrap();
            assert_eq!(from_digest, sign(&key, NS_MANIFEST, msg).unwrap());
            verify(&KeyInfo::of(key.public_key()), NS_MANIFEST, msg, &from_digest, "test").unwrap();
        }
    }

    #[test]
    fn allowed_signers_options_and_namespaces() {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let info = KeyInfo::of(key.public_key());
        let text = format!(
            "# clinic\nalice@example namespaces=\"kura-custody,kura-cert*\" {}\n",
            info.key
        );
        let s = AllowedSigners::parse(&text).unwrap();
        assert_eq!(s.principal_for(&info, NS_CUSTODY).as_deref(), Some("alice@example"));
        assert_eq!(s.principal_for(&info, NS_CERTIFICATE).as_deref(), Some("alice@example"));
        assert!(s.principal_for(&info, NS_MANIFEST).is_none());
        assert_eq!(AllowedSigners::parse("just-a-name\n").unwrap_err(), 1);
        // Validity windows, as ssh-keygen reads them.
        let expired = format!("bob@example valid-before=\"20200101Z\" {}\n", info.key);
        assert!(AllowedSigners::parse(&expired)
            .unwrap()
            .principal_for(&info, NS_CUSTODY)
            .is_none());
        let future = format!("bob@example valid-after=29990101 {}\n", info.key);
        assert!(AllowedSigners::parse(&future)
            .unwrap()
            .principal_for(&info, NS_CUSTODY)
            .is_none());
        let window = format!(
            "bob@example valid-after=20200101,valid-before=29991231235959Z {}\n",
            info.key
        );
        assert_eq!(
            AllowedSigners::parse(&window)
                .unwrap()
                .principal_for(&info, NS_CUSTODY)
                .as_deref(),
            Some("bob@example")
        );
        let garbled = format!("bob@example valid-before=tomorrow {}\n", info.key);
        assert_eq!(AllowedSigners::parse(&garbled).unwrap_err(), 1);
    }

    #[test]
    fn a_key_object_is_read_only_with_its_own_fingerprint() {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let other = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let mut info = KeyInfo::of(key.public_key());
        info.comment = "eng@vendor.example".into();
        let read = |v: serde_json::Value| serde_json::from_value::<KeyInfo>(v);
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(read(json.clone()).unwrap(), info);
        // Another key's fingerprint (and comment) beside this key.
        let mut forged = json.clone();
        forged["fingerprint"] = KeyInfo::of(other.public_key()).fingerprint.into();
        forged["comment"] = "clinic@clinic.example".into();
        assert!(read(forged).is_err());
        // The key must be as kura writes it: no comment inside, readable.
        let mut with_comment = json.clone();
        with_comment["key"] = format!("{} clinic@clinic.example", info.key).into();
        assert!(read(with_comment).is_err());
        let mut unreadable = json;
        unreadable["key"] = "ssh-ed25519 AAAA".into();
        assert!(read(unreadable).is_err());
    }

    #[test]
    fn glob_patterns() {
        for (p, s, m) in [
            ("kura-*", "kura-custody", true),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("k?ra-manifest", "kura-manifest", true),
            ("*cert*", "kura-certificate", true),
            ("kura-cert*", "kura-custody", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("*?", "", false),
        ] {
            assert_eq!(glob(p, s), m, "{p} {s}");
        }
        // Hostile patterns end at once and without exhausting the stack.
        let stars = "*a".repeat(5000) + "b";
        assert!(!glob(&stars, &"a".repeat(60)));
        assert!(!glob(&"?".repeat(1 << 20), "kura-manifest"));
    }

    #[test]
    fn signature_is_bound_to_namespace_and_message() {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let info = KeyInfo::of(key.public_key());
        let sig = sign(&key, NS_MANIFEST, b"hello").unwrap();
        verify(&info, NS_MANIFEST, b"hello", &sig, "m").unwrap();
        assert!(verify(&info, NS_MANIFEST, b"hellO", &sig, "m").is_err());
        assert!(verify(&info, NS_RECEIPT, b"hello", &sig, "m").is_err());
    }
}
