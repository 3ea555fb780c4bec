//! `copydesk slurm`: run a staged run as a chain of Slurm job arrays, and follow it.
//!
//! `submit` makes the plan (as `copydesk stage plan`), then submits three jobs with `sbatch`:
//! the prepare array (one task per share), the clean array after it (`--dependency=afterok`),
//! and the finish job after that. Slurm does not retry a task that exits non-zero, so each task
//! runs inside a retry loop; tasks are idempotent, so a retry after a crash redoes only what did
//! not finish. `status` reads the completion markers in the work folder, which must be storage
//! that every node sees.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use copydesk::staged;

use crate::cmd::stage::{plan, PlanArgs};
use crate::{EXIT_IO, EXIT_OK, EXIT_USAGE};

/// Run a staged run on Slurm, or follow one.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Plan a staged run and submit it as a chain of job arrays; extra arguments after `--` go
    /// to every sbatch call (for example `-- --partition=batch --time=60`).
    Submit {
        #[command(flatten)]
        plan: PlanArgs,
        /// The copydesk binary the nodes run [default: this one].
        #[arg(long)]
        bin: Option<PathBuf>,
        /// Attempts per task before the task fails.
        #[arg(long, default_value_t = 3)]
        attempts: u32,
        /// Arguments passed to sbatch.
        #[arg(last = true)]
        sbatch: Vec<String>,
    },
    /// Summarize a staged run's progress from its completion markers.
    Status {
        /// The work folder of the run.
        #[arg(long)]
        work: PathBuf,
    },
}

/// Quotes a word for `sh`.
fn sh(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

fn retry_loop(bin: &Path, stage: &str, work: &Path, attempts: u32) -> String {
    let cmd = format!(
        "{} stage {stage} --work {}",
        sh(&bin.display().to_string()),
        sh(&work.display().to_string())
    );
    format!(
        "for a in $(seq {attempts}); do {cmd} && exit 0; echo \"copydesk: {stage} attempt $a failed\" >&2; sleep 2; done; exit 1"
    )
}

fn sbatch(args: &[String]) -> Result<String, String> {
    let out = Process::new("sbatch")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run sbatch: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "sbatch failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    // --parsable prints "jobid" or "jobid;cluster".
    Ok(text.trim().split(';').next().unwrap_or("").to_string())
}

pub fn run(command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Status { work } => match staged::status(&work) {
            Ok(s) => {
                println!(
                    "prepare {}/{}  clean {}/{}  finish {}",
                    s.prepared,
                    s.tasks,
                    s.cleaned,
                    s.tasks,
                    if s.finished { "done" } else { "pending" }
                );
                Ok(EXIT_OK)
            }
            Err(e) => {
                eprintln!("copydesk: error: {e}");
                Ok(EXIT_USAGE)
            }
        },
        Command::Submit {
            plan: args,
            bin,
            attempts,
            sbatch: extra,
        } => {
            let plan = match plan(&args) {
                Ok(p) => p,
                Err(code) => return Ok(code),
            };
            // The nodes need absolute paths: their working directory is not ours.
            let work = std::path::absolute(&args.work)?;
            let bin = match bin {
                Some(b) => std::path::absolute(b)?,
                None => std::env::current_exe()?,
            };
            let logs = work.join("logs");
            if let Err(e) = std::fs::create_dir_all(&logs) {
                eprintln!("copydesk: error: cannot create {}: {e}", logs.display());
                return Ok(EXIT_IO);
            }
            let base = |name: &str| -> Vec<String> {
                let mut a = vec![
                    "--parsable".to_string(),
                    "--kill-on-invalid-dep=yes".to_string(),
                    format!("--job-name=copydesk-{name}"),
                    format!("--output={}/%x_%a.out", logs.display()),
                ];
                a.extend(extra.iter().cloned());
                a
            };
            let array = format!("--array=0-{}", plan.tasks - 1);
            let mut ids = Vec::new();
            for (stage, is_array) in [("prepare", true), ("clean", true), ("finish", false)] {
                let mut a = base(stage);
                if is_array {
                    a.push(array.clone());
                }
                if let Some(prev) = ids.last() {
                    a.push(format!("--dependency=afterok:{prev}"));
                }
                a.push(format!(
                    "--wrap={}",
                    retry_loop(&bin, stage, &work, attempts)
                ));
                match sbatch(&a) {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        eprintln!("copydesk: error: {e}");
                        return Ok(EXIT_IO);
                    }
                }
            }
            println!(
                "submitted: prepare {}, clean {}, finish {}",
                ids[0], ids[1], ids[2]
            );
            println!("follow:    squeue -j {}", ids.join(","));
            println!("progress:  copydesk slurm status --work {}", work.display());
            println!("logs:      {}", logs.display());
            println!("output:    {}", plan.output.display());
            Ok(EXIT_OK)
        }
    }
}
