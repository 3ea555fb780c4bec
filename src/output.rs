//! Writing `normalized/`: the output contract.
//!
//! `documents.jsonl` (surviving documents, input order, with provenance), `dropped.jsonl`
//! (documents removed whole, with the reason), `rejected.jsonl` (inputs that could not be read),
//! `clusters.jsonl` (every near-duplicate cluster) and `report.json` (summary figures). Each file
//! is written under a temporary name and renamed into place only after all of them were written
//! and flushed, with `report.json` last (and the previous one removed first): an interrupted run
//! never leaves a half-written file, and a folder without `report.json` is known to be incomplete.
//! Volatile figures (timings, throughput, thread count) sit under `report.json`'s `timing` key
//! alone: everything else is byte-identical for the same input and configuration.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::config::{AliasMode, DedupAction, OutputConfig, ShardCompression};
use crate::doc::{Doc, Mention};
use crate::input::{Rejection, Skipped};

/// Time spent in one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTiming {
    /// Stage name.
    pub stage: &'static str,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// What the near-duplicate pass found, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DedupSummary {
    /// Whether the pass ran.
    pub enabled: bool,
    /// LSH bands.
    pub bands: usize,
    /// Rows per band.
    pub rows: usize,
    /// Theoretical probability that a pair just below the threshold becomes a candidate.
    pub false_positive_rate: f64,
    /// Theoretical probability that a pair at the threshold is missed.
    pub false_negative_rate: f64,
    /// Paragraphs signed and compared.
    pub paragraphs_compared: usize,
    /// Candidate pairs from the band buckets (documents and paragraphs).
    pub candidate_pairs: usize,
    /// Pairs that passed verification.
    pub verified_pairs: usize,
    /// Paragraphs recorded as copies.
    pub duplicate_paragraphs: usize,
    /// Documents recorded as copies of another.
    pub duplicate_documents: usize,
    /// Clusters written to clusters.jsonl.
    pub clusters: usize,
}

/// The summary written to `report.json` and shown at the end of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// copydesk's version.
    pub version: String,
    /// Hash of the resolved configuration.
    pub config_hash: String,
    /// Input files read.
    pub files_read: usize,
    /// Files found but not read, with why.
    pub skipped: Vec<Skipped>,
    /// Input documents (read plus rejected).
    pub documents_in: usize,
    /// Documents written to documents.jsonl.
    pub documents_out: usize,
    /// Documents written to dropped.jsonl.
    pub documents_dropped: usize,
    /// Entries written to rejected.jsonl.
    pub documents_rejected: usize,
    /// The files holding the surviving documents: documents.jsonl, or its shards.
    pub documents_files: Vec<String>,
    /// Input bytes (after decompression).
    pub bytes_in: u64,
    /// Removed lines by boilerplate layer.
    pub removed_by_reason: BTreeMap<String, u64>,
    /// Decode repairs by kind.
    pub repairs: BTreeMap<String, u64>,
    /// Alias mentions rewritten (or annotated).
    pub aliases_replaced: u64,
    /// The near-duplicate pass.
    pub dedup: DedupSummary,
    /// Per-stage wall-clock time (volatile: written under `timing`).
    #[serde(skip)]
    pub stages: Vec<StageTiming>,
    /// Whole-run seconds (volatile).
    #[serde(skip)]
    pub seconds: f64,
}

impl Report {
    /// Megabytes of input per second of the whole run.
    pub fn mb_per_s(&self) -> f64 {
        if self.seconds > 0.0 {
            self.bytes_in as f64 / 1e6 / self.seconds
        } else {
            0.0
        }
    }
}

/// One near-duplicate cluster, as written to clusters.jsonl.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterRecord {
    /// Cluster id, referenced from documents' `duplicates`.
    pub cluster: u64,
    /// "document" or "paragraph".
    pub level: &'static str,
    /// The kept copy.
    pub kept: ClusterMember,
    /// The copies, in input order.
    pub members: Vec<ClusterMember>,
}

/// A member of a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterMember {
    /// Document id.
    pub id: String,
    /// Paragraph index, for paragraph clusters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<usize>,
    /// Jaccard similarity with the kept copy (exact, over shingles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f64>,
    /// Share of the shorter text's shingles found in the other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub containment: Option<f64>,
}

