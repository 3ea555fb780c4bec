//! `copydesk stage`: one task of a staged run, for a cluster scheduler or by hand.
//!
//! `copydesk stage plan` fixes the configuration, inputs, task count and output folder in a work
//! folder (shared storage that every node sees); then `prepare` (tasks 0..N), `clean` (tasks
//! 0..N) and `finish` (one task) run in that order. A task takes its index from `--task`, else
//! from `SLURM_ARRAY_TASK_ID`; it writes under a temporary name and renames, and does nothing
//! when its output is already there, so a retry or a rerun after a crash redoes only unfinished
//! tasks. A task exits 0 when it did its work (rejected inputs are data in the output, not a
//! task failure, so a scheduler's `afterok` chain goes on), 2 on bad usage, 3 on I/O failure.

use std::path::PathBuf;

use copydesk::staged::{self, Plan, Stage, StagedError, TaskOutcome};

use crate::cmd::{config_failed, load_config};
use crate::{EXIT_IO, EXIT_OK, EXIT_USAGE};

/// Run one task of a staged run (plan, prepare, clean, finish).
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Fix the configuration, inputs, task count and output folder of a staged run.
    Plan(PlanArgs),
    /// Read and decode one share of the input files.
    Prepare(TaskArgs),
    /// Remove boilerplate and rewrite aliases in one share, with every share's line statistics.
    Clean(TaskArgs),
    /// Find near-duplicates across the corpus and write the output folder.
    Finish(TaskArgs),
}

/// Arguments of `stage plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Files or folders to read [default: [input] paths of the configuration].
    pub inputs: Vec<PathBuf>,
    /// The work folder (shared storage on a cluster).
    #[arg(long)]
    pub work: PathBuf,
    /// Tasks of the prepare and clean stages.
    #[arg(long, default_value_t = 4)]
    pub tasks: usize,
    /// Configuration file [default: ./pipeline.toml if present, else the built-in default].
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Output folder [default: [output] dir of the configuration].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Deduplicate against an earlier output folder written with `[output] index = true`.
    #[arg(long, value_name = "PREVIOUS_OUTDIR")]
    pub against: Option<PathBuf>,
}

/// Arguments of a task.
#[derive(Debug, clap::Args)]
pub struct TaskArgs {
    /// The work folder given to `stage plan`.
    #[arg(long)]
    pub work: PathBuf,
    /// Task index [default: $SLURM_ARRAY_TASK_ID, else 0].
    #[arg(long)]
    pub task: Option<usize>,
}

fn failed(e: &StagedError) -> u8 {
    eprintln!("copydesk: error: {e}");
    match e {
        StagedError::Io { .. } => EXIT_IO,
        _ => EXIT_USAGE,
    }
}

/// Makes the plan; shared with `slurm submit`.
pub fn plan(args: &PlanArgs) -> Result<Plan, u8> {
    if args.tasks == 0 {
        eprintln!("copydesk: error: --tasks must be at least 1");
        return Err(EXIT_USAGE);
    }
    let (config, _) = load_config(args.config.as_deref()).map_err(|e| config_failed(&e))?;
    let entities = config.load_entity_tables().map_err(|e| config_failed(&e))?;
    let plan = Plan {
        config: toml::to_string(&config).map_err(|e| {
            eprintln!("copydesk: error: cannot write the configuration: {e}");
            EXIT_USAGE
        })?,
        entities,
        inputs: if args.inputs.is_empty() {
            config.input.paths.clone()
        } else {
            args.inputs.clone()
        },
        tasks: args.tasks,
        output: args
            .output
            .clone()
            .unwrap_or_else(|| config.output.dir.clone()),
        against: args.against.clone(),
    };
    if plan.inputs.iter().any(|p| p.as_os_str() == "-") {
        eprintln!(
            "copydesk: error: a staged run cannot read standard input; give files or folders"
        );
        return Err(EXIT_USAGE);
    }
    staged::write_plan(&args.work, &plan).map_err(|e| failed(&e))?;
    Ok(plan)
}

pub fn run(command: Command) -> anyhow::Result<u8> {
    let (stage, args) = match command {
        Command::Plan(args) => {
            return Ok(match plan(&args) {
                Ok(p) => {
                    eprintln!(
                        "copydesk: planned {} tasks in {}",
                        p.tasks,
                        args.work.display()
                    );
                    EXIT_OK
                }
                Err(code) => code,
            })
        }
        Command::Prepare(a) => (Stage::Prepare, a),
        Command::Clean(a) => (Stage::Clean, a),
        Command::Finish(a) => (Stage::Finish, a),
    };
    let task = match args.task {
        Some(t) => t,
        None => match std::env::var("SLURM_ARRAY_TASK_ID") {
            Ok(v) => match v.parse() {
                Ok(t) => t,
                Err(_) => {
                    eprintln!("copydesk: error: SLURM_ARRAY_TASK_ID is {v:?}, not a task index");
                    return Ok(EXIT_USAGE);
                }
            },
            Err(_) => 0,
        },
    };
    Ok(match staged::run_task(&args.work, stage, task) {
        Ok(TaskOutcome::Done) => {
            eprintln!("copydesk: {} task {task} done", stage.name());
            EXIT_OK
        }
        Ok(TaskOutcome::AlreadyDone) => {
            eprintln!("copydesk: {} task {task} was already done", stage.name());
            EXIT_OK
        }
        Err(e) => failed(&e),
    })
}
