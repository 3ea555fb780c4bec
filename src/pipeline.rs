//! The pipeline: reads inputs, runs the stages in their fixed order, and hands the result to the
//! output writer.
//!
//! Order: read (parallel per file) → decode (per document) → per-source line statistics
//! (barrier) → boilerplate and paragraph split (per document) → aliases (per document) →
//! near-duplicates (barrier) → write. The paragraph split runs before aliases (not after, as a
//! first sketch had it) so that a name broken across a hard-wrapped line is whole when matched.
//! Everything order-dependent is decided by the input ordinal, never by thread scheduling, so the
//! output is byte-identical for any thread count.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;

use crate::config::{Config, EntityConfig};
use crate::doc::Doc;
use crate::input::{self, InputSpec, Rejection, Skipped};
use crate::output::{Report, RunOutput, StageTiming};
use crate::stages::aliases::AliasStage;
use crate::stages::boilerplate::BoilerplateStage;
use crate::stages::decode::DecodeStage;
use crate::stages::dedup::DedupStage;
use crate::stages::line_stats::LineStats;

/// A problem that stops a run before any document is processed.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A stage could not be built from its configuration.
    #[error("cannot build the {stage} stage: {message}")]
    Build {
        /// The stage.
        stage: &'static str,
        /// Why.
        message: String,
    },
}

/// Everything a run needs besides the configuration.
#[derive(Debug, Default)]
pub struct RunOptions {
    /// Inputs; empty means `[input] paths`.
    pub inputs: Vec<InputSpec>,
    /// Entity tables loaded from `[aliases] tables`, added to the inline ones.
    pub extra_entities: Vec<EntityConfig>,
    /// A progress bar to advance per document (hidden when `None`).
    pub progress: Option<ProgressBar>,
}

struct Timer {
    stages: Vec<StageTiming>,
    last: Instant,
}

impl Timer {
    fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.stages.push(StageTiming {
            stage,
            seconds: (now - self.last).as_secs_f64(),
        });
        self.last = now;
    }
}

