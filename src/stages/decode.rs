//! The decode stage: a raw document's bytes (or JSONL string) to clean UTF-8 lines.
//!
//! It maps `[decode]` onto the pure core in `crate::decode` and records the detected encoding
//! and the repairs in the document's provenance. With `enabled = false` the charset is still
//! detected (bytes must become text) but nothing is repaired or normalized.

use crate::config::{DecodeConfig, NormalizationForm};
use crate::decode::{decode_bytes, fix_text_cow, DecodeOptions, Normalization, Repairs};
use crate::doc::Doc;
use crate::input::{RawContent, RawDoc, Rejection};

/// The built decode stage.
#[derive(Debug, Clone)]
pub struct DecodeStage {
    options: DecodeOptions,
}

impl DecodeStage {
    /// Builds the stage from its validated table.
    pub fn build(config: &DecodeConfig) -> DecodeStage {
        // Validation has already checked the label, so `for_label` only fails on an empty one.
        let encoding = encoding_rs::Encoding::for_label(config.encoding.as_bytes());
        let on = config.enabled;
        let options = DecodeOptions {
            encoding,
            detect_bytes: config.detect_bytes,
            per_line_fallback: config.per_line_fallback,
            repair_mojibake: on && config.repair_mojibake,
            html_entities: on && config.html_entities,
            remove_controls: on && config.remove_controls,
            nbsp_to_space: on && config.nbsp_to_space,
            normalization: match config.normalization {
                _ if !on => Normalization::None,
                NormalizationForm::Nfc => Normalization::Nfc,
                NormalizationForm::Nfkc => Normalization::Nfkc,
                NormalizationForm::None => Normalization::None,
            },
            fold_quotes: on && config.fold_quotes,
            fold_dashes: on && config.fold_dashes,
            fold_ligatures: on && config.fold_ligatures,
            fold_width: on && config.fold_width,
        };
        DecodeStage { options }
    }

    /// Turns a raw document into a [`Doc`], or a rejection when its bytes are not text.
    pub fn apply(&self, ordinal: usize, raw: RawDoc) -> Result<Doc, Rejection> {
        let mut repairs = Repairs::new();
        // A JSONL text is split into lines straight from the input string when nothing changes
        // (most news), with no copy of the whole text in between.
        let (lines, encoding) = match raw.content {
            RawContent::Bytes(bytes) => match decode_bytes(&bytes, &self.options) {
                Ok(d) => {
                    repairs = d.repairs;
                    (split_lines(&d.text), d.encoding)
                }
                Err(e) => {
                    return Err(Rejection {
                        source: raw.source,
                        line: None,
                        offset: None,
                        error: format!("cannot decode: {e}"),
                    })
                }
            },
            RawContent::Text(s) => {
                let text = fix_text_cow(&s, &self.options, &mut repairs);
                (split_lines(&text), "UTF-8".to_string())
            }
        };
        Ok(Doc {
            ordinal,
            id: raw.id,
            source: raw.source,
            site: raw.site,
            extra: raw.extra,
            encoding,
            repairs: repairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            lines,
            ..Doc::default()
        })
    }
}

/// The text's lines, `\n` removed, as `str::split('\n')` gives them (so a text ending in `\n`
/// has an empty last line). memchr finds the breaks faster than `str::split`'s searcher, and
/// counting them first sizes the vector once.
fn split_lines(text: &str) -> Vec<String> {
    let breaks = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    let mut lines = Vec::with_capacity(breaks + 1);
    let mut start = 0;
    for at in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(text[start..at].to_string());
        start = at + 1;
    }
    lines.push(text[start..].to_string());
    lines
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn split_lines_agrees_with_str_split(s in "[ab\n\u{e9}]{0,20}") {
            let expected: Vec<String> = s.split('\n').map(str::to_string).collect();
            prop_assert_eq!(super::split_lines(&s), expected);
        }
    }
}
