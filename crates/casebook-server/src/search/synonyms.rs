//! Synonyms applied at query time: each group of words the admins keep (磁盘, 硬盘, disk) is cut
//! into terms by the query analyzer, and a query term (or a run of terms) that is one of a
//! group's words also asks for the group's other words. Nothing is re-indexed when the groups
//! change. A word that cuts into several terms (无法连接 → 无法 连接) is recognised as that run
//! in a query and asked for as all of its terms together.
//!
//! The groups are read from the database for each search (a few hundred short rows); the terms
//! are cut again only when a group changed ([`SynonymCache`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use casebook_domain::synonyms::SynonymGroup;

use super::analyzer::query_terms;

/// Most alternatives a query term is expanded into.
pub const MAX_ALTERNATIVES: usize = 8;

/// For each word of a group (as its terms), the other words of its groups, each as its terms.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Synonyms {
    alternatives: HashMap<Vec<String>, Vec<Vec<String>>>,
}

impl Synonyms {
    /// The synonyms of `groups`.
    pub fn of(groups: &[SynonymGroup]) -> Synonyms {
        let mut alternatives: HashMap<Vec<String>, Vec<Vec<String>>> = HashMap::new();
        for group in groups {
            let cut: Vec<Vec<String>> = group
                .words
                .as_slice()
                .iter()
                .map(|w| query_terms(w, 8))
                .filter(|terms| !terms.is_empty())
                .collect();
            for (k, word) in cut.iter().enumerate() {
                let others = alternatives.entry(word.clone()).or_default();
                for (j, other) in cut.iter().enumerate() {
                    if j != k && other != word && !others.contains(other) {
                        others.push(other.clone());
                    }
                }
            }
        }
        for others in alternatives.values_mut() {
            others.truncate(MAX_ALTERNATIVES);
        }
        Synonyms { alternatives }
    }

    /// The other words a query term also asks for (each as its terms).
    pub fn of_term(&self, term: &str) -> &[Vec<String>] {
        self.alternatives
            .get(&vec![term.to_owned()])
            .map_or(&[], Vec::as_slice)
    }

    /// What a query's terms also ask for: the alternatives of each term, and of each run of
    /// terms that is a word of several terms (隔离网关 is cut into 隔离 · 网关); each once, in
    /// the query's order.
    pub fn of_terms(&self, terms: &[String]) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        for start in 0..terms.len() {
            for end in start + 1..=terms.len().min(start + 8) {
                let Some(others) = self.alternatives.get(&terms[start..end]) else {
                    continue;
                };
                for other in others {
                    if !out.contains(other) && other.as_slice() != &terms[start..end] {
                        out.push(other.clone());
                    }
                }
            }
        }
        out
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.alternatives.is_empty()
    }
}

/// The synonyms of the groups last read, kept until a group changes.
#[derive(Debug, Default)]
pub struct SynonymCache {
    last: Mutex<Option<(Vec<(i64, i64)>, Arc<Synonyms>)>>,
}

impl SynonymCache {
    /// The synonyms of `groups`, cut again only when the groups differ (by id and version) from
    /// the last ones.
    pub fn of(&self, groups: &[SynonymGroup]) -> Arc<Synonyms> {
        let key: Vec<(i64, i64)> = groups.iter().map(|g| (g.id, g.version)).collect();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((seen, synonyms)) = last.as_ref()
            && *seen == key
        {
            return synonyms.clone();
        }
        let synonyms = Arc::new(Synonyms::of(groups));
        *last = Some((key, synonyms.clone()));
        synonyms
    }
}

#[cfg(test)]
mod tests {
    use casebook_domain::synonyms::Words;

    use super::*;

    fn group(id: i64, words: &[&str]) -> SynonymGroup {
        SynonymGroup {
            id,
            words: Words::parse(words.iter().copied()).unwrap(),
            version: 1,
            updated_at: casebook_domain::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_word_asks_for_the_others_of_its_group() {
        let s = Synonyms::of(&[
            group(1, &["磁盘", "硬盘", "Disks"]),
            group(2, &["无法连接", "连接失败", "timeout"]),
        ]);
        assert_eq!(
            s.of_term("磁盘"),
            [vec!["硬盘".to_owned()], vec!["disk".to_owned()]]
        );
        assert_eq!(
            s.of_term("disk"),
            [vec!["磁盘".to_owned()], vec!["硬盘".to_owned()]]
        );
        let timeout = s.of_term("timeout");
        assert_eq!(timeout.len(), 2, "{timeout:?}");
        assert!(
            timeout.iter().any(|t| t.len() > 1),
            "a word of several terms: {timeout:?}"
        );
        assert!(s.of_term("网卡").is_empty());
        let query = ["网络".to_owned(), "无法".to_owned(), "连接".to_owned()];
        let asked = s.of_terms(&query);
        assert!(
            asked.contains(&vec!["timeout".to_owned()]),
            "a run of terms: {asked:?}"
        );
    }

    #[test]
    fn the_cache_cuts_again_only_after_a_change() {
        let cache = SynonymCache::default();
        let groups = vec![group(1, &["磁盘", "硬盘"])];
        let first = cache.of(&groups);
        assert!(Arc::ptr_eq(&first, &cache.of(&groups)));
        let mut changed = groups.clone();
        changed[0].version = 2;
        changed[0].words = Words::parse(["磁盘", "HDD"]).unwrap();
        let second = cache.of(&changed);
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.of_term("磁盘"), [vec!["hdd".to_owned()]]);
    }
}