/// Everything the pipeline produced, ready to write.
#[derive(Debug)]
pub struct RunOutput {
    /// All decoded documents, in input order (surviving and dropped).
    pub docs: Vec<Doc>,
    /// Rejected inputs.
    pub rejected: Vec<Rejection>,
    /// Near-duplicate clusters.
    pub clusters: Vec<ClusterRecord>,
    /// Summary figures.
    pub report: Report,
    /// How duplicates were handled.
    pub dedup_action: DedupAction,
    /// How aliases were handled.
    pub alias_mode: AliasMode,
}

/// Why a document is dropped whole, if it is.
fn drop_reason(doc: &Doc, action: DedupAction) -> Option<&'static str> {
    let kept = doc.paragraphs.len() - doc.dropped_paragraphs.len();
    if doc.duplicate_of.is_some() && action == DedupAction::Drop {
        Some("duplicate")
    } else if doc.paragraphs.is_empty() || kept == 0 {
        Some("empty")
    } else {
        None
    }
}

/// The output text: kept paragraphs joined by a blank line, with the byte offset at which each
/// kept paragraph starts (for annotate-mode mentions).
fn text_of(doc: &Doc) -> (String, Vec<Option<usize>>) {
    let mut text = String::with_capacity(doc.text_len() + 2 * doc.paragraphs.len());
    let mut starts = vec![None; doc.paragraphs.len()];
    for (i, p) in doc.paragraphs.iter().enumerate() {
        if doc.dropped_paragraphs.binary_search(&i).is_ok() {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        starts[i] = Some(text.len());
        text.push_str(p);
    }
    (text, starts)
}

fn provenance(doc: &Doc, starts: &[Option<usize>], mode: AliasMode, action: DedupAction) -> Value {
    let mut p = Map::new();
    p.insert("encoding".into(), json!(doc.encoding));
    p.insert("repairs".into(), json!(doc.repairs));
    p.insert("removed".into(), json!(doc.removed));
    p.insert("aliases".into(), json!(doc.aliases));
    if mode == AliasMode::Annotate {
        let mentions: Vec<Mention> = doc
            .mentions
            .iter()
            .filter_map(|m| {
                let base = starts.get(m.paragraph).copied().flatten()?;
                Some(Mention {
                    start: base + m.start,
                    end: base + m.end,
                    from: m.from.clone(),
                    to: m.to.clone(),
                })
            })
            .collect();
        p.insert("mentions".into(), json!(mentions));
    }
    p.insert("duplicates".into(), json!(doc.duplicates));
    if action == DedupAction::Mark {
        if let Some(of) = &doc.duplicate_of {
            p.insert("duplicate_of".into(), json!(of));
        }
    }
    Value::Object(p)
}

/// Keys copydesk writes itself; an input field of the same name is kept as `input_<name>`.
const RESERVED: [&str; 6] = ["id", "source", "text", "copydesk", "reason", "duplicate_of"];

fn record(doc: &Doc, text: String, copydesk: Value, dropped: Option<&str>) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("id".into(), json!(doc.id));
    r.insert("source".into(), json!(doc.source));
    if let Some(reason) = dropped {
        r.insert("reason".into(), json!(reason));
        if let Some(of) = &doc.duplicate_of {
            r.insert("duplicate_of".into(), json!(of));
        }
    }
    r.insert("text".into(), json!(text));
    for (k, v) in &doc.extra {
        let key = if RESERVED.contains(&k.as_str()) {
            format!("input_{k}")
        } else {
            k.clone()
        };
        r.insert(key, v.clone());
    }
    r.insert("copydesk".into(), copydesk);
    r
}

/// The compressed or plain byte sink behind a staged file.
enum Sink {
    Plain(BufWriter<fs::File>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<fs::File>>),
    Gzip(flate2::write::GzEncoder<BufWriter<fs::File>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Plain(w) => w,
            Sink::Zstd(w) => w,
            Sink::Gzip(w) => w,
        }
    }

    fn finish(self) -> io::Result<BufWriter<fs::File>> {
        match self {
            Sink::Plain(w) => Ok(w),
            Sink::Zstd(w) => w.finish(),
            Sink::Gzip(w) => w.finish(),
        }
    }
}

/// A file being written under a temporary name in the output folder.
struct Staged {
    name: String,
    tmp: PathBuf,
    dest: PathBuf,
    out: Sink,
}

impl Staged {
    fn create(dir: &Path, name: &str) -> io::Result<Staged> {
        Staged::create_compressed(dir, name, ShardCompression::None)
    }

