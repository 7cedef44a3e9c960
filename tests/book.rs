//! The book (`book/`) is kept honest by these tests.
//!
//! * [`book_builds_with_mdbook`]: `mdbook build` succeeds and prints no error
//!   and no warning (a broken `{{#include}}`, a chapter missing on disk, ...).
//!   Without the `mdbook` binary the test is skipped with a note, **unless the
//!   `CI` environment variable is set**: then it fails, so CI never skips it.
//! * [`rust_blocks_come_from_compiled_files`]: every ```` ```rust ```` block in
//!   `book/src` consists only of `{{#include ...}}` / `{{#rustdoc_include ...}}`
//!   lines that point into files cargo compiles, or is a marked exception.
//!   **The exception marker** is two things together:
//!
//!   ````text
//!   <!-- not-compiled: why this snippet cannot be a compiled file -->
//!   ```rust,ignore
//!   ...
//!   ```
//!   ````
//!
//!   the HTML comment (with a non-empty reason) on the line right above the
//!   fence, and `ignore` in the info string, so that `mdbook test` does not
//!   try to compile it either. A fence with no language counts as Rust (so
//!   rustdoc and `mdbook test` treat it): write ```` ```text ```` for output
//!   and diagrams.
//! * [`includes_and_anchors_exist`]: every `{{#include}}` target exists, and
//!   so does every `// ANCHOR: name` / `// ANCHOR_END: name` pair it names
//!   (mdbook silently includes nothing for a missing anchor). Line-number
//!   ranges are refused: they go stale without anyone noticing.
//! * [`internal_links_resolve`]: every relative link (`](x.md)`,
//!   `](x.md#heading)`, `](code/executor/lib.rs)`, `](#heading)`) points at
//!   a file that exists, and a `#fragment` into a chapter at one of its
//!   headings. No link may leave `book/src`: a served book has nothing
//!   outside its own folder, so such a link would 404 in the browser. Files
//!   of the repository are linked through `book/src/code/`, whose entries
//!   are symbolic links to the repository's folders (`code/executor` →
//!   `executor/`, `code/book/gdb` → `book/gdb/`, ...): mdbook copies what
//!   they point at into the built book, so `code/executor/lib.rs` works in
//!   the source tree, in `mdbook serve` and in the built folder alike.
//! * [`book_builds_with_mdbook`] also reads the built HTML: every relative
//!   `href` and `src` of every page must name a file of the build (and a
//!   `#fragment`, an `id` in that page). That is what a reader clicks.
//! * The `generated_*` tests run the examples the book shows and compare what
//!   they print with `book/src/generated/*.txt`, which the chapters include.
//!   `BUSY_CHEF_BLESS=1 cargo test --test book` rewrites those files.
//!
//! The checks that read Markdown understand the subset the book uses: fenced
//! code blocks (```` ``` ```` or `~~~`), inline links and reference
//! definitions. A `\{{#include ...}}` (escaped, shown literally by mdbook) is
//! not an include.

mod book_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use book_support::{check_or_bless, example_binary, root, run_example};

// ---------------------------------------------------------------------------
// Reading the book's Markdown
// ---------------------------------------------------------------------------

fn book_src() -> PathBuf {
    root().join("book").join("src")
}

/// Every `.md` file under `book/src`, sorted.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            // `code/` holds links to the repository's folders for the built
            // book (see the module docs), not chapters.
            if path == book_src().join("code") {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&book_src(), &mut files);
    assert!(
        files.iter().any(|f| f.ends_with("SUMMARY.md")),
        "book/src/SUMMARY.md is missing"
    );
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced code block: where it starts, its info string, its lines, and the
/// last non-blank line above the opening fence.
struct CodeBlock {
    line: usize,
    info: String,
    body: Vec<String>,
    line_above: String,
}

impl CodeBlock {
    /// The language: the first word of the info string (`rust,ignore` → `rust`).
    fn language(&self) -> &str {
        self.info
            .split(|c: char| c == ',' || c.is_whitespace())
            .next()
            .unwrap_or("")
    }

    fn has_attribute(&self, attribute: &str) -> bool {
        self.info
            .split(|c: char| c == ',' || c.is_whitespace())
            .skip(1)
            .any(|a| a == attribute)
    }
}

/// Splits a chapter into fenced code blocks and the prose lines outside them
/// (with their 1-based line numbers).
fn parse_markdown(text: &str) -> (Vec<CodeBlock>, Vec<(usize, &str)>) {
    let mut blocks = Vec::new();
    let mut prose = Vec::new();
    let mut open: Option<(String, CodeBlock)> = None; // (closing fence, block)
    let mut line_above = String::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        match &mut open {
            Some((fence, block)) => {
                let is_close = trimmed.starts_with(fence.as_str())
                    && trimmed
                        .trim_end()
                        .chars()
                        .all(|c| c == fence.as_bytes()[0] as char);
                if is_close {
                    let (_, block) = open.take().unwrap();
                    blocks.push(block);
                    line_above.clear();
                } else {
                    block.body.push(line.to_string());
                }
            }
            None => {
                let fence_char = trimmed.chars().next();
                if matches!(fence_char, Some('`') | Some('~')) {
                    let c = fence_char.unwrap();
                    let run = trimmed.chars().take_while(|&x| x == c).count();
                    if run >= 3 {
                        let fence: String = std::iter::repeat_n(c, run).collect();
                        let info = trimmed[run..].trim().to_string();
                        let block = CodeBlock {
                            line: number,
                            info,
                            body: Vec::new(),
                            line_above: line_above.clone(),
                        };
                        open = Some((fence, block));
                        continue;
                    }
                }
                prose.push((number, line));
                if !line.trim().is_empty() {
                    line_above = line.trim().to_string();
                }
            }
        }
    }
    if let Some((_, block)) = open {
        panic!("a code block opened at line {} is never closed", block.line);
    }
    (blocks, prose)
}

