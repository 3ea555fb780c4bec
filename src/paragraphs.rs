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
/// A block of several lines is joined into one paragraph only when the document looks
/// hard-wrapped: no line longer than [`WRAP_MAX`] characters, and most non-final lines of its
/// multi-line blocks at least [`WRAP_MIN`] long. Otherwise each line is a paragraph. Whitespace
/// inside a paragraph is collapsed to single spaces.
pub fn split(lines: &[Option<&str>]) -> Vec<String> {
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines {
        match line.map(str::trim) {
            Some(l) if !l.is_empty() => current.push(l),
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

    let wrapped = is_hard_wrapped(&blocks);
    let mut out = Vec::new();
    for block in blocks {
        if wrapped {
            out.push(collapse(&block.join(" ")));
        } else {
            out.extend(block.iter().map(|l| collapse(l)));
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

fn is_hard_wrapped(blocks: &[Vec<&str>]) -> bool {
    let longest = blocks
        .iter()
        .flatten()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    if longest > WRAP_MAX {
        return false;
    }
    let inner: Vec<usize> = blocks
        .iter()
        .filter(|b| b.len() > 1)
        .flat_map(|b| b[..b.len() - 1].iter().map(|l| l.chars().count()))
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
