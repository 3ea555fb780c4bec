//! Staged runs: the phases of [`pipeline::run`], one share of the input files per task,
//! exchanging files in a work folder, so a run can be split across processes or cluster nodes,
//! run past the machine's memory, and resumed after a failure.
//!
//! A plan (`plan.json`: the resolved configuration, the entity tables, the inputs, the number of
//! tasks and the output folder) fixes everything once. Then three stages: **prepare** (task `i`
//! reads and decodes its contiguous share of the files and counts its line statistics),
//! **clean** (each task merges every task's statistics, the barrier, reads and decodes its
//! share again, runs boilerplate, paragraphs and aliases on it, and signs it for the near-duplicate pass: see
//! `spill`), and **finish** (one task: the near-duplicate barrier over the signatures on disk,
//! then the shares streamed one at a time through the decisions into the output). Every task
//! writes under a temporary name and renames, and its last file is its completion marker:
//! rerunning a finished task does nothing, so a rerun of the whole chain redoes only what did
//! not finish. Because the phases are the ones a local run calls, on the shares in input order,
//! the output is byte for byte the local run's.
//!
//! Memory: a prepare or clean task holds its share; the finish task holds one share at a time
//! plus the barrier's compact columns (see `stages::dedup`). [`run_local`] is `copydesk run`
//! past its memory budget: the same chain, in one process, shares sized to the budget.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Config, EntityConfig};
use crate::output::{self, Report};
use crate::pipeline::{self, Part, PipelineError, Stages, Tally, Timer, Totals};
use crate::spill;
use crate::stages::line_stats::LineStats;

/// Everything a staged run is fixed to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// The resolved configuration, as TOML.
    pub config: String,
    /// Entity tables loaded from `[aliases] tables` when the plan was made.
    pub entities: Vec<EntityConfig>,
    /// Input files and folders.
    pub inputs: Vec<PathBuf>,
    /// Tasks of the prepare and clean stages.
    pub tasks: usize,
    /// The output folder the finish task writes.
    pub output: PathBuf,
    /// An earlier output folder whose index this run is deduplicated against.
    #[serde(default)]
    pub against: Option<PathBuf>,
}

/// The stages that run as tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Read and decode a share of the files; count line statistics.
    Prepare,
    /// Boilerplate, paragraphs and aliases on a share, with the merged statistics.
    Clean,
    /// Near-duplicates and output (one task).
    Finish,
}

impl Stage {
    /// The stage's name on the command line and in the work folder.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Prepare => "prepare",
            Stage::Clean => "clean",
            Stage::Finish => "finish",
        }
    }
}

