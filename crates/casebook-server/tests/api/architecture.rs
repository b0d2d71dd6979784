//! The shape of the server crate, checked: every `crate::…` and `super::…` path in
//! `crates/casebook-server/src` is resolved to the module it names, and a module may only name
//! modules of lower layers (the tables below). So the case core never calls a channel, `http` and
//! `web` never import each other, the application state depends on nothing above it, nothing
//! outside the demo reaches the demo, and there is no loop between the folders. The domain and the
//! store crates do not know the crates above them.
//!
//! A new top-level module or `actions` folder must be placed in a table, or this test fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level modules of the server crate, lowest layer first. A module may import from lower
/// layers only; modules of one layer do not import each other.
const MODULES: &[&[&str]] = &[
    &["error", "clock", "i18n", "markdown"],
    &["config"],
    &["blobs", "calendar_cache", "search", "auth", "policy"],
    &["app"],
    &["actions"],
    &["edge"],
    &["http", "web"],
    &["router"],
    &["server"],
    &["cli"],
];

/// The folders of `actions`, lowest first: the root (errors, version check), then the directory,
/// accounts and notifications, contracts, satisfaction surveys (which the case core calls when a
/// case closes), the case core, what builds on cases, field service, and the channels. The channels (`mail`, `call_home`) call the case core; the case core never calls them.
const ACTIONS: &[&[&str]] = &[
    &[""],
    &["audit", "directory"],
    &["accounts", "notify"],
    &["duty"],
    &["integrations"],
    &["contracts"],
    &["surveys"],
    &["cases"],
    &["knowledge", "search", "imports", "replies", "reporting"],
    &["field"],
    &["mail", "call_home"],
];

/// One module naming another across a forbidden direction.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    from: String,
    to: String,
}

fn rank(table: &[&[&str]], name: &str) -> Option<usize> {
    table.iter().position(|layer| layer.contains(&name))
}

