//! Every public item of the library shows how it is used: its doc comment
//! holds an example that `cargo test --doc` runs.
//!
//! It reads `executor/**/*.rs` as text (not `collections/`, the hidden
//! `internals`, nor `#[cfg(test)]` modules). An item declared `pub fn`,
//! `pub async fn`, `pub const fn`, `pub unsafe fn`, `pub struct`, `pub enum`,
//! `pub union`, `pub type` or `pub trait` (plain `pub`, not `pub(crate)`)
//! needs, in the doc comment above it (`///` lines and `#[doc = ..]`
//! attributes; other attributes and plain `//` comments in between are
//! skipped), a fenced Rust block that runs: not `ignore`, `no_run`,
//! `compile_fail` or `text`. A function's block must name the function
//! (in any case, with or without underscores), so an example copied from a
//! neighbouring method does not count; a type's example may show it without
//! naming it (a `JoinHandle` comes from `spawn`). Items under `#[cfg(doctest)]` exist only to run other text as
//! doc tests and are skipped. That the example asserts something real is for
//! the reviewer; that it runs is `cargo test --doc`'s.

use std::path::{Path, PathBuf};

/// Directories of `executor/` whose public items are exempt: the data
/// structures behind `#[doc(hidden)] pub mod internals`.
const EXEMPT_DIRS: &[&str] = &["collections"];

/// A public item without an example: its line (1-based) and declaration.
#[derive(Debug, PartialEq)]
struct Missing {
    line: usize,
    declaration: String,
}

/// The public items of `source` whose doc comment has no runnable example
/// (naming them, for functions). `include` reads the file of a
/// `#[doc = include_str!(path)]`.
fn items_without_example(source: &str, include: &dyn Fn(&str) -> Option<String>) -> Vec<Missing> {
    let mut missing = Vec::new();
    // The doc text gathered for the next item.
    let mut doc: Vec<String> = Vec::new();
    // Attributes seen since the last item.
    let mut cfg_test = false;
    let mut cfg_doctest = false;
    // A `#[..]` that spans lines, gathered until its brackets close.
    let mut attribute: Option<String> = None;
    // Inside a `#[cfg(test)]` module: its brace depth.
    let mut skipping: Option<i64> = None;

    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(depth) = skipping.as_mut() {
            *depth += brace_balance(line);
            if *depth <= 0 {
                skipping = None;
            }
            continue;
        }
        if let Some(mut text) = attribute.take() {
            text.push('\n');
            text.push_str(trimmed);
            if bracket_balance(&text) > 0 {
                attribute = Some(text);
            } else {
                take_attribute(&text, &mut doc, &mut cfg_test, &mut cfg_doctest, include);
            }
            continue;
        }
        if let Some(text) = trimmed.strip_prefix("///") {
            if !text.starts_with('/') {
                doc.push(text.strip_prefix(' ').unwrap_or(text).to_string());
                continue;
            }
        }
        if trimmed.is_empty() || trimmed.starts_with("//") || trimmed.starts_with("#![") {
            continue; // blank lines, comments (ANCHOR markers) and inner attributes
        }
        if trimmed.starts_with("#[") {
            if bracket_balance(trimmed) > 0 {
                attribute = Some(trimmed.to_string());
            } else {
                take_attribute(trimmed, &mut doc, &mut cfg_test, &mut cfg_doctest, include);
            }
            continue;
        }
        // Code: an item, or a line inside one. The doc above belongs to it.
        if cfg_test && is_module(trimmed) && !trimmed.ends_with(';') {
            let depth = brace_balance(line);
            if depth > 0 {
                skipping = Some(depth);
            }
        } else if let Some((kind, name)) = public_item(trimmed) {
            let named = (kind == "fn").then_some(name.as_str());
            if !cfg_doctest && !has_example(&doc, named) {
                missing.push(Missing {
                    line: index + 1,
                    declaration: trimmed.trim_end_matches('{').trim_end().to_string(),
                });
            }
        }
        doc.clear();
        cfg_test = false;
        cfg_doctest = false;
    }
    missing
}

