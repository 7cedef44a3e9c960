//! The shape of `executor/`, checked: layers import only downward, no two
//! modules import each other (directly or round a cycle), `unsafe` appears
//! only where it is allowed, and the reading path stays within its budget.
//!
//! It reads the source as text. Every module file is named in [`ORDER`], the
//! order in which a reader takes them; a module may use only modules that
//! come *earlier*. That one rule gives both "no upward import" and "no
//! cycle": an edge that goes forward is reported with its file and line.
//! A new file must be added to `ORDER`, at the place a reader should meet it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every module of the crate, in reading order, with its layer.
const ORDER: &[(&str, &str)] = &[
    // Layer 0: plain data structures.
    ("collections::slab", "collections"),
    ("collections::wheel", "collections"),
    ("collections", "collections"),
    // Layer 1: the small types every layer names.
    ("base::id", "base"),
    ("base::instant", "base"),
    ("base::clock", "base"),
    ("base::panic", "base"),
    ("base::join_error", "base"),
    ("base::lock", "base"),
    ("base::waker_slot", "base"),
    ("base::debugger", "base"),
    ("base", "base"),
    // Layer 2: diagnostics, a leaf the runtime calls.
    ("diagnostics::event", "diagnostics"),
    ("diagnostics::render::timeline", "diagnostics"),
    ("diagnostics::render::svg", "diagnostics"),
    ("diagnostics::render::chrome", "diagnostics"),
    ("diagnostics::render::replay", "diagnostics"),
    ("diagnostics::render", "diagnostics"),
    ("diagnostics::trace", "diagnostics"),
    ("diagnostics::recorder", "diagnostics"),
    ("diagnostics::warnings", "diagnostics"),
    ("diagnostics::deadlock", "diagnostics"),
    ("diagnostics::hooks", "diagnostics"),
    ("diagnostics", "diagnostics"),
    // Layer 3: the runtime, the reading path.
    ("runtime::timers", "runtime"),
    ("runtime::scheduler", "runtime"),
    ("runtime::core", "runtime"),
    ("runtime::join_handle", "runtime"),
    ("runtime::task::state", "runtime"),
    ("runtime::task::stage", "runtime"),
    ("runtime::task::header", "runtime"),
    ("runtime::task", "runtime"),
    ("runtime::deadlock", "runtime"),
    ("runtime", "runtime"),
    // Layer 4: what is built on the runtime (and `combinators`, on nothing).
    ("spill", "spawn"),
    ("spawn", "spawn"),
    ("combinators::join", "combinators"),
    ("combinators::yield_now", "combinators"),
    ("combinators", "combinators"),
    ("time::now", "time"),
    ("time::sleep", "time"),
    ("time::timeout", "time"),
    ("time::interval", "time"),
    ("time", "time"),
    ("blocking", "blocking"),
    ("inspect", "inspect"),
    // The crate's front page, which re-exports.
    ("", "lib"),
];

/// Files allowed to contain `unsafe`: the task (its layout, its waker's
/// vtable, its stage), and the pin projections of combinators and timers.
const UNSAFE_ALLOWED: &[&str] = &[
    "runtime/task/header.rs",
    "runtime/task/stage.rs",
    "runtime/task/mod.rs",
    "combinators/join.rs",
    "time/timeout.rs",
];

/// The reading path's budget: code lines of `runtime/` and `collections/`,
/// not counting comments, blank lines and `#[cfg(test)]` modules.
const READING_PATH_BUDGET: usize = 1_846;

fn executor_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("executor")
}

/// Every `.rs` file under `executor/`, as (module path, file path relative
/// to `executor/`, text).
fn modules() -> Vec<(String, String, String)> {
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
    walk(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let module = relative
                .trim_end_matches(".rs")
                .trim_end_matches("lib")
                .trim_end_matches("/mod")
                .trim_end_matches("mod")
                .trim_end_matches('/')
                .replace('/', "::");
            let text = std::fs::read_to_string(&path).unwrap();
            (module, relative, text)
        })
        .collect()
}

/// The code of a file, line by line with line numbers: no comment lines, no
/// `#[cfg(test)]` module (from its attribute to the end of the file, where
/// this crate keeps them), no string contents.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut raw_lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = raw_lines.next() {
        let trimmed = line.trim();
        if trimmed == "#[cfg(test)]"
            && raw_lines
                .peek()
                .is_some_and(|(_, next)| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        let code = match trimmed.find("//") {
            Some(at) if !trimmed[..at].contains('"') => &trimmed[..at],
            _ => trimmed,
        };
        lines.push((n + 1, strip_strings(code)));
    }
    lines
}

