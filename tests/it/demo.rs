//! `kura demo`: the README's first command runs the whole flow end to end.

use crate::common::{json, kura, ok, run};

#[test]
fn the_demo_runs_the_whole_flow_and_leaves_only_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = ok(kura().arg("demo").arg("--keep").arg(&dir));
    let text = String::from_utf8_lossy(&out.stdout);
    for step in [
        "$ kura keygen",
        "$ kura pack",
        "$ kura inspect",
        "$ kura custody add",
        "$ kura ledger add",
        "$ kura verify",
        "$ kura extract",
        "$ kura certify",
        "$ kura certificate verify",
        "$ kura ledger close",
        "$ kura certificate render",
    ] {
        assert!(text.contains(step), "the demo lacks {step:?}:\n{text}");
    }
    assert!(text.contains("This certificate is valid"), "{text}");
    // The vault and the extracted copy are destroyed; the evidence stays.
    assert!(!dir.join("export.kura").exists());
    assert!(!dir.join("work").exists());
    for kept in [
        "export.kura.custody",
        "certificate.json",
        "certificate.json.sig",
        "certificate.html",
        "ledger.sqlite",
    ] {
        assert!(dir.join(kept).exists(), "{kept} missing");
    }
}

#[test]
fn under_json_the_demo_prints_one_document() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(kura().args(["demo", "--json", "--keep"]).arg(tmp.path().join("d")));
    let v = json(&out);
    assert_eq!(v["ok"], true);
    assert!(v["steps"].as_u64().unwrap() >= 14, "{v}");
    let (code, stdout, _) = run(kura()
        .args(["--lang", "ja", "demo", "--quiet", "--keep"])
        .arg(tmp.path().join("q")));
    assert_eq!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
}
