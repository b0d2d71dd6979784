//! Limits on inbound mail, checked on the raw bytes before mail-parser builds a message, and on
//! the parsed message before it reaches a case. The parser keeps every part in memory, nests
//! attached messages as values inside values (dropping 10,000 levels overflows a 2 MB thread
//! stack in a debug build) and looks for a missing multipart boundary to the end of the message
//! once per part (a few hundred such parts take seconds). So the structure is walked first with the
//! parser's own header and boundary scanners, without keeping anything, and the walk stops at
//! the first limit it meets. Each refusal names its limit: the text is the quarantine reason.

use std::fmt;

use mail_parser::parsers::MessageStream;
use mail_parser::{ContentType, Header, HeaderName, HeaderValue, Message, MessageParser};

use crate::config::{Config, MailConfig};

/// How many times over the message may be scanned for boundaries that are never found.
const SEEK_FACTOR: usize = 4;
/// Scanning allowed on top of that, so small messages are never refused for it.
const SEEK_ALLOWANCE: usize = 1024 * 1024;
/// Levels of base64 or quoted-printable attached messages the parser decodes (its own limit).
const ENCODED_LEVELS: usize = 3;
/// The longest line RFC 5322 allows; a longer header line counts as one line per this many bytes.
const LINE_BYTES: usize = 998;

/// The limit a message exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// `mail.max_message_bytes`.
    Size(usize),
    /// `mail.max_header_lines`.
    HeaderLines(usize),
    /// `mail.max_parts`.
    Parts(usize),
    /// `mail.max_depth`.
    Depth(usize),
    /// Multipart boundaries that never come would make the parser scan too much.
    Scanning,
    /// `mail.max_attachments`, or `limits.max_files_per_request` when that is lower.
    Attachments {
        /// The limit.
        limit: usize,
        /// Its configuration key.
        key: &'static str,
    },
    /// `limits.max_attachment_bytes`.
    AttachmentSize(usize),
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exceeded::Size(limit) => {
                write!(f, "larger than {limit} bytes (mail.max_message_bytes)")
            }
            Exceeded::HeaderLines(limit) => {
                write!(f, "more than {limit} header lines (mail.max_header_lines)")
            }
            Exceeded::Parts(limit) => write!(f, "more than {limit} MIME parts (mail.max_parts)"),
            Exceeded::Depth(limit) => {
                write!(
                    f,
                    "MIME parts nested more than {limit} deep (mail.max_depth)"
                )
            }
            Exceeded::Scanning => write!(
                f,
                "multipart boundaries that never occur: reading it would scan it more than \
                 {SEEK_FACTOR} times over"
            ),
            Exceeded::Attachments { limit, key } => {
                write!(f, "more than {limit} attachments ({key})")
            }
            Exceeded::AttachmentSize(limit) => write!(
                f,
                "an attachment larger than {limit} bytes (limits.max_attachment_bytes)"
            ),
        }
    }
}

/// Checks the raw message before it is parsed: its size, then its structure.
pub fn before_parsing(raw: &[u8], limits: &MailConfig) -> Result<(), Exceeded> {
    if raw.len() > limits.max_message_bytes {
        return Err(Exceeded::Size(limits.max_message_bytes));
    }
    let mut walk = Walk {
        limits,
        parts: 0,
        header_lines: 0,
        seek_budget: raw.len().saturating_mul(SEEK_FACTOR) + SEEK_ALLOWANCE,
        parser: MessageParser::default(),
    };
    walk.message(raw, 0, ENCODED_LEVELS)
}

/// Checks a parsed message before it reaches a case: its parts (should the walk have counted
/// fewer than the parser found), the number of its attachments and the size of each.
pub fn after_parsing(msg: &Message<'_>, config: &Config) -> Result<(), Exceeded> {
    if msg.parts.len() > config.mail.max_parts {
        return Err(Exceeded::Parts(config.mail.max_parts));
    }
    let most = most_attachments(config);
    if msg.attachments().nth(most.0).is_some() {
        return Err(Exceeded::Attachments {
            limit: most.0,
            key: most.1,
        });
    }
    let largest = config.limits.max_attachment_bytes;
    if msg
        .attachments()
        .any(|part| part.contents().len() > largest)
    {
        return Err(Exceeded::AttachmentSize(largest));
    }
    Ok(())
}

