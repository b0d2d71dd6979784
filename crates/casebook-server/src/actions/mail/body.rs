//! The text of an incoming message as a case reads it: every text part that is not an
//! attachment, in the order the message has them, with inline images and other inline files
//! named where they were (`[image: screenshot.png]`; the files themselves become the case's
//! attachments). Apple Mail, for one, sends a screenshot in the middle of a message as text, an
//! inline image and more text; each text part may have its own charset.
//!
//! mail-parser (0.11.9) lists a message's body parts in `text_body`, in order: the text parts
//! that are not attachments, inline images and other inline media, and of each
//! `multipart/alternative` only its plain text (its HTML when it has no plain text), so the
//! text and HTML of the same content count once. A part sent as an attachment
//! (`Content-Disposition: attachment`, a text file with a name) is never in the list.

use mail_parser::decoders::html::html_to_text;
use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::actions::cases::attachments::safe_file_name;

/// The whole text of a message, parts joined by a blank line; empty when it has none.
pub fn body_text(msg: &Message<'_>) -> String {
    let mut segments: Vec<String> = Vec::new();
    for part in msg.text_bodies() {
        let segment = match &part.body {
            PartType::Text(text) => text_segment(text),
            PartType::Html(html) => text_segment(&html_to_text(html)),
            PartType::InlineBinary(_) | PartType::Binary(_) => Some(placeholder(part)),
            PartType::Message(_) | PartType::Multipart(_) => None,
        };
        segments.extend(segment);
    }
    segments.join("\n\n")
}

/// A text part without the blank lines around it; `None` when it is blank.
fn text_segment(text: &str) -> Option<String> {
    let trimmed = text.trim_end().trim_start_matches(['\r', '\n']);
    (!trimmed.trim().is_empty()).then(|| trimmed.to_owned())
}

/// Where an inline file was: `[image: name]` for pictures, `[file: name]` for the rest, named
/// as the case's attachment will be.
fn placeholder(part: &MessagePart<'_>) -> String {
    let kind = match part.content_type().map(|c| c.ctype()) {
        Some(t) if t.eq_ignore_ascii_case("image") => "image",
        _ => "file",
    };
    let name = safe_file_name(part.attachment_name().unwrap_or("attachment"));
    format!("[{kind}: {name}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn body(raw: &str) -> String {
        body_text(&MessageParser::default().parse(raw.as_bytes()).unwrap())
    }

    const HEAD: &str = "From: a@b.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n";

    #[test]
    fn a_single_text_part_is_the_body() {
        let raw = format!("{HEAD}Content-Type: text/plain\r\n\r\nhello\r\n\r\n");
        assert_eq!(body(&raw), "hello");
        let none = format!("{HEAD}Content-Type: text/plain\r\n\r\n\r\n");
        assert_eq!(body(&none), "");
    }

    #[test]
    fn text_after_an_inline_image_is_kept_in_order() {
        let raw = format!(
            "{HEAD}Content-Type: multipart/mixed; boundary=b\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nbefore\r\n\r\n\
             --b\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=\"../shot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\
             --b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n\
             --b\r\nContent-Type: text/html\r\n\r\n<p>after <b>bold</b></p>\r\n\
             --b--\r\n"
        );
        assert_eq!(
            body(&raw),
            "before\n\n[image: shot.png]\n\n[image: attachment]\n\nafter bold"
        );
    }

    #[test]
    fn alternatives_count_once_and_attached_text_files_stay_files() {
        let raw = format!(
            "{HEAD}Content-Type: multipart/mixed; boundary=o\r\n\r\n\
             --o\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n\
             --a\r\nContent-Type: text/plain\r\n\r\nplain one\r\n\
             --a\r\nContent-Type: text/html\r\n\r\n<p>html one</p>\r\n\
             --a--\r\n\
             --o\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\nLOG\r\n\
             --o\r\nContent-Type: text/plain; name=notes.txt\r\n\r\nNOTES\r\n\
             --o\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n\
             --c\r\nContent-Type: text/html\r\n\r\n<p>only html</p>\r\n\
             --c--\r\n\
             --o--\r\n"
        );
        assert_eq!(body(&raw), "plain one\n\nonly html");
    }
}
