//! Whether any of a set of regular expressions matches a line: the classifier's test before it
//! asks which one does, run on almost every line of the corpus.
//!
//! A `RegexSet` answers by scanning forward from the line's start. For a pattern that must end
//! where the line ends (`...$`) that scan can run over most of the line before it fails:
//! `^[^.!?]{0,120}/\s*(Getty Images|AFP)\s*$` reads up to 120 bytes of any line without a full
//! stop, and `\s+Page\s+\d{1,3}$`, anchored only at the end, reads all of it. Such a pattern
//! can only match a span that ends at the end of the line, so a reverse lazy DFA anchored there
//! answers the same question reading backwards, and most lines fail on their last byte or
//! two. The patterns without that anchor stay in a forward set. Before either search, one byte
//! of the line is looked up in a table made from the automaton's first step: a line whose last
//! byte no end-anchored pattern can end with skips the reverse search, and when every forward
//! pattern is anchored at the start, a line whose first byte none can start with skips the set.
//! Most lines of news text take neither search. The answer is the one
//! `RegexSet::is_match` gives, for any patterns and any line: when the lazy DFA cannot answer
//! (it quits on a non-ASCII byte next to a Unicode word boundary), the whole set is asked.
//!
//! This knows nothing of boilerplate: it takes patterns and lines.

use regex::RegexSet;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::Look;

/// A compiled pattern set that tells whether any pattern matches.
///
/// It holds the search state of the reverse DFA, so each thread uses its own copy (a clone
/// starts with a copy of the state; the compiled automata are shared).
#[derive(Debug, Clone)]
pub struct AnyMatch {
    /// Every pattern, asked when the reverse DFA cannot answer.
    all: RegexSet,
    /// The patterns not anchored at the end, when there are any.
    forward: Option<RegexSet>,
    /// When every pattern of `forward` is anchored at the start: which first bytes of a line
    /// leave a match possible.
    forward_first: Option<ByteSet>,
    /// The patterns anchored at the end, compiled in reverse, with this copy's search state.
    reverse: Option<(DFA, Cache)>,
    /// Which last bytes of a line leave a match of `reverse` possible.
    reverse_first: Option<ByteSet>,
}

/// A set of bytes, as a table.
type ByteSet = Box<[bool; 256]>;

impl AnyMatch {
    /// Compiles `patterns`; fails only when `RegexSet::new` does.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<AnyMatch, regex::Error> {
        let all = RegexSet::new(patterns)?;
        let (ends, others): (Vec<&str>, Vec<&str>) = patterns
            .iter()
            .map(AsRef::as_ref)
            .partition(|p| anchored_at_end(p));
        let reverse = if ends.is_empty() {
            None
        } else {
            reverse_dfa(&ends).map(|dfa| {
                let cache = dfa.create_cache();
                (dfa, cache)
            })
        };
        let reverse_first = reverse.as_ref().and_then(|(dfa, _)| first_bytes(dfa, true));
        let (forward, forward_first) = match &reverse {
            // The reverse DFA could not be built: the forward set keeps every pattern.
            None if !ends.is_empty() => (Some(all.clone()), None),
            _ if others.is_empty() => (None, None),
            _ => {
                // Only a pattern anchored at the start is decided by the first byte of the
                // line: another may match further on.
                let first = if others.iter().all(|p| anchored_at_start(p)) {
                    forward_dfa(&others).and_then(|dfa| first_bytes(&dfa, false))
                } else {
                    None
                };
                (Some(RegexSet::new(&others)?), first)
            }
        };
        Ok(AnyMatch {
            all,
            forward,
            forward_first,
            reverse,
            reverse_first,
        })
    }

    /// Whether any pattern matches somewhere in `line`: `RegexSet::is_match` of all of them.
    pub fn is_match(&mut self, line: &str) -> bool {
        let possible = |first: &Option<ByteSet>, byte: Option<&u8>| match (first, byte) {
            (Some(set), Some(&b)) => set[usize::from(b)],
            _ => true,
        };
        if let Some((dfa, cache)) = &mut self.reverse {
            // Every match of these patterns ends at the end of the line, so a search that
            // starts there and runs backwards, anchored, finds one if there is one.
            if possible(&self.reverse_first, line.as_bytes().last()) {
                let input = Input::new(line).anchored(Anchored::Yes).earliest(true);
                match dfa.try_search_rev(cache, &input) {
                    Ok(Some(_)) => return true,
                    Ok(None) => {}
                    Err(_) => return self.all.is_match(line),
                }
            }
        }
        self.forward.as_ref().is_some_and(|set| {
            possible(&self.forward_first, line.as_bytes().first()) && set.is_match(line)
        })
    }
}

/// Whether every match of `pattern` ends at the end of the haystack (`$` without multi-line
/// mode, or `\z`). A pattern that does not parse is not: the forward set then reports it.
fn anchored_at_end(pattern: &str) -> bool {
    regex_syntax::parse(pattern)
        .is_ok_and(|hir| hir.properties().look_set_suffix().contains(Look::End))
}

/// Whether every match of `pattern` starts at the start of the haystack (`^` without multi-line
/// mode, or `\A`). A pattern that does not parse is not.
fn anchored_at_start(pattern: &str) -> bool {
    regex_syntax::parse(pattern)
        .is_ok_and(|hir| hir.properties().look_set_prefix().contains(Look::Start))
}

