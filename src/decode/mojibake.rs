//! Mojibake repair: undo UTF-8 text that was decoded with a single-byte code page, once or
//! several times ("RussiaÃ¢â‚¬â„¢s" -> "Russia’s").
//!
//! The approach is the one ftfy documents, implemented from scratch:
//!
//! 1. A cheap byte prefilter: mojibake needs two adjacent non-ASCII characters, a C1 control,
//!    U+FFFD or "Ã " — a line without any of these is returned untouched at once.
//! 2. A *badness* test that must fire: for some code page, a pair/triple of characters that
//!    re-encodes to a UTF-8 lead byte plus continuation bytes, where the continuation is a
//!    symbol rather than a letter and the character it would decode to is plausible in text.
//!    Ordinary accented words ("café", "NESTLÉ®", "Å—") do not fire.
//! 3. For each code page in [`codepages::PAGES`], re-encode the whole line and decode the bytes
//!    as strict UTF-8 (CESU-8 surrogate pairs allowed). The first page that succeeds wins.
//!    Two byte-level helpers run before the UTF-8 check: restoring a 0xA0 byte that became a
//!    space (NBSP lost in transit), and treating U+FFFD / '?' in a continuation slot as one lost
//!    byte, which turns the whole sequence into a single U+FFFD.
//! 4. When no whole-line decode works (the line mixes mojibake with correct text), clear
//!    windows-1252 mojibake sequences are decoded in place, one by one.
//! 5. Remaining C1 controls are read as the windows-1252 characters they stand for.
//!
//! Steps 2-5 repeat until the line is stable, which undoes double and triple mojibake.
//!
//! Not for: charset detection of raw bytes (see `charset`), entities, whitespace or
//! normalization; this module only sees decoded text and knows nothing of options.

use super::codepages::{table, Page, PAGES};

/// How many repair rounds one line may take. Triple mojibake needs three; more than that is a
/// sign the heuristic is oscillating, and stopping keeps the cost bounded.
const MAX_ROUNDS: usize = 6;

/// Marker for "a byte was lost here" in the re-encoded buffer (one past any real byte).
const LOST: u16 = 0x100;

/// Cheap test on UTF-8 bytes: can this text contain mojibake at all?
///
/// Every mojibake sequence is at least two adjacent non-ASCII characters, except the C1
/// controls, U+FFFD, and the "Ã " left when a NBSP byte was lost, so those are all we look for.
#[inline]
pub fn may_contain_mojibake(text: &str) -> bool {
    let b = text.as_bytes();
    let Some(start) = b.iter().position(|&x| x >= 0x80) else {
        return false;
    };
    let n = b.len();
    let mut i = start;
    while i < n {
        let x = b[i];
        if x >= 0xc0 {
            if i > 0 && b[i - 1] >= 0x80 {
                return true;
            }
            match x {
                0xc2 if i + 1 < n && b[i + 1] < 0xa0 => return true,
                0xc3 if i + 2 < n && b[i + 1] == 0x83 && b[i + 2] == b' ' => return true,
                0xef if i + 2 < n && b[i + 1] == 0xbf && b[i + 2] == 0xbd => return true,
                _ => {}
            }
        }
        i += 1;
    }
    false
}

/// Continuation characters that are common in correct text right after an accented capital
/// ("NESTLÉ®", "MARQUÉ…", "ZZAJÉ’s"), so a pair ending in one of them is no evidence.
fn is_common_after_letter(c: char) -> bool {
    matches!(
        c,
        '…' | '\u{2019}'
            | '\u{2018}'
            | '\u{201c}'
            | '\u{201d}'
            | '–'
            | '—'
            | '\u{a0}'
            | '™'
            | '®'
            | '¡'
            | '¿'
            | '«'
            | '»'
            | '°'
            | '£'
            | '$'
    )
}

/// Letters for the purpose of the badness test. The windows-1252 letters in 0x80..0x9F and the
/// ordinal indicators are excluded: they are far more often halves of mojibake than letters.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !matches!(c, 'Š' | 'Œ' | 'Ž' | 'š' | 'œ' | 'ž' | 'Ÿ' | 'ƒ' | 'ª' | 'º')
}

