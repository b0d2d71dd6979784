//! Search synonyms (同义词): groups of words that mean the same to the people who search a
//! support desk (磁盘 and 硬盘, 宕机 and 停机 and "down"). A search for one word of a group also
//! finds what uses another. Admins edit the groups; Casebook ships a starter list for IT
//! support Chinese.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Timestamp;
use crate::error::ValidationError;
use crate::text::Line;

/// Most words in one group.
pub const MAX_WORDS: usize = 12;
/// Most characters of one word.
pub const MAX_WORD_CHARS: usize = 40;

/// The words of one group: at least two, at most [`MAX_WORDS`], each one line of at most
/// [`MAX_WORD_CHARS`] characters, no word twice (letter case aside). Given as a list, or as one
/// text with the words separated by commas (`,` `，` `、`), semicolons or line ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WordsInput", into = "Vec<String>")]
pub struct Words(Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum WordsInput {
    List(Vec<String>),
    Text(String),
}

impl TryFrom<WordsInput> for Words {
    type Error = ValidationError;

    fn try_from(input: WordsInput) -> Result<Words, ValidationError> {
        match input {
            WordsInput::List(words) => Words::parse(words.iter().map(String::as_str)),
            WordsInput::Text(text) => Words::parse_text(&text),
        }
    }
}

impl From<Words> for Vec<String> {
    fn from(words: Words) -> Vec<String> {
        words.0
    }
}

impl Words {
    /// Parses words given one by one (blank ones are skipped).
    pub fn parse<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Words, ValidationError> {
        let mut words: Vec<String> = Vec::new();
        for word in raw {
            if word.trim().is_empty() {
                continue;
            }
            let word = Line::<MAX_WORD_CHARS>::parse(word)?;
            let lower = word.as_str().to_lowercase();
            if words.iter().any(|w| w.to_lowercase() == lower) {
                return Err(ValidationError::new(
                    "duplicate",
                    format!("“{}” is given twice", word.as_str()),
                ));
            }
            words.push(word.as_str().to_owned());
        }
        if words.len() < 2 {
            return Err(ValidationError::new(
                "too_few",
                "a group needs at least two words",
            ));
        }
        if words.len() > MAX_WORDS {
            return Err(ValidationError::new(
                "too_many",
                format!("a group has at most {MAX_WORDS} words"),
            ));
        }
        Ok(Words(words))
    }

    /// Parses words in one text, separated by commas, semicolons or line ends.
    pub fn parse_text(text: &str) -> Result<Words, ValidationError> {
        Words::parse(text.split([',', '，', '、', ';', '；', '\n']))
    }

    /// The words.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The words as one text, as the edit form shows them.
    pub fn joined(&self) -> String {
        self.0.join(", ")
    }
}

impl utoipa::PartialSchema for Words {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let word = utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_WORD_CHARS));
        let list = utoipa::openapi::schema::ArrayBuilder::new()
            .items(word)
            .min_items(Some(2))
            .max_items(Some(MAX_WORDS))
            .unique_items(true);
        let text = utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "the words in one text, separated by commas (, ， 、), semicolons or line ends",
            ));
        utoipa::openapi::schema::OneOfBuilder::new()
            .item(list)
            .item(text)
            .into()
    }
}

impl ToSchema for Words {}

/// A group of synonyms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SynonymGroup {
    /// Its id.
    pub id: i64,
    /// Its words.
    pub words: Words,
    /// Grows with each change.
    pub version: i64,
    /// When it was last changed.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

/// A new group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymDraft {
    /// Its words.
    pub words: Words,
}

/// New words for a group.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynonymPatch {
    /// Its words.
    pub words: Words,
    /// The version you last read.
    pub version: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_from_a_list_or_one_text() {
        let listed: Words = serde_json::from_value(serde_json::json!(["磁盘", " 硬盘 "])).unwrap();
        assert_eq!(listed.as_slice(), ["磁盘", "硬盘"]);
        let typed: Words =
            serde_json::from_value(serde_json::json!("宕机，停机、 down\n")).unwrap();
        assert_eq!(typed.as_slice(), ["宕机", "停机", "down"]);
        assert_eq!(typed.joined(), "宕机, 停机, down");
    }

    #[test]
    fn refused_words_say_why() {
        let code = |v: serde_json::Value| {
            let raw = match v {
                serde_json::Value::String(s) => WordsInput::Text(s),
                other => WordsInput::List(serde_json::from_value(other).unwrap()),
            };
            Words::try_from(raw).unwrap_err().code
        };
        assert_eq!(code(serde_json::json!(["磁盘"])), "too_few");
        assert_eq!(code(serde_json::json!("")), "too_few");
        assert_eq!(code(serde_json::json!(["Down", "down"])), "duplicate");
        let many: Vec<String> = (0..13).map(|n| format!("w{n}")).collect();
        assert_eq!(code(serde_json::json!(many)), "too_many");
        assert_eq!(code(serde_json::json!(["a".repeat(41), "b"])), "too_long");
    }
}
