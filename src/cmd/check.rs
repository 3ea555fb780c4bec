//! `copydesk check`: validate a configuration and print it resolved.

use std::path::PathBuf;

use crate::cmd::{config_failed, load_config};
use crate::EXIT_OK;

/// Validate the configuration and print it resolved (every key, defaults filled in).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Configuration file [default: ./pipeline.toml if present, else the built-in default].
    #[arg(short, long)]
    config: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let (config, from) = match load_config(args.config.as_deref()) {
        Ok(x) => x,
        Err(e) => return Ok(config_failed(&e)),
    };
    if let Err(e) = config.load_entity_tables() {
        return Ok(config_failed(&e));
    }
    println!(
        "# resolved from {from}; configuration hash {}",
        config.fingerprint()
    );
    print!("{}", toml::to_string(&config)?);
    eprintln!("copydesk: {from} is valid");
    Ok(EXIT_OK)
}