/// Notes what a complete attribute says: doc text, or a `cfg` to honour.
fn take_attribute(
    text: &str,
    doc: &mut Vec<String>,
    cfg_test: &mut bool,
    cfg_doctest: &mut bool,
    include: &dyn Fn(&str) -> Option<String>,
) {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.as_str() {
        "#[cfg(test)]" => *cfg_test = true,
        "#[cfg(doctest)]" => *cfg_doctest = true,
        _ if compact.starts_with("#[doc=") => {
            let value = &text[text.find('=').unwrap() + 1..];
            if let Some(path) = value
                .split_once("include_str!(\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(path, _)| path)
            {
                // Unreadable: no doc text, so the item is reported.
                if let Some(included) = include(path) {
                    doc.extend(included.lines().map(str::to_string));
                }
            } else if let Some((_, rest)) = value.split_once('"') {
                let literal = rest.rsplit_once('"').map_or(rest, |(inner, _)| inner);
                let unescaped = literal.replace("\\n", "\n").replace("\\\"", "\"");
                doc.extend(unescaped.lines().map(str::to_string));
            }
        }
        _ => {}
    }
}

/// The kind (`fn`, `struct`, ...) and name of the item a line declares, if
/// it is one this check covers.
fn public_item(line: &str) -> Option<(String, String)> {
    let mut rest = line.strip_prefix("pub ")?;
    loop {
        let before = rest;
        for qualifier in ["const ", "async ", "unsafe ", "extern \"C\" ", "extern "] {
            if let Some(after) = rest.strip_prefix(qualifier) {
                rest = after.trim_start();
            }
        }
        if rest == before {
            break;
        }
    }
    let (keyword, after) = rest.split_once(' ')?;
    if !["fn", "struct", "enum", "union", "type", "trait"].contains(&keyword) {
        return None;
    }
    let name: String = after
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then(|| (keyword.to_string(), name))
}

fn is_module(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.first() == Some(&"mod")
        || (words.first().is_some_and(|w| w.starts_with("pub")) && words.get(1) == Some(&"mod"))
}

/// Does `doc` hold a fenced Rust block that runs (and names `name`, if
/// given)? `name` may be written in any case, with or without underscores.
fn has_example(doc: &[String], name: Option<&str>) -> bool {
    let wanted = name.map(normalize);
    let mut block: Option<(bool, String)> = None; // (runs?, code)
    for line in doc {
        let trimmed = line.trim_start();
        let fence = ["```", "~~~"].iter().find(|f| trimmed.starts_with(**f));
        match (fence, block.take()) {
            (Some(fence), None) => {
                let info = trimmed.trim_start_matches(fence.chars().next().unwrap());
                block = Some((fence_runs(info), String::new()));
            }
            (Some(_), Some((runs, code))) => {
                let names_it = wanted.as_ref().is_none_or(|wanted| {
                    code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|word| normalize(word) == *wanted)
                });
                if runs && names_it {
                    return true;
                }
            }
            (None, Some((runs, mut code))) => {
                code.push_str(line);
                code.push('\n');
                block = Some((runs, code));
            }
            (None, None) => {}
        }
    }
    false
}

/// `spawn_named` and `SpawnNamed` are one name.
fn normalize(word: &str) -> String {
    word.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Does a fence with this info string (the text after the backticks) hold
/// Rust that `cargo test --doc` runs?
fn fence_runs(info: &str) -> bool {
    info.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .all(|token| token == "rust" || token == "should_panic" || token.starts_with("edition"))
}

/// `{` minus `}` on a line of code, outside strings, characters and comments.
fn brace_balance(line: &str) -> i64 {
    balance(line, '{', '}')
}

fn bracket_balance(text: &str) -> i64 {
    balance(text, '[', ']')
}

fn balance(text: &str, open: char, close: char) -> i64 {
    let mut depth = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                // A comment runs to the end of its line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                // A character literal ('{', '\n') or a lifetime ('a).
                let literal: String = chars.clone().take(3).collect();
                if literal.starts_with('\\') {
                    for c in chars.by_ref() {
                        if c == '\'' {
                            break;
                        }
                    }
                } else if literal.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
            }
            c if c == open => depth += 1,
            c if c == close => depth -= 1,
            _ => {}
        }
    }
    depth
}

fn executor_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("executor")
}