/// The most attachments a message may carry, and the setting that says so: a mail's files are
/// added to its case like an upload, so the upload limit applies too.
pub fn most_attachments(config: &Config) -> (usize, &'static str) {
    if config.limits.max_files_per_request < config.mail.max_attachments {
        (
            config.limits.max_files_per_request,
            "limits.max_files_per_request",
        )
    } else {
        (config.mail.max_attachments, "mail.max_attachments")
    }
}

/// What a part contains, as mail-parser decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    /// A message: the top level, or an attached `message/rfc822` or `message/global`.
    Message,
    /// `multipart/digest`: its parts without a Content-Type are messages.
    Digest,
    /// Any other multipart.
    Multipart,
}

/// One open level of the structure: what it is and the boundary its parts end at.
#[derive(Debug)]
struct Level {
    container: Container,
    boundary: Option<Vec<u8>>,
}

/// A part's body as mail-parser treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Parts inside, between boundaries.
    Multipart(Container),
    /// An attached message.
    Message,
    /// Anything else.
    Leaf,
}

fn body_of(content_type: Option<&ContentType<'_>>, parent: Container) -> Body {
    match content_type {
        Some(ct) if ct.ctype() == "multipart" => Body::Multipart(match ct.subtype() {
            Some("digest") => Container::Digest,
            _ => Container::Multipart,
        }),
        Some(ct)
            if ct.ctype() == "message" && matches!(ct.subtype(), Some("rfc822" | "global")) =>
        {
            Body::Message
        }
        Some(_) => Body::Leaf,
        None if parent == Container::Digest => Body::Message,
        None => Body::Leaf,
    }
}

/// The transfer encoding if the parser decodes it (base64 or quoted-printable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoded {
    Base64,
    QuotedPrintable,
}

/// The last value of a header in a block, as the parser reads it.
fn value_of<'h, 'x>(
    headers: &'h [Header<'x>],
    name: &HeaderName<'_>,
) -> Option<&'h HeaderValue<'x>> {
    headers
        .iter()
        .rev()
        .find(|h| &h.name == name)
        .map(|h| &h.value)
}

fn encoding_of(headers: &[Header<'_>]) -> Option<Encoded> {
    match value_of(headers, &HeaderName::ContentTransferEncoding) {
        Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("base64") => Some(Encoded::Base64),
        Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("quoted-printable") => {
            Some(Encoded::QuotedPrintable)
        }
        _ => None,
    }
}

/// Lines from `from` up to the first blank line (where the parser's header block ends), counted
/// up to `most + 1`; a line longer than RFC 5322 allows counts once per 998 bytes.
fn header_block_lines(data: &[u8], from: usize, most: usize) -> usize {
    let mut lines = 0;
    for line in data[from.min(data.len())..].split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) || lines > most {
            break;
        }
        lines += 1 + line.len() / LINE_BYTES;
    }
    lines
}

/// The walk over a message's structure, mirroring mail-parser's `parse` without keeping parts.
struct Walk<'c> {
    limits: &'c MailConfig,
    parts: usize,
    header_lines: usize,
    seek_budget: usize,
    parser: MessageParser,
}

