//! Look-alike addresses: `аlice@example.com` with a Cyrillic `а` is another address than
//! `alice@example.com`, yet no one can see the difference. Each address has a look-alike key,
//! the Unicode confusable skeleton (UTS #39) of the lower-cased address; two different
//! addresses with the same key, at least one of them outside ASCII, are look-alikes, and a new
//! one is refused. Plain ASCII pairs such as `rn`/`m` or `0`/`o` are everyday addresses and are
//! not compared.

use unicode_security::skeleton;

use crate::text::Email;

/// The look-alike key of an address (stored beside it, so the addresses it looks like are found
/// by one indexed lookup).
pub fn key(address: &str) -> String {
    skeleton(&address.to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

/// Whether `new` only looks like `existing`: another address with the same key, one of the two
/// outside ASCII.
pub fn looks_like(new: &Email, existing: &str) -> bool {
    let new = new.as_str();
    new != existing && !(new.is_ascii() && existing.is_ascii()) && key(new) == key(existing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn other_scripts_that_look_the_same_are_look_alikes() {
        // Cyrillic а (U+0430) and ѕ (U+0455); Greek ο (U+03BF).
        for spoof in [
            "\u{430}lice@example.com",
            "alice@ex\u{430}mple.com",
            "\u{455}upport@example.com",
        ] {
            let real = spoof
                .replace('\u{430}', "a")
                .replace('\u{455}', "s")
                .replace('\u{3bf}', "o");
            assert!(looks_like(&email(spoof), &real), "{spoof}");
            assert!(
                looks_like(&email(&real), spoof),
                "{spoof}, either way round"
            );
        }
        assert!(looks_like(
            &email("b\u{3bf}b@example.com"),
            "bob@example.com"
        ));
    }

    #[test]
    fn the_same_address_and_plain_ascii_pairs_are_not() {
        assert!(!looks_like(
            &email("alice@example.com"),
            "alice@example.com"
        ));
        assert!(!looks_like(
            &email("john01@example.com"),
            "johnol@example.com"
        ));
        assert!(!looks_like(&email("rnary@example.com"), "mary@example.com"));
        assert!(!looks_like(&email("李伟@example.com"), "alice@example.com"));
    }

    #[test]
    fn full_width_letters_and_invisible_characters_are_the_same_address() {
        assert_eq!(
            email("ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ").as_str(),
            "alice@example.com"
        );
        assert_eq!(
            email("\u{200b}Alice@Example.com").as_str(),
            "alice@example.com"
        );
        assert_eq!(
            email("ali\u{202e}ce@example.com").as_str(),
            "alice@example.com"
        );
    }
}
