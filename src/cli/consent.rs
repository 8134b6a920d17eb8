//! How every command that shows a vault's approval says whether the clinic
//! signed it: `declared` (the packer typed the fields; nobody at the clinic
//! signed them) or signed by the clinic, with whether the signing key is
//! one the clinic signers file (`--clinic-signers`) lists.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::t;
use kura::approval::{Consent, Disposal, Trust};
use kura::error::{Error, Result};
use kura::keys::AllowedSigners;

/// The clinic signers file named by `--clinic-signers`, read.
pub fn load_signers(path: &Option<PathBuf>) -> Result<Option<AllowedSigners>> {
    super::given("--clinic-signers", path)?;
    path.as_deref().map(AllowedSigners::load).transpose()
}

/// The clinic as one value: its name, with its 医療機関コード when given.
fn clinic_text(c: &Consent) -> String {
    match c.clinic() {
        Some(k) => match &k.code {
            Some(code) => t("msg-consent-clinic-code", &[("name", &k.name), ("code", code)]),
            None => k.name.clone(),
        },
        None => String::new(),
    }
}

/// The line saying whether the clinic signed, and whose key it is.
pub fn headline(c: &Consent) -> String {
    format!("{}: {}", t("msg-consent-label", &[]), verdict(c))
}

/// Whether the clinic signed, and whose key it is, without a label.
pub fn verdict(c: &Consent) -> String {
    match c {
        Consent::Declared => t("msg-consent-declared", &[]),
        Consent::Signed { signer, trust, .. } => {
            let clinic = clinic_text(c);
            let args = [("clinic", clinic.as_str()), ("key", signer.fingerprint.as_str())];
            match trust {
                Trust::Trusted(p) => t(
                    "msg-consent-signed-trusted",
                    &[args[0], args[1], ("principal", p.as_str())],
                ),
                Trust::Untrusted => t("msg-consent-signed-untrusted", &args),
                Trust::Unchecked => t("msg-consent-signed-unchecked", &args),
            }
        }
    }
}

/// The headline cut short, for a list that must fit 80 columns.
pub fn short(c: &Consent) -> String {
    let id = match c {
        Consent::Declared => "msg-consent-short-declared",
        Consent::Signed { trust, .. } => match trust {
            Trust::Trusted(_) => "msg-consent-short-trusted",
            Trust::Untrusted => "msg-consent-short-untrusted",
            Trust::Unchecked => "msg-consent-short-unchecked",
        },
    };
    let principal = match c {
        Consent::Signed {
            trust: Trust::Trusted(p),
            ..
        } => p.as_str(),
        _ => "",
    };
    t(id, &[("principal", principal)])
}

/// The lines shown wherever an approval is: the headline, then for a signed
/// approval who approved, what data and what happens to it at the end.
pub fn lines(c: &Consent, delete_by: &str) -> Vec<String> {
    let mut out = vec![headline(c)];
    if let Consent::Signed { approval, .. } = c {
        out.push(t(
            "msg-consent-approver",
            &[("name", &approval.approver.name), ("role", &approval.approver.role)],
        ));
        out.push(t("msg-consent-scope", &[("scope", &approval.scope)]));
        let id = match approval.disposal {
            Disposal::Delete => "msg-consent-disposal-delete",
            Disposal::Return => "msg-consent-disposal-return",
        };
        out.push(t(id, &[("date", delete_by)]));
    }
    out
}

/// How the approval stands, as `--json` shows it beside the approval's
/// recorded fields: `state` (`declared`, `signed-trusted`,
/// `signed-untrusted`, `signed-unchecked`) and, for a signed approval, the
/// clinic, approver, scope, disposal, signer and the principal the clinic
/// signers file gives it.
pub fn json(c: &Consent) -> Value {
    match c {
        Consent::Declared => json!({
            "state": c.name(),
            "clinic": null, "approver": null, "scope": null, "disposal": null,
            "signer": null, "signer_principal": null,
        }),
        Consent::Signed {
            approval,
            signer,
            trust,
        } => json!({
            "state": c.name(),
            "clinic": approval.clinic,
            "approver": approval.approver,
            "scope": approval.scope,
            "disposal": approval.disposal,
            "signer": signer,
            "signer_principal": match trust {
                Trust::Trusted(p) => json!(p),
                _ => Value::Null,
            },
        }),
    }
}

/// What `--json` says when the approval could not be assessed: `state`
/// `unreadable` and the error's id.
pub fn unreadable(e: &Error) -> Value {
    json!({ "state": "unreadable", "error": e.id })
}
