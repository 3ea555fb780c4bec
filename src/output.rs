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
use crate::json::{write_json_str, write_json_str_contents};

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
    /// Candidate pairs from the band buckets (documents and paragraphs). An exact copy of an
    /// earlier item takes no part in the buckets: it counts one pair, with the first item of
    /// its text, instead of the pairs it would have shared with it.
    pub candidate_pairs: usize,
    /// Candidate pairs verified as copies that joined two groups of copies. A pair whose two
    /// items are already joined through verified pairs is not verified again: the groups are
    /// the same either way, and most candidate pairs of a widely reprinted story are such.
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
    /// A finished index folder to move into the output as `index/` (`[output] index`).
    pub index: Option<PathBuf>,
}

/// Why a document is dropped whole, if it is.
pub(crate) fn drop_reason(doc: &Doc, action: DedupAction) -> Option<&'static str> {
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

/// The alias mentions of `doc` with offsets in the output text, whose kept paragraphs start at
/// `starts`.
fn mentions(doc: &Doc, starts: &[Option<usize>]) -> Vec<Mention> {
    doc.mentions
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
        .collect()
}

/// The `copydesk` object of a record, as a map; [`write_provenance`] writes the same bytes.
fn provenance(doc: &Doc, starts: &[Option<usize>], mode: AliasMode, action: DedupAction) -> Value {
    let mut p = Map::new();
    p.insert("encoding".into(), json!(doc.encoding));
    p.insert("repairs".into(), json!(doc.repairs));
    p.insert("removed".into(), json!(doc.removed));
    p.insert("aliases".into(), json!(doc.aliases));
    if mode == AliasMode::Annotate {
        p.insert("mentions".into(), json!(mentions(doc, starts)));
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
    // The text is moved in, not serialized into a copy as `json!` would.
    r.insert("text".into(), Value::String(text));
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

/// Whether renaming `doc`'s reserved input fields makes two keys equal (an input with both
/// `id` and `input_id`): the record as a map then keeps one of them, which [`write_record`], writing
/// keys as they come, would not.
fn extra_keys_collide(doc: &Doc) -> bool {
    doc.extra.keys().any(|k| {
        k.strip_prefix("input_")
            .is_some_and(|base| RESERVED.contains(&base) && doc.extra.contains_key(base))
    })
}

/// Appends a value `serde_json` can write (numbers, the input's fields).
fn write_json_value(buf: &mut Vec<u8>, v: &impl Serialize) {
    serde_json::to_writer(&mut *buf, v).expect("numbers and JSON values always serialize");
}

/// Appends `"key":`; `first` leaves out the comma.
fn write_json_key(buf: &mut Vec<u8>, key: &str, first: bool) {
    if !first {
        buf.push(b',');
    }
    write_json_str(buf, key);
    buf.push(b':');
}

/// Appends a JSON array of `items`, each written by `item`.
fn write_json_array<T>(buf: &mut Vec<u8>, items: &[T], mut item: impl FnMut(&mut Vec<u8>, &T)) {
    buf.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        item(buf, x);
    }
    buf.push(b']');
}

/// Appends the output text of `doc` as a JSON string straight from its paragraphs, with no
/// joined copy: the kept paragraphs joined by a blank line as [`text_of`] joins them, or, for a
/// dropped document whose kept text is empty, all of them (a reviewer checks the decision on
/// the cleaned text).
fn write_text(buf: &mut Vec<u8>, doc: &Doc, dropped: bool) {
    let kept = |i: usize| doc.dropped_paragraphs.binary_search(&i).is_err();
    let kept_empty = doc
        .paragraphs
        .iter()
        .enumerate()
        .all(|(i, p)| p.is_empty() || !kept(i));
    buf.reserve(doc.text_len() + 4 * doc.paragraphs.len() + 2);
    buf.push(b'"');
    if dropped && kept_empty {
        for (i, p) in doc.paragraphs.iter().enumerate() {
            if i > 0 {
                buf.extend_from_slice(b"\\n\\n");
            }
            write_json_str_contents(buf, p);
        }
    } else {
        // As in `text_of`, the break goes between paragraphs once the text is not empty.
        let mut empty = true;
        for (i, p) in doc.paragraphs.iter().enumerate() {
            if !kept(i) {
                continue;
            }
            if !empty {
                buf.extend_from_slice(b"\\n\\n");
            }
            empty &= p.is_empty();
            write_json_str_contents(buf, p);
        }
    }
    buf.push(b'"');
}

/// Appends the record of `doc` (without its line break): the bytes `serde_json` writes for
/// [`record`] with [`provenance`], written straight from the document. Only for a document
/// whose input fields do not collide once renamed ([`extra_keys_collide`]).
fn write_record(
    buf: &mut Vec<u8>,
    doc: &Doc,
    dropped: Option<&'static str>,
    action: DedupAction,
    mode: AliasMode,
) {
    buf.extend_from_slice(b"{\"id\":");
    write_json_str(buf, &doc.id);
    write_json_key(buf, "source", false);
    write_json_str(buf, &doc.source);
    if let Some(reason) = dropped {
        write_json_key(buf, "reason", false);
        write_json_str(buf, reason);
        if let Some(of) = &doc.duplicate_of {
            write_json_key(buf, "duplicate_of", false);
            write_json_str(buf, of);
        }
    }
    write_json_key(buf, "text", false);
    write_text(buf, doc, dropped.is_some());
    for (k, v) in &doc.extra {
        if RESERVED.contains(&k.as_str()) {
            write_json_key(buf, &format!("input_{k}"), false);
        } else {
            write_json_key(buf, k, false);
        }
        write_json_value(buf, v);
    }
    write_json_key(buf, "copydesk", false);
    write_provenance(buf, doc, mode, action);
    buf.push(b'}');
}

/// Appends the `copydesk` object of [`provenance`].
fn write_provenance(buf: &mut Vec<u8>, doc: &Doc, mode: AliasMode, action: DedupAction) {
    buf.extend_from_slice(b"{\"encoding\":");
    write_json_str(buf, &doc.encoding);
    buf.extend_from_slice(b",\"repairs\":{");
    for (i, (kind, n)) in doc.repairs.iter().enumerate() {
        write_json_key(buf, kind, i == 0);
        write_json_value(buf, n);
    }
    buf.extend_from_slice(b"},\"removed\":");
    write_json_array(buf, &doc.removed, |buf, r| {
        buf.extend_from_slice(b"{\"text\":");
        write_json_str(buf, &r.text);
        write_json_key(buf, "reason", false);
        write_json_str(buf, &r.reason);
        if let Some(rule) = &r.rule {
            write_json_key(buf, "rule", false);
            write_json_str(buf, rule);
        }
        buf.push(b'}');
    });
    buf.extend_from_slice(b",\"aliases\":");
    write_json_array(buf, &doc.aliases, |buf, a| {
        buf.extend_from_slice(b"{\"from\":");
        write_json_str(buf, &a.from);
        write_json_key(buf, "to", false);
        write_json_str(buf, &a.to);
        write_json_key(buf, "count", false);
        write_json_value(buf, &a.count);
        buf.push(b'}');
    });
    if mode == AliasMode::Annotate {
        buf.extend_from_slice(b",\"mentions\":");
        let (_, starts) = text_of(doc);
        write_json_array(buf, &mentions(doc, &starts), |buf, m| {
            buf.extend_from_slice(b"{\"start\":");
            write_json_value(buf, &m.start);
            write_json_key(buf, "end", false);
            write_json_value(buf, &m.end);
            write_json_key(buf, "from", false);
            write_json_str(buf, &m.from);
            write_json_key(buf, "to", false);
            write_json_str(buf, &m.to);
            buf.push(b'}');
        });
    }
    buf.extend_from_slice(b",\"duplicates\":");
    write_json_array(buf, &doc.duplicates, |buf, d| {
        buf.extend_from_slice(b"{\"paragraph\":");
        write_json_value(buf, &d.paragraph);
        buf.extend_from_slice(b",\"of\":{\"id\":");
        write_json_str(buf, &d.of.id);
        write_json_key(buf, "paragraph", false);
        write_json_value(buf, &d.of.paragraph);
        buf.extend_from_slice(b"},\"similarity\":");
        write_json_value(buf, &d.similarity);
        write_json_key(buf, "cluster", false);
        write_json_value(buf, &d.cluster);
        if let Some(text) = &d.text {
            write_json_key(buf, "text", false);
            write_json_str(buf, text);
        }
        buf.push(b'}');
    });
    if action == DedupAction::Mark {
        if let Some(of) = &doc.duplicate_of {
            write_json_key(buf, "duplicate_of", false);
            write_json_str(buf, of);
        }
    }
    buf.push(b'}');
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
    /// Bytes written since the file's writeback was last started (see [`WRITE_BEHIND`]).
    unsent: u64,
}

/// Written this many bytes, a file's writeback is started ([`start_writeback`]) without
/// waiting for it: the disk then writes the file while the rest is rendered, and the sync at
/// the end waits for the last stretch only. On the 75 MB corpus the sync of `documents.jsonl`
/// waited 23 ms of a 0.8 s run without it.
const WRITE_BEHIND: u64 = 8 << 20;

/// Clusters rendered at once (in parallel) before they are written.
const CLUSTER_BATCH: usize = 4096;

/// Asks the kernel to start writing `file`'s dirty pages to disk, and returns at once. Only
/// Linux has the call (`sync_file_range`); elsewhere the sync at the end does all the work.
/// A failure is ignored: the sync that follows reports any real one.
fn start_writeback(file: &fs::File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain system call on an open descriptor; it reads no memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

impl Staged {
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
            unsent: 0,
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
            .map_err(|e| on_file(&self.name, e))?;
        self.unsent += bytes.len() as u64;
        if self.unsent >= WRITE_BEHIND {
            self.unsent = 0;
            if let Sink::Plain(w) = &mut self.out {
                w.flush().map_err(|e| on_file(&self.name, e))?;
                start_writeback(w.get_ref());
            }
        }
        Ok(())
    }

    /// Ends the stream and syncs the file; returns `(tmp, dest)` for the rename.
    fn finish(self) -> io::Result<(PathBuf, PathBuf)> {
        self.close()?.sync()
    }

    /// Ends the stream and flushes it to the file, not yet synced.
    fn close(self) -> io::Result<Closed> {
        let mut file = self.out.finish().map_err(|e| on_file(&self.name, e))?;
        file.flush().map_err(|e| on_file(&self.name, e))?;
        Ok(Closed {
            name: self.name,
            tmp: self.tmp,
            dest: self.dest,
            file,
        })
    }
}

/// A staged file whose bytes are all written, waiting to be synced to disk.
struct Closed {
    name: String,
    tmp: PathBuf,
    dest: PathBuf,
    file: BufWriter<fs::File>,
}

impl Closed {
    /// Syncs the file; returns `(tmp, dest)` for the rename.
    fn sync(self) -> io::Result<(PathBuf, PathBuf)> {
        self.file
            .get_ref()
            .sync_all()
            .map_err(|e| on_file(&self.name, e))?;
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

/// Documents per batch of [`Writer::documents`]: a batch is rendered while the one before it is
/// written, so at most two batches of rendered records (a few megabytes of news) are held.
const BATCH_DOCS: usize = 4096;

/// Documents per piece of a batch: one task of the parallel rendering, and one write per file.
/// Small enough for the pieces to spread over the threads, large enough for long writes.
const PIECE_DOCS: usize = 64;

/// Some consecutive documents rendered, their JSON lines already sorted by file: the kept ones
/// one after another (with where each ends, for the shard cuts), the dropped ones likewise.
/// Written as a few long slices, with no buffer per record.
#[derive(Default)]
struct Rendered {
    kept: Vec<u8>,
    kept_ends: Vec<usize>,
    dropped: Vec<u8>,
    dropped_count: usize,
}

impl Rendered {
    /// Renders `docs` in order.
    fn of(docs: &[Doc], action: DedupAction, mode: AliasMode) -> Rendered {
        let mut out = Rendered::default();
        for doc in docs {
            let reason = drop_reason(doc, action);
            let buf = match reason {
                Some(_) => {
                    out.dropped_count += 1;
                    &mut out.dropped
                }
                None => &mut out.kept,
            };
            render(doc, reason, action, mode, buf);
            if reason.is_none() {
                out.kept_ends.push(out.kept.len());
            }
        }
        out
    }

    /// Renders `docs` in parallel, one [`Rendered`] per piece, in order.
    fn batch(docs: &[Doc], action: DedupAction, mode: AliasMode) -> Vec<Rendered> {
        docs.par_chunks(PIECE_DOCS)
            .map(|piece| Rendered::of(piece, action, mode))
            .collect()
    }
}

/// Appends the JSON line of one document to `buf`; `dropped` is its [`drop_reason`].
fn render(
    doc: &Doc,
    dropped: Option<&'static str>,
    action: DedupAction,
    mode: AliasMode,
    buf: &mut Vec<u8>,
) {
    if extra_keys_collide(doc) {
        let (text, starts) = text_of(doc);
        // A dropped document keeps its cleaned text so a reviewer can check the decision.
        let text = match dropped {
            Some(_) if text.is_empty() => doc.paragraphs.join("\n\n"),
            _ => text,
        };
        let copydesk = provenance(doc, &starts, mode, action);
        serde_json::to_writer(&mut *buf, &record(doc, text, copydesk, dropped))
            .expect("a record of strings, numbers and maps always serializes");
    } else {
        write_record(buf, doc, dropped, action, mode);
    }
    buf.push(b'\n');
}

/// Writes the output folder. On error nothing is renamed into place and the temporary files
/// are removed, so a failed run (a full or read-only disk) leaves no partial output behind; a
/// complete output of an earlier run, if any, stays as it was.
pub fn write(dir: &Path, run: &mut RunOutput, output: &OutputConfig) -> io::Result<()> {
    let mut w = Writer::create(dir, output, run.dedup_action, run.alias_mode)?;
    w.index = run.index.take();
    w.documents(&run.docs)?;
    let clusters = std::mem::take(&mut run.clusters);
    w.finish(&run.rejected, clusters.into_iter(), &mut run.report)
}

/// The output folder being written, documents arriving in input order a batch at a time and
/// rendered a few thousand at a time, so a run never holds more than two such batches of
/// rendered records.
///
/// Documents go to a shard while it stays under `[output] shard_bytes` (uncompressed); when a
/// second shard is needed, the first is compressed like the others. A run that never needs a
/// second one writes a plain `documents.jsonl`.
pub struct Writer {
    dir: PathBuf,
    output: OutputConfig,
    action: DedupAction,
    mode: AliasMode,
    /// Every temporary file, removed if the writer is dropped unfinished.
    temps: Vec<PathBuf>,
    /// Finished shards: `(tmp, name)`.
    shards: Vec<(PathBuf, String)>,
    current: Option<Staged>,
    current_bytes: u64,
    current_docs: usize,
    dropped: Option<Staged>,
    kept: usize,
    dropped_count: usize,
    /// A finished index folder, renamed to `index/` with the other files.
    pub index: Option<PathBuf>,
}

impl Writer {
    /// Starts writing into `dir` (created if needed).
    pub fn create(
        dir: &Path,
        output: &OutputConfig,
        action: DedupAction,
        mode: AliasMode,
    ) -> io::Result<Writer> {
        fs::create_dir_all(dir)?;
        let mut w = Writer {
            dir: dir.to_path_buf(),
            output: output.clone(),
            action,
            mode,
            temps: Vec::new(),
            shards: Vec::new(),
            current: None,
            current_bytes: 0,
            current_docs: 0,
            dropped: None,
            kept: 0,
            dropped_count: 0,
            index: None,
        };
        let dropped = w.stage("dropped.jsonl", ShardCompression::None)?;
        w.dropped = Some(dropped);
        Ok(w)
    }

    fn stage(&mut self, name: &str, compression: ShardCompression) -> io::Result<Staged> {
        let s = Staged::create_compressed(&self.dir, name, compression)?;
        self.temps.push(s.tmp.clone());
        Ok(s)
    }

    fn shard_name(&self, n: usize) -> String {
        let ext = match self.output.shard_compression {
            ShardCompression::None => "",
            ShardCompression::Zstd => ".zst",
            ShardCompression::Gzip => ".gz",
        };
        format!("documents-{n:05}.jsonl{ext}")
    }

    /// Renders `docs` in parallel and writes them in order. Batches overlap: the next one is
    /// rendered while this thread writes the one before, so the serial writing hides behind the
    /// parallel rendering.
    pub fn documents(&mut self, docs: &[Doc]) -> io::Result<()> {
        let (action, mode) = (self.action, self.mode);
        let mut batches = docs.chunks(BATCH_DOCS);
        let Some(first) = batches.next() else {
            return Ok(());
        };
        let mut rendered = Rendered::batch(first, action, mode);
        for next in batches {
            let (written, next) = rayon::join(
                || self.write_rendered(&rendered),
                || Rendered::batch(next, action, mode),
            );
            written?;
            rendered = next;
        }
        self.write_rendered(&rendered)
    }

    /// Writes rendered pieces in order: each piece's dropped records in one write, its kept
    /// records in as few as the shard cuts allow.
    fn write_rendered(&mut self, pieces: &[Rendered]) -> io::Result<()> {
        for piece in pieces {
            if piece.dropped_count > 0 {
                self.dropped_count += piece.dropped_count;
                self.dropped
                    .as_mut()
                    .expect("open until finish")
                    .raw(&piece.dropped)?;
            }
            // Kept records from `unwritten` up to `end` belong to the current shard but are
            // not written yet: they go in one slice, before a cut or at the end of the piece.
            let (mut unwritten, mut end) = (0, 0);
            for &next in &piece.kept_ends {
                self.kept += 1;
                let len = (next - end) as u64;
                // A shard always takes at least one document, however large.
                let full = self.output.shard_bytes > 0
                    && self.current_docs > 0
                    && self.current_bytes + len > self.output.shard_bytes;
                if full {
                    self.write_kept(&piece.kept[unwritten..end])?;
                    unwritten = end;
                    self.close_shard()?;
                }
                if self.current.is_none() {
                    // The first shard is written plain: it is documents.jsonl unless a second
                    // one follows.
                    let n = self.shards.len();
                    let (name, compression) = if n == 0 {
                        ("documents.jsonl".to_string(), ShardCompression::None)
                    } else {
                        (self.shard_name(n), self.output.shard_compression)
                    };
                    let s = self.stage(&name, compression)?;
                    self.current = Some(s);
                    self.current_bytes = 0;
                    self.current_docs = 0;
                }
                self.current_bytes += len;
                self.current_docs += 1;
                end = next;
            }
            self.write_kept(&piece.kept[unwritten..end])?;
        }
        Ok(())
    }

    /// Writes kept records to the current shard.
    fn write_kept(&mut self, lines: &[u8]) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.current
            .as_mut()
            .expect("a shard is open while it has records to write")
            .raw(lines)
    }

    fn close_shard(&mut self) -> io::Result<()> {
        let Some(s) = self.current.take() else {
            return Ok(());
        };
        let (tmp, _) = s.finish()?;
        if self.shards.is_empty() {
            // A second shard is coming: the first becomes documents-00000, compressed.
            let name = self.shard_name(0);
            let mut first = self.stage(&name, self.output.shard_compression)?;
            let mut plain = fs::File::open(&tmp).map_err(|e| on_file(&name, e))?;
            io::copy(&mut plain, first.out.writer()).map_err(|e| on_file(&name, e))?;
            let (first_tmp, _) = first.finish()?;
            fs::remove_file(&tmp).map_err(|e| on_file(&name, e))?;
            self.shards.push((first_tmp, name));
        } else {
            let name = self.shard_name(self.shards.len());
            self.shards.push((tmp, name));
        }
        Ok(())
    }

    /// Writes the other files and the report, then renames everything into place,
    /// `report.json` last. `report` gets the document counts.
    pub fn finish(
        mut self,
        rejected: &[Rejection],
        clusters: impl Iterator<Item = ClusterRecord>,
        report: &mut Report,
    ) -> io::Result<()> {
        let result = self.finish_inner(rejected, clusters, report);
        if result.is_ok() {
            self.temps.clear();
        }
        result
    }

    fn finish_inner(
        &mut self,
        rejected_docs: &[Rejection],
        clusters: impl Iterator<Item = ClusterRecord>,
        report: &mut Report,
    ) -> io::Result<()> {
        let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
        // The large files are synced on threads of their own while the small ones are written:
        // the wait for the disk (tens of milliseconds for a corpus of news) overlaps the
        // writing of the clusters.
        let mut syncing: Vec<Closed> = Vec::new();
        let mut documents_files = Vec::new();
        match self.current.take() {
            Some(s) if self.shards.is_empty() => {
                syncing.push(s.close()?);
                documents_files.push("documents.jsonl".to_string());
            }
            Some(s) => {
                self.current = Some(s);
                self.close_shard()?;
            }
            None if self.shards.is_empty() => {
                // No document survived: an empty documents.jsonl still says so.
                let s = self.stage("documents.jsonl", ShardCompression::None)?;
                staged.push(s.finish()?);
                documents_files.push("documents.jsonl".to_string());
            }
            None => {}
        }
        for (tmp, name) in self.shards.drain(..) {
            staged.push((tmp, self.dir.join(&name)));
            documents_files.push(name);
        }
        syncing.push(self.dropped.take().expect("open until finish").close()?);
        report.documents_out = self.kept;
        report.documents_dropped = self.dropped_count;
        report.documents_rejected = rejected_docs.len();
        report.documents_files = documents_files.clone();
        let (synced, small) = std::thread::scope(|scope| {
            let syncs: Vec<_> = syncing
                .into_iter()
                .map(|file| scope.spawn(move || file.sync()))
                .collect();
            let small = self.write_small(rejected_docs, clusters, report);
            let synced: io::Result<Vec<_>> = syncs
                .into_iter()
                .map(|s| {
                    s.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect();
            (synced, small)
        });
        staged.extend(synced?);
        staged.extend(small?);
        let dir = &self.dir;
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
        // An index of an earlier run describes that run's documents, not these: replaced, or
        // removed when this run writes none.
        let index = dir.join("index");
        if index.exists() {
            fs::remove_dir_all(&index).map_err(|e| on_file("index", e))?;
        }
        if let Some(tmp) = self.index.take() {
            fs::rename(&tmp, &index).map_err(|e| on_file("index", e))?;
        }
        for (tmp, dest) in staged {
            fs::rename(&tmp, &dest).map_err(|e| on_file(&dest.display().to_string(), e))?;
        }
        Ok(())
    }

    /// Writes and syncs `rejected.jsonl`, `clusters.jsonl` and `report.json` (whose document
    /// counts are set); returns them for the rename, in that order.
    fn write_small(
        &mut self,
        rejected_docs: &[Rejection],
        clusters: impl Iterator<Item = ClusterRecord>,
        report: &Report,
    ) -> io::Result<Vec<(PathBuf, PathBuf)>> {
        let mut staged = Vec::with_capacity(3);
        let mut rejected = self.stage("rejected.jsonl", ShardCompression::None)?;
        for r in rejected_docs {
            rejected.line(r)?;
        }
        staged.push(rejected.finish()?);
        // Clusters are rendered a batch at a time in parallel (they were 12 ms of one thread at
        // the end of a 75 MB run), the same bytes as one `line` each.
        let mut cluster_file = self.stage("clusters.jsonl", ShardCompression::None)?;
        let mut clusters = clusters.peekable();
        let mut batch = Vec::with_capacity(CLUSTER_BATCH);
        while clusters.peek().is_some() {
            batch.clear();
            batch.extend(clusters.by_ref().take(CLUSTER_BATCH));
            let rendered: Vec<Vec<u8>> = batch
                .par_chunks(CLUSTER_BATCH / 16)
                .map(|chunk| {
                    let mut buf = Vec::new();
                    for c in chunk {
                        serde_json::to_writer(&mut buf, c)?;
                        buf.push(b'\n');
                    }
                    Ok::<_, serde_json::Error>(buf)
                })
                .collect::<Result<_, _>>()
                .map_err(|e| on_file("clusters.jsonl", e.into()))?;
            for bytes in &rendered {
                cluster_file.raw(bytes)?;
            }
        }
        staged.push(cluster_file.finish()?);
        let mut out = self.stage("report.json", ShardCompression::None)?;
        let mut value = serde_json::to_value(report)?;
        value["timing"] = json!({
            "seconds": report.seconds,
            "mb_per_s": report.mb_per_s(),
            "threads": rayon::current_num_threads(),
            "stages": report.stages,
        });
        serde_json::to_writer_pretty(out.out.writer(), &value)
            .map_err(io::Error::from)
            .and_then(|()| out.out.writer().write_all(b"\n"))
            .map_err(|e| on_file("report.json", e))?;
        staged.push(out.finish()?);
        Ok(staged)
    }
}

impl Drop for Writer {
    /// An unfinished or failed writer leaves nothing behind but the earlier output.
    fn drop(&mut self) {
        for tmp in &self.temps {
            let _ = fs::remove_file(tmp);
        }
        if let Some(index) = &self.index {
            let _ = fs::remove_dir_all(index);
        }
    }
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

    fn docs(n: usize) -> Vec<Doc> {
        (0..n)
            .map(|i| Doc {
                ordinal: i,
                id: format!("d{i}"),
                paragraphs: vec![format!("paragraph of document {i}")],
                ..Doc::default()
            })
            .collect()
    }

    /// Documents with every part of a record: input fields (reserved names among them, and one
    /// pair that collides once renamed), removed lines, repairs, aliases, mentions, copies.
    fn rich_docs() -> Vec<Doc> {
        use crate::doc::{
            AliasRecord, DuplicateRecord, DuplicateTarget, ParagraphMention, Removed,
        };
        let extra = |fields: Value| match fields {
            Value::Object(map) => map,
            _ => unreachable!("the fields are an object"),
        };
        let full = Doc {
            id: "a\"1".into(),
            source: "f.jsonl:1".into(),
            extra: extra(json!({
                "url": "https://example.com/\u{2028}",
                "id": 5,
                "copydesk": {"x": [1, 2.5, null]},
                "score": 0.1,
                "big": u64::MAX,
            })),
            encoding: "utf-8".into(),
            repairs: [("mojibake".to_string(), 2)].into(),
            removed: vec![Removed {
                text: "Share this".into(),
                reason: "phrase".into(),
                rule: Some("share".into()),
            }],
            paragraphs: vec!["One é.".into(), "Two.".into(), "Three \"q\"\t.".into()],
            aliases: vec![AliasRecord {
                from: "UN".into(),
                to: "United Nations".into(),
                count: 1,
            }],
            mentions: vec![
                ParagraphMention {
                    paragraph: 2,
                    start: 0,
                    end: 5,
                    from: "UN".into(),
                    to: "United Nations".into(),
                },
                ParagraphMention {
                    paragraph: 1,
                    start: 0,
                    end: 3,
                    from: "x".into(),
                    to: "y".into(),
                },
            ],
            duplicates: vec![DuplicateRecord {
                paragraph: 1,
                of: DuplicateTarget {
                    id: "b".into(),
                    paragraph: 0,
                },
                similarity: 0.875,
                cluster: 3,
                text: None,
            }],
            dropped_paragraphs: vec![1],
            ..Doc::default()
        };
        let copy = Doc {
            duplicate_of: Some("b".into()),
            ..full.clone()
        };
        let emptied = Doc {
            dropped_paragraphs: vec![0, 1, 2],
            ..full.clone()
        };
        let colliding = Doc {
            extra: extra(json!({"text": "in", "input_text": "also in", "reason": 1})),
            ..full.clone()
        };
        vec![full, copy, emptied, colliding, Doc::default()]
    }

    #[test]
    fn records_written_straight_equal_records_built_as_maps() {
        let docs = rich_docs();
        let collide: Vec<bool> = docs.iter().map(extra_keys_collide).collect();
        assert_eq!(collide, [false, false, false, true, false]);
        for action in [DedupAction::Drop, DedupAction::Mark] {
            for mode in [AliasMode::Replace, AliasMode::Annotate] {
                for doc in &docs {
                    let reason = drop_reason(doc, action);
                    let (text, starts) = text_of(doc);
                    let text = match reason {
                        Some(_) if text.is_empty() => doc.paragraphs.join("\n\n"),
                        _ => text,
                    };
                    let map = record(doc, text, provenance(doc, &starts, mode, action), reason);
                    let mut expected = serde_json::to_vec(&map).unwrap();
                    expected.push(b'\n');
                    let mut line = Vec::new();
                    render(doc, reason, action, mode, &mut line);
                    assert_eq!(
                        String::from_utf8(line).unwrap(),
                        String::from_utf8(expected).unwrap()
                    );
                }
            }
        }
    }

    proptest::proptest! {
        /// Records written straight equal records built as maps whatever the strings: the text
        /// joined from paragraphs (empty ones too), removed lines, copies and input fields.
        #[test]
        fn records_agree_with_maps_on_any_strings(
            paragraphs in proptest::collection::vec("[a\n\"\\\\\u{1}é]{0,6}", 0..5),
            dropped in proptest::collection::vec(0usize..5, 0..4),
            strings in proptest::collection::vec("[a\n\"\\\\\u{1f}é]{0,6}", 4),
            copy in proptest::bool::ANY,
        ) {
            use crate::doc::{DuplicateRecord, DuplicateTarget, Removed};
            let mut dropped: Vec<usize> = dropped.into_iter().filter(|&i| i < paragraphs.len()).collect();
            dropped.sort_unstable();
            dropped.dedup();
            let mut extra = Map::new();
            extra.insert(strings[0].clone(), json!(strings[1]));
            let doc = Doc {
                id: strings[2].clone(),
                source: strings[3].clone(),
                extra,
                encoding: "UTF-8".into(),
                repairs: [(strings[1].clone(), 3)].into(),
                removed: vec![Removed { text: strings[0].clone(), reason: "phrase".into(), rule: Some(strings[1].clone()) }],
                paragraphs,
                duplicates: vec![DuplicateRecord {
                    paragraph: 0,
                    of: DuplicateTarget { id: strings[3].clone(), paragraph: 1 },
                    similarity: 0.1 + 0.2,
                    cluster: 7,
                    text: Some(strings[2].clone()),
                }],
                dropped_paragraphs: dropped,
                duplicate_of: copy.then(|| strings[1].clone()),
                ..Doc::default()
            };
            proptest::prop_assume!(!extra_keys_collide(&doc));
            for action in [DedupAction::Drop, DedupAction::Mark] {
                for mode in [AliasMode::Replace, AliasMode::Annotate] {
                    let reason = drop_reason(&doc, action);
                    let (text, starts) = text_of(&doc);
                    let text = match reason {
                        Some(_) if text.is_empty() => doc.paragraphs.join("\n\n"),
                        _ => text,
                    };
                    let map = record(&doc, text, provenance(&doc, &starts, mode, action), reason);
                    let mut expected = serde_json::to_vec(&map).unwrap();
                    expected.push(b'\n');
                    let mut line = Vec::new();
                    render(&doc, reason, action, mode, &mut line);
                    proptest::prop_assert_eq!(line, expected);
                }
            }
        }
    }

    /// Writes `docs` in batches of `batch` and returns the documents files with their lines.
    fn written(shard_bytes: u64, docs: &[Doc], batch: usize) -> Vec<(String, Vec<String>)> {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writer::create(
            dir.path(),
            &cfg(shard_bytes),
            DedupAction::Drop,
            AliasMode::Replace,
        )
        .unwrap();
        for chunk in docs.chunks(batch) {
            w.documents(chunk).unwrap();
        }
        let mut report = Report::default();
        w.finish(&[], std::iter::empty(), &mut report).unwrap();
        assert_eq!(report.documents_out, docs.len());
        report
            .documents_files
            .iter()
            .map(|name| {
                let bytes = fs::read(dir.path().join(name)).unwrap();
                let text = if name.ends_with(".zst") {
                    zstd::decode_all(&bytes[..]).unwrap()
                } else {
                    bytes
                };
                let lines = String::from_utf8(text)
                    .unwrap()
                    .lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].to_string())
                    .collect();
                (name.clone(), lines)
            })
            .collect()
    }

    #[test]
    fn small_outputs_stay_in_one_plain_file() {
        for shard_bytes in [0, 1 << 20] {
            let files = written(shard_bytes, &docs(3), 2);
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].0, "documents.jsonl");
            assert_eq!(files[0].1, ["\"d0\"", "\"d1\"", "\"d2\""]);
        }
        // No document at all still writes an (empty) documents.jsonl.
        assert_eq!(
            written(100, &[], 1),
            [("documents.jsonl".to_string(), vec![])]
        );
    }

    #[test]
    fn large_outputs_are_cut_into_numbered_shards_whatever_the_batches() {
        let all = docs(5);
        let line = Rendered::of(&all[..1], DedupAction::Drop, AliasMode::Replace)
            .kept
            .len() as u64;
        // Two documents per shard.
        let shard = 2 * line + line / 2;
        let expected = written(shard, &all, 5);
        let names: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "documents-00000.jsonl.zst",
                "documents-00001.jsonl.zst",
                "documents-00002.jsonl.zst"
            ]
        );
        assert_eq!(
            expected.iter().map(|(_, l)| l.len()).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        for batch in [1, 2, 3] {
            assert_eq!(written(shard, &all, batch), expected, "batches of {batch}");
        }
        // A document larger than a shard still gets one of its own.
        assert_eq!(written(10, &docs(2), 1).len(), 2);
    }

    #[test]
    fn many_documents_keep_their_order_across_pieces_batches_and_shards() {
        let all = docs(2 * BATCH_DOCS + 3 * PIECE_DOCS + 5);
        let expected: Vec<String> = all.iter().map(|d| format!("{:?}", d.id)).collect();
        let whole = written(0, &all, all.len());
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].1, expected);
        // Shards of a few hundred documents, cut wherever the pieces and batches end.
        let shards = written(20_000, &all, all.len());
        assert!(shards.len() > 10);
        let lines: Vec<String> = shards.iter().flat_map(|(_, l)| l.clone()).collect();
        assert_eq!(lines, expected);
        for batch in [1000, PIECE_DOCS + 1] {
            assert_eq!(written(20_000, &all, batch), shards, "batches of {batch}");
        }
    }
}
