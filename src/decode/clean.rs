//! Character-level clean-up after decoding and repair: line breaks, control and zero-width
//! characters, NBSP, optional folding of quotes, dashes, ligatures and full-width forms, and
//! Unicode normalization.
//!
//! Not for: anything that needs to see several characters as evidence (mojibake, entities);
//! these passes look at one character at a time, so they must run after the repairs that do.

use super::{Normalization, Repairs};

/// Zero-width characters that carry no meaning in running news text. ZWJ and ZWNJ are kept:
/// they build emoji sequences and are required spelling in Persian and Indic scripts.
fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{200b}' | '\u{2060}' | '\u{feff}' | '\u{180e}' | '\u{fff9}'..='\u{fffb}'
    )
}

/// C0 and C1 controls and DEL, except tab and newline which are structure.
fn is_control(c: char) -> bool {
    (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c)
}

fn fold_ligature(c: char) -> Option<&'static str> {
    Some(match c {
        'ﬀ' => "ff",
        'ﬁ' => "fi",
        'ﬂ' => "fl",
        'ﬃ' => "ffi",
        'ﬄ' => "ffl",
        'ﬅ' | 'ﬆ' => "st",
        'Ĳ' => "IJ",
        'ĳ' => "ij",
        'ŉ' => "\u{2bc}n",
        'Ǆ' => "DŽ",
        'ǅ' => "Dž",
        'ǆ' => "dž",
        'Ǉ' => "LJ",
        'ǈ' => "Lj",
        'ǉ' => "lj",
        'Ǌ' => "NJ",
        'ǋ' => "Nj",
        'ǌ' => "nj",
        'Ǳ' => "DZ",
        'ǲ' => "Dz",
        'ǳ' => "dz",
        _ => return None,
    })
}

/// Which per-character passes are on; copied out of `DecodeOptions` so this module does not
/// depend on the options type's other fields.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CharPasses {
    pub remove_controls: bool,
    pub nbsp_to_space: bool,
    pub fold_quotes: bool,
    pub fold_dashes: bool,
    pub fold_ligatures: bool,
    pub fold_width: bool,
}

impl CharPasses {
    /// Could this character be changed by any enabled pass? Used to skip lines cheaply.
    #[inline]
    fn touches(&self, c: char) -> bool {
        if c.is_ascii() {
            return self.remove_controls && is_control(c);
        }
        (self.remove_controls && (is_control(c) || is_zero_width(c)))
            || (self.nbsp_to_space && matches!(c, '\u{a0}' | '\u{202f}'))
            || (self.fold_quotes && matches!(c, '\u{2018}'..='\u{201f}' | '\u{2bc}'))
            || (self.fold_dashes && matches!(c, '\u{2012}'..='\u{2015}'))
            || (self.fold_ligatures && fold_ligature(c).is_some())
            || (self.fold_width && matches!(c, '\u{ff01}'..='\u{ff5e}' | '\u{3000}'))
    }

    /// Would any enabled pass change a character of `text`? The same test [`CharPasses::apply`]
    /// starts with, for callers that only need the answer.
    pub(crate) fn touches_any(&self, text: &str) -> bool {
        text.chars().any(|c| self.touches(c))
    }

    /// Apply the passes to `text`, appending to `out`. Returns false (and writes nothing) when
    /// no character needed a change, so callers can keep the borrowed input.
    pub(crate) fn apply(&self, text: &str, out: &mut String, repairs: &mut Repairs) -> bool {
        let Some(first) = text.char_indices().find(|&(_, c)| self.touches(c)) else {
            return false;
        };
        out.push_str(&text[..first.0]);
        for c in text[first.0..].chars() {
            if !self.touches(c) {
                out.push(c);
                continue;
            }
            if self.fold_ligatures {
                if let Some(s) = fold_ligature(c) {
                    bump(repairs, "ligature");
                    // The expansion of ŉ starts with an apostrophe that quote folding may want.
                    for d in s.chars() {
                        if self.fold_quotes && d == '\u{2bc}' {
                            out.push('\'');
                        } else {
                            out.push(d);
                        }
                    }
                    continue;
                }
            }
            match c {
                _ if is_control(c) => bump(repairs, "control_char"),
                _ if is_zero_width(c) => bump(repairs, "zero_width"),
                '\u{a0}' | '\u{202f}' => {
                    bump(repairs, "nbsp");
                    out.push(' ');
                }
                '\u{2018}'..='\u{201b}' | '\u{2bc}' => {
                    bump(repairs, "quote");
                    out.push('\'');
                }
                '\u{201c}'..='\u{201f}' => {
                    bump(repairs, "quote");
                    out.push('"');
                }
                '\u{2012}'..='\u{2015}' => {
                    bump(repairs, "dash");
                    out.push('-');
                }
                '\u{3000}' => {
                    bump(repairs, "width");
                    out.push(' ');
                }
                '\u{ff01}'..='\u{ff5e}' => {
                    bump(repairs, "width");
                    out.push(char::from_u32(c as u32 - 0xfee0).unwrap_or(c));
                }
                _ => out.push(c),
            }
        }
        true
    }
}

