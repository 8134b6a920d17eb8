//! The printable certificate: one self-contained bilingual (Japanese and
//! English) HTML page, A4, that a clinic can print and file.
//!
//! It shows every field of the certificate, whether it was verified when the
//! page was made, and a short fingerprint of the signed file (the first 16
//! hex digits of the BLAKE3 of `CERT.json`, with a QR code of the full hash)
//! that ties the paper to the file. It loads nothing from the network and
//! runs no script; every value is HTML-escaped.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::model::*;
use super::witness::Witness;
use crate::approval::{Consent, Trust};
use crate::custody::Record;
use crate::i18n::{self, Lang};
use crate::keys::KeyInfo;

/// The fingerprint of a certificate file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// BLAKE3 of the file's exact bytes, 64 hex digits.
    pub blake3: String,
    /// Its first 16 hex digits in groups of four: `1a2b-3c4d-5e6f-7a8b`.
    pub short: String,
}

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let blake3 = blake3::hash(bytes).to_hex().to_string();
        let short = blake3.as_bytes()[..16]
            .chunks(4)
            .map(|c| std::str::from_utf8(c).expect("hex is ASCII"))
            .collect::<Vec<_>>()
            .join("-");
        Fingerprint { blake3, short }
    }

    /// What the QR code holds.
    pub fn qr_text(&self, certificate_id: &str) -> String {
        format!("kura-certificate {certificate_id} blake3:{}", self.blake3)
    }
}

/// How the certificate was checked when the page was made.
pub struct Checked {
    pub principal: String,
    pub clinic_records: usize,
    pub chain_records: usize,
    pub days_late: i64,
    /// The one-sentence verdict, in Japanese and in English.
    pub verdict_ja: String,
    pub verdict_en: String,
}

/// Everything the page is made from.
pub struct Page<'a> {
    pub certificate: &'a Certificate,
    /// The exact bytes of `CERT.json` (for the fingerprint).
    pub bytes: &'a [u8],
    /// `None`: printed without verification, and the page says so.
    pub checked: Option<Checked>,
    /// When the page was made (RFC 3339).
    pub printed_at: String,
    /// The countersignatures beside the certificate, each checked
    /// (`witness::check_all`).
    pub witnesses: &'a [Witness],
}