fn strip_strings(line: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in line.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
                out.push('"');
            }
        } else {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

/// The modules a file refers to: every `crate::a::b`, `super::x` and
/// `self::x` path, in `use` items (with their `{..}` groups expanded) and in
/// code, resolved to the longest module of [`ORDER`] that it names.
fn imports(module: &str, is_mod_rs: bool, code: &[(usize, String)]) -> Vec<(usize, String)> {
    let known: Vec<&str> = ORDER.iter().map(|(m, _)| *m).collect();
    // The module that `super` and `self` are relative to.
    let here: Vec<&str> = if module.is_empty() {
        vec![]
    } else {
        module.split("::").collect()
    };
    let parent = |levels: usize, base: &[&str]| -> Vec<String> {
        base[..base.len().saturating_sub(levels)]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    // In `a/mod.rs` (module `a`), `self::x` is `a::x` and `super::x` is a
    // sibling of `a`; in `a/b.rs` (module `a::b`) `super::x` is `a::x`.
    let _ = is_mod_rs;
    let mut found = Vec::new();
    // Join `use` items that span lines, so their groups can be expanded.
    let mut statements: Vec<(usize, String)> = Vec::new();
    let mut open: Option<(usize, String)> = None;
    for (n, line) in code {
        if let Some((start, mut text)) = open.take() {
            text.push(' ');
            text.push_str(line);
            if line.contains(';') {
                statements.push((start, text));
            } else {
                open = Some((start, text));
            }
        } else if (line.starts_with("use ") || line.contains(" use ")) && !line.contains(';') {
            open = Some((*n, line.clone()));
        } else {
            statements.push((*n, line.clone()));
        }
    }
    for (n, statement) in statements {
        for path in paths_in(&statement) {
            let segments: Vec<&str> = path.split("::").collect();
            let (mut absolute, rest): (Vec<String>, &[&str]) = match segments[0] {
                "crate" => (vec![], &segments[1..]),
                "self" => (here.iter().map(|s| s.to_string()).collect(), &segments[1..]),
                "super" => {
                    let ups = segments.iter().take_while(|s| **s == "super").count();
                    (parent(ups, &here), &segments[ups..])
                }
                _ => continue,
            };
            absolute.extend(rest.iter().map(|s| s.to_string()));
            // The longest known module that the path starts with.
            let target = (0..=absolute.len())
                .rev()
                .map(|len| absolute[..len].join("::"))
                .find(|candidate| known.contains(&candidate.as_str()));
            if let Some(target) = target {
                if target != module {
                    found.push((n, target));
                }
            }
        }
    }
    found
}

/// The `crate::`/`super::`/`self::` paths in a statement, with `use` groups
/// (`a::{b, c::d}`) expanded into `a::b`, `a::c::d`.
fn paths_in(statement: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = statement.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|p| rest.starts_with(p));
        let boundary = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if starts && boundary {
            let (paths, used) = expand(&chars[i..]);
            out.extend(paths);
            i += used.max(1);
        } else {
            i += 1;
        }
    }
    out
}

/// Expands one path that may end in a `{..}` group; returns the paths and
/// how many characters it used.
fn expand(chars: &[char]) -> (Vec<String>, usize) {
    let mut prefix = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' || c == ':' {
            prefix.push(c);
            i += 1;
        } else if c == '{' && prefix.ends_with("::") {
            // A group: split its top-level items on commas.
            let mut depth = 0;
            let mut item = Vec::new();
            let mut items = Vec::new();
            i += 1;
            while i < chars.len() {
                let c = chars[i];
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(std::mem::take(&mut item));
                        i += 1;
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
                i += 1;
            }
            items.push(item);
            let mut paths = Vec::new();
            for item in items {
                let text: String = item.iter().collect::<String>().trim().to_string();
                if text.is_empty() {
                    continue;
                }
                let name = text.split_whitespace().next().unwrap_or("").to_string();
                let inner: Vec<char> = name.chars().chain(text[name.len()..].chars()).collect();
                let (sub, _) = expand(&inner);
                if sub.is_empty() || name == "self" {
                    paths.push(prefix.trim_end_matches("::").to_string());
                } else {
                    paths.extend(sub.into_iter().map(|s| format!("{prefix}{s}")));
                }
            }
            return (paths, i + 1);
        } else {
            break;
        }
    }
    (vec![prefix.trim_end_matches("::").to_string()], i)
}

