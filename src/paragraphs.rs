//! Paragraph structure: one rule for sources that separate paragraphs by blank lines and sources
//! that put each paragraph on its own line.
//!
//! News text reaches us in three shapes: paragraphs separated by blank lines (each paragraph one
//! long line), paragraphs one per line with no blank lines between them, and hard-wrapped text
//! (a paragraph spread over several lines of about 70 columns, blocks separated by blank lines).
//! [`split`] turns all three into the same list of one-line paragraphs. It is a pure function over
//! lines; it knows nothing of boilerplate (removed lines arrive as `None` and act as breaks).

/// Lines shorter than this never count as hard-wrapped: a short line is a paragraph of its own.
const WRAP_MIN: usize = 30;
/// Lines longer than this mean the document is not hard-wrapped at all.
const WRAP_MAX: usize = 100;

/// Splits lines into paragraphs. `None` entries (removed lines) and blank lines end a block.
/// A block of several lines is joined into paragraphs only when the document looks
/// hard-wrapped: no line longer than [`WRAP_MAX`] characters, and most lines that would be
/// joined to the next at least [`WRAP_MIN`] long. Otherwise each line is a paragraph.
///
/// In a hard-wrapped document that marks its paragraphs by indentation rather than blank lines
/// (Reuters-21578 and much wire copy of its age: a paragraph's first line indented, the others
/// flush), an indented line starts a new paragraph inside its block. Without that, a whole
/// story is one paragraph, or, when its short paragraph-final lines defeat the wrap test, every
/// 65-column fragment is one; either way the near-duplicate pass would compare pieces that are
/// not paragraphs. Whitespace inside a paragraph is collapsed to single spaces.
pub fn split(lines: &[Option<&str>]) -> Vec<String> {
    // Every kept line once, as (indent, trimmed line), blocks one after another; a block is a
    // range of `kept`. Two flat vectors rather than a vector per block: most documents have one
    // line per block.
    let mut kept: Vec<(usize, &str)> = Vec::with_capacity(lines.len());
    let mut blocks: Vec<std::ops::Range<usize>> = Vec::new();
    let mut block_start = 0;
    for line in lines {
        // Trimmed at the start first: a line that is blank is empty after it.
        let body = line.map_or("", |l| l.trim_start());
        if body.is_empty() {
            if kept.len() > block_start {
                blocks.push(block_start..kept.len());
                block_start = kept.len();
            }
            continue;
        }
        let indent = line.map_or(0, |l| l.len() - body.len());
        kept.push((indent, body.trim_end()));
    }
    if kept.len() > block_start {
        blocks.push(block_start..kept.len());
    }

    let starts = ParagraphStarts::of(&kept, &blocks);
    let mut out = Vec::with_capacity(kept.len());
    if !is_hard_wrapped(&kept, &blocks, &starts) {
        out.extend(kept.iter().map(|&(_, l)| collapse(l)));
    } else {
        for block in &blocks {
            let lines = &kept[block.clone()];
            let mut first = 0;
            while first < lines.len() {
                let end = (first + 1..lines.len())
                    .find(|&k| starts.starts(k, lines[k].0))
                    .unwrap_or(lines.len());
                // Sized exactly and kept as it is when already collapsed (most wrapped
                // paragraphs): one allocation per paragraph and no second copy.
                let paragraph = &lines[first..end];
                let size = paragraph.iter().map(|&(_, l)| l.len() + 1).sum::<usize>() - 1;
                let mut joined = String::with_capacity(size);
                for (k, &(_, l)) in paragraph.iter().enumerate() {
                    if k > 0 {
                        joined.push(' ');
                    }
                    joined.push_str(l);
                }
                out.push(collapse_owned(joined));
                first = end;
            }
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Which lines start a paragraph: the first line of a block, and, in a document whose flush
/// lines continue paragraphs and whose indented lines begin them, every line indented past the
/// document's flush margin.
struct ParagraphStarts {
    margin: usize,
    by_indent: bool,
}

impl ParagraphStarts {
    fn of(kept: &[(usize, &str)], blocks: &[std::ops::Range<usize>]) -> ParagraphStarts {
        let margin = kept.iter().map(|&(i, _)| i).min().unwrap_or(0);
        // Indentation marks paragraphs only when there are both flush continuation lines and
        // indented lines; a document indented throughout, or flush throughout, says nothing
        // by it.
        let continuations = || blocks.iter().flat_map(|b| &kept[b.start + 1..b.end]);
        let flush_continuations = continuations().any(|&(i, _)| i == margin);
        let indented = continuations().any(|&(i, _)| i > margin);
        ParagraphStarts {
            margin,
            by_indent: flush_continuations && indented,
        }
    }

    /// Whether the `k`-th line of its block, indented by `indent`, starts a paragraph.
    fn starts(&self, k: usize, indent: usize) -> bool {
        k == 0 || (self.by_indent && indent > self.margin)
    }
}

/// Does `line` have more than `n` characters? Decided from the byte length alone when it can
/// be (a character is one to four bytes), so long news lines are not counted through.
fn longer_than(line: &str, n: usize) -> bool {
    match line.len() {
        len if len <= n => false,
        len if len > 4 * n => true,
        _ => line.chars().count() > n,
    }
}

fn is_hard_wrapped(
    kept: &[(usize, &str)],
    blocks: &[std::ops::Range<usize>],
    starts: &ParagraphStarts,
) -> bool {
    // A line longer than four bytes a character settles it without counting characters: most
    // news documents have a paragraph that long somewhere, not always first.
    if kept.iter().any(|&(_, l)| l.len() > 4 * WRAP_MAX)
        || kept.iter().any(|&(_, l)| longer_than(l, WRAP_MAX))
    {
        return false;
    }
    // The lines that joining would continue: those followed, in their block, by a line that
    // does not start a paragraph.
    let (mut inner, mut long) = (0usize, 0usize);
    for block in blocks {
        let lines = &kept[block.clone()];
        for (k, w) in lines.windows(2).enumerate() {
            if !starts.starts(k + 1, w[1].0) {
                inner += 1;
                long += usize::from(longer_than(w[0].1, WRAP_MIN - 1));
            }
        }
    }
    // Most inner lines must be long: a list of short items is not a wrapped paragraph.
    inner > 0 && long * 5 >= inner * 4
}

/// `text` with every run of whitespace made one space and none at the ends, as
/// `split_whitespace` joined by spaces.
fn collapse(text: &str) -> String {
    if is_collapsed(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// [`collapse`] of a string the caller owns: the string itself when it is already collapsed.
fn collapse_owned(text: String) -> String {
    if is_collapsed(&text) {
        text
    } else {
        collapse(&text)
    }
}

/// Is `text` already collapsed: no whitespace but single spaces between words? Most lines are.
/// Whitespace is `char::is_whitespace`, as `split_whitespace` reads it: in ASCII the space,
/// `\t`, `\n`, `\x0B`, `\x0C` and `\r`; beyond it a few spaces and separators.
fn is_collapsed(text: &str) -> bool {
    let b = text.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    // Folds so that they vectorize: ASCII whitespace other than the space, whether any byte is
    // outside ASCII, and two spaces in a row (a byte and the next, side by side). A `memmem`
    // search for the two spaces would build its searcher at every call, which cost more than
    // the search on paragraphs this short.
    let (other_space, non_ascii) = b.iter().fold((false, false), |(ws, hi), &c| {
        (ws | (b'\t'..=b'\r').contains(&c), hi | (c >= 0x80))
    });
    let next = b.get(1..).unwrap_or_default();
    let double_space = b
        .iter()
        .zip(next)
        .fold(false, |d, (&x, &y)| d | ((x == b' ') & (y == b' ')));
    let unicode_space = || text.chars().any(|c| !c.is_ascii() && c.is_whitespace());
    !(other_space || double_space || (non_ascii && unicode_space()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Vec<String> {
        let lines: Vec<Option<&str>> = text.split('\n').map(Some).collect();
        split(&lines)
    }

    #[test]
    fn blank_line_and_single_newline_sources_agree() {
        let long_a = "The first paragraph is a long line that goes on well past one hundred characters of text, as news does.";
        let long_b = "The second paragraph is also long enough that no one would mistake it for a hard-wrapped line of text.";
        let blank = format!("{long_a}\n\n{long_b}\n");
        let single = format!("{long_a}\n{long_b}");
        assert_eq!(run(&blank), run(&single));
        assert_eq!(run(&blank).len(), 2);
    }

    #[test]
    fn hard_wrapped_blocks_are_joined() {
        let text = "BAHIA BLANCA, Argentina, Feb 26 - Showers continued throughout\nthe week in the Bahia cocoa zone, alleviating the drought since\nearly January.\n\nThe crop is expected to recover, traders\nsaid on Thursday in the city.";
        let p = run(text);
        assert_eq!(p.len(), 2);
        assert!(p[0].starts_with("BAHIA BLANCA") && p[0].ends_with("early January."));
    }

    #[test]
    fn indented_lines_start_paragraphs_in_wrapped_wire_copy() {
        // The shape of Reuters-21578 bodies: no blank lines, each paragraph's first line
        // indented, its last line often short, a table indented row by row.
        let text = "The Senate cleared away a\nparliamentary obstacle threatening final passage of a 9.4\nbillion dlr money bill for the rest of fiscal 1987 ending\nOctober 1.\n    The Senate voted 64 to 32 to override objections the bill's\nmoney total violated the 1987 budget, a vote that required 60\nvotes for approval.\n    Final passage could come late tonight or tomorrow.\n DEL GRADES                254      236  10629\n TOTAL STOCKS            10353    10336  13583\n Reuter";
        assert_eq!(
            run(text),
            [
                "The Senate cleared away a parliamentary obstacle threatening final passage of \
                 a 9.4 billion dlr money bill for the rest of fiscal 1987 ending October 1.",
                "The Senate voted 64 to 32 to override objections the bill's money total \
                 violated the 1987 budget, a vote that required 60 votes for approval.",
                "Final passage could come late tonight or tomorrow.",
                "DEL GRADES 254 236 10629",
                "TOTAL STOCKS 10353 10336 13583",
                "Reuter",
            ]
        );
        // Indented throughout says nothing: the block is one wrapped paragraph.
        let all = "    Showers continued throughout the week in the Bahia cocoa\n    zone, alleviating the drought since early January and\n    improving prospects for the coming temporao.";
        assert_eq!(run(all).len(), 1);
    }

    #[test]
    fn short_lines_stay_separate_and_removed_lines_break() {
        let lines = [Some("Headline"), Some("Second line"), None, Some("Third")];
        assert_eq!(split(&lines), ["Headline", "Second line", "Third"]);
    }

    /// The split as first written, a vector per block and every line counted through: the
    /// reference the flat version must agree with.
    fn reference_split(lines: &[Option<&str>]) -> Vec<String> {
        let mut blocks: Vec<Vec<(usize, &str)>> = Vec::new();
        let mut current = Vec::new();
        for line in lines {
            match line {
                Some(l) if !l.trim().is_empty() => {
                    let body = l.trim_start();
                    current.push((l.len() - body.len(), body.trim_end()));
                }
                _ if !current.is_empty() => blocks.push(std::mem::take(&mut current)),
                _ => {}
            }
        }
        if !current.is_empty() {
            blocks.push(current);
        }
        let margin = blocks.iter().flatten().map(|&(i, _)| i).min().unwrap_or(0);
        let cont = || blocks.iter().flat_map(|b| b.iter().skip(1));
        let by_indent = cont().any(|&(i, _)| i == margin) && cont().any(|&(i, _)| i > margin);
        let starts = |k: usize, i: usize| k == 0 || (by_indent && i > margin);
        let chars = |l: &str| l.chars().count();
        let longest = blocks.iter().flatten().map(|(_, l)| chars(l)).max();
        let inner: Vec<usize> = blocks
            .iter()
            .flat_map(|b| {
                b.windows(2)
                    .enumerate()
                    .filter(|(k, w)| !starts(k + 1, w[1].0))
                    .map(|(_, w)| chars(w[0].1))
            })
            .collect();
        let wrapped = longest.unwrap_or(0) <= WRAP_MAX
            && !inner.is_empty()
            && inner.iter().filter(|&&n| n >= WRAP_MIN).count() * 5 >= inner.len() * 4;
        let join = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut out = Vec::new();
        for block in &blocks {
            if !wrapped {
                out.extend(block.iter().map(|(_, l)| join(l)));
                continue;
            }
            let mut paragraph = String::new();
            for (k, (i, l)) in block.iter().enumerate() {
                if starts(k, *i) && !paragraph.is_empty() {
                    out.push(join(&paragraph));
                    paragraph.clear();
                }
                if !paragraph.is_empty() {
                    paragraph.push(' ');
                }
                paragraph.push_str(l);
            }
            if !paragraph.is_empty() {
                out.push(join(&paragraph));
            }
        }
        out.retain(|p| !p.is_empty());
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// Lines of words of varied length (so that both the wrapped and the unwrapped rule
        /// are drawn), indents, removed and blank lines, Unicode spaces and multibyte letters
        /// near the 30- and 100-character limits.
        #[test]
        fn split_agrees_with_reference(
            lines in proptest::collection::vec(
                proptest::option::weighted(
                    0.9,
                    "( {0,4}|\t)([a-zé\u{4e2d}]{1,12}( |  |\t|\u{a0}|\u{3000}|\u{2009}|\u{b})?){0,14}",
                ),
                0..12,
            )
        ) {
            let refs: Vec<Option<&str>> = lines.iter().map(Option::as_deref).collect();
            proptest::prop_assert_eq!(split(&refs), reference_split(&refs));
        }

        #[test]
        fn collapse_agrees_with_split_whitespace(
            s in "([a-z\u{e9}]{0,3}( |  |\t|\n|\r|\u{b}|\u{c}|\u{85}|\u{a0}|\u{1680}|\u{2002}|\u{2028}|\u{202f}|\u{205f}|\u{3000}|\u{200b}|\u{1c})?){0,8}",
        ) {
            let expected = s.split_whitespace().collect::<Vec<_>>().join(" ");
            proptest::prop_assert_eq!(collapse(&s), expected);
        }
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(run("  a \t b  \n\n\n"), ["a b"]);
        for text in [
            "a b", "a  b", " a", "a ", "a\tb", "a\x0bb", "a\x0cb", "", "é  b",
        ] {
            let expected: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(collapse(text), expected.join(" "), "{text:?}");
        }
    }
}