/// Escapes text for HTML content and attribute values. Control characters
/// (see [`i18n::escape_controls`]: C0 and C1 controls, DEL, bidirectional
/// overrides and isolates, line separators) are first written visibly, so
/// that no value from a certificate can reorder or hide what the page shows.
pub fn esc(s: &str) -> String {
    let s = i18n::escape_controls(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A catalog text in both languages, escaped: Japanese first.
pub(crate) fn both(id: &str, args: &[(&str, &str)]) -> String {
    let ja = i18n::text(Lang::Ja, id, args);
    let en = i18n::text(Lang::En, id, args);
    if ja == en {
        return format!("<span class=\"ja\">{}</span>", esc(&ja));
    }
    format!(
        "<span class=\"ja\">{}</span><span class=\"en\">{}</span>",
        esc(&ja),
        esc(&en)
    )
}

/// A bilingual text carried in the certificate itself.
/// A word the certificate stores in a language-neutral form (an event, an
/// item's role or outcome, an extraction's status), in both languages:
/// the message `msg-KIND-VALUE`, or the word itself when the catalogs have
/// none (a value from a newer kura).
fn both_word(kind: &str, value: &str) -> String {
    let id = format!("msg-{kind}-{value}");
    match i18n::lookup(Lang::En, &id) {
        Some(_) => both(&id, &[]),
        None => esc(value),
    }
}

/// The name of a custody record's detail, `日本語 / English`, or the name
/// itself when the catalogs have none (a detail from a newer kura).
fn detail_label(key: &str) -> String {
    let id = format!("msg-detail-{key}");
    match i18n::lookup(Lang::En, &id) {
        Some(_) => both_inline(&id),
        None => esc(key),
    }
}

fn both_text(t: &Text) -> String {
    format!(
        "<span class=\"ja\">{}</span><span class=\"en\">{}</span>",
        esc(&t.ja),
        esc(&t.en)
    )
}

/// A hash in a narrow cell: groups of 16 hex digits, broken only between
/// groups, never one digit to a line.
fn hash(s: &str) -> String {
    let groups: Vec<String> = s
        .as_bytes()
        .chunks(16)
        .map(|g| esc(&String::from_utf8_lossy(g)))
        .collect();
    format!("<span class=\"hash\">{}</span>", groups.join("<wbr>"))
}

fn nw(s: &str) -> String {
    format!("<span class=\"nw\">{}</span>", esc(s))
}

pub(crate) fn mono(s: &str) -> String {
    format!("<span class=\"mono\">{}</span>", esc(s))
}

fn key(k: &KeyInfo) -> String {
    let comment = if k.comment.is_empty() {
        String::new()
    } else {
        format!("{}<br>", esc(&k.comment))
    };
    format!("{comment}{}", mono(&k.fingerprint))
}

/// A time for people (local zone), with the recorded value beneath it when
/// that was in another offset.
pub(crate) fn when(t: &str) -> String {
    let local = crate::clock::local_display(t);
    let own = chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S %:z").to_string())
        .unwrap_or_default();
    if local == own {
        esc(&local)
    } else {
        format!("{}<br><span class=\"small mono\">{}</span>", esc(&local), esc(t))
    }
}

fn bytes_and_files(size: u64, files: u64) -> String {
    both(
        "msg-html-contents-value",
        &[
            ("files", &files.to_string()),
            ("size", &crate::units::bytes(size)),
            ("bytes", &size.to_string()),
        ],
    )
}

fn yes_no(b: bool) -> String {
    both(if b { "msg-html-yes" } else { "msg-html-no" }, &[])
}

/// A two-column table of label and value (values already HTML).
fn fields(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<table class=\"fields\">");
    for (label, value) in rows {
        s.push_str(&format!("<tr><th>{}</th><td>{value}</td></tr>", both(label, &[])));
    }
    s.push_str("</table>");
    s
}

pub(crate) fn section(title: &str, body: &str) -> String {
    format!("<section><h2>{}</h2>{body}</section>", both(title, &[]))
}

/// A table with bilingual headers; cells are already HTML.
fn table(class: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let groups: Vec<Vec<Vec<String>>> = rows.iter().map(|r| vec![r.clone()]).collect();
    grouped_table(class, headers, &groups)
}

/// A table whose rows come in groups kept together on one page (an item
/// and the line beneath it); a row of one cell spans the whole table.
fn grouped_table(class: &str, headers: &[&str], groups: &[Vec<Vec<String>>]) -> String {
    let mut s = format!("<table class=\"list {class}\"><thead><tr>");
    for h in headers {
        s.push_str(&format!("<th>{}</th>", both(h, &[])));
    }
    s.push_str("</tr></thead>");
    for group in groups {
        s.push_str("<tbody>");
        for r in group {
            s.push_str("<tr>");
            match r.as_slice() {
                [only] if headers.len() > 1 => {
                    s.push_str(&format!("<td class=\"sub\" colspan=\"{}\">{only}</td>", headers.len()))
                }
                cells => cells.iter().for_each(|c| s.push_str(&format!("<td>{c}</td>"))),
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody>");
    }
    s.push_str("</table>");
    s
}

fn qr_svg(text: &str) -> String {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => {
            let svg = code
                .render::<svg::Color>()
                .min_dimensions(120, 120)
                .quiet_zone(true)
                .build();
            // Inline SVG needs no XML declaration.
            match svg.find("<svg") {
                Some(at) => svg[at..].to_string(),
                None => svg,
            }
        }
        Err(_) => String::new(),
    }
}

fn status(page: &Page) -> String {
    let c = page.certificate;
    match &page.checked {
        Some(v) => format!(
            "<div class=\"status verified\"><div class=\"badge\">{}</div>\
             <p class=\"verdict\"><span class=\"ja\">{}</span><span class=\"en\">{}</span></p></div>",
            both("msg-html-verified", &[]),
            esc(&v.verdict_ja),
            esc(&v.verdict_en)
        ),
        None => format!(
            "<div class=\"status unverified\"><div class=\"badge\">{}</div><p>{}</p>\
             <p class=\"mono small\">kura certificate verify CERT.json --custody CLINIC_COPY --signers ALLOWED_SIGNERS</p></div>",
            both("msg-html-unverified", &[]),
            both("msg-html-unverified-detail", &[("id", &c.certificate_id)])
        ),
    }
}

/// What was checked when the page was made, at the head of the annex.
fn check_details(page: &Page) -> String {
    match &page.checked {
        Some(v) => format!(
            "<p class=\"small\">{}</p>",
            both(
                "msg-html-verified-detail",
                &[
                    ("principal", &v.principal),
                    ("k", &v.clinic_records.to_string()),
                    ("n", &v.chain_records.to_string()),
                ],
            )
        ),
        None => String::new(),
    }
}

fn custody_rows(lines: &[String]) -> Vec<Vec<String>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| match serde_json::from_str::<Record>(line) {
            Ok(r) => {
                let who = if r.actor.comment.is_empty() {
                    r.actor.fingerprint.clone()
                } else {
                    r.actor.comment.clone()
                };
                let mut note = r.note.as_deref().map(esc).unwrap_or_default();
                for (k, v) in &r.details {
                    let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                    if !note.is_empty() {
                        note.push_str("<br>");
                    }
                    note.push_str(&format!(
                        "<span class=\"small\">{}: {}</span>",
                        detail_label(k),
                        esc(&v)
                    ));
                }
                vec![
                    r.seq.to_string(),
                    esc(&crate::clock::local_display(&r.time)),
                    both_word("event", &r.event),
                    format!(
                        "{}<br><span class=\"mono small\">{}</span>",
                        esc(&who),
                        esc(&r.actor.fingerprint)
                    ),
                    esc(&r.host),
                    note,
                    hash(&blake3::hash(line.as_bytes()).to_hex()[..16]),
                ]
            }
            Err(_) => vec![
                i.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                mono(line),
                String::new(),
            ],
        })
        .collect()
}

pub(crate) const CSS: &str = r#"
@page { size: A4; margin: 12mm 13mm 14mm 13mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 184mm; color: #111; font-size: 9pt; line-height: 1.3;
  font-family: "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Hiragino Kaku Gothic ProN",
    "Yu Gothic", "Meiryo", sans-serif; }
