//! The languages of Casebook's pages and mail (zh-CN and en): messages from Fluent files compiled into the
//! binary, and the choice of language for a request (the user's remembered choice, then the
//! browser's `Accept-Language`, then Chinese).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Every argument a message takes (`{ $name }`); a test keeps the list complete, so that
/// [`Lang::has`] finds every message.
const ARGUMENTS: [&str; 52] = [
    "at",
    "calendar",
    "change",
    "channel",
    "channels",
    "code",
    "contact",
    "count",
    "days",
    "due",
    "field",
    "fields",
    "from",
    "hours",
    "included",
    "label",
    "last",
    "limit",
    "mailbox",
    "max",
    "message",
    "metric",
    "minutes",
    "n",
    "name",
    "number",
    "occurrences",
    "organization",
    "password",
    "percent",
    "plan",
    "problem",
    "reason",
    "remaining",
    "score",
    "serial",
    "session",
    "severity",
    "span",
    "suppressed",
    "target",
    "tier",
    "time",
    "title",
    "to",
    "unit",
    "until",
    "used",
    "visit",
    "what",
    "year",
    "zone",
];

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Both, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The BCP 47 tag (`zh-CN`, `en`), also the `lang` attribute of pages.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language of a stored or submitted tag.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "zh" || tag.starts_with("zh-") {
            Some(Lang::Zh)
        } else if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag)
                && q > 0.0
                && best.is_none_or(|(b, _)| q > b)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Zh => fluent_templates::langid!("zh-CN"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The message `key`; a missing key shows as the key itself (a test keeps both files complete).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with one argument.
    pub fn t1(self, key: &str, name: &'static str, value: impl ToString) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        args.insert(Cow::Borrowed(name), FluentValue::from(value.to_string()));
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The message `key` with several arguments.
    pub fn tn(self, key: &str, values: &[(&'static str, String)]) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for (name, value) in values {
            args.insert(Cow::Borrowed(*name), FluentValue::from(value.clone()));
        }
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// A refused field in this language: the field's label and what is wrong with it. Chinese
    /// says it by the error's code from the catalogue; English keeps the action's own sentence,
    /// which names limits and values.
    pub fn field_error(self, error: &casebook_domain::FieldError) -> String {
        let coded = format!("validation-{}", error.code);
        let chinese = error
            .message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let what = match self {
            Lang::En => error.message.clone(),
            // The web forms word their own refusals in the reader's language already.
            Lang::Zh if chinese => error.message.clone(),
            Lang::Zh if self.has(&coded) => self.t(&coded),
            Lang::Zh => self.t("validation-invalid"),
        };
        // `versions[2].released_on` is labelled as `released_on`.
        let last = error
            .field
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .split('[')
            .next()
            .unwrap_or_default();
        let label = match last {
            "" => None,
            "product_version" => Some("field-version".to_owned()),
            "operating_system" => Some("field-os".to_owned()),
            other => Some(format!("field-{}", other.replace('_', "-"))),
        };
        match label.filter(|key| self.has(key)) {
            Some(key) => self.tn(
                "validation-field",
                &[("field", self.t(&key)), ("problem", what)],
            ),
            None => what,
        }
    }

    /// Whether `key` exists in this language.
    pub fn has(self, key: &str) -> bool {
        let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
        for name in ARGUMENTS {
            args.insert(Cow::Borrowed(name), FluentValue::from("x"));
        }
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Lang::Zh)
        );
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en-US;q=0.5, zh;q=0.4"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(
            Lang::from_accept_language("zh;q=0, en;q=0.1"),
            Some(Lang::En)
        );
    }

    fn keys(file: &str) -> Vec<String> {
        file.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap_or_default().trim().to_owned())
            .collect()
    }

    /// The keys of every `.ftl` file of a language's folder (each part of the product may keep
    /// its own file beside `casebook.ftl`).
    fn keys_of(tag: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(tag);
        let mut all = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "ftl") {
                all.extend(keys(&std::fs::read_to_string(&path).unwrap()));
            }
        }
        all
    }

    #[test]
    fn every_argument_of_the_messages_is_known() {
        for tag in ["en", "zh-CN"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("locales")
                .join(tag);
            for entry in std::fs::read_dir(dir).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for piece in text.split('$').skip(1) {
                    let name: String = piece
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    assert!(ARGUMENTS.contains(&name.as_str()), "{tag}: ${name}");
                }
            }
        }
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let en = keys_of("en");
        let zh = keys_of("zh-CN");
        for (tag, list) in [("en", &en), ("zh-CN", &zh)] {
            let mut seen = std::collections::HashSet::new();
            let twice: Vec<_> = list.iter().filter(|k| !seen.insert(*k)).collect();
            assert!(twice.is_empty(), "defined twice in {tag}: {twice:?}");
        }
        let missing_zh: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        let missing_en: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing_zh.is_empty(), "missing in zh-CN: {missing_zh:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        assert!(en.len() > 50, "only {} messages", en.len());
    }

    /// Every file below `dir`.
    fn files_under(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![dir];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for path in files_under(dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text
                .split(".t(\"")
                .skip(1)
                .chain(text.split(".t1(\"").skip(1))
            {
                let key = piece.split('"').next().unwrap_or_default();
                for lang in Lang::ALL {
                    if !lang.has(key) {
                        missing.push(format!("{}: {key} ({})", path.display(), lang.tag()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn every_key_the_code_looks_up_exists() {
        // Lookups by `t`, `t1` and `tn` with a literal key, anywhere in `src` (pages, mail,
        // notifications).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        for path in files_under(dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            for call in [".t(\"", ".t1(\"", ".tn(\""] {
                for piece in text.split(call).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if key.is_empty() || key.contains(['{', ' ']) {
                        continue;
                    }
                    for lang in Lang::ALL {
                        if !lang.has(key) {
                            missing.push(format!("{}: {key} ({})", path.display(), lang.tag()));
                        }
                    }
                }
            }
        }

        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn every_key_the_handlers_name_exists() {
        const PREFIXES: [&str; 9] = [
            "field-", "nav-", "new-", "error-", "sign-in-", "default-", "staff-", "recent-",
            "unit-",
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut missing = Vec::new();
        for path in files_under(dir) {
            let text = std::fs::read_to_string(&path).unwrap();
            for literal in text.split('"').skip(1).step_by(2) {
                let is_key = PREFIXES.iter().any(|p| literal.starts_with(p))
                    && literal.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    });
                for lang in Lang::ALL {
                    if is_key && !literal.ends_with('-') && !lang.has(literal) {
                        missing.push(format!("{}: {literal} ({})", path.display(), lang.tag()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
    }
}
