//! JSON strings on the hot paths of reading and writing: the escaper behind the output records
//! and the reader of flat input records (one object of strings per line), each writing or
//! reading exactly the bytes `serde_json` does, with a scan that tests 32 bytes at a time for
//! the few bytes that matter.
//!
//! Not a JSON library: `serde_json` stays the reference (the property tests hold both paths to
//! it) and does everything else. The reader declines (returns `None`) whatever is not a flat
//! object of strings, or is malformed, and the caller then parses the line with `serde_json`,
//! which also words the error.

/// Appends `s` as a JSON string, the bytes `serde_json` writes for it: `"` and `\` escaped,
/// `\b`, `\t`, `\n`, `\f` and `\r` by name and the other C0 controls as `\u00XX` (lowercase
/// hex), everything else (DEL and non-ASCII included) as it is.
///
/// serde_json looks up every byte in a table; news text needs an escape about once per line,
/// so this tests blocks of 32 bytes at once (a fold the compiler vectorizes) and copies the
/// runs between escapes whole. The property test `escaper_agrees_with_serde_json` holds it to
/// serde_json.
pub fn write_json_str(buf: &mut Vec<u8>, s: &str) {
    buf.reserve(s.len() + 2);
    buf.push(b'"');
    write_json_str_contents(buf, s);
    buf.push(b'"');
}

/// Does this byte need an escape in a JSON string? The same bytes end a run of plain text
/// when reading one: a quote, a backslash or a (forbidden) control character.
#[inline]
fn is_special(x: u8) -> bool {
    (x < 0x20) | (x == b'"') | (x == b'\\')
}

/// The offset of the first [`is_special`] byte of `b`. Blocks of 32 bytes are tested with a
/// fold, which the compiler vectorizes, and the block that holds one is searched a word at a
/// time ([`first_special`]). The bytes after the last whole block are tested as the last 32
/// bytes of `b`, overlapping bytes already found plain; only a string shorter than a block is
/// searched byte by byte.
fn next_special(b: &[u8]) -> Option<usize> {
    let any = |block: &[u8; 32]| block.iter().fold(false, |acc, &x| acc | is_special(x));
    let (blocks, rest) = b.as_chunks::<32>();
    for (i, block) in blocks.iter().enumerate() {
        if any(block) {
            return Some(i * 32 + first_special(block));
        }
    }
    match b.last_chunk::<32>() {
        Some(last) => (!rest.is_empty() && any(last)).then(|| b.len() - 32 + first_special(last)),
        None => rest.iter().position(|&x| is_special(x)),
    }
}

/// The index of the first [`is_special`] byte of a block that holds one (32 if none does).
/// Eight bytes at a time with the bit tricks of `memchr`'s fallback: a byte's high bit is set
/// in [`special_bits`] for a quote, a backslash or a control, and may be set wrongly only
/// above one that truly is (a borrow runs upwards), so the lowest set bit is exact. A search
/// byte by byte would cost a mispredicted branch per string.
fn first_special(block: &[u8; 32]) -> usize {
    let (words, _) = block.as_chunks::<8>();
    for (k, word) in words.iter().enumerate() {
        let bits = special_bits(u64::from_le_bytes(*word));
        if bits != 0 {
            return k * 8 + (bits.trailing_zeros() / 8) as usize;
        }
    }
    32
}

/// The high bit of each byte of `w` that may be [`is_special`]; see [`first_special`].
#[inline]
fn special_bits(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |v: u64, n: u8| v.wrapping_sub(ONES * u64::from(n)) & !v & HIGH;
    below(w, 0x20)
        | below(w ^ (ONES * u64::from(b'"')), 1)
        | below(w ^ (ONES * u64::from(b'\\')), 1)
}

