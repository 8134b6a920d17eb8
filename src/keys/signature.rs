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
pub const NS_APPROVAL: &str = "kura-approval";
/// A witness's countersignature of a certificate (`certificate::witness`).
pub const NS_COUNTERSIGN: &str = "kura-countersign";

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

/// Checks an armored SSHSIG over `msg` in `namespace`, whoever made it,
/// and returns the signer's key (read from the signature itself). Whether
/// that signer is trusted is the caller's question (an allowed_signers
/// file); `what` names the object for the error message.
pub fn verify_any(namespace: &str, msg: &[u8], armored: &str, what: &str) -> Result<KeyInfo> {
    let bad = || Error::new(Kind::Integrity, "err-signature-invalid").arg("what", what);
    let sig = SshSig::from_pem(armored.trim().as_bytes()).map_err(|_| bad())?;
    if sig.namespace() != namespace || sig.algorithm() != ssh_key::Algorithm::Ed25519 {
        return Err(bad());
    }
    let pk = PublicKey::new(sig.public_key().clone(), "");
    pk.verify(namespace, msg, &sig).map_err(|_| bad())?;
    Ok(KeyInfo::of(&pk))
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

/// An OpenSSH allowed_signers file (see ssh-keygen(1), "ALLOWED SIGNERS"),
/// read as `ssh-keygen -Y verify` reads it (docs/FORMAT.md, "Trust lists"):
///
/// - one line per entry, `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`;
///   blank lines and lines starting with `#` are skipped;
/// - PRINCIPALS is a comma-separated pattern list (`*`, `?`, and `!` to
///   deny), matched case-sensitively;
/// - OPTIONS (names in any case, values in double quotes, `\"` inside):
///   `namespaces="LIST"`, a pattern list the signature's namespace must
///   match (a matching `!pattern` denies); `valid-after="TIME"` and
///   `valid-before="TIME"`, the window in which the line counts (checked at
///   the present time); `cert-authority`, which makes the key a
///   certificate authority: it then never matches a plain key, and kura's
///   signatures are always made by plain keys.
///
/// kura is stricter than OpenSSH in one respect: a line OpenSSH would
/// reject (an unknown option, an unreadable key, an unterminated quote, a
/// repeated option, a window that ends before it starts, an impossible
/// date) makes the whole file unusable, where `ssh-keygen` stops only when
/// it reaches that line. It reads one thing OpenSSH does not: a
/// `valid-after`/`valid-before` time without quotes.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    entries: Vec<AllowedSigner>,
}

#[derive(Debug, Clone)]
struct AllowedSigner {
    /// The principals pattern list, as written (without its quotes).
    principals: String,
    /// The `namespaces=` pattern list, if any.
    namespaces: Option<String>,
    /// `cert-authority`: the key signs certificates; never a plain key's line.
    cert_authority: bool,
    /// `valid-after=` and `valid-before=`: outside them the line does not
    /// count, as with `ssh-keygen -Y verify` (checked at the present time).
    valid_after: Option<chrono::DateTime<chrono::Utc>>,
    valid_before: Option<chrono::DateTime<chrono::Utc>>,
    key: PublicKey,
}

