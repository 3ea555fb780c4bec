//! The matcher: two Aho-Corasick scans, the acronym gate, definitions, and the rewrite.
//!
//! Full names and variants are found by one ASCII-case-insensitive, leftmost-longest
//! automaton, run anchored only where a name could start and be accepted (a word start whose
//! first two bytes begin some name, see `NameStarts`); acronyms by a second, case-sensitive
//! one, and, with fuzzy matching on, the hyphenated Arabic articles that trigger it by
//! `memchr`. Scanning is all the automata do; every other check runs only at the few places
//! they stop, so the cost on ordinary prose is one vectorized pass for the name starts, one
//! prefiltered DFA pass for the acronyms, and nothing allocated.
//!
//! A name match must stand on word boundaries and keep the capitals of the listed form
//! (so "an Islamic state" and "hama" are not the entities). An acronym must also pass the
//! gate in [`AliasMatcher::gate`]: never in an all-caps line, beside another all-caps word,
//! glued to digits, or inside a URL, address or code, and then only with evidence — a cue
//! word ("IS fighters", "IS-held"), a definition ("Islamic State (IS)"), or the entity named
//! by a full name, definition or cued acronym anywhere in the same document. The document,
//! not only the text before the acronym, is the scope on purpose: summaries and captions
//! often use the acronym before the body defines it.
//!
//! What is not here: reading documents, configuration, or deciding between `replace` and
//! `annotate` — the caller does that with [`AliasMatcher::find`] and
//! [`AliasMatcher::replace`].

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};

use super::context::{
    at_sentence_start, in_caps_line, is_caps_line, is_caps_word, is_word_char, line_bounds,
    next_char, next_word, possessive_len, prev_char, prev_word, word_at,
};
use super::fuzzy::{self, FuzzyIndex};
use super::skeleton::is_article_at;
use super::{AliasError, AliasOptions, Entity, Mention, MentionKind, TableProblem};

/// Acronyms that are also English words, and so need more than document context.
const ENGLISH_WORDS: &[&str] = &[
    "is", "as", "it", "us", "at", "an", "on", "in", "or", "so", "no", "do", "go", "he", "me", "we",
    "be", "by", "of", "to", "up", "am", "my", "ok", "all", "and", "are", "was", "can", "may",
    "who", "its", "man", "war", "aid",
];

/// Words after an English-word acronym that show it is the verb: "IS it true", "IS not".
const VERB_FOLLOWERS: &[&str] = &[
    "it", "this", "that", "there", "these", "those", "he", "she", "they", "we", "you", "i", "the",
    "a", "an", "not", "no", "now", "very", "so", "too", "also", "still", "just", "being", "to",
    "what", "why", "how", "where", "when", "one", "our", "your", "his", "her", "their", "my",
    "only", "really", "true", "clear",
];

/// Words before an English-word acronym that show it is the verb: "it IS", "what IS".
const VERB_LEADERS: &[&str] = &[
    "it",
    "this",
    "that",
    "there",
    "what",
    "who",
    "which",
    "where",
    "how",
    "why",
    "here",
    "he",
    "she",
    "everything",
    "nothing",
    "something",
    "anything",
    "life",
];

/// Prefixes that may be hyphenated to an acronym.
const ACRONYM_PREFIXES: &[&str] = &["anti", "pro", "non", "ex", "post", "pre"];

/// Words before a mixed-case acronym ("Isis") that show another meaning.
const OTHER_MEANING_LEADERS: &[&str] = &[
    "goddess",
    "temple",
    "cult",
    "river",
    "egyptian",
    "lady",
    "queen",
    "mother",
    "priestess",
    "named",
    "called",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HitKind {
    Name,
    Acronym,
    Fuzzy,
    Definition,
}

#[derive(Clone, Copy, Debug)]
struct Hit {
    start: usize,
    end: usize,
    entity: u32,
    kind: HitKind,
}

struct AcronymPat {
    entity: u32,
    /// Lower-cased, it is an English word: "IS".
    english: bool,
    /// Written with lower-case letters, like a name: "Isis".
    mixed_case: bool,
}

/// The name mentions around an acronym, as the gate needs them.
struct Near {
    /// The name or fuzzy mention that ends last before the acronym.
    prev_name: Option<Hit>,
    /// Whether a name mention starts right after the acronym and one space.
    next_is_name: bool,
}

enum Gate {
    Reject,
    Definition,
    Cue,
    NeedsContext,
}

/// Finds and rewrites the mentions of a table's entities. Build once, use on any number of
/// documents from any number of threads.
pub struct AliasMatcher {
    canonicals: Vec<String>,
    names: AhoCorasick,
    /// Where a name could start and be accepted; `None` when a name is too short for it.
    name_starts: Option<NameStarts>,
    /// Entity of each name pattern, and the pattern as listed (for the capitals guard).
    name_pats: Vec<(u32, String)>,
    short: Option<AhoCorasick>,
    short_pats: Vec<AcronymPat>,
    acronym_set: std::collections::HashSet<String>,
    cue_words: Vec<String>,
    cue_suffixes: Vec<String>,
    fuzzy: Option<FuzzyIndex>,
}

impl std::fmt::Debug for AliasMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliasMatcher")
            .field("entities", &self.canonicals.len())
            .field("names", &self.name_pats.len())
            .field("short_forms", &self.short_pats.len())
            .field("fuzzy", &self.fuzzy.is_some())
            .finish()
    }
}

