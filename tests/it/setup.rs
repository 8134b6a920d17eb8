//! The README's set-up works on a fresh clone: its two commands, and every
//! tool the tests start listed in the README and installed and checked by
//! `.ci/run`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The README section under `heading`, up to the next `## `.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme.find(heading).unwrap_or_else(|| panic!("README lacks {heading}"));
    let rest = &readme[start + heading.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The contents of the fenced code blocks of `text`, trimmed.
fn code_blocks(text: &str) -> Vec<String> {
    text.split("```")
        .skip(1)
        .step_by(2)
        .map(|b| b.trim().to_string())
        .collect()
}

/// The words of a bash array `NAME=(…)` in `.ci/run` (over several lines).
fn ci_array(name: &str) -> Vec<String> {
    let ci = read(".ci/run");
    let start = ci
        .find(&format!("\n{name}=("))
        .unwrap_or_else(|| panic!(".ci/run lacks {name}"));
    let rest = &ci[start + name.len() + 3..];
    rest[..rest.find(')').expect("closing parenthesis")]
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_sets_up_with_two_commands() {
    let readme = read("README.md");
    assert_eq!(
        code_blocks(section(&readme, "## Set up and try it")),
        ["cargo run --release -- demo", "cargo test --locked"]
    );
    assert!(code_blocks(section(&readme, "## Install")).contains(&"cargo install --locked --path .".to_string()));
}

#[test]
fn ci_installs_the_packages_the_readme_names() {
    let readme = read("README.md");
    let install = code_blocks(section(&readme, "## Install"))
        .into_iter()
        .find(|b| b.starts_with("apt-get install "))
        .expect("the README's apt-get command");
    let readme_packages: Vec<&str> = install.split_whitespace().skip(2).collect();
    assert_eq!(readme_packages, ci_array("PACKAGES"));
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// The programs test code starts by name: `Command::new("X")`,
/// `command("X")`, `tool("X", …)` and friends, in tests/ and in the unit
/// tests of src/ (what follows `#[cfg(test)]`); comments aside.
fn programs_started() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut files = rust_files(&root().join("tests"));
    files.extend(rust_files(&root().join("src")));
    for f in files {
        let text: String = std::fs::read_to_string(&f)
            .expect("readable")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let text = if f.starts_with(root().join("src")) {
            match text.find("#[cfg(test)]") {
                Some(at) => text[at..].to_string(),
                None => continue,
            }
        } else {
            text
        };
        for call in ["Command::new(", "command(", "tool(", "tool_ok(", "tool_text("] {
            for (at, _) in text.match_indices(call) {
                let before = text[..at].chars().next_back().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' {
                    continue; // another function, like find_subcommand(
                }
                let rest = text[at + call.len()..].trim_start();
                if let Some(quoted) = rest.strip_prefix('"') {
                    let name = &quoted[..quoted.find('"').expect("closing quote")];
                    if !name.is_empty() && !name.contains(' ') {
                        out.insert(name.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn every_program_the_tests_start_is_listed_and_checked() {
    let started = programs_started();
    for expected in ["age", "ssh-keygen", "script", "mount", "chromium"] {
        assert!(started.contains(expected), "the scan missed {expected}: {started:?}");
    }
    let readme = read("README.md");
    let table = section(&readme, "### What the tests need");
    let checked = ci_array("TOOLS");
    for program in &started {
        assert!(
            table.contains(&format!("`{program}`")),
            "the README's table of tools lacks `{program}`"
        );
        assert!(checked.contains(program), ".ci/run does not check for {program}");
    }
}