    fn create_compressed(
        dir: &Path,
        name: &str,
        compression: ShardCompression,
    ) -> io::Result<Staged> {
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = BufWriter::new(fs::File::create(&tmp).map_err(|e| on_file(name, e))?);
        let out = match compression {
            ShardCompression::None => Sink::Plain(file),
            ShardCompression::Zstd => Sink::Zstd(
                zstd::stream::write::Encoder::new(file, 3).map_err(|e| on_file(name, e))?,
            ),
            ShardCompression::Gzip => Sink::Gzip(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::default(),
            )),
        };
        Ok(Staged {
            name: name.to_string(),
            tmp,
            dest: dir.join(name),
            out,
        })
    }

    fn line(&mut self, v: &impl Serialize) -> io::Result<()> {
        let w = self.out.writer();
        serde_json::to_writer(&mut *w, v)
            .map_err(io::Error::from)
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| on_file(&self.name, e))
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out
            .writer()
            .write_all(bytes)
            .map_err(|e| on_file(&self.name, e))
    }

    fn finish(self) -> io::Result<(PathBuf, PathBuf)> {
        let name = self.name;
        let mut file = self.out.finish().map_err(|e| on_file(&name, e))?;
        file.flush()
            .and_then(|()| file.get_ref().sync_all())
            .map_err(|e| on_file(&name, e))?;
        Ok((self.tmp, self.dest))
    }
}

/// Names the file an I/O error happened on; the caller adds the folder.
fn on_file(name: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{name}: {e}"))
}

/// Whether `name` is a documents file copydesk writes: `documents.jsonl` or a shard.
fn is_documents_file(name: &str) -> bool {
    name == "documents.jsonl" || (name.starts_with("documents-") && name.contains(".jsonl"))
}

/// Cuts the rendered document lines into shards of at most `shard_bytes` (uncompressed) each;
/// one shard, plain `documents.jsonl`, when they fit or sharding is off.
fn plan_shards(lines: &[&[u8]], output: &OutputConfig) -> Vec<(String, std::ops::Range<usize>)> {
    let total: u64 = lines.iter().map(|l| l.len() as u64).sum();
    if output.shard_bytes == 0 || total <= output.shard_bytes {
        return vec![("documents.jsonl".to_string(), 0..lines.len())];
    }
    let ext = match output.shard_compression {
        ShardCompression::None => "",
        ShardCompression::Zstd => ".zst",
        ShardCompression::Gzip => ".gz",
    };
    let mut shards = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, l) in lines.iter().enumerate() {
        // A shard always takes at least one document, however large.
        if i > start && bytes + l.len() as u64 > output.shard_bytes {
            shards.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += l.len() as u64;
    }
    shards.push(start..lines.len());
    shards
        .into_iter()
        .enumerate()
        .map(|(n, r)| (format!("documents-{n:05}.jsonl{ext}"), r))
        .collect()
}

/// Writes the output folder. On error nothing is renamed into place and the temporary files
/// are removed, so a failed run (a full or read-only disk) leaves no partial output behind; a
/// complete output of an earlier run, if any, stays as it was.
pub fn write(dir: &Path, run: &mut RunOutput, output: &OutputConfig) -> io::Result<()> {
    let mut temps = Vec::new();
    let result = write_staged(dir, run, output, &mut temps);
    if result.is_err() {
        for tmp in temps {
            let _ = fs::remove_file(tmp);
        }
    }
    result
}

