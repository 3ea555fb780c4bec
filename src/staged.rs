//! Staged runs: the phases of [`pipeline::run`], one share of the input files per task,
//! exchanging files in a work folder, so a run can be split across processes or cluster nodes
//! and resumed after a failure.
//!
//! A plan (`plan.json`: the resolved configuration, the entity tables, the inputs, the number of
//! tasks and the output folder) fixes everything once. Then three stages: **prepare** (task `i`
//! reads and decodes its contiguous share of the files and counts its line statistics),
//! **clean** (each task merges every task's statistics, the barrier, and runs boilerplate,
//! paragraphs and aliases on its share), and **finish** (one task: the near-duplicate barrier
//! and the output). Every task writes under a temporary name and renames, and its output file is
//! its completion marker: rerunning a finished task does nothing, so a rerun of the whole chain
//! redoes only what did not finish. Because the phases are the ones a local run calls, on the
//! shares in input order, the output is byte for byte the local run's.
//!
//! What this module is not (yet): out of core. The finish task holds the cleaned corpus in
//! memory; only the per-document work is spread.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::{Config, EntityConfig};
use crate::output;
use crate::pipeline::{self, Part, PipelineError, Stages, Timer};
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
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(value).map_err(|e| StagedError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))
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

/// Runs one task of one stage. Idempotent: a task whose output exists is not run again.
pub fn run_task(work: &Path, stage: Stage, task: usize) -> Result<TaskOutcome, StagedError> {
    let (plan, config) = read_plan(work)?;
    let n = plan.tasks.max(1);
    if stage != Stage::Finish && task >= n {
        return Err(StagedError::NotReady(format!(
            "task {task} is out of range: the plan has {n} tasks (0..{})",
            n - 1
        )));
    }
    let out = match stage {
        Stage::Finish => finish_marker(work),
        _ => task_file(work, stage, task, ""),
    };
    if out.exists() {
        return Ok(TaskOutcome::AlreadyDone);
    }
    let stages = Stages::build(&config, &plan.entities)?;
    let mut timer = Timer::start();
    let no_tick = || {};
    match stage {
        Stage::Prepare => {
            let found = pipeline::discover(&plan.inputs);
            let files =
                &found.files[task * found.files.len() / n..(task + 1) * found.files.len() / n];
            let mut part = pipeline::read_and_decode(&stages, &config, files, false, &no_tick);
            // Problems found while listing the inputs belong to the first share, as in a local
            // run they come before every file's own.
            if task == 0 {
                part.read_rejected.splice(0..0, found.rejected);
                part.skipped = found.skipped;
            }
            let stats = pipeline::line_stats(&stages, &part.docs);
            write_json(&task_file(work, stage, task, ".stats"), &stats)?;
            write_json(&out, &part)?;
        }
        Stage::Clean => {
            let mut stats = LineStats::default();
            for t in 0..n {
                let path = task_file(work, Stage::Prepare, t, ".stats");
                if !task_file(work, Stage::Prepare, t, "").exists() {
                    return Err(StagedError::NotReady(format!(
                        "prepare task {t} has not finished"
                    )));
                }
                stats.merge(read_json(&path)?);
            }
            let mut part: Part = read_json(&task_file(work, Stage::Prepare, task, ""))?;
            pipeline::clean(&stages, &mut part.docs, &stats, &mut timer, &no_tick);
            write_json(&out, &part)?;
        }
        Stage::Finish => {
            let mut parts = Vec::with_capacity(n);
            for t in 0..n {
                let path = task_file(work, Stage::Clean, t, "");
                if !path.exists() {
                    return Err(StagedError::NotReady(format!(
                        "clean task {t} has not finished"
                    )));
                }
                parts.push(read_json::<Part>(&path)?);
            }
            let mut result = pipeline::finish(&stages, parts, timer);
            result.report.version = env!("CARGO_PKG_VERSION").to_string();
            result.report.config_hash = config.fingerprint();
            output::write(&plan.output, &mut result, &config.output)
                .map_err(io_err(&plan.output))?;
            write_json(&out, &result.report)?;
        }
    }
    Ok(TaskOutcome::Done)
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
    let count = |stage| {
        (0..n)
            .filter(|&t| task_file(work, stage, t, "").exists())
            .count()
    };
    Ok(Status {
        tasks: n,
        prepared: count(Stage::Prepare),
        cleaned: count(Stage::Clean),
        finished: finish_marker(work).exists(),
    })
}
