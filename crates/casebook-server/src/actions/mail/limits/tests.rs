//! Tests of the mail limits: each limit's edge, and the counters over the hour.

use super::*;

fn limits() -> MailConfig {
    MailConfig::default()
}

fn parts_seen(raw: &[u8]) -> usize {
    let limits = limits();
    let mut walk = Walk {
        limits: &limits,
        parts: 0,
        header_lines: 0,
        seek_budget: usize::MAX,
        parser: MessageParser::default(),
    };
    walk.message(raw, 0, ENCODED_LEVELS).unwrap();
    walk.parts
}

const NESTED: &str = "From: a@b.test\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\nContent-Type: text/plain\r\n\r\nhello\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--inner--\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d.test\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=fwd\r\n\r\n--fwd\r\nContent-Type: text/plain\r\n\r\nforwarded\r\n--fwd\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--fwd--\r\n--outer\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nRnJvbTogZUBmLnRlc3QNClN1YmplY3Q6IGVuYw0KDQpib2R5DQo=\r\n--outer--\r\nepilogue\r\n";

/// The parts the parser found, attached messages' parts included.
fn parsed_parts(raw: &[u8]) -> Option<usize> {
    fn count(msg: &Message<'_>) -> usize {
        let nested = msg.parts.iter().map(|p| match &p.body {
            mail_parser::PartType::Message(m) => count(m),
            _ => 0,
        });
        msg.parts.len() + nested.sum::<usize>()
    }
    MessageParser::default().parse(raw).map(|m| count(&m))
}

#[test]
fn the_walk_counts_the_parts_the_parser_finds() {
    let samples = [
        NESTED,
        "From: a@b.test\r\n\r\njust text",
        "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\none\r\n--x\r\n\r\ntwo",
        "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nFrom: x@y\r\n\r\nm1\r\n--d\r\n\r\nFrom: z@y\r\n\r\nm2\r\n--d--\r\n",
        "Content-Type: multipart/mixed; boundary=never\r\n\r\nno boundary here",
        "Content-Type: multipart/mixed; boundary=sep\r\n\r\n--sep\r\nContent-Transfer-Encoding: base64\r\n\r\n!!not--base64\r\n--sep--",
    ];
    for raw in samples {
        assert_eq!(
            Some(parts_seen(raw.as_bytes())),
            parsed_parts(raw.as_bytes()),
            "{raw}"
        );
    }
}

/// A random MIME structure: text, multiparts (digests too, some never closed), attached
/// messages plain and in base64, binary parts with broken base64.
fn random_structure(seed: &mut u64, depth: usize) -> String {
    let mut next = |n: u64| {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed % n
    };
    let boundary = format!("b{}", next(1_000_000));
    match if depth > 4 { 0 } else { next(7) } {
        0 | 1 => "Content-Type: text/plain\r\n\r\ntext\r\n".to_owned(),
        2 | 3 => {
            let subtype = ["mixed", "alternative", "digest", "related"][next(4) as usize];
            let (parts, closed) = (next(4), next(5) != 0);
            let mut s = format!(
                "Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\npre\r\n"
            );
            for _ in 0..parts {
                s.push_str(&format!("--{boundary}\r\n"));
                s.push_str(&random_structure(seed, depth + 1));
            }
            if closed {
                s.push_str(&format!("--{boundary}--\r\n"));
            }
            s
        }
        4 => format!(
            "Content-Type: message/rfc822\r\n\r\nFrom: n@m\r\n{}",
            random_structure(seed, depth + 1)
        ),
        5 => {
            let inner = format!("From: e@f\r\n{}", random_structure(seed, depth + 1));
            format!(
                "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                base64(inner.as_bytes())
            )
        }
        _ => "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n!!bad--base64\r\n".to_owned(),
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (j, &b)| n | (u32::from(b) << (16 - 8 * j)));
        for j in 0..4 {
            out.push(if j <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * j)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

#[test]
fn the_walk_never_counts_fewer_parts_than_the_parser() {
    let mut seed = 0x1234_5678_9abc_def1_u64;
    let mut compared = 0;
    for n in 0..500 {
        let raw = format!(
            "From: a@b\r\nSubject: {n}\r\n{}",
            random_structure(&mut seed, 0)
        );
        // Some structures of attached messages trip debug assertions inside mail-parser
        // (debug builds only); those are not compared.
        let Ok(parsed) = std::panic::catch_unwind(|| parsed_parts(raw.as_bytes())) else {
            continue;
        };
        compared += 1;
        let parsed = parsed.unwrap_or_default();
        assert!(parts_seen(raw.as_bytes()) >= parsed, "{raw}");
    }
    assert!(compared >= 450, "only {compared} structures compared");
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    let mut deep = String::from("From: a@b.test\r\n");
    for _ in 0..100 {
        deep.push_str("Content-Type: message/rfc822\r\n\r\nFrom: a@b.test\r\n");
    }
    deep.push_str("\r\nbody\r\n");
    assert_eq!(
        before_parsing(deep.as_bytes(), &limits()),
        Err(Exceeded::Depth(20))
    );
    let mut multipart = String::new();
    for i in 0..100 {
        multipart.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
        ));
    }
    assert_eq!(
        before_parsing(multipart.as_bytes(), &limits()),
        Err(Exceeded::Depth(20))
    );
    assert_eq!(before_parsing(NESTED.as_bytes(), &limits()), Ok(()));
}

#[test]
fn many_parts_and_header_lines_are_refused() {
    let mut many = String::from("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..600 {
        many.push_str("--b\r\n\r\nx\r\n");
    }
    assert_eq!(
        before_parsing(many.as_bytes(), &limits()),
        Err(Exceeded::Parts(500))
    );
    let headers = "X-A: b\r\n".repeat(20_000) + "\r\nbody";
    assert_eq!(
        before_parsing(headers.as_bytes(), &limits()),
        Err(Exceeded::HeaderLines(5_000))
    );
    let one_long_line = format!(
        "Content-Type: text/plain{}\r\n\r\nbody",
        "; a=b".repeat(2_000_000)
    );
    assert_eq!(
        before_parsing(one_long_line.as_bytes(), &limits()),
        Err(Exceeded::HeaderLines(5_000))
    );
}

#[test]
fn boundaries_that_never_come_are_refused_before_they_cost() {
    let mut raw = String::from("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
    for _ in 0..300 {
        raw.push_str("--b\r\nContent-Type: multipart/mixed; boundary=missing\r\n\r\nx\r\n");
    }
    raw.push_str(&"y".repeat(2_000_000));
    raw.push_str("\r\n--b--\r\n");
    assert_eq!(
        before_parsing(raw.as_bytes(), &limits()),
        Err(Exceeded::Scanning)
    );
}

#[test]
fn reasons_name_the_limit() {
    assert_eq!(
        Exceeded::Parts(500).to_string(),
        "more than 500 MIME parts (mail.max_parts)"
    );
    assert!(
        Exceeded::Size(10)
            .to_string()
            .starts_with("larger than 10 bytes")
    );
}
