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
fn both(id: &str, args: &[(&str, &str)]) -> String {
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

fn both_text(t: &Text) -> String {
    format!(
        "<span class=\"ja\">{}</span><span class=\"en\">{}</span>",
        esc(&t.ja),
        esc(&t.en)
    )
}

fn nw(s: &str) -> String {
    format!("<span class=\"nw\">{}</span>", esc(s))
}

fn mono(s: &str) -> String {
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
fn when(t: &str) -> String {
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

fn section(title: &str, body: &str) -> String {
    format!("<section><h2>{}</h2>{body}</section>", both(title, &[]))
}

/// A table with bilingual headers; cells are already HTML.
fn table(class: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!("<table class=\"list {class}\"><thead><tr>");
    for h in headers {
        s.push_str(&format!("<th>{}</th>", both(h, &[])));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            s.push_str(&format!("<td>{c}</td>"));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
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
        Some(v) => {
            let details = both(
                "msg-html-verified-detail",
                &[
                    ("principal", &v.principal),
                    ("k", &v.clinic_records.to_string()),
                    ("n", &v.chain_records.to_string()),
                ],
            );
            format!(
                "<div class=\"status verified\"><div class=\"badge\">{}</div>\
                 <p class=\"verdict\"><span class=\"ja\">{}</span><span class=\"en\">{}</span></p>\
                 <p class=\"small\">{details}</p></div>",
                both("msg-html-verified", &[]),
                esc(&v.verdict_ja),
                esc(&v.verdict_en)
            )
        }
        None => format!(
            "<div class=\"status unverified\"><div class=\"badge\">{}</div><p>{}</p>\
             <p class=\"mono small\">kura certificate verify CERT.json --custody CLINIC_COPY --signers ALLOWED_SIGNERS</p></div>",
            both("msg-html-unverified", &[]),
            both("msg-html-unverified-detail", &[("id", &c.certificate_id)])
        ),
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
                    note.push_str(&format!("<span class=\"small\">{}: {}</span>", esc(k), esc(&v)));
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
                    format!(
                        "<span class=\"mono small\">{}</span>",
                        esc(&blake3::hash(line.as_bytes()).to_hex()[..16])
                    ),
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

const CSS: &str = r#"
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
th { background: #f6f6f6; font-weight: normal; }
table.fields th { width: 34mm; }
table.custody, table.items { font-size: 0.92em; }
table.list thead { display: table-header-group; }
table.list tr { break-inside: avoid; }
table.list th { font-size: 0.9em; }
.two { display: flex; gap: 3mm; }
.two > * { flex: 1; }
.sign { display: flex; gap: 3mm; margin-top: 2mm; break-inside: avoid; }
.sign div { flex: 1; border: 0.6pt solid #999; height: 17mm; padding: 1mm 2mm; }
footer { border-top: 0.6pt solid #999; padding-top: 1.5mm; color: #444; font-size: 0.8em; }
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

/// Who issued the certificate, when, and with which tool.
fn certificate_section(c: &Certificate, deleted: bool) -> String {
    // A lost vault reads as lost (model::Timeliness).
    let action = if c.timeliness().vault_lost {
        "msg-html-action-lost"
    } else if deleted {
        "msg-html-action-deleted"
    } else {
        "msg-html-action-returned"
    };
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
    // A deadline is met only by times that are evidence (model::Timeliness).
    let timing = c.timeliness().timing;
    let on_time = match (&page.checked, c.on_time) {
        _ if timing == Timing::VaultLost => both("msg-html-timing-vault-lost", &[]),
        _ if timing == Timing::TimeNotReliable => both("msg-html-time-not-reliable", &[]),
        (Some(v), false) => format!(
            "{} {}",
            yes_no(false),
            both("msg-html-days-late", &[("days", &v.days_late.to_string())])
        ),
        (_, b) => yes_no(b),
    };
    section(
        "msg-html-h-approval",
        &fields(&[
            ("msg-html-approval-id", esc(&c.approval.id)),
            ("msg-html-approved-by", esc(&c.approval.approved_by)),
            ("msg-html-purpose", esc(&c.approval.purpose)),
            ("msg-html-delete-by", esc(&c.delete_by)),
            ("msg-html-on-time", on_time),
            ("msg-html-approval-doc", doc),
        ]),
    )
}

/// The whole page.
pub fn html(page: &Page) -> String {
    let c = page.certificate;
    let fp = Fingerprint::of(page.bytes);
    let deleted = c.action == ACTION_DELETED;
    let title = if deleted {
        "msg-html-title-deleted"
    } else {
        "msg-html-title-returned"
    };
    let mut body = header(c, &fp, title);
    body.push_str(&status(page));
    body.push_str(&certificate_section(c, deleted));
    body.push_str(&site_fields(c));
    body.push_str(&approval_section(page));

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
    body.push_str(&section(
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
    ));

    body.push_str(&items_section(c));
    body.push_str(&method_section(c));
    body.push_str(&verification_section(c));
    body.push_str(&custody_section(c));
    body.push_str(&check_section(&fp));
    body.push_str(&footer(page));
    document(c, title, &body)
}

/// What was deleted or returned, item by item.
fn items_section(c: &Certificate) -> String {
    let items: Vec<Vec<String>> = c
        .items
        .iter()
        .map(|i| {
            vec![
                both_word("role", &i.role),
                mono(&i.path),
                nw(&i.kind),
                nw(&format!("{} B", i.size)),
                nw(&i.files.to_string()),
                mono(&i.blake3),
                format!("<b>{}</b>", both_word("outcome", &i.outcome)),
            ]
            .into_iter()
            .chain(item_medium_cells(i))
            .collect()
        })
        .collect();
    section(
        "msg-html-h-items",
        &table(
            "items",
            &[
                "msg-html-col-role",
                "msg-html-col-path",
                "msg-html-col-type",
                "msg-html-col-size",
                "msg-html-col-files",
                "msg-html-col-blake3",
                "msg-html-col-outcome",
                "msg-html-medium",
                "msg-html-sanitization",
            ],
            &items,
        ),
    )
}

/// The item table's last two cells (headers `msg-html-medium` and
/// `msg-html-sanitization`): an item's medium (kind, maker and model,
/// serial number, file system, encryption; "unknown" where the system did
/// not tell) and its sanitization category with what protects its
/// remnants. Empty for a certificate made before kura recorded them.
fn item_medium_cells(i: &Item) -> Vec<String> {
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
    vec![medium, sanitization]
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
            (
                "msg-html-reference",
                esc(&format!("{} — {}", c.method.reference, c.method.category)),
            ),
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
        ("msg-html-check-result", esc(&c.verification.result)),
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

/// How to check the certificate, and room to sign for it on paper.
fn check_section(fp: &Fingerprint) -> String {
    section(
        "msg-html-h-check",
        &format!(
            "<p>{}</p><p class=\"mono small\">kura certificate verify CERT.json --custody CLINIC_COPY --signers ALLOWED_SIGNERS<br>\
             ssh-keygen -Y verify -f ALLOWED_SIGNERS -I PRINCIPAL -n kura-certificate -s CERT.json.sig &lt; CERT.json</p>\
             <p>{}<br>{}</p>\
             <div class=\"sign\"><div>{}</div><div>{}</div><div>{}</div></div>",
            both("msg-html-how-to-check", &[]),
            both_inline("msg-html-blake3"),
            mono(&fp.blake3),
            both("msg-html-sign-checked-by", &[]),
            both("msg-html-sign-date", &[]),
            both("msg-html-sign-seal", &[]),
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
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        esc(&title_text)
    )
}

/// A label on one line: `日本語 / English`.
fn both_inline(id: &str) -> String {
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

    #[test]
    fn the_qr_code_is_inline_svg() {
        let s = qr_svg("kura-certificate x blake3:00");
        assert!(s.starts_with("<svg"), "{s}");
        assert!(!s.contains("<?xml"));
    }
}
