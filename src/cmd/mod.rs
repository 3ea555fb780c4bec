//! Subcommands, one file each, and the configuration loading they share.

mod aliases;
mod check;
mod explain;
mod init;
mod run;
mod slurm;
mod stage;

use std::path::{Path, PathBuf};

use clap::Subcommand;
use copydesk::config::{Config, ConfigError};

use crate::EXIT_USAGE;

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Run(run::Args),
    Init(init::Args),
    Check(check::Args),
    Explain(explain::Args),
    #[command(subcommand)]
    Aliases(aliases::Command),
    #[command(subcommand)]
    Stage(stage::Command),
    #[command(subcommand)]
    Slurm(slurm::Command),
}

/// Runs one subcommand and returns its exit code.
pub fn dispatch(command: Command) -> u8 {
    let result = match command {
        Command::Run(a) => run::run(a),
        Command::Init(a) => init::run(a),
        Command::Check(a) => check::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Aliases(c) => aliases::run(c),
        Command::Stage(c) => stage::run(c),
        Command::Slurm(c) => slurm::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("copydesk: error: {e:#}");
            EXIT_USAGE
        }
    }
}

/// Where the configuration comes from: `-c FILE`, else `./pipeline.toml` when present, else the
/// built-in default.
pub fn load_config(explicit: Option<&Path>) -> Result<(Config, String), ConfigError> {
    let local = PathBuf::from("pipeline.toml");
    match explicit {
        Some(p) => Config::from_file(p).map(|c| (c, p.display().to_string())),
        None if local.exists() => {
            Config::from_file(&local).map(|c| (c, local.display().to_string()))
        }
        None => Ok((Config::default(), "<built-in default>".to_string())),
    }
}

/// Prints a configuration error and returns the usage exit code.
pub fn config_failed(e: &ConfigError) -> u8 {
    eprint!("copydesk: {e}");
    EXIT_USAGE
}