/// Is this character believable as the result of a repair? Repairs that would produce rare
/// phonetic letters, Armenian, Syriac, private-use and so on are rejected: in practice such
/// "repairs" turn correct accented text into nonsense ("NESTLÉ®" -> "NESTLɮ").
pub(crate) fn plausible(c: char) -> bool {
    let u = c as u32;
    match u {
        0x00..=0x7f => true,
        0x80..=0x9f => false,
        0xa0..=0x17e => true,
        0x17f => false, // long s: archaic, but a box-drawing pair decodes to it
        0x1a0 | 0x1a1 | 0x1af | 0x1b0 => true, // Vietnamese horned letters
        0x18f | 0x259 => true, // schwa (Azerbaijani)
        0x1c4..=0x1dc => true, // digraphs and pinyin tones
        0x1e6..=0x1e7 | 0x1f4..=0x1f5 => true,
        0x218..=0x21b => true, // Romanian comma-below letters
        0x180..=0x2af => false,
        0x2b0..=0x36f => true,    // modifier letters and combining marks
        0x1d00..=0x1dbf => false, // phonetic extensions: "lá´´" would become "lᴴ"
        0x370..=0x3e1 | 0x3f0..=0x3ff => true,
        0x3e2..=0x3ef => false, // Coptic in the Greek block
        0x400..=0x45f | 0x490..=0x4bf | 0x4d0..=0x4ff => true,
        0x460..=0x58f => false, // historic Cyrillic, rare Cyrillic extensions, Armenian
        0x5b0..=0x5bc | 0x5d0..=0x5ea | 0x5f0..=0x5f4 => true,
        0x590..=0x5ff => false, // Hebrew cantillation marks
        0x600..=0x6ff => true,
        0x700..=0x8ff => false, // Syriac, Thaana, NKo, Samaritan, Mandaic
        0xd800..=0xdfff => false,
        0xe000..=0xf8ff => false, // private use
        0xfdd0..=0xfdef | 0xfff0..=0xfffc | 0xfffe..=0xffff => false,
        0x10000..=0x2ffff => true,
        0x30000..=0x10ffff => false,
        _ => true,
    }
}

/// Is `c` a UTF-8 continuation when re-encoded with `page`?
#[inline]
fn cont_byte(page: Page, c: char) -> Option<u8> {
    if c.is_ascii() {
        return None;
    }
    table(page).encode(c).filter(|b| (0x80..=0xbf).contains(b))
}

/// The kind of mojibake sequence found at one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seq {
    /// A two-byte UTF-8 sequence; `strong` when it starts with Ã or Â in the Western page.
    Two { strong: bool },
    /// "Ã " followed by a lowercase letter: "à" whose NBSP byte became a space.
    LostA0,
    /// A three- or four-byte sequence.
    Long(usize),
}