/// An mdbook link directive found in a chapter: `{{#include path:anchor}}`.
struct Directive {
    line: usize,
    kind: String,
    path: String,
    /// Everything after the first `:` (an anchor name or a line range).
    selector: Option<String>,
}

/// Finds the `{{#include ...}}` and `{{#rustdoc_include ...}}` directives on
/// a line, skipping escaped ones (`\{{#include ...}}`).
fn directives_in(line: &str, number: usize) -> Vec<Directive> {
    let mut found = Vec::new();
    let mut rest = line;
    let mut offset = 0;
    while let Some(start) = rest.find("{{#") {
        let absolute = offset + start;
        let escaped = absolute > 0 && line.as_bytes()[absolute - 1] == b'\\';
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if !escaped {
            let mut words = inner.splitn(2, char::is_whitespace);
            let kind = words.next().unwrap_or("").to_string();
            let argument = words.next().unwrap_or("").trim();
            if kind == "include" || kind == "rustdoc_include" {
                let (path, selector) = match argument.split_once(':') {
                    Some((p, s)) => (p.to_string(), Some(s.to_string())),
                    None => (argument.to_string(), None),
                };
                found.push(Directive {
                    line: number,
                    kind,
                    path,
                    selector,
                });
            }
        }
        let consumed = start + 3 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    found
}

// ---------------------------------------------------------------------------
// Building the book
// ---------------------------------------------------------------------------

/// The `mdbook` binary: `$MDBOOK`, then `PATH`, then `~/.cargo/bin`.
fn find_mdbook() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("MDBOOK") {
        return Some(PathBuf::from(explicit));
    }
    let name = if cfg!(windows) {
        "mdbook.exe"
    } else {
        "mdbook"
    };
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|d| d.join(name)).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(home).join("bin").join(name));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo").join("bin").join(name));
    }
    candidates.into_iter().find(|c| c.is_file())
}

#[test]
fn book_builds_with_mdbook() {
    let Some(mdbook) = find_mdbook() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but `mdbook` was not found (PATH, ~/.cargo/bin, $MDBOOK): \
                 the book must be built in CI. Install it with \
                 `cargo install mdbook --locked`."
            );
        }
        eprintln!(
            "note: SKIPPED building the book: `mdbook` is not installed. Install it with \
             `cargo install mdbook --locked` \
             (in CI, where `CI` is set, this test fails instead of skipping)."
        );
        return;
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("book-{}", std::process::id()));
    let output = Command::new(&mdbook)
        .arg("build")
        .arg(root().join("book"))
        .arg("-d")
        .arg(&out)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", mdbook.display()));
    let broken = if output.status.success() {
        built_link_problems(&out)
    } else {
        Vec::new()
    };
    let _ = std::fs::remove_dir_all(&out);
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "mdbook build failed ({}):\n{log}",
        output.status
    );
    // mdbook reports a broken include as an ERROR line and still exits 0.
    let complaints: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .collect();
    assert!(
        complaints.is_empty(),
        "mdbook build printed errors or warnings:\n{}",
        complaints.join("\n")
    );
    assert!(
        broken.is_empty(),
        "the built book has links that lead nowhere (what a reader would click):\n{}",
        broken.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Links in the built HTML
// ---------------------------------------------------------------------------

/// Every relative `href` and `src` in the built book's pages that does not
/// lead to a file of the build, or to an `id` in the page it names. One
/// message per broken link.
fn built_link_problems(out: &Path) -> Vec<String> {
    fn pages(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            if entry.is_dir() {
                pages(&entry, found);
            } else if entry.extension().is_some_and(|e| e == "html") {
                found.push(entry);
            }
        }
    }
    let mut found = Vec::new();
    pages(out, &mut found);
    found.sort();
    let mut problems = Vec::new();
    let mut count = 0;
    for page in &found {
        let html = std::fs::read_to_string(page).unwrap();
        let name = page.strip_prefix(out).unwrap().display().to_string();
        // mdbook's 404 page says `<base href="/">`: its links start at the
        // root of the book, wherever it is shown.
        let base = match html_attributes(&html, "base", "href").first() {
            Some(base) if base.starts_with('/') => out.to_path_buf(),
            _ => page.parent().unwrap().to_path_buf(),
        };
        for target in html_link_targets(&html) {
            let external = target.contains("://")
                || target.starts_with("//")
                || ["mailto:", "javascript:", "data:", "tel:"]
                    .iter()
                    .any(|s| target.starts_with(s));
            if external || target.is_empty() {
                continue;
            }
            count += 1;
            let (path, fragment) = match target.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (target.as_str(), None),
            };
            let path = path.split('?').next().unwrap();
            let destination = if path.is_empty() {
                page.clone()
            } else if let Some(rooted) = path.strip_prefix('/') {
                out.join(rooted)
            } else {
                base.join(path)
            };
            let Some(destination) = normalize_within(out, &destination) else {
                problems.push(format!("{name}: `{target}` leads out of the book"));
                continue;
            };
            let destination = if destination.is_dir() {
                destination.join("index.html")
            } else {
                destination
            };
            if !destination.is_file() {
                problems.push(format!("{name}: `{target}`: no such file in the build"));
                continue;
            }
            let Some(fragment) = fragment.filter(|f| !f.is_empty()) else {
                continue;
            };
            if destination.extension().is_some_and(|e| e == "html") {
                let text = std::fs::read_to_string(&destination).unwrap();
                let ids = html_attributes(&text, "", "id");
                if !ids.iter().any(|id| id == fragment) {
                    problems.push(format!(
                        "{name}: `{target}`: no element with id `{fragment}`"
                    ));
                }
            }
        }
    }
    if count == 0 {
        problems.push("found no links at all in the built book: is the reader broken?".into());
    }
    problems
}