/// [`write_json_str`] without the quotes.
pub(crate) fn write_json_str_contents(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let b = s.as_bytes();
    let mut start = 0;
    while let Some(off) = next_special(&b[start..]) {
        let at = start + off;
        buf.extend_from_slice(&b[start..at]);
        let x = b[at];
        let named = match x {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            _ => 0,
        };
        if named != 0 {
            buf.extend_from_slice(&[b'\\', named]);
        } else {
            buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(x >> 4)],
                HEX[usize::from(x & 0xf)],
            ]);
        }
        start = at + 1;
    }
    buf.extend_from_slice(&b[start..]);
}

/// JSON whitespace, as `serde_json` skips it.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\t' | b'\r')) {
        i += 1;
    }
    i
}

/// The fields of a line holding one JSON object whose values are all strings, in order, as
/// `serde_json` reads them; `None` for anything else: another kind of value, a key given
/// twice (`serde_json` keeps the last value in the first key's place), no field at all, a
/// `\u` escape of a lone surrogate, or anything malformed.
pub fn parse_flat_record(line: &[u8]) -> Option<Vec<(String, String)>> {
    // Validating the whole line first lets the strings be cut from it as `&str`.
    let text = std::str::from_utf8(line).ok()?;
    let b = line;
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    loop {
        i = skip_ws(b, i + 1);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, next) = parse_str(text, i + 1)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (value, next) = parse_str(text, i + 1)?;
        if fields.iter().any(|(k, _)| *k == key) {
            return None;
        }
        fields.push((key, value));
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => {}
            Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(fields),
            _ => return None,
        }
    }
}

/// The string whose contents start at byte `start` of `text`, and the offset just past its
/// closing quote. A string without escapes is one copy of the right size; one with escapes is
/// built in a buffer as long as the rest of the line (the string cannot be longer), trimmed
/// when that leaves much unused.
fn parse_str(text: &str, start: usize) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut at = start + next_special(&b[start..])?;
    if b[at] == b'"' {
        return Some((text[start..at].to_owned(), at + 1));
    }
    let mut out = String::with_capacity(b.len() - start);
    let mut from = start;
    loop {
        out.push_str(&text[from..at]);
        match b[at] {
            b'"' => {
                if out.capacity() - out.len() > out.len() / 8 + 64 {
                    out.shrink_to_fit();
                }
                return Some((out, at + 1));
            }
            b'\\' => {
                let (c, len) = unescape(b, at + 1)?;
                out.push(c);
                from = at + 1 + len;
            }
            // A raw control character, which JSON forbids in a string.
            _ => return None,
        }
        at = from + next_special(&b[from..])?;
    }
}