/// An OpenSSH allowed_signers time: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, in local time, or in UTC with a trailing `Z` or `UTC`
/// (in any case). The Unix epoch itself is refused, as OpenSSH does.
fn signers_time(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    let lower = value.to_ascii_lowercase();
    let (digits, utc) = if let Some(d) = lower.strip_suffix("utc").filter(|d| !d.is_empty()) {
        (d, true)
    } else if let Some(d) = lower.strip_suffix('z').filter(|d| !d.is_empty()) {
        (d, true)
    } else {
        (lower.as_str(), false)
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
    let t = if utc {
        chrono::Utc.from_utc_datetime(&naive)
    } else {
        chrono::Local
            .from_local_datetime(&naive)
            .earliest()?
            .with_timezone(&chrono::Utc)
    };
    (t.timestamp() != 0).then_some(t)
}

/// Whitespace between the fields of a line.
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits off the principals field: up to the first blank, where a double
/// quote starts a stretch (blanks included) that ends at the next quote,
/// the quotes themselves dropped; then the rest of the line after the
/// blanks that follow. `None` when a quote is not closed or nothing follows.
fn principals_field(line: &str) -> Option<(String, &str)> {
    let stop = line.find(|c: char| is_blank(c) || c == '"')?;
    let mut principals = line[..stop].to_string();
    let rest = if line[stop..].starts_with('"') {
        let inner = &line[stop + 1..];
        let close = inner.find('"')?;
        principals.push_str(&inner[..close]);
        &inner[close + 1..]
    } else {
        &line[stop..]
    };
    let rest = rest.trim_start_matches(is_blank);
    (!rest.is_empty()).then_some((principals, rest))
}

/// Splits off the options field: up to the first blank outside double
/// quotes (`\"` is a quote inside a value). `None` for an unterminated quote.
fn options_field(s: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|(_, n)| *n == '"') => {
                chars.next();
            }
            '"' => quoted = !quoted,
            c if is_blank(c) && !quoted => return Some((&s[..i], &s[i..])),
            _ => {}
        }
    }
    (!quoted).then_some((s, ""))
}

/// The public key at the start of `s` (`KEYTYPE BASE64`, anything after
/// them being its comment).
fn key_at(s: &str) -> Option<PublicKey> {
    let mut words = s.split(is_blank).filter(|w| !w.is_empty());
    let (kind, base64) = (words.next()?, words.next()?);
    PublicKey::from_openssh(&format!("{kind} {base64}")).ok()
}

/// Options of one line.
#[derive(Default)]
struct LineOptions {
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<chrono::DateTime<chrono::Utc>>,
    valid_before: Option<chrono::DateTime<chrono::Utc>>,
}

/// Strips `name` from the start of `s`, compared without regard to case.
fn strip_option<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let head = s.get(..name.len())?;
    head.eq_ignore_ascii_case(name).then(|| &s[name.len()..])
}

/// A double-quoted option value at the start of `s` (`\"` standing for a
/// quote), and what follows it.
fn quoted_value(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if body[i + 1..].starts_with('"') => {
                value.push('"');
                chars.next();
            }
            '"' => return Some((value, &body[i + 1..])),
            c => value.push(c),
        }
    }
    None
}

/// A time option's value: quoted as OpenSSH requires, or (kura reads this
/// too) bare up to the next comma.
fn time_value(s: &str) -> Option<(chrono::DateTime<chrono::Utc>, &str)> {
    let (text, rest) = if s.starts_with('"') {
        quoted_value(s)?
    } else {
        let end = s.find(',').unwrap_or(s.len());
        (s[..end].to_string(), &s[end..])
    };
    Some((signers_time(&text)?, rest))
}

/// Sets an option that may be given once from its parsed value; returns
/// what follows the value. `None` when it was given before or is invalid.
fn once<'a, T>(slot: &mut Option<T>, parsed: Option<(T, &'a str)>) -> Option<&'a str> {
    if slot.is_some() {
        return None;
    }
    let (value, rest) = parsed?;
    *slot = Some(value);
    Some(rest)
}

/// Parses an options field the way OpenSSH does: known options separated
/// by commas, each at most once; anything else is an error.
fn parse_options(mut s: &str) -> Option<LineOptions> {
    let mut o = LineOptions::default();
    while !s.is_empty() {
        if let Some(rest) = strip_option(s, "cert-authority") {
            o.cert_authority = true;
            s = rest;
        } else if let Some(rest) = strip_option(s, "namespaces=") {
            s = once(&mut o.namespaces, quoted_value(rest))?;
        } else if let Some(rest) = strip_option(s, "valid-after=") {
            s = once(&mut o.valid_after, time_value(rest))?;
        } else if let Some(rest) = strip_option(s, "valid-before=") {
            s = once(&mut o.valid_before, time_value(rest))?;
        }
        if s.is_empty() {
            break;
        }
        // Anything but a comma here is an unknown option; a comma must be
        // followed by another option.
        s = s.strip_prefix(',').filter(|r| !r.is_empty())?;
    }
    if let (Some(after), Some(before)) = (o.valid_after, o.valid_before) {
        if before <= after {
            return None;
        }
    }
    Some(o)
}