/// `path` with its `.` and `..` steps resolved lexically (the way a browser
/// resolves a URL, not through symbolic links); `None` if it leaves `root`.
fn normalize_within(root: &Path, path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let inside = path.strip_prefix(root).ok()?;
    let mut kept: Vec<&std::ffi::OsStr> = Vec::new();
    for part in inside.components() {
        match part {
            Component::Normal(name) => kept.push(name),
            Component::CurDir => {}
            Component::ParentDir => {
                kept.pop()?;
            }
            _ => return None,
        }
    }
    Some(kept.iter().fold(root.to_path_buf(), |p, name| p.join(name)))
}

/// The values of `href` and `src` attributes in `html`, `&amp;`-decoded.
fn html_link_targets(html: &str) -> Vec<String> {
    let mut targets = html_attributes(html, "", "href");
    targets.extend(html_attributes(html, "", "src"));
    targets
}

/// The values of attribute `attribute` (written `name="value"`) in the tags
/// named `tag` (any tag if `tag` is empty).
fn html_attributes(html: &str, tag: &str, attribute: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let element = &rest[..close];
        rest = &rest[close..];
        let name: String = element
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() || (!tag.is_empty() && !name.eq_ignore_ascii_case(tag)) {
            continue;
        }
        let needle = format!(" {attribute}=\"");
        let mut attributes = element;
        while let Some(at) = attributes
            .find(&needle)
            .or_else(|| attributes.find(&needle.replacen(' ', "\n", 1)))
        {
            let value = &attributes[at + needle.len()..];
            let Some(end) = value.find('"') else { break };
            values.push(value[..end].replace("&amp;", "&"));
            attributes = &value[end..];
        }
    }
    values
}

