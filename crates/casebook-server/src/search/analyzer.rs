//! How text becomes terms: Chinese is cut into words by jieba, other scripts at word boundaries;
//! punctuation, spaces and emoji are dropped, words are lower-cased and English words stemmed
//! ("connections" and "connection" are both `connect`).
//!
//! Text is indexed in jieba's search mode, which adds the shorter words inside a long one
//! (数据库 also gives 数据), and queries are cut in its precise mode, so a query word is always one
//! of the words indexed for the same text.

use std::collections::HashSet;

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};
use tantivy_jieba::JiebaTokenizer;

/// The analyzer's name for indexed text fields.
pub const INDEX_ANALYZER: &str = "casebook_text";

/// The analyzer of indexed text.
pub fn index_analyzer() -> TextAnalyzer {
    build(JiebaTokenizer::new())
}

/// The analyzer of queries.
pub fn query_analyzer() -> TextAnalyzer {
    build(JiebaTokenizer::with_search_mode(false))
}

fn build(tokenizer: JiebaTokenizer) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(WordsOnly)
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The terms of a text as indexed, in order (repeats kept).
pub fn index_terms(text: &str) -> Vec<String> {
    terms(&mut index_analyzer(), text)
}

/// The distinct terms of a query, in order, without common words that match everything; at most
/// `max` of them.
pub fn query_terms(text: &str, max: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    terms(&mut query_analyzer(), text)
        .into_iter()
        .filter(|t| !STOP_WORDS.contains(&t.as_str()))
        .filter(|t| seen.insert(t.clone()))
        .take(max)
        .collect()
}

fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Words that say nothing about a problem (after stemming).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of", "on",
    "or", "that", "the", "this", "to", "was", "with", "的", "了", "是", "在", "和", "与", "或",
    "我", "我们", "你", "请", "吗", "呢", "啊", "一个", "有", "也", "就", "都",
];

/// Keeps tokens with at least one letter or digit (jieba emits spaces and punctuation as
/// tokens).
#[derive(Clone, Copy, Debug)]
struct WordsOnly;

impl TokenFilter for WordsOnly {
    type Tokenizer<T: Tokenizer> = WordsOnlyTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> WordsOnlyTokenizer<T> {
        WordsOnlyTokenizer(tokenizer)
    }
}

#[derive(Clone, Debug)]
pub struct WordsOnlyTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for WordsOnlyTokenizer<T> {
    type TokenStream<'a> = WordsOnlyStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        WordsOnlyStream(self.0.token_stream(text))
    }
}

pub struct WordsOnlyStream<S>(S);

impl<S: TokenStream> TokenStream for WordsOnlyStream<S> {
    fn advance(&mut self) -> bool {
        while self.0.advance() {
            if self.0.token().text.chars().any(char::is_alphanumeric) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The golden test: a fixed mixed Chinese/English text cut into exactly these terms. A change
    /// of jieba's dictionary or of the filters shows up here first.
    #[test]
    fn a_fixed_text_is_cut_into_these_terms() {
        let text = "数据库连接失败：Oracle 报错 ORA-12541, connections refused 😀 after upgrading \
                    to V7.2；请检查监听器。";
        insta::assert_snapshot!("indexed_terms", index_terms(text).join(" | "));
        insta::assert_snapshot!("query_terms", query_terms(text, 64).join(" | "));
    }

    #[test]
    fn related_wordings_share_terms() {
        let ask = query_terms("数据库连接失败", 16);
        let indexed = index_terms("数据库无法连接");
        let shared: Vec<_> = ask.iter().filter(|t| indexed.contains(t)).collect();
        assert_eq!(shared, ["数据库", "连接"], "{ask:?} vs {indexed:?}");
        assert_eq!(
            query_terms("connection refused", 16),
            index_terms("connections refused")
        );
    }

    #[test]
    fn noise_gives_no_terms_and_no_panic() {
        for text in [
            "",
            "   ",
            "😀😀😀",
            "\"\" AND OR NOT (( ))",
            "***",
            "\u{0}\u{202e}",
        ] {
            let terms = query_terms(text, 16);
            assert!(
                terms.iter().all(|t| t.chars().any(char::is_alphanumeric)),
                "{text:?}: {terms:?}"
            );
        }
        assert!(query_terms("😀😀😀", 16).is_empty());
        let long = "数据库".repeat(5000) + &"x".repeat(100_000);
        assert!(query_terms(&long, 16).len() <= 16);
    }
}
