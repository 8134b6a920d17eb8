//! The printable take-out approval form (持ち出し承認書): one self-contained
//! bilingual HTML page, A4, Japanese first and English beneath, with every
//! field of an `APPROVAL.json`, whether its signature file verifies, and
//! boxes for the approver's and the applicant's signatures on paper.
//!
//! Like the certificate's page ([`crate::certificate::render`]) it loads
//! nothing, runs no script, and escapes every value.

use std::path::{Path, PathBuf};

use crate::approval::{self, Approval, Disposal, Trust};
use crate::certificate::render::{both, both_inline, esc, mono, section, when, CSS};
use crate::error::{Kind, Result};
use crate::i18n::{self, Lang};
use crate::keys::signature::{self, NS_APPROVAL};
use crate::keys::{AllowedSigners, KeyInfo};

/// Largest signature file read beside an approval.
const MAX_SIG: u64 = 16 << 10;

/// What the signature file beside the approval says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    /// There is none: the document is a draft nobody signed.
    Absent,
    /// It does not verify over the document's exact bytes (namespace
    /// `kura-approval`): the document or the signature was changed.
    Invalid,
    /// It verifies; `trust` says whether the clinic signers file lists the key.
    Valid { signer: KeyInfo, trust: Trust },
}

impl Signature {
    /// `absent`, `invalid`, `valid-unchecked`, `valid-trusted`, `valid-untrusted`.
    pub fn name(&self) -> &'static str {
        match self {
            Signature::Absent => "absent",
            Signature::Invalid => "invalid",
            Signature::Valid { trust, .. } => match trust {
                Trust::Unchecked => "valid-unchecked",
                Trust::Trusted(_) => "valid-trusted",
                Trust::Untrusted => "valid-untrusted",
            },
        }
    }
}

/// An approval document read for printing, with its signature's state.
#[derive(Debug, Clone)]
pub struct Form {
    pub approval: Approval,
    /// The document's exact text.
    pub document: String,
    pub signature: Signature,
    /// Where the signature was looked for.
    pub sig_path: PathBuf,
}

/// Reads an approval document (bounded, well formed) and checks the
/// signature beside it (`sig`, default `APPROVAL.json.sig`) against the
/// clinic signers file when one is given.
pub fn read(path: &Path, sig: Option<&Path>, clinic_signers: Option<&AllowedSigners>) -> Result<Form> {
    let document = crate::fsutil::read_bounded_text(path, approval::MAX_DOCUMENT)?;
    let a = Approval::parse(&document)?;
    let sig_path = sig
        .map(Path::to_path_buf)
        .unwrap_or_else(|| approval::signature_path(path));
    let signature = match crate::fsutil::read_bounded_text(&sig_path, MAX_SIG) {
        Err(e) if e.id == "err-io-not-found" && sig.is_none() => Signature::Absent,
        Err(e) => return Err(e),
        Ok(armored) => match signature::verify_any(NS_APPROVAL, document.as_bytes(), &armored, "approval") {
            Ok(signer) => {
                let trust = Trust::of(&signer, clinic_signers);
                Signature::Valid { signer, trust }
            }
            Err(e) if e.kind == Kind::Integrity => Signature::Invalid,
            Err(e) => return Err(e),
        },
    };
    Ok(Form {
        approval: a,
        document,
        signature,
        sig_path,
    })
}

/// A field's value: text as it stands in the document, or a message of
/// kura's own in the reader's language (both languages on the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Plain(String),
    /// One line each (keys, recipients).
    Lines(Vec<String>),
    Message(&'static str, Vec<(&'static str, String)>),
}

impl Value {
    /// The value in `lang`, for a terminal.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Value::Plain(s) => s.clone(),
            Value::Lines(l) => l.join("; "),
            Value::Message(id, args) => {
                let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                i18n::text(lang, id, &a)
            }
        }
    }

    fn html(&self) -> String {
        match self {
            Value::Plain(s) => esc(s),
            Value::Lines(l) => l.iter().map(|s| esc(s)).collect::<Vec<_>>().join("<br>"),
            Value::Message(id, args) => {
                let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                both(id, &a)
            }
        }
    }
}

