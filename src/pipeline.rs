//! The pipeline: reads inputs, runs the stages in their fixed order, and hands the result to the
//! output writer.
//!
//! Order: read (parallel per file, and per chunk of a large JSONL file) → decode (per document)
//! → per-source line statistics (barrier) → boilerplate and paragraph split (per document) →
//! aliases (per document) → near-duplicates (barrier) → write. The paragraph split runs before
//! aliases (not after, as a first sketch had it) so that a name broken across a hard-wrapped line
//! is whole when matched. Everything order-dependent is decided by the input ordinal, never by
//! thread scheduling, so the output is byte-identical for any thread count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::iter::Either;
use rayon::prelude::*;

use crate::config::{Config, EntityConfig};
use crate::doc::Doc;
use crate::input::{self, InputSpec, Rejection, Skipped};
use crate::output::{Report, RunOutput, StageTiming};
use crate::spill::{self, IndexMeta};
use crate::stages::aliases::AliasStage;
use crate::stages::boilerplate::BoilerplateStage;
use crate::stages::decode::DecodeStage;
use crate::stages::dedup::{DedupStage, MemoryBulk, Signed};
use crate::stages::line_stats::LineStats;
use serde::{Deserialize, Serialize};

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
    /// The index of `--against` (or the one being written) could not be read or written.
    #[error("{0}")]
    Index(#[from] std::io::Error),
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
    /// An earlier output folder with an index: its kept documents and paragraphs are compared
    /// with, and win over, this run's (`copydesk run --against`).
    pub against: Option<PathBuf>,
    /// The output folder, when `[output] index` asks for an index in it.
    pub index_in: Option<PathBuf>,
}

/// Wall-clock time per stage, for the report.
#[derive(Debug)]
pub struct Timer {
    pub(crate) stages: Vec<StageTiming>,
    pub(crate) start: Instant,
    pub(crate) last: Instant,
}

impl Timer {
    /// Starts timing now.
    pub fn start() -> Timer {
        let now = Instant::now();
        Timer {
            stages: Vec::new(),
            start: now,
            last: now,
        }
    }

    /// Closes the current stage.
    pub fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.stages.push(StageTiming {
            stage,
            seconds: (now - self.last).as_secs_f64(),
        });
        self.last = now;
    }
}

/// Every stage, built once from the validated configuration.
#[derive(Debug)]
pub struct Stages {
    decode: DecodeStage,
    boilerplate: BoilerplateStage,
    aliases: AliasStage,
    pub(crate) dedup: DedupStage,
    max_line: u64,
    pub(crate) dedup_action: crate::config::DedupAction,
    pub(crate) alias_mode: crate::config::AliasMode,
}

impl Stages {
    /// Builds every stage; `extra_entities` are the entity tables loaded from files.
    pub fn build(
        config: &Config,
        extra_entities: &[EntityConfig],
    ) -> Result<Stages, PipelineError> {
        let boilerplate =
            BoilerplateStage::build(&config.boilerplate).map_err(|e| PipelineError::Build {
                stage: "boilerplate",
                message: e.to_string(),
            })?;
        let mut entities = config.aliases.entities.clone();
        entities.extend(extra_entities.iter().cloned());
        let aliases =
            AliasStage::build(&config.aliases, &entities).map_err(|e| PipelineError::Build {
                stage: "aliases",
                message: e.to_string(),
            })?;
        Ok(Stages {
            decode: DecodeStage::build(&config.decode),
            boilerplate,
            aliases,
            dedup: DedupStage::build(&config.dedup),
            max_line: config.input.max_line_bytes,
            dedup_action: config.dedup.action,
            alias_mode: config.aliases.mode,
        })
    }
}

/// A share of the corpus between the per-document stages: what one task of a staged run (or
/// the whole of a local run) read and decoded. Everything in it is in input order.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Part {
    /// Decoded (later cleaned) documents.
    pub docs: Vec<Doc>,
    /// Inputs that could not be found, listed or read.
    pub read_rejected: Vec<Rejection>,
    /// Documents whose bytes could not be decoded or broke a line limit.
    pub decode_rejected: Vec<Rejection>,
    /// Files of kinds copydesk does not read.
    pub skipped: Vec<Skipped>,
    /// Input bytes after decompression.
    pub bytes_in: u64,
    /// Files read.
    pub files_read: usize,
    /// Documents read before decoding.
    pub raw_docs: usize,
}

