//! The decode stage: a raw document's bytes (or JSONL string) to clean UTF-8 lines.
//!
//! It maps `[decode]` onto the pure core in `crate::decode` and records the detected encoding
//! and the repairs in the document's provenance. With `enabled = false` the charset is still
//! detected (bytes must become text) but nothing is repaired or normalized.

use std::borrow::Cow;

use crate::config::{DecodeConfig, NormalizationForm};
use crate::decode::{decode_bytes, fix_text_cow, DecodeOptions, Normalization, Repairs};
use crate::doc::{Doc, DocText};
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
        // A JSONL text is kept as the input string itself when nothing changes (most news):
        // no copy of the text and no allocation per line; the lines are cut where they are used.
        let (text, encoding) = match raw.content {
            RawContent::Bytes(bytes) => match decode_bytes(&bytes, &self.options) {
                Ok(d) => {
                    repairs = d.repairs;
                    (d.text, d.encoding)
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
                let text = match fix_text_cow(&s, &self.options, &mut repairs) {
                    Cow::Borrowed(_) => s,
                    Cow::Owned(fixed) => fixed,
                };
                (text, "UTF-8".to_string())
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
            text: DocText::new(text),
            ..Doc::default()
        })
    }
}