fn plain(s: &str) -> Value {
    Value::Plain(s.to_string())
}

fn or_not_given(v: &Option<String>) -> Value {
    match v {
        Some(s) if !s.trim().is_empty() => plain(s),
        _ => Value::Message("msg-form-not-given", vec![]),
    }
}

/// A key as people compare it: the fingerprint computed from the key
/// itself (not the one written beside it), then its comment.
fn key_text(k: &KeyInfo) -> String {
    k.display()
}

/// Every field of the approval, in the order of the form, each with its
/// label's message id.
pub fn fields_of(a: &Approval) -> Vec<(&'static str, Value)> {
    let until = match (&a.delete_by, &a.standing) {
        (Some(d), _) => plain(d),
        (None, Some(s)) => Value::Message(
            "msg-form-standing",
            vec![
                ("days", s.keep_days.to_string()),
                ("until", s.valid_until.clone().unwrap_or_else(|| "—".into())),
            ],
        ),
        (None, None) => plain("—"),
    };
    let disposal = match a.disposal {
        Disposal::Delete => "msg-form-disposal-delete",
        Disposal::Return => "msg-form-disposal-return",
    };
    let limits = match (a.max_size, a.max_files) {
        (None, None) => Value::Message("msg-form-no-limit", vec![]),
        (size, files) => Value::Message(
            "msg-form-limits",
            vec![
                ("size", size.map(crate::units::bytes).unwrap_or_else(|| "—".into())),
                ("files", files.map(|f| f.to_string()).unwrap_or_else(|| "—".into())),
            ],
        ),
    };
    let engineers: Vec<String> = a.engineers.iter().map(key_text).collect();
    let recipients: Vec<String> = a
        .recipients
        .iter()
        .map(|r| {
            if r.comment.is_empty() {
                format!("{} {}", r.kind, r.fingerprint)
            } else {
                format!("{} {} ({})", r.kind, r.fingerprint, r.comment)
            }
        })
        .collect();
    // The short fields first (two to a row on the page), then the long.
    vec![
        ("msg-form-clinic", plain(&a.clinic.name)),
        ("msg-form-clinic-code", or_not_given(&a.clinic.code)),
        ("msg-form-approval-id", plain(&a.approval_id)),
        ("msg-form-issued-at", plain(&crate::clock::local_display(&a.issued_at))),
        (
            "msg-form-approver",
            plain(&format!("{} ({})", a.approver.name, a.approver.role)),
        ),
        ("msg-form-disposal", Value::Message(disposal, vec![])),
        ("msg-form-medium", or_not_given(&a.medium)),
        ("msg-form-limits-label", limits),
        ("msg-form-delete-by", until),
        ("msg-form-engineers", Value::Lines(engineers)),
        ("msg-form-recipients", Value::Lines(recipients)),
        ("msg-form-purpose", plain(&a.purpose)),
        ("msg-form-scope", plain(&a.scope)),
        ("msg-form-destination", or_not_given(&a.destination)),
        ("msg-form-storage", or_not_given(&a.storage)),
        ("msg-form-loss-plan", or_not_given(&a.loss_plan)),
        ("msg-form-document", or_not_given(&a.document_blake3)),
    ]
}

/// What the signature state says, as a message and its arguments.
pub fn signature_message(s: &Signature) -> (&'static str, Vec<(&'static str, String)>) {
    match s {
        Signature::Absent => ("msg-form-sig-absent", vec![]),
        Signature::Invalid => ("msg-form-sig-invalid", vec![]),
        Signature::Valid { signer, trust } => {
            let key = ("key", key_text(signer));
            match trust {
                Trust::Trusted(p) => ("msg-form-sig-trusted", vec![key, ("principal", p.clone())]),
                Trust::Untrusted => ("msg-form-sig-untrusted", vec![key]),
                Trust::Unchecked => ("msg-form-sig-unchecked", vec![key]),
            }
        }
    }
}