/// The character of the escape whose letter is at `b[i]`, and the bytes it takes after the
/// backslash. Surrogate pairs are joined; a lone surrogate is left to `serde_json`.
fn unescape(b: &[u8], i: usize) -> Option<(char, usize)> {
    let c = match *b.get(i)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let n = hex4(b, i + 1)?;
            if (0xd800..0xdc00).contains(&n) {
                if b.get(i + 5..i + 7)? != b"\\u" {
                    return None;
                }
                let low = hex4(b, i + 7)?;
                if !(0xdc00..0xe000).contains(&low) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((n - 0xd800) << 10) + (low - 0xdc00))?;
                return Some((c, 11));
            }
            return char::from_u32(n).map(|c| (c, 5));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// Four hex digits (either case) at `b[i..]`.
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let digits = b.get(i..i + 4)?;
    digits
        .iter()
        .try_fold(0, |n, &d| Some(n * 16 + char::from(d).to_digit(16)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The fields `serde_json` reads from a line, when they are what [`parse_flat_record`]
    /// reads: an object of strings, each key once.
    fn by_serde(line: &[u8]) -> Option<Vec<(String, String)>> {
        let serde_json::Value::Object(map) = serde_json::from_slice(line).ok()? else {
            return None;
        };
        let mut keys = 0;
        let fields = map
            .into_iter()
            .map(|(k, v)| {
                keys += 1;
                Some((k, v.as_str()?.to_string()))
            })
            .collect::<Option<Vec<_>>>()?;
        (keys > 0).then_some(fields)
    }

    /// A JSON key: the usual fields, one spelled with an escape, and others.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("\"id\"".to_string()),
            Just("\"text\"".to_string()),
            Just("\"t\\u0065xt\"".to_string()),
            "\"[a-z]{0,2}\"",
        ]
    }

    /// A JSON value: mostly a string, with a one in forty chance per piece of a broken one.
    fn value() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            40 => "[a-z é]{1,6}",
            8 => "\\\\[nrtbf/\"\\\\]",
            4 => "\\\\u00[0-3][0-9a-fA-F]",
            2 => Just("\\ud83d\\ude00".to_string()),
            2 => Just("\\u2028".to_string()),
            1 => Just("\u{1}".to_string()),
            1 => Just("\\ud83d".to_string()),
            1 => Just("\\ude00x".to_string()),
            1 => Just("\\x".to_string()),
        ];
        prop_oneof![
            20 => proptest::collection::vec(piece, 0..8).prop_map(|p| format!("\"{}\"", p.concat())),
            1 => Just("7".to_string()),
            1 => Just("null".to_string()),
            1 => Just("{}".to_string()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The escaper writes serde_json's bytes, on strings rich in what it escapes (every C0
        /// control, quotes, backslashes) beside DEL, non-ASCII and runs longer than a block.
        #[test]
        fn escaper_agrees_with_serde_json(
            s in "([\\x00-\\x1f\"\\\\\x7f\u{80}\u{2028}é😀]|[a-z ]{0,40}){0,24}",
        ) {
            let mut ours = Vec::new();
            write_json_str(&mut ours, &s);
            proptest::prop_assert_eq!(ours, serde_json::to_vec(&s).unwrap());
        }


        /// The word-at-a-time search finds the first special byte a byte-by-byte one finds.
        #[test]
        fn first_special_agrees_with_a_plain_search(
            block in proptest::array::uniform32(prop_oneof![
                8 => any::<u8>().prop_filter("plain", |&x| !is_special(x)),
                1 => any::<u8>(),
            ]),
        ) {
            let plain = block.iter().position(|&x| is_special(x)).unwrap_or(32);
            prop_assert_eq!(first_special(&block), plain);
        }

        /// Whatever the flat reader accepts, `serde_json` reads the same way. Lines are built
        /// from JSON pieces, mostly well-formed (escapes of every kind, surrogate pairs,
        /// non-ASCII, repeated keys, whitespace), now and then broken (a raw control, a lone
        /// surrogate, a bad escape, another kind of value, a stray comma or brace).
        #[test]
        fn flat_records_agree_with_serde_json(
            fields in proptest::collection::vec((key(), "[ \t]?:[ \r]?", value()), 0..4),
            close in prop_oneof![8 => Just("}"), 1 => Just("},"), 1 => Just(""), 1 => Just("} ")],
        ) {
            let parts: Vec<String> = fields.iter().map(|(k, sep, v)| format!("{k}{sep}{v}")).collect();
            let line = format!("{{{}{close}", parts.join(","));
            let ours = parse_flat_record(line.as_bytes());
            if ours.is_some() {
                prop_assert_eq!(&ours, &by_serde(line.as_bytes()), "{}", line);
            }
        }

        /// And it declines no well-formed object of strings with distinct keys.
        #[test]
        fn flat_records_are_read_whenever_they_are_flat(
            fields in proptest::collection::btree_map("[a-z\"\\\\\x00-\x1f]{0,4}", "\\PC{0,30}", 1..4),
        ) {
            let map: serde_json::Map<String, serde_json::Value> = fields
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            let line = serde_json::to_vec(&map).unwrap();
            prop_assert_eq!(parse_flat_record(&line), by_serde(&line));
        }
    }
}