/// The node of a module path: a top-level module, or `actions::<folder>`.
fn node(path: &[String]) -> String {
    match path {
        [first, second, ..] if first == "actions" && is_actions_module(second) => {
            format!("actions::{second}")
        }
        [first, ..] if first == "actions" => "actions::".to_owned(),
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

/// Whether `actions::<name>` is a module (a file or folder of `src/actions`), not an item of
/// `actions/mod.rs` such as `check_version`.
fn is_actions_module(name: &str) -> bool {
    let actions = crate_dir("casebook-server").join("src").join("actions");
    actions.join(format!("{name}.rs")).is_file() || actions.join(name).is_dir()
}

/// Whether `from` may name `to`; `None` when one of them is in no table.
fn allowed(from: &str, to: &str) -> Option<bool> {
    if from == to {
        return Some(true);
    }
    let folder = |n: &str| n.strip_prefix("actions::").map(str::to_owned);
    match (folder(from), folder(to)) {
        (Some(a), Some(b)) => Some(rank(ACTIONS, &a)? > rank(ACTIONS, &b)?),
        (Some(_), None) => Some(rank(MODULES, "actions")? > rank(MODULES, to)?),
        (None, Some(_)) => Some(rank(MODULES, from)? > rank(MODULES, "actions")?),
        (None, None) => Some(rank(MODULES, from)? > rank(MODULES, to)?),
    }
}

/// The module path of a source file (`src/actions/cases/mod.rs` → `actions::cases`).
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Every path the text names from `crate::` or `super::`, resolved against `module` (grouped
/// imports expanded), as module paths from the crate root.
fn named_paths(text: &str, file_module: &[String]) -> Vec<Vec<String>> {
    let code = without_comments_and_strings(text);
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    // Inline modules (`mod tests { … }`) open where `super` is resolved from: (name, depth).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < bytes.len() {
        let start_ok = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let rest = &code[i..];
        match bytes[i] {
            b'{' => depth += 1,
            b'}' => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth -= 1;
            }
            _ => {}
        }
        if start_ok && let Some(name) = inline_module(rest) {
            inline.push((name, depth + 1));
        }
        let module: Vec<String> = file_module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        let base: Option<(Vec<String>, usize)> = if start_ok && rest.starts_with("crate::") {
            Some((Vec::new(), "crate::".len()))
        } else if start_ok && rest.starts_with("super::") {
            let mut parent = module;
            let mut len = 0;
            while code[i + len..].starts_with("super::") {
                parent.pop();
                len += "super::".len();
            }
            Some((parent, len))
        } else {
            None
        };
        let Some((prefix, len)) = base else {
            i += 1;
            continue;
        };
        let end = expand(&code[i + len..], &prefix, &mut found);
        i += len + end;
    }
    found
}

/// The name of an inline module whose body opens at the start of `s` (`mod tests {`).
fn inline_module(s: &str) -> Option<String> {
    let rest = s.strip_prefix("mod ")?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let after = rest[name.len()..].trim_start();
    (!name.is_empty() && after.starts_with('{')).then_some(name)
}

/// Reads a path tree (`a::b`, `a::{b, c::d}`) at the start of `s`, pushing each full path.
/// Returns how many bytes it read.
fn expand(s: &str, prefix: &[String], found: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix.to_vec();
    let mut i = 0;
    let bytes = s.as_bytes();
    loop {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        if i > start {
            path.push(s[start..i].to_owned());
        }
        if s[i..].starts_with("::{") {
            i += 3;
            loop {
                while i < bytes.len() && (bytes[i] as char).is_whitespace() {
                    i += 1;
                }
                if i >= bytes.len() || bytes[i] == b'}' {
                    return i + 1;
                }
                i += expand(&s[i..], &path, found);
                while i < bytes.len() && bytes[i] != b',' && bytes[i] != b'}' {
                    i += 1;
                }
                if i < bytes.len() && bytes[i] == b',' {
                    i += 1;
                }
            }
        }
        if s[i..].starts_with("::") {
            i += 2;
            continue;
        }
        if path.last().is_some_and(|p| p == "self") {
            path.pop();
        }
        found.push(path);
        return i;
    }
}

/// The code with comments, string and char literals blanked (so prose never counts).
fn without_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            // A char literal: 'x' or '\x' (a lifetime has no closing quote there).
            '\'' if chars.get(i + 2) == Some(&'\'') => i += 3,
            '\'' if chars.get(i + 1) == Some(&'\\') && chars.get(i + 3) == Some(&'\'') => i += 4,
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The violations of the layer tables in one file.
fn check_file(relative: &Path, text: &str) -> Vec<Violation> {
    let module = module_of(relative);
    let from = node(&module);
    let in_demo = module.starts_with(&["cli".to_owned(), "demo".to_owned()]);
    let mut out = BTreeSet::new();
    for path in named_paths(text, &module) {
        let to = node(&path);
        if to.is_empty() {
            continue;
        }
        let demo = path.starts_with(&["cli".to_owned(), "demo".to_owned()]);
        let bad = match allowed(&from, &to) {
            Some(ok) => !ok || (demo && !in_demo),
            None => true,
        };
        if bad {
            out.insert(Violation {
                file: relative.display().to_string(),
                from: from.clone(),
                to: path.join("::"),
            });
        }
    }
    out.into_iter().collect()
}

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

#[test]
fn server_modules_import_only_downward() {
    let src = crate_dir("casebook-server").join("src");
    let mut violations = Vec::new();
    let mut files = 0;
    for file in sources(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        if relative == Path::new("main.rs") {
            continue; // the binary, above everything
        }
        files += 1;
        violations.extend(check_file(
            relative,
            &std::fs::read_to_string(&file).unwrap(),
        ));
    }
    assert!(files > 100, "read only {files} files of {}", src.display());
    assert!(
        violations.is_empty(),
        "imports across a forbidden direction (see the tables in tests/api/architecture.rs and \
         ARCHITECTURE.md):\n{}",
        violations
            .iter()
            .map(|v| format!("  {}: {} → {}", v.file, v.from, v.to))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn lower_crates_do_not_know_the_crates_above() {
    for (name, above) in [
        (
            "casebook-domain",
            &["casebook_store", "casebook_server"][..],
        ),
        ("casebook-store", &["casebook_server"][..]),
    ] {
        let dir = crate_dir(name);
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for crate_name in above {
            let dashed = crate_name.replace('_', "-");
            assert!(!manifest.contains(&dashed), "{name} depends on {dashed}");
            for file in sources(&dir.join("src")) {
                let text = without_comments_and_strings(&std::fs::read_to_string(&file).unwrap());
                assert!(
                    !text.contains(crate_name),
                    "{} names {crate_name}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn the_check_finds_what_it_forbids() {
    let cases = [
        // The case core calls a channel.
        (
            "actions/cases/opening.rs",
            "use crate::actions::mail::ingest;",
            true,
        ),
        (
            "actions/cases/opening.rs",
            "use crate::actions::{ActionError, call_home::act};",
            true,
        ),
        (
            "actions/cases/sla/mod.rs",
            "use super::super::super::mail::limits;",
            true,
        ),
        // http and web import each other.
        ("http/cases.rs", "use crate::web::page::render;", true),
        (
            "web/console/queue.rs",
            "let q: crate::http::cases::CaseQuery;",
            true,
        ),
        // The application state reaches up; anything reaches the demo.
        (
            "app/mod.rs",
            "use crate::actions::call_home::batch::KeyTurns;",
            true,
        ),
        ("web/sign_in.rs", "use crate::cli::demo::SIGN_INS;", true),
        ("cli/admin.rs", "use crate::cli::demo::{self};", true),
        // Actions render pages; a module in no table.
        (
            "actions/knowledge/articles.rs",
            "crate::web::page::user_html(x)",
            true,
        ),
        ("actions/cases/read.rs", "use crate::newthing::X;", true),
        // `super` from an inline module, and out of it again.
        (
            "actions/cases/sla/mod.rs",
            "mod tests { use super::super::super::mail::limits; }",
            true,
        ),
        (
            "search/query.rs",
            "mod tests { use super::super::analyzer::X; }",
            false,
        ),
        (
            "search/query.rs",
            "mod tests { } use super::super::web::X;",
            true,
        ),
        // Allowed: downward, inside a folder, and prose.
        (
            "actions/mail/ingest.rs",
            "use crate::actions::cases::{open_from_mail, OpeningMail};",
            false,
        ),
        (
            "actions/cases/comments.rs",
            "use super::access::visible_case;",
            false,
        ),
        (
            "http/cases.rs",
            "use crate::edge::queries::CaseQuery;",
            false,
        ),
        (
            "cli/demo/problems.rs",
            "use crate::cli::demo::draft;",
            false,
        ),
        (
            "actions/cases/opening.rs",
            "// see crate::actions::mail::ingest\nlet s = \"crate::web\";",
            false,
        ),
    ];
    for (file, text, bad) in cases {
        let found = check_file(Path::new(file), text);
        assert_eq!(!found.is_empty(), bad, "{file}: {text}: {found:?}");
    }
}
