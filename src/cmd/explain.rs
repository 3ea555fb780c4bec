//! `copydesk explain`: what happened to one document, read back from an output folder.

use std::fs;
use std::io::Read;
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
    // documents.jsonl of a large run is split into (compressed) shards; read them in order.
    let mut files = vec![dir.join(name)];
    if name == "documents.jsonl" && !files[0].exists() {
        let mut shards: Vec<PathBuf> = fs::read_dir(dir)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("documents-"))
            })
            .collect();
        shards.sort();
        files = shards;
    }
    let mut out = Vec::new();
    for path in files {
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let name = path.to_string_lossy();
        let text = if name.ends_with(".zst") {
            zstd::decode_all(&bytes[..])?
        } else if name.ends_with(".gz") {
            let mut plain = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut plain)?;
            plain
        } else {
            bytes
        };
        out.extend(
            text.split(|&b| b == b'\n')
                .filter_map(|l| serde_json::from_slice::<Value>(l).ok()),
        );
    }
    Ok(out)
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