.ja { display: block; }
.en { display: block; color: #444; font-size: 0.88em; }
.mono { font-family: "DejaVu Sans Mono", "Consolas", "Menlo", monospace; font-size: 0.92em;
  overflow-wrap: anywhere; word-break: break-all; }
.small { font-size: 0.82em; }
header { display: flex; justify-content: space-between; align-items: flex-start;
  border-bottom: 2px solid #111; padding-bottom: 3mm; margin-bottom: 3mm; }
header h1 { font-size: 17pt; margin: 0; letter-spacing: 0.08em; }
header h1 .en { font-size: 10.5pt; letter-spacing: 0; color: #333; }
header .ids { margin-top: 2mm; }
.print { text-align: center; width: 48mm; flex: none; }
.print svg { width: 30mm; height: 30mm; display: block; margin: 0 auto; }
.print .fp { font-family: "DejaVu Sans Mono", "Consolas", monospace; font-size: 9pt; font-weight: bold;
  white-space: nowrap; }
.status { border: 2px solid; padding: 2mm 3mm; margin-bottom: 3mm; break-inside: avoid; }
.status p { margin: 1mm 0 0 0; }
.status .badge { font-weight: bold; font-size: 11pt; }
.status .badge .ja, .status .badge .en { display: inline; }
.status .badge .en { margin-left: 3mm; font-size: 10pt; color: inherit; }
.verified { border-color: #1a6b2a; background: #eef7ef; }
.verified .badge { color: #1a6b2a; }
.unverified { border-color: #a11; background: #fbeeee; }
.unverified .badge { color: #a11; }
.verdict .ja { font-weight: bold; }
section { margin-bottom: 2.5mm; }
h2 { font-size: 10.5pt; margin: 0 0 1.5mm 0; padding: 0.8mm 2mm; background: #e9e9e9;
  border-left: 3px solid #111; break-after: avoid; }
h2 .ja, h2 .en { display: inline; }
h2 .en { margin-left: 2mm; }
table { border-collapse: collapse; width: 100%; }
table + table { margin-top: 1.5mm; }
.print .small { font-size: 0.75em; }
th, td { border: 0.6pt solid #999; padding: 0.5mm 1.5mm; vertical-align: top; text-align: left; }
tr { break-inside: avoid; }
.nw { white-space: nowrap; }
.hash { font-family: "DejaVu Sans Mono", "Consolas", "Menlo", monospace; font-size: 7pt;
  word-break: keep-all; overflow-wrap: normal; }
th { background: #f6f6f6; font-weight: normal; }
table.fields th { width: 34mm; }
table.custody, table.items { font-size: 0.92em; }
table.list thead { display: table-header-group; }
table.list tr, table.list tbody { break-inside: avoid; }
td.sub { background: #fafafa; font-size: 0.9em; }
table.list th { font-size: 0.9em; }
.two { display: flex; gap: 3mm; }
.two > * { flex: 1; }
footer { border-top: 0.6pt solid #999; padding-top: 1.5mm; color: #444; font-size: 0.8em; }
.annex { break-before: page; }
.annex > h1 { font-size: 13pt; margin: 0 0 2mm 0; border-bottom: 2px solid #111; }
.annex > h1 .ja, .annex > h1 .en { display: inline; }
.annex > h1 .en { margin-left: 3mm; font-size: 10pt; }
table.list { table-layout: fixed; }
table.summary th { width: 36mm; }
table.summary td .en { display: inline; margin-left: 2mm; }
table.summary td .ja { display: inline; }
table.summary td .line { display: block; }
table.cover-items th:nth-child(1) { width: 30mm; }
table.cover-items th:nth-child(3) { width: 26mm; }
table.cover-items th:nth-child(4) { width: 30mm; }
table.cover-items td .ja, table.cover-items td .en { display: inline; }
table.cover-items td .en { margin-left: 1.5mm; }
table.items th:nth-child(1) { width: 17mm; }
table.items th:nth-child(3) { width: 15mm; }
table.items th:nth-child(4) { width: 19mm; }
table.items th:nth-child(5) { width: 15mm; }
table.items th:nth-child(6) { width: 30mm; }
table.items th:nth-child(7) { width: 18mm; }
table.custody th:nth-child(1) { width: 7mm; }
table.custody th:nth-child(2) { width: 24mm; }
table.custody th:nth-child(3) { width: 18mm; }
table.custody th:nth-child(4) { width: 34mm; }
table.custody th:nth-child(5) { width: 24mm; }
table.custody th:nth-child(7) { width: 28mm; }
table.extractions th:nth-child(1) { width: 14mm; }
table.extractions th:nth-child(2) { width: 30mm; }
table.extractions th:nth-child(4) { width: 30mm; }
table.witnesses th:nth-child(1) { width: 7mm; }
table.witnesses th:nth-child(2) { width: 34mm; }
table.witnesses th:nth-child(4) { width: 26mm; }
table.witnesses th:nth-child(6) { width: 46mm; }
table.witnesses th:nth-child(5) { width: 40mm; }
.boxes { display: flex; gap: 3mm; margin-top: 3mm; break-inside: avoid; }
.boxes > div { flex: 1; border: 0.8pt solid #111; padding: 1.2mm 2mm; }
.boxes h3 { font-size: 9.5pt; margin: 0 0 1mm 0; }
.boxes h3 .en { display: inline; margin-left: 1.5mm; }
.boxes .blank { border-bottom: 0.6pt solid #999; height: 6mm; font-size: 0.8em; color: #444; }
.boxes .blank .ja, .boxes .blank .en { display: inline; margin-right: 1.5mm; }
.boxes .seal { height: 12mm; border-bottom: none; }
.cover { font-size: 8.5pt; }
.cover header { padding-bottom: 2mm; margin-bottom: 2mm; }
.cover .print svg { width: 24mm; height: 24mm; }
.cover .status { padding: 1.5mm 3mm; margin-bottom: 2mm; }
.cover .status .small { font-size: 0.75em; }
.cover section { margin-bottom: 1.5mm; }
.cover th, .cover td { padding: 0.3mm 1.5mm; }
.warn { color: #a11; font-weight: bold; }
"#;

/// The page's heading: the title, the certificate's id and time, and the
/// fingerprint with its QR code.
fn header(c: &Certificate, fp: &Fingerprint, title: &str) -> String {
    format!(
        "<header><div><h1>{}</h1><div class=\"ids\">{}: {}<br>{}: {}</div></div>\
         <div class=\"print\">{}<div class=\"fp\">{}</div><div class=\"small\">{}</div></div></header>",
        both(title, &[]),
        both_inline("msg-html-certificate-id"),
        mono(&c.certificate_id),
        both_inline("msg-html-issued-at"),
        esc(&crate::clock::local_display(&c.issued_at)),
        qr_svg(&fp.qr_text(&c.certificate_id)),
        esc(&fp.short),
        both("msg-html-fingerprint", &[]),
    )
}

/// What was done, in words: a lost vault reads as lost (model::Timeliness).
fn action_id(c: &Certificate, deleted: bool) -> &'static str {
    if c.timeliness().vault_lost {
        "msg-html-action-lost"
    } else if deleted {
        "msg-html-action-deleted"
    } else {
        "msg-html-action-returned"
    }
}

/// Who issued the certificate, when, and with which tool.
fn certificate_section(c: &Certificate, deleted: bool) -> String {
    let action = action_id(c, deleted);
    let org = if c.issuer.organisation.is_empty() {
        "—".to_string()
    } else {
        esc(&c.issuer.organisation)
    };
    section(
        "msg-html-h-certificate",
        &fields(&[
            ("msg-html-action", both(action, &[])),
            ("msg-html-issued-at", when(&c.issued_at)),
            ("msg-html-issuer", esc(&c.issuer.name)),
            ("msg-html-organisation", org),
            (
                "msg-html-issuer-key",
                format!("{}<br>{}", key(&c.issuer.key), mono(&c.issuer.key.key)),
            ),
            ("msg-html-host", esc(&c.host)),
            ("msg-html-tool", esc(&format!("{} {}", c.tool.name, c.tool.version))),
            ("msg-html-format", mono(&format!("{} v{}", c.format, c.version))),
        ]),
    )
}

/// The clinic's approval, and whether its date was kept.
fn approval_section(page: &Page) -> String {
    let c = page.certificate;
    let doc = c
        .approval
        .document_blake3
        .as_deref()
        .map(mono)
        .unwrap_or_else(|| both("msg-html-none", &[]));
    let on_time = on_time_value(page);
    section(
        "msg-html-h-approval",
        &fields(&[
            ("msg-html-approval-id", esc(&c.approval.id)),
            ("msg-html-approved-by", esc(&c.approval.approved_by)),
            ("msg-html-purpose", esc(&c.approval.purpose)),
            ("msg-html-delete-by", esc(&c.delete_by)),
            ("msg-html-on-time", on_time),
            ("msg-html-approval-doc", doc),
            consent_field(c),
        ]),
    )
}

/// Whether the clinic signed the approval. A printed page cannot know the
/// reader's clinic signers file: a signature is shown with its key, to be
/// compared with the clinic's own.
fn consent_field(c: &Certificate) -> (&'static str, String) {
    let consent = Consent::of_created(&c.approval, &c.vault.created, None).ok();
    let value = match consent {
        Some(Consent::Declared) => both("msg-consent-declared", &[]),
        Some(Consent::Signed { approval, signer, .. }) => {
            let clinic = match &approval.clinic.code {
                Some(code) => format!("{} {code}", approval.clinic.name),
                None => approval.clinic.name.clone(),
            };
            both(
                "msg-html-consent-signed",
                &[("clinic", &clinic), ("key", &signer.fingerprint)],
            )
        }
        None => both("msg-html-consent-broken", &[]),
    };
    ("msg-html-consent", value)
}

/// The whole page: a first page a clinic files (what, for whom, when, by
/// whom, witnessed by whom, signature boxes), then the annex with every
/// field, hash and record of the certificate.
pub fn html(page: &Page) -> String {
    let c = page.certificate;
    let fp = Fingerprint::of(page.bytes);
    let deleted = c.action == ACTION_DELETED;
    let title = if deleted {
        "msg-html-title-deleted"
    } else {
        "msg-html-title-returned"
    };
    let mut body = String::from("<div class=\"cover\">");
    body.push_str(&header(c, &fp, title));
    body.push_str(&status(page));
    body.push_str(&summary_section(page, deleted));
    body.push_str(&cover_items(c));
    body.push_str(&signature_boxes());
    body.push_str("</div>\n<div class=\"annex\">");
    body.push_str(&format!("<h1>{}</h1>", both("msg-html-annex", &[])));
    body.push_str(&check_details(page));
    body.push_str(&certificate_section(c, deleted));
    body.push_str(&site_fields(c));
    body.push_str(&approval_section(page));
    body.push_str(&vault_section(c));
    body.push_str(&items_section(c));
    body.push_str(&method_section(c));
    body.push_str(&verification_section(c));
    body.push_str(&witnesses_section(page));
    body.push_str(&custody_section(c));
    body.push_str(&check_section(&fp));
    body.push_str(&footer(page));
    body.push_str("</div>");
    document(c, title, &body)
}

/// The clinic's name as the signed approval gives it, or why there is
/// none: only an approval the clinic signed names it.
fn clinic_value(c: &Certificate) -> String {
    match Consent::of_created(&c.approval, &c.vault.created, None) {
        Ok(Consent::Signed { approval, signer, .. }) => {
            let clinic = &approval.clinic;
            let code = clinic
                .code
                .as_deref()
                .map(|code| format!(" {}", both_inline_args("msg-html-clinic-code", &[("code", code)])))
                .unwrap_or_default();
            // Whose key signed the approval, to compare with the clinic's
            // own signers file (a page cannot check it).
            let key = both_inline_args("msg-html-clinic-signed-key", &[("key", &signer.fingerprint)]);
            format!("<b>{}</b>{code}<span class=\"line\">{key}</span>", esc(&clinic.name))
        }
        Ok(Consent::Declared) => format!(
            "<span class=\"warn\">{}</span>",
            both("msg-html-clinic-not-signed", &[])
        ),
        _ => format!(
            "<span class=\"warn\">{}</span>",
            both("msg-html-clinic-unreadable", &[])
        ),
    }
}

/// Who did it: the issuer's name and organisation.
fn performed_by(c: &Certificate) -> String {
    if c.issuer.organisation.is_empty() {
        esc(&c.issuer.name)
    } else {
        format!("{} / {}", esc(&c.issuer.name), esc(&c.issuer.organisation))
    }
}

/// What the deadline row says (model::Timeliness: only times that are
/// evidence meet a deadline).
fn on_time_value(page: &Page) -> String {
    let c = page.certificate;
    let timing = c.timeliness().timing;
    match (&page.checked, c.on_time) {
        _ if timing == Timing::VaultLost => both("msg-html-timing-vault-lost", &[]),
        _ if timing == Timing::TimeNotReliable => both("msg-html-time-not-reliable", &[]),
        (Some(v), false) => format!(
            "{} {}",
            yes_no(false),
            both("msg-html-days-late", &[("days", &v.days_late.to_string())])
        ),
        (_, b) => yes_no(b),
    }
}

/// The method in NIST SP 800-88 words, localised.
fn method_value(c: &Certificate) -> String {
    format!(
        "{} — {}",
        esc(&c.method.reference),
        both_word("category", &c.method.category)
    )
}

/// The result of the checks afterwards, localised.
fn result_value(c: &Certificate) -> String {
    let id = match c.verification.result.as_str() {
        "nothing remains" => "msg-html-result-nothing-remains",
        "vault intact" => "msg-html-result-vault-intact",
        "vault intact; nothing remains of the copies" => "msg-html-result-vault-intact-copies-gone",
        other => return esc(other),
    };
    both(id, &[])
}

/// What the witness's trust says, in both languages.
fn trust_value(w: &Witness) -> String {
    match &w.trust {
        Trust::Trusted(p) => both("msg-html-witness-trusted", &[("principal", p)]),
        Trust::Untrusted => format!(
            "<span class=\"warn\">{}</span>",
            both("msg-html-witness-untrusted", &[])
        ),
        Trust::Unchecked => both("msg-html-witness-unchecked", &[]),
    }
}

/// Why a witness's time is not evidence, if it is not.
fn time_warnings(w: &Witness) -> Vec<&'static str> {
    let mut ids = Vec::new();
    if w.hand_set() {
        ids.push("msg-html-hand-set");
    }
    if w.dated_before_certificate {
        ids.push("msg-html-before-certificate");
    }
    ids
}

/// What the witness's trust says in a few words, for the first page.
fn trust_short(w: &Witness) -> String {
    match &w.trust {
        Trust::Trusted(_) => both_inline("msg-html-witness-short-trusted"),
        Trust::Untrusted => format!(
            "<span class=\"warn\">{}</span>",
            both_inline("msg-html-witness-short-untrusted")
        ),
        Trust::Unchecked => both_inline("msg-html-witness-short-unchecked"),
    }
}

/// The witnesses, one line each, for the first page.
fn witnesses_value(page: &Page) -> String {
    if page.witnesses.is_empty() {
        return both("msg-html-witness-none", &[]);
    }
    let mut lines: String = page
        .witnesses
        .iter()
        .take(COVER_WITNESSES)
        .map(|w| {
            let s = &w.statement;
            let hand = time_warnings(w)
                .iter()
                .map(|id| format!(" <span class=\"warn\">{}</span>", both_inline(id)))
                .collect::<String>();
            format!(
                "<span class=\"line\"><b>{}</b>（{}） {}{hand} — {}</span>",
                esc(&s.name),
                esc(&s.role),
                esc(crate::clock::local_display(&s.signed_at).get(..10).unwrap_or_default()),
                trust_short(w)
            )
        })
        .collect();
    if page.witnesses.len() > COVER_WITNESSES {
        let more = (page.witnesses.len() - COVER_WITNESSES).to_string();
        lines.push_str(&format!(
            "<span class=\"line\">{}</span>",
            both("msg-html-more-witnesses", &[("n", &more)])
        ));
    }
    lines
}

/// The first page's table: everything a clinic needs to file it.
fn summary_section(page: &Page, deleted: bool) -> String {
    let c = page.certificate;
    let action = action_id(c, deleted);
    // The clinic row says whether the clinic signed the approval, and with
    // which key; the annex's approval section says it in full.
    let mut rows = vec![("msg-html-clinic", clinic_value(c))];
    rows.extend([
        (
            "msg-html-approval-id",
            format!(
                "<b>{}</b><span class=\"line\">{}: {}</span><span class=\"line\">{}: {}</span>",
                esc(&c.approval.id),
                both_inline("msg-html-approved-by"),
                esc(&c.approval.approved_by),
                both_inline("msg-html-purpose"),
                esc(&c.approval.purpose)
            ),
        ),
        ("msg-html-action", format!("<b>{}</b>", both(action, &[]))),
        (
            "msg-html-what",
            format!(
                "{} {}<br>{}",
                both_inline("msg-html-vault-id"),
                mono(&c.vault.vault_id),
                bytes_and_files(c.vault.total_size, c.vault.file_count)
            ),
        ),
        ("msg-html-when", when(&c.issued_at)),
        (
            "msg-html-delete-by",
            format!("{} — {}", esc(&c.delete_by), on_time_value(page)),
        ),
        ("msg-html-performed-by", performed_by(c)),
        ("msg-html-method", method_value(c)),
        ("msg-html-check-result", result_value(c)),
        ("msg-html-witnesses", witnesses_value(page)),
    ]);
    let mut table = String::from("<table class=\"fields summary\">");
    for (label, value) in &rows {
        table.push_str(&format!("<tr><th>{}</th><td>{value}</td></tr>", both(label, &[])));
    }
    table.push_str("</table>");
    section("msg-html-h-summary", &table)
}

/// Items shown on the first page; the rest are in the annex.
const COVER_ITEMS: usize = 4;
/// Witnesses named on the first page; all are in the annex.
const COVER_WITNESSES: usize = 3;

/// What was destroyed or kept, without hashes (they are in the annex).
// Room for the medium each item was on: a column here and in the annex.
fn cover_items(c: &Certificate) -> String {
    let mut rows: Vec<Vec<String>> = c
        .items
        .iter()
        .take(COVER_ITEMS)
        .map(|i| {
            vec![
                both_word("role", &i.role),
                mono(&i.path),
                nw(&format!("{} · {}", i.files, crate::units::bytes(i.size))),
                format!("<b>{}</b>", both_word("outcome", &i.outcome)),
            ]
        })
        .collect();
    if c.items.len() > COVER_ITEMS {
        let more = (c.items.len() - COVER_ITEMS).to_string();
        rows.push(vec![both("msg-html-more-items", &[("n", &more)])]);
    }
    section(
        "msg-html-h-cover-items",
        &table(
            "cover-items",
            &[
                "msg-html-col-role",
                "msg-html-col-path",
                "msg-html-col-files-size",
                "msg-html-col-outcome",
            ],
            &rows,
        ),
    )
}

/// Boxes to sign and seal on paper: who did it, who watched, and the
/// clinic's confirmation.
fn signature_boxes() -> String {
    let blank = |id: &str, class: &str| format!("<div class=\"blank {class}\">{}</div>", both(id, &[]));
    let boxes: String = ["msg-html-box-performer", "msg-html-box-witness", "msg-html-box-clinic"]
        .iter()
        .map(|title| {
            format!(
                "<div><h3>{}</h3>{}{}{}</div>",
                both(title, &[]),
                blank("msg-html-box-name", ""),
                blank("msg-html-box-date", ""),
                blank("msg-html-sign-seal", "seal"),
            )
        })
        .collect();
    format!("<div class=\"boxes\">{boxes}</div>")
}

/// Every countersignature, with its key and what it was checked against.
fn witnesses_section(page: &Page) -> String {
    if page.witnesses.is_empty() {
        return section(
            "msg-html-h-witnesses",
            &format!("<p>{}</p>", both("msg-html-witness-none", &[])),
        );
    }
    let rows: Vec<Vec<String>> = page
        .witnesses
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let s = &w.statement;
            let mut time = when(&s.signed_at);
            for id in time_warnings(w) {
                time.push_str(&format!("<br><span class=\"warn\">{}</span>", both_inline(id)));
            }
            vec![
                (n + 1).to_string(),
                format!("{}<br><span class=\"small\">{}</span>", esc(&s.name), esc(&s.role)),
                s.note.as_deref().map(esc).unwrap_or_default(),
                time,
                key(&s.signer),
                trust_value(w),
            ]
        })
        .collect();
    let files: Vec<String> = page
        .witnesses
        .iter()
        .map(|w| {
            let f = w
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            esc(&format!(
                "ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n kura-countersign -s {f}.sig < {f}"
            ))
        })
        .collect();
    let mut body = table(
        "witnesses",
        &[
            "msg-html-col-seq",
            "msg-html-col-witness",
            "msg-html-col-note",
            "msg-html-col-time",
            "msg-html-col-key",
            "msg-html-col-trust",
        ],
        &rows,
    );
    body.push_str(&format!(
        "<p class=\"small\">{}</p><p class=\"mono small\">{}</p>",
        both("msg-html-witness-how", &[]),
        files.join("<br>")
    ));
    section("msg-html-h-witnesses", &body)
}

/// The vault's public facts.
fn vault_section(c: &Certificate) -> String {
    let recipients: Vec<String> = c
        .vault
        .recipients
        .iter()
        .map(|r| {
            let comment = if r.comment.is_empty() {
                String::new()
            } else {
                format!(" ({})", esc(&r.comment))
            };
            format!("{} {}{comment}", esc(&r.kind), mono(&r.fingerprint))
        })
        .collect();
    section(
        "msg-html-h-vault",
        &fields(&[
            ("msg-html-vault-id", mono(&c.vault.vault_id)),
            ("msg-html-created", when(&c.vault.created)),
            ("msg-html-packer", key(&c.vault.packer)),
            (
                "msg-html-contents",
                bytes_and_files(c.vault.total_size, c.vault.file_count),
            ),
            ("msg-html-manifest", mono(&c.vault.manifest_blake3)),
            (
                "msg-html-ciphertext",
                format!(
                    "{}<br>{}",
                    esc(&format!(
                        "{} ({} B)",
                        crate::units::bytes(c.vault.ciphertext.size),
                        c.vault.ciphertext.size
                    )),
                    mono(&c.vault.ciphertext.blake3)
                ),
            ),
            ("msg-html-recipients", recipients.join("<br>")),
        ]),
    )
}

/// What was deleted or returned, item by item.
fn items_section(c: &Certificate) -> String {
    let items: Vec<Vec<Vec<String>>> = c
        .items
        .iter()
        .map(|i| {
            let mut rows = vec![vec![
                both_word("role", &i.role),
                mono(&i.path),
                both_word("type", &i.kind),
                nw(&format!("{} B", i.size)),
                nw(&i.files.to_string()),
                hash(&i.blake3),
                format!("<b>{}</b>", both_word("outcome", &i.outcome)),
            ]];
            rows.extend(item_medium_line(i).map(|line| vec![line]));
            rows
        })
        .collect();
    section(
        "msg-html-h-items",
        &grouped_table(
            "items",
            &[
                "msg-html-col-role",
                "msg-html-col-path",
                "msg-html-col-type",
                "msg-html-col-size",
                "msg-html-col-files",
                "msg-html-col-blake3",
                "msg-html-col-outcome",
            ],
            &items,
        ),
    )
}

/// The line printed beneath an item, across the whole table and kept on
/// the same page as it (the table has no room for more columns): the
/// item's medium (kind, maker and model,
/// serial number, file system, encryption; "unknown" where the system did
/// not tell) and its sanitization category with what protects its
/// remnants. None for a certificate made before kura recorded them.
fn item_medium_line(i: &Item) -> Option<String> {
    let medium = match &i.medium {
        None => String::new(),
        Some(m) => {
            let unknown = || both("msg-medium-unknown", &[]);
            let val = |v: &Option<String>| v.as_deref().map(esc).unwrap_or_else(unknown);
            let encrypted = match m.encrypted {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            };
            let transport = m
                .transport
                .as_deref()
                .map(|t| format!(" ({})", esc(t)))
                .unwrap_or_default();
            let identity = if m.vendor.is_none() && m.model.is_none() && m.serial.is_none() {
                both("msg-medium-identity-unknown", &[])
            } else {
                format!("{} / {}<br>S/N {}", val(&m.vendor), val(&m.model), val(&m.serial))
            };
            format!(
                "<b>{}</b>{transport}<br>{identity}<br>{} · {}",
                both_word("medium-kind", &m.kind),
                val(&m.fs_type),
                both_word("medium-encrypted", encrypted),
            )
        }
    };
    let sanitization = match &i.sanitization {
        None => String::new(),
        Some(s) => format!(
            "<b>{}</b><br><span class=\"small\">{}</span>",
            esc(&s.category),
            both_text(&s.note)
        ),
    };
    match (medium.is_empty(), sanitization.is_empty()) {
        (true, true) => None,
        (false, true) => Some(medium),
        (true, false) => Some(sanitization),
        (false, false) => Some(format!("{medium}<br>{sanitization}")),
    }
}

/// What the issuer stated of the place and the medium, and the issuer's
/// title and contact: a table of the rows that were given (nothing when
/// none was).
fn site_fields(c: &Certificate) -> String {
    let rows: Vec<(String, String)> = (c.stated().into_iter())
        .map(|(name, v)| {
            let value = match name {
                "medium-after" => both_word("medium-after", v),
                _ => esc(v),
            };
            (format!("msg-f-{name}"), value)
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    fields(&rows.iter().map(|(l, v)| (l.as_str(), v.clone())).collect::<Vec<_>>())
}

/// The method of deletion, with its reference.
fn method_section(c: &Certificate) -> String {
    section(
        "msg-html-h-method",
        &fields(&[
            ("msg-html-reference", method_value(c)),
            ("msg-html-technique", both_text(&c.method.technique)),
            ("msg-html-caveat", both_text(&c.method.caveat)),
            ("msg-html-protection", both_text(&c.method.protection)),
        ]),
    )
}

/// How the issuer checked for copies: the extractions the log records.
fn verification_section(c: &Certificate) -> String {
    let extractions: Vec<Vec<String>> = c
        .verification
        .extractions
        .iter()
        .map(|x| {
            vec![
                esc(&format!("#{}", x.record)),
                esc(&x.host),
                mono(&x.destination),
                both_word("extraction", &x.status),
            ]
        })
        .collect();
    let mut checked = fields(&[
        ("msg-html-check-method", both_text(&c.verification.method)),
        ("msg-html-check-result", result_value(c)),
    ]);
    if extractions.is_empty() {
        checked.push_str(&format!(
            "<p class=\"small\">{}</p>",
            both("msg-html-no-extractions", &[])
        ));
    } else {
        checked.push_str(&table(
            "extractions",
            &[
                "msg-html-col-record",
                "msg-html-col-host",
                "msg-html-col-destination",
                "msg-html-col-status",
            ],
            &extractions,
        ));
    }
    section("msg-html-h-verification", &checked)
}

/// The custody log the certificate carries, record by record.
fn custody_section(c: &Certificate) -> String {
    let mut chain = fields(&[
        ("msg-html-chain-records", esc(&c.custody.records.to_string())),
        ("msg-html-chain-head", mono(&c.custody.head)),
    ]);
    if c.log_restarted() {
        chain.push_str(&format!(
            "<p class=\"warn\">{}</p>",
            both("msg-html-log-restarted", &[])
        ));
    }
    chain.push_str(&table(
        "custody",
        &[
            "msg-html-col-seq",
            "msg-html-col-time",
            "msg-html-col-event",
            "msg-html-col-who",
            "msg-html-col-host",
            "msg-html-col-note",
            "msg-html-col-line-hash",
        ],
        &custody_rows(&c.custody.lines),
    ));
    section("msg-html-h-custody", &chain)
}

/// How to check the certificate.
fn check_section(fp: &Fingerprint) -> String {
    section(
        "msg-html-h-check",
        &format!(
            "<p>{}</p><p class=\"mono small\">kura certificate verify CERT.json --custody CLINIC_COPY --signers ALLOWED_SIGNERS<br>\
             ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n kura-certificate -s CERT.json.sig &lt; CERT.json</p>\
             <p>{}<br>{}</p>",
            both("msg-html-how-to-check", &[]),
            both_inline("msg-html-blake3"),
            mono(&fp.blake3),
        ),
    )
}

/// When the page was printed, and by which kura.
fn footer(page: &Page) -> String {
    let c = page.certificate;
    format!(
        "<footer>{} · {} {}</footer>",
        both_inline_args(
            "msg-html-footer",
            &[("printed", &crate::clock::local_display(&page.printed_at))]
        ),
        esc(&c.tool.name),
        esc(env!("CARGO_PKG_VERSION"))
    )
}

/// The page around its body: head, title, style.
fn document(c: &Certificate, title: &str, body: &str) -> String {
    let title_text = format!(
        "{} / {} — {}",
        i18n::text(Lang::Ja, title, &[]),
        i18n::text(Lang::En, title, &[]),
        c.certificate_id
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(&title_text),
        page_boxes(c)
    )
}

/// The certificate id and the page number at the foot of every printed
/// page (CSS page margin boxes, which Chromium prints).
fn page_boxes(c: &Certificate) -> String {
    let id = format!(
        "{} / {}: {}",
        i18n::text(Lang::Ja, "msg-html-certificate-id", &[]),
        i18n::text(Lang::En, "msg-html-certificate-id", &[]),
        c.certificate_id
    );
    let page = format!(
        "{} / {}",
        i18n::text(Lang::Ja, "msg-html-page", &[]),
        i18n::text(Lang::En, "msg-html-page", &[])
    );
    format!(
        "\n@page {{ @bottom-left {{ content: {}; font-size: 7.5pt; color: #444; }}\n  \
         @bottom-right {{ content: {} counter(page) \" / \" counter(pages); font-size: 7.5pt; color: #444; }} }}\n",
        css_string(&id),
        css_string(&format!("{page} "))
    )
}

/// A CSS string literal: every character but letters, digits and a few
/// harmless marks is written as a CSS escape, so no value can end the
/// string, the rule or the style element.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in crate::i18n::escape_controls(s).chars() {
        if ch.is_alphanumeric() && !ch.is_control() || matches!(ch, ' ' | '-' | ':' | '/' | '.') {
            out.push(ch);
        } else {
            out.push_str(&format!("\\{:x} ", ch as u32));
        }
    }
    out.push('"');
    out
}

/// A label on one line: `日本語 / English`.
pub(crate) fn both_inline(id: &str) -> String {
    both_inline_args(id, &[])
}

fn both_inline_args(id: &str, args: &[(&str, &str)]) -> String {
    format!(
        "{} / {}",
        esc(&i18n::text(Lang::Ja, id, args)),
        esc(&i18n::text(Lang::En, id, args))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<b a=\"x\">&'</b>"),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;&lt;/b&gt;"
        );
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(esc("a\x1b[2Jb\u{202e}c\n<\u{85}"), "a\\x1b[2Jb\\u{202e}c\\n&lt;\\u{85}");
    }

    #[test]
    fn fingerprint_is_the_start_of_the_blake3_grouped() {
        let f = Fingerprint::of(b"abc");
        assert_eq!(f.blake3, blake3::hash(b"abc").to_hex().to_string());
        assert_eq!(f.short.len(), 19);
        assert_eq!(f.short.replace('-', ""), f.blake3[..16]);
    }

    /// The test vector's certificate under `approval`, packed on 2 March.
    fn under(approval: crate::vault::Approval) -> Certificate {
        let mut c = Certificate::parse(include_bytes!("../../tests/vectors/v1/export.cert.json")).unwrap();
        c.vault.created = "2026-03-02T10:00:00+09:00".into();
        c.approval = approval;
        c
    }

    #[test]
    fn only_an_approval_the_clinic_signed_names_the_clinic() {
        let key = crate::keys::SigningKey::generate("clinic").unwrap();
        let info = serde_json::to_string(key.info()).unwrap();
        let fingerprint = &key.info().fingerprint;
        let doc = format!(
            r#"{{"format":"kura-approval","version":1,"approval_id":"APP-R-1",
            "issued_at":"2026-03-01T10:00:00+09:00",
            "clinic":{{"name":"さくら内科（ダミー）","code":"1312345678"}},
            "approver":{{"name":"山田（ダミー）","role":"院長"}},"engineers":[{info}],
            "recipients":[{{"type":"ssh-ed25519","fingerprint":"{fingerprint}","comment":""}}],
            "purpose":"調査","scope":"ダミーの受付表","disposal":"delete","delete_by":"2026-03-16"}}"#
        );
        let approval = crate::approval::Approval::parse(&doc).unwrap();
        let signed = approval.sign(&key).unwrap();
        let packed = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let declared = approval.declared_for(&signed, packed);

        let named = clinic_value(&under(declared.clone()));
        assert!(
            named.contains("さくら内科（ダミー）") && named.contains("1312345678"),
            "{named}"
        );
        assert!(!named.contains("warn"), "{named}");

        // The same fields, typed by the engineer: no name, and why.
        let typed = clinic_value(&under(crate::vault::Approval {
            signed: None,
            ..declared.clone()
        }));
        assert!(typed.contains("記載なし") && !typed.contains("さくら内科"), "{typed}");

        // Fields that disagree with the signed document: nothing is shown.
        let changed = clinic_value(&under(crate::vault::Approval {
            purpose: "別の目的".into(),
            ..declared
        }));
        assert!(
            changed.contains("表示できません") && !changed.contains("さくら内科"),
            "{changed}"
        );
    }

    #[test]
    fn a_css_string_cannot_end_the_rule() {
        let s = css_string("a\"}</style><script>\n");
        assert!(s.starts_with('"') && s.ends_with('"'));
        let inner = &s[1..s.len() - 1];
        for bad in ['"', '}', '<', '>', '\n'] {
            assert!(!inner.contains(bad), "{s}");
        }
    }

    #[test]
    fn the_qr_code_is_inline_svg() {
        let s = qr_svg("kura-certificate x blake3:00");
        assert!(s.starts_with("<svg"), "{s}");
        assert!(!s.contains("<?xml"));
    }
}
