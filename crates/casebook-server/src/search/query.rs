//! Running a search: the words of the query (never parsed as syntax, so quotes, operators,
//! emoji and any length are just text) with their synonyms, the caller's rights as filters
//! inside the query, ranking by relevance with titles weighted and articles that solved problems
//! lifted, and highlighted snippets.

use std::collections::BTreeMap;
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocSet, Score, TERMINATED, TantivyDocument, Term};

use casebook_store::search::Kind;

use super::analyzer::{query_analyzer, query_terms};
use super::engine::{Engine, SearchError};
use super::schema::Fields;
use super::synonyms::Synonyms;

/// How much a match of a synonym counts beside a match of the word typed.
const SYNONYM_WEIGHT: Score = 0.8;

/// Most words of a query that count.
pub const MAX_TERMS: usize = 16;
/// Most characters of a query that are read.
pub const MAX_QUERY_CHARS: usize = 500;
/// The deepest result that can be paged to.
pub const MAX_OFFSET: usize = 1000;
/// Results are counted up to this many; beyond, `total` is this and `total_exact` false.
pub const COUNT_LIMIT: usize = 1000;

/// Who is searching, as far as the index can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Support staff: everything, internal text included.
    Staff,
    /// A customer of an organisation; `requester` limits cases to those a customer user opened
    /// or is the contact of (a customer admin sees all of the organisation's).
    Customer {
        /// Their organisation.
        organization: i64,
        /// `(user, contact)` for a customer user; `None` for a customer admin.
        requester: Option<(i64, Option<i64>)>,
    },
    /// Someone not signed in: public articles only.
    Public,
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The words.
    pub q: String,
    /// The kinds to return (empty: every kind).
    pub kinds: Vec<Kind>,
    /// Only objects of this organisation.
    pub organization: Option<i64>,
    /// Only objects about this product.
    pub product: Option<i64>,
    /// Only cases or articles in this status (or directory entries `active`/`archived`).
    pub status: Option<String>,
    /// Only cases of this severity.
    pub severity: Option<u64>,
    /// Only articles with a text in this language.
    pub language: Option<String>,
    /// Results to skip.
    pub offset: usize,
    /// Results to return.
    pub limit: usize,
    /// The caller's language, to choose an article's title.
    pub locale: String,
    /// The synonyms the query's words also ask for.
    pub synonyms: Arc<Synonyms>,
}

/// One result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Its kind.
    pub kind: Kind,
    /// Its id.
    pub id: i64,
    /// Case number, customer number, serial number or e-mail.
    pub number: Option<String>,
    /// Its title.
    pub title: String,
    /// The title as HTML with the matching words in `<mark>`.
    pub title_html: String,
    /// A passage of its text as HTML with the matching words in `<mark>`.
    pub snippet_html: String,
    /// Its status.
    pub status: Option<String>,
    /// Its organisation, if any.
    pub organization: Option<i64>,
    /// The relevance score.
    pub score: f32,
}

/// A page of results.
#[derive(Debug, Clone)]
pub struct Results {
    /// The results, best first.
    pub hits: Vec<Hit>,
    /// How many results there are in all, up to [`COUNT_LIMIT`].
    pub total: usize,
    /// False when there are more than `total` results.
    pub total_exact: bool,
    /// The offset of the next page, if there is one.
    pub next_offset: Option<usize>,
}

impl Default for Results {
    /// No results.
    fn default() -> Results {
        Results {
            hits: Vec::new(),
            total: 0,
            total_exact: true,
            next_offset: None,
        }
    }
}

