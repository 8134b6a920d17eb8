//! `kura certificate render`: the printable, bilingual page of a certificate.

use crate::common::{json, ok, run, tool_ok, Desk};

const PACKED: &str = "2026-03-02T10:00:00+09:00";

/// A certificate of deletion for a handed-over vault, with the clinic's copy
/// of the log beside it.
fn certified(d: &Desk) -> std::path::PathBuf {
    d.pack_small(
        "a",
        "APP-PRINT-1",
        "調査 <script>alert(1)</script>",
        "2026-03-16",
        PACKED,
    );
    d.handover("a", "2026-03-02T11:00:00+09:00");
    d.certify("a", false, "2026-03-10T15:00:00+09:00")
}

#[test]
fn a_verified_certificate_renders_as_a_bilingual_page_tied_to_the_file() {
    let d = Desk::new();
    let cert = certified(&d);
    let v = json(&ok(d
        .kura()
        .args(["certificate", "render", "-o", "cert.html", "--json"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert)));
    assert_eq!(v["verified"], true);
    let full = blake3::hash(&std::fs::read(&cert).unwrap()).to_hex().to_string();
    assert_eq!(v["blake3"], full.as_str());
    let short = v["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(short.replace('-', ""), full[..16]);

    let page = d.read("cert.html");
    let cert_json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&cert).unwrap()).unwrap();
    let id = cert_json["certificate_id"].as_str().unwrap();
    for needle in [
        id,
        short.as_str(),
        "APP-PRINT-1",
        "院長 山田（ダミー）",
        "データ消去証明書",
        "Certificate of Data Deletion",
        "検証済み",
        "VERIFIED",
        "size: A4",
        "<svg",
        "2026-03-16",
    ] {
        assert!(page.contains(needle), "the page lacks {needle:?}");
    }
    // Free text is escaped, never markup.
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(page.contains("&lt;script&gt;"));
    // The page stands alone: nothing is fetched when it is opened.
    for remote in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(remote), "the page loads {remote:?}");
    }
}

#[test]
fn without_a_check_the_page_says_not_verified() {
    let d = Desk::new();
    let cert = certified(&d);
    ok(d.kura().args(["certificate", "render", "-o", "cert.html"]).arg(&cert));
    let page = d.read("cert.html");
    assert!(page.contains("未検証") && page.contains("NOT VERIFIED"), "{page}");
    assert!(!page.contains("検証済み"));
}

#[test]
fn an_altered_certificate_is_not_printed_and_nothing_is_overwritten() {
    let d = Desk::new();
    let cert = certified(&d);
    let original = std::fs::read_to_string(&cert).unwrap();
    std::fs::write(&cert, original.replacen("APP-PRINT-1", "APP-PRINT-2", 1)).unwrap();
    let (code, _, err) = run(d
        .kura()
        .args(["certificate", "render", "-o", "cert.html"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert));
    assert_eq!(code, 6, "{err}");
    assert!(err.contains("changed after it was signed"), "{err}");
    assert!(!d.path("cert.html").exists());

    // An existing page is kept unless --force.
    std::fs::write(&cert, &original).unwrap();
    d.write("cert.html", "kept");
    let (code, _, _) = run(d.kura().args(["certificate", "render", "-o", "cert.html"]).arg(&cert));
    assert_eq!(code, 9);
    assert_eq!(d.read("cert.html"), "kept");
    ok(d.kura()
        .args(["certificate", "render", "-o", "cert.html", "--force"])
        .arg(&cert));
    assert!(d.read("cert.html").contains("<html"));
}

/// Runs headless Chromium on `page` with `args` (the flags that keep it off
/// the network and out of the user's profile).
pub fn chromium(dir: &std::path::Path, args: &[&str], page: &std::path::Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .current_dir(dir)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium must be installed (Debian: apt-get install chromium fonts-noto-cjk)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// The share of dark pixels on a greyscale PGM (P5) image.
fn ink(pgm: &[u8]) -> f64 {
    // Header: "P5", width, height, maxval, each separated by white space.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let pixels = &pgm[i + 1..];
    pixels.iter().filter(|&&p| p < 128).count() as f64 / pixels.len() as f64
}

#[test]
fn the_page_renders_in_a_real_browser_on_a4() {
    let d = Desk::new();
    let cert = certified(&d);
    ok(d.kura()
        .args(["certificate", "render", "-o", "cert.html"])
        .args(["--signers", "allowed_signers", "--custody", "a.clinic.custody"])
        .arg(&cert));
    chromium(&d.cwd, &["--print-to-pdf=cert.pdf"], &d.path("cert.html"));

    let info = tool_ok("pdfinfo", [d.path("cert.pdf")]);
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("(A4)"), "not A4:\n{info}");

    let text = tool_ok("pdftotext", [d.path("cert.pdf").as_os_str(), "-".as_ref()]);
    let text = String::from_utf8_lossy(&text.stdout);
    let id = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&cert).unwrap()).unwrap()["certificate_id"]
        .as_str()
        .unwrap()
        .to_string();
    for needle in [
        id.as_str(),
        "データ消去証明書",
        "Certificate of Data Deletion",
        "VERIFIED",
        "APP-PRINT-1",
    ] {
        assert!(text.contains(needle), "the printed page lacks {needle:?}");
    }

    // The first page, as paper shows it: printed, not blank.
    tool_ok(
        "pdftoppm",
        [
            "-gray",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            d.path("cert.pdf").to_str().unwrap(),
            d.path("page").to_str().unwrap(),
        ],
    );
    let share = ink(&std::fs::read(d.path("page.pgm")).unwrap());
    assert!(share > 0.01 && share < 0.5, "page 1 looks blank or black: {share}");
}
