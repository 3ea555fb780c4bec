//! Fuzzy matching of unlisted transliterations onto the entities of the table.
//!
//! This is the only place where text that is not literally in the table can be rewritten, so
//! it is narrow by construction:
//!
//! - it is only tried where the scanning automaton found an Arabic article joined by a
//!   hyphen ("al-", "el-", "ash-", ...), the mark of an Arabic-derived name, so ordinary
//!   prose costs nothing;
//! - the candidate is a short run of capitalised words around that article (at most two
//!   before, one plus one after), and needs two or more non-article words;
//! - its skeleton (see `skeleton`) must line up word for word with the skeleton of a listed
//!   name of at least six key letters, with at least one word identical, a total edit
//!   distance within `max_edit_distance`, and no edit at all in words of under four key
//!   letters;
//! - a key shared by two entities, or a candidate equally close to two entities, is dropped.
//!
//! It knows nothing of documents or of the other gates; `matcher` calls it.

use super::context::{is_apostrophe, is_word_char};
use super::skeleton::{is_article_at, osa_distance, phrase_skeleton, word_skeleton};

/// Keys shorter than this (in skeleton letters, summed over words) are too unspecific to
/// attract unlisted spellings: "Jaysh al-Islam" is only `js slm`.
const MIN_KEY_LETTERS: usize = 6;

struct Key {
    tokens: Vec<String>,
    entity: u32,
}

/// The skeleton keys of every multi-word name in the table.
pub(crate) struct FuzzyIndex {
    keys: Vec<Key>,
    /// Every word skeleton of every key: a candidate needs one of them word for word, so a
    /// set look-up rules out most articles in the text before any distance is computed.
    tokens: std::collections::HashSet<String>,
    max_distance: u32,
}

impl FuzzyIndex {
    /// Builds the index from `(entity id, name)` pairs: canonicals and variants, not
    /// acronyms.
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = (u32, &'a str)>, max: u32) -> Self {
        let mut keys: Vec<Key> = Vec::new();
        for (entity, name) in names {
            let tokens = phrase_skeleton(name);
            let letters: usize = tokens.iter().map(String::len).sum();
            if tokens.len() < 2 || letters < MIN_KEY_LETTERS {
                continue;
            }
            if !keys
                .iter()
                .any(|k| k.entity == entity && k.tokens == tokens)
            {
                keys.push(Key { tokens, entity });
            }
        }
        // A key reached from two entities cannot tell them apart: drop it for both.
        let ambiguous: Vec<Vec<String>> = keys
            .iter()
            .filter(|k| {
                keys.iter()
                    .any(|o| o.tokens == k.tokens && o.entity != k.entity)
            })
            .map(|k| k.tokens.clone())
            .collect();
        keys.retain(|k| !ambiguous.contains(&k.tokens));
        let tokens = keys.iter().flat_map(|k| k.tokens.iter().cloned()).collect();
        FuzzyIndex {
            keys,
            tokens,
            max_distance: max,
        }
    }

    /// The entity whose key is uniquely closest to `tokens` within the limits, if any.
    pub(crate) fn lookup<S: AsRef<str>>(&self, tokens: &[S]) -> Option<u32> {
        let mut best: Option<(u32, u32)> = None; // (distance, entity)
        let mut tie = false;
        for key in self.keys.iter().filter(|k| k.tokens.len() == tokens.len()) {
            let Some(d) = self.distance(tokens, &key.tokens) else {
                continue;
            };
            match best {
                Some((bd, be)) if d == bd && be != key.entity => tie = true,
                Some((bd, _)) if d >= bd => {}
                _ => {
                    best = Some((d, key.entity));
                    tie = false;
                }
            }
        }
        if tie {
            return None;
        }
        best.map(|(_, e)| e)
    }

    fn distance<S: AsRef<str>>(&self, cand: &[S], key: &[String]) -> Option<u32> {
        let mut total = 0;
        let mut exact = false;
        for (c, k) in cand.iter().zip(key) {
            let c = c.as_ref();
            if c == k.as_str() {
                exact = true;
                continue;
            }
            let allowed = match k.len() {
                0..=3 => 0,
                4..=7 => 1,
                _ => 2,
            };
            if allowed == 0 || c.len().abs_diff(k.len()) > allowed as usize {
                return None;
            }
            let d = osa_distance(c, k);
            if d > allowed {
                return None;
            }
            total += d;
            if total > self.max_distance {
                return None;
            }
        }
        exact.then_some(total)
    }
}

/// The end of a capitalised word starting at `i` (letters with inner apostrophes, no
/// possessive), or `None` if no capitalised word starts there.
fn cap_word_end(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i..)?;
    let mut chars = rest.char_indices().peekable();
    let (_, first) = chars.next()?;
    if !first.is_uppercase() {
        return None;
    }
    let mut end = first.len_utf8();
    while let Some((p, c)) = chars.next() {
        if c.is_alphabetic() {
            end = p + c.len_utf8();
        } else if is_apostrophe(c) {
            // Keep "Nu'man" whole but leave a possessive "'s" outside the name.
            match chars.peek() {
                Some(&(_, n)) if n.is_alphabetic() => {
                    let tail = &rest[p + c.len_utf8()..];
                    let is_possessive =
                        tail.starts_with('s') && !tail[1..].starts_with(|x: char| is_word_char(x));
                    if is_possessive {
                        break;
                    }
                }
                _ => break,
            }
        } else if is_word_char(c) {
            // A digit glued to the word: not a name.
            return None;
        } else {
            break;
        }
    }
    Some(i + end)
}