/// Runs a search on the index as it is now (blocking; call it off the async threads).
pub fn run(engine: &Engine, scope: Scope, request: &Request) -> Result<Results, SearchError> {
    let f = &engine.fields;
    let q: String = request.q.chars().take(MAX_QUERY_CHARS).collect();
    let terms = query_terms(&q, MAX_TERMS);
    let exact = q.trim().to_lowercase();
    if terms.is_empty() && exact.is_empty() {
        return Ok(Results::default());
    }
    let text_fields: &[(Field, Score)] = match scope {
        Scope::Staff => &[(f.title, 3.0), (f.body, 1.0), (f.internal, 0.8)],
        _ => &[(f.title, 3.0), (f.body, 1.0)],
    };
    // One flat disjunction of (word, field) terms: tantivy ranks it with block-max WAND, which
    // skips the blocks of common words that cannot reach the top results.
    // A synonym of several terms asks for all of them (a nested conjunction).
    let mut matching: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut highlighted = terms.clone();
    for t in &terms {
        for &(field, boost) in text_fields {
            matching.push((Occur::Should, boosted(term_query(field, t), boost)));
        }
    }
    for alternative in request.synonyms.of_terms(&terms) {
        for &(field, boost) in text_fields {
            let query: Box<dyn Query> = match alternative.as_slice() {
                [one] => term_query(field, one),
                several => Box::new(BooleanQuery::new(
                    several
                        .iter()
                        .map(|w| (Occur::Must, term_query(field, w)))
                        .collect(),
                )),
            };
            matching.push((Occur::Should, boosted(query, boost * SYNONYM_WEIGHT)));
        }
        highlighted.extend(alternative);
    }
    if !exact.is_empty() && exact.chars().count() <= 64 {
        // A case number, customer number, serial number or e-mail typed exactly.
        let typed = q.trim();
        let mut numbers = vec![exact.as_str()];
        if typed != exact {
            numbers.push(typed);
        }
        for number in numbers {
            let term = TermQuery::new(
                Term::from_field_text(f.number, number),
                IndexRecordOption::WithFreqs,
            );
            matching.push((Occur::Should, boosted(Box::new(term), 20.0)));
        }
    }
    // Without filters the disjunction is the whole query: wrapped in a `Must`, WAND would not
    // see it.
    let filters = filters(f, scope, request);
    let query: Box<dyn Query> = if filters.is_empty() {
        Box::new(BooleanQuery::new(matching))
    } else {
        let mut all: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(matching)))];
        for filter in filters {
            all.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        Box::new(BooleanQuery::new(all))
    };

    let searcher = engine.reader.searcher();
    let limit = request.limit.clamp(1, 100);
    let offset = request.offset.min(MAX_OFFSET);
    // One more than the page, to know whether there is a next one.
    let wanted = (offset + limit + 1).max(LIFT_WINDOW);
    let mut found = searcher.search(&query, &TopDocs::with_limit(wanted).order_by_score())?;
    lift_solved(&searcher, &mut found);
    let more = found.len() > offset + limit;
    let counted = count_up_to(&searcher, query.as_ref(), COUNT_LIMIT + 1)?;
    let snippets = Snippets::new(&searcher, &highlighted, f, scope)?;
    let mut hits = Vec::with_capacity(limit);
    for &(score, address) in found.iter().skip(offset).take(limit) {
        hits.push(hit(
            &searcher,
            address,
            score,
            f,
            &snippets,
            &request.locale,
        )?);
    }
    let next_offset = (more && offset + limit <= MAX_OFFSET).then_some(offset + limit);
    Ok(Results {
        hits,
        total: counted.min(COUNT_LIMIT),
        total_exact: counted <= COUNT_LIMIT,
        next_offset,
    })
}

/// The best results by relevance alone among which articles that solved problems are lifted
/// (a fixed window, so that pages stay consistent).
const LIFT_WINDOW: usize = 100;

/// Articles that solved problems move up among the first [`LIFT_WINDOW`] results: the score is
/// multiplied by `1 + ln(1 + solved) / 10`.
fn lift_solved(searcher: &tantivy::Searcher, found: &mut [(Score, DocAddress)]) {
    let window = found.len().min(LIFT_WINDOW);
    let mut columns = BTreeMap::new();
    for (score, address) in &mut found[..window] {
        let column = columns.entry(address.segment_ord).or_insert_with(|| {
            searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64("solved")
                .ok()
                .map(|c| c.first_or_default_col(0))
        });
        let solved = column.as_ref().map_or(0, |c| c.get_val(address.doc_id));
        *score *= 1.0 + (solved as Score).ln_1p() * 0.1;
    }
    found[..window].sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
}

/// Counts the documents `query` matches, up to `cap` (counting every match of a common word
/// over a million documents would cost more than the search).
fn count_up_to(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    cap: usize,
) -> tantivy::Result<usize> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut n = 0;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                n += 1;
                if n >= cap {
                    return Ok(n);
                }
            }
            doc = scorer.advance();
        }
    }
    Ok(n)
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: Box<dyn Query>, boost: Score) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        query
    } else {
        Box::new(BoostQuery::new(query, boost))
    }
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::Basic,
    ))
}