impl Walk<'_> {
    /// Walks one message (the raw one, or a decoded attached one `depth` levels down).
    fn message(
        &mut self,
        data: &[u8],
        depth: usize,
        encoded_levels: usize,
    ) -> Result<(), Exceeded> {
        let mut stream = MessageStream::new(data);
        let mut level = Level {
            container: Container::Message,
            boundary: None,
        };
        // Each entry: the enclosing level, and whether this level is an attached message.
        let mut stack: Vec<(Level, bool)> = Vec::new();
        loop {
            let headers = match self.headers(data, &mut stream)? {
                Some(headers) => headers,
                None => return Ok(()),
            };
            self.parts += 1;
            if self.parts > self.limits.max_parts {
                return Err(Exceeded::Parts(self.limits.max_parts));
            }
            let content_type =
                value_of(&headers, &HeaderName::ContentType).and_then(|v| v.as_content_type());
            let mut body = body_of(content_type, level.container);
            if let Body::Multipart(container) = body {
                if let Some(boundary) = content_type.and_then(|ct| ct.attribute("boundary")) {
                    if stream.seek_next_part(boundary.as_bytes()) {
                        let inner = Level {
                            container,
                            boundary: Some(boundary.as_bytes().to_vec()),
                        };
                        stack.push((std::mem::replace(&mut level, inner), false));
                        self.check_depth(depth + stack.len())?;
                        stream.skip_crlf();
                        continue;
                    }
                    self.scanned(stream.remaining())?;
                }
                body = Body::Leaf;
            }
            let encoding = encoding_of(&headers);
            if body == Body::Message && encoding.is_none() {
                let inner = Level {
                    container: Container::Message,
                    boundary: level.boundary.take(),
                };
                stack.push((std::mem::replace(&mut level, inner), true));
                self.check_depth(depth + stack.len())?;
                continue;
            }
            match encoding {
                Some(encoding) if body == Body::Message && encoded_levels > 0 => {
                    let boundary = level.boundary.clone().unwrap_or_default();
                    let (end, decoded) = match encoding {
                        Encoded::Base64 => stream.decode_base64_mime(&boundary),
                        Encoded::QuotedPrintable => stream.decode_quoted_printable_mime(&boundary),
                    };
                    if end == usize::MAX {
                        self.recover(&mut stream, &mut level)?;
                    } else {
                        let inside = depth + stack.len() + 1;
                        self.check_depth(inside)?;
                        self.message(&decoded, inside, encoded_levels - 1)?;
                    }
                }
                _ => {
                    let boundary = level.boundary.as_deref().unwrap_or_default();
                    if stream.mime_part(boundary).0 == usize::MAX {
                        self.recover(&mut stream, &mut level)?;
                    }
                }
            }
            if level.boundary.is_none() {
                if stream.remaining() == 0 {
                    return Ok(());
                }
                continue;
            }
            if !close_levels(&mut stream, &mut level, &mut stack) {
                return Ok(());
            }
        }
    }

    /// Parses the next header block if its lines stay within the limit; `None` at the end.
    fn headers<'x>(
        &mut self,
        data: &'x [u8],
        stream: &mut MessageStream<'x>,
    ) -> Result<Option<Vec<Header<'x>>>, Exceeded> {
        let most = self.limits.max_header_lines;
        let left = most.saturating_sub(self.header_lines);
        if header_block_lines(data, stream.offset(), left) > left {
            return Err(Exceeded::HeaderLines(most));
        }
        let mut headers = Vec::new();
        let complete = stream.parse_headers(&self.parser, &mut headers);
        self.header_lines += headers.len();
        if !complete {
            // The parser keeps headers without a body as a part.
            self.parts += usize::from(!headers.is_empty());
            return Ok(None);
        }
        if self.header_lines > most {
            return Err(Exceeded::HeaderLines(most));
        }
        Ok(Some(headers))
    }

    /// After a part whose end was not found: its boundary is looked for to the end, as the
    /// parser does; a boundary that never comes is dropped.
    fn recover(
        &mut self,
        stream: &mut MessageStream<'_>,
        level: &mut Level,
    ) -> Result<(), Exceeded> {
        let before = stream.remaining();
        let (_, found) = stream.seek_part_end(level.boundary.as_deref());
        if !found {
            level.boundary = None;
            self.scanned(before)?;
        }
        Ok(())
    }

    fn check_depth(&self, depth: usize) -> Result<(), Exceeded> {
        if depth > self.limits.max_depth {
            return Err(Exceeded::Depth(self.limits.max_depth));
        }
        Ok(())
    }

    /// Counts bytes scanned for a boundary that was not there.
    fn scanned(&mut self, bytes: usize) -> Result<(), Exceeded> {
        self.seek_budget = self
            .seek_budget
            .checked_sub(bytes)
            .ok_or(Exceeded::Scanning)?;
        Ok(())
    }
}

/// After a part inside a boundary: leaves the attached messages and multiparts that end here, as
/// the parser does. `false` when the message's structure has ended.
fn close_levels(
    stream: &mut MessageStream<'_>,
    level: &mut Level,
    stack: &mut Vec<(Level, bool)>,
) -> bool {
    loop {
        if level.container == Container::Message {
            match stack.pop() {
                Some((mut outer, true)) => {
                    outer.boundary = level.boundary.take();
                    *level = outer;
                }
                _ => return false,
            }
        }
        if !stream.is_multipart_end() {
            return true;
        }
        let Some((outer, _)) = stack.pop() else {
            return false;
        };
        *level = outer;
        match &level.boundary {
            Some(boundary) if stream.seek_next_part_offset(boundary).is_some() => continue,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests;
