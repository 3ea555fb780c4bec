//! The decode pass: raw bytes of one document in, clean NFC UTF-8 text out, with the encoding
//! that was used and a count of every change made.
//!
//! It is a per-document stage: it sees one document's bytes at a time, in any order, and keeps
//! no state between documents, so the caller may run it in parallel. It does no I/O and knows
//! nothing of files, JSONL or the pipeline's configuration file: the caller builds a
//! [`DecodeOptions`] and records [`Decoded::encoding`] and [`Decoded::repairs`] in the
//! document's provenance.
//!
//! Stages, in order (each one skipped cheaply when it has nothing to do):
//!
//! 1. `charset`: BOM, configured label, UTF-16/32 or binary by NUL pattern, strict UTF-8,
//!    chardetng guess, per-line fallback for files mixing UTF-8 and a legacy page.
//! 2. [`fix_text`], per line: HTML entities, mojibake repair (`mojibake`), control and
//!    zero-width removal, NBSP, optional folding, then Unicode normalization last, because
//!    NFKC destroys the evidence the repair needs.

mod charset;
mod clean;
mod codepages;
mod entities;
mod mojibake;

pub use mojibake::{may_contain_mojibake, repair as repair_mojibake, RepairCounts};

use std::borrow::Cow;

use clean::CharPasses;

/// Unicode normalization form applied last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Normalization {
    /// Leave the code points as they are.
    None,
    /// Canonical composition (the default): changes no visible character.
    Nfc,
    /// Compatibility composition: also folds ligatures, full-width forms, superscripts.
    Nfkc,
}

/// What the decode pass does. Built once by the caller (from the pipeline configuration) and
/// shared by every document.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Configured encoding; `None` means detect it.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How many leading bytes chardetng looks at (default 64 KiB).
    pub detect_bytes: usize,
    /// Decode files that mix UTF-8 and one single-byte legacy page line by line.
    pub per_line_fallback: bool,
    /// Repair mojibake (UTF-8 decoded with the wrong code page).
    pub repair_mojibake: bool,
    /// Decode HTML references (`&amp;`, `&#8220;`) and the " quot;" / " #36;" residue.
    pub html_entities: bool,
    /// Remove zero-width characters and C0/C1 controls, keeping `\n` and `\t`.
    pub remove_controls: bool,
    /// Replace U+00A0 and U+202F (no-break spaces) with a plain space.
    pub nbsp_to_space: bool,
    /// Unicode normalization, applied after every repair.
    pub normalization: Normalization,
    /// Curly quotes (and U+02BC) to straight ones. Default false.
    pub fold_quotes: bool,
    /// En, em, figure dashes and horizontal bar to '-'. Default false.
    pub fold_dashes: bool,
    /// Typographic ligatures (ﬁ, ﬂ) and digraph letters (ǌ, ǳ) to their letters. Default
    /// false; NFKC does this too, along with much else.
    pub fold_ligatures: bool,
    /// Full-width ASCII forms and the ideographic space to ASCII. Default false.
    pub fold_width: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            encoding: None,
            detect_bytes: 64 * 1024,
            per_line_fallback: true,
            repair_mojibake: true,
            html_entities: true,
            remove_controls: true,
            nbsp_to_space: true,
            normalization: Normalization::Nfc,
            fold_quotes: false,
            fold_dashes: false,
            fold_ligatures: false,
            fold_width: false,
        }
    }
}

impl DecodeOptions {
    /// Options matching ftfy 6.3.1's `fix_text` defaults (quotes uncurled, ligatures and
    /// full-width forms folded, NBSP kept), used to compare against ftfy's expected outputs.
    pub fn ftfy_compatible() -> Self {
        DecodeOptions {
            nbsp_to_space: false,
            fold_quotes: true,
            fold_ligatures: true,
            fold_width: true,
            ..DecodeOptions::default()
        }
    }

    fn char_passes(&self) -> CharPasses {
        CharPasses {
            remove_controls: self.remove_controls,
            nbsp_to_space: self.nbsp_to_space,
            fold_quotes: self.fold_quotes,
            fold_dashes: self.fold_dashes,
            fold_ligatures: self.fold_ligatures,
            fold_width: self.fold_width,
        }
    }
}

