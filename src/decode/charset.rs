//! Raw bytes to a Rust string: which encoding a file is in, and decoding it.
//!
//! Order of evidence: a byte-order mark, then the configured label, then NUL-byte patterns
//! (UTF-16/32 without a BOM, or binary), then strict UTF-8, then a chardetng guess on the first
//! `detect_bytes` bytes. A file that mixes valid UTF-8 lines with lines in a single-byte legacy
//! page is decoded line by line.
//!
//! Not for: fixing text that was decoded wrongly *before* it reached us (that is `mojibake`),
//! or any clean-up of the decoded text.

use encoding_rs::Encoding;

use super::{DecodeError, Repairs};

/// The result of the charset stage: text, the encoding name for provenance, and counts.
pub(crate) struct CharsetDecoded {
    pub text: String,
    pub encoding: String,
}

/// Decode the whole input with one encoding, counting replacement characters.
fn decode_with(enc: &'static Encoding, bytes: &[u8], repairs: &mut Repairs) -> String {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        // Count what the decoder put in, not what was there: U+FFFD already in the input was
        // valid text. Legacy pages cannot hold U+FFFD, so only UTF-8 inputs need the check.
        let before = if enc == encoding_rs::UTF_8 {
            memchr::memmem::find_iter(bytes, "\u{fffd}".as_bytes()).count()
        } else {
            0
        };
        let n = text.matches('\u{fffd}').count().saturating_sub(before);
        *repairs.entry("replacement_char").or_insert(0) += n as u64;
    }
    text.into_owned()
}

