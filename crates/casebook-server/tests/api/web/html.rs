//! Checks every page the tests fetch must pass: HTML5 parse errors (html5ever, the parser
//! browsers follow), unique ids, a label for every form control, no inline event handlers or
//! styles (the CSP forbids them), a nonce on every script.

use std::collections::HashSet;

use scraper::{Html, Selector};

/// Problems of a page; empty when it is fine.
pub fn problems(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut out: Vec<String> = doc
        .errors
        .iter()
        .map(|e| format!("parse error: {e}"))
        .collect();
    if !html.starts_with("<!DOCTYPE html>") {
        out.push("no <!DOCTYPE html>".into());
    }
    let all = Selector::parse("*").unwrap();
    let mut ids = HashSet::new();
    let mut labelled = HashSet::new();
    for label in doc.select(&Selector::parse("label[for]").unwrap()) {
        labelled.insert(label.value().attr("for").unwrap_or_default().to_owned());
    }
    for el in doc.select(&all) {
        let v = el.value();
        if let Some(id) = v.attr("id")
            && !ids.insert(id.to_owned())
        {
            out.push(format!("duplicate id {id}"));
        }
        for (name, _) in v.attrs() {
            if name.starts_with("on") {
                out.push(format!("inline handler {name} on <{}>", v.name()));
            }
            if name == "style" {
                out.push(format!("inline style on <{}>", v.name()));
            }
        }
        if v.name() == "script" && v.attr("nonce").is_none_or(str::is_empty) {
            out.push("a script without a nonce".into());
        }
        let control = matches!(v.name(), "select" | "textarea")
            || (v.name() == "input"
                && !matches!(v.attr("type"), Some("hidden" | "submit" | "button")));
        if control {
            let has_label = v.attr("id").is_some_and(|id| labelled.contains(id))
                || v.attr("aria-label").is_some();
            if !has_label {
                out.push(format!(
                    "<{} name={:?}> has no label",
                    v.name(),
                    v.attr("name")
                ));
            }
        }
    }
    if doc
        .select(&Selector::parse("html[lang]").unwrap())
        .next()
        .is_none()
    {
        out.push("<html> has no lang".into());
    }
    out
}

/// Fails the test with the page's problems.
pub fn assert_valid(what: &str, html: &str) {
    let found = problems(html);
    assert!(found.is_empty(), "{what}: {found:#?}");
}

#[test]
fn the_checker_finds_what_it_looks_for() {
    let bad = "<html><body><div id=a></div><p id=a onclick=x() style=color:red><input name=q><script>1</script></table>";
    let found = problems(bad);
    for expected in [
        "no <!DOCTYPE",
        "duplicate id a",
        "inline handler onclick",
        "inline style",
        "has no label",
        "without a nonce",
        "parse error",
        "no lang",
    ] {
        assert!(
            found.iter().any(|p| p.contains(expected)),
            "{expected} not found in {found:?}"
        );
    }
    assert!(problems("<!DOCTYPE html><html lang=en><head><title>x</title></head><body><label for=q>Q</label><input id=q name=q></body></html>").is_empty());
}