/// Parses one line that is neither blank nor a comment.
fn parse_line(line: &str) -> Option<AllowedSigner> {
    let (principals, rest) = principals_field(line)?;
    let (options, key) = match key_at(rest) {
        Some(key) => (LineOptions::default(), key),
        None => {
            let (opts, after) = options_field(rest)?;
            (parse_options(opts)?, key_at(after.trim_start_matches(is_blank))?)
        }
    };
    Some(AllowedSigner {
        principals,
        namespaces: options.namespaces,
        cert_authority: options.cert_authority,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key,
    })
}

/// Matches OpenSSH-style patterns with `*` and `?` byte by byte (as OpenSSH
/// does, so `?` is one byte of a UTF-8 name), without recursion and in at
/// most len(pattern) × len(s) steps, whatever the pattern.
fn glob(pattern: &str, s: &str) -> bool {
    let (p, s) = (pattern.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    // Where the last `*` was, and where in `s` it currently stops.
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && p[pi] != b'*' && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
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
    p[pi..].iter().all(|c| *c == b'*')
}

/// Longest subpattern OpenSSH matches; a longer one makes the whole list
/// fail to match.
const MAX_SUBPATTERN: usize = 1022;

/// How a string fares against a comma-separated pattern list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListMatch {
    /// A `!pattern` matched: denied, whatever else matches.
    Denied,
    /// No pattern matched.
    None,
    /// A positive pattern matched and no negated one.
    Allowed,
}

/// OpenSSH's pattern-list rule: patterns in order, a matching negated
/// pattern denies at once, else any matching pattern allows.
fn match_list(s: &str, list: &str) -> ListMatch {
    let mut allowed = false;
    if list.is_empty() {
        return ListMatch::None;
    }
    for sub in list.split(',') {
        let (negated, pattern) = match sub.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, sub),
        };
        if pattern.len() > MAX_SUBPATTERN {
            return ListMatch::None;
        }
        if glob(pattern, s) {
            if negated {
                return ListMatch::Denied;
            }
            allowed = true;
        }
    }
    if allowed {
        ListMatch::Allowed
    } else {
        ListMatch::None
    }
}

impl AllowedSigner {
    /// The name this line lets a signer go by: its first principal that
    /// `ssh-keygen -Y verify -I NAME` would accept on this line (one no
    /// `!pattern` of the same list denies). A pattern such as
    /// `*@clinic.example` is named as written, which OpenSSH accepts as a
    /// name too. `None` when the list admits no name at all.
    fn principal(&self) -> Option<&str> {
        self.principals
            .split(',')
            .filter(|p| !p.is_empty() && !p.starts_with('!'))
            .find(|p| match_list(p, &self.principals) == ListMatch::Allowed)
    }

    fn admits(&self, key: &PublicKey, namespace: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.admits_any_time(key, namespace) && self.in_window(now)
    }

    /// Whether the line admits the key in the namespace, its time window
    /// aside.
    fn admits_any_time(&self, key: &PublicKey, namespace: &str) -> bool {
        !self.cert_authority
            && self.key.key_data() == key.key_data()
            && self
                .namespaces
                .as_deref()
                .is_none_or(|ns| match_list(namespace, ns) == ListMatch::Allowed)
    }