#[test]
fn the_built_link_check_catches_what_it_should() {
    let site =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("link-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&site);
    std::fs::create_dir_all(site.join("code/executor")).unwrap();
    std::fs::write(site.join("code/executor/lib.rs"), "").unwrap();
    std::fs::write(site.join("b.html"), "<h2 id=\"there\">There</h2>").unwrap();
    let check = |page: &str| {
        std::fs::write(site.join("a.html"), page).unwrap();
        built_link_problems(&site)
            .into_iter()
            .filter(|p| p.starts_with("a.html"))
            .count()
    };
    let fine = "<a href=\"b.html#there\">b</a> <a href=\"code/executor/lib.rs\">x</a> \
                <img src=\"b.html\"> <a href=\"https://example.com/x\">e</a> \
                <a id=\"here\" href=\"#here\">h</a>";
    assert_eq!(check(fine), 0);
    assert_eq!(check("<a href=\"c.html\">missing page</a>"), 1);
    assert_eq!(check("<a href=\"b.html#nowhere\">missing id</a>"), 1);
    assert_eq!(check("<a href=\"#nowhere\">missing id here</a>"), 1);
    assert_eq!(check("<img src=\"generated/x.svg\">"), 1);
    // The old way to link the repository's files: out of the book.
    assert_eq!(check("<a href=\"../../executor/lib.rs\">up</a>"), 1);
    let _ = std::fs::remove_dir_all(&site);
}

// ---------------------------------------------------------------------------
// Rust code must come from compiled files
// ---------------------------------------------------------------------------

const EXCEPTION_MARKER: &str = "<!-- not-compiled:";

#[test]
fn rust_blocks_come_from_compiled_files() {
    let mut problems = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        problems.extend(rust_block_problems(&file, &text));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The Rust blocks of one chapter (`file`, with contents `text`) that break
/// the rule: one message per offending block.
fn rust_block_problems(file: &Path, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let (blocks, _) = parse_markdown(text);
    for block in blocks {
        // No language at all: rustdoc (and `mdbook test`) take it as Rust.
        if !matches!(block.language(), "rust" | "rs" | "") {
            continue;
        }
        let where_ = format!("{}:{}", relative(file), block.line);
        let only_includes = block.body.iter().all(|line| {
            let line = line.trim();
            line.is_empty()
                || ((line.starts_with("{{#include ") || line.starts_with("{{#rustdoc_include "))
                    && line.ends_with("}}"))
        }) && block.body.iter().any(|l| !l.trim().is_empty());
        if only_includes {
            for directive in block.body.iter().flat_map(|l| directives_in(l, block.line)) {
                if !compiled_by_cargo(file, &directive.path) {
                    problems.push(format!(
                        "{where_}: a rust block includes `{}`, which is not a file \
                             cargo compiles (examples/, executor/, tests/, benches/, src/)",
                        directive.path
                    ));
                }
            }
            continue;
        }
        let marked = block.line_above.starts_with(EXCEPTION_MARKER)
            && block.line_above.ends_with("-->")
            && !block.line_above[EXCEPTION_MARKER.len()..block.line_above.len() - 3]
                .trim()
                .is_empty();
        if !(marked && block.has_attribute("ignore")) {
            problems.push(format!(
                "{where_}: a ```{} block is written inline (a block with no language \
                     counts as Rust; use ```text for output and diagrams). Put the code in a \
                     file cargo compiles and use {{{{#include ../../path.rs:anchor}}}}, or mark \
                     a deliberate exception with `<!-- not-compiled: reason -->` on the line \
                     above and `rust,ignore` as the info string.",
                block.info
            ));
        }
    }
    problems
}

#[test]
fn the_rust_block_rule_catches_what_it_should() {
    let chapter = book_src().join("some-chapter.md");
    let check = |text: &str| rust_block_problems(&chapter, text).len();
    let include = "```rust\n{{#include ../../examples/chef.rs:dishes}}\n```\n";
    assert_eq!(check(include), 0);
    let rustdoc_include = "```rust\n{{#rustdoc_include ../../examples/chef.rs:dishes}}\n```\n";
    assert_eq!(check(rustdoc_include), 0);
    assert_eq!(check("```text\nfn main() {}\n```\n"), 0);
    let marked = "<!-- not-compiled: shows an error -->\n```rust,ignore\nfn f(\n```\n";
    assert_eq!(check(marked), 0);
    // Inline Rust, with or without a language, with half a marker, with an
    // empty reason, or mixed with an include: all refused.
    assert_eq!(check("```rust\nfn main() {}\n```\n"), 1);
    assert_eq!(check("```\nfn main() {}\n```\n"), 1);
    assert_eq!(check("```rust,ignore\nfn main() {}\n```\n"), 1);
    assert_eq!(
        check("<!-- not-compiled: why -->\n```rust\nfn f() {}\n```\n"),
        1
    );
    assert_eq!(
        check("<!-- not-compiled: -->\n```rust,ignore\nfn f() {}\n```\n"),
        1
    );
    let mixed = "```rust\n{{#include ../../examples/chef.rs:dishes}}\nfn f() {}\n```\n";
    assert_eq!(check(mixed), 1);
    assert_eq!(check("```rust\n\n```\n"), 1);
    // An include of something cargo does not build is not compiled code.
    assert_eq!(check("```rust\n{{#include generated/chef.txt}}\n```\n"), 1);
}

/// Does `target` (as written in `chapter`) name a Rust file that cargo builds?
fn compiled_by_cargo(chapter: &Path, target: &str) -> bool {
    let Ok(path) = chapter.parent().unwrap().join(target).canonicalize() else {
        return false; // reported by `includes_and_anchors_exist`
    };
    let Ok(inside) = path.strip_prefix(root().canonicalize().unwrap()) else {
        return false;
    };
    let top = inside.components().next().map(|c| c.as_os_str().to_owned());
    path.extension().is_some_and(|e| e == "rs")
        && top.is_some_and(|t| {
            ["examples", "executor", "tests", "benches", "src"]
                .iter()
                .any(|d| t == *d)
        })
}

// ---------------------------------------------------------------------------
// Includes and anchors
// ---------------------------------------------------------------------------

#[test]
fn includes_and_anchors_exist() {
    let mut problems = Vec::new();
    let mut count = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (index, line) in text.lines().enumerate() {
            for directive in directives_in(line, index + 1) {
                count += 1;
                let where_ = format!("{}:{}", relative(&file), directive.line);
                let target = file.parent().unwrap().join(&directive.path);
                let Ok(contents) = std::fs::read_to_string(&target) else {
                    problems.push(format!(
                        "{where_}: {{{{#{} {}}}}}: no such file ({})",
                        directive.kind,
                        directive.path,
                        target.display()
                    ));
                    continue;
                };
                let Some(selector) = directive.selector else {
                    continue;
                };
                if selector.chars().all(|c| c.is_ascii_digit() || c == ':') {
                    problems.push(format!(
                        "{where_}: includes lines `{selector}` of {}: use an \
                         `// ANCHOR: name` marker instead (line numbers go stale)",
                        directive.path
                    ));
                    continue;
                }
                if !has_anchor(&contents, &selector) {
                    problems.push(format!(
                        "{where_}: {} has no `ANCHOR: {selector}` ... `ANCHOR_END: {selector}` \
                         pair (mdbook would silently include nothing)",
                        directive.path
                    ));
                } else if directive.path.contains("executor/") {
                    if let Some(line) = benchmark_commentary(&anchored(&contents, &selector)) {
                        problems.push(format!(
                            "{where_}: the code included from {}:{selector} carries benchmark \
                             commentary ({line:?}): numbers and history belong in the \
                             appendix *Making it fast*, not in the code a chapter teaches",
                            directive.path
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    assert!(count > 0, "found no includes at all: is the parser broken?");
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name` (the first pair).
fn anchored(contents: &str, name: &str) -> String {
    let is_marker = |line: &str, word: &str| {
        line.split_once(word)
            .is_some_and(|(_, rest)| rest.trim() == name)
    };
    contents
        .lines()
        .skip_while(|l| !is_marker(l, "ANCHOR:"))
        .skip(1)
        .take_while(|l| !is_marker(l, "ANCHOR_END:"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line of `code` that reads like a benchmark diary: a measured
/// time or percentage, an instruction count, a profiler, a race between
/// runtimes.
fn benchmark_commentary(code: &str) -> Option<String> {
    const WORDS: [&str; 9] = [
        "callgrind",
        "instructions",
        "benchmark",
        "bench/",
        "faster than",
        "slower than",
        "nanosecond",
        "used to ",
        "store-forwarding",
    ];
    code.lines()
        .find(|line| {
            let lower = line.to_lowercase();
            let timed = lower
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| {
                    w[0].trim_end_matches(['.', ','])
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.')
                        && !w[0].is_empty()
                        && ["ns", "µs", "ns,", "ns.", "ns)", "cycles"].contains(&w[1])
                });
            let percent = lower
                .split(|c: char| !(c.is_ascii_digit() || c == '%'))
                .any(|w| w.len() > 1 && w.ends_with('%'));
            timed || percent || WORDS.iter().any(|w| lower.contains(w))
        })
        .map(|line| line.trim().to_string())
}

#[test]
fn the_benchmark_commentary_check_catches_what_it_should() {
    let clean = "/// A borrowed waker: no reference count changes per poll.\nfn f() {}";
    assert_eq!(benchmark_commentary(clean), None);
    assert!(benchmark_commentary("// This costs 6 ns per spawn.").is_some());
    assert!(benchmark_commentary("// 12% of the time goes here").is_some());
    assert!(benchmark_commentary("// 781 instructions per hop").is_some());
    assert!(benchmark_commentary("// It used to wait for the clock").is_some());
    assert!(benchmark_commentary("let x = a % b; // remainder").is_none());
    let code = "a\n// ANCHOR: x\nb\n// ANCHOR_END: x\nc";
    assert_eq!(anchored(code, "x"), "b");
}

/// Is there an `ANCHOR: name` line followed by an `ANCHOR_END: name` line?
/// (The same rule as mdbook's: the name follows the colon, after spaces.)
fn has_anchor(contents: &str, name: &str) -> bool {
    let marker = |line: &str, word: &str| {
        line.split_once(word).is_some_and(|(_, rest)| {
            let rest = rest.trim_start();
            rest.starts_with(name)
                && !rest[name.len()..]
                    .starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
        })
    };
    let mut lines = contents.lines();
    lines.any(|l| marker(l, "ANCHOR:")) && lines.any(|l| marker(l, "ANCHOR_END:"))
}

// ---------------------------------------------------------------------------
// Each core file and its chapter point at each other
// ---------------------------------------------------------------------------

/// The chapters of `SUMMARY.md`: (title as written, file name).
fn summary_chapters() -> Vec<(String, String)> {
    let summary = std::fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    summary
        .lines()
        .filter_map(|line| {
            let line = line.trim_start().trim_start_matches("- ");
            let title = line.strip_prefix('[')?;
            let (title, rest) = title.split_once("](")?;
            let file = rest.split(')').next()?;
            Some((title.to_string(), file.to_string()))
        })
        .collect()
}

/// The chapter titles a module doc names in its "Book chapter(s):"
/// paragraph (titles are in `*italics*`).
fn chapters_named_in(source: &str) -> Vec<String> {
    let doc: Vec<&str> = source
        .lines()
        .take_while(|l| l.starts_with("//!"))
        .map(|l| l.trim_start_matches("//!").trim())
        .collect();
    let Some(start) = doc.iter().position(|l| l.starts_with("Book chapter")) else {
        return Vec::new();
    };
    let paragraph = doc[start..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    paragraph
        .split('*')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every executor file whose module doc names a chapter is linked from that
/// chapter (`code/executor/...`), and every chapter that includes code from
/// an executor file links to that file: a reader can go from either to the
/// other.
#[test]
fn core_files_and_their_chapters_point_at_each_other() {
    let chapters = summary_chapters();
    let chapter_text = |file: &str| std::fs::read_to_string(book_src().join(file)).unwrap();
    let links_to = |text: &str, file: &str| {
        text.contains(&format!("](code/{file})")) || text.contains(&format!("](code/{file}#"))
    };
    let mut problems = Vec::new();

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for path in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(&root().join("executor"), &mut files);
    files.sort();
    let mut named = 0;
    for path in &files {
        let file = relative(path);
        let source = std::fs::read_to_string(path).unwrap();
        for title in chapters_named_in(&source) {
            named += 1;
            let Some((_, chapter)) = chapters.iter().find(|(t, _)| *t == title) else {
                problems.push(format!(
                    "{file} names the chapter *{title}*, which SUMMARY.md lacks"
                ));
                continue;
            };
            if !links_to(&chapter_text(chapter), &file) {
                problems.push(format!(
                    "{file} names the chapter *{title}* ({chapter}), which does not link \
                     back to it: add [`{file}`](code/{file}) to the chapter"
                ));
            }
        }
    }
    assert!(
        named > 20,
        "found only {named} chapter names in executor/: is the reader broken?"
    );

    for chapter in markdown_files() {
        let text = std::fs::read_to_string(&chapter).unwrap();
        let name = relative(&chapter);
        for (index, line) in text.lines().enumerate() {
            for directive in directives_in(line, index + 1) {
                let Some(file) = directive.path.strip_prefix("../../") else {
                    continue;
                };
                if file.starts_with("executor/") && !links_to(&text, file) {
                    problems.push(format!(
                        "{name}:{}: includes code from {file} but never links to it",
                        directive.line
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_chapter_names_in_module_docs_are_read_as_they_should() {
    let source = "//! Title.\n//!\n//! Book chapters: *Tasks and the waker queue* (`x`), and the\n\
                  //! appendix *Making it\n//! fast* (`y`).\n//!\n//! Not *this*.\nuse a;\n";
    assert_eq!(
        chapters_named_in(source),
        ["Tasks and the waker queue", "Making it fast"]
    );
    assert!(chapters_named_in("//! No chapter here.\n").is_empty());
}

// ---------------------------------------------------------------------------
// Internal links
// ---------------------------------------------------------------------------

/// The link targets in a line of prose: `[text](target)` and reference
/// definitions `[label]: target`.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        if let Some((label, rest)) = trimmed.split_once("]:") {
            if !label.contains(']') {
                if let Some(target) = rest.split_whitespace().next() {
                    targets.push(target.to_string());
                }
            }
        }
    }
    // Inline links, outside inline code spans.
    let mut in_code = false;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'`' => in_code = !in_code,
            b']' if !in_code && bytes.get(i + 1) == Some(&b'(') => {
                let rest = &line[i + 2..];
                if let Some(end) = rest.find(')') {
                    let target = rest[..end].split_whitespace().next().unwrap_or("");
                    targets.push(target.to_string());
                }
            }
            _ => {}
        }
        i += 1;
    }
    targets
}

/// The ids mdbook gives a chapter's headings: lower case, spaces to dashes,
/// only letters, digits, `-` and `_` kept; repeats get `-1`, `-2`, ...
fn heading_ids(text: &str) -> HashSet<String> {
    let (_, prose) = parse_markdown(text);
    let mut ids = HashSet::new();
    for (_, line) in prose {
        let trimmed = line.trim_start();
        let hashes = trimmed.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !trimmed[hashes..].starts_with(' ') {
            continue;
        }
        let title = trimmed[hashes..].trim().trim_end_matches('#').trim();
        let title = strip_inline_links(title);
        let base: String = title
            .chars()
            .filter_map(|c| {
                if c.is_whitespace() {
                    Some('-')
                } else if c.is_alphanumeric() || c == '_' || c == '-' {
                    Some(c.to_lowercase().next().unwrap())
                } else {
                    None
                }
            })
            .collect();
        let mut id = base.clone();
        let mut n = 1;
        while ids.contains(&id) {
            id = format!("{base}-{n}");
            n += 1;
        }
        ids.insert(id);
    }
    ids
}

/// `[text](target)` → `text`, so a heading's id comes from its visible text.
fn strip_inline_links(title: &str) -> String {
    let mut out = String::new();
    let mut rest = title;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find("](") {
            Some(close) if after[close..].contains(')') => {
                out.push_str(&after[..close]);
                let tail = &after[close + 2..];
                rest = &tail[tail.find(')').unwrap() + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn internal_links_resolve() {
    let mut problems = Vec::new();
    let mut count = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let (_, prose) = parse_markdown(&text);
        for (number, line) in prose {
            for target in link_targets(line) {
                let external = target.contains("://") || target.starts_with("mailto:");
                if external || target.is_empty() {
                    continue;
                }
                count += 1;
                let where_ = format!("{}:{number}", relative(&file));
                let (path, fragment) = match target.split_once('#') {
                    Some((p, f)) => (p, Some(f)),
                    None => (target.as_str(), None),
                };
                let destination = if path.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(path)
                };
                if normalize_within(&book_src(), &destination).is_none() {
                    problems.push(format!(
                        "{where_}: link to `{target}` leaves book/src: a served book has \
                         nothing outside its folder, so the link would 404. Link the \
                         repository's files through book/src/code/ (`code/executor/lib.rs`, \
                         `code/book/gdb/gather.gdb`: paths from the repository's root)"
                    ));
                    continue;
                }
                if !destination.exists() {
                    problems.push(format!("{where_}: link to `{target}`: no such file"));
                    continue;
                }
                let Some(fragment) = fragment else { continue };
                if destination.extension().is_some_and(|e| e == "md") {
                    let chapter = std::fs::read_to_string(&destination).unwrap();
                    if !heading_ids(&chapter).contains(fragment) {
                        problems.push(format!(
                            "{where_}: link to `{target}`: no heading with id `{fragment}`"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
    assert!(
        count > 0,
        "found no internal links at all: is the parser broken?"
    );
}

// ---------------------------------------------------------------------------
// The checkers check: they must catch what they exist to catch
// ---------------------------------------------------------------------------

#[test]
fn the_markdown_readers_see_what_they_should() {
    let chapter = "# Title\n\nText [a](a.md#x) and `[not](a link)`.\n\n\
                   <!-- not-compiled: shows an error -->\n```rust,ignore\nfn f() {}\n```\n\n\
                   ````text\n```rust\ninside\n```\n````\n\n## `block_on`, again!\n\
                   ```rust\n{{#include ../../examples/chef.rs:dishes}}\n```\n\
                   \\{{#include not/a/directive.rs}}\n[ref]: ../x.rs\n";
    let (blocks, prose) = parse_markdown(chapter);
    let infos: Vec<&str> = blocks.iter().map(|b| b.info.as_str()).collect();
    assert_eq!(infos, ["rust,ignore", "text", "rust"]);
    assert_eq!(
        blocks[0].line_above,
        "<!-- not-compiled: shows an error -->"
    );
    assert!(blocks[0].has_attribute("ignore"));
    assert_eq!(blocks[1].body, ["```rust", "inside", "```"]);
    let links: Vec<String> = prose.iter().flat_map(|(_, l)| link_targets(l)).collect();
    assert_eq!(links, ["a.md#x", "../x.rs"]);
    let directives: Vec<Directive> = chapter
        .lines()
        .enumerate()
        .flat_map(|(i, l)| directives_in(l, i + 1))
        .collect();
    assert_eq!(directives.len(), 1);
    assert_eq!(directives[0].path, "../../examples/chef.rs");
    assert_eq!(directives[0].selector.as_deref(), Some("dishes"));
    let ids = heading_ids(chapter);
    assert!(
        ids.contains("title") && ids.contains("block_on-again"),
        "{ids:?}"
    );
    assert!(has_anchor("// ANCHOR: a\nx\n// ANCHOR_END: a\n", "a"));
    assert!(!has_anchor("// ANCHOR: ab\nx\n// ANCHOR_END: ab\n", "a"));
    assert!(!has_anchor("// ANCHOR_END: a\n// ANCHOR: a\n", "a"));
}

// ---------------------------------------------------------------------------
// Generated output shown in the book
// ---------------------------------------------------------------------------

#[test]
fn generated_gather() {
    let out = run_example("gather", &["--simulated"]);
    check_or_bless("book/src/generated/gather.txt", &out);
}

#[test]
fn generated_chef() {
    let out = run_example("chef", &["--simulated"]);
    check_or_bless("book/src/generated/chef.txt", &out);
}

#[test]
fn generated_poll_by_hand() {
    let out = run_example("poll_by_hand", &[]);
    check_or_bless("book/src/generated/poll_by_hand.txt", &out);
}

#[test]
fn generated_counting_waker() {
    let out = run_example("counting_waker", &[]);
    check_or_bless("book/src/generated/counting_waker.txt", &out);
}

#[test]
fn generated_smallest_block_on() {
    // stdout only: the exact busy-polling count (machine-dependent) goes to
    // stderr.
    let out = run_example("smallest_block_on", &[]);
    check_or_bless("book/src/generated/smallest_block_on.txt", &out);
}

/// What busy-polling costs, measured: `block-on.md` shows one real run of
/// `smallest_block_on` (its stderr: how many polls each `block_on` made in
/// the 50 ms wait). The count depends on the machine and the load, so the
/// test checks its *shape*, never a figure: busy-polling made at least
/// [`BUSY_POLLS_AT_LEAST`] polls, parking exactly 2. Like the figures of
/// `tests/threads_vs_tasks.rs`, the file is rewritten only when blessing,
/// and only when it is missing or out of date (it fails the shape check, or
/// its lines with every figure masked differ from today's): an unrelated
/// bless does not replace the book's run with a new one. To measure afresh,
/// delete the file and bless.
#[test]
fn generated_smallest_block_on_measured() {
    const FIGURE: &str = "book/src/generated/smallest_block_on-measured.txt";
    let output = Command::new(example_binary("smallest_block_on"))
        .output()
        .expect("run smallest_block_on");
    assert!(output.status.success(), "smallest_block_on failed");
    let today = format!(
        "$ cargo run --example smallest_block_on   # what it prints on stderr\n{}",
        String::from_utf8(output.stderr).expect("utf-8")
    );
    measured_shape(&today).unwrap_or_else(|e| panic!("today's run: {e}\n{today}"));
    let path = root().join(FIGURE);
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    let fits = measured_shape(&checked_in).is_ok() && skeleton(&checked_in) == skeleton(&today);
    if std::env::var_os("BUSY_CHEF_BLESS").is_some() {
        if !fits {
            std::fs::write(&path, &today).unwrap();
        }
        return;
    }
    assert!(
        fits,
        "{FIGURE} is missing or no longer fits the example (shape: {:?}). Run \
         `BUSY_CHEF_BLESS=1 cargo test --test book` to record a new run.\n\
         --- checked in ---\n{checked_in}\n--- today ---\n{today}",
        measured_shape(&checked_in)
    );
}

/// The fewest polls a busy-polling `block_on` may make in a 50 ms wait: a
/// debug build on a slow, loaded machine still makes millions.
const BUSY_POLLS_AT_LEAST: u64 = 100_000;

/// Does a run of `smallest_block_on` (its stderr) look as the chapter says?
fn measured_shape(text: &str) -> Result<(), String> {
    let polls = |who: &str| -> Result<u64, String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(who))
            .ok_or_else(|| format!("no line for {who}"))?;
        let figure = line[who.len()..]
            .trim_start_matches([':', ' '])
            .split_whitespace()
            .next()
            .unwrap_or("");
        figure
            .replace(',', "")
            .parse()
            .map_err(|_| format!("{who}: no count in {line:?}"))
    };
    let busy = polls("busy-polling block_on")?;
    let parking = polls("parking block_on")?;
    if busy < BUSY_POLLS_AT_LEAST {
        return Err(format!("busy-polling made only {busy} polls"));
    }
    if parking != 2 {
        return Err(format!("parking made {parking} polls, not 2"));
    }
    Ok(())
}

/// `text` with every run of digits (and the `,` and `.` inside it) as `#`.
fn skeleton(text: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in text.chars() {
        let digit = c.is_ascii_digit() || (in_number && (c == ',' || c == '.'));
        if digit && !in_number {
            out.push('#');
        } else if !digit {
            out.push(c);
        }
        in_number = digit;
    }
    out
}

#[test]
fn the_measured_shape_check_catches_what_it_should() {
    let good = "$ x\nbusy-polling block_on: 2,974,557 polls in 50.2 ms\n\
                parking block_on:      2 polls in 50.3 ms\n";
    assert_eq!(measured_shape(good), Ok(()));
    assert!(measured_shape(&good.replace("2,974,557", "999")).is_err());
    assert!(measured_shape(&good.replace("  2 polls", "  3 polls")).is_err());
    assert!(measured_shape("parking block_on: 2 polls\n").is_err());
    assert_eq!(
        skeleton("a 2,974,557 polls in 50.2 ms."),
        "a # polls in # ms."
    );
}

#[test]
fn generated_heap_timers() {
    let out = run_example("heap_timers", &[]);
    check_or_bless("book/src/generated/heap_timers.txt", &out);
}

/// The timer wheel chapter's worked example: three deadlines (3 ms, 100 ms,
/// 10 s) put into busy-chef's own wheel, then time moved from one
/// `next_expiration` to the next, showing where each timer sits and what
/// fires or cascades at every stop.
#[test]
fn generated_wheel_walkthrough() {
    use busy_chef::internals::{Expiration, Wheel};
    use std::fmt::Write;
    use std::sync::{Arc, Mutex};
    use std::task::{Wake, Waker};

    /// A waker that writes its timer's name into a log when woken.
    struct Named(&'static str, Arc<Mutex<Vec<&'static str>>>);
    impl Wake for Named {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    fn place(expiration: Option<Expiration>) -> String {
        match expiration {
            Some(Expiration::Slot { level, slot, tick }) => {
                format!("level {level}, slot {slot:>2} (the slot starts at {tick} ms)")
            }
            Some(Expiration::Overflow { tick }) => format!("overflow, due at {tick} ms"),
            None => "nothing".to_string(),
        }
    }

    /// The occupied slots of every level, read from the wheel's `Debug`.
    fn occupied(wheel: &Wheel) -> String {
        let debug = format!("{wheel:?}");
        let start = debug
            .find("occupied_slots: ")
            .expect("Debug shows occupied_slots");
        let rest = &debug[start + "occupied_slots: ".len()..];
        let end = rest.find('}').expect("a map") + 1;
        rest[..end].replace('"', "")
    }

    let timers = [("A", 3), ("B", 100), ("C", 10_000)];
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut out = String::new();

    writeln!(out, "Each timer alone in a wheel at 0 ms goes to:").unwrap();
    for (name, deadline) in timers {
        let mut alone = Wheel::new(0);
        alone.insert(deadline, Waker::noop().clone()).unwrap();
        let place = place(alone.next_expiration());
        writeln!(out, "  timer {name}, due at {deadline:>5} ms -> {place}").unwrap();
    }

    let mut wheel = Wheel::new(0);
    for (name, deadline) in timers {
        let waker = Waker::from(Arc::new(Named(name, log.clone())));
        wheel.insert(deadline, waker).unwrap();
    }
    writeln!(
        out,
        "\nAll three in one wheel: occupied {}",
        occupied(&wheel)
    )
    .unwrap();

    let mut stop = 0;
    while let Some(next) = wheel.next_expiration() {
        stop += 1;
        let mut fired = Vec::new();
        wheel.advance(next.tick(), &mut fired, None);
        fired.into_iter().for_each(Waker::wake);
        let woken = std::mem::take(&mut *log.lock().unwrap());
        let what = if woken.is_empty() {
            "cascade, nothing due yet".to_string()
        } else {
            format!("fire timer {}", woken.join(", "))
        };
        writeln!(
            out,
            "\nstop {stop}: next expiration {}\n  advance to {} ms -> {what}\n  now occupied {}",
            place(Some(next)),
            next.tick(),
            occupied(&wheel)
        )
        .unwrap();
        assert!(stop < 20, "the wheel keeps expiring: {out}");
    }
    writeln!(out, "\nEmpty after {stop} stops.").unwrap();
    check_or_bless("book/src/generated/wheel-walkthrough.txt", &out);
}