/// Runs the whole pipeline in memory and returns what the writer needs.
pub fn run(config: &Config, options: RunOptions) -> Result<RunOutput, PipelineError> {
    let start = Instant::now();
    let mut timer = Timer {
        stages: Vec::new(),
        last: start,
    };
    let decode = DecodeStage::build(&config.decode);
    let boilerplate =
        BoilerplateStage::build(&config.boilerplate).map_err(|e| PipelineError::Build {
            stage: "boilerplate",
            message: e.to_string(),
        })?;
    let mut entities = config.aliases.entities.clone();
    entities.extend(options.extra_entities.iter().cloned());
    let aliases =
        AliasStage::build(&config.aliases, &entities).map_err(|e| PipelineError::Build {
            stage: "aliases",
            message: e.to_string(),
        })?;
    let dedup = DedupStage::build(&config.dedup);

    // Read. Files are read in parallel but concatenated in discovery order.
    let inputs = if options.inputs.is_empty() {
        config
            .input
            .paths
            .iter()
            .cloned()
            .map(InputSpec::Path)
            .collect()
    } else {
        options.inputs
    };
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut rejected: Vec<Rejection> = Vec::new();
    let mut raws = Vec::new();
    let mut bytes_in = 0u64;
    let mut files_read = 0usize;
    for spec in &inputs {
        let loaded = match spec {
            InputSpec::Stdin => vec![input::read_stdin(&config.input)],
            InputSpec::Path(p) => {
                let found = input::discover(std::slice::from_ref(p));
                skipped.extend(found.skipped);
                rejected.extend(found.rejected);
                files_read += found.files.len();
                found
                    .files
                    .par_iter()
                    .map(|f| input::read_file(f, &config.input))
                    .collect()
            }
        };
        for l in loaded {
            bytes_in += l.bytes;
            raws.extend(l.docs);
            rejected.extend(l.rejected);
        }
    }
    // Ids name documents in the output and in duplicate links, so they must be unique; a later
    // document reusing an id is rejected rather than silently renamed.
    let mut first_seen: HashMap<String, String> = HashMap::new();
    let mut unique = Vec::with_capacity(raws.len());
    for raw in raws {
        if let Some(first) = first_seen.get(&raw.id) {
            rejected.push(Rejection {
                source: raw.source.clone(),
                line: None,
                offset: None,
                error: format!("duplicate id {:?} (first used by {first})", raw.id),
            });
        } else {
            first_seen.insert(raw.id.clone(), raw.source.clone());
            unique.push(raw);
        }
    }
    let documents_in = unique.len() + rejected.len();
    if let Some(bar) = &options.progress {
        bar.set_length(3 * unique.len() as u64);
    }
    timer.lap("read");

    // Decode, per document.
    let tick = || {
        if let Some(bar) = &options.progress {
            bar.inc(1);
        }
    };
    let decoded: Vec<Result<Doc, Rejection>> = unique
        .into_par_iter()
        .enumerate()
        .map(|(i, raw)| {
            let r = decode.apply(i, raw);
            tick();
            r
        })
        .collect();
    let mut docs = Vec::with_capacity(decoded.len());
    let max_line = config.input.max_line_bytes;
    for d in decoded {
        match d {
            // A single line of megabytes is a dump of markup or data, not an article, and every
            // line-based layer would pay for it: rejected with the line that broke the limit.
            Ok(doc) => match doc.lines.iter().position(|l| l.len() as u64 > max_line) {
                Some(n) => rejected.push(Rejection {
                    source: doc.source,
                    line: None,
                    offset: None,
                    error: format!(
                        "line {} of the text is {} bytes, over max_line_bytes ({max_line})",
                        n + 1,
                        doc.lines[n].len()
                    ),
                }),
                None => docs.push(doc),
            },
            Err(r) => rejected.push(r),
        }
    }
    timer.lap("decode");

    // Per-source line statistics: a barrier, since a template shows only across documents.
    let stats = match boilerplate.corpus_max_words() {
        Some(max_words) => LineStats::collect(&docs, max_words, boilerplate.corpus_min_docs),
        None => LineStats::default(),
    };
    timer.lap("line_stats");

    docs.par_iter_mut().for_each(|doc| {
        boilerplate.apply(doc, &stats);
        tick();
    });
    timer.lap("boilerplate");

    docs.par_iter_mut().for_each(|doc| {
        aliases.apply(doc);
        tick();
    });
    timer.lap("aliases");

    let dedup_outcome = dedup.run(&mut docs);
    timer.lap("dedup");

    let removed_by_reason =
        docs.iter()
            .flat_map(|d| d.removed.iter())
            .fold(BTreeMap::new(), |mut m, r| {
                *m.entry(r.reason.to_string()).or_insert(0u64) += 1;
                m
            });
    let repairs =
        docs.iter()
            .flat_map(|d| d.repairs.iter())
            .fold(BTreeMap::new(), |mut m, (k, v)| {
                *m.entry(k.clone()).or_insert(0u64) += v;
                m
            });
    let aliases_replaced = docs
        .iter()
        .flat_map(|d| d.aliases.iter())
        .map(|a| a.count)
        .sum();
    let report = Report {
        files_read,
        skipped,
        documents_in,
        bytes_in,
        removed_by_reason,
        repairs,
        aliases_replaced,
        dedup: dedup_outcome.summary,
        stages: timer.stages,
        seconds: start.elapsed().as_secs_f64(),
        ..Report::default()
    };
    Ok(RunOutput {
        docs,
        rejected,
        clusters: dedup_outcome.clusters,
        report,
        dedup_action: config.dedup.action,
        alias_mode: config.aliases.mode,
    })
}

/// The output folder a run writes to: the command line's, else `[output] dir`.
pub fn output_dir(config: &Config, cli: Option<PathBuf>) -> PathBuf {
    cli.unwrap_or_else(|| config.output.dir.clone())
}
