//! `copydesk run`: read the inputs, run every enabled pass, write the output folder.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use copydesk::input::InputSpec;
use copydesk::output::{self, Report};
use copydesk::pipeline::{self, RunOptions};
use copydesk::staged::{self, Plan, StagedError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cmd::{config_failed, load_config};
use crate::{EXIT_IO, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};

/// Read raw/ (or the given inputs), run the passes of pipeline.toml, and write normalized/.
///
/// Inputs are folders (walked recursively in sorted order) or files: .txt (any encoding) and
/// .jsonl, optionally .gz or .zst; `-` reads JSONL from standard input.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or folders to read [default: [input] paths of the configuration].
    inputs: Vec<PathBuf>,
    /// Configuration file [default: ./pipeline.toml if present, else the built-in default].
    #[arg(short, long)]
    config: Option<PathBuf>,
    /// Output folder [default: [output] dir of the configuration].
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long)]
    threads: Option<usize>,
    /// No progress bar and no summary.
    #[arg(short, long)]
    quiet: bool,
    /// Memory budget, such as 4G or 512M [default: [run] memory, "auto": half the machine].
    /// Input that would not fit is cut into shares that exchange files in the work folder.
    #[arg(long)]
    memory: Option<String>,
    /// Work folder of a run past the budget [default: [run] work, else <output>.work].
    #[arg(long)]
    work: Option<PathBuf>,
    /// Continue the run cut off in the work folder (a crash, kill -9): finished tasks are not
    /// redone, and the output is the same bytes an uninterrupted run writes.
    #[arg(long)]
    resume: bool,
    /// Deduplicate against an earlier output folder written with `[output] index = true`: its
    /// kept documents and paragraphs are compared with this batch's and always win.
    #[arg(long, value_name = "PREVIOUS_OUTDIR")]
    against: Option<PathBuf>,
    /// Cut the input into this many shares whatever its size (out-of-core path; for tests and
    /// tuning).
    #[arg(long, hide = true)]
    shares: Option<usize>,
}

/// Bytes of memory a run uses per byte of input, measured on the 75 MB news corpus: decoded
/// lines, cleaned paragraphs, provenance, the signatures and the shingle hashes kept for
/// verification. The peak there was 618 MB (8.2 bytes per input byte, `memory-run4.txt` in
/// `benches/runs/2026-11-22-2core/`) and is 465 MB (6.2, `memory-run5.txt`) since the
/// documents lend their paragraphs to the barrier; the figure stays at 8, a margin, so that
/// the share sizes of the recorded out-of-core runs (docs/scale.md) still hold.
const MEMORY_PER_INPUT_BYTE: u64 = 8;

/// Input bytes a compressed file is assumed to expand to, per byte (news JSONL: 3-5x).
const COMPRESSION_RATIO: u64 = 4;

/// Estimated input bytes after decompression, or `None` when one input is standard input.
fn input_bytes(paths: &[PathBuf], stdin: bool) -> Option<u64> {
    if stdin {
        return None;
    }
    let found = pipeline::discover(paths);
    Some(
        found
            .files
            .iter()
            .map(|f| {
                let len = std::fs::metadata(&f.path).map_or(0, |m| m.len());
                match f.compression {
                    copydesk::input::Compression::None => len,
                    _ => len * COMPRESSION_RATIO,
                }
            })
            .sum(),
    )
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let (config, _) = match load_config(args.config.as_deref()) {
        Ok(x) => x,
        Err(e) => return Ok(config_failed(&e)),
    };
    let extra_entities = match config.load_entity_tables() {
        Ok(x) => x,
        Err(e) => return Ok(config_failed(&e)),
    };
    if let Some(n) = args.threads {
        if n == 0 {
            eprintln!("copydesk: error: --threads must be at least 1");
            return Ok(EXIT_USAGE);
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let inputs: Vec<InputSpec> = args
        .inputs
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                InputSpec::Stdin
            } else {
                InputSpec::Path(p.clone())
            }
        })
        .collect();
    let budget = match &args.memory {
        Some(m) => match copydesk::config::parse_size(m) {
            Some(b) if b >= 1 << 10 => b,
            _ => {
                eprintln!("copydesk: error: --memory {m:?} is not a size such as 4G or 512M");
                return Ok(EXIT_USAGE);
            }
        },
        None => config.run.budget(),
    };
    let paths = pipeline::input_paths(&config, &inputs);
    let stdin = inputs.contains(&InputSpec::Stdin);
    let shares = match (args.shares, input_bytes(&paths, stdin)) {
        (Some(n), _) if !stdin => Some(n.max(1)),
        (_, Some(bytes)) if bytes.saturating_mul(MEMORY_PER_INPUT_BYTE) > budget => {
            // Each share gets a quarter of the budget: the finish task's columns and one
            // share being written must fit beside it.
            let share = (budget / 4 / MEMORY_PER_INPUT_BYTE).max(1);
            Some(bytes.div_ceil(share) as usize)
        }
        _ => None,
    };
    if shares.is_none() && args.resume && !args.quiet {
        eprintln!(
            "copydesk: the input fits the memory budget; nothing to resume, running it whole"
        );
    }
    if let Some(tasks) = shares {
        let dir = pipeline::output_dir(&config, args.output.clone());
        let work = args.work.clone().unwrap_or_else(|| {
            if config.run.work.as_os_str().is_empty() {
                let mut name = dir.file_name().unwrap_or_default().to_os_string();
                name.push(".work");
                dir.with_file_name(name)
            } else {
                config.run.work.clone()
            }
        });
        return out_of_core(
            &args,
            config,
            extra_entities,
            paths,
            OutOfCore {
                tasks,
                budget,
                work,
                dir,
            },
        );
    }
    let progress = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} steps ({per_sec})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let dir = pipeline::output_dir(&config, args.output.clone());
    let options = RunOptions {
        inputs,
        extra_entities,
        progress: progress.clone(),
        against: args.against.clone(),
        index_in: config.output.index.then(|| dir.clone()),
    };
    let mut result = match pipeline::run(&config, options) {
        Ok(r) => r,
        Err(e @ pipeline::PipelineError::Index(_)) => {
            eprintln!("copydesk: error: {e}");
            return Ok(EXIT_IO);
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    result.report.version = env!("CARGO_PKG_VERSION").to_string();
    result.report.config_hash = config.fingerprint();
    if let Err(e) = output::write(&dir, &mut result, &config.output) {
        eprintln!("copydesk: error: cannot write {}: {e}", dir.display());
        return Ok(EXIT_IO);
    }
    if !args.quiet {
        print_summary(&result.report, &dir);
    }
    let code = if result.report.documents_rejected > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    };
    // The process ends here: the exit returns the corpus's memory at once, where freeing its
    // documents one string at a time took a serial 70 ms on 75 MB of news.
    std::mem::forget(result);
    Ok(code)
}