/// The paths to read: those among `inputs` (standard input aside), else `[input] paths`.
pub fn input_paths(config: &Config, inputs: &[InputSpec]) -> Vec<PathBuf> {
    if inputs.is_empty() {
        return config.input.paths.clone();
    }
    inputs
        .iter()
        .filter_map(|s| match s {
            InputSpec::Path(p) => Some(p.clone()),
            InputSpec::Stdin => None,
        })
        .collect()
}

/// Finds the files under every input path: discovery problems and skipped files first, then
/// the files in order. A staged run gives the problems to task 0 and splits the files.
pub fn discover(paths: &[PathBuf]) -> input::Discovery {
    let mut all = input::Discovery::default();
    for p in paths {
        let found = input::discover(std::slice::from_ref(p));
        all.files.extend(found.files);
        all.skipped.extend(found.skipped);
        all.rejected.extend(found.rejected);
    }
    all
}

/// Reads `files` (in parallel, results in order) and decodes every document, in parallel too.
pub fn read_and_decode(
    stages: &Stages,
    config: &Config,
    files: &[input::InputFile],
    stdin: bool,
    tick: &(dyn Fn() + Sync),
) -> Part {
    let mut part = decode_loaded(stages, read_files(config, files, stdin), tick);
    part.files_read = files.len();
    part
}

/// Reads `files` (in parallel, results in order), then standard input when `stdin`.
pub fn read_files(config: &Config, files: &[input::InputFile], stdin: bool) -> Vec<input::Loaded> {
    let mut loaded: Vec<input::Loaded> = files
        .par_iter()
        .map(|f| input::read_file(f, &config.input))
        .collect();
    if stdin {
        loaded.push(input::read_stdin(&config.input));
    }
    loaded
}

/// Decodes every document of `loaded` (from [`read_files`]), in parallel; the caller sets
/// `files_read`.
pub fn decode_loaded(
    stages: &Stages,
    loaded: Vec<input::Loaded>,
    tick: &(dyn Fn() + Sync),
) -> Part {
    let mut part = Part::default();
    let mut raws = Vec::new();
    for l in loaded {
        part.bytes_in += l.bytes;
        // One file (the common case of one large JSONL) hands over its documents unmoved.
        if raws.is_empty() {
            raws = l.docs;
        } else {
            raws.extend(l.docs);
        }
        part.read_rejected.extend(l.rejected);
    }
    part.raw_docs = raws.len();
    // The line limit is checked beside decoding, so the documents are sorted from the rejected
    // in parallel too (rayon keeps the input order of both).
    (part.docs, part.decode_rejected) = raws
        .into_par_iter()
        .enumerate()
        .map(|(i, raw)| {
            let r = stages
                .decode
                .apply(i, raw)
                .and_then(|doc| within_line_limit(doc, stages.max_line));
            tick();
            r
        })
        .partition_map(|r| match r {
            Ok(doc) => Either::Left(doc),
            Err(rejection) => Either::Right(rejection),
        });
    part
}

/// A decoded document, or its rejection if one of its lines is longer than `max_line`. A single
/// line of megabytes is a dump of markup or data, not an article, and every line-based layer
/// would pay for it: rejected with the line that broke the limit.
fn within_line_limit(doc: Doc, max_line: u64) -> Result<Doc, Rejection> {
    match doc
        .lines()
        .enumerate()
        .find(|(_, l)| l.len() as u64 > max_line)
        .map(|(n, l)| (n, l.len()))
    {
        Some((n, len)) => Err(Rejection::file(
            doc.source,
            format!(
                "line {} of the text is {len} bytes, over max_line_bytes ({max_line})",
                n + 1,
            ),
        )),
        None => Ok(doc),
    }
}

/// Per-source line statistics of one part; parts are merged before the boilerplate stage.
pub fn line_stats(stages: &Stages, docs: &[Doc]) -> LineStats {
    collect_line_stats(stages, docs, LineStats::collect)
}