/// For each byte, whether an anchored search of `dfa` (forward from the start of a line, or in
/// reverse from its end) can still match after reading that byte first: a byte whose first step
/// leads to the dead state rules every match out. `None` when the automaton gives up (a quit
/// byte is never ruled out, since the search then gives the question to the whole set).
fn first_bytes(dfa: &DFA, reverse: bool) -> Option<ByteSet> {
    let mut cache = dfa.create_cache();
    // An empty haystack has no byte before its start nor after its end: the start state of
    // every line, whose searches always span the whole line.
    let input = Input::new("").anchored(Anchored::Yes);
    let start = if reverse {
        dfa.start_state_reverse(&mut cache, &input)
    } else {
        dfa.start_state_forward(&mut cache, &input)
    }
    .ok()?;
    let mut set = Box::new([true; 256]);
    for (b, possible) in (0..=u8::MAX).zip(set.iter_mut()) {
        *possible = !dfa.next_state(&mut cache, start, b).ok()?.is_dead();
    }
    Some(set)
}

/// The forward lazy DFA of `patterns`, only to learn their first bytes.
fn forward_dfa(patterns: &[&str]) -> Option<DFA> {
    lazy_dfa(patterns, false)
}

/// The reverse lazy DFA of `patterns`, with the syntax defaults of `regex`; `None` when it
/// cannot be built (a size limit), and the forward set must do.
fn reverse_dfa(patterns: &[&str]) -> Option<DFA> {
    lazy_dfa(patterns, true)
}

/// A lazy DFA of `patterns`, forward or in reverse, with the syntax defaults of `regex`.
fn lazy_dfa(patterns: &[&str], reverse: bool) -> Option<DFA> {
    DFA::builder()
        .configure(
            DFA::config()
                // Any match will do, and in reverse the leftmost-first order means nothing.
                .match_kind(MatchKind::All)
                // The DFA quits (an error, so the whole set answers) where it cannot decide a
                // Unicode word boundary; without this it would not build at all.
                .unicode_word_boundary(true)
                .cache_capacity(2 * (1 << 20)),
        )
        .thompson(
            thompson::Config::new()
                .reverse(reverse)
                .nfa_size_limit(Some(10 * (1 << 20))),
        )
        .build_many(patterns)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patterns of every kind: anchored at the start, the end, both or neither; multi-line
    /// `$`; `\z`; case folding; Unicode classes and word boundaries; empty matches.
    const PATTERNS: &[&str] = &[
        r"^[^.!?]{0,120}/\s*(Getty Images|AFP|Reuters)\s*$",
        r"(?i)^(photograph|photo)s?( credit)?\s*:",
        r"(?i)^(page|p\.)\s*\d{1,3}$",
        r"\s+Page\s+\d{1,3}$",
        r"\s+\(?Continued on page \d{1,3}\)?$",
        r"\bcafé\b$",
        r"(?m)end$",
        r"x\z",
        r"(?i)\bphotograph\s*:",
        r"^$",
        r"(a$|b)",
        r"\w+é$",
    ];

    fn agree(patterns: &[&str], line: &str) {
        let set = RegexSet::new(patterns).unwrap();
        let mut any = AnyMatch::new(patterns).unwrap();
        assert_eq!(
            any.is_match(line),
            set.is_match(line),
            "{patterns:?} on {line:?}"
        );
    }

    #[test]
    fn only_end_anchored_patterns_go_in_reverse() {
        assert!(anchored_at_end(r"^a$"));
        assert!(anchored_at_end(r"a\z"));
        assert!(anchored_at_end(r"(a$|b$)"));
        assert!(!anchored_at_end(r"(a$|b)"));
        assert!(!anchored_at_end(r"(?m)a$"));
        assert!(!anchored_at_end(r"(a$)?"));
    }

    #[test]
    fn lines_are_ruled_out_by_one_byte() {
        let any = AnyMatch::new(&[r"(?i)^(photo|©)s?\s*:", r"\s+Page\s+\d{1,3}$"]).unwrap();
        let first = any
            .forward_first
            .as_ref()
            .expect("every forward pattern is anchored");
        let last = any
            .reverse_first
            .as_ref()
            .expect("the reverse DFA is built");
        assert!(first[usize::from(b'p')] && first[usize::from(b'P')] && first[0xc2]);
        assert!(!first[usize::from(b'x')] && !first[usize::from(b' ')]);
        assert!(last[usize::from(b'7')] && !last[usize::from(b'.')] && !last[usize::from(b'e')]);
        // A pattern that may match anywhere is not decided by the first byte.
        let any = AnyMatch::new(&[r"(?i)^photo:", r"\bphoto:"]).unwrap();
        assert!(any.forward_first.is_none());
    }

    #[test]
    fn answers_as_the_set_does() {
        let lines = [
            "",
            "Jane Doe / Anadolu Agency / Getty Images",
            "Jane Doe / Getty Images  ",
            "Photograph: EPA",
            "PAGE 12",
            "Ankara has been severely tested over Syria. Page 12",
            "He went on. (Continued on page 4)",
            "un café",
            "un cafés",
            "the end\nmore",
            "box",
            "a",
            "ab",
            "naïve é",
        ];
        for line in lines {
            agree(PATTERNS, line);
            for p in PATTERNS {
                agree(&[p], line);
            }
        }
        agree(&[] as &[&str], "anything");
    }

    proptest::proptest! {
        #[test]
        fn random_lines_get_the_answer_of_the_set(
            line in "(Photo: |PAGE 1|p. 7|©|x|)[ a-zA-Z0-9./:()!?é\u{a0}\n-]{0,80}( Page 12| Getty Images|é|x|)",
            pick in proptest::collection::vec(0..PATTERNS.len(), 1..4),
        ) {
            let patterns: Vec<&str> = pick.iter().map(|&i| PATTERNS[i]).collect();
            let set = RegexSet::new(&patterns).unwrap();
            let mut any = AnyMatch::new(&patterns).unwrap();
            proptest::prop_assert_eq!(any.is_match(&line), set.is_match(&line));
        }
    }
}