/// UTF-32 is not in encoding_rs (the web never needed it), but it is trivial and it does
/// appear in dumps produced by some tools.
fn decode_utf32(bytes: &[u8], big_endian: bool, repairs: &mut Repairs) -> String {
    let mut out = String::with_capacity(bytes.len() / 4);
    let mut bad = 0u64;
    for chunk in bytes.chunks(4) {
        let v = if chunk.len() < 4 {
            None
        } else if big_endian {
            Some(u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        } else {
            Some(u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        };
        match v.and_then(char::from_u32) {
            Some(c) => out.push(c),
            None => {
                bad += 1;
                out.push('\u{fffd}');
            }
        }
    }
    if bad > 0 {
        *repairs.entry("replacement_char").or_insert(0) += bad;
    }
    out
}

/// What the NUL bytes in a sample say about the file.
#[derive(Debug, PartialEq, Eq)]
enum NulShape {
    None,
    Utf16 { big_endian: bool },
    Utf32 { big_endian: bool },
    Binary { offset: usize },
}

/// Text in UTF-16 has NULs at one parity (every ASCII character), UTF-32 at three of four
/// positions; anything else with many NULs or control bytes is binary.
fn nul_shape(sample: &[u8]) -> NulShape {
    let Some(first_nul) = memchr::memchr(0, sample) else {
        return NulShape::None;
    };
    let mut by_pos = [0usize; 4];
    let mut controls = 0usize;
    for (i, &b) in sample.iter().enumerate() {
        if b == 0 {
            by_pos[i % 4] += 1;
        } else if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b) {
            controls += 1;
        }
    }
    let quarter = sample.len() / 4;
    let nuls: usize = by_pos.iter().sum();
    // The character byte itself must mostly not be NUL: a file of NULs is binary, not UTF-32.
    if quarter > 0 && sample.len().is_multiple_of(4) {
        if by_pos[2] == quarter && by_pos[3] == quarter && by_pos[0] * 2 < quarter {
            return NulShape::Utf32 { big_endian: false };
        }
        if by_pos[0] == quarter && by_pos[1] == quarter && by_pos[3] * 2 < quarter {
            return NulShape::Utf32 { big_endian: true };
        }
    }
    let even = by_pos[0] + by_pos[2];
    let odd = by_pos[1] + by_pos[3];
    let half = sample.len() / 2;
    // Mostly-ASCII UTF-16 has a NUL in most pairs; require a clear majority at one parity and
    // almost none at the other.
    if half > 0 && odd * 10 >= half * 3 && even * 50 <= odd {
        return NulShape::Utf16 { big_endian: false };
    }
    if half > 0 && even * 10 >= half * 3 && odd * 50 <= even {
        return NulShape::Utf16 { big_endian: true };
    }
    // A stray NUL in a text file is a control character to remove, not a reason to reject.
    if nuls * 100 > sample.len() || (nuls + controls) * 10 > sample.len() {
        return NulShape::Binary { offset: first_nul };
    }
    NulShape::None
}

/// Corrections to chardetng's guess for cases it is known to miss, each decided on byte
/// statistics of the sample.
fn adjust_guess(guess: &'static Encoding, sample: &[u8]) -> &'static Encoding {
    let mut hist = [0usize; 256];
    for &b in sample {
        hist[usize::from(b)] += 1;
    }
    let range = |lo: usize, hi: usize| hist[lo..=hi].iter().sum::<usize>();
    let high = range(0x80, 0xff);
    // With a handful of non-ASCII bytes the guess is close to a coin toss; windows-1252 is the
    // most common legacy page in news feeds, so it is the better bet.
    if high < 4 && guess.is_single_byte() && guess.name().starts_with("windows-125") {
        return encoding_rs::WINDOWS_1252;
    }
    // Hungarian ő and ű sit on F5 and FB in windows-1250 and ISO-8859-2, where windows-1252
    // has õ and û; chardetng often calls Hungarian windows-1252. Portuguese uses õ but also ã
    // (E3), which Hungarian never has, so ã vetoes the switch.
    if guess == encoding_rs::WINDOWS_1252 {
        let hu = hist[0xf5] + hist[0xfb] + hist[0xd5] + hist[0xdb];
        if hu >= 2 && hu * 50 >= high && hist[0xe3] == 0 {
            return encoding_rs::WINDOWS_1250;
        }
    }
    // chardetng does not detect Mac Cyrillic. Its signature: lowercase Cyrillic in E0..FF like
    // windows-1251, but capitals in 80..9F instead of C0..DF, and (being Russian) a large share
    // of non-ASCII bytes, which keeps Western text with curly quotes out.
    let cyrillic_guess = [
        encoding_rs::WINDOWS_1251,
        encoding_rs::KOI8_U,
        encoding_rs::KOI8_R,
        encoding_rs::IBM866,
        encoding_rs::ISO_8859_5,
        encoding_rs::WINDOWS_1252,
    ]
    .contains(&guess);
    let lower = range(0xe0, 0xff);
    let caps_mac = range(0x80, 0x9f);
    // 0xDF is excluded: it is я in Mac Cyrillic, the one lowercase letter outside E0..FF.
    let caps_win = range(0xc0, 0xde);
    if cyrillic_guess
        && high >= 20
        && high * 100 > sample.len() * 8
        && lower * 10 > high * 6
        && caps_mac * 100 > high * 2
        && caps_win * 3 < caps_mac
    {
        return encoding_rs::X_MAC_CYRILLIC;
    }
    guess
}

/// Single-byte pages are the ones a per-line fallback makes sense for: a multi-byte legacy
/// encoding mixed line by line with UTF-8 is not something that happens in practice, and its
/// lines can accidentally be valid UTF-8.
fn is_single_byte(enc: &'static Encoding) -> bool {
    enc.is_single_byte()
}

/// Decode bytes to text, recording which encoding was used.
pub(crate) fn decode(
    bytes: &[u8],
    label: Option<&'static Encoding>,
    detect_bytes: usize,
    per_line_fallback: bool,
    repairs: &mut Repairs,
) -> Result<CharsetDecoded, DecodeError> {
    let named = |text: String, enc: &str| CharsetDecoded {
        text,
        encoding: enc.to_owned(),
    };

    // UTF-32 BOMs first: FF FE 00 00 would otherwise read as a UTF-16LE BOM.
    if bytes.starts_with(&[0xff, 0xfe, 0, 0]) {
        return Ok(named(decode_utf32(&bytes[4..], false, repairs), "UTF-32LE"));
    }
    if bytes.starts_with(&[0, 0, 0xfe, 0xff]) {
        return Ok(named(decode_utf32(&bytes[4..], true, repairs), "UTF-32BE"));
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return Ok(named(
            decode_with(enc, &bytes[bom_len..], repairs),
            enc.name(),
        ));
    }
    if let Some(enc) = label {
        return Ok(named(decode_with(enc, bytes, repairs), enc.name()));
    }
    let sample = &bytes[..bytes.len().min(detect_bytes.max(4))];
    match nul_shape(sample) {
        NulShape::None => {}
        NulShape::Utf16 { big_endian } => {
            let enc = if big_endian {
                encoding_rs::UTF_16BE
            } else {
                encoding_rs::UTF_16LE
            };
            return Ok(named(decode_with(enc, bytes, repairs), enc.name()));
        }
        NulShape::Utf32 { big_endian } => {
            let name = if big_endian { "UTF-32BE" } else { "UTF-32LE" };
            return Ok(named(decode_utf32(bytes, big_endian, repairs), name));
        }
        NulShape::Binary { offset } => return Err(DecodeError::Binary { offset }),
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        // ISO-2022-JP is 7-bit and so valid UTF-8; its escape sequences give it away.
        let iso2022 = memchr::memmem::find(sample, b"\x1b$B").is_some()
            || memchr::memmem::find(sample, b"\x1b$@").is_some();
        if !iso2022 {
            return Ok(named(text.to_owned(), "UTF-8"));
        }
        let enc = encoding_rs::ISO_2022_JP;
        return Ok(named(decode_with(enc, bytes, repairs), enc.name()));
    }

    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(sample, sample.len() == bytes.len());
    // UTF-8 is not allowed as the answer: strict UTF-8 already failed, and for a mostly-UTF-8
    // file the question that matters is which legacy page its broken lines are in.
    let guess = adjust_guess(detector.guess(None, false), sample);

    if per_line_fallback && is_single_byte(guess) {
        if let Some(text) = decode_mixed(bytes, guess, repairs) {
            return Ok(named(text, &format!("UTF-8+{}", guess.name())));
        }
    }
    Ok(named(decode_with(guess, bytes, repairs), guess.name()))
}

/// Line-by-line decode for files mixing UTF-8 and one legacy page. Returns None when the file
/// has no valid non-ASCII UTF-8 line, i.e. it is simply a legacy file.
fn decode_mixed(bytes: &[u8], legacy: &'static Encoding, repairs: &mut Repairs) -> Option<String> {
    let mut utf8_lines = 0u64;
    for line in bytes.split(|&b| b == b'\n') {
        if !line.is_ascii() && std::str::from_utf8(line).is_ok() {
            utf8_lines += 1;
            break;
        }
    }
    if utf8_lines == 0 {
        return None;
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    let mut legacy_lines = 0u64;
    let mut first = true;
    for line in bytes.split(|&b| b == b'\n') {
        if !first {
            out.push('\n');
        }
        first = false;
        match std::str::from_utf8(line) {
            Ok(s) => out.push_str(s),
            Err(_) => {
                legacy_lines += 1;
                let (s, _) = legacy.decode_without_bom_handling(line);
                out.push_str(&s);
            }
        }
    }
    *repairs.entry("legacy_line").or_insert(0) += legacy_lines;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> (String, String) {
        let mut r = Repairs::new();
        let d = decode(bytes, None, 65536, true, &mut r).expect("decodes");
        (d.text, d.encoding)
    }

    #[test]
    fn boms_and_utf8() {
        assert_eq!(run(b"\xef\xbb\xbfhi"), ("hi".into(), "UTF-8".into()));
        assert_eq!(run(b"\xff\xfeh\0i\0"), ("hi".into(), "UTF-16LE".into()));
        assert_eq!(run(b"\xff\xfe\0\0h\0\0\0"), ("h".into(), "UTF-32LE".into()));
        assert_eq!(run("café".as_bytes()), ("café".into(), "UTF-8".into()));
    }

    #[test]
    fn utf16_without_bom() {
        let le: Vec<u8> = "hello world, this is text"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(run(&le).1, "UTF-16LE");
        let be: Vec<u8> = "hello world, this is text"
            .encode_utf16()
            .flat_map(|u| u.to_be_bytes())
            .collect();
        assert_eq!(
            run(&be),
            ("hello world, this is text".into(), "UTF-16BE".into())
        );
    }

    #[test]
    fn legacy_and_mixed() {
        let (text, enc) = run(b"Caf\xe9 cr\xe8me et na\xefvet\xe9 du r\xe9sum\xe9");
        assert_eq!(text, "Café crème et naïveté du résumé");
        assert_eq!(enc, "windows-1252");
        let (text, enc) = run("naïve UTF-8\nCaf\u{e9}\n"
            .as_bytes()
            .iter()
            .copied()
            .chain(*b"Caf\xe9 latin\n")
            .collect::<Vec<_>>()
            .as_slice());
        assert_eq!(text, "naïve UTF-8\nCafé\nCafé latin\n");
        assert!(enc.starts_with("UTF-8+"), "{enc}");
    }

    #[test]
    fn binary() {
        let mut r = Repairs::new();
        let bytes = [
            0x7fu8, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0,
        ];
        assert!(matches!(
            decode(&bytes, None, 65536, true, &mut r),
            Err(DecodeError::Binary { offset: 7 })
        ));
    }

    #[test]
    fn a_file_of_nul_bytes_is_binary_not_utf32() {
        let mut r = Repairs::new();
        assert!(matches!(
            decode(&[0u8; 512], None, 65536, true, &mut r),
            Err(DecodeError::Binary { offset: 0 })
        ));
    }
}