#[test]
fn every_module_is_in_the_reading_order_and_imports_only_earlier_ones() {
    let position: BTreeMap<&str, usize> = ORDER
        .iter()
        .enumerate()
        .map(|(i, (m, _))| (*m, i))
        .collect();
    let layer: BTreeMap<&str, &str> = ORDER.iter().copied().collect();
    let mut problems = Vec::new();
    let modules = modules();
    for (module, _, _) in &modules {
        if !position.contains_key(module.as_str()) {
            problems.push(format!(
                "executor module `{module}` is not in ORDER (tests/architecture.rs): add it \
                 where a reader should meet it"
            ));
        }
    }
    for (module, file, text) in &modules {
        let Some(&here) = position.get(module.as_str()) else {
            continue;
        };
        let is_mod_rs = file.ends_with("mod.rs") || file == "lib.rs";
        for (line, target) in imports(module, is_mod_rs, &code_lines(text)) {
            let there = position[target.as_str()];
            if there > here {
                problems.push(format!(
                    "executor/{file}:{line}: `{}` ({}) uses `{target}` ({}), which comes later \
                     in the reading order: an upward import, or half of a cycle",
                    if module.is_empty() { "lib" } else { module },
                    layer[module.as_str()],
                    layer[target.as_str()],
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_checker_sees_upward_imports_in_every_form() {
    let code = |text: &str| code_lines(text);
    let targets = |module: &str, text: &str| -> Vec<String> {
        imports(module, false, &code(text))
            .into_iter()
            .map(|(_, target)| target)
            .collect()
    };
    assert_eq!(
        targets("runtime::timers", "use crate::runtime::core::Core;"),
        ["runtime::core"]
    );
    assert_eq!(
        targets(
            "runtime::task::state",
            "use super::{header::Header, stage};"
        ),
        ["runtime::task::header", "runtime::task::stage"]
    );
    assert_eq!(
        targets(
            "runtime::scheduler",
            "use crate::{\n    base::id::TaskId,\n    runtime::{core::schedule, timers},\n};"
        ),
        ["base::id", "runtime::core", "runtime::timers"]
    );
    assert_eq!(
        targets("base::clock", "let x = crate::runtime::Executor::new();"),
        ["runtime"]
    );
    assert_eq!(
        targets(
            "base::clock",
            "// crate::runtime in a comment\nlet s = \"crate::runtime\";"
        ),
        Vec::<String>::new(),
        "comments and strings are not imports"
    );
    assert_eq!(
        targets(
            "base::clock",
            "fn f() {}\n#[cfg(test)]\nmod tests {\n    use crate::runtime::Executor;\n}"
        ),
        Vec::<String>::new(),
        "test modules may use anything"
    );
}

#[test]
fn unsafe_appears_only_in_the_allowed_files_and_always_with_a_safety_comment() {
    let mut problems = Vec::new();
    for (_, file, text) in modules() {
        let code = code_lines(&text);
        let raw: Vec<&str> = text.lines().collect();
        for (n, line) in &code {
            let uses_unsafe = line
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "unsafe");
            if !uses_unsafe {
                continue;
            }
            if !UNSAFE_ALLOWED.contains(&file.as_str()) {
                problems.push(format!(
                    "executor/{file}:{n}: `unsafe` outside the files allowed to hold it \
                     ({UNSAFE_ALLOWED:?})"
                ));
            }
            let is_block = line.contains("unsafe {") || line.contains("unsafe impl");
            let above = raw[..n - 1].iter().rev().take(4);
            if is_block && !above.clone().any(|l| l.contains("SAFETY:")) {
                problems.push(format!(
                    "executor/{file}:{n}: an `unsafe` block with no `// SAFETY:` comment just above"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// Code lines of the reading path, per file.
fn reading_path() -> Vec<(String, usize)> {
    modules()
        .into_iter()
        .filter(|(_, file, _)| file.starts_with("runtime/") || file.starts_with("collections/"))
        .map(|(_, file, text)| (file, code_lines(&text).len()))
        .collect()
}

#[test]
fn the_reading_path_is_within_its_budget_and_the_readme_says_how_long_it_is() {
    let files = reading_path();
    let total: usize = files.iter().map(|(_, n)| n).sum();
    let table: Vec<String> = files.iter().map(|(f, n)| format!("{n:5}  {f}")).collect();
    assert!(
        total <= READING_PATH_BUDGET,
        "the reading path (runtime/ and collections/) is {total} lines of code, over its \
         budget of {READING_PATH_BUDGET}:\n{}",
        table.join("\n")
    );
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let stated = readme
        .split("reading path")
        .skip(1)
        .find_map(|after| {
            let words: Vec<&str> = after.split_whitespace().take(12).collect();
            words
                .iter()
                .position(|w| *w == "lines")
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| words[i].replace(',', "").parse::<usize>().ok())
        })
        .expect("README.md states the reading path's length: \"... reading path ... N lines\"");
    assert!(
        stated.abs_diff(total) <= 50,
        "README.md says the reading path is {stated} lines; it is {total}:\n{}",
        table.join("\n")
    );
}