/// Counts of changes by kind. The kinds:
///
/// - `"line_break"`: a `\r\n` or lone `\r` turned into `\n`.
/// - `"html_entity"`: an HTML reference (`&amp;`, `&#8220;`, `&#x2019;`) decoded.
/// - `"entity_residue"`: a reference whose `&` had become a space (" quot;", " #36;") decoded.
/// - `"mojibake"`: one re-decode of a line (a double mojibake counts 2).
/// - `"c1_control"`: a C1 control read as the windows-1252 character it stood for.
/// - `"control_char"`: a C0/C1 control or DEL removed.
/// - `"zero_width"`: a zero-width space, word joiner or stray BOM removed.
/// - `"nbsp"`: a no-break space replaced by a space.
/// - `"quote"`, `"dash"`, `"ligature"`, `"width"`: one character folded.
/// - `"normalization"`: a line changed by NFC/NFKC.
/// - `"replacement_char"`: an undecodable byte sequence replaced by U+FFFD.
/// - `"legacy_line"`: a line of a mixed file decoded with the legacy page.
pub type Repairs = std::collections::BTreeMap<&'static str, u64>;

/// One decoded document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The clean text.
    pub text: String,
    /// The encoding used: an encoding_rs name ("UTF-8", "windows-1252", "UTF-16LE"),
    /// "UTF-32LE"/"UTF-32BE", or "UTF-8+" plus the legacy page name for a file decoded line by line.
    pub encoding: String,
    /// What was changed, by kind.
    pub repairs: Repairs,
}

/// Why a document could not be decoded at all. Undecodable *bytes* are not an error (they
/// become U+FFFD and are counted); only input that is not text is.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input is binary: NUL and control bytes with no UTF-16/32 pattern.
    #[error("binary content (NUL or control bytes) at byte offset {offset}")]
    Binary {
        /// Offset of the first NUL byte.
        offset: usize,
    },
}