fn number(field: Field, n: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, n),
        IndexRecordOption::Basic,
    ))
}

fn any(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(queries))
}

fn every(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::intersection(queries))
}

/// The filters every result must pass: the caller's rights first, then what was asked.
fn filters(f: &Fields, scope: Scope, r: &Request) -> Vec<Box<dyn Query>> {
    let mut out = Vec::new();
    let articles_for = |audiences: &[&str]| {
        every(vec![
            term(f.kind, Kind::Article.as_str()),
            any(audiences.iter().map(|a| term(f.audience, a)).collect()),
        ])
    };
    match scope {
        Scope::Staff => {}
        Scope::Public => out.push(articles_for(&["public"])),
        Scope::Customer {
            organization,
            requester,
        } => {
            let org = organization.max(0) as u64;
            let mut cases = vec![term(f.kind, Kind::Case.as_str()), number(f.org, org)];
            if let Some((user, contact)) = requester {
                let mut mine = vec![number(f.opened_by, user.max(0) as u64)];
                if let Some(contact) = contact {
                    mine.push(number(f.contact, contact.max(0) as u64));
                }
                cases.push(any(mine));
            }
            let directory = every(vec![
                any([Kind::Organization, Kind::Contact, Kind::Unit]
                    .iter()
                    .map(|k| term(f.kind, k.as_str()))
                    .collect()),
                number(f.org, org),
            ]);
            out.push(any(vec![
                articles_for(&["customers", "public"]),
                every(cases),
                directory,
            ]));
        }
    }
    if !r.kinds.is_empty() {
        out.push(any(r
            .kinds
            .iter()
            .map(|k| term(f.kind, k.as_str()))
            .collect()));
    }
    if let Some(org) = r.organization {
        out.push(number(f.org, org.max(0) as u64));
    }
    if let Some(product) = r.product {
        out.push(number(f.product, product.max(0) as u64));
    }
    if let Some(status) = &r.status {
        out.push(term(f.status, status));
    }
    if let Some(severity) = r.severity {
        out.push(number(f.severity, severity));
    }
    if let Some(language) = &r.language {
        out.push(term(f.language, language));
    }
    out
}

/// Snippet generators for the fields the caller may read.
struct Snippets {
    title: SnippetGenerator,
    body: SnippetGenerator,
    internal: Option<SnippetGenerator>,
}

impl Snippets {
    /// Snippets cut the text with the query's analyzer: the index's search mode emits words
    /// inside words (数据, 据库, 数据库), whose overlapping offsets the snippet code cannot take.
    fn new(
        searcher: &tantivy::Searcher,
        terms: &[String],
        f: &Fields,
        scope: Scope,
    ) -> Result<Snippets, SearchError> {
        let generator = |field: Field, chars: usize| -> Result<SnippetGenerator, SearchError> {
            let mut weights = BTreeMap::new();
            for t in terms {
                let freq = searcher.doc_freq(&Term::from_field_text(field, t))?;
                if freq > 0 {
                    weights.insert(t.clone(), 1.0 / (1.0 + freq as Score));
                }
            }
            Ok(SnippetGenerator::new(
                weights,
                query_analyzer(),
                field,
                chars,
            ))
        };
        Ok(Snippets {
            title: generator(f.title, 300)?,
            body: generator(f.body, 200)?,
            internal: if scope == Scope::Staff {
                Some(generator(f.internal, 200)?)
            } else {
                None
            },
        })
    }
}

