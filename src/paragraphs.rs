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
    // Blocks of (indent, trimmed line).
    let mut blocks: Vec<Vec<(usize, &str)>> = Vec::new();
    let mut current: Vec<(usize, &str)> = Vec::new();
    for line in lines {
        match line {
            Some(l) if !l.trim().is_empty() => {
                let body = l.trim_start();
                current.push((l.len() - body.len(), body.trim_end()));
            }
            _ => {
                if !current.is_empty() {
                    blocks.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }

    let starts = paragraph_starts(&blocks);
    let wrapped = is_hard_wrapped(&blocks, &starts);
    let mut out = Vec::new();
    for (block, starts) in blocks.iter().zip(&starts) {
        if !wrapped {
            out.extend(block.iter().map(|(_, l)| collapse(l)));
            continue;
        }
        let mut paragraph = String::new();
        for (i, (_, l)) in block.iter().enumerate() {
            if starts[i] && !paragraph.is_empty() {
                out.push(collapse(&paragraph));
                paragraph.clear();
            }
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(l);
        }
        if !paragraph.is_empty() {
            out.push(collapse(&paragraph));
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// For each line of each block, whether it starts a paragraph: the first line of a block, and,
/// in a document whose flush lines continue paragraphs and whose indented lines begin them, every
/// line indented past the document's flush margin.
fn paragraph_starts(blocks: &[Vec<(usize, &str)>]) -> Vec<Vec<bool>> {
    let margin = blocks.iter().flatten().map(|&(i, _)| i).min().unwrap_or(0);
    // Indentation marks paragraphs only when there are both flush continuation lines and
    // indented lines; a document indented throughout, or flush throughout, says nothing by it.
    let flush_continuations = blocks
        .iter()
        .flat_map(|b| b.iter().skip(1))
        .any(|&(i, _)| i == margin);
    let indented = blocks
        .iter()
        .flat_map(|b| b.iter().skip(1))
        .any(|&(i, _)| i > margin);
    let by_indent = flush_continuations && indented;
    blocks
        .iter()
        .map(|b| {
            b.iter()
                .enumerate()
                .map(|(k, &(i, _))| k == 0 || (by_indent && i > margin))
                .collect()
        })
        .collect()
}

fn is_hard_wrapped(blocks: &[Vec<(usize, &str)>], starts: &[Vec<bool>]) -> bool {
    let longest = blocks
        .iter()
        .flatten()
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(0);
    if longest > WRAP_MAX {
        return false;
    }
    // The lines that joining would continue: those followed, in their block, by a line that
    // does not start a paragraph.
    let inner: Vec<usize> = blocks
        .iter()
        .zip(starts)
        .flat_map(|(b, s)| {
            b.windows(2)
                .zip(&s[1..])
                .filter(|(_, &next_starts)| !next_starts)
                .map(|(w, _)| w[0].1.chars().count())
        })
        .collect();
    // Most inner lines must be long: a list of short items is not a wrapped paragraph.
    !inner.is_empty() && inner.iter().filter(|&&n| n >= WRAP_MIN).count() * 5 >= inner.len() * 4
}

fn collapse(text: &str) -> String {
    // Most lines are already collapsed: ASCII words separated by single spaces.
    let b = text.as_bytes();
    let collapsed = text.is_ascii()
        && b.first().is_none_or(|&c| c != b' ')
        && b.last().is_none_or(|&c| c != b' ')
        && !b
            .iter()
            .any(|&c| c.is_ascii_whitespace() && c != b' ' || c == 0x0B)
        && !b.windows(2).any(|w| w == b"  ");
    if collapsed {
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