/// Why a task could not run.
#[derive(Debug, thiserror::Error)]
pub enum StagedError {
    /// Reading or writing the work folder or the output.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A file of the work folder is not what this version of copydesk wrote.
    #[error("{path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The plan's configuration no longer validates.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// A stage could not be built.
    #[error("{0}")]
    Pipeline(#[from] PipelineError),
    /// A task was asked for before the tasks it needs finished, or out of range.
    #[error("{0}")]
    NotReady(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StagedError + '_ {
    move |source| StagedError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `value` as JSON under a temporary name, then renames it into place.
fn write_json(path: &Path, value: &impl Serialize) -> Result<(), StagedError> {
    spill::write_file(path, |w| {
        serde_json::to_writer(w, value).map_err(io::Error::from)
    })
    .map_err(io_err(path))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, StagedError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    serde_json::from_slice(&bytes).map_err(|e| StagedError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn task_file(work: &Path, stage: Stage, task: usize, suffix: &str) -> PathBuf {
    work.join(stage.name())
        .join(format!("{task:05}{suffix}.json"))
}

/// A share of documents: JSON through zstd (level 1: fast, and a quarter of the bytes).
fn part_file(work: &Path, stage: Stage, task: usize) -> PathBuf {
    work.join(stage.name()).join(format!("{task:05}.part.zst"))
}

/// Documents rendered (or parsed) in parallel per batch of this many, so a share's JSON is
/// never all in memory twice.
const PART_BATCH: usize = 4096;

/// Writes a share: a first line with everything but the documents, then one document per line
/// (JSON strings cannot hold a raw newline), rendered in parallel.
fn write_part(path: &Path, part: &Part) -> Result<(), StagedError> {
    use rayon::prelude::*;
    let head = Part {
        docs: Vec::new(),
        read_rejected: part.read_rejected.clone(),
        decode_rejected: part.decode_rejected.clone(),
        skipped: part.skipped.clone(),
        bytes_in: part.bytes_in,
        files_read: part.files_read,
        raw_docs: part.raw_docs,
    };
    spill::write_file(path, |w| {
        let mut z = zstd::stream::write::Encoder::new(w, 1)?;
        serde_json::to_writer(&mut z, &head)?;
        z.write_all(b"\n")?;
        for batch in part.docs.chunks(PART_BATCH) {
            let lines: Vec<Vec<u8>> = batch
                .par_iter()
                .map(|d| {
                    let mut line = serde_json::to_vec(d)?;
                    line.push(b'\n');
                    Ok(line)
                })
                .collect::<Result<_, serde_json::Error>>()?;
            for line in lines {
                z.write_all(&line)?;
            }
        }
        z.finish().map(drop)
    })
    .map_err(io_err(path))
}

fn read_part(path: &Path) -> Result<Part, StagedError> {
    use rayon::prelude::*;
    let corrupt = |message: String| StagedError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let file = fs::File::open(path).map_err(io_err(path))?;
    let bytes = zstd::decode_all(io::BufReader::new(file)).map_err(io_err(path))?;
    let mut lines = bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty());
    let head = lines
        .next()
        .ok_or_else(|| corrupt("empty share file".into()))?;
    let mut part: Part = serde_json::from_slice(head).map_err(|e| corrupt(e.to_string()))?;
    let lines: Vec<&[u8]> = lines.collect();
    for batch in lines.chunks(PART_BATCH) {
        let docs: Vec<crate::doc::Doc> = batch
            .par_iter()
            .map(|l| serde_json::from_slice(l))
            .collect::<Result<_, _>>()
            .map_err(|e| corrupt(e.to_string()))?;
        part.docs.extend(docs);
    }
    Ok(part)
}

/// Where the finish task leaves its marker.
fn finish_marker(work: &Path) -> PathBuf {
    work.join("finish").join("done.json")
}

/// Writes the plan of a staged run into `work`.
pub fn write_plan(work: &Path, plan: &Plan) -> Result<(), StagedError> {
    write_json(&work.join("plan.json"), plan)
}

/// Reads the plan and validates its configuration again.
pub fn read_plan(work: &Path) -> Result<(Plan, Config), StagedError> {
    let plan: Plan = read_json(&work.join("plan.json"))?;
    let config = Config::from_toml(&plan.config, &work.join("plan.json").display().to_string())?;
    Ok((plan, config))
}

/// What a task did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskOutcome {
    /// It ran and wrote its output.
    Done,
    /// Its output was already there (a rerun or a retry): nothing to do.
    AlreadyDone,
}

/// The file whose presence says a task finished: written last by the task.
fn marker(work: &Path, stage: Stage, task: usize) -> PathBuf {
    match stage {
        Stage::Prepare => task_file(work, stage, task, ".stats"),
        Stage::Clean => part_file(work, stage, task),
        Stage::Finish => finish_marker(work),
    }
}

/// Runs one task of one stage. Idempotent: a task whose output exists is not run again.
pub fn run_task(work: &Path, stage: Stage, task: usize) -> Result<TaskOutcome, StagedError> {
    run_task_timed(work, stage, task, Timer::start()).map(|(outcome, _)| outcome)
}

/// [`run_task`] with the timer of the whole run; a finish task that ran returns its report.
fn run_task_timed(
    work: &Path,
    stage: Stage,
    task: usize,
    mut timer: Timer,
) -> Result<(TaskOutcome, Option<Report>), StagedError> {
    let (plan, config) = read_plan(work)?;
    let n = plan.tasks.max(1);
    if stage != Stage::Finish && task >= n {
        return Err(StagedError::NotReady(format!(
            "task {task} is out of range: the plan has {n} tasks (0..{})",
            n - 1
        )));
    }
    if marker(work, stage, task).exists() {
        return Ok((TaskOutcome::AlreadyDone, None));
    }
    let stages = Stages::build(&config, &plan.entities)?;
    let no_tick = || {};
    match stage {
        Stage::Prepare => {
            let part = read_share(&plan, &config, &stages, task, n);
            let stats = pipeline::line_stats(&stages, &part.docs);
            write_json(&marker(work, stage, task), &stats)?;
        }
        Stage::Clean => {
            let stats = merged_stats(work, n)?;
            // The share is read and decoded again rather than kept from the prepare task:
            // decoding runs at hundreds of MB/s, faster than writing and parsing the decoded
            // share, and it gives the same documents.
            let mut part = read_share(&plan, &config, &stages, task, n);
            pipeline::clean(&stages, &mut part.docs, &stats, &mut timer, &no_tick);
            let signed = stages.dedup.sign(&part.docs);
            let sign_dir = work.join("sign");
            spill::write_signed(&sign_dir, task, &signed, false).map_err(io_err(&sign_dir))?;
            drop(signed);
            write_part(&marker(work, stage, task), &part)?;
        }
        Stage::Finish => {
            for t in 0..n {
                if !marker(work, Stage::Clean, t).exists() {
                    return Err(StagedError::NotReady(format!(
                        "clean task {t} has not finished"
                    )));
                }
            }
            let report = finish(work, &plan, &config, &stages, n, timer)?;
            write_json(&marker(work, stage, task), &report)?;
            return Ok((TaskOutcome::Done, Some(report)));
        }
    }
    Ok((TaskOutcome::Done, None))
}

/// The line statistics of the whole corpus, pruned to its templates: merged from every prepare
/// task's once, by the first clean task that needs them, and kept in the work folder for the
/// others (concurrent clean tasks may both merge; they write the same bytes). Merging in every
/// task read every share's counts in every task, and held them all beside the share.
fn merged_stats(work: &Path, n: usize) -> Result<LineStats, StagedError> {
    let path = work.join("prepare").join("merged.stats.json");
    if path.exists() {
        return read_json(&path);
    }
    let mut stats = LineStats::default();
    for t in 0..n {
        let share = marker(work, Stage::Prepare, t);
        if !share.exists() {
            return Err(StagedError::NotReady(format!(
                "prepare task {t} has not finished"
            )));
        }
        stats.merge(read_json(&share)?);
    }
    stats.prune();
    write_json(&path, &stats)?;
    Ok(stats)
}

/// Reads and decodes share `task` of `n`: a contiguous run of the input files.
fn read_share(plan: &Plan, config: &Config, stages: &Stages, task: usize, n: usize) -> Part {
    let found = pipeline::discover(&plan.inputs);
    let files = &found.files[task * found.files.len() / n..(task + 1) * found.files.len() / n];
    let mut part = pipeline::read_and_decode(stages, config, files, false, &|| {});
    // Problems found while listing the inputs belong to the first share, as in a local run
    // they come before every file's own.
    if task == 0 {
        part.read_rejected.splice(0..0, found.rejected);
        part.skipped = found.skipped;
    }
    part
}

/// The finish task: the near-duplicate barrier over the signed shares on disk, then every
/// cleaned share in turn through the decisions into the output folder.
fn finish(
    work: &Path,
    plan: &Plan,
    config: &Config,
    stages: &Stages,
    n: usize,
    mut timer: Timer,
) -> Result<Report, StagedError> {
    let sign_dir = work.join("sign");
    let scratch = work.join("finish");
    // An earlier run's index comes first: its shares are compared, and kept, before ours.
    let against = match &plan.against {
        Some(prev) => Some((
            prev.as_path(),
            pipeline::open_index(config, prev).map_err(io_err(prev))?,
        )),
        None => None,
    };
    let previous = against.as_ref().map_or(0, |(_, m)| m.shares);
    let mut shares: Vec<(PathBuf, usize)> = Vec::new();
    if let Some((prev, _)) = &against {
        shares.extend((0..previous).map(|t| (prev.join("index"), t)));
    }
    shares.extend((0..n).map(|t| (sign_dir.clone(), t)));
    let metas = shares
        .iter()
        .map(|(dir, t)| spill::read_meta(dir, *t))
        .collect::<io::Result<Vec<_>>>()
        .map_err(io_err(&sign_dir))?;
    let mut bulk = spill::DiskBulk::open(&shares, &scratch, &metas, stages.dedup.bands())
        .map_err(io_err(&sign_dir))?;
    let settled = stages
        .dedup
        .settle(metas, previous, &mut bulk, config.run.budget())
        .map_err(io_err(&sign_dir))?;
    drop(bulk);
    timer.lap("dedup");
    let out_err = io_err(&plan.output);
    let mut writer = output::Writer::create(
        &plan.output,
        &config.output,
        stages.dedup_action,
        stages.alias_mode,
    )
    .map_err(io_err(&plan.output))?;
    let mut index = if config.output.index {
        Some(
            pipeline::IndexBuilder::start(
                config,
                &plan.output,
                against.as_ref().map(|(p, m)| (*p, m)),
            )
            .map_err(io_err(&plan.output))?,
        )
    } else {
        None
    };
    let mut totals = Totals::default();
    let mut tally = Tally::default();
    for t in 0..n {
        let mut part = read_part(&part_file(work, Stage::Clean, t))?;
        totals.take(&mut part);
        let docs = settled.apply(t, part.docs);
        tally.add(&docs);
        writer.documents(&docs).map_err(io_err(&plan.output))?;
        if let Some(index) = &mut index {
            index.add(stages, &docs).map_err(io_err(&plan.output))?;
        }
    }
    if let Some(index) = index {
        writer.index = Some(index.finish().map_err(io_err(&plan.output))?);
    }
    timer.lap("write");
    let summary = settled.decisions.summary.clone();
    let (mut report, rejected) =
        totals.report(settled.id_rejections.clone(), tally, summary, timer);
    report.version = env!("CARGO_PKG_VERSION").to_string();
    report.config_hash = config.fingerprint();
    writer
        .finish(&rejected, settled.cluster_records(), &mut report)
        .map_err(out_err)?;
    Ok(report)
}

/// What [`run_local`] did.
#[derive(Debug)]
pub struct LocalRun {
    /// Tasks per stage.
    pub tasks: usize,
    /// Tasks found finished from an earlier attempt (with `--resume`).
    pub resumed: usize,
    /// The report, or `None` when the output was already complete.
    pub report: Option<Report>,
}

/// `copydesk run` past its memory budget: the staged chain in this process, in `work`. With
/// `resume`, a work folder holding the same plan is continued (only unfinished tasks run, and
/// the output is byte-identical to an uninterrupted run); without it, an earlier work folder
/// of copydesk is cleared first. The work folder is removed once the output is complete.
pub fn run_local(
    work: &Path,
    plan: &Plan,
    resume: bool,
    tick: &dyn Fn(&str),
) -> Result<LocalRun, StagedError> {
    let timer = Timer::start();
    let existing = work.join("plan.json");
    let mut resumed = 0;
    if existing.exists() {
        let same = read_json::<Plan>(&existing).is_ok_and(|old| {
            old.config == plan.config
                && old.entities == plan.entities
                && old.inputs == plan.inputs
                && old.tasks == plan.tasks
                && old.output == plan.output
                && old.against == plan.against
        });
        if resume && !same {
            return Err(StagedError::NotReady(format!(
                "{} holds a run with another configuration, inputs or memory budget; remove it or \
                 run without --resume",
                work.display()
            )));
        }
        if !resume {
            fs::remove_dir_all(work).map_err(io_err(work))?;
        }
    }
    if !existing.exists() {
        write_plan(work, plan)?;
    }
    let n = plan.tasks.max(1);
    let mut report = None;
    // Time per stage over all its tasks, handed to the finish task for the report.
    let mut laps: Vec<output::StageTiming> = Vec::new();
    for stage in [Stage::Prepare, Stage::Clean, Stage::Finish] {
        let count = if stage == Stage::Finish { 1 } else { n };
        let began = std::time::Instant::now();
        for t in 0..count {
            tick(stage.name());
            let lap = Timer {
                stages: laps.clone(),
                start: timer.start,
                last: std::time::Instant::now(),
            };
            match run_task_timed(work, stage, t, lap)? {
                (TaskOutcome::AlreadyDone, _) => resumed += 1,
                (TaskOutcome::Done, r) => report = r.or(report),
            }
        }
        laps.push(output::StageTiming {
            stage: stage.name(),
            seconds: began.elapsed().as_secs_f64(),
        });
    }
    fs::remove_dir_all(work).map_err(io_err(work))?;
    Ok(LocalRun {
        tasks: n,
        resumed,
        report,
    })
}

/// Progress of a staged run, from its markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Tasks per stage.
    pub tasks: usize,
    /// Prepare tasks finished.
    pub prepared: usize,
    /// Clean tasks finished.
    pub cleaned: usize,
    /// Whether the finish task wrote the output.
    pub finished: bool,
}

/// Reads the markers of a staged run.
pub fn status(work: &Path) -> Result<Status, StagedError> {
    let plan: Plan = read_json(&work.join("plan.json"))?;
    let n = plan.tasks.max(1);
    let count = |stage| (0..n).filter(|&t| marker(work, stage, t).exists()).count();
    Ok(Status {
        tasks: n,
        prepared: count(Stage::Prepare),
        cleaned: count(Stage::Clean),
        finished: finish_marker(work).exists(),
    })
}