/// The start of the capitalised word that ends right before a single space at `i`.
fn cap_word_before(text: &str, i: usize) -> Option<usize> {
    let before = text.get(..i)?.strip_suffix(' ')?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphabetic() || is_apostrophe(c))
        .last()
        .map(|(p, _)| p)?;
    let word = &before[start..];
    if !word.starts_with(char::is_uppercase) {
        return None;
    }
    // The word must not itself be glued to something on its left ("al-Jahbaat").
    if super::context::prev_char(text, start).is_some_and(|c| is_word_char(c) || c == '-') {
        return None;
    }
    Some(start)
}

/// Tries the candidates around the article that starts at `art_start` and whose hyphen ends
/// at `art_end`, longest first. `free` says whether a span is clear of other mentions.
/// Returns the span and entity of the first candidate the index accepts.
///
/// Each word is reduced to its skeleton once and the candidates are slices of those, so a
/// look that finds nothing costs a few short strings and a set look-up.
pub(crate) fn candidate(
    index: &FuzzyIndex,
    text: &str,
    art_start: usize,
    art_end: usize,
    free: impl Fn(usize, usize) -> bool,
) -> Option<(usize, usize, u32)> {
    let r1 = cap_word_end(text, art_end)?;
    let r2 = text
        .get(r1..)
        .filter(|rest| rest.starts_with(' '))
        .and_then(|_| cap_word_end(text, r1 + 1));
    let l1 = cap_word_before(text, art_start);
    let l2 = l1.and_then(|l| cap_word_before(text, l));
    // Word skeletons, left to right: l2, l1, r1, r2 (absent words and articles are None).
    let word = |a: usize, b: usize| -> Option<String> {
        let w = &text[a..b];
        if is_article_at(w, false) {
            return None;
        }
        let mut key = String::new();
        word_skeleton(w, &mut key);
        Some(key)
    };
    let k_r1 = word(art_end, r1);
    let k_l1 = l1.and_then(|l| word(l, art_start - 1));
    let any_known = [&k_r1, &k_l1]
        .into_iter()
        .flatten()
        .any(|k| index.tokens.contains(k.as_str()));
    if !any_known {
        return None;
    }
    let k_r2 = r2.and_then(|r| word(r1 + 1, r));
    let k_l2 = match (l2, l1) {
        (Some(a), Some(b)) => word(a, b - 1),
        _ => None,
    };
    let lefts = [
        (l2, [&k_l2, &k_l1]),
        (l1, [&None, &k_l1]),
        (Some(art_start), [&None, &None]),
    ];
    let rights = [(r2, [&k_r1, &k_r2]), (Some(r1), [&k_r1, &None])];
    let mut tokens: Vec<&str> = Vec::with_capacity(4);
    for (left, lkeys) in lefts {
        let Some(left) = left else { continue };
        for (right, rkeys) in rights {
            let Some(right) = right else { continue };
            if !free(left, right) {
                continue;
            }
            tokens.clear();
            tokens.extend(lkeys.iter().chain(&rkeys).filter_map(|k| k.as_deref()));
            if tokens.len() < 2 {
                continue;
            }
            if let Some(entity) = index.lookup(&tokens) {
                return Some((left, right, entity));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> FuzzyIndex {
        FuzzyIndex::new(
            [
                (0, "Nusra Front"),
                (0, "Jabhat al-Nusra"),
                (1, "Maarat al-Numan"),
                (2, "Jaysh al-Islam"),
                (3, "Abu Bakr al-Baghdadi"),
            ],
            1,
        )
    }

    fn find(text: &str) -> Option<&str> {
        let idx = index();
        let a = text.find("al-")?;
        candidate(&idx, text, a, a + 3, |_, _| true).map(|(s, e, _)| &text[s..e])
    }

    #[test]
    fn catches_unlisted_transliterations() {
        assert_eq!(
            find("as the Jahbaat al-Nusra said"),
            Some("Jahbaat al-Nusra")
        );
        assert_eq!(find("in Maaret al-Naaman town"), Some("Maaret al-Naaman"));
        assert_eq!(
            find("The Maraat al-Nu'man's market"),
            Some("Maraat al-Nu'man")
        );
        assert_eq!(find("a al-Nousra Front unit"), Some("al-Nousra Front"));
    }

    #[test]
    fn stays_away_from_short_keys_and_other_names() {
        // "js slm" is below the key length floor, so "Jaish al-Salam" is left alone.
        assert_eq!(find("Jaish al-Salam fighters"), None);
        // A different Baghdadi.
        assert_eq!(find("Abu Omar al-Baghdadi"), None);
        assert_eq!(find("Suqur al-Jabal rebels"), None);
        assert_eq!(find("al-Nusra"), None);
    }
}
