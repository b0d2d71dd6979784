//! What the language test looks for in one page or mail: in Chinese, a text that is English
//! words (Latin letters only) and is neither a code, a number, a proper name of the allow-list
//! nor the users' own data; in English, Chinese outside the users' data; in both, an internal
//! identifier (a status, metric or outcome key, an escalation target, a message key) and a time
//! written as UTC ISO 8601 instead of in the reader's time zone.

use std::collections::HashSet;

use scraper::{Html, Node};

/// Proper names and abbreviations a Chinese page may show in Latin letters. Everything else in
/// Latin letters on a Chinese page is a code (it has a digit, or is upper case, an address or a
/// path) or the users' own data, or it is a fault.
pub const ALLOWED_LATIN: &[&str] = &[
    // The product's name.
    "Casebook",
    // The switch to the other language is written in that language.
    "English",
    // Names of standards and units the Chinese desk uses as they are.
    "SLA",
    "API",
    "Call Home",
    "Markdown",
    "JSON",
    "CSV",
    "iCalendar",
    "IMAP",
    "SMTP",
    "Message-ID",
    "UTC",
    "KB",
    "MB",
    "B",
    "min",
    "h",
    "d",
    "x",
    "Technote",
    "PDF",
    "ID",
    // A kind of HTTP callback, named so in Chinese documentation too.
    "Webhook",
    // The tag of a mail's reply token, `[ref:2026-00042.…]`.
    "ref",
];

/// Words that are codes although they have neither a digit nor upper case: time-zone names have
/// a slash and are checked as paths; these are the rest.
fn is_code_word(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_ascii_alphabetic()).count();
    word.chars().any(|c| c.is_ascii_digit())
        || (letters > 0 && word.chars().all(|c| !c.is_ascii_lowercase()))
        || word.contains('@')
        || word.contains('/')
        || word.starts_with("http")
        || word.contains('.') && !word.ends_with('.')
        || ALLOWED_LATIN.contains(&word)
}

/// Whether a text has Chinese (CJK ideographs or full-width punctuation).
pub fn has_cjk(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
    })
}

/// The words of a text that are English words, not codes: `[]` when it is all codes, numbers,
/// allowed names and punctuation.
pub fn english_words(text: &str) -> Vec<String> {
    let mut rest = text.to_owned();
    for name in ALLOWED_LATIN.iter().filter(|n| n.contains(' ')) {
        rest = rest.replace(name, " ");
    }
    rest.split(|c: char| c.is_whitespace() || ",;:()[]{}|·–—→×=+*\"'“”‘’!?<>".contains(c))
        .map(|w| w.trim_end_matches(['.', '%']))
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .filter(|w| !is_code_word(w))
        .map(str::to_owned)
        .collect()
}

/// What the people of the test wrote or the demo loaded: every string the API gives back for
/// the records shown, and what the text of a page or mail is checked against.
#[derive(Default)]
pub struct UserData {
    texts: Vec<String>,
    /// The same, flattened (`flatten`).
    flat: Vec<String>,
}

