//! Small, allocation-free questions about the text around a match: word boundaries, the line
//! a match sits on, sentence starts and neighbouring words.
//!
//! These run only at candidate matches the automata already found, never over the whole
//! text, so they favour clarity over raw speed. They know nothing of entities or gating
//! policy; `matcher` decides what the answers mean.

/// The char just before byte offset `i` (which must be a char boundary), if any.
pub(crate) fn prev_char(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// The char starting at byte offset `i` (which must be a char boundary), if any.
pub(crate) fn next_char(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// A letter, digit or combining mark in any script: what must not touch a match on either
/// side ("Daesh" followed by U+0301 is another word).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{20D0}'..='\u{20FF}')
}

/// Apostrophes that join a possessive or a transliterated glottal stop to a word.
pub(crate) fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{02BC}' | '\u{02BF}' | '\u{02BE}' | '`'
    )
}

/// Byte range of the line (without its `\n`) that contains offset `i`.
pub(crate) fn line_bounds(text: &str, i: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let i = i.min(bytes.len());
    let start = memchr::memrchr(b'\n', &bytes[..i]).map_or(0, |p| p + 1);
    let end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p);
    (start, end)
}

/// Whether a line is written in capitals throughout, as headlines and kickers are. A line
/// with no letter at all counts as capitals too: nothing in it proves ordinary prose.
pub(crate) fn is_caps_line(line: &str) -> bool {
    if line.bytes().any(|b| b.is_ascii_lowercase()) {
        return false;
    }
    line.is_ascii() || !line.chars().any(char::is_lowercase)
}

/// Whether the line holding offset `i` is an all-caps line.
pub(crate) fn in_caps_line(text: &str, i: usize) -> bool {
    let (s, e) = line_bounds(text, i);
    is_caps_line(&text[s..e])
}

/// Whether offset `i` starts a sentence: nothing but spaces, opening quotes or brackets
/// between it and the start of the text, a line break, or a sentence-final mark.
pub(crate) fn at_sentence_start(text: &str, i: usize) -> bool {
    let Some(before) = text.get(..i) else {
        return false;
    };
    for c in before.chars().rev() {
        match c {
            ' ' | '\t' | '"' | '\u{201C}' | '\u{2018}' | '\'' | '(' | '[' => continue,
            '\n' | '\r' | '.' | '!' | '?' => return true,
            _ => return false,
        }
    }
    true
}

/// The word right before offset `i` when exactly one space separates them.
pub(crate) fn prev_word(text: &str, i: usize) -> Option<&str> {
    let before = text.get(..i)?.strip_suffix(' ')?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map(|(p, _)| p)?;
    Some(&before[start..])
}

/// The word right after offset `i` when exactly one space separates them.
pub(crate) fn next_word(text: &str, i: usize) -> Option<&str> {
    let after = text.get(i..)?.strip_prefix(' ')?;
    word_at(after)
}

/// The leading run of word chars of `s`, if not empty.
pub(crate) fn word_at(s: &str) -> Option<&str> {
    let end = s
        .char_indices()
        .find(|&(_, c)| !is_word_char(c))
        .map_or(s.len(), |(p, _)| p);
    (end > 0).then(|| &s[..end])
}

/// Whether a word is written in capitals, two letters or more ("THIS", "NATO").
pub(crate) fn is_caps_word(w: &str) -> bool {
    w.len() >= 2
        && w.chars().all(|c| c.is_alphabetic() && !c.is_lowercase())
        && w.chars().any(char::is_uppercase)
}

/// The possessive suffix ("'s", "’s", or a bare apostrophe after s) starting at `i`, if any,
/// as its byte length.
pub(crate) fn possessive_len(text: &str, i: usize) -> usize {
    let Some(rest) = text.get(i..) else {
        return 0;
    };
    let mut chars = rest.chars();
    match chars.next() {
        Some(a) if is_apostrophe(a) => {
            let alen = a.len_utf8();
            match chars.next() {
                Some('s') if !chars.next().is_some_and(is_word_char) => alen + 1,
                _ => 0,
            }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_caps() {
        let t = "RUSSIA HITS IS\nIslamic State fighters";
        assert!(in_caps_line(t, 3));
        assert!(!in_caps_line(t, 20));
        assert_eq!(line_bounds(t, 0), (0, 14));
        assert_eq!(line_bounds(t, 15), (15, t.len()));
    }

    #[test]
    fn sentence_starts() {
        assert!(at_sentence_start("Al-Qaeda", 0));
        assert!(at_sentence_start("end. “Al-Qaeda", 8));
        assert!(!at_sentence_start("but Al-Qaeda", 4));
        assert!(at_sentence_start("x\nAl", 2));
    }

    #[test]
    fn neighbours() {
        let t = "hit IS fighters";
        assert_eq!(prev_word(t, 4), Some("hit"));
        assert_eq!(next_word(t, 6), Some("fighters"));
        assert_eq!(next_word("IS,", 2), None);
        assert_eq!(possessive_len("Nusra's men", 5), 2);
        assert_eq!(possessive_len("Qaeda’s men", 5), 4);
        assert_eq!(possessive_len("Nusra'sx", 5), 0);
        assert!(is_caps_word("THIS"));
        assert!(!is_caps_word("This"));
    }
}
