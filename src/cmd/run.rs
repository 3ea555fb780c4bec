//! `copydesk run`: read the inputs, run every enabled pass, write the output folder.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;
use copydesk::input::InputSpec;
use copydesk::output::{self, Report};
use copydesk::pipeline::{self, RunOptions};
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
    let inputs = args
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
    let options = RunOptions {
        inputs,
        extra_entities,
        progress: progress.clone(),
    };
    let mut result = pipeline::run(&config, options)?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    result.report.version = env!("CARGO_PKG_VERSION").to_string();
    result.report.config_hash = config.fingerprint();
    let dir = pipeline::output_dir(&config, args.output);
    if let Err(e) = output::write(&dir, &mut result, &config.output) {
        eprintln!("copydesk: error: cannot write {}: {e}", dir.display());
        return Ok(EXIT_IO);
    }
    if !args.quiet {
        print_summary(&result.report, &dir);
    }
    Ok(if result.report.documents_rejected > 0 {
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