/// Line statistics of the whole corpus, pruned to its templates (see
/// [`LineStats::collect_pruned`]).
fn corpus_line_stats(stages: &Stages, docs: &[Doc]) -> LineStats {
    collect_line_stats(stages, docs, LineStats::collect_pruned)
}

/// `collect(docs, max_words, min_docs)` when the source-template layer is on, else nothing.
fn collect_line_stats(
    stages: &Stages,
    docs: &[Doc],
    collect: fn(&[Doc], usize, usize) -> LineStats,
) -> LineStats {
    match stages.boilerplate.corpus_max_words() {
        Some(max_words) => collect(docs, max_words, stages.boilerplate.corpus_min_docs),
        None => LineStats::default(),
    }
}

/// The per-document stages after the statistics barrier: boilerplate with the paragraph split,
/// then aliases, timed together as `clean`.
///
/// Both run on a document before the next is taken: its text is still in the cache when the
/// aliases read it, and there is one wait for the slowest thread instead of two (6 ms of the
/// 75 MB corpus's 0.78 s, docs/dedup.md).
pub fn clean(
    stages: &Stages,
    docs: &mut [Doc],
    stats: &LineStats,
    timer: &mut Timer,
    tick: &(dyn Fn() + Sync),
) {
    docs.par_iter_mut().for_each(|doc| {
        stages.boilerplate.apply(doc, stats);
        stages.aliases.apply(doc);
        tick();
    });
    timer.lap("clean");
}

/// Report figures summed over the documents as they pass on their way out.
#[derive(Debug, Default)]
pub struct Tally {
    removed_by_reason: BTreeMap<String, u64>,
    repairs: BTreeMap<String, u64>,
    aliases_replaced: u64,
}

impl Tally {
    /// Counts `docs`.
    pub fn add(&mut self, docs: &[Doc]) {
        // A name is allocated only the first time it is counted: there are a few reasons and
        // repair kinds, and hundreds of thousands of removed lines and repairs. Shares of the
        // documents are counted in parallel and the (small) maps merged.
        fn count(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
            match map.get_mut(key) {
                Some(v) => *v += n,
                None => {
                    map.insert(key.to_string(), n);
                }
            }
        }
        let merge = |mut a: Tally, b: Tally| {
            for (k, v) in b.removed_by_reason {
                count(&mut a.removed_by_reason, &k, v);
            }
            for (k, v) in b.repairs {
                count(&mut a.repairs, &k, v);
            }
            a.aliases_replaced += b.aliases_replaced;
            a
        };
        let share = docs
            .par_iter()
            .fold(Tally::default, |mut t, d| {
                for r in &d.removed {
                    count(&mut t.removed_by_reason, &r.reason, 1);
                }
                for (k, v) in &d.repairs {
                    count(&mut t.repairs, k, *v);
                }
                t.aliases_replaced += d.aliases.iter().map(|a| a.count).sum::<u64>();
                t
            })
            .reduce(Tally::default, merge);
        *self = merge(std::mem::take(self), share);
    }
}

/// What the parts say besides their documents, gathered in input order.
#[derive(Debug, Default)]
pub struct Totals {
    read_rejected: Vec<Rejection>,
    decode_rejected: Vec<Rejection>,
    skipped: Vec<Skipped>,
    bytes_in: u64,
    files_read: usize,
    raw_docs: usize,
}

impl Totals {
    /// Takes everything but the documents out of `part`.
    pub fn take(&mut self, part: &mut Part) {
        self.read_rejected.append(&mut part.read_rejected);
        self.decode_rejected.append(&mut part.decode_rejected);
        self.skipped.append(&mut part.skipped);
        self.bytes_in += part.bytes_in;
        self.files_read += part.files_read;
        self.raw_docs += part.raw_docs;
    }

