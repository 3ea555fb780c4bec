//! `copydesk explain`: what happened to one document, read back from an output folder.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{EXIT_IO, EXIT_OK, EXIT_USAGE};

/// Show what happened to one document: removed lines with their reasons, repairs, alias
/// replacements, and duplicate links in both directions.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The document id.
    id: String,
    /// The output folder of the run [default: normalized].
    #[arg(short, long, default_value = "normalized")]
    output: PathBuf,
}

fn records(dir: &Path, name: &str) -> std::io::Result<Vec<Value>> {
    let text = match fs::read_to_string(dir.join(name)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let load = |name| records(&args.output, name);
    let (documents, dropped, clusters) = match (
        load("documents.jsonl"),
        load("dropped.jsonl"),
        load("clusters.jsonl"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            eprintln!(
                "copydesk: error: cannot read {}: {e}",
                args.output.display()
            );
            return Ok(EXIT_IO);
        }
    };
    let found = documents
        .iter()
        .map(|r| ("kept in documents.jsonl", r))
        .chain(dropped.iter().map(|r| ("dropped (dropped.jsonl)", r)))
        .find(|(_, r)| r["id"] == args.id.as_str());
    let Some((status, r)) = found else {
        eprintln!(
            "copydesk: error: no document with id {:?} in {}",
            args.id,
            args.output.display()
        );
        return Ok(EXIT_USAGE);
    };
    let p = &r["copydesk"];
    println!("{}  —  {status}", args.id);
    println!("source:   {}", r["source"].as_str().unwrap_or("?"));
    println!("encoding: {}", p["encoding"].as_str().unwrap_or("?"));
    if let Some(reason) = r["reason"].as_str() {
        println!(
            "reason:   {reason}{}",
            r["duplicate_of"]
                .as_str()
                .map(|d| format!(" of {d}"))
                .unwrap_or_default()
        );
    }
    if let Some(of) = p["duplicate_of"].as_str() {
        println!("marked:   duplicate of {of}");
    }
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let repairs = p["repairs"].as_object().cloned().unwrap_or_default();
    if !repairs.is_empty() {
        let parts: Vec<String> = repairs.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("repairs:  {}", parts.join(", "));
    }
    let removed = list(&p["removed"]);
    println!("\nremoved lines ({}):", removed.len());
    for x in &removed {
        println!(
            "  [{}] {}",
            x["reason"].as_str().unwrap_or("?"),
            x["text"].as_str().unwrap_or("")
        );
    }
    let aliases = list(&p["aliases"]);
    println!("\naliases ({}):", aliases.len());
    for x in &aliases {
        println!(
            "  {} -> {} (x{})",
            x["from"].as_str().unwrap_or("?"),
            x["to"].as_str().unwrap_or("?"),
            x["count"]
        );
    }
    let dups = list(&p["duplicates"]);
    println!("\nduplicate paragraphs ({}):", dups.len());
    for x in &dups {
        println!(
            "  paragraph {} copies {} paragraph {} (similarity {}, cluster {})",
            x["paragraph"],
            x["of"]["id"].as_str().unwrap_or("?"),
            x["of"]["paragraph"],
            x["similarity"],
            x["cluster"]
        );
    }
    let copies: Vec<String> = clusters
        .iter()
        .filter(|c| c["kept"]["id"] == args.id.as_str())
        .flat_map(|c| {
            let kept_p = c["kept"]["paragraph"].clone();
            list(&c["members"])
                .into_iter()
                .map(move |m| match (&kept_p, &m["paragraph"]) {
                    (Value::Number(k), Value::Number(mp)) => format!(
                        "  paragraph {k} is kept; copy in {} paragraph {mp}",
                        m["id"].as_str().unwrap_or("?")
                    ),
                    _ => format!(
                        "  kept; {} is a copy of this document",
                        m["id"].as_str().unwrap_or("?")
                    ),
                })
        })
        .collect();
    println!("\ncopies of this document elsewhere ({}):", copies.len());
    for c in copies {
        println!("{c}");
    }
    Ok(EXIT_OK)
}