/// The fields whose values may run long: a row of their own.
const WIDE: &[&str] = &[
    "msg-form-engineers",
    "msg-form-recipients",
    "msg-form-purpose",
    "msg-form-scope",
    "msg-form-destination",
    "msg-form-storage",
    "msg-form-loss-plan",
    "msg-form-delete-by",
    "msg-form-document",
];

/// The fields as a table of four columns: two short fields side by side,
/// a long one across the row.
fn grid(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<table class=\"fields form\">");
    let mut pending: Option<String> = None;
    let cell = |label: &str, value: &str| format!("<th>{}</th><td>{value}</td>", both(label, &[]));
    for (label, value) in rows {
        if WIDE.contains(label) {
            if let Some(p) = pending.take() {
                s.push_str(&format!("<tr>{p}<td colspan=\"2\"></td></tr>"));
            }
            s.push_str(&format!(
                "<tr><th>{}</th><td colspan=\"3\">{value}</td></tr>",
                both(label, &[])
            ));
        } else if let Some(p) = pending.take() {
            s.push_str(&format!("<tr>{p}{}</tr>", cell(label, value)));
        } else {
            pending = Some(cell(label, value));
        }
    }
    if let Some(p) = pending {
        s.push_str(&format!("<tr>{p}<td colspan=\"2\"></td></tr>"));
    }
    s.push_str("</table>");
    s
}