/// Does a suspicious sequence for `page` start at `chars[i]`? Returns its kind.
fn sequence_at(chars: &[char], i: usize, page: Page) -> Option<Seq> {
    let x = chars[i];
    if x.is_ascii() {
        return None;
    }
    let t = table(page);
    let bx = t.encode(x)?;
    let y = *chars.get(i + 1)?;
    let western = page == Page::Latin1Sloppy1252;
    if bx == 0xc3 && y == ' ' && (western || page == Page::Sloppy1251) {
        let z = chars.get(i + 2).copied().unwrap_or(' ');
        return (z.is_ascii_lowercase() || z == ' ').then_some(Seq::LostA0);
    }
    if y == '\u{fffd}' && (0xc2..=0xf4).contains(&bx) && !is_letter_pair_context(chars, i) {
        // A lead byte followed by U+FFFD: a sloppy decoder lost the continuation byte.
        return Some(Seq::Two {
            strong: western && (x == 'Ã' || x == 'Â'),
        });
    }
    match bx {
        0xc2..=0xdf => {
            let by = cont_byte(page, y)?;
            let d = char::from_u32((u32::from(bx & 0x1f) << 6) | u32::from(by & 0x3f))?;
            let strong = western && (x == 'Ã' || x == 'Â');
            if !(plausible(d) || (strong && ('\u{80}'..='\u{9f}').contains(&d))) {
                return None;
            }
            let suspicious = if strong {
                // "Ã’s" is how people write the plural of the letter Ã.
                !(x == 'Ã' && y == '\u{2019}')
            } else {
                match page {
                    // Ä and Å lead to Latin Extended-A ("Ä°" for "İ", "Å¡" for "š"), and
                    // followed by a symbol they are rarely meant, except for these.
                    Page::Latin1Sloppy1252 if x == 'Ä' || x == 'Å' => {
                        !is_letter(y)
                            && !matches!(y, '™' | '—' | '–' | '\u{a0}' | '…' | '\u{2019}' | '£')
                    }
                    // In MacRoman only the maths and rare signs are credible lead bytes; its
                    // letters and punctuation in C2..DF are everyday text.
                    Page::MacRoman
                        if !matches!(
                            x,
                            '√' | 'ƒ'
                                | '≈'
                                | '∆'
                                | '◊'
                                | 'ÿ'
                                | 'Ÿ'
                                | '⁄'
                                | '‹'
                                | '›'
                                | '÷'
                                | '€'
                        ) =>
                    {
                        false
                    }
                    // √ is a maths sign; after a letter ("wei√ü") it is mojibake.
                    Page::MacRoman if x == '√' => {
                        i > 0 && chars[i - 1].is_alphabetic() && !is_common_after_letter(y)
                    }
                    // ¬ followed by a symbol is a face or a maths expression far more often.
                    Page::MacRoman if x == '¬' => false,
                    // Box drawing followed by any non-ASCII character is not line art.
                    Page::Cp437 => true,
                    // Р and С are the UTF-8 lead bytes of Cyrillic; what follows them in
                    // 1251 mojibake is often a Ukrainian or Serbian letter ("Рґ" for "д").
                    // Real Cyrillic words cannot pass the whole-line UTF-8 check, so letters
                    // are accepted here.
                    Page::Sloppy1251 if x == 'Р' || x == 'С' => true,
                    _ => !is_letter(y) && !is_common_after_letter(y),
                }
            };
            suspicious.then_some(Seq::Two { strong })
        }
        0xe0..=0xf4 => {
            let need = if bx >= 0xf0 { 3 } else { 2 };
            let mut cp = u32::from(bx & if need == 2 { 0x0f } else { 0x07 });
            let mut any_symbol = false;
            let mut all_common = true;
            for k in 1..=need {
                let c = *chars.get(i + k)?;
                let b = cont_byte(page, c)?;
                any_symbol |= !is_letter(c);
                all_common &= matches!(
                    c,
                    '…' | '\u{2019}' | '\u{2018}' | '\u{201c}' | '\u{201d}' | '–' | '—' | '\u{a0}'
                );
                cp = (cp << 6) | u32::from(b & 0x3f);
            }
            if !any_symbol && page != Page::Cp437 && page != Page::MacRoman {
                return None;
            }
            // "café…”" is typography; real three-byte mojibake has at least one odd symbol.
            if all_common {
                return None;
            }
            let ok = match need {
                2 => {
                    (0x800..=0xffff).contains(&cp)
                        && (matches!(cp, 0xd800..=0xdbff)
                            || char::from_u32(cp).is_some_and(plausible))
                }
                _ => {
                    (0x10000..=0x10ffff).contains(&cp) && char::from_u32(cp).is_some_and(plausible)
                }
            };
            ok.then_some(Seq::Long(need + 1))
        }
        _ => None,
    }
}

/// A replacement character right after an accented capital in an all-caps word is more likely
/// a genuinely unknown character than a lost byte; only lowercase context counts as evidence.
fn is_letter_pair_context(chars: &[char], i: usize) -> bool {
    i > 0 && chars[i - 1].is_uppercase() && chars[i].is_uppercase()
}

