//! `copydesk aliases`: tools for the entity table.

use std::path::PathBuf;

use copydesk::aliases::suggest;
use copydesk::pipeline::{self, RunOptions};
use copydesk::stages::aliases::entities;

use crate::cmd::{config_failed, load_config};
use crate::{EXIT_OK, EXIT_REJECTED};

/// Tools for the entity table of [aliases].
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Find groups of likely spelling variants in a corpus and print them as TOML
    /// [[aliases.entities]] entries to review and paste into the table.
    Suggest {
        /// Files or folders [default: [input] paths of the configuration].
        inputs: Vec<PathBuf>,
        /// Configuration file [default: ./pipeline.toml if present, else the built-in default].
        #[arg(short, long)]
        config: Option<PathBuf>,
    },
}

pub fn run(command: Command) -> anyhow::Result<u8> {
    let Command::Suggest { inputs, config } = command;
    let (mut config, _) = match load_config(config.as_deref()) {
        Ok(x) => x,
        Err(e) => return Ok(config_failed(&e)),
    };
    let mut known = entities(&config.aliases.entities);
    match config.load_entity_tables() {
        Ok(extra) => known.extend(entities(&extra)),
        Err(e) => return Ok(config_failed(&e)),
    }
    // Suggestions are made on cleaned text but before any rewrite: the variants must still be
    // there to be found, and duplicates do not matter.
    config.aliases.enabled = false;
    config.dedup.enabled = false;
    let options = RunOptions {
        inputs: inputs
            .into_iter()
            .map(copydesk::input::InputSpec::Path)
            .collect(),
        ..RunOptions::default()
    };
    let result = pipeline::run(&config, options)?;
    let texts: Vec<String> = result
        .docs
        .iter()
        .map(|d| d.paragraphs.join("\n\n"))
        .collect();
    print!("{}", suggest(texts.iter().map(String::as_str), &known));
    Ok(if result.rejected.is_empty() {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}
