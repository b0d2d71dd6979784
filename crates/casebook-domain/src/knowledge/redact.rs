//! Removing a customer's names from text taken from one of their cases, so that an article
//! grown from a case does not say whose case it was: the organisation's name and customer
//! number, the names of its people, e-mail addresses and telephone numbers become placeholders
//! such as `[客户]` or `[customer]`.
//!
//! Names are whole words: "Li" is not found in "Linux" nor "IT" in "edit" — a name is matched
//! only where the characters around its ASCII letters and digits are not ASCII letters, digits
//! or `_`. Names with Chinese (or other CJK) characters are found anywhere, as Chinese has no
//! spaces between words. Names are matched ignoring ASCII case, except names of two or three
//! letters, found only as written or in capitals ("IT" is not the word "it", "Max" not "max").

use super::Language;

/// What a found name is replaced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// The organisation's name.
    Customer,
    /// The customer number.
    CustomerNumber,
    /// A person of the customer.
    Person,
    /// An e-mail address.
    Email,
    /// A telephone number.
    Phone,
}

impl Placeholder {
    /// The text put in the name's place.
    pub fn text(self, language: Language) -> &'static str {
        match (self, language) {
            (Self::Customer, Language::ZhCn) => "[客户]",
            (Self::CustomerNumber, Language::ZhCn) => "[客户号]",
            (Self::Person, Language::ZhCn) => "[联系人]",
            (Self::Email, Language::ZhCn) => "[邮箱]",
            (Self::Phone, Language::ZhCn) => "[电话]",
            (Self::Customer, Language::En) => "[customer]",
            (Self::CustomerNumber, Language::En) => "[customer number]",
            (Self::Person, Language::En) => "[contact]",
            (Self::Email, Language::En) => "[e-mail]",
            (Self::Phone, Language::En) => "[phone]",
        }
    }
}

/// The names to remove, and the language of the placeholders.
#[derive(Debug, Clone)]
pub struct Redactor {
    language: Language,
    terms: Vec<(String, Placeholder)>,
}

impl Redactor {
    /// A redactor writing placeholders in `language`; it always removes e-mail addresses and
    /// telephone numbers.
    pub fn new(language: Language) -> Self {
        Self {
            language,
            terms: Vec::new(),
        }
    }

    /// Also removes `term` (matched ignoring ASCII case, as a whole word unless it has CJK
    /// characters; terms under two characters are ignored, they would match everywhere, and
    /// terms of two or three ASCII letters are matched only as written or in capitals).
    pub fn term(&mut self, term: &str, placeholder: Placeholder) -> &mut Self {
        let term = term.trim();
        if term.chars().count() >= 2 && !self.terms.iter().any(|(t, _)| t == term) {
            self.terms.push((term.to_owned(), placeholder));
            // Longest first, so "Alpha Ltd contact" wins over "Alpha Ltd".
            self.terms.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        }
        self
    }

    /// The text with every name, address and number replaced.
    pub fn apply(&self, text: &str) -> String {
        let named = self.replace_terms(text);
        let mailed = replace_emails(&named, Placeholder::Email.text(self.language));
        replace_phones(&mailed, Placeholder::Phone.text(self.language))
    }

    /// One pass from left to right, so a placeholder is never matched again.
    fn replace_terms(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'outer: while i < text.len() {
            let rest = &text[i..];
            let before = text[..i].chars().next_back();
            for (term, placeholder) in &self.terms {
                let found = rest
                    .get(..term.len())
                    .is_some_and(|head| same_name(head, term))
                    && stands_alone(term, before, rest[term.len()..].chars().next());
                if found {
                    out.push_str(placeholder.text(self.language));
                    i += term.len();
                    continue 'outer;
                }
            }
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            i += c.len_utf8().max(1);
        }
        out
    }
}

/// Whether a script writes words without spaces between them: CJK ideographs, kana, Hangul.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF
            | 0x20000..=0x2FA1F)
}

/// Whether `head` of the text is the name `term`: ignoring ASCII case, but only as written or
/// in capitals for names of two or three ASCII letters, which are often words ("it", "max").
fn same_name(head: &str, term: &str) -> bool {
    let short = term.len() <= 3 && term.bytes().all(|b| b.is_ascii_alphabetic());
    if short {
        head == term || head == term.to_ascii_uppercase()
    } else {
        head.eq_ignore_ascii_case(term)
    }
}