/// Normalize line breaks: "\r\n" and lone "\r" become "\n". Returns false when there is no
/// '\r' at all (the common case), leaving `out` untouched.
pub(crate) fn normalize_line_breaks(text: &str, out: &mut String, repairs: &mut Repairs) -> bool {
    let b = text.as_bytes();
    let Some(first) = memchr::memchr(b'\r', b) else {
        return false;
    };
    out.reserve(text.len());
    let mut last = 0;
    let mut i = first;
    let mut n = 0;
    loop {
        out.push_str(&text[last..i]);
        out.push('\n');
        n += 1;
        last = if b.get(i + 1) == Some(&b'\n') {
            i + 2
        } else {
            i + 1
        };
        match memchr::memchr(b'\r', &b[last..]) {
            Some(off) => i = last + off,
            None => break,
        }
    }
    out.push_str(&text[last..]);
    *repairs.entry("line_break").or_insert(0) += n;
    true
}

/// Unicode normalization with icu_normalizer. ASCII is always normalized, and `is_normalized`
/// is a fast scan, so text that needs nothing costs no allocation.
pub(crate) fn normalize(text: String, form: Normalization, repairs: &mut Repairs) -> String {
    if text.is_ascii() {
        return text;
    }
    let out = match form {
        Normalization::None => return text,
        Normalization::Nfc => {
            let n = icu_normalizer::ComposingNormalizerBorrowed::new_nfc();
            if n.is_normalized(&text) {
                return text;
            }
            n.normalize(&text).into_owned()
        }
        Normalization::Nfkc => {
            let n = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc();
            if n.is_normalized(&text) {
                return text;
            }
            n.normalize(&text).into_owned()
        }
    };
    if out != text {
        bump(repairs, "normalization");
    }
    out
}

#[inline]
pub(crate) fn bump(repairs: &mut Repairs, kind: &'static str) {
    *repairs.entry(kind).or_insert(0) += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> CharPasses {
        CharPasses {
            remove_controls: true,
            nbsp_to_space: true,
            fold_quotes: true,
            fold_dashes: true,
            fold_ligatures: true,
            fold_width: true,
        }
    }

    #[test]
    fn passes() {
        let mut r = Repairs::new();
        let mut out = String::new();
        assert!(all().apply(
            "a\u{200b}b\u{1}\u{85}\u{a0}“q” – ﬁ ＡＢ\u{200d}",
            &mut out,
            &mut r
        ));
        assert_eq!(out, "ab \"q\" - fi AB\u{200d}");
        assert_eq!(r["quote"], 2);
        assert!(!all().apply("clean\ttext\n", &mut out, &mut r));
    }

    #[test]
    fn line_breaks() {
        let mut r = Repairs::new();
        let mut out = String::new();
        assert!(normalize_line_breaks("a\r\nb\rc\r", &mut out, &mut r));
        assert_eq!(out, "a\nb\nc\n");
        assert_eq!(r["line_break"], 3);
    }

    #[test]
    fn nfc_and_nfkc() {
        let mut r = Repairs::new();
        assert_eq!(
            normalize("e\u{301}".into(), Normalization::Nfc, &mut r),
            "é"
        );
        assert_eq!(normalize("ﬁ²".into(), Normalization::Nfkc, &mut r), "fi2");
        assert_eq!(normalize("ﬁ".into(), Normalization::None, &mut r), "ﬁ");
    }
}
