//! Zip bombs (built here, bit by bit, as deflate streams of zeros) are kept as they were sent
//! and never expanded; attachment names with paths, NUL, right-to-left overrides and Windows
//! device names are made safe.

use super::*;

on_both_backends!(zip_bombs_are_kept_as_sent_and_names_made_safe);

/// A zip archive whose one member, `zeros.bin`, is `megabytes` MB of zeros in a fixed-Huffman
/// deflate stream (258 bytes per 13 bits): about 160 times smaller than what it expands to.
fn zip_bomb(megabytes: usize) -> Vec<u8> {
    let size = megabytes * 1024 * 1024;
    let mut bits = BitWriter::default();
    bits.push(1, 1); // The last block,
    bits.push(1, 2); // with the fixed Huffman codes.
    bits.push_code(0x30, 8); // The literal 0,
    for _ in 0..(size - 1) / 258 {
        bits.push_code(0b1100_0101, 8); // then length 258 (code 285),
        bits.push_code(0, 5); // distance 1, again and again,
    }
    for _ in 0..(size - 1) % 258 {
        bits.push_code(0x30, 8);
    }
    bits.push_code(0, 7); // End of block.
    let deflated = bits.finish();
    let crc = crc32_of_zeros(size);
    let name = b"zeros.bin";
    let mut zip = Vec::new();
    let header = |zip: &mut Vec<u8>, signature: u32, central: bool| {
        zip.extend_from_slice(&signature.to_le_bytes());
        if central {
            zip.extend_from_slice(&20u16.to_le_bytes()); // Made by.
        }
        for v in [20u16, 0, 8, 0, 0] {
            zip.extend_from_slice(&v.to_le_bytes()); // Version, flags, deflate, time, date.
        }
        for v in [crc, deflated.len() as u32, size as u32] {
            zip.extend_from_slice(&v.to_le_bytes());
        }
        zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
        zip.extend_from_slice(&0u16.to_le_bytes()); // Extra field length.
        if central {
            zip.extend_from_slice(&[0; 12]); // Comment, disk, attributes, offset 0.
        }
        zip.extend_from_slice(name);
    };
    header(&mut zip, 0x0403_4b50, false);
    zip.extend_from_slice(&deflated);
    let directory_at = zip.len() as u32;
    header(&mut zip, 0x0201_4b50, true);
    let directory_len = zip.len() as u32 - directory_at;
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, 1, 1] {
        zip.extend_from_slice(&v.to_le_bytes());
    }
    zip.extend_from_slice(&directory_len.to_le_bytes());
    zip.extend_from_slice(&directory_at.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

/// Bits written least significant first, as deflate wants them.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    bit: u32,
    filled: u32,
}

impl BitWriter {
    fn push(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.bit |= ((value >> i) & 1) << self.filled;
            self.filled += 1;
            if self.filled == 8 {
                self.bytes.push(self.bit as u8);
                self.bit = 0;
                self.filled = 0;
            }
        }
    }

    /// A Huffman code, written most significant bit first.
    fn push_code(&mut self, code: u32, count: u32) {
        for i in (0..count).rev() {
            self.push((code >> i) & 1, 1);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            self.bytes.push(self.bit as u8);
        }
        self.bytes
    }
}

fn crc32_of_zeros(len: usize) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !(0..len).fold(!0u32, |crc, _| table[(crc & 0xFF) as usize] ^ (crc >> 8))
}

/// A file name no file system or download dialog can misread.
fn assert_safe_name(name: &str) {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL", "COM1", "LPT1"];
    assert!(
        !name.is_empty()
            && name.chars().count() <= 200
            && !name.starts_with('.')
            && !name.contains(['/', '\\', ':'])
            && !name.chars().any(|c| c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
            && !reserved.contains(&stem.as_str()),
        "unsafe stored name {name:?}"
    );
}

async fn zip_bombs_are_kept_as_sent_and_names_made_safe(backend: TestBackend) {
    let t = TestApp::spawn(backend).await;
    let bomb = zip_bomb(40);
    assert!(bomb.len() < 300 * 1024, "{} bytes", bomb.len());
    let corpus = [
        hostile(
            "a zip bomb",
            multipart(
                "zip-bomb",
                &[
                    text_part("logs attached"),
                    file_part("filename=\"logs.zip\"", &bomb),
                ],
            ),
            Expect::Opened,
        ),
        hostile(
            "hostile attachment names",
            multipart(
                "names",
                &[
                    text_part("see the files"),
                    file_part("filename=\"../../etc/passwd\"", b"1"),
                    file_part("filename*=UTF-8''..%5C..%5Cboot.ini", b"2"),
                    file_part("filename*=UTF-8''a%00b.txt", b"3"),
                    file_part("filename*=UTF-8''evil%E2%80%AEgpj.exe", b"4"),
                    file_part("filename=\"CON\"", b"5"),
                    file_part("filename=\"NUL.txt\"", b"6"),
                    file_part("filename=\"COM1\"", b"7"),
                    file_part(&format!("filename=\"{}.txt\"", "L".repeat(400)), b"8"),
                    file_part("filename=\"\"", b"9"),
                ],
            ),
            Expect::Opened,
        ),
    ];
    let results = ingest_all(&t, &corpus).await;

    // The bomb is one attachment of exactly the bytes sent: nothing was expanded.
    let number = results[0]["case"].as_str().unwrap();
    let (_, files) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/attachments"))
        .await;
    let files = files.as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0]["file_name"], "logs.zip");
    assert_eq!(files[0]["size"].as_u64(), Some(bomb.len() as u64));
    let download = t
        .client
        .get(t.url(&format!(
            "/api/v1/cases/{number}/attachments/{}",
            files[0]["id"]
        )))
        .bearer_auth(&t.engineer)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), bomb.as_slice());

    // Every name is safe, and says what it can of the name that came.
    let number = results[1]["case"].as_str().unwrap();
    let (_, files) = t
        .get(&t.engineer, &format!("/api/v1/cases/{number}/attachments"))
        .await;
    let names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 9, "{names:?}");
    names.iter().for_each(|n| assert_safe_name(n));
    for expected in [
        "passwd",
        "boot.ini",
        "ab.txt",
        "evilgpj.exe",
        "_CON",
        "_NUL.txt",
        "_COM1",
        "attachment",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("LLLL") && n.chars().count() == 200)
    );
}