/// Every `.rs` file under `executor/` outside [`EXEMPT_DIRS`], sorted.
fn source_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = executor_dir();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            if !EXEMPT_DIRS.contains(&name.as_str()) {
                walk(&path, &mut files);
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[test]
fn every_public_item_has_a_doc_example_that_runs() {
    let files = source_files();
    assert!(
        files.len() > 20,
        "found only {} files under executor/: is the checker looking in the right place?",
        files.len()
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let dir = path.parent().unwrap().to_path_buf();
        let include = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
        checked += text
            .lines()
            .filter(|line| public_item(line.trim()).is_some())
            .count();
        let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        for Missing { line, declaration } in items_without_example(&text, &include) {
            problems.push(format!(
                "{}:{line}: `{declaration}` has no doc example: add a ``` block that runs \
                 (on `busy_chef::Executor::simulated()`), uses the item (by name, for a \
                 function) and asserts what it does",
                relative.display()
            ));
        }
    }
    assert!(
        checked > 40,
        "found only {checked} public items: is the checker reading the declarations?"
    );
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

// ----- the checker, checked on small samples ---------------------------------

fn check(source: &str) -> Vec<usize> {
    items_without_example(source, &|_| None)
        .into_iter()
        .map(|missing| missing.line)
        .collect()
}

#[test]
fn the_checker_reports_each_kind_of_public_item_without_an_example_by_line() {
    let source = "\
/// A function.
pub fn alpha() {}
/// A struct.
pub struct Beta;
pub enum Gamma { A }
/// A type.
pub type Delta = u8;
pub trait Epsilon {}
impl Beta {
    /// A method.
    pub async fn zeta(&self) {}
    pub const fn eta() {}
}
";
    assert_eq!(check(source), [2, 4, 5, 7, 8, 11, 12]);
    let found = items_without_example(source, &|_| None);
    assert_eq!(found[0].declaration, "pub fn alpha() {}");
}

#[test]
fn the_checker_accepts_an_example_above_attributes_and_comments() {
    let source = r#"
/// Sleeps.
///
/// ```
/// let s = sleep(1);
/// assert!(s > 0);
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
// ANCHOR: sleep
pub fn sleep(n: u8) -> u8 { n }
"#;
    assert_eq!(check(source), Vec::<usize>::new());
}

#[test]
fn the_checker_ignores_private_and_crate_visible_items() {
    let source = "\
fn a() {}
pub(crate) fn b() {}
pub(super) struct C;
pub(in crate::x) enum D {}
pub const E: u8 = 1;
pub use self::f::F;
pub mod g;
";
    assert_eq!(check(source), Vec::<usize>::new());
}

#[test]
fn the_checker_counts_only_fences_that_run_and_call_the_function() {
    let doc_then_fn = |fence: &str, code: &str| {
        format!("/// Doc.\n///\n/// {fence}\n/// {code}\n/// ```\npub fn deadline() {{}}\n")
    };
    let code = "assert_eq!(deadline(), ());";
    for fence in ["```", "```rust", "```should_panic", "```rust,edition2021"] {
        assert_eq!(
            check(&doc_then_fn(fence, code)),
            Vec::<usize>::new(),
            "{fence}"
        );
    }
    for fence in [
        "```text",
        "```ignore",
        "```no_run",
        "```compile_fail",
        "```rust,ignore",
    ] {
        assert_eq!(check(&doc_then_fn(fence, code)), [6], "{fence}");
    }
    assert_eq!(
        check(&doc_then_fn("```", "assert_eq!(reset(), ());")),
        [6],
        "an example that never names the item"
    );
    assert_eq!(
        check(&doc_then_fn("```", "let d = deadline_of(1);")),
        [6],
        "a longer word that contains the name is not the name"
    );
    let type_shown_by_its_maker =
        "/// ```\n/// let h = spawn(f);\n/// ```\npub struct JoinHandle;\n";
    assert_eq!(
        check(type_shown_by_its_maker),
        Vec::<usize>::new(),
        "a type's example need not name it"
    );
}

#[test]
fn the_checker_gives_each_doc_comment_to_the_next_item_only() {
    let source = "\
/// ```
/// alpha();
/// ```
pub fn alpha() {}

pub fn beta() {}
";
    assert_eq!(check(source), [6]);
}

#[test]
fn the_checker_skips_cfg_test_modules_and_cfg_doctest_items() {
    let source = "\
#[cfg(test)]
mod tests {
    pub fn helper() { let c = '{'; let s = \"}}\"; }
    pub struct Fixture;
}
pub fn after() {}
/// Runs the README.
#[cfg(doctest)]
pub struct ReadmeDoctests;
";
    assert_eq!(check(source), [6], "the module ends where its braces close");
}

#[test]
fn the_checker_reads_doc_attributes_and_included_files() {
    let include = |path: &str| {
        (path == "../README.md")
            .then(|| "# Title\n```\nlet x = Included::new();\n```\n".to_string())
    };
    let source = "\
#[doc = include_str!(\"../README.md\")]
pub struct Included;
#[doc = include_str!(\"../MISSING.md\")]
pub struct NotFound;
#[doc = \"```\\nassert!(literal());\\n```\"]
pub fn literal() {}
#[doc(hidden)]
#[cfg_attr(
    docsrs,
    doc(cfg(feature = \"x\"))
)]
pub fn spans_lines() {}
";
    let lines: Vec<usize> = items_without_example(source, &include)
        .into_iter()
        .map(|missing| missing.line)
        .collect();
    assert_eq!(lines, [4, 12]);
}