/// Whether `term`, found between the characters `before` and `after`, is a whole word: a term
/// with CJK characters always is; otherwise an ASCII letter or digit at either end of it must
/// not continue into one (or `_`) next to it ("Li" is not the start of "Linux").
fn stands_alone(term: &str, before: Option<char>, after: Option<char>) -> bool {
    if term.chars().any(unspaced) {
        return true;
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let joins_before = word(term.chars().next()) && word(before);
    let joins_after = word(term.chars().next_back()) && word(after);
    !joins_before && !joins_after
}

fn is_local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn is_domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// Replaces every `local@domain.tld`.
fn replace_emails(text: &str, placeholder: &str) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    // The first character not yet replaced: an address never reaches back before it.
    let mut floor = 0;
    let mut k = 0;
    while k < chars.len() {
        if chars[k].1 != '@' {
            k += 1;
            continue;
        }
        let mut start = k;
        while start > floor && is_local_char(chars[start - 1].1) {
            start -= 1;
        }
        let mut end = k + 1;
        while end < chars.len() && is_domain_char(chars[end].1) {
            end += 1;
        }
        // A sentence's full stop after the address is not part of it.
        while end > k + 1 && matches!(chars[end - 1].1, '.' | '-') {
            end -= 1;
        }
        let domain: String = chars[k + 1..end].iter().map(|(_, c)| c).collect();
        if start < k && domain.contains('.') && !domain.starts_with('.') {
            out.push_str(&text[copied..chars[start].0]);
            out.push_str(placeholder);
            copied = chars.get(end).map_or(text.len(), |(i, _)| *i);
            floor = end;
        }
        k = end.max(k + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether these digits (without separators) are a Chinese or international telephone number:
/// a mobile number (1[3-9] and nine more), a landline with its area code (0 and 9–11 more), or
/// any number of 8–15 digits written with a leading `+`. Local numbers without an area code
/// are `is_local_phone`.
fn is_phone(digits: &str, plus: bool) -> bool {
    let national = digits
        .strip_prefix("0086")
        .or_else(|| digits.strip_prefix("86").filter(|d| plus || d.len() == 11))
        .unwrap_or(digits);
    let mobile = national.len() == 11
        && national.starts_with('1')
        && national
            .as_bytes()
            .get(1)
            .is_some_and(|b| (b'3'..=b'9').contains(b));
    let landline = national.starts_with('0') && (10..=12).contains(&national.len());
    mobile || landline || (plus && (8..=15).contains(&digits.len()))
}

/// Whether a run of digits and separators is a local telephone number without its area code
/// (as in Beijing, Shanghai, Hong Kong or Singapore): 7 or 8 digits, the first 2–9, written
/// together (`84981188`) or as groups of 3–4 and 4 digits split by one space or `-` (`8498 1188`,
/// `6588-1001`). Eight digits together that read as a date (`20261129`) are not a number.
fn is_local_phone(run: &str) -> bool {
    let groups: Vec<&str> = run.split([' ', '-']).collect();
    if !groups
        .iter()
        .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    let shaped = match groups.as_slice() {
        [together] => (7..=8).contains(&together.len()) && !is_date(together),
        [head, tail] => (3..=4).contains(&head.len()) && tail.len() == 4,
        _ => false,
    };
    shaped && groups[0].starts_with(|c: char| ('2'..='9').contains(&c))
}

/// Whether eight digits read as a date `YYYYMMDD` of 1900–2099.
fn is_date(digits: &str) -> bool {
    let part = |range: std::ops::Range<usize>| {
        digits
            .get(range)
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or_default()
    };
    digits.len() == 8
        && (1900..=2099).contains(&part(0..4))
        && (1..=12).contains(&part(4..6))
        && (1..=31).contains(&part(6..8))
}

/// Replaces telephone numbers: runs of digits with spaces, `-`, `(`, `)` and a leading `+`,
/// standing on their own (not part of a word, a version or a code like `ORA-12541`).
fn replace_phones(text: &str, placeholder: &str) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let is_run = |c: char| c.is_ascii_digit() || " -()+".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k].1;
        let starts = c.is_ascii_digit() || c == '+' || c == '(';
        let free_before = k == 0 || {
            let p = chars[k - 1].1;
            !(p.is_alphanumeric() || "._-/:".contains(p))
        };
        if !starts || !free_before {
            k += 1;
            continue;
        }
        let mut end = k;
        while end < chars.len() && is_run(chars[end].1) {
            end += 1;
        }
        // Trailing separators belong to the sentence, not the number.
        while end > k && !chars[end - 1].1.is_ascii_digit() && chars[end - 1].1 != ')' {
            end -= 1;
        }
        let decimal_point =
            |n: char| n == '.' && chars.get(end + 1).is_some_and(|(_, d)| d.is_ascii_digit());
        let free_after = chars
            .get(end)
            .is_none_or(|(_, n)| !n.is_alphanumeric() && !decimal_point(*n));
        let digits: String = chars[k..end]
            .iter()
            .map(|(_, c)| *c)
            .filter(char::is_ascii_digit)
            .collect();
        let at = |n: usize| chars.get(n).map_or(text.len(), |(i, _)| *i);
        // A local number keeps the brackets around it: "(8498 1188)" becomes "([phone])".
        let from = if c == '(' { k + 1 } else { k };
        let to = if end > from && chars[end - 1].1 == ')' {
            end - 1
        } else {
            end
        };
        let local = (from, to.max(from));
        let phone = if end <= k || !free_after {
            None
        } else if is_phone(&digits, c == '+') {
            Some((k, end))
        } else if is_local_phone(&text[at(local.0)..at(local.1)]) {
            Some(local)
        } else {
            None
        };
        if let Some((from, to)) = phone {
            out.push_str(&text[copied..at(from)]);
            out.push_str(placeholder);
            copied = at(to);
            k = end;
        } else {
            // Skip the whole run: a number inside it does not stand on its own.
            k = end.max(k + 1);
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(language: Language) -> Redactor {
        let mut r = Redactor::new(language);
        r.term("华东电力", Placeholder::Customer)
            .term("CN-0042", Placeholder::CustomerNumber)
            .term("王伟", Placeholder::Person)
            .term("Alpha Ltd", Placeholder::Customer)
            .term("Alpha Ltd contact", Placeholder::Person)
            .term("x", Placeholder::Person);
        r
    }

    #[test]
    fn names_numbers_and_addresses_become_placeholders() {
        let text = "华东电力（客户号 CN-0042）的王伟报告：数据库连接失败。请联系 wang.wei@hdep.com.cn 或 138 0013 8000，座机 010-8498-1188。";
        let done = redactor(Language::ZhCn).apply(text);
        assert_eq!(
            done,
            "[客户]（客户号 [客户号]）的[联系人]报告：数据库连接失败。请联系 [邮箱] 或 [电话]，座机 [电话]。"
        );
    }

    #[test]
    fn longer_names_win_and_case_is_ignored() {
        let done = redactor(Language::En)
            .apply("ALPHA LTD CONTACT wrote for alpha ltd (cn-0042); call +86 21 5888 0000.");
        assert_eq!(
            done,
            "[contact] wrote for [customer] ([customer number]); call [phone]."
        );
    }

    #[test]
    fn versions_dates_codes_and_addresses_of_machines_stay() {
        let text = "ORA-12541 on 10.2.0.5 since 2026-11-29 08:00, host 192.168.100.200, serial SN-13800138000, port 1521, build 20261129.";
        assert_eq!(redactor(Language::En).apply(text), text);
    }

    #[test]
    fn names_are_whole_words() {
        let mut r = Redactor::new(Language::En);
        r.term("Li", Placeholder::Person)
            .term("Max", Placeholder::Person)
            .term("IT", Placeholder::Customer)
            .term("Alpha", Placeholder::Customer);
        let text = "Linux listener hits the maximum; edit the init file.";
        assert_eq!(r.apply(text), text);
        let text = "it hit max: MAX_CONNECTIONS, Alphabet, Alpha2, xAlpha, LiMax, IT_ops.";
        assert_eq!(r.apply(text), text);
        assert_eq!(
            r.apply("Li and MAX (from IT-ops, ALPHA) say: Li's fix works; alpha/LI agree."),
            "[contact] and [contact] (from [customer]-ops, [customer]) say: [contact]'s fix \
             works; [customer]/[contact] agree."
        );
    }

    #[test]
    fn chinese_names_are_found_inside_words() {
        let mut r = Redactor::new(Language::ZhCn);
        r.term("王伟", Placeholder::Person)
            .term("华东电力", Placeholder::Customer)
            .term("Alpha 阿尔法", Placeholder::Customer)
            .term("Li", Placeholder::Person);
        assert_eq!(
            r.apply("华东电力运维部王伟说Li已重启Linux监听；Alpha 阿尔法公司确认。"),
            "[客户]运维部[联系人]说[联系人]已重启Linux监听；[客户]公司确认。"
        );
    }

    #[test]
    fn local_numbers_without_an_area_code_are_phones() {
        let done = redactor(Language::En).apply(
            "Call 8498 1188, 84981188 or 6588-1001 (office (8498 1189), fax 849-1188); \
             mobile 9123 4567.",
        );
        assert_eq!(
            done,
            "Call [phone], [phone] or [phone] (office ([phone]), fax [phone]); mobile [phone]."
        );
        assert_eq!(
            redactor(Language::ZhCn).apply("座机 8498 1188，手机 138 0013 8000。"),
            "座机 [电话]，手机 [电话]。"
        );
    }

    #[test]
    fn versions_error_codes_and_case_numbers_are_not_phones() {
        let text = "Upgrade 12.1 to FW 5.4 or 12.1.0.2 (build 20261129, 2026-03-11); ORA-12541, \
                    error 10053, port 5432 and case 2026-00042 (see 2026-00042, #2026-00043), \
                    2026-123456, v9.0.12345678, ID 1234567, 0x8498118, SN 8498-1188-01.";
        assert_eq!(redactor(Language::En).apply(text), text);
    }

    #[test]
    fn short_terms_and_lone_at_signs_are_left() {
        let done = redactor(Language::En).apply("x @ y, user@localhost, a@b.cn.");
        assert_eq!(done, "x @ y, user@localhost, [e-mail].");
    }
}