/// Does the badness test fire on this line for `page`?
fn fires(chars: &[char], page: Page) -> bool {
    (0..chars.len()).any(|i| sequence_at(chars, i, page).is_some())
}

/// Re-encode a whole line with `page`. Returns None when a character is not in the page.
fn encode_line(chars: &[char], page: Page, out: &mut Vec<u16>) -> bool {
    out.clear();
    let t = table(page);
    for &c in chars {
        if c == '\u{fffd}' {
            out.push(LOST);
            continue;
        }
        match t.encode(c) {
            Some(b) => out.push(u16::from(b)),
            None => return false,
        }
    }
    true
}

/// Byte-level helper: put back the 0xA0 bytes that became spaces, before the UTF-8 check.
///
/// "Ã " + lowercase is "à" + space in French and Italian ("Ã la" -> "à la"): the NBSP byte was
/// lost and the space is real, so 0xA0 is inserted. In Portuguese "às" the space *is* the lost
/// byte. Elsewhere a space in a continuation slot is replaced.
fn restore_a0(bytes: &mut Vec<u16>) {
    let mut i = 0;
    while i + 1 < bytes.len() {
        let b = bytes[i];
        if bytes[i + 1] == 0x20 {
            let rest = &bytes[i + 2..];
            let starts = |s: &[u8]| {
                rest.len() >= s.len() && rest.iter().zip(s).all(|(a, b)| *a == u16::from(*b))
            };
            if b == 0xc3 {
                // "Ã  le" (two spaces): the first space is the lost byte.
                if starts(b" ") || starts(b"s ") || starts(b"quel") || starts(b"quil") {
                    bytes[i + 1] = 0xa0;
                } else {
                    bytes.insert(i + 1, 0xa0);
                }
                i += 2;
                continue;
            }
            let three_byte_gap = (0xe0..=0xef).contains(&b)
                && i + 2 < bytes.len()
                && (0x80..=0xbf).contains(&bytes[i + 2]);
            if (0xc2..=0xdf).contains(&b) || three_byte_gap {
                bytes[i + 1] = 0xa0;
            }
        } else if (0xe0..=0xef).contains(&b)
            && (0x80..=0xbf).contains(&bytes[i + 1])
            && i + 2 < bytes.len()
            && bytes[i + 2] == 0x20
        {
            bytes[i + 2] = 0xa0;
        }
        i += 1;
    }
}

/// Strict UTF-8 decode of the re-encoded buffer, with two allowances: CESU-8 surrogate pairs
/// (Java and MySQL's old "utf8" write emoji that way) and lost bytes, where a `LOST` marker or
/// '?' stands in a continuation slot and the whole sequence becomes one U+FFFD. Returns false
/// on anything else that is not UTF-8, or when a decoded character is implausible.
fn decode_utf8ish(bytes: &[u16], out: &mut String) -> bool {
    out.clear();
    let n = bytes.len();
    let is_cont = |v: u16| (0x80..=0xbf).contains(&v);
    let mut i = 0;
    let mut multibyte = false;
    while i < n {
        let b = bytes[i];
        if b == LOST {
            out.push('\u{fffd}');
            i += 1;
            continue;
        }
        if b < 0x80 {
            out.push(char::from(b as u8));
            i += 1;
            continue;
        }
        let (need, init) = match b {
            0xc2..=0xdf => (1, u32::from(b & 0x1f)),
            0xe0..=0xef => (2, u32::from(b & 0x0f)),
            0xf0..=0xf4 => (3, u32::from(b & 0x07)),
            _ => return false,
        };
        let mut cp = init;
        let mut lost = false;
        let mut k = 1;
        while k <= need {
            let Some(&c) = bytes.get(i + k) else {
                return false;
            };
            if c == LOST || (c == u16::from(b'?') && !lost) {
                lost = true;
            } else if is_cont(c) {
                cp = (cp << 6) | u32::from(c & 0x3f);
            } else if lost {
                break;
            } else {
                return false;
            }
            k += 1;
        }
        if lost {
            out.push('\u{fffd}');
            multibyte = true;
            i += k;
            continue;
        }
        i += need + 1;
        let min = [0, 0x80, 0x800, 0x10000][need];
        if cp < min {
            return false;
        }
        if (0xd800..=0xdbff).contains(&cp) {
            // A CESU-8 high surrogate must be followed by a low one.
            if i + 2 < n
                && bytes[i] == 0xed
                && (0xb0..=0xbf).contains(&bytes[i + 1])
                && is_cont(bytes[i + 2])
            {
                let lo =
                    0xdc00 | (u32::from(bytes[i + 1] & 0x0f) << 6) | u32::from(bytes[i + 2] & 0x3f);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i += 3;
            } else {
                return false;
            }
        }
        match char::from_u32(cp) {
            // C1 controls are allowed here: in double mojibake the first round's output still
            // holds them, and the next round (or the C1 step) resolves them.
            Some(c) if plausible(c) || ('\u{80}'..='\u{9f}').contains(&c) => {
                out.push(c);
                multibyte = true;
            }
            _ => return false,
        }
    }
    multibyte
}