    /// The report (without the document counts, which the writer adds) and the rejected list:
    /// unreadable inputs, then undecodable documents, then reused ids.
    pub fn report(
        self,
        id_rejections: Vec<Rejection>,
        tally: Tally,
        dedup: crate::output::DedupSummary,
        timer: Timer,
    ) -> (Report, Vec<Rejection>) {
        let documents_in = self.raw_docs + self.read_rejected.len();
        let mut rejected = self.read_rejected;
        rejected.extend(self.decode_rejected);
        rejected.extend(id_rejections);
        let report = Report {
            files_read: self.files_read,
            skipped: self.skipped,
            documents_in,
            bytes_in: self.bytes_in,
            removed_by_reason: tally.removed_by_reason,
            repairs: tally.repairs,
            aliases_replaced: tally.aliases_replaced,
            dedup,
            stages: timer.stages,
            seconds: timer.start.elapsed().as_secs_f64(),
            ..Report::default()
        };
        (report, rejected)
    }
}

/// The corpus-wide end, in memory: signs the parts, checks ids and numbers the documents, runs
/// the near-duplicate barrier and sums up the report. The out-of-core finish
/// (`staged`) runs the same steps with the parts and their signatures on disk.
pub fn finish(
    stages: &Stages,
    mut parts: Vec<Part>,
    against: &[Signed],
    mut timer: Timer,
) -> RunOutput {
    let (metas, bulks): (Vec<_>, Vec<_>) = against
        .iter()
        .cloned()
        .chain(
            parts
                .iter_mut()
                .map(|p| stages.dedup.sign_lending(&mut p.docs)),
        )
        .map(|s| (s.meta, s.bulk))
        .unzip();
    let mut bulk = MemoryBulk {
        parts: bulks,
        bands: stages.dedup.bands(),
        shingle_size: stages.dedup.shingle_size(),
    };
    let settled = stages
        .dedup
        .settle(metas, against.len(), &mut bulk, u64::MAX)
        .expect("signatures held in memory cannot fail to read");
    // The documents' paragraphs were lent to the signed shares (after the index's).
    for (part, signed) in parts
        .iter_mut()
        .zip(bulk.parts.into_iter().skip(against.len()))
    {
        signed.text.give_back(&mut part.docs);
    }
    let mut totals = Totals::default();
    let mut tally = Tally::default();
    let mut docs = Vec::new();
    for (i, mut part) in parts.into_iter().enumerate() {
        totals.take(&mut part);
        let applied = settled.apply(i, part.docs);
        tally.add(&applied);
        // One part (an in-memory run) is handed over whole, not moved document by document.
        if docs.is_empty() {
            docs = applied;
        } else {
            docs.extend(applied);
        }
    }
    timer.lap("dedup");
    let clusters = settled.cluster_records().collect();
    let (report, rejected) = totals.report(
        settled.id_rejections,
        tally,
        settled.decisions.summary,
        timer,
    );
    RunOutput {
        docs,
        rejected,
        clusters,
        report,
        dedup_action: stages.dedup_action,
        alias_mode: stages.alias_mode,
        index: None,
    }
}

/// The index of an earlier output (`--against`), checked against this configuration.
pub fn open_index(config: &Config, out: &Path) -> std::io::Result<IndexMeta> {
    let meta = spill::read_index(out)?;
    if meta.dedup != dedup_fingerprint(config) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{}: the index was signed with another [dedup] configuration; its signatures \
                 cannot be compared with this run's",
                out.join("index").display()
            ),
        ));
    }
    Ok(meta)
}

