//! How an attachment is previewed: images and PDFs shown inline, text and log files read as
//! lines (UTF-8, else GB18030 for files named as text) with numbers, a search that lists the
//! matching lines and marks the words, and pages of [`PAGE_LINES`] lines for large logs;
//! anything else is only downloaded.

use encoding_rs::GB18030;

/// Lines on one page of the viewer.
pub const PAGE_LINES: usize = 500;
/// Most characters of one line shown (the rest is cut, with "…").
pub const LINE_CHARS: usize = 2000;
/// Most matching lines listed for a search.
pub const MAX_MATCHES: usize = 200;

/// What a preview shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// An image, inline.
    Image,
    /// A PDF, inline.
    Pdf,
    /// Text as numbered lines.
    Text,
    /// Nothing: download only.
    Download,
}

const IMAGES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];
const TEXT_NAMES: [&str; 16] = [
    "log", "txt", "out", "err", "trc", "csv", "json", "xml", "yaml", "yml", "ini", "conf", "cfg",
    "md", "sql", "sh",
];

fn named_as_text(file_name: &str) -> bool {
    file_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| TEXT_NAMES.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Whether an attachment of this type may be shown inline (images other than SVG, PDFs).
pub fn inline_type(content_type: &str) -> bool {
    IMAGES.contains(&content_type) || content_type == "application/pdf"
}

/// How an attachment is previewed, by its declared type, its name and its first bytes.
pub fn shown(content_type: &str, file_name: &str, content: &[u8]) -> Shown {
    if IMAGES.contains(&content_type) {
        return Shown::Image;
    }
    if content_type == "application/pdf" {
        return Shown::Pdf;
    }
    let head = &content[..content.len().min(8192)];
    if head.contains(&0) {
        return Shown::Download;
    }
    let texty = content_type.starts_with("text/")
        || content_type.ends_with("json")
        || content_type.ends_with("xml")
        || named_as_text(file_name);
    if texty || std::str::from_utf8(content).is_ok() {
        Shown::Text
    } else {
        Shown::Download
    }
}

/// The text of a file: UTF-8 when it is, else GB18030 (which reads GBK and GB2312).
pub fn decode(content: &[u8]) -> String {
    match std::str::from_utf8(content) {
        Ok(text) => text.to_owned(),
        Err(_) => GB18030.decode(content).0.into_owned(),
    }
}

/// One line of a page: its number and its text in pieces, `true` for a piece that matches the
/// search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based.
    pub number: usize,
    /// Text pieces; the matching ones marked.
    pub pieces: Vec<(String, bool)>,
}

/// One page of a text, with the search's matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextPage {
    /// The lines of this page.
    pub lines: Vec<Line>,
    /// 1-based page number (clamped to the pages there are).
    pub page: usize,
    /// How many pages.
    pub pages: usize,
    /// How many lines in all.
    pub total_lines: usize,
    /// Numbers of the lines that match the search (at most [`MAX_MATCHES`]).
    pub matches: Vec<usize>,
    /// Whether more lines matched than listed.
    pub more_matches: bool,
}

fn cut(line: &str) -> String {
    if line.chars().count() <= LINE_CHARS {
        line.to_owned()
    } else {
        let mut s: String = line.chars().take(LINE_CHARS).collect();
        s.push('…');
        s
    }
}

/// Splits `line` into pieces around the (case-insensitive) occurrences of `q`.
fn pieces(line: &str, q: &str) -> Vec<(String, bool)> {
    if q.is_empty() {
        return vec![(line.to_owned(), false)];
    }
    let lower = line.to_lowercase();
    // Lower-casing may change lengths outside ASCII; mark only when offsets agree.
    if lower.len() != line.len() {
        return vec![(line.to_owned(), lower.contains(q))];
    }
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(q) {
        let start = at + found;
        if start > at {
            out.push((line[at..start].to_owned(), false));
        }
        out.push((line[start..start + q.len()].to_owned(), true));
        at = start + q.len();
    }
    if at < line.len() || out.is_empty() {
        out.push((line[at..].to_owned(), false));
    }
    out
}

/// Page `page` (1-based) of `text`, with the lines matching `q` listed and marked.
pub fn page_of(text: &str, page: usize, q: &str) -> TextPage {
    let q = q.trim().to_lowercase();
    let all: Vec<&str> = text.lines().collect();
    let total_lines = all.len();
    let pages = total_lines.div_ceil(PAGE_LINES).max(1);
    let page = page.clamp(1, pages);
    let mut matches = Vec::new();
    let mut more_matches = false;
    if !q.is_empty() {
        for (i, line) in all.iter().enumerate() {
            if line.to_lowercase().contains(&q) {
                if matches.len() == MAX_MATCHES {
                    more_matches = true;
                    break;
                }
                matches.push(i + 1);
            }
        }
    }
    let first = (page - 1) * PAGE_LINES;
    let lines = all
        .iter()
        .enumerate()
        .skip(first)
        .take(PAGE_LINES)
        .map(|(i, line)| Line {
            number: i + 1,
            pieces: pieces(&cut(line), &q),
        })
        .collect();
    TextPage {
        lines,
        page,
        pages,
        total_lines,
        matches,
        more_matches,
    }
}

/// The page a line is on.
pub fn page_of_line(line: usize) -> usize {
    line.saturating_sub(1) / PAGE_LINES + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_shown_how() {
        assert_eq!(shown("image/png", "a.png", b"\x89PNG"), Shown::Image);
        assert_eq!(shown("image/svg+xml", "a.svg", b"<svg/>"), Shown::Text);
        assert_eq!(shown("application/pdf", "a.pdf", b"%PDF"), Shown::Pdf);
        assert_eq!(
            shown("application/octet-stream", "x.log", b"ok\n"),
            Shown::Text
        );
        assert_eq!(
            shown("application/octet-stream", "x.bin", b"a\0b"),
            Shown::Download
        );
        let gbk = GB18030.encode("错误：磁盘离线").0;
        assert_eq!(
            shown("application/octet-stream", "x.bin", &gbk),
            Shown::Download
        );
        assert_eq!(
            shown("application/octet-stream", "x.log", &gbk),
            Shown::Text
        );
        assert_eq!(decode(&gbk), "错误：磁盘离线");
        assert!(inline_type("image/jpeg") && inline_type("application/pdf"));
        assert!(!inline_type("image/svg+xml") && !inline_type("text/html"));
    }

    #[test]
    fn pages_numbers_and_marks() {
        let text: String = (1..=1203)
            .map(|n| {
                if n % 400 == 0 {
                    format!("{n} ERROR disk\n")
                } else {
                    format!("{n} ok\n")
                }
            })
            .collect();
        let first = page_of(&text, 1, "error");
        assert_eq!(
            (first.pages, first.total_lines, first.lines.len()),
            (3, 1203, 500)
        );
        assert_eq!(first.matches, [400, 800, 1200]);
        assert_eq!(
            first.lines[399].pieces,
            [
                ("400 ".to_owned(), false),
                ("ERROR".to_owned(), true),
                (" disk".to_owned(), false)
            ]
        );
        let last = page_of(&text, 99, "");
        assert_eq!(
            (last.page, last.lines.len(), last.lines[0].number),
            (3, 203, 1001)
        );
        assert_eq!(page_of_line(1200), 3);
        assert_eq!(page_of("", 1, "x").pages, 1);
        let long = "x".repeat(LINE_CHARS + 5);
        assert!(page_of(&long, 1, "").lines[0].pieces[0].0.ends_with('…'));
    }
}