fn write_staged(
    dir: &Path,
    run: &mut RunOutput,
    output: &OutputConfig,
    temps: &mut Vec<PathBuf>,
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    // Records are rendered in parallel, then written in input order.
    let (action, mode) = (run.dedup_action, run.alias_mode);
    let rendered: Vec<(bool, Vec<u8>)> = run
        .docs
        .par_iter()
        .map(|doc| {
            let (text, starts) = text_of(doc);
            let prov = provenance(doc, &starts, mode, action);
            let (dropped, value) = match drop_reason(doc, action) {
                Some(reason) => {
                    // A dropped document keeps its cleaned text so a reviewer can check the decision.
                    let text = if text.is_empty() {
                        doc.paragraphs.join("\n\n")
                    } else {
                        text
                    };
                    (true, record(doc, text, prov, Some(reason)))
                }
                None => (false, record(doc, text, prov, None)),
            };
            let mut line = serde_json::to_vec(&value).expect("a JSON map always serializes");
            line.push(b'\n');
            (dropped, line)
        })
        .collect();
    let kept: Vec<&[u8]> = rendered
        .iter()
        .filter(|(d, _)| !d)
        .map(|(_, l)| l.as_slice())
        .collect();
    let mut staged = Vec::new();
    let mut documents_files = Vec::new();
    for (name, range) in plan_shards(&kept, output) {
        let compression = if name == "documents.jsonl" {
            ShardCompression::None
        } else {
            output.shard_compression
        };
        let mut shard = Staged::create_compressed(dir, &name, compression)?;
        temps.push(shard.tmp.clone());
        for line in &kept[range] {
            shard.raw(line)?;
        }
        staged.push(shard.finish()?);
        documents_files.push(name);
    }
    let mut dropped = Staged::create(dir, "dropped.jsonl")?;
    temps.push(dropped.tmp.clone());
    for (_, line) in rendered.iter().filter(|(d, _)| *d) {
        dropped.raw(line)?;
    }
    let mut rejected = Staged::create(dir, "rejected.jsonl")?;
    temps.push(rejected.tmp.clone());
    for r in &run.rejected {
        rejected.line(r)?;
    }
    let mut clusters = Staged::create(dir, "clusters.jsonl")?;
    temps.push(clusters.tmp.clone());
    for c in &run.clusters {
        clusters.line(c)?;
    }
    run.report.documents_out = kept.len();
    run.report.documents_dropped = rendered.len() - kept.len();
    run.report.documents_rejected = run.rejected.len();
    run.report.documents_files = documents_files.clone();
    let mut report = Staged::create(dir, "report.json")?;
    temps.push(report.tmp.clone());
    let mut value = serde_json::to_value(&run.report)?;
    value["timing"] = json!({
        "seconds": run.report.seconds,
        "mb_per_s": run.report.mb_per_s(),
        "threads": rayon::current_num_threads(),
        "stages": run.report.stages,
    });
    serde_json::to_writer_pretty(report.out.writer(), &value)
        .map_err(io::Error::from)
        .and_then(|()| report.out.writer().write_all(b"\n"))
        .map_err(|e| on_file("report.json", e))?;
    staged.extend([
        dropped.finish()?,
        rejected.finish()?,
        clusters.finish()?,
        report.finish()?,
    ]);
    // The switch from an earlier run's output to this one cannot be one atomic step (several
    // files), so report.json marks completeness: the old one goes first and the new one is
    // renamed in last. A folder without report.json is a run that was cut off mid-switch, and
    // a rerun restores it.
    match fs::remove_file(dir.join("report.json")) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(on_file("report.json", e)),
        _ => {}
    }
    // Documents files of an earlier run that this run did not write (a documents.jsonl where
    // shards are now written, or surplus shards) would be read as part of this output.
    for entry in fs::read_dir(dir)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_documents_file(&name) && !documents_files.contains(&name) {
            fs::remove_file(entry.path()).map_err(|e| on_file(&name, e))?;
        }
    }
    for (tmp, dest) in staged {
        fs::rename(&tmp, &dest).map_err(|e| on_file(&dest.display().to_string(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(shard_bytes: u64) -> OutputConfig {
        OutputConfig {
            shard_bytes,
            shard_compression: ShardCompression::Zstd,
            ..OutputConfig::default()
        }
    }

    #[test]
    fn small_outputs_stay_in_one_plain_file() {
        let lines: Vec<&[u8]> = vec![b"{}\n"; 3];
        assert_eq!(
            plan_shards(&lines, &cfg(100)),
            [("documents.jsonl".to_string(), 0..3)]
        );
        assert_eq!(
            plan_shards(&lines, &cfg(0)),
            [("documents.jsonl".to_string(), 0..3)]
        );
    }

    #[test]
    fn large_outputs_are_cut_into_numbered_shards() {
        let lines: Vec<&[u8]> = vec![b"0123456789\n"; 5];
        let shards = plan_shards(&lines, &cfg(25));
        let names: Vec<&str> = shards.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "documents-00000.jsonl.zst",
                "documents-00001.jsonl.zst",
                "documents-00002.jsonl.zst"
            ]
        );
        assert_eq!(
            shards.iter().map(|(_, r)| r.len()).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        // A document larger than a shard still gets one of its own.
        let big: Vec<&[u8]> = vec![&[b'x'; 100], b"{}\n"];
        assert_eq!(plan_shards(&big, &cfg(10)).len(), 2);
    }
}
