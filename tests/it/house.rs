//! The shape of the house (docs/ARCHITECTURE.md), checked on the source:
//! the library cannot see the command line, its top-level modules depend on
//! each other without a cycle, the vault knows nothing of the custody log,
//! and no function of the vault pipelines outgrows a screen.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("src readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The library's top-level module a file belongs to (`vault` for
/// `src/vault/open.rs`), or `None` for the binary's files.
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    match name.as_str() {
        "main" | "cli" | "lib" => None,
        _ => Some(name),
    }
}

/// The top-level modules a file names through `crate::` (also inside
/// grouped imports: `use crate::{vault, keys::X}`).
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// module → the other top-level modules it uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in rust_files(&src()) {
        let Some(m) = module_of(&f) else { continue };
        let text = std::fs::read_to_string(&f).expect("readable");
        let refs = crate_refs(&text);
        let entry = g.entry(m.clone()).or_default();
        // Root re-exports (`crate::Error`, `crate::Result`) are the error module's.
        for r in refs {
            let r = match r.as_str() {
                "Error" | "Kind" | "Result" => "error".to_string(),
                _ => r,
            };
            if r != m {
                entry.insert(r);
            }
        }
    }
    g
}

#[test]
fn the_library_cannot_see_the_command_line() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    assert!(!lib
        .lines()
        .any(|l| l.trim_start().starts_with("pub mod cli") || l.trim_start().starts_with("mod cli")));
    for f in rust_files(&src()) {
        if module_of(&f).is_none() {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !crate_refs(&text).contains("cli"),
            "{} refers to the command line",
            f.display()
        );
    }
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let g = graph();
    // Depth-first search for a back edge, reporting the cycle it closes.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}\n{g:#?}", cycle.join(" → "));
        }
    }
    assert!(g.len() > 10, "the modules were found: {g:?}");
}

#[test]
fn the_vault_knows_nothing_of_custody_or_the_operations_above_it() {
    let g = graph();
    let vault = &g["vault"];
    for above in ["custody", "custodian", "certificate", "ledger", "incident"] {
        assert!(!vault.contains(above), "vault uses {above}: {vault:?}");
    }
    for m in ["naming", "units", "i18n", "clock", "fault"] {
        assert!(g[m].is_empty(), "{m} is a leaf, yet uses {:?}", g[m]);
    }
    let custody = &g["custody"];
    assert!(
        !custody.contains("custodian") && !custody.contains("certificate"),
        "{custody:?}"
    );
}

#[test]
fn no_function_of_the_vault_is_longer_than_a_screen() {
    const MAX: usize = 120;
    let mut long = Vec::new();
    for f in rust_files(&src().join("vault")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "pub(super) fn "]
                .iter()
                .any(|p| t.starts_with(p));
            if !is_fn || t.ends_with(';') {
                continue;
            }
            // The body ends at the first `}` indented like the signature
            // (the source is rustfmt-formatted).
            let close = format!("{}}}", &l[..l.len() - t.len()]);
            let end = lines[i + 1..]
                .iter()
                .position(|x| *x == close)
                .map_or(lines.len(), |n| i + 1 + n);
            if end + 1 - i > MAX {
                long.push(format!("{}:{} ({} lines)", f.display(), i + 1, end + 1 - i));
            }
        }
    }
    assert!(long.is_empty(), "functions longer than {MAX} lines: {long:?}");
}

/// Every path kura resolves goes through `fsutil::canonicalize`, which on
/// Windows gives it in its plain form (`C:\Users\…`, never `\\?\C:\…`):
/// such paths are recorded in custody logs and certificates, and compared.
/// The Linux medium probe, which never runs on Windows, may resolve its own.
#[test]
fn paths_are_resolved_in_one_place() {
    let mut found = Vec::new();
    for f in rust_files(&src()) {
        let rel = f.strip_prefix(src()).unwrap().to_string_lossy().replace('\\', "/");
        if rel == "fsutil.rs" || rel == "guard/linux.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, l) in text.lines().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            if code.contains("fs::canonicalize(") || code.contains(".canonicalize()") {
                found.push(format!("{rel}:{}", i + 1));
            }
        }
    }
    assert!(found.is_empty(), "use kura::fsutil::canonicalize instead: {found:?}");
}