/// What decides whether two indexes' signatures compare: the `[dedup]` table.
pub fn dedup_fingerprint(config: &Config) -> String {
    let text = toml::to_string(&config.dedup).unwrap_or_default();
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// An output's index being written (`[output] index`): the earlier index's shares carried
/// over, then one share per batch of this run's kept documents, each with only its kept
/// paragraphs and signed completely.
#[derive(Debug)]
pub struct IndexBuilder {
    dir: PathBuf,
    shares: usize,
    dedup: String,
}

impl IndexBuilder {
    /// Starts `out/.index.tmp`, carrying the shares of `against` first.
    pub fn start(
        config: &Config,
        out: &Path,
        against: Option<(&Path, &IndexMeta)>,
    ) -> std::io::Result<IndexBuilder> {
        let dir = out.join(".index.tmp");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let mut shares = 0;
        if let Some((prev, meta)) = against {
            spill::carry_index(&prev.join("index"), &dir, meta.shares)?;
            shares = meta.shares;
        }
        Ok(IndexBuilder {
            dir,
            shares,
            dedup: dedup_fingerprint(config),
        })
    }

    /// Adds the documents of `docs` that are written to documents.jsonl.
    pub fn add(&mut self, stages: &Stages, docs: &[Doc]) -> std::io::Result<()> {
        let kept: Vec<Doc> = docs
            .iter()
            .filter(|d| crate::output::drop_reason(d, stages.dedup_action).is_none())
            .map(|d| Doc {
                id: d.id.clone(),
                source: d.source.clone(),
                site: d.site.clone(),
                paragraphs: d
                    .paragraphs
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| d.dropped_paragraphs.binary_search(i).is_err())
                    .map(|(_, p)| p.clone())
                    .collect(),
                ..Doc::default()
            })
            .collect();
        let signed = stages.dedup.sign_complete(&kept);
        spill::write_signed(&self.dir, self.shares, &signed, true)?;
        self.shares += 1;
        Ok(())
    }

    /// Writes `index.json`; the folder is ready for the writer to rename into place.
    pub fn finish(self) -> std::io::Result<PathBuf> {
        spill::write_index_meta(
            &self.dir,
            &IndexMeta {
                shares: self.shares,
                dedup: self.dedup,
            },
        )?;
        Ok(self.dir)
    }
}

/// Reads the shares of an earlier run's index into memory.
pub fn load_index(out: &Path, meta: &IndexMeta) -> std::io::Result<Vec<Signed>> {
    (0..meta.shares)
        .map(|t| spill::read_signed(&out.join("index"), t))
        .collect()
}

/// Runs the whole pipeline in memory and returns what the writer needs. A staged run
/// (`copydesk stage`) calls the same phases, one share of the files per task.
pub fn run(config: &Config, options: RunOptions) -> Result<RunOutput, PipelineError> {
    let mut timer = Timer::start();
    let stdin = options.inputs.contains(&InputSpec::Stdin);
    let paths = input_paths(config, &options.inputs);
    let found = discover(&paths);
    if let Some(bar) = &options.progress {
        bar.set_length(0);
    }
    let tick = || {
        if let Some(bar) = &options.progress {
            bar.inc(1);
        }
    };
    // The stages (automata, expressions, the LSH choice: milliseconds) are built while the
    // files are read: reading a large file is one thread's work before it is parsed.
    let (stages, loaded) = rayon::join(
        || Stages::build(config, &options.extra_entities),
        || read_files(config, &found.files, stdin),
    );
    let stages = stages?;
    let mut part = decode_loaded(&stages, loaded, &tick);
    part.files_read = found.files.len();
    part.read_rejected.splice(0..0, found.rejected);
    part.skipped = found.skipped;
    if let Some(bar) = &options.progress {
        // One tick per document as it is decoded, one as it is cleaned (`clean`).
        bar.set_length(2 * part.raw_docs as u64);
        bar.set_position(part.raw_docs as u64);
    }
    timer.lap("read+decode");
    let stats = corpus_line_stats(&stages, &part.docs);
    timer.lap("line_stats");
    clean(&stages, &mut part.docs, &stats, &mut timer, &tick);
    let (against, against_meta) = match &options.against {
        Some(prev) => {
            let meta = open_index(config, prev)?;
            (load_index(prev, &meta)?, Some((prev.as_path(), meta)))
        }
        None => (Vec::new(), None),
    };
    let mut out = finish(&stages, vec![part], &against, timer);
    if let Some(dir) = &options.index_in {
        let mut index =
            IndexBuilder::start(config, dir, against_meta.as_ref().map(|(p, m)| (*p, m)))?;
        index.add(&stages, &out.docs)?;
        out.index = Some(index.finish()?);
    }
    Ok(out)
}

/// The output folder a run writes to: the command line's, else `[output] dir`.
pub fn output_dir(config: &Config, cli: Option<PathBuf>) -> PathBuf {
    cli.unwrap_or_else(|| config.output.dir.clone())
}
