//! The fields of the search index. One document per searchable object, whatever its kind; the
//! fields that decide who may find it (`org`, `opened_by`, `contact`, `audience`) are indexed so
//! that the caller's rights are part of every query, and staff-only text is in its own field
//! that customers' queries never name.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analyzer::INDEX_ANALYZER;

/// The version of this schema; an index written with another is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;

/// The index's fields.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// `kind:id`, unique; how a document is replaced.
    pub key: Field,
    /// `case`, `article`, `organization`, `contact` or `unit`.
    pub kind: Field,
    /// The object's id.
    pub id: Field,
    /// The case number, customer number or serial number, exactly.
    pub number: Field,
    /// The organisation it belongs to (0: none).
    pub org: Field,
    /// Cases: the user who opened it.
    pub opened_by: Field,
    /// Cases: the customer contact.
    pub contact: Field,
    /// Who may find it at all: `staff`, `customers` or `public`.
    pub audience: Field,
    /// The case's or article's status; `archived` or `active` for the directory.
    pub status: Field,
    /// Cases: severity 1–4.
    pub severity: Field,
    /// Products it is about.
    pub product: Field,
    /// Articles: the languages of its texts, in the order of its titles.
    pub language: Field,
    /// Title(s), searched with a boost.
    pub title: Field,
    /// The text everyone who may find the object may read.
    pub body: Field,
    /// Staff-only text (internal notes, organisation notes); never queried for customers.
    pub internal: Field,
    /// Articles: how often they solved a problem (ranks them).
    pub solved: Field,
    /// Last change, epoch milliseconds.
    pub updated: Field,
}

/// The schema and its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(INDEX_ANALYZER)
            // Frequencies for BM25; no positions: no query is a phrase, and snippets cut the
            // stored text again.
            .set_index_option(IndexRecordOption::WithFreqs);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    // Exact values with frequencies: a query's terms all read frequencies, which block-max WAND
    // needs.
    let exact = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("raw")
                .set_index_option(IndexRecordOption::WithFreqs),
        )
        .set_stored();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        kind: b.add_text_field("kind", STRING | STORED),
        id: b.add_u64_field("id", STORED | FAST),
        number: b.add_text_field("number", exact),
        org: b.add_u64_field("org", INDEXED | STORED),
        opened_by: b.add_u64_field("opened_by", INDEXED),
        contact: b.add_u64_field("contact", INDEXED),
        audience: b.add_text_field("audience", STRING),
        status: b.add_text_field("status", STRING | STORED),
        severity: b.add_u64_field("severity", INDEXED | STORED),
        product: b.add_u64_field("product", INDEXED),
        language: b.add_text_field("language", STRING | STORED),
        title: b.add_text_field("title", text(true)),
        body: b.add_text_field("body", text(true)),
        internal: b.add_text_field("internal", text(true)),
        solved: b.add_u64_field("solved", FAST),
        updated: b.add_i64_field("updated", STORED),
    };
    (b.build(), fields)
}