/// Decode clear windows-1252 mojibake sequences in place, leaving the rest of the line alone.
/// Used when the line mixes mojibake with characters the page cannot hold back
/// ("l’Ã©valuation"). Needs either one long sequence or two strong two-byte ones, because a
/// single "Ã¥" next to correct text may well be intended.
fn fix_segments(chars: &[char], out: &mut String) -> bool {
    let page = Page::Latin1Sloppy1252;
    let t = table(page);
    let mut found = Vec::new();
    let (mut long, mut two) = (0, 0);
    let mut i = 0;
    while i < chars.len() {
        match sequence_at(chars, i, page) {
            // Long sequences only for â and ð leads (punctuation, symbols and emoji): a CJK
            // character made of three Latin-1 letters and symbols next to correct text is
            // more often a garble we cannot explain than a fix.
            Some(Seq::Long(len)) if matches!(chars[i], 'â' | 'ð') => {
                found.push((i, len));
                long += 1;
                i += len;
            }
            Some(Seq::Two { strong: false }) => {
                found.push((i, 2));
                i += 2;
            }
            Some(Seq::Two { strong: true }) => {
                found.push((i, 2));
                two += 1;
                i += 2;
            }
            Some(Seq::LostA0) => {
                found.push((i, 1));
                two += 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    if long == 0 && two < 2 {
        return false;
    }
    out.clear();
    let mut buf: Vec<u16> = Vec::with_capacity(4);
    let mut piece = String::new();
    let mut last = 0;
    for (start, len) in found {
        out.extend(&chars[last..start]);
        last = start + len;
        if len == 1 {
            out.push('à');
            continue;
        }
        buf.clear();
        buf.extend(
            chars[start..start + len]
                .iter()
                .filter_map(|&c| t.encode(c))
                .map(u16::from),
        );
        if buf.len() == len && decode_utf8ish(&buf, &mut piece) {
            out.push_str(&piece);
        } else {
            out.extend(&chars[start..start + len]);
        }
    }
    out.extend(&chars[last..]);
    // If what is left still looks like mojibake, the line is a garble we do not understand,
    // and a partial fix would only hide it.
    let rest: Vec<char> = out.chars().collect();
    !fires(&rest, page)
}

/// Read C1 controls as the windows-1252 characters they almost certainly were.
fn fix_c1(text: &str, out: &mut String) -> u64 {
    let t = table(Page::Latin1Sloppy1252);
    let mut n = 0;
    out.clear();
    for c in text.chars() {
        if ('\u{80}'..='\u{9f}').contains(&c) {
            let d = t.decode(c as u8);
            if d != c {
                n += 1;
                out.push(d);
                continue;
            }
        }
        out.push(c);
    }
    n
}

/// What one call to [`repair`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepairCounts {
    /// Whole-line or in-place re-decodes applied.
    pub mojibake: u64,
    /// C1 controls replaced by their windows-1252 character.
    pub c1_controls: u64,
}

/// Repair mojibake in one line (the caller splits lines; a line may also be a whole short
/// text). Returns `None` when nothing was changed, which is by far the common case.
pub fn repair(line: &str) -> Option<(String, RepairCounts)> {
    if !may_contain_mojibake(line) {
        return None;
    }
    let mut counts = RepairCounts::default();
    let mut cur = line.to_owned();
    let mut chars: Vec<char> = Vec::new();
    let mut bytes: Vec<u16> = Vec::new();
    let mut next = String::new();
    for _ in 0..MAX_ROUNDS {
        if !may_contain_mojibake(&cur) {
            break;
        }
        chars.clear();
        chars.extend(cur.chars());
        let mut changed = false;
        for page in PAGES {
            if !fires(&chars, page) || !encode_line(&chars, page, &mut bytes) {
                continue;
            }
            // MacRoman and cp437 put ordinary punctuation on lead bytes ("– " is D0 20), so a
            // space after them is just a space.
            if !matches!(page, Page::MacRoman | Page::Cp437) {
                restore_a0(&mut bytes);
            }
            if decode_utf8ish(&bytes, &mut next) && next != cur {
                changed = true;
                break;
            }
        }
        if !changed {
            changed = fix_segments(&chars, &mut next) && next != cur;
        }
        if changed {
            counts.mojibake += 1;
        } else if cur.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
            let n = fix_c1(&cur, &mut next);
            if n == 0 {
                break;
            }
            counts.c1_controls += n;
        } else {
            break;
        }
        std::mem::swap(&mut cur, &mut next);
    }
    (cur != line).then_some((cur, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        repair(s).map(|r| r.0).unwrap_or_else(|| s.to_owned())
    }

    #[test]
    fn single_double_triple() {
        assert_eq!(fix("RussiaÃ¢â‚¬â„¢s"), "Russia\u{2019}s");
        assert_eq!(
            fix("Iggy Pop (nÃƒÂ© Jim Osterberg)"),
            "Iggy Pop (né Jim Osterberg)"
        );
        assert_eq!(
            fix("The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows."),
            "The Mona Lisa doesn\u{2019}t have eyebrows."
        );
    }

    #[test]
    fn other_pages() {
        assert_eq!(fix("РґРѕСЂРѕРіРµ"), "дороге");
        assert_eq!(fix("wei√ü"), "weiß");
        assert_eq!(fix("─îe┼ítina"), "Čeština");
        assert_eq!(fix("Hi guys í\u{a0}½í¸\u{8d}"), "Hi guys 😍");
    }

    #[test]
    fn lost_bytes() {
        assert_eq!(fix("voilÃ le travail"), "voilà le travail");
        assert_eq!(fix("CÃ\u{a0}nan"), "Cànan");
        assert_eq!(fix("SlovenÄ\u{fffd}ina"), "Sloven\u{fffd}ina");
    }

    #[test]
    fn negatives_untouched() {
        for s in [
            "NESTLÉ® requiere",
            "a radius of 10 Å—",
            "4288×…",
            "There are a lot of Ã’s in mojibake text",
            "C O N C L U S Ã O",
            "OK??:(   `¬´    ):",
            "├┤a┼┐a┼┐a┼┐a┼┐a",
            "(-1/2)! = √π",
            "Η ¨ανατροφή¨ δυστυχώς",
            "café crème, naïve, Zürich",
        ] {
            assert_eq!(fix(s), s);
        }
    }

    #[test]
    fn c1_controls_become_1252() {
        assert_eq!(fix("parlé\u{85} Tu"), "parlé… Tu");
    }

    #[test]
    fn prefilter() {
        assert!(!may_contain_mojibake("plain ascii"));
        assert!(!may_contain_mojibake("It\u{2019}s café"));
        assert!(may_contain_mojibake("Ã©"));
        assert!(may_contain_mojibake("x\u{85}"));
    }
}
