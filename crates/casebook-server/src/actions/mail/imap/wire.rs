//! The pure parts of talking IMAP: UID sets, folder names in modified UTF-7, and how unseen
//! messages are grouped into bounded fetches.

/// Most messages fetched in one command.
const BATCH_MESSAGES: usize = 50;
/// Most bytes fetched in one command (a single larger message is fetched alone).
pub(super) const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// The bytes fetched of a message: all of it, or at most `most`.
pub(super) fn fetched_size(size: u64, most: Option<u64>) -> u64 {
    most.map_or(size, |most| size.min(most))
}

/// Groups messages into fetches of at most [`BATCH_MESSAGES`] and about [`BATCH_BYTES`], each
/// message fetched whole or up to `most` bytes.
pub(super) fn batches(sizes: &[(u32, u64)], most: Option<u64>) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0u64;
    for &(uid, size) in sizes {
        let size = fetched_size(size, most);
        match out.last_mut() {
            Some(batch) if batch.len() < BATCH_MESSAGES && bytes + size <= BATCH_BYTES => {
                batch.push(uid);
                bytes += size;
            }
            _ => {
                out.push(vec![uid]);
                bytes = size;
            }
        }
    }
    out
}

/// A UID set with runs written as ranges: `1:3,7,9:10`. `uids` is sorted.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        while i + 1 < uids.len() && uids[i + 1] == uids[i] + 1 {
            i += 1;
        }
        parts.push(if uids[i] == start {
            start.to_string()
        } else {
            format!("{start}:{}", uids[i])
        });
        i += 1;
    }
    parts.join(",")
}

/// A folder name as IMAP writes it (modified UTF-7, RFC 3501 5.1.3): `已处理` is `&XfJZBHQG-`.
pub(super) fn mailbox_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut wide: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            push_wide(&mut out, &mut wide);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            wide.extend_from_slice(c.encode_utf16(&mut [0; 2]));
        }
    }
    push_wide(&mut out, &mut wide);
    out
}

/// Writes pending non-ASCII text as `&` modified base64 of UTF-16BE `-`.
fn push_wide(out: &mut String, wide: &mut Vec<u16>) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    if wide.is_empty() {
        return;
    }
    let bytes: Vec<u8> = wide.drain(..).flat_map(u16::to_be_bytes).collect();
    out.push('&');
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * k)) as usize & 63]));
        }
    }
    out.push('-');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_written_as_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn folder_names_are_modified_utf7() {
        assert_eq!(mailbox_name("INBOX"), "INBOX");
        assert_eq!(mailbox_name("Casebook/Processed"), "Casebook/Processed");
        assert_eq!(mailbox_name("A&B"), "A&-B");
        // The examples of RFC 3501 5.1.3.
        assert_eq!(
            mailbox_name("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(mailbox_name("已处理"), "&XfJZBHQG-");
    }

    #[test]
    fn batches_are_bounded_in_count_and_bytes() {
        let small: Vec<(u32, u64)> = (1..=120).map(|uid| (uid, 20_000)).collect();
        let counts: Vec<usize> = batches(&small, Some(30 << 20))
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(counts, [50, 50, 20]);
        // Large messages go alone; partly fetched ones count only up to what is fetched.
        let large = [(1, 10 << 20), (2, 10 << 20), (3, 900 << 20), (4, 1_000)];
        assert_eq!(
            batches(&large, Some(30 << 20)),
            [vec![1], vec![2], vec![3], vec![4]]
        );
        assert_eq!(batches(&large, None), [vec![1], vec![2], vec![3], vec![4]]);
        let headers = [(1, 900 << 20), (2, 900 << 20)];
        assert_eq!(batches(&headers, Some(64 << 10)), [vec![1, 2]]);
        assert_eq!(fetched_size(900 << 20, Some(1001)), 1001);
        assert_eq!(fetched_size(900 << 20, None), 900 << 20);
    }
}
