//! The boilerplate stage: builds [`Rules`] from `[boilerplate]` and applies them to a document's
//! lines, recording every removal with its layer as the reason.

use std::cell::RefCell;

use crate::boilerplate::{clean_lines_with, Cleaned, RuleSpec, Rules, Scratch};
use crate::config::BoilerplateConfig;
use crate::doc::{Doc, Removed};
use crate::paragraphs;
use crate::stages::line_stats::LineStats;

thread_local! {
    /// This thread's working state for the classifier. Documents reach the stage one at a time
    /// from whichever worker thread takes them, so the state is kept per thread, not per call:
    /// making it costs more than classifying a short document.
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
}

/// The built boilerplate stage.
#[derive(Debug)]
pub struct BoilerplateStage {
    rules: Option<Rules>,
    /// Documents of one source a template line must occur in.
    pub corpus_min_docs: usize,
}

/// The classifier's inputs from the `[boilerplate]` table.
pub fn rule_spec(c: &BoilerplateConfig) -> RuleSpec<'_> {
    RuleSpec {
        phrases: &c.phrases,
        prefixes: &c.prefixes,
        max_prefix_words: c.max_prefix_words,
        wire_credits: &c.wire_credits,
        patterns: &c.patterns,
        trailing: &c.trailing,
        repeats: c.repeats,
        caption_patterns: &c.caption_patterns,
        corpus_max_words: c.corpus_max_words,
        edges: c.edges,
        edge_max_words: c.edge_max_words,
    }
}

impl BoilerplateStage {
    /// Builds the stage; regular expressions were checked by validation.
    pub fn build(c: &BoilerplateConfig) -> Result<BoilerplateStage, regex::Error> {
        let rules = if c.enabled {
            Some(Rules::new(&rule_spec(c))?)
        } else {
            None
        };
        Ok(BoilerplateStage {
            rules,
            corpus_min_docs: c.corpus_min_docs,
        })
    }

    /// The longest line the per-source statistics need to count, or `None` when the pass is off.
    pub fn corpus_max_words(&self) -> Option<usize> {
        self.rules.as_ref().map(Rules::corpus_max_words)
    }

    /// Classifies the lines of one document of `site` exactly as [`apply`](Self::apply) does,
    /// without touching a document: `None` when the pass is off. The evaluation command uses
    /// this to score each line against gold labels.
    pub fn classify<'a>(
        &self,
        lines: &[&'a str],
        site: &str,
        stats: &LineStats,
    ) -> Option<Cleaned<'a>> {
        let rules = self.rules.as_ref()?;
        let is_template = stats.templates_of(site);
        Some(SCRATCH.with_borrow_mut(|slot| {
            // A scratch left by another stage (another configuration in this process) is
            // replaced.
            if !slot.as_ref().is_some_and(|s| s.fits(rules)) {
                *slot = Some(rules.scratch());
            }
            let scratch = slot.as_mut().expect("set just above");
            clean_lines_with(lines, rules, scratch, &is_template)
        }))
    }

    /// Removes boilerplate lines and cuts the rest into paragraphs (the paragraph split needs
    /// to know where lines were removed, so the two run together).
    pub fn apply(&self, doc: &mut Doc, stats: &LineStats) {
        let text = std::mem::take(&mut doc.text);
        let refs: Vec<&str> = text.lines().collect();
        match self.classify(&refs, &doc.site, stats) {
            Some(cleaned) => {
                doc.removed
                    .extend(cleaned.removals.into_iter().map(|r| Removed {
                        text: r.text,
                        reason: r.reason.as_str().into(),
                        rule: r.rule,
                    }));
                doc.paragraphs = paragraphs::split(&cleaned.lines);
            }
            None => {
                let kept: Vec<Option<&str>> = refs.into_iter().map(Some).collect();
                doc.paragraphs = paragraphs::split(&kept);
            }
        }
    }
}