fn marked(mut snippet: tantivy::snippet::Snippet) -> Option<String> {
    if snippet.is_empty() {
        return None;
    }
    snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
    Some(snippet.to_html())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn hit(
    searcher: &tantivy::Searcher,
    address: DocAddress,
    score: Score,
    f: &Fields,
    snippets: &Snippets,
    locale: &str,
) -> Result<Hit, SearchError> {
    let doc: TantivyDocument = searcher.doc(address)?;
    let text = |field: Field| {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let kind = text(f.kind)
        .as_deref()
        .and_then(Kind::parse)
        .ok_or_else(|| SearchError::Index("a document without kind".into()))?;
    let id = doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0) as i64;
    let titles: Vec<String> = doc
        .get_all(f.title)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let languages: Vec<String> = doc
        .get_all(f.language)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let chosen = languages
        .iter()
        .position(|l| l == locale)
        .and_then(|i| titles.get(i))
        .or(titles.first())
        .cloned()
        .unwrap_or_default();
    let title_html = marked(snippets.title.snippet(&chosen)).unwrap_or_else(|| escape(&chosen));
    let body: String = doc
        .get_all(f.body)
        .filter_map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut snippet_html = marked(snippets.body.snippet(&body));
    if snippet_html.is_none()
        && let Some(internal) = &snippets.internal
    {
        let text: String = doc
            .get_all(f.internal)
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        snippet_html = marked(internal.snippet(&text));
    }
    let snippet_html = snippet_html.unwrap_or_else(|| {
        let start: String = body.trim().chars().take(160).collect();
        escape(&start)
    });
    let org = doc.get_first(f.org).and_then(|v| v.as_u64()).unwrap_or(0);
    Ok(Hit {
        kind,
        id,
        number: text(f.number),
        title: chosen,
        title_html,
        snippet_html,
        status: text(f.status),
        organization: (org > 0).then_some(org as i64),
        score,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::{Index, IndexWriter};

    /// An index in memory with `n` documents that say "disk", the ones in `solved` with that many
    /// solved problems, and the first `deleted` of them deleted.
    fn index(n: u64, solved: &[(u64, u64)], deleted: u64) -> (tantivy::Searcher, Fields) {
        let (schema, f) = super::super::schema::build();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(
            super::super::analyzer::INDEX_ANALYZER,
            super::super::analyzer::index_analyzer(),
        );
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for id in 0..n {
            let mut d = TantivyDocument::default();
            d.add_text(f.key, format!("article:{id}"));
            d.add_text(f.kind, "article");
            d.add_u64(f.id, id);
            d.add_text(f.title, "disk array");
            let count = solved.iter().find(|s| s.0 == id).map_or(0, |s| s.1);
            d.add_u64(f.solved, count);
            writer.add_document(d).unwrap();
        }
        writer.commit().unwrap();
        for id in 0..deleted {
            writer.delete_term(Term::from_field_text(f.key, &format!("article:{id}")));
        }
        writer.commit().unwrap();
        let reader = index.reader().unwrap();
        (reader.searcher(), f)
    }

    fn disk(f: &Fields) -> TermQuery {
        TermQuery::new(
            Term::from_field_text(f.title, "disk"),
            IndexRecordOption::WithFreqs,
        )
    }

    #[test]
    fn counting_stops_at_its_cap_and_skips_deleted_documents() {
        let (searcher, f) = index(30, &[], 4);
        assert_eq!(count_up_to(&searcher, &disk(&f), 10).unwrap(), 10);
        assert_eq!(count_up_to(&searcher, &disk(&f), 100).unwrap(), 26);
        let none = TermQuery::new(
            Term::from_field_text(f.title, "tape"),
            IndexRecordOption::WithFreqs,
        );
        assert_eq!(count_up_to(&searcher, &none, 100).unwrap(), 0);
    }

    #[test]
    fn articles_that_solved_problems_move_up_within_the_window() {
        let (searcher, f) = index(
            LIFT_WINDOW as u64 + 20,
            &[(7, 40), (LIFT_WINDOW as u64 + 10, 500)],
            0,
        );
        let mut found = searcher
            .search(
                &disk(&f),
                &TopDocs::with_limit(LIFT_WINDOW + 20).order_by_score(),
            )
            .unwrap();
        let id = |a: DocAddress| {
            let doc: TantivyDocument = searcher.doc(a).unwrap();
            doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap()
        };
        // Equal scores: document order.
        assert_eq!(id(found[0].1), 0);
        let before = found[0].0;
        lift_solved(&searcher, &mut found);
        assert_eq!(id(found[0].1), 7);
        assert!((found[0].0 - before * (1.0 + 41f32.ln() * 0.1)).abs() < 1e-4);
        // Beyond the window nothing moves, so that pages stay consistent.
        assert_eq!(id(found[LIFT_WINDOW + 10].1), LIFT_WINDOW as u64 + 10);
        assert!(
            found
                .windows(2)
                .take(LIFT_WINDOW - 1)
                .all(|w| w[0].0 >= w[1].0)
        );
    }
}