impl AliasMatcher {
    /// Validates the table and builds the automata. Every problem of the table is reported
    /// at once in [`AliasError::InvalidTable`].
    pub fn new(entities: &[Entity], opts: &AliasOptions) -> Result<AliasMatcher, AliasError> {
        let mut problems = Vec::new();
        let mut canonicals = Vec::with_capacity(entities.len());
        // Lower-cased name -> entity, and exact acronym -> entity, to find conflicts.
        let mut seen_names: std::collections::HashMap<String, u32> = Default::default();
        let mut seen_acronyms: std::collections::HashMap<&str, u32> = Default::default();
        let mut name_pats: Vec<(u32, String)> = Vec::new();
        let mut short_pats = Vec::new();
        let mut short_strs: Vec<String> = Vec::new();

        for (index, ent) in entities.iter().enumerate() {
            let id = index as u32;
            let canonical = ent.canonical.trim();
            if canonical.is_empty() {
                problems.push(TableProblem::EmptyCanonical { index });
            }
            canonicals.push(canonical.to_owned());
            for name in std::iter::once(&ent.canonical).chain(&ent.variants) {
                let name = name.trim();
                if name.is_empty() {
                    if !canonical.is_empty() {
                        problems.push(TableProblem::EmptyForm {
                            canonical: canonical.to_owned(),
                        });
                    }
                    continue;
                }
                let key = name.to_ascii_lowercase();
                match seen_names.get(&key) {
                    Some(&other) if other == id => {}
                    Some(&other) => problems.push(TableProblem::Conflict {
                        form: name.to_owned(),
                        first: entities[other as usize].canonical.clone(),
                        second: canonical.to_owned(),
                    }),
                    None => {
                        seen_names.insert(key, id);
                        name_pats.push((id, name.to_owned()));
                    }
                }
            }
            for acr in &ent.acronyms {
                let acr = acr.trim();
                if acr.is_empty() {
                    problems.push(TableProblem::EmptyForm {
                        canonical: canonical.to_owned(),
                    });
                    continue;
                }
                if acr.chars().count() < 2 {
                    problems.push(TableProblem::ShortAcronym {
                        canonical: canonical.to_owned(),
                        acronym: acr.to_owned(),
                    });
                    continue;
                }
                let clash = seen_acronyms.get(acr).copied().or_else(|| {
                    seen_names
                        .get(&acr.to_ascii_lowercase())
                        .copied()
                        .filter(|&o| o != id)
                });
                match clash {
                    Some(other) if other == id => {}
                    Some(other) => problems.push(TableProblem::Conflict {
                        form: acr.to_owned(),
                        first: entities[other as usize].canonical.clone(),
                        second: canonical.to_owned(),
                    }),
                    None => {
                        seen_acronyms.insert(acr, id);
                        short_pats.push(AcronymPat {
                            entity: id,
                            english: ENGLISH_WORDS.contains(&acr.to_ascii_lowercase().as_str()),
                            mixed_case: acr.chars().any(char::is_lowercase),
                        });
                        short_strs.push(acr.to_owned());
                    }
                }
            }
        }
        // A name listed under two entities with different case ("al-Qaeda" vs "AL-QAEDA")
        // is caught above; an acronym equal to another entity's name is caught too.
        if !problems.is_empty() {
            return Err(AliasError::InvalidTable(problems));
        }

        let fuzzy = opts.fuzzy.then(|| {
            FuzzyIndex::new(
                name_pats.iter().map(|(e, n)| (*e, n.as_str())),
                opts.max_edit_distance,
            )
        });
        let names = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            // Case-insensitive names start with almost every letter, so no prefilter can skip
            // text; measured, the plain DFA was as fast or faster. `NameStarts` skips instead,
            // and runs the automaton anchored at the places it leaves.
            .prefilter(false)
            .start_kind(StartKind::Both)
            .build(name_pats.iter().map(|(_, n)| n))?;
        let name_starts = NameStarts::new(name_pats.iter().map(|(_, n)| n.as_bytes()));
        let short = if short_strs.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&short_strs)?,
            )
        };
        let (cue_suffixes, cue_words) = opts
            .acronym_cues
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty() && c != "-")
            .partition(|c| c.starts_with('-'));
        Ok(AliasMatcher {
            acronym_set: short_strs.iter().cloned().collect(),
            canonicals,
            names,
            name_starts,
            name_pats,
            short,
            short_pats,
            cue_words,
            cue_suffixes,
            fuzzy,
        })
    }

    /// The same matcher without the `NameStarts` skip: the reference the skip must agree with.
    #[cfg(test)]
    pub(crate) fn without_name_starts(mut self) -> AliasMatcher {
        self.name_starts = None;
        self
    }

    /// Finds every mention in `text` (a whole document: paragraphs separated by a blank line,
    /// lines by `\n`), sorted by offset and never overlapping. Mentions of the canonical form
    /// itself are included with kind [`MentionKind::Canonical`], so the result also serves
    /// the `annotate` mode.
    pub fn find(&self, text: &str) -> Vec<Mention> {
        let mut names = self.scan_names(text);
        if let Some(index) = &self.fuzzy {
            let (fuzzies, superseded) = scan_fuzzy(index, text, &names);
            if !fuzzies.is_empty() {
                // `superseded` is ascending (hyphens are visited in order), so one merge-like
                // pass drops them.
                let (mut i, mut next) = (0, superseded.iter().peekable());
                names.retain(|_| {
                    i += 1;
                    let drop = next.peek() == Some(&&(i - 1));
                    if drop {
                        next.next();
                    }
                    !drop
                });
                names.extend(fuzzies);
                names.sort_by_key(|h| (h.start, h.end));
            }
        }
        let mut named = vec![false; self.canonicals.len()];
        for h in &names {
            named[h.entity as usize] = true;
        }
        let mut acronyms: Vec<Hit> = Vec::new();
        let mut pending: Vec<Hit> = Vec::new();
        if let Some(short) = &self.short {
            self.scan_acronyms(short, text, &names, &mut named, &mut acronyms, &mut pending);
        }
        acronyms.extend(pending.into_iter().filter(|h| named[h.entity as usize]));
        if names.is_empty() && acronyms.is_empty() {
            return Vec::new();
        }
        let mut hits = names;
        hits.extend(acronyms);
        hits.sort_by_key(|h| (h.start, h.end));
        let hits = merge_definitions(text, hits);
        hits.into_iter().map(|h| self.mention(text, h)).collect()
    }

    /// Rewrites `text` with `mentions` (normally the result of [`AliasMatcher::find`] on the
    /// same text). Each mention's span becomes its canonical form, capitalised at a sentence
    /// start when the original was and upper-cased in an all-caps line; a definition
    /// "Islamic State (IS)" collapses to "Islamic State". Mentions of kind Canonical, and any
    /// that do not fit the text (out of range, not on char boundaries, overlapping an earlier
    /// one, or whose `from` differs from the text) are left alone, so this never panics.
    pub fn replace(&self, text: &str, mentions: &[Mention]) -> String {
        let mut order: Vec<&Mention> = mentions.iter().collect();
        order.sort_by_key(|m| (m.start, m.end));
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut last = 0;
        for m in order {
            if m.kind == MentionKind::Canonical || m.start < last {
                continue;
            }
            let Some(found) = text.get(m.start..m.end) else {
                continue;
            };
            if found != m.from {
                continue;
            }
            out.push_str(&text[last..m.start]);
            out.push_str(&render(text, m.start, found, &m.to));
            last = m.end;
        }
        out.push_str(&text[last..]);
        out
    }

    fn mention(&self, text: &str, h: Hit) -> Mention {
        let from = &text[h.start..h.end];
        let to = &self.canonicals[h.entity as usize];
        let kind = match h.kind {
            HitKind::Definition => MentionKind::Definition,
            _ if from == to || render(text, h.start, from, to) == from => MentionKind::Canonical,
            HitKind::Name => MentionKind::Variant,
            HitKind::Acronym => MentionKind::Acronym,
            HitKind::Fuzzy => MentionKind::Fuzzy,
        };
        Mention {
            start: h.start,
            end: h.end,
            from: from.to_owned(),
            to: to.clone(),
            kind,
        }
    }

    fn scan_names(&self, text: &str) -> Vec<Hit> {
        let mut hits = Vec::new();
        let mut pos = 0;
        while pos < text.len() {
            // With `name_starts`, only the places it leaves are searched, anchored: the longest
            // name starting there is what the unanchored leftmost-longest search would return
            // when it got there, and every place skipped would have been rejected below.
            let found = match &self.name_starts {
                Some(starts) => match starts.next(text.as_bytes(), pos) {
                    Some(at) => self
                        .names
                        .find(
                            Input::new(text)
                                .span(at..text.len())
                                .anchored(Anchored::Yes),
                        )
                        .ok_or(at),
                    None => break,
                },
                None => match self.names.find(Input::new(text).span(pos..text.len())) {
                    Some(m) => Ok(m),
                    None => break,
                },
            };
            let m = match found {
                Ok(m) => m,
                // Nothing starts at `at`.
                Err(at) => {
                    pos = at + 1;
                    continue;
                }
            };
            let (entity, pat) = &self.name_pats[m.pattern().as_usize()];
            let (s, e) = (m.start(), m.end());
            // Only the longest form at a position is tried: falling back to a shorter one
            // ("Nusra" inside "Nusra Fronts") would rewrite half a name.
            if name_boundaries_ok(text, s, e)
                && capitals_ok(&text.as_bytes()[s..e], pat.as_bytes())
                && !token_looks_like_code(text.as_bytes(), s, e)
            {
                hits.push(Hit {
                    start: s,
                    end: e,
                    entity: *entity,
                    kind: HitKind::Name,
                });
                pos = e;
            } else {
                pos = s + 1;
            }
        }
        hits
    }

    /// Runs the case-sensitive acronym automaton and gates each hit. `names` holds the
    /// name and fuzzy hits, sorted; acronyms inside them are dropped, and the one right
    /// before an acronym is what a definition "(IS)" refers to.
    fn scan_acronyms(
        &self,
        short: &AhoCorasick,
        text: &str,
        names: &[Hit],
        named: &mut [bool],
        accepted: &mut Vec<Hit>,
        pending: &mut Vec<Hit>,
    ) {
        let mut next_name = 0; // first name hit that ends after the current position
        let mut caps_cache: Option<(usize, usize, bool)> = None;
        let mut pos = 0;
        while pos < text.len() {
            let Some(m) = short.find(Input::new(text).span(pos..text.len())) else {
                break;
            };
            let (s, e) = (m.start(), m.end());
            pos = s + 1;
            while next_name < names.len() && names[next_name].end <= s {
                next_name += 1;
            }
            if next_name < names.len() && names[next_name].start < e {
                continue; // Inside a name: the name wins.
            }
            let acr = &self.short_pats[m.pattern().as_usize()];
            let prev_name = next_name.checked_sub(1).map(|i| names[i]);
            let hit = Hit {
                start: s,
                end: e,
                entity: acr.entity,
                kind: HitKind::Acronym,
            };
            // A mention of the table right after it, a name or another acronym ("Isil
            // ISIS-held"), keeps the given-name veto below from firing: after a rewrite the
            // acronym would be followed by a name, and the decision must not change then.
            let next_is_name = names.get(next_name).is_some_and(|n| n.start == e + 1)
                || (text.as_bytes().get(e) == Some(&b' ')
                    && short
                        .find(Input::new(text).span(e + 1..text.len()))
                        .is_some_and(|n| n.start() == e + 1));
            let near = Near {
                prev_name,
                next_is_name,
            };
            match self.gate(text, s, e, acr, near, &mut caps_cache) {
                Gate::Reject => {}
                Gate::Definition | Gate::Cue => {
                    named[acr.entity as usize] = true;
                    accepted.push(hit);
                    pos = e;
                }
                Gate::NeedsContext => {
                    pending.push(hit);
                    pos = e;
                }
            }
        }
    }

    /// Decides whether an acronym found at `s..e` may be the entity. The order matters: the
    /// hard vetoes (boundaries, codes, URLs) come first, then the definition (which is
    /// unambiguous even in a headline), then the style vetoes, then the evidence.
    fn gate(
        &self,
        text: &str,
        s: usize,
        e: usize,
        acr: &AcronymPat,
        near: Near,
        caps_cache: &mut Option<(usize, usize, bool)>,
    ) -> Gate {
        let Near {
            prev_name,
            next_is_name,
        } = near;
        let bytes = text.as_bytes();
        // Left: no letter or digit, no URL or code punctuation; a hyphen only after a word
        // ("anti-ISIL").
        let mut anti = false;
        match prev_char(text, s) {
            Some(c) if is_word_char(c) || "/\\@._#=&%~+:$".contains(c) => return Gate::Reject,
            Some('-') => match prev_word_glued(text, s - 1) {
                // Only a prefix ("anti-ISIL", "pro-IS"): after any other word the hyphen
                // makes a compound whose meaning the gate cannot judge.
                Some(w) if ACRONYM_PREFIXES.iter().any(|p| p.eq_ignore_ascii_case(w)) => {
                    anti = w.eq_ignore_ascii_case("anti");
                }
                _ => return Gate::Reject,
            },
            _ => {}
        }
        // Right: no letter or digit, nothing like "IS-95", "IS-LM", "ISIS.gov" or "IS/".
        let mut suffix_cue = false;
        match next_char(text, e) {
            Some(c) if is_word_char(c) || "/\\@_=#%&+~$".contains(c) => return Gate::Reject,
            Some('.') if next_char(text, e + 1).is_some_and(is_word_char) => return Gate::Reject,
            // Hyphenated on the right only with a cue ("IS-held"); any other compound
            // ("IS-LM", "ISIS-Nusra") is left alone.
            Some('-') => match word_at(&text[e + 1..]) {
                Some(w) if self.cue_suffixes.iter().any(|c| c[1..] == *w) => suffix_cue = true,
                _ => return Gate::Reject,
            },
            _ => {}
        }
        if token_looks_like_code(bytes, s, e) {
            return Gate::Reject;
        }
        // A definition: "Islamic State (IS)" right after a mention of the same entity.
        if prev_char(text, s) == Some('(') && next_char(text, e) == Some(')') {
            if let Some(h) = prev_name {
                let gap = &text[h.end..s];
                if h.entity == acr.entity && (gap == "(" || gap == " (") {
                    return Gate::Definition;
                }
            }
        }
        let (ls, le) = line_bounds(text, s);
        let caps = match *caps_cache {
            Some((cs, ce, caps)) if cs == ls && ce == le => caps,
            _ => {
                let caps = is_caps_line(&text[ls..le]);
                *caps_cache = Some((ls, le, caps));
                caps
            }
        };
        if caps {
            return Gate::Reject;
        }
        let before = prev_word(text, s);
        let after = next_word(text, e);
        // "THIS IS SPARTA" inside a mixed-case line. A neighbour that is itself one of the
        // table's acronyms does not count: it may be rewritten, and the verdict on this one
        // must not change when it is (replace is idempotent).
        let shouting =
            |w: Option<&str>| w.is_some_and(|w| is_caps_word(w) && !self.acronym_set.contains(w));
        if shouting(before) || shouting(after) {
            return Gate::Reject;
        }
        let lower_in = |w: Option<&str>, list: &[&str]| {
            w.is_some_and(|w| list.iter().any(|l| l.eq_ignore_ascii_case(w)))
        };
        if acr.english {
            if lower_in(after, VERB_FOLLOWERS) || lower_in(before, VERB_LEADERS) {
                return Gate::Reject;
            }
            if at_sentence_start(text, s) && sentence_is_question(bytes, e) {
                return Gate::Reject;
            }
        }
        let cue_word = {
            let after_possessive = next_word(text, e + possessive_len(text, e));
            after_possessive
                .is_some_and(|w| self.cue_words.iter().any(|c| c.eq_ignore_ascii_case(w)))
        };
        if acr.mixed_case {
            if lower_in(before, OTHER_MEANING_LEADERS) {
                return Gate::Reject;
            }
            // "Isis Jones": a capitalised word after it makes it a given name. A mention of
            // the table there does not count: its capitals may change when it is rewritten.
            if !next_is_name && after.is_some_and(|w| w.starts_with(char::is_uppercase)) {
                return Gate::Reject;
            }
        }
        if suffix_cue || cue_word || anti {
            Gate::Cue
        } else {
            Gate::NeedsContext
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Looks for unlisted transliterations around every hyphenated Arabic article ("al-",
/// "ash-", ...). Hyphens are rare in prose, so `memchr` finds the few places worth a look
/// and ordinary text costs one SIMD pass. Returns the fuzzy hits and the indices of name
/// hits they swallow: a listed tail "al-Nusra" inside an unlisted "Jahbaat al-Nusra".
fn scan_fuzzy(index: &FuzzyIndex, text: &str, names: &[Hit]) -> (Vec<Hit>, Vec<usize>) {
    let bytes = text.as_bytes();
    let mut hits: Vec<Hit> = Vec::new();
    let mut superseded = Vec::new();
    for hy in memchr::memchr_iter(b'-', bytes) {
        if hits.last().is_some_and(|h| hy < h.end) {
            continue;
        }
        // An article of two or three ASCII letters right before the hyphen, standing alone,
        // and a capital right after it.
        if !bytes.get(hy + 1).is_some_and(u8::is_ascii_uppercase) {
            continue;
        }
        let letters = bytes[..hy]
            .iter()
            .rev()
            .take(4)
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if !(2..=3).contains(&letters) {
            continue;
        }
        let s = hy - letters;
        let glued = prev_char(text, s).is_some_and(|c| is_word_char(c) || c == '-');
        if glued || !is_article_at(&text[s..hy], true) {
            continue;
        }
        let e = hy + 1;
        // Name hits that could touch a candidate: those ending after the furthest left a
        // candidate can reach. Only a name starting at the article may be swallowed.
        let first = names.partition_point(|n| n.end + 64 <= s);
        let inside = names[first..]
            .iter()
            .take_while(|n| n.start < e)
            .position(|n| s < n.end)
            .map(|p| first + p);
        if inside.is_some_and(|i| names[i].start != s) {
            continue;
        }
        let prev_end = hits.last().map_or(0, |h| h.end);
        let free = |a: usize, b: usize| {
            if a < prev_end {
                return false;
            }
            let from = names.partition_point(|n| n.end <= a);
            names[from..]
                .iter()
                .enumerate()
                .take_while(|(_, n)| n.start < b)
                .all(|(j, n)| match inside {
                    Some(i) if from + j == i => a < n.start && b >= n.end,
                    _ => false,
                })
        };
        if let Some((a, b, entity)) = fuzzy::candidate(index, text, s, e, free) {
            superseded.extend(inside);
            hits.push(Hit {
                start: a,
                end: b,
                entity,
                kind: HitKind::Fuzzy,
            });
        }
    }
    (hits, superseded)
}

/// The form a canonical takes at `start` in `text`: upper-cased in an all-caps line,
/// capitalised at a sentence start if the original was, as listed otherwise.
fn render<'a>(text: &str, start: usize, original: &str, canonical: &'a str) -> Cow<'a, str> {
    if !canonical.chars().any(char::is_lowercase) {
        return Cow::Borrowed(canonical);
    }
    if original.chars().any(char::is_alphabetic) && in_caps_line(text, start) {
        return Cow::Owned(canonical.to_uppercase());
    }
    let orig_upper = original.starts_with(char::is_uppercase);
    if orig_upper && canonical.starts_with(char::is_lowercase) && at_sentence_start(text, start) {
        return Cow::Owned(capitalise(canonical));
    }
    Cow::Borrowed(canonical)
}

/// Letters, digits or URL punctuation glued to either side make a name something else
/// ("Hamas", "example.com/Aleppo"). A hyphen or an apostrophe does not ("Aleppo-based",
/// "Nusra's").
fn name_boundaries_ok(text: &str, s: usize, e: usize) -> bool {
    match prev_char(text, s) {
        Some(c) if is_word_char(c) || "/\\@_#=&%~+$".contains(c) => return false,
        Some('.') if prev_char(text, s - 1).is_some_and(is_word_char) => return false,
        // "al-Nusra" after an article ("al-al-Nusra") is a fragment of something else, and
        // rewriting it would glue the article to the canonical form.
        Some('-') if prev_word_glued(text, s - 1).is_some_and(|w| is_article_at(w, true)) => {
            return false
        }
        _ => {}
    }
    match next_char(text, e) {
        Some(c) if is_word_char(c) || "/\\@_#=&%~+$".contains(c) => false,
        Some('.') => !next_char(text, e + 1).is_some_and(is_word_char),
        _ => true,
    }
}

/// The places where a name match could pass [`name_boundaries_ok`] and [`capitals_ok`], by
/// their first two bytes and the byte before, so that `scan_names` runs the automaton only
/// there. A match at any other place is rejected for certain: after an ASCII letter or digit it
/// is glued to a word, and a lower-case first letter where the listed form is capitalised
/// (other than an Arabic article) fails the capitals guard. In news prose few words start
/// with a name's first two letters, and a table lookup per byte is much cheaper than a DFA
/// step, whose next state depends on the last.
struct NameStarts {
    /// Bit `256 * first + lower(second)`: some name may be accepted starting with these bytes.
    pairs: Box<[u64; 1024]>,
}

impl NameStarts {
    /// `None` when a name is shorter than two bytes (the pairs cannot describe it).
    fn new<'p>(names: impl Iterator<Item = &'p [u8]>) -> Option<NameStarts> {
        let mut pairs = Box::new([0u64; 1024]);
        let mut set = |a: u8, b: u8| {
            let bit = 256 * usize::from(a) + usize::from(b.to_ascii_lowercase());
            pairs[bit / 64] |= 1 << (bit % 64);
        };
        for name in names {
            let (&first, &second) = (name.first()?, name.get(1)?);
            // ASCII case-insensitive: any case of the second byte; the first in upper case
            // always, in lower case only where the capitals guard allows it.
            set(first, second);
            if first.is_ascii_alphabetic() {
                set(first.to_ascii_uppercase(), second);
                if capitals_ok(&[first.to_ascii_lowercase()], name) {
                    set(first.to_ascii_lowercase(), second);
                }
            }
        }
        Some(NameStarts { pairs })
    }

    /// Whether some name may start with the two bytes at `at` (`at + 1` must be in `bytes`).
    #[inline]
    fn pair(&self, bytes: &[u8], at: usize) -> bool {
        let bit = 256 * usize::from(bytes[at]) + usize::from(bytes[at + 1].to_ascii_lowercase());
        self.pairs[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// The first place at or after `from` where a name may start: not after an ASCII letter or
    /// digit, and with a pair of `pairs`.
    fn next(&self, bytes: &[u8], from: usize) -> Option<usize> {
        // A start needs a second byte.
        let end = bytes.len().saturating_sub(1);
        let mut at = from;
        if at == 0 && end > 0 {
            if self.pair(bytes, 0) {
                return Some(0);
            }
            at = 1;
        }
        // Word starts 32 places at a time: the mask is computed from a fixed-size window with
        // no branch (so it vectorizes), and the pair is looked up only where a bit is set,
        // about once a word.
        while at + 32 <= end {
            let Ok(window): Result<&[u8; 32], _> = bytes[at - 1..at + 31].try_into() else {
                break; // cannot happen; the loop below is right for any length anyway
            };
            let mut mask = 0u32;
            for (k, &prev) in window.iter().enumerate() {
                mask |= u32::from(!is_ascii_alnum(prev)) << k;
            }
            while mask != 0 {
                let start = at + mask.trailing_zeros() as usize;
                if self.pair(bytes, start) {
                    return Some(start);
                }
                mask &= mask - 1;
            }
            at += 32;
        }
        (at..end).find(|&i| !is_ascii_alnum(bytes[i - 1]) && self.pair(bytes, i))
    }
}

/// `u8::is_ascii_alphanumeric` as arithmetic, so that a loop over bytes vectorizes.
#[inline]
fn is_ascii_alnum(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10)
}

/// Case-insensitive matching must not turn ordinary words into names: every word that is
/// capitalised in the listed form must be capitalised in the text ("an Islamic state" is not
/// the "Islamic State"), except an Arabic article ("al Qaeda" for "Al Qaeda").
fn capitals_ok(found: &[u8], pat: &[u8]) -> bool {
    for i in 0..pat.len().min(found.len()) {
        let word_start = i == 0 || !(pat[i - 1].is_ascii_alphanumeric() || pat[i - 1] == b'\'');
        if word_start && pat[i].is_ascii_uppercase() && found[i].is_ascii_lowercase() {
            let len = pat[i..]
                .iter()
                .position(|b| !b.is_ascii_alphabetic())
                .unwrap_or(pat.len() - i);
            let word = std::str::from_utf8(&pat[i..i + len]).unwrap_or("");
            let hyphen = pat.get(i + len) == Some(&b'-');
            if !is_article_at(word, hyphen) {
                return false;
            }
        }
    }
    true
}

/// The word (letters only) ending right at `i`, with no space in between.
fn prev_word_glued(text: &str, i: usize) -> Option<&str> {
    let before = text.get(..i)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map(|(p, _)| p)?;
    Some(&before[start..])
}

/// Whether the whitespace-delimited token around `s..e` is a URL, address, handle or code:
/// it holds a slash, `@`, `_`, `=`, `#`, `www.` or a digit. Looks at most 128 bytes each way.
fn token_looks_like_code(bytes: &[u8], s: usize, e: usize) -> bool {
    let lo = s.saturating_sub(128);
    let hi = (e + 128).min(bytes.len());
    let ts = bytes[lo..s]
        .iter()
        .rposition(|b| b.is_ascii_whitespace())
        .map_or(lo, |p| lo + p + 1);
    let te = bytes[e..hi]
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .map_or(hi, |p| e + p);
    let token = &bytes[ts..te];
    token
        .iter()
        .any(|b| b.is_ascii_digit() || b"/\\@_=#".contains(b))
        || memchr::memmem::find(token, b"www.").is_some()
}

/// Whether the sentence that goes on at `e` ends with a question mark.
fn sentence_is_question(bytes: &[u8], e: usize) -> bool {
    bytes[e..]
        .iter()
        .find(|b| matches!(b, b'.' | b'!' | b'?' | b'\n'))
        .is_some_and(|&b| b == b'?')
}

/// Collapses "Name (ACR)" — a mention followed by a parenthesised mention of the same
/// entity — into one definition hit spanning both and the closing parenthesis.
fn merge_definitions(text: &str, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        if let Some(prev) = out.last_mut() {
            let gap = text.get(prev.end..h.start).unwrap_or("");
            // A definition may absorb another: "Islamic State (IS) (ISIL)" is one mention,
            // so no rewrite can ever leave "Islamic State (Islamic State)".
            if prev.entity == h.entity
                && (gap == "(" || gap == " (")
                && text[h.end..].starts_with(')')
            {
                prev.end = h.end + 1;
                prev.kind = HitKind::Definition;
                continue;
            }
        }
        out.push(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> AliasMatcher {
        let e = |c: &str, v: &[&str], a: &[&str]| Entity {
            canonical: c.into(),
            variants: v.iter().map(|s| (*s).into()).collect(),
            acronyms: a.iter().map(|s| (*s).into()).collect(),
        };
        AliasMatcher::new(
            &[
                e(
                    "Islamic State",
                    &["Islamic State in Iraq and the Levant", "Daesh"],
                    &["ISIL", "ISIS", "IS", "Isis"],
                ),
                e(
                    "Nusra Front",
                    &["Nusra", "Jabhat al-Nusra", "al-Nusra Front"],
                    &[],
                ),
                e("al-Qaeda", &["Al Qaeda", "al-Qaida"], &[]),
            ],
            &AliasOptions::default(),
        )
        .expect("valid table")
    }

    fn rewrite(t: &str) -> String {
        let m = matcher();
        m.replace(t, &m.find(t))
    }

    #[test]
    fn definitions_collapse() {
        assert_eq!(
            rewrite("the Islamic State in Iraq and the Levant (ISIL) said"),
            "the Islamic State said"
        );
        assert_eq!(
            rewrite("Islamic State (IS) group positions"),
            "Islamic State group positions"
        );
    }

    #[test]
    fn acronym_gate() {
        assert_eq!(
            rewrite("IS fighters and IS-held towns"),
            "Islamic State fighters and Islamic State-held towns"
        );
        assert_eq!(
            rewrite("THIS IS A HEADLINE about ISIL"),
            "THIS IS A HEADLINE about ISIL"
        );
        assert_eq!(rewrite("the IS-95 standard"), "the IS-95 standard");
        assert_eq!(rewrite("Daesh. IS it true?"), "Islamic State. IS it true?");
        assert_eq!(
            rewrite("Daesh and example.com/IS/ page"),
            "Islamic State and example.com/IS/ page"
        );
        assert_eq!(
            rewrite("Daesh, then ISIL again"),
            "Islamic State, then Islamic State again"
        );
        assert_eq!(
            rewrite("no context for ISIL here"),
            "no context for ISIL here"
        );
    }

    #[test]
    fn possessives_and_case() {
        assert_eq!(
            rewrite("Nusra's men and Al Qaeda’s"),
            "Nusra Front's men and al-Qaeda’s"
        );
        assert_eq!(rewrite("Al Qaeda said"), "Al-Qaeda said");
        assert_eq!(rewrite("an Islamic state is"), "an Islamic state is");
        assert_eq!(rewrite("DAESH CLAIMS"), "ISLAMIC STATE CLAIMS");
    }

    #[test]
    fn conflicts_are_all_reported() {
        let e = |c: &str, v: &[&str], a: &[&str]| Entity {
            canonical: c.into(),
            variants: v.iter().map(|s| (*s).into()).collect(),
            acronyms: a.iter().map(|s| (*s).into()).collect(),
        };
        let err = AliasMatcher::new(
            &[
                e("A Group", &["Shared"], &["AG"]),
                e("B Group", &["shared"], &["AG", "X"]),
                e(" ", &[], &[]),
            ],
            &AliasOptions::default(),
        )
        .unwrap_err();
        let AliasError::InvalidTable(p) = err else {
            panic!("expected a table error")
        };
        assert_eq!(p.len(), 4, "{p:?}");
    }
}