struct OutOfCore {
    tasks: usize,
    budget: u64,
    work: PathBuf,
    dir: PathBuf,
}

/// The run past the memory budget: the staged chain in this process (see `staged::run_local`).
fn out_of_core(
    args: &Args,
    mut config: copydesk::config::Config,
    entities: Vec<copydesk::config::EntityConfig>,
    inputs: Vec<PathBuf>,
    o: OutOfCore,
) -> anyhow::Result<u8> {
    // The finish task reads the budget from the plan's configuration; `[run]` never changes
    // the output, so this is not a different configuration.
    config.run.memory = o.budget.to_string();
    let plan = Plan {
        config: toml::to_string(&config).context("cannot write the configuration")?,
        entities,
        inputs,
        tasks: o.tasks,
        output: o.dir.clone(),
        against: args.against.clone(),
    };
    if !args.quiet {
        eprintln!(
            "copydesk: input past the memory budget ({} MB): {} shares in {}",
            o.budget >> 20,
            o.tasks,
            o.work.display()
        );
    }
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(
            Some(2 * o.tasks as u64 + 1),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} tasks {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let tick = |stage: &str| {
        if let Some(b) = &bar {
            b.set_message(stage.to_string());
            b.inc(1);
        }
    };
    let result = staged::run_local(&o.work, &plan, args.resume, &tick);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let done = match result {
        Ok(done) => done,
        Err(e) => {
            eprintln!("copydesk: error: {e}");
            eprintln!(
                "copydesk: the finished tasks are kept in {}; `copydesk run --resume` with the \
                 same arguments continues",
                o.work.display()
            );
            return Ok(match e {
                StagedError::Io { .. } => EXIT_IO,
                _ => EXIT_USAGE,
            });
        }
    };
    let Some(report) = done.report else {
        if !args.quiet {
            eprintln!("copydesk: {} was already complete", o.dir.display());
        }
        return Ok(EXIT_OK);
    };
    if !args.quiet {
        if done.resumed > 0 {
            eprintln!(
                "copydesk: resumed: {} of {} tasks were already done",
                done.resumed,
                2 * done.tasks + 1
            );
        }
        print_summary(&report, &o.dir);
    }
    Ok(if report.documents_rejected > 0 {
        EXIT_REJECTED
    } else {
        EXIT_OK
    })
}

fn print_summary(r: &Report, dir: &std::path::Path) {
    let line = |k: &str, v: String| eprintln!("  {k:<28} {v:>12}");
    eprintln!("copydesk: wrote {}", dir.display());
    line("documents in", r.documents_in.to_string());
    line("documents out", r.documents_out.to_string());
    line("documents dropped", r.documents_dropped.to_string());
    line("documents rejected", r.documents_rejected.to_string());
    if !r.skipped.is_empty() {
        line("files skipped", r.skipped.len().to_string());
    }
    for (reason, n) in &r.removed_by_reason {
        line(&format!("lines removed: {reason}"), n.to_string());
    }
    line("repairs", r.repairs.values().sum::<u64>().to_string());
    line("aliases replaced", r.aliases_replaced.to_string());
    line(
        "duplicate paragraphs",
        r.dedup.duplicate_paragraphs.to_string(),
    );
    line(
        "duplicate documents",
        r.dedup.duplicate_documents.to_string(),
    );
    line("MB/s", format!("{:.1}", r.mb_per_s()));
}