impl UserData {
    /// Adds every string of a JSON document except internal identifiers.
    pub fn add_json(&mut self, value: &serde_json::Value, identifiers: &Identifiers) {
        match value {
            serde_json::Value::String(s) => {
                let s = s.trim();
                if s.chars().count() > 1 && !identifiers.is_identifier(s) {
                    self.texts.push(s.to_owned());
                    // Pages show people's Markdown as lines and paragraphs.
                    self.texts.extend(
                        s.lines()
                            .map(|l| l.trim().trim_start_matches(['#', '-', '*', '>', ' ']))
                            .filter(|l| l.chars().count() > 2)
                            .map(str::to_owned),
                    );
                }
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|v| self.add_json(v, identifiers));
            }
            serde_json::Value::Object(map) => {
                map.values().for_each(|v| self.add_json(v, identifiers));
            }
            _ => {}
        }
    }

    /// Sorts longest first, so a longer text is taken out before a shorter one inside it.
    pub fn finish(&mut self) {
        self.texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
        self.texts.dedup();
        self.flat = self.texts.iter().map(|t| flatten(t)).collect();
    }

    /// A text without the users' data in it (what remains is the product's own words).
    pub fn without(&self, text: &str) -> String {
        let trimmed = text.trim();
        if self.part_of_data(trimmed) {
            return String::new();
        }
        let mut rest = trimmed.to_owned();
        for data in &self.texts {
            // Chinese names are often two characters.
            let long_enough = data.chars().count() >= 3 || has_cjk(data);
            if long_enough && rest.contains(data.as_str()) {
                rest = rest.replace(data.as_str(), " ");
            }
        }
        // Lines and sentences of people's text (a search snippet joins and cuts them).
        let split = trimmed.replace(". ", ".\n").replace('。', "。\n");
        let pieces: Vec<&str> = split.lines().filter(|p| !p.trim().is_empty()).collect();
        let data: Vec<bool> = pieces
            .iter()
            .map(|p| self.part_of_data(p) || self.made_of_data(p))
            .collect();
        for (n, piece) in pieces.iter().enumerate() {
            // An excerpt of people's text (a search suggestion) may cut its first and last
            // sentence anywhere: such an end is data when the rest is and a datum holds it.
            let others = data.iter().enumerate().all(|(m, d)| m == n || *d);
            let end = pieces.len() > 1 && (n == 0 || n + 1 == pieces.len());
            // A cut end of some length is data when a datum holds it, whatever its neighbours
            // are (a search snippet also joins the fields a case is indexed with).
            let holds = self.texts.iter().any(|d| d.contains(piece.trim()));
            let cut = end && holds && (others || piece.trim().chars().count() >= 8);
            if data[n] || cut {
                rest = rest.replace(piece.trim(), " ");
            }
        }
        rest
    }

    /// Whether a line is people's values side by side (a case's product, version, operating
    /// system and environment, as its search text joins them): nothing but spaces and
    /// punctuation is left when they are taken out.
    fn made_of_data(&self, piece: &str) -> bool {
        let mut rest = piece.to_owned();
        for data in &self.texts {
            if data.chars().count() >= 2 && rest.contains(data.as_str()) {
                rest = rest.replace(data.as_str(), " ");
            }
        }
        rest.chars()
            .all(|c| c.is_whitespace() || c.is_ascii_punctuation() || c.is_ascii_digit())
    }

    /// Whether a piece of text is people's: all of a datum, or a long part of one (an excerpt,
    /// a line, a title cut short); a short English word is data only when it is all of a datum,
    /// so "owner" is not data because some description says "the owner".
    fn part_of_data(&self, piece: &str) -> bool {
        let piece = piece
            .trim()
            .trim_end_matches('…')
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-' || c.is_whitespace())
            .trim();
        if piece.is_empty() {
            return false;
        }
        let n = piece.chars().count();
        let long = n >= 16 || (has_cjk(piece) && n >= 4);
        if self.texts.iter().any(|d| d == piece) {
            return true;
        }
        let flat = flatten(piece);
        long && self.flat.iter().any(|d| d.contains(&flat))
    }
}

/// People's Markdown as shown: without its marks and with single spaces.
fn flatten(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '`' | '*' | '_' | '#' | '>'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The internal identifiers no page or mail may show: the stable names of every enum a person
/// sees translated, plan and calendar ids, and the message keys.
#[derive(Default)]
pub struct Identifiers {
    words: HashSet<String>,
}

impl Identifiers {
    /// Adds identifiers.
    pub fn add<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        self.words.extend(names.into_iter().map(str::to_owned));
    }

    /// Whether `s` is one.
    pub fn is_identifier(&self, s: &str) -> bool {
        self.words.contains(s)
    }

    /// The identifiers a text shows: a snake_case or message-key word anywhere, a one-word
    /// identifier when it is the whole text.
    pub fn found_in(&self, text: &str) -> Vec<String> {
        let trimmed = text.trim();
        if self.words.contains(trimmed) {
            return vec![trimmed.to_owned()];
        }
        trimmed
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .filter(|w| (w.contains('_') || w.contains('-')) && self.words.contains(*w))
            .map(str::to_owned)
            .collect()
    }
}

/// A time in UTC ISO 8601 (`2026-11-29T08:00:00Z`), as a stored text writes it when it ignores
/// the reader's time zone.
pub fn has_utc_iso_time(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(15)).any(|i| {
        let d = |k: usize| b[i + k].is_ascii_digit();
        d(0) && d(1)
            && d(2)
            && d(3)
            && b[i + 4] == b'-'
            && d(5)
            && d(6)
            && b[i + 7] == b'-'
            && d(8)
            && d(9)
            && b[i + 10] == b'T'
            && d(11)
            && d(12)
            && b[i + 13] == b':'
            && text[i..]
                .split_whitespace()
                .next()
                .is_some_and(|w| w.contains('Z'))
    })
}

/// The problems of one text in a language (`zh-CN` or `en`).
pub fn text_problems(
    lang: &str,
    text: &str,
    data: &UserData,
    identifiers: &Identifiers,
) -> Vec<String> {
    let mut out = Vec::new();
    if text.trim().is_empty() {
        return out;
    }
    let own = data.without(text);
    for id in identifiers.found_in(&own) {
        out.push(format!("identifier `{id}` in {text:?}"));
    }
    if has_utc_iso_time(&own) {
        out.push(format!("a UTC time in {text:?}"));
    }
    if lang == "en" {
        if has_cjk(&own) {
            out.push(format!("Chinese on an English page: {text:?}"));
        }
    } else if !has_cjk(&own) {
        let words = english_words(&own);
        if !words.is_empty() {
            out.push(format!("English {words:?} on a Chinese page: {text:?}"));
        }
    }
    out
}

/// Elements whose text is not the page's words: scripts and styles, codes and keys (`<code>`,
/// `<kbd>`) and the documents people edit (`<textarea>`).
const SKIPPED: &[&str] = &["script", "style", "code", "kbd", "textarea"];