/// Extra rules for the form on top of the certificate page's style.
const FORM_CSS: &str = r#"
.sign { display: flex; gap: 3mm; margin-top: 2mm; break-inside: avoid; }
.sign div { flex: 1; border: 0.6pt solid #999; padding: 1mm 2mm; }
table.form th { width: 27mm; }
table.form td { width: 65mm; }
.sign div { height: 19mm; }
.sign .ja, .sign .en { display: block; }
"#;

/// The whole page. `printed_at` is when it was made (RFC 3339).
pub fn html(form: &Form, printed_at: &str) -> String {
    let a = &form.approval;
    let (sig_id, sig_args) = signature_message(&form.signature);
    let sig_args: Vec<(&str, &str)> = sig_args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let class = match &form.signature {
        Signature::Valid {
            trust: Trust::Trusted(_),
            ..
        } => "verified",
        _ => "unverified",
    };
    let rows: Vec<(&str, String)> = fields_of(a).into_iter().map(|(k, v)| (k, v.html())).collect();
    let blake3 = blake3::hash(form.document.as_bytes()).to_hex().to_string();
    let body = format!(
        "<header><div><h1>{}</h1><div class=\"ids\">{}: {}<br>{}: {}</div></div></header>\
         <div class=\"status {class}\"><p class=\"badge\">{}</p></div>\
         {}\
         {}\
         <footer>{}: {} · {}: {} · kura {}</footer>",
        both("msg-form-title", &[]),
        both_inline("msg-form-approval-id"),
        mono(&a.approval_id),
        both_inline("msg-form-issued-at"),
        when(&a.issued_at),
        both(sig_id, &sig_args),
        section("msg-form-h-terms", &grid(&rows)),
        section(
            "msg-form-h-sign",
            &format!(
                "<div class=\"sign\"><div>{}</div><div>{}</div></div>",
                both("msg-form-sign-approver", &[]),
                both("msg-form-sign-applicant", &[]),
            )
        ),
        both_inline("msg-form-blake3"),
        mono(&blake3),
        both_inline("msg-form-printed"),
        esc(&crate::clock::local_display(printed_at)),
        esc(env!("CARGO_PKG_VERSION")),
    );
    let title = format!(
        "{} / {} — {}",
        i18n::text(Lang::Ja, "msg-form-title", &[]),
        i18n::text(Lang::En, "msg-form-title", &[]),
        a.approval_id
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}{FORM_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(&title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;

    fn approval(engineer: &SigningKey, standing: bool) -> Approval {
        let mut doc = serde_json::json!({
            "format": "kura-approval", "version": 1, "approval_id": "APP-<1>",
            "issued_at": "2026-11-27T10:00:00+09:00",
            "clinic": {"name": "医院 <script>x</script>"}, "approver": {"name": "山田", "role": "院長"},
            "engineers": [engineer.info()],
            "recipients": [{"type": "ssh-ed25519", "fingerprint": engineer.info().fingerprint}],
            "purpose": "p", "scope": "s & t", "disposal": "return", "delete_by": "2026-12-31",
        });
        if standing {
            doc.as_object_mut().unwrap().remove("delete_by");
            doc["standing"] = serde_json::json!({"keep_days": 35});
        }
        Approval::parse(&doc.to_string()).unwrap()
    }

    fn form(a: Approval, signature: Signature) -> Form {
        Form {
            document: a.to_document(),
            approval: a,
            signature,
            sig_path: PathBuf::from("APPROVAL.json.sig"),
        }
    }

    #[test]
    fn every_value_is_escaped_and_the_signature_state_is_said() {
        let k = SigningKey::generate("eng").unwrap();
        let page = html(
            &form(approval(&k, false), Signature::Absent),
            "2026-11-27T10:00:00+09:00",
        );
        assert!(page.contains("医院 &lt;script&gt;x&lt;/script&gt;") && !page.contains("<script>"));
        assert!(page.contains("APP-&lt;1&gt;") && page.contains("s &amp; t"));
        assert!(page.contains(&esc(&i18n::text(Lang::Ja, "msg-form-sig-absent", &[]))));
        assert!(page.contains(&esc(&i18n::text(Lang::En, "msg-form-disposal-return", &[]))));
        let signed = Signature::Valid {
            signer: k.info().clone(),
            trust: Trust::Trusted("clinic@example".into()),
        };
        let page = html(&form(approval(&k, false), signed), "2026-11-27T10:00:00+09:00");
        assert!(page.contains("status verified") && page.contains("clinic@example"));
        let page = html(
            &form(approval(&k, false), Signature::Invalid),
            "2026-11-27T10:00:00+09:00",
        );
        assert!(page.contains("status unverified"));
    }

    #[test]
    fn a_standing_approval_shows_its_keep_days_and_a_key_its_own_fingerprint() {
        let k = SigningKey::generate("eng").unwrap();
        let mut a = approval(&k, true);
        // A fingerprint written beside the key that is not the key's own is
        // not shown: the one computed from the key is.
        a.engineers[0].fingerprint = "SHA256:forged".into();
        let fields = fields_of(&a);
        let get = |id: &str| fields.iter().find(|(k, _)| *k == id).unwrap().1.text(Lang::En);
        assert!(
            get("msg-form-delete-by").contains("35 days"),
            "{}",
            get("msg-form-delete-by")
        );
        assert!(get("msg-form-engineers").contains(&k.info().fingerprint));
        assert!(!get("msg-form-engineers").contains("forged"));
        assert_eq!(get("msg-form-medium"), "not given");
    }

    #[test]
    fn the_signature_beside_the_document_is_checked() {
        let (eng, clinic) = (
            SigningKey::generate("eng").unwrap(),
            SigningKey::generate("clinic").unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("APPROVAL.json");
        let a = approval(&eng, false);
        std::fs::write(&path, a.to_document()).unwrap();
        assert_eq!(read(&path, None, None).unwrap().signature, Signature::Absent);
        let signed = a.sign(&clinic).unwrap();
        std::fs::write(approval::signature_path(&path), &signed.signature).unwrap();
        let f = read(&path, None, None).unwrap();
        assert_eq!(f.signature.name(), "valid-unchecked");
        std::fs::write(&path, a.to_document().replace("2026-12-31", "2027-01-31")).unwrap();
        assert_eq!(read(&path, None, None).unwrap().signature, Signature::Invalid);
        // A signature named with --sig must be there.
        let missing = dir.path().join("none.sig");
        assert!(read(&path, Some(&missing), None).is_err());
    }
}
