//! `copydesk init`: write the commented default `pipeline.toml`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;

use copydesk::config::DEFAULT_TOML;

use crate::{EXIT_IO, EXIT_OK, EXIT_USAGE};

/// Write the commented default pipeline.toml (refuses to overwrite an existing file).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write it.
    #[arg(default_value = "pipeline.toml")]
    path: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    // create_new makes the refusal atomic: no window between a check and the write.
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.path)
    {
        Ok(mut f) => match f.write_all(DEFAULT_TOML.as_bytes()) {
            Ok(()) => {
                eprintln!("copydesk: wrote {}", args.path.display());
                Ok(EXIT_OK)
            }
            Err(e) => {
                eprintln!("copydesk: error: cannot write {}: {e}", args.path.display());
                Ok(EXIT_IO)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "copydesk: error: {} already exists; not overwriting it",
                args.path.display()
            );
            Ok(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!(
                "copydesk: error: cannot create {}: {e}",
                args.path.display()
            );
            Ok(EXIT_IO)
        }
    }
}