/// Decode one document's bytes and clean the text: charset detection, then [`fix_text`].
pub fn decode_bytes(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded, DecodeError> {
    let mut repairs = Repairs::new();
    let raw = charset::decode(
        bytes,
        opts.encoding,
        opts.detect_bytes,
        opts.per_line_fallback,
        &mut repairs,
    )?;
    let text = match fix_text_cow(&raw.text, opts, &mut repairs) {
        Cow::Owned(fixed) => fixed,
        Cow::Borrowed(_) => raw.text,
    };
    Ok(Decoded {
        text,
        encoding: raw.encoding,
        repairs,
    })
}

/// Is this text certainly left as it is by every pass? True only when each pass's own "nothing
/// to do" test holds: no `\r` or control byte, no entity candidate, no mojibake candidate, no
/// character a per-character pass would touch, and already in the normalization form. Those are
/// the tests the passes themselves start with, so the answer is exact in one direction: true
/// means the passes would leave the text as it is and count nothing (the property test
/// `fast_path_agrees_with_line_passes` checks it). Most news text, ASCII or not, passes, and
/// then costs a few linear scans and no allocation.
///
/// On a whole text it answers for every line at once: each scan only looks further than one
/// line in the conservative direction (a candidate spanning lines makes it say false), and a
/// `\n` is a normalization boundary, so the text is normalized exactly when each line is.
fn is_unchanged(text: &str, opts: &DecodeOptions, passes: &CharPasses) -> bool {
    let b = text.as_bytes();
    // Written as a fold over bytes so that it vectorizes; `\r` and DEL included here because
    // line breaks are normalized regardless of `remove_controls`.
    let controls = b.iter().fold(false, |acc, &x| {
        acc | ((x < 0x20 && x != b'\n' && x != b'\t') | (x == 0x7f))
    });
    if controls || (opts.html_entities && entities::may_contain_entities(text)) {
        return false;
    }
    // Past this point only non-ASCII characters can change: mojibake needs them, the
    // per-character passes touch no ASCII character but the controls ruled out above, and
    // ASCII is in every normalization form.
    if b.is_ascii() {
        return true;
    }
    if opts.repair_mojibake && mojibake::may_contain_mojibake(text) {
        return false;
    }
    if passes.touches_any(text) {
        return false;
    }
    match opts.normalization {
        Normalization::None => true,
        Normalization::Nfc => {
            icu_normalizer::ComposingNormalizerBorrowed::new_nfc().is_normalized(text)
        }
        Normalization::Nfkc => {
            icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().is_normalized(text)
        }
    }
}

/// How often a changed line is run through the passes again. One pass's output can hold new
/// evidence for another (a removed zero-width space joins a mojibake pair, NFKC makes `&amp;`
/// out of full-width forms); rerunning changed lines makes `fix_text` idempotent.
const MAX_LINE_PASSES: usize = 4;

/// Everything after charset decoding: line breaks, entities, mojibake, controls, spaces,
/// folding and normalization, line by line. Counts each change in `repairs`.
pub fn fix_text(text: &str, opts: &DecodeOptions, repairs: &mut Repairs) -> String {
    fix_text_cow(text, opts, repairs).into_owned()
}

/// [`fix_text`] that returns the text itself when nothing changes, as in most news: a caller
/// that owns the text keeps it, where [`fix_text`] would copy it.
///
/// Only the lines around a byte that could start a change (`is_trigger`) are looked at; the
/// stretches between them are certainly left as they are (the `is_unchanged` tests all pass
/// on ASCII without controls, `&`, `#` or `;`), and are copied in one piece, or not at all when
/// no line changes. A line holding such a byte is cleared by `is_unchanged` or goes through
/// the passes; the property test `fast_path_agrees_with_line_passes` holds the result to the
/// passes run on every line.
pub fn fix_text_cow<'t>(
    text: &'t str,
    opts: &DecodeOptions,
    repairs: &mut Repairs,
) -> Cow<'t, str> {
    // Most news text has no trigger byte at all. Text that has some (non-ASCII letters, a `;`)
    // is often still left as it is, which one whole-text test proves in a few scans.
    let passes = opts.char_passes();
    if next_trigger(text.as_bytes()).is_none() || is_unchanged(text, opts, &passes) {
        return Cow::Borrowed(text);
    }
    let mut lb = String::new();
    if clean::normalize_line_breaks(text, &mut lb, repairs) {
        let fixed = fix_changed_lines(&lb, opts, &passes, repairs);
        return Cow::Owned(match fixed {
            Cow::Borrowed(_) => lb,
            Cow::Owned(s) => s,
        });
    }
    fix_changed_lines(text, opts, &passes, repairs)
}

/// Can this byte start a change? C0 controls but `\n` and `\t` (so `\r` too), DEL, the bytes
/// an entity or its residue needs (`&`, `#`, `;`) and every byte of a non-ASCII character.
/// Everything a pass reacts to is among them; most are false alarms, which [`is_unchanged`]
/// then clears.
#[inline]
fn is_trigger(x: u8) -> bool {
    (x < 0x20 && x != b'\n' && x != b'\t') | (x >= 0x7f) | (x == b'&') | (x == b'#') | (x == b';')
}

/// The offset of the first [`is_trigger`] byte. Blocks of 32 bytes are tested with a fold,
/// which the compiler vectorizes; only the block that holds one is searched byte by byte.
fn next_trigger(b: &[u8]) -> Option<usize> {
    let (blocks, rest) = b.as_chunks::<32>();
    for (i, block) in blocks.iter().enumerate() {
        if block.iter().fold(false, |acc, &x| acc | is_trigger(x)) {
            return block
                .iter()
                .position(|&x| is_trigger(x))
                .map(|j| i * 32 + j);
        }
    }
    rest.iter()
        .position(|&x| is_trigger(x))
        .map(|j| blocks.len() * 32 + j)
}