    fn in_window(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        self.valid_after.is_none_or(|t| now >= t) && self.valid_before.is_none_or(|t| now <= t)
    }
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
            let line = line.trim_start_matches([' ', '\t', '\r', '\n']);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            entries.push(parse_line(line).ok_or(n + 1)?);
        }
        Ok(AllowedSigners { entries })
    }

    /// The principal under which `key` may sign in `namespace`, if any: the
    /// first line that admits the key (its own key, not a certificate
    /// authority; the namespace and the present time allowed) and names a
    /// principal. Decided by the key alone, never by a fingerprint or
    /// comment stored beside it.
    pub fn principal_for(&self, key: &KeyInfo, namespace: &str) -> Option<String> {
        let pk = key.public_key().ok()?;
        let now = crate::clock::now().with_timezone(&chrono::Utc);
        self.entries
            .iter()
            .filter(|e| e.admits(&pk, namespace, now))
            .find_map(|e| e.principal())
            .map(str::to_string)
    }
    /// The name this file gives the key with the OpenSSH fingerprint
    /// `fingerprint` (`SHA256:…`), whatever namespaces and times its line
    /// allows: for naming a vault's recipients, which the receipt records
    /// by fingerprint. Naming only, never trusting a signature.
    pub fn name_of(&self, fingerprint: &str) -> Option<String> {
        self.entries
            .iter()
            .filter(|e| !e.cert_authority && e.key.fingerprint(HashAlg::Sha256).to_string() == fingerprint)
            .find_map(|e| e.principal())
            .map(str::to_string)
    }

    /// Fails unless `key` may sign in `namespace`; `what` names the object.
    /// A key listed only on lines whose window is over (`valid-before`) or
    /// not yet open (`valid-after`) is refused with that time, not as
    /// unlisted: the user then renews the line rather than hunting for the
    /// key.
    pub fn require(&self, key: &KeyInfo, namespace: &str, what: &str) -> Result<String> {
        if let Some(p) = self.principal_for(key, namespace) {
            return Ok(p);
        }
        let err = |id| {
            Error::new(Kind::Untrusted, id)
                .arg("what", what)
                .arg("key", key.display())
        };
        let now = crate::clock::now().with_timezone(&chrono::Utc);
        let listed: Vec<&AllowedSigner> = match key.public_key() {
            Ok(pk) => self
                .entries
                .iter()
                .filter(|e| e.admits_any_time(&pk, namespace) && e.principal().is_some())
                .collect(),
            Err(_) => vec![],
        };
        let shown = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        // The latest expiry, else the earliest opening: the line the user
        // most likely meant.
        if let Some(t) = listed.iter().filter_map(|e| e.valid_before.filter(|t| now > *t)).max() {
            return Err(err("err-signer-expired").arg("until", shown(t)));
        }
        if let Some(t) = listed.iter().filter_map(|e| e.valid_after.filter(|t| now < *t)).min() {
            return Err(err("err-signer-not-yet-valid").arg("from", shown(t)));
        }
        Err(err("err-signer-not-allowed"))
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
    fn a_signer_outside_its_window_is_told_the_time_not_called_unlisted() {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let info = KeyInfo::of(key.public_key());
        let other = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let require = |text: String| {
            AllowedSigners::parse(&text)
                .unwrap()
                .require(&info, NS_MANIFEST, "vault")
        };
        let e = require(format!("bob@example valid-before=\"20200101Z\" {}\n", info.key)).unwrap_err();
        assert_eq!((e.kind, e.id), (Kind::Untrusted, "err-signer-expired"));
        let en = e.message(crate::i18n::Lang::En);
        assert!(
            en.contains("2020-01-01 00:00:00 UTC") && en.contains("valid-before"),
            "{en}"
        );
        assert!(!en.contains("not in the allowed signers"), "{en}");
        assert!(e.message(crate::i18n::Lang::Ja).contains("2020-01-01"));
        let e = require(format!("bob@example valid-after=\"29990101Z\" {}\n", info.key)).unwrap_err();
        assert_eq!((e.kind, e.id), (Kind::Untrusted, "err-signer-not-yet-valid"));
        assert!(e.message(crate::i18n::Lang::En).contains("2999-01-01 00:00:00 UTC"));
        // Expired for another namespace only, or another key expired: unlisted.
        let e = require(format!(
            "bob@example namespaces=\"kura-custody\",valid-before=\"20200101Z\" {}\n",
            info.key
        ))
        .unwrap_err();
        assert_eq!(e.id, "err-signer-not-allowed");
        let other_key = KeyInfo::of(other.public_key()).key;
        let e = require(format!("bob@example valid-before=\"20200101Z\" {other_key}\n")).unwrap_err();
        assert_eq!(e.id, "err-signer-not-allowed");
        // A current line besides the expired one: trusted.
        let both = format!("old valid-before=\"20200101Z\" {k}\nnew {k}\n", k = info.key);
        assert_eq!(require(both).unwrap(), "new");
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
    fn pattern_lists_follow_openssh() {
        use ListMatch::*;
        for (s, list, m) in [
            ("kura-certificate", "!kura-certificate,*", Denied),
            ("kura-custody", "!kura-certificate,*", Allowed),
            ("kura-certificate", "*,!kura-certificate", Denied),
            ("kura-custody", "kura-manifest", None),
            ("kura-custody", "", None),
            ("KURA-CUSTODY", "kura-custody", None),
            ("alice", "alice,!al*", Denied),
            ("", "a,,b", Allowed),
        ] {
            assert_eq!(match_list(s, list), m, "{s} {list}");
        }
        // A subpattern longer than OpenSSH matches makes the list fail.
        let long = "x".repeat(MAX_SUBPATTERN + 1);
        assert_eq!(match_list(&long, &format!("{long},*")), None);
        assert_eq!(match_list("y", &format!("*,{long}")), None);
    }

    #[test]
    fn allowed_signers_lines_as_openssh_reads_them() {
        let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, ssh_key::Algorithm::Ed25519).unwrap();
        let info = KeyInfo::of(key.public_key());
        let k = &info.key;
        let principal = |text: &str, ns: &str| AllowedSigners::parse(text).unwrap().principal_for(&info, ns);
        let p = |line: String, ns: &str| principal(&line, ns);
        assert_eq!(
            p(format!("a namespaces=\"!kura-certificate,*\" {k}"), NS_CERTIFICATE),
            Option::None
        );
        assert_eq!(
            p(format!("a namespaces=\"!kura-certificate,*\" {k}"), NS_CUSTODY).as_deref(),
            Some("a")
        );
        assert_eq!(
            p(format!("a NAMESPACES=\"x\\\"y,kura-custody\" {k}"), NS_CUSTODY).as_deref(),
            Some("a")
        );
        assert_eq!(p(format!("a cert-authority {k}"), NS_CUSTODY), Option::None);
        assert_eq!(p(format!("a,b {k}"), NS_CUSTODY).as_deref(), Some("a"));
        assert_eq!(p(format!("!a,a,b {k}"), NS_CUSTODY).as_deref(), Some("b"));
        assert_eq!(
            p(format!("!mallory,*@clinic {k}"), NS_CUSTODY).as_deref(),
            Some("*@clinic")
        );
        assert_eq!(p(format!("!bob {k}"), NS_CUSTODY), Option::None);
        assert_eq!(p(format!("\"dr a\" {k}"), NS_CUSTODY).as_deref(), Some("dr a"));
        assert_eq!(
            p(format!("a valid-before=\"29991231UTC\" {k}"), NS_CUSTODY).as_deref(),
            Some("a")
        );
        assert_eq!(
            p(format!("  # x\n\t\na cert-authority {k}\nb {k}"), NS_CUSTODY).as_deref(),
            Some("b")
        );
        // What OpenSSH refuses, kura refuses, naming the line.
        for bad in [
            format!("a unknown-option {k}"),
            format!("a namespaces=kura-custody {k}"),
            format!("a namespaces=\"kura-custody {k}"),
            format!("a namespaces=\"x\",namespaces=\"y\" {k}"),
            format!("a namespaces=\"x\", {k}"),
            format!("a valid-after=\"20300101\",valid-before=\"20200101\" {k}"),
            format!("a valid-after=\"19700101Z\" {k}"),
            format!("a valid-after=\"20260230\" {k}"),
            "a cert-authority".to_string(),
            format!("\"a {k}"),
            "a ssh-ed25519 AAAA".to_string(),
        ] {
            assert_eq!(
                AllowedSigners::parse(&format!("# ok\n{bad}\n")).unwrap_err(),
                2,
                "{bad}"
            );
        }
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
