//! The alias stage: one form per entity, by the pure matcher in `crate::aliases`.
//!
//! The matcher sees the whole document (paragraphs joined by a blank line), because its acronym
//! gate asks whether the entity was already named earlier in the document. In `replace` mode
//! the paragraphs are rewritten; in `annotate` mode they stay and each mention is kept with its
//! paragraph and byte range, turned into offsets of the output text when it is written. Both
//! modes record `{from, to, count}`.

use std::cell::RefCell;

use crate::aliases::{count_mentions, AliasError, AliasMatcher, AliasOptions, Entity, MentionKind};
use crate::config::{AliasMode, AliasesConfig, EntityConfig};
use crate::doc::{AliasRecord, Doc, ParagraphMention};

/// The built alias stage; `None` inside when the pass is off.
pub struct AliasStage {
    matcher: Option<AliasMatcher>,
    mode: AliasMode,
}

impl std::fmt::Debug for AliasStage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliasStage")
            .field("enabled", &self.matcher.is_some())
            .field("mode", &self.mode)
            .finish()
    }
}

const SEPARATOR: &str = "\n\n";

/// A joined document larger than this is not kept for the next one.
const KEEP_JOINED: usize = 1 << 20;

thread_local! {
    /// This thread's buffer for a document's paragraphs joined. Almost no document names an
    /// entity, so the joined text is read once and dropped: kept per thread and reused, it
    /// costs a copy and no allocation per document.
    static JOINED: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The matcher's entities from the configuration's table entries.
pub fn entities(table: &[EntityConfig]) -> Vec<Entity> {
    table
        .iter()
        .map(|e| Entity {
            canonical: e.canonical.clone(),
            variants: e.variants.clone(),
            acronyms: e.acronyms.clone(),
        })
        .collect()
}

impl AliasStage {
    /// Builds the matcher from the table (inline entities plus loaded table files).
    pub fn build(
        config: &AliasesConfig,
        entities: &[EntityConfig],
    ) -> Result<AliasStage, AliasError> {
        let matcher = if config.enabled {
            let entities = self::entities(entities);
            let options = AliasOptions {
                fuzzy: config.fuzzy,
                max_edit_distance: config.max_edit_distance,
                acronym_cues: config.acronym_cues.clone(),
            };
            Some(AliasMatcher::new(&entities, &options)?)
        } else {
            None
        };
        Ok(AliasStage {
            matcher,
            mode: config.mode,
        })
    }

    /// Rewrites (or annotates) one document's paragraphs.
    pub fn apply(&self, doc: &mut Doc) {
        let Some(matcher) = &self.matcher else { return };
        if doc.paragraphs.is_empty() {
            return;
        }
        JOINED.with_borrow_mut(|text| {
            text.clear();
            for (i, p) in doc.paragraphs.iter().enumerate() {
                if i > 0 {
                    text.push_str(SEPARATOR);
                }
                text.push_str(p);
            }
            self.apply_to(matcher, text, doc);
            if text.capacity() > KEEP_JOINED {
                *text = String::new();
            }
        });
    }

    /// The rest of [`apply`](Self::apply), with `text` the document's paragraphs joined.
    fn apply_to(&self, matcher: &AliasMatcher, text: &str, doc: &mut Doc) {
        let mentions = matcher.find(text);
        if mentions.is_empty() {
            return;
        }
        doc.aliases = count_mentions(&mentions)
            .into_iter()
            .map(|c| AliasRecord {
                from: c.from,
                to: c.to,
                count: c.count,
            })
            .collect();
        match self.mode {
            AliasMode::Replace => {
                let replaced = matcher.replace(text, &mentions);
                // Replacements never contain a blank line, so the paragraphs split back exactly.
                let paragraphs: Vec<String> =
                    replaced.split(SEPARATOR).map(str::to_string).collect();
                debug_assert_eq!(paragraphs.len(), doc.paragraphs.len());
                if paragraphs.len() == doc.paragraphs.len() {
                    doc.paragraphs = paragraphs;
                }
            }
            AliasMode::Annotate => {
                let mut starts = Vec::with_capacity(doc.paragraphs.len());
                let mut at = 0;
                for p in &doc.paragraphs {
                    starts.push(at);
                    at += p.len() + SEPARATOR.len();
                }
                for m in mentions
                    .into_iter()
                    .filter(|m| m.kind != MentionKind::Canonical)
                {
                    let paragraph = starts.partition_point(|&s| s <= m.start) - 1;
                    let base = starts[paragraph];
                    doc.mentions.push(ParagraphMention {
                        paragraph,
                        start: m.start - base,
                        end: m.end - base,
                        from: m.from,
                        to: m.to,
                    });
                }
            }
        }
    }
}