/// The line passes over a text without `\r`, on the lines that hold a trigger byte and that
/// [`is_unchanged`] does not clear. Borrows the text when no line changes.
fn fix_changed_lines<'t>(
    text: &'t str,
    opts: &DecodeOptions,
    passes: &CharPasses,
    repairs: &mut Repairs,
) -> Cow<'t, str> {
    let b = text.as_bytes();
    // `text[..copied]` is in `out`, which is only started at the first line that changes.
    let (mut out, mut copied): (Option<String>, usize) = (None, 0);
    let (mut a, mut scratch) = (String::new(), String::new());
    // `pos` is always at the start of a line: every line before it is settled.
    let mut pos = 0;
    while let Some(off) = next_trigger(&b[pos..]) {
        let at = pos + off;
        let start = memchr::memrchr(b'\n', &b[pos..at]).map_or(pos, |i| pos + i + 1);
        let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i + 1);
        let line = &text[start..end];
        pos = end;
        if is_unchanged(line, opts, passes) {
            continue;
        }
        if let Cow::Owned(mut fixed) =
            fix_line_passes(line, opts, passes, repairs, &mut a, &mut scratch)
        {
            // A decoded line break (`&#10;`) splits the line in two or more: they are settled
            // again as lines of their own, because some repairs look at where a line starts
            // (found by the fuzzer: a mojibake byte-order mark after `&#10;` and a few controls
            // was left for a second `fix_text` to remove).
            for _ in 0..MAX_LINE_PASSES {
                let body = fixed.strip_suffix('\n').unwrap_or(&fixed);
                if !body.contains('\n') {
                    break;
                }
                match fix_changed_lines(&fixed, opts, passes, repairs) {
                    Cow::Owned(again) => fixed = again,
                    Cow::Borrowed(_) => break,
                }
            }
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + fixed.len()));
            out.push_str(&text[copied..start]);
            out.push_str(&fixed);
            copied = end;
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// The passes on one line, rerun while they change it (at most [`MAX_LINE_PASSES`] times).
/// Borrows the line when the first pass leaves it as it is.
fn fix_line_passes<'l>(
    line: &'l str,
    opts: &DecodeOptions,
    passes: &CharPasses,
    repairs: &mut Repairs,
    a: &mut String,
    b: &mut String,
) -> Cow<'l, str> {
    let mut cur: Cow<str> = Cow::Borrowed(line);
    for _ in 0..MAX_LINE_PASSES {
        match fix_line(&cur, opts, passes, repairs, a, b) {
            Some(s) => cur = Cow::Owned(s.to_owned()),
            None => break,
        }
    }
    cur
}

/// One pass over one line. Returns the new text (borrowing one of the scratch buffers) or None
/// when the line is unchanged.
fn fix_line<'s>(
    line: &str,
    opts: &DecodeOptions,
    passes: &CharPasses,
    repairs: &mut Repairs,
    a: &'s mut String,
    b: &'s mut String,
) -> Option<&'s str> {
    let mut changed = false;
    // Entities first: "10Î&frac14;s" is mojibake only once the reference is decoded. Repeated
    // until stable, because double-escaped text ("&amp;quot;") is common in feeds.
    a.clear();
    a.push_str(line);
    if opts.html_entities {
        for _ in 0..4 {
            if !entities::may_contain_entities(a) {
                break;
            }
            let (refs, residue) = entities::decode_entities(a, b);
            if refs + residue == 0 {
                break;
            }
            *repairs.entry("html_entity").or_insert(0) += refs;
            *repairs.entry("entity_residue").or_insert(0) += residue;
            std::mem::swap(a, b);
            changed = true;
        }
    }
    if opts.repair_mojibake {
        if let Some((fixed, counts)) = mojibake::repair(a) {
            if counts.mojibake > 0 {
                *repairs.entry("mojibake").or_insert(0) += counts.mojibake;
            }
            if counts.c1_controls > 0 {
                *repairs.entry("c1_control").or_insert(0) += counts.c1_controls;
            }
            *a = fixed;
            changed = true;
        }
    }
    b.clear();
    if passes.apply(a, b, repairs) {
        std::mem::swap(a, b);
        changed = true;
    }
    if opts.normalization != Normalization::None && !a.is_ascii() {
        let s = std::mem::take(a);
        let before = repairs.get("normalization").copied();
        *a = clean::normalize(s, opts.normalization, repairs);
        changed |= repairs.get("normalization").copied() != before;
    }
    if !changed {
        return None;
    }
    if a == line {
        return None;
    }
    Some(a.as_str())
}

#[cfg(test)]
mod tests;