/// The problems of a page (or of a fragment in `fragment_lang`): every text node and every attribute
/// people read (`title`, `placeholder`, `aria-label`, `alt`, a button's `value`), each in the
/// language of its nearest `lang` attribute.
pub fn page_problems(
    html: &str,
    fragment_lang: &str,
    data: &UserData,
    identifiers: &Identifiers,
) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut out = Vec::new();
    let mut snippets = HashSet::new();
    for node in doc.tree.root().descendants() {
        let (texts, start) = match node.value() {
            Node::Text(t) => (vec![t.text.to_string()], node.parent()),
            Node::Element(e) => {
                let mut said: Vec<String> = ["title", "placeholder", "aria-label", "alt"]
                    .iter()
                    .filter_map(|a| e.attr(a))
                    .map(str::to_owned)
                    .collect();
                if e.name() == "input" && matches!(e.attr("type"), Some("submit" | "button")) {
                    said.extend(e.attr("value").map(str::to_owned));
                }
                (said, Some(node))
            }
            _ => continue,
        };
        if texts.is_empty() {
            continue;
        }
        let mut lang = None;
        let mut skipped = false;
        let mut snippet = None;
        let mut at = start;
        while let Some(n) = at {
            if let Node::Element(e) = n.value() {
                skipped |= SKIPPED.contains(&e.name());
                if lang.is_none() {
                    lang = e.attr("lang").map(str::to_owned);
                }
                if e.classes().any(|c| c == "snippet") {
                    snippet = Some(n);
                }
                // Words the search found are marked inside people's text: the marked element's
                // parent is checked whole.
                let marks = n
                    .children()
                    .any(|c| matches!(c.value(), Node::Element(x) if x.name() == "mark"));
                if snippet.is_none() && (e.name() == "mark" || marks) {
                    snippet = if e.name() == "mark" {
                        n.parent()
                    } else {
                        Some(n)
                    };
                }
            }
            at = n.parent();
        }
        if skipped {
            continue;
        }
        // A fragment (the suggestions the portal fetches) has no `<html lang>` of its own.
        let lang = lang.unwrap_or_else(|| fragment_lang.to_owned());
        // A search result's snippet is people's text cut around the words found (marked), in
        // pieces joined by "…": each piece is checked whole, once.
        let texts = match snippet.and_then(scraper::ElementRef::wrap) {
            Some(s) if snippets.insert(s.id()) => s
                .text()
                .collect::<String>()
                .split('…')
                .map(str::to_owned)
                .collect(),
            Some(_) => continue,
            None => texts,
        };
        for text in texts {
            out.extend(text_problems(&lang, &text, data, identifiers));
        }
    }
    out
}

#[test]
fn the_checks_find_what_they_look_for() {
    let mut ids = Identifiers::default();
    ids.add(["initial_response", "tier_lead", "owner", "field-owner"]);
    let mut data = UserData::default();
    data.add_json(
        &serde_json::json!({"title": "Disk array degraded", "status": "owner"}),
        &ids,
    );
    data.finish();
    let page = |lang: &str, body: &str| {
        format!(
            "<!DOCTYPE html><html lang=\"{lang}\"><head><title>x</title></head><body>{body}</body></html>"
        )
    };
    let found = |html: String| page_problems(&html, "zh-CN", &data, &ids);
    // Chinese pages: English words fail, codes, names and people's data pass.
    assert_eq!(found(page("zh-CN", "<p>covered by contract</p>")).len(), 1);
    assert_eq!(
        found(page("zh-CN", "<p><span>overdue</span> 已超时</p>")).len(),
        1
    );
    assert!(
        found(page(
            "zh-CN",
            "<p>HT-CN-10004 2026-00042 SN-8812 a@b.cn Asia/Shanghai 5.3.1 SLA API</p>"
        ))
        .is_empty()
    );
    assert!(
        found(page(
            "zh-CN",
            "<p>Disk array degraded</p><p lang=\"en\">Case closed</p>"
        ))
        .is_empty()
    );
    assert!(
        found(page(
            "zh-CN",
            "<code>standard</code><textarea>initial_response</textarea>"
        ))
        .is_empty()
    );
    // Identifiers fail in both languages, also inside Chinese and in attributes.
    assert_eq!(
        found(page("zh-CN", "<p>首次响应 initial_response 120</p>")).len(),
        1
    );
    assert_eq!(found(page("en", "<p>notify tier_lead</p>")).len(), 1);
    assert_eq!(found(page("en", "<p>owner</p>")).len(), 1);
    assert_eq!(
        found(page("en", "<a title=\"field-owner\">Owner</a>")).len(),
        1
    );
    assert!(found(page("en", "<p>The owner of the case</p>")).is_empty());
    // English pages: Chinese outside people's data fails.
    assert_eq!(found(page("en", "<p>（客户已回复）</p>")).len(), 1);
    // Times written in UTC fail.
    assert_eq!(
        found(page("en", "<p>Occurred: 2026-11-29T08:00:00Z</p>")).len(),
        1
    );
    assert!(found(page("en", "<p>Occurred: 2026-11-29 16:00 +08:00</p>")).is_empty());
}
