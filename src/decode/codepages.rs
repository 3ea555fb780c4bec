//! Single-byte code page tables used to *re-encode* mojibake back to the bytes it came from.
//!
//! This is for the mojibake repair only: each table answers "which byte would this character
//! have been, had the text been wrongly decoded with this code page?". It is not a general
//! encoder (encoding_rs does real decoding); the tables are "sloppy", meaning every byte maps to
//! some character, so that a wrong decode can always be undone.

use std::sync::OnceLock;

/// The code pages the repair tries, in the order it tries them. The order matters only when two
/// pages both give strict UTF-8; the common Western pages come first because they are the most
/// frequent source of mojibake in news text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    /// Latin-1 merged with windows-1252: the C1 range U+0080..U+009F encodes to itself, and
    /// the windows-1252 punctuation encodes to 0x80..0x9F too.
    Latin1Sloppy1252,
    Sloppy1251,
    Sloppy1250,
    Sloppy1253,
    Sloppy1254,
    Sloppy1257,
    Iso8859_2,
    MacRoman,
    Cp437,
}

pub(crate) const PAGES: [Page; 9] = [
    Page::Latin1Sloppy1252,
    Page::Sloppy1251,
    Page::Sloppy1250,
    Page::Sloppy1253,
    Page::Sloppy1254,
    Page::Sloppy1257,
    Page::Iso8859_2,
    Page::MacRoman,
    Page::Cp437,
];

/// The upper half of IBM code page 437, which encoding_rs does not carry.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// One code page: the character for each high byte, and the reverse map sorted by character.
pub(crate) struct Table {
    high: [char; 128],
    reverse: Vec<(char, u8)>,
}

impl Table {
    fn build(high: [char; 128], c1_passthrough: bool) -> Table {
        let mut reverse: Vec<(char, u8)> = Vec::with_capacity(160);
        for (i, &c) in high.iter().enumerate() {
            reverse.push((c, 0x80 + i as u8));
        }
        if c1_passthrough {
            // A C1 control in decoded text almost always came from a Latin-1 decode of the
            // same byte, so the Western page accepts it back as that byte. The other pages
            // only map their *undefined* bytes to C1 (in `from_encoding_rs`): accepting every
            // C1 there would let 1250 win over ISO-8859-2 for text that only 8859-2 explains.
            for b in 0x80u8..=0x9f {
                let c = char::from(b);
                if !high.contains(&c) {
                    reverse.push((c, b));
                }
            }
        }
        reverse.sort_unstable();
        reverse.dedup_by_key(|e| e.0);
        Table { high, reverse }
    }

    /// The byte this character encodes to, if the page has it.
    #[inline]
    pub(crate) fn encode(&self, c: char) -> Option<u8> {
        if c.is_ascii() {
            return Some(c as u8);
        }
        self.reverse
            .binary_search_by_key(&c, |e| e.0)
            .ok()
            .map(|i| self.reverse[i].1)
    }

    /// The character a byte decodes to.
    #[inline]
    pub(crate) fn decode(&self, b: u8) -> char {
        if b < 0x80 {
            char::from(b)
        } else {
            self.high[usize::from(b - 0x80)]
        }
    }
}

fn from_encoding_rs(enc: &'static encoding_rs::Encoding) -> [char; 128] {
    let mut high = ['\0'; 128];
    for (i, slot) in high.iter_mut().enumerate() {
        let b = [0x80 + i as u8];
        let (text, _) = enc.decode_without_bom_handling(&b);
        let c = text.chars().next().unwrap_or('\u{fffd}');
        // Undefined bytes become the C1 control of the same value: that is what a sloppy
        // decoder produced, and it keeps the table a bijection.
        *slot = if c == '\u{fffd}' { char::from(b[0]) } else { c };
    }
    high
}

fn build_all() -> Vec<Table> {
    PAGES
        .iter()
        .map(|page| match page {
            Page::Latin1Sloppy1252 => {
                // Bytes 0x80..0x9F decode as windows-1252 where it defines them; the Latin-1
                // reading of the same bytes is accepted by the C1 pass-through.
                Table::build(from_encoding_rs(encoding_rs::WINDOWS_1252), true)
            }
            Page::Sloppy1251 => Table::build(from_encoding_rs(encoding_rs::WINDOWS_1251), false),
            Page::Sloppy1250 => Table::build(from_encoding_rs(encoding_rs::WINDOWS_1250), false),
            Page::Sloppy1253 => Table::build(from_encoding_rs(encoding_rs::WINDOWS_1253), false),
            Page::Sloppy1254 => Table::build(from_encoding_rs(encoding_rs::WINDOWS_1254), false),
            Page::Sloppy1257 => Table::build(from_encoding_rs(encoding_rs::WINDOWS_1257), false),
            Page::Iso8859_2 => Table::build(from_encoding_rs(encoding_rs::ISO_8859_2), false),
            Page::MacRoman => Table::build(from_encoding_rs(encoding_rs::MACINTOSH), false),
            Page::Cp437 => {
                let mut high = ['\0'; 128];
                for (slot, c) in high.iter_mut().zip(CP437_HIGH.chars()) {
                    *slot = c;
                }
                Table::build(high, false)
            }
        })
        .collect()
}

/// The table for a page; built once per process.
pub(crate) fn table(page: Page) -> &'static Table {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    let all = TABLES.get_or_init(build_all);
    let idx = PAGES.iter().position(|p| *p == page).unwrap_or(0);
    &all[idx]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_round_trips_its_high_half() {
        for page in PAGES {
            let t = table(page);
            for b in 0x80u8..=0xff {
                assert_eq!(t.encode(t.decode(b)), Some(b), "{page:?} byte {b:#x}");
            }
        }
    }

    #[test]
    fn known_characters() {
        let w = table(Page::Latin1Sloppy1252);
        assert_eq!(w.encode('€'), Some(0x80));
        assert_eq!(w.encode('\u{80}'), Some(0x80));
        assert_eq!(w.encode('Ã'), Some(0xc3));
        assert_eq!(table(Page::Cp437).encode('╨'), Some(0xd0));
        assert_eq!(table(Page::MacRoman).encode('√'), Some(0xc3));
        assert_eq!(table(Page::Sloppy1251).encode('Р'), Some(0xd0));
    }
}
