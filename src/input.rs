//! Reading raw input: finding files, decompressing them, and cutting them into raw documents.
//!
//! This is the seam between the file system and the pipeline. It knows file kinds (`.txt`,
//! `.jsonl`, and their `.gz` / `.zst` forms), the JSONL field names, and the size limits that keep
//! a hostile input from taking the machine. It does not decode text (a `.txt` file stays bytes
//! here; the decode stage owns encodings) and it never drops anything silently: every file
//! becomes documents, a rejection with a reason, or an entry in the skipped list.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::InputConfig;
use crate::json;

/// Where input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A file or a folder.
    Path(PathBuf),
    /// JSONL on standard input (`-` on the command line).
    Stdin,
}

/// The container format of one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One article per file, any encoding.
    Text,
    /// One JSON object per line.
    Jsonl,
}

/// Compression wrapped around a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (multi-member streams included).
    Gzip,
    /// Zstandard.
    Zstd,
}

/// One file to read, found by [`discover`].
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The path as found (relative paths stay relative, so output does not depend on the cwd).
    pub path: PathBuf,
    /// The folder or file the user named; ids of text files are relative to it.
    pub root: PathBuf,
    /// Container format.
    pub format: Format,
    /// Compression.
    pub compression: Compression,
}

/// The text of a raw document before decoding.
#[derive(Debug, Clone)]
pub enum RawContent {
    /// Bytes of unknown encoding (text files).
    Bytes(Vec<u8>),
    /// Already a string (JSONL text fields are UTF-8 by definition).
    Text(String),
}

/// One document as read, before any pass.
#[derive(Debug, Clone)]
pub struct RawDoc {
    /// Document id.
    pub id: String,
    /// Where it came from: the path, plus `:line` for JSONL.
    pub source: String,
    /// The key that groups documents of one site for per-source statistics.
    pub site: String,
    /// Its text.
    pub content: RawContent,
    /// JSONL fields other than text and id, passed through untouched.
    pub extra: Map<String, Value>,
}

/// An input that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// The file (and `:line` for a JSONL line).
    pub source: String,
    /// 1-based line, for JSONL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset in the (decompressed) file where the problem starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What went wrong.
    pub error: String,
}

impl Rejection {
    /// A whole file (or folder) that could not be read.
    pub fn file(source: impl Into<String>, error: String) -> Rejection {
        Rejection {
            source: source.into(),
            line: None,
            offset: None,
            error,
        }
    }
}

/// A file that was found but is not of a kind copydesk reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// Why it was not read.
    pub reason: String,
}

/// The result of finding input files.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to read, in deterministic order.
    pub files: Vec<InputFile>,
    /// Files of other kinds.
    pub skipped: Vec<Skipped>,
    /// Paths that could not be listed or opened.
    pub rejected: Vec<Rejection>,
}

/// Classifies a path by its extensions; `None` for kinds copydesk does not read.
pub fn classify(path: &Path) -> Option<(Format, Compression)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
        (s, Compression::Gzip)
    } else if let Some(s) = name.strip_suffix(".zst") {
        (s, Compression::Zstd)
    } else {
        (name.as_str(), Compression::None)
    };
    let format = if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") {
        Format::Jsonl
    } else if stem.ends_with(".txt") || stem.ends_with(".text") {
        Format::Text
    } else {
        return None;
    };
    Some((format, compression))
}

/// Lists the files under the given paths: folders recursively, entries sorted by name so the
/// order (and with it the output) never depends on the file system. Symlinked folders are
/// followed once; a loop is reported, not walked forever.
pub fn discover(paths: &[PathBuf]) -> Discovery {
    let mut out = Discovery::default();
    for root in paths {
        let mut visited = BTreeSet::new();
        walk(root, root, &mut visited, &mut out);
    }
    out
}

fn walk(root: &Path, path: &Path, visited: &mut BTreeSet<PathBuf>, out: &mut Discovery) {
    let shown = path.display().to_string();
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.rejected
                .push(Rejection::file(shown, format!("cannot open: {e}")));
            return;
        }
    };
    if meta.is_dir() {
        // Canonical paths catch a symlink that points back up the tree.
        match fs::canonicalize(path) {
            Ok(real) if !visited.insert(real.clone()) => {
                out.skipped.push(Skipped {
                    path: shown,
                    reason: format!("symlink loop back to {}", real.display()),
                });
                return;
            }
            Ok(_) => {}
            Err(e) => {
                out.rejected
                    .push(Rejection::file(shown, format!("cannot resolve: {e}")));
                return;
            }
        }
        let entries = match fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                out.rejected
                    .push(Rejection::file(shown, format!("cannot list folder: {e}")));
                return;
            }
        };
        let mut children: Vec<PathBuf> = Vec::new();
        for entry in entries {
            match entry {
                Ok(e) => children.push(e.path()),
                Err(e) => out.rejected.push(Rejection::file(
                    shown.clone(),
                    format!("cannot list folder entry: {e}"),
                )),
            }
        }
        children.sort();
        for child in children {
            walk(root, &child, visited, out);
        }
    } else {
        match classify(path) {
            Some((format, compression)) => out.files.push(InputFile {
                path: path.to_path_buf(),
                root: root.to_path_buf(),
                format,
                compression,
            }),
            None => out.skipped.push(Skipped {
                path: shown,
                reason: "not a .txt or .jsonl file (optionally .gz or .zst)".into(),
            }),
        }
    }
}

/// Reads a whole stream, bounded by `limit`; past it the input is a bomb (or an oversized
/// document), not a document. `key` names the configuration key the limit comes from, for the
/// message. On a read error the bytes read so far are returned with the error, so complete JSONL
/// lines before a truncation are still used. `size_hint` (a plain file's length) sizes the
/// buffer once, where growing it would copy the bytes read so far at every doubling.
fn read_bounded(
    mut reader: impl Read,
    limit: u64,
    key: &str,
    size_hint: u64,
) -> (Vec<u8>, Option<String>) {
    // One byte past the hint lets the read see the end without growing the buffer. A hint the
    // allocator refuses (a sparse file of a terabyte) is dropped: the read then grows the buffer
    // as it goes, and stops where memory does, as it would without a hint.
    let mut buf = Vec::new();
    let capacity = size_hint.min(limit).saturating_add(1);
    if let Ok(capacity) = usize::try_from(capacity) {
        let _ = buf.try_reserve_exact(capacity);
    }
    match reader
        .by_ref()
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
    {
        Ok(_) if buf.len() as u64 > limit => {
            buf.truncate(limit as usize);
            (buf, Some(past_limit(limit, key)))
        }
        Ok(_) => (buf, None),
        Err(e) => (buf, Some(format!("read error: {e}"))),
    }
}

/// The message for a stream that passes its read limit; `key` is the configuration key the
/// limit comes from.
fn past_limit(limit: u64, key: &str) -> String {
    let what = if key == "max_document_bytes" {
        "document size"
    } else {
        "decompressed size"
    };
    format!("{what} exceeds {key} ({limit} bytes)")
}

/// The read limit of one file and the key it comes from. A text file is one document, so it is
/// never read past `max_document_bytes`; a compressed file never expands past
/// `max_decompressed_bytes`. A plain JSONL file is read whole (its lines are bounded one by one).
fn read_limit(file: &InputFile, config: &InputConfig) -> (u64, &'static str) {
    let decompressed = match file.compression {
        Compression::None => (u64::MAX, "max_decompressed_bytes"),
        _ => (config.max_decompressed_bytes, "max_decompressed_bytes"),
    };
    match file.format {
        Format::Text if config.max_document_bytes < decompressed.0 => {
            (config.max_document_bytes, "max_document_bytes")
        }
        _ => decompressed,
    }
}

/// An input file opened for reading: its decompressed stream with a size hint (a plain
/// file's length), or why it cannot be decompressed at all.
enum Opened {
    Stream(Box<dyn Read + Send>, u64),
    Broken(String),
}

fn open_reader(file: &InputFile) -> io::Result<Opened> {
    let f = fs::File::open(&file.path)?;
    Ok(match file.compression {
        // Read straight into the buffer: a BufReader would only add a copy.
        Compression::None => {
            let len = f.metadata().map_or(0, |m| m.len());
            Opened::Stream(Box::new(f), len)
        }
        Compression::Gzip => Opened::Stream(
            Box::new(flate2::read::MultiGzDecoder::new(io::BufReader::new(f))),
            0,
        ),
        Compression::Zstd => match zstd::stream::read::Decoder::new(io::BufReader::new(f)) {
            Ok(d) => Opened::Stream(Box::new(d), 0),
            Err(e) => Opened::Broken(format!("not a zstd stream: {e}")),
        },
    })
}

/// The documents and rejections that one input yields.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Documents in file order.
    pub docs: Vec<RawDoc>,
    /// Problems in file order.
    pub rejected: Vec<Rejection>,
    /// Bytes read (after decompression).
    pub bytes: u64,
}

/// Reads one file into raw documents.
pub fn read_file(file: &InputFile, config: &InputConfig) -> Loaded {
    let source = file.path.display().to_string();
    let opened = match open_reader(file) {
        Ok(x) => x,
        Err(e) => {
            return Loaded {
                rejected: vec![Rejection {
                    source,
                    line: None,
                    offset: None,
                    error: format!("cannot open: {e}"),
                }],
                ..Loaded::default()
            }
        }
    };
    let site = file
        .path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let (limit, key) = read_limit(file, config);
    match (file.format, opened) {
        (_, Opened::Broken(error)) => Loaded {
            rejected: vec![Rejection {
                source,
                line: None,
                offset: Some(0),
                error,
            }],
            ..Loaded::default()
        },
        (Format::Text, Opened::Stream(reader, size_hint)) => {
            let (bytes, error) = read_bounded(reader, limit, key, size_hint);
            let mut out = Loaded {
                bytes: bytes.len() as u64,
                ..Loaded::default()
            };
            if let Some(error) = error {
                out.rejected.push(Rejection {
                    source,
                    line: None,
                    offset: Some(bytes.len() as u64),
                    error,
                });
            } else {
                out.docs.push(RawDoc {
                    id: text_id(file),
                    source,
                    site,
                    content: RawContent::Bytes(bytes),
                    extra: Map::new(),
                });
            }
            out
        }
        (Format::Jsonl, Opened::Stream(reader, _)) => {
            let stem = file_stem(&file.path);
            let input = JsonlInput {
                source: &source,
                stem: &stem,
                site: &site,
                config,
            };
            read_jsonl_stream(reader, (limit, key), &input, CHUNK_BYTES)
        }
    }
}

/// Reads JSONL from standard input.
pub fn read_stdin(config: &InputConfig) -> Loaded {
    let input = JsonlInput {
        source: "-",
        stem: "stdin",
        site: "-",
        config,
    };
    let limit = (config.max_decompressed_bytes, "max_decompressed_bytes");
    read_jsonl_stream(io::stdin(), limit, &input, CHUNK_BYTES)
}

fn file_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    let mut cut = name.len();
    for ext in [".gz", ".zst"] {
        if lower.ends_with(ext) {
            cut -= ext.len();
        }
    }
    let base = &name[..cut];
    base.rfind('.').map_or(base, |i| &base[..i]).to_string()
}

/// A text file's id: its path below the input root without extensions, so files of the same
/// name in different subfolders keep distinct ids.
fn text_id(file: &InputFile) -> String {
    let rel = file.path.strip_prefix(&file.root).unwrap_or(&file.path);
    let stem = file_stem(&file.path);
    match rel.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => format!("{}/{stem}", dir.display()),
        _ => stem,
    }
}

/// The site of a JSONL record: a URL's host when the field holds a URL, else the value itself.
fn site_of(value: &Value) -> Option<String> {
    let s = value.as_str()?;
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Some(host.trim_start_matches("www.").to_ascii_lowercase())
}

/// The lines of JSONL bytes with their byte offsets, without their terminators. A line ends at
/// `\n`, `\r\n` or a lone `\r` (old Mac files, and files pasted together from both): JSON
/// never holds a raw `\r` inside a string, so a lone one can only be whitespace or a break.
fn lines(bytes: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut start = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = &bytes[start..];
        let line_start = start;
        match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) => {
                let crlf = rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n');
                start += i + if crlf { 2 } else { 1 };
                Some((line_start as u64, &rest[..i]))
            }
            None => {
                done = true;
                Some((line_start as u64, rest))
            }
        }
    })
}

/// JSONL input below this size is parsed on the calling thread; above it, it is cut into chunks
/// of about this size, parsed in parallel. A chunk of a megabyte holds hundreds of news records,
/// so the per-chunk work (one task, one line count) is lost in the parsing.
const CHUNK_BYTES: usize = 1 << 20;

/// Cuts JSONL bytes into documents. Each line is judged alone: a malformed line is rejected with
/// its line number and offset, and the lines around it are still read.
///
/// A large input is parsed in parallel, in chunks cut after a `\n`; the documents and rejections
/// are the same, in the same order, as those of one pass over the whole.
pub fn read_jsonl(
    bytes: &[u8],
    source: &str,
    stem: &str,
    site: &str,
    config: &InputConfig,
) -> Loaded {
    read_jsonl_chunked(bytes, source, stem, site, config, CHUNK_BYTES)
}

/// [`read_jsonl`] with chunks of about `chunk_bytes` (the tests cut small inputs finely).
fn read_jsonl_chunked(
    bytes: &[u8],
    source: &str,
    stem: &str,
    site: &str,
    config: &InputConfig,
    chunk_bytes: usize,
) -> Loaded {
    let input = JsonlInput {
        source,
        stem,
        site,
        config,
    };
    read_jsonl_stream(bytes, (u64::MAX, ""), &input, chunk_bytes)
}

/// Reads JSONL from `reader`, at most `limit` bytes (`key` names the configuration key of the
/// limit, for the message), as [`read_jsonl`] reads a whole input: documents and rejections in
/// input order, line numbers and offsets counted over the whole stream.
///
/// The stream is read a chunk of about `chunk_bytes` at a time, each chunk cut after its last
/// `\n`, and parsed by another thread while this one reads (or decompresses) the next, so the
/// input is never held whole beside its documents: a few chunks at a time are. On the 75 MB
/// corpus this changed neither the time nor the peak (the whole buffer was freed before the
/// peak, and reused); it matters for a large compressed input, whose decompression is one
/// thread's work, and for a share read out of core, which holds its documents and not their
/// bytes too.
///
/// A read error or the limit ends the stream: its complete lines are still used, and the
/// line cut mid-way belongs to the error, which is rejected with the offset where it happened.
fn read_jsonl_stream(
    mut reader: impl Read + Send,
    (limit, key): (u64, &str),
    input: &JsonlInput<'_>,
    chunk_bytes: usize,
) -> Loaded {
    let chunk_bytes = chunk_bytes.max(1);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Loaded)>();
    // Bytes read and kept (at most `limit`), bytes handed to chunks, lines before the next
    // chunk, chunks sent.
    let (mut total, mut consumed, mut lines_before, mut sent) = (0u64, 0u64, 0u64, 0usize);
    let mut error = None;
    rayon::scope(|scope| {
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let mut buf = Vec::with_capacity(carry.len() + chunk_bytes.min(CHUNK_BYTES));
            buf.append(&mut carry);
            let mut has_break = memchr::memchr(b'\n', &buf).is_some();
            let mut ended = false;
            // Fill up to a chunk; a line longer than that is read on until its end.
            while buf.len() < chunk_bytes || !has_break {
                // One byte past the limit tells a stream that passes it.
                let want = (chunk_bytes.min(CHUNK_BYTES) as u64)
                    .min((limit - total).saturating_add(1)) as usize;
                let start = buf.len();
                // Into the buffer's spare room, not zeroed first; the bytes read before an
                // error are kept.
                let read = (&mut reader).take(want as u64).read_to_end(&mut buf);
                let n = buf.len() - start;
                if let Err(e) = read {
                    error = Some(format!("read error: {e}"));
                    ended = true;
                } else if n < want {
                    // The end of the stream.
                    ended = true;
                }
                total += n as u64;
                if total > limit {
                    buf.truncate(buf.len() - (total - limit) as usize);
                    total = limit;
                    error = Some(past_limit(limit, key));
                    ended = true;
                }
                if ended {
                    break;
                }
                has_break |= memchr::memchr(b'\n', &buf[start..]).is_some();
            }
            // The chunk ends after its last line break; the rest waits for the next read, or,
            // at the end, is the last line, unless an error cut it off (then it is not parsed).
            let end = match memchr::memrchr(b'\n', &buf) {
                _ if ended && error.is_none() => buf.len(),
                Some(i) => i + 1,
                None if ended => 0,
                None => buf.len(),
            };
            if !ended {
                carry = buf[end..].to_vec();
            }
            buf.truncate(end);
            if !buf.is_empty() {
                let (offset, first_line) = (consumed, lines_before);
                consumed += buf.len() as u64;
                lines_before += line_breaks(&buf);
                let tx = tx.clone();
                let k = sent;
                scope.spawn(move |_| {
                    let parsed = parse_chunk(input, &buf, offset, first_line);
                    // The receiver outlives the scope: sending cannot fail.
                    let _ = tx.send((k, parsed));
                });
                sent += 1;
            }
            if ended {
                break;
            }
        }
    });
    drop(tx);
    let mut parts: Vec<(usize, Loaded)> = rx.into_iter().collect();
    parts.sort_unstable_by_key(|&(k, _)| k);
    let mut out = Loaded {
        docs: Vec::with_capacity(parts.iter().map(|(_, p)| p.docs.len()).sum()),
        // The bytes parsed: with an error, the line it cut off is its own.
        bytes: consumed,
        ..Loaded::default()
    };
    for (_, part) in parts {
        out.docs.extend(part.docs);
        out.rejected.extend(part.rejected);
    }
    if let Some(error) = error {
        out.rejected.push(Rejection {
            source: input.source.to_string(),
            line: None,
            offset: Some(total),
            error,
        });
    }
    out
}

/// How many line ends `chunk` holds, counted as [`lines`] counts them (`\r\n` is one).
fn line_breaks(chunk: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', chunk)
        .filter(|&i| !(chunk[i] == b'\r' && chunk.get(i + 1) == Some(&b'\n')))
        .count() as u64
}

/// What every line of one JSONL input shares: where it comes from and the configuration.
struct JsonlInput<'a> {
    source: &'a str,
    stem: &'a str,
    site: &'a str,
    config: &'a InputConfig,
}

/// Parses the lines of one chunk, which starts at byte `offset` of the input after
/// `lines_before` lines. A chunk that ends with its `\n` yields an empty last line, blank
/// and so skipped: it is not a line of the input. `bytes` is left to the caller.
fn parse_chunk(input: &JsonlInput, chunk: &[u8], offset: u64, lines_before: u64) -> Loaded {
    let JsonlInput {
        source,
        stem,
        site,
        config,
    } = *input;
    let mut out = Loaded::default();
    for (n, (line_offset, line)) in lines(chunk).enumerate() {
        let line_no = lines_before + n as u64 + 1;
        let line_offset = offset + line_offset;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue; // A blank line holds no document; it is not a skipped one.
        }
        let at = format!("{source}:{line_no}");
        let reject = |error: String| Rejection {
            source: at.clone(),
            line: Some(line_no),
            offset: Some(line_offset),
            error,
        };
        if line.len() as u64 > config.max_document_bytes {
            out.rejected.push(reject(format!(
                "line of {} bytes exceeds max_document_bytes ({})",
                line.len(),
                config.max_document_bytes
            )));
            continue;
        }
        let (text, id, map) = match flat_fields(line, config) {
            Some(fields) => fields,
            None => match value_fields(line, config) {
                Ok(fields) => fields,
                Err(error) => {
                    out.rejected.push(reject(error));
                    continue;
                }
            },
        };
        let id = id.unwrap_or_else(|| format!("{stem}:{line_no}"));
        let site = if config.source_field.is_empty() {
            site.to_string()
        } else {
            map.get(&config.source_field)
                .and_then(site_of)
                .unwrap_or_else(|| site.to_string())
        };
        out.docs.push(RawDoc {
            id,
            source: at,
            site,
            content: RawContent::Text(text),
            extra: map,
        });
    }
    out
}

/// A record's text, its id if it has one, and its other fields.
type Fields = (String, Option<String>, Map<String, Value>);

/// [`value_fields`] for the common line, an object of strings with each key once, read by
/// [`json::parse_flat_record`] without building a JSON value; `None` for any other line. The
/// text and id fields are taken out as [`Map::remove`] takes them (the last field moves into
/// the place of the one removed), so the other fields come out in the same order.
fn flat_fields(line: &[u8], config: &InputConfig) -> Option<Fields> {
    let mut fields = json::parse_flat_record(line)?;
    let text = fields.iter().position(|(k, _)| *k == config.text_field)?;
    let text = fields.swap_remove(text).1;
    let id = fields
        .iter()
        .position(|(k, _)| *k == config.id_field)
        .map(|i| fields.swap_remove(i).1);
    let extra = fields
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Some((text, id, extra))
}

/// The fields of any JSONL line, read with `serde_json`, or why the line is rejected.
fn value_fields(line: &[u8], config: &InputConfig) -> Result<Fields, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(mut map) = value else {
        return Err("line is not a JSON object".into());
    };
    let text = match map.remove(&config.text_field) {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(format!(
                "field {:?} is not a string but {}",
                config.text_field,
                kind(&other)
            ))
        }
        None => return Err(format!("field {:?} is missing", config.text_field)),
    };
    let id = match map.remove(&config.id_field) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(x)) => Some(x.to_string()),
        Some(other) => {
            return Err(format!(
                "id field {:?} is {}, not a string or number",
                config.id_field,
                kind(&other)
            ))
        }
        None => None,
    };
    Ok((text, id, map))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> InputConfig {
        InputConfig::default()
    }

    #[test]
    fn classifies_by_extension() {
        assert_eq!(
            classify(Path::new("a/b.txt")),
            Some((Format::Text, Compression::None))
        );
        assert_eq!(
            classify(Path::new("b.JSONL.gz")),
            Some((Format::Jsonl, Compression::Gzip))
        );
        assert_eq!(
            classify(Path::new("b.txt.zst")),
            Some((Format::Text, Compression::Zstd))
        );
        assert_eq!(classify(Path::new("b.html")), None);
    }

    #[test]
    fn jsonl_lines_are_judged_one_by_one() {
        let data = b"{\"id\":\"a\",\"text\":\"one\",\"url\":\"x\"}\n{bad\n[1]\n{\"text\":5}\n\r\n{\"text\":\"two\"}\r\n";
        let r = read_jsonl(data, "f.jsonl", "f", "dir", &cfg());
        let ids: Vec<_> = r.docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "f:6"]);
        assert_eq!(r.docs[0].extra.get("url"), Some(&Value::String("x".into())));
        let lines: Vec<_> = r.rejected.iter().map(|x| x.line.unwrap()).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(r.rejected[0].error.starts_with("malformed JSON"));
        assert_eq!(r.rejected[0].offset, Some(34));
        assert!(r.rejected[2].error.contains("not a string but a number"));
    }

    #[test]
    fn lone_carriage_returns_end_lines_too() {
        let data =
            b"{\"text\":\"a\"}\r\n{\"text\":\"b\"}\r{\"text\":\"c\"}\n{bad\r{\"text\":\"d\"}";
        let r = read_jsonl(data, "f.jsonl", "f", "dir", &cfg());
        let ids: Vec<_> = r.docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["f:1", "f:2", "f:3", "f:5"]);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(
            (r.rejected[0].line, r.rejected[0].offset),
            (Some(4), Some(40))
        );
    }

    /// A reader that fails after `ok` bytes.
    struct Failing<'a> {
        bytes: &'a [u8],
        ok: usize,
    }

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.ok == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.ok).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.ok -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_limit_or_a_read_error_keeps_the_complete_lines_before_it() {
        let data = b"{\"text\":\"one\"}\n{\"text\":\"two\"}\n{\"text\":\"three\"}\n";
        let c = cfg();
        let input = JsonlInput {
            source: "f.jsonl",
            stem: "f",
            site: "dir",
            config: &c,
        };
        // The limit falls inside the third line: two documents, the rest rejected at the limit.
        for chunk_bytes in [1, 7, 20, 1000] {
            let r = read_jsonl_stream(
                &data[..],
                (40, "max_decompressed_bytes"),
                &input,
                chunk_bytes,
            );
            let ids: Vec<_> = r.docs.iter().map(|d| d.id.as_str()).collect();
            assert_eq!(ids, ["f:1", "f:2"], "chunks of {chunk_bytes}");
            assert_eq!(r.bytes, 30);
            assert_eq!(r.rejected.len(), 1);
            assert_eq!(r.rejected[0].offset, Some(40));
            assert!(r.rejected[0]
                .error
                .contains("exceeds max_decompressed_bytes (40 bytes)"));
            // A stream just inside the limit is whole.
            let r = read_jsonl_stream(&data[..], (data.len() as u64, "k"), &input, chunk_bytes);
            assert_eq!((r.docs.len(), r.rejected.len()), (3, 0));
            // A read error after 20 bytes: the first line, then the error where it happened.
            let failing = Failing {
                bytes: data,
                ok: 20,
            };
            let r = read_jsonl_stream(failing, (u64::MAX, "k"), &input, chunk_bytes);
            let ids: Vec<_> = r.docs.iter().map(|d| d.id.as_str()).collect();
            assert_eq!(ids, ["f:1"], "chunks of {chunk_bytes}");
            assert_eq!(r.rejected[0].offset, Some(20));
            assert!(r.rejected[0].error.contains("disk on fire"));
        }
    }

    /// Everything a read yields, as text: `RawDoc` has no `PartialEq` (its content may be bytes).
    fn shown(r: &Loaded) -> String {
        format!("{:?} {:?} {}", r.docs, r.rejected, r.bytes)
    }

    #[test]
    fn chunked_reads_equal_one_pass_whatever_the_cuts() {
        let long = format!("{{\"text\":\"{}\"}}", "x".repeat(60));
        let data = [
            &b"{\"id\":\"a\",\"text\":\"one\"}\n\n   \n{bad\r\n[1]\r{\"text\":5}\r\n"[..],
            b"{\"text\":\"\xff\"}\n\r\r\n{\"text\":\"two\",\"id\":7}\r",
            long.as_bytes(),
            b"\n{\"text\":\"last, with no newline\"}",
        ]
        .concat();
        let c = InputConfig {
            max_document_bytes: 50,
            ..cfg()
        };
        let whole = read_jsonl_chunked(&data, "f.jsonl", "f", "dir", &c, usize::MAX);
        let ids: Vec<_> = whole.docs.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["a", "7", "f:12"]);
        let lines: Vec<_> = whole.rejected.iter().map(|x| x.line.unwrap()).collect();
        assert_eq!(lines, [4, 5, 6, 7, 11]);
        for cut in 0..=data.len() {
            for bytes in [&data[..cut], &data[cut..]] {
                let one = read_jsonl_chunked(bytes, "f.jsonl", "f", "dir", &c, usize::MAX);
                for chunk_bytes in [1, 2, 7, 40, 200] {
                    let chunked = read_jsonl_chunked(bytes, "f.jsonl", "f", "dir", &c, chunk_bytes);
                    assert_eq!(
                        shown(&chunked),
                        shown(&one),
                        "cut {cut}, chunks of {chunk_bytes}"
                    );
                }
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        /// A flat record read without a JSON value gives what `serde_json` gives: the same
        /// text, id and other fields, in the same order, whatever the order of the fields and
        /// whether the text and id fields are there.
        #[test]
        fn flat_records_read_as_values_do(
            keys in proptest::sample::subsequence(vec!["id", "text", "url", "a", "b", "c"], 0..=6)
                .prop_shuffle(),
            values in proptest::collection::vec("[a-z\"\\\\\n\u{3}é]{0,5}", 6),
        ) {
            let line = format!(
                "{{{}}}",
                keys.iter()
                    .zip(&values)
                    .map(|(k, v)| format!("{:?}:{}", k, serde_json::to_string(v).unwrap()))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let flat = flat_fields(line.as_bytes(), &cfg());
            let value = value_fields(line.as_bytes(), &cfg()).ok();
            prop_assert_eq!(flat.is_some(), keys.contains(&"text"));
            if flat.is_some() {
                prop_assert_eq!(flat, value);
            }
        }
    }

    #[test]
    fn source_field_groups_by_host() {
        let c = InputConfig {
            source_field: "url".into(),
            ..cfg()
        };
        let r = read_jsonl(
            b"{\"text\":\"t\",\"url\":\"https://www.Example.com/a/b\"}",
            "f",
            "f",
            "dir",
            &c,
        );
        assert_eq!(r.docs[0].site, "example.com");
    }

    #[test]
    fn stems_drop_all_extensions() {
        assert_eq!(file_stem(Path::new("x/a.b.txt.gz")), "a.b");
        assert_eq!(file_stem(Path::new("noext")), "noext");
    }

    #[test]
    fn bounded_reads_stop_at_the_limit() {
        let (buf, err) = read_bounded(&[0u8; 100][..], 10, "max_decompressed_bytes", 100);
        assert_eq!(buf.len(), 10);
        assert!(err.unwrap().contains("max_decompressed_bytes"));
        let (buf, err) = read_bounded(&[0u8; 10][..], 10, "max_decompressed_bytes", 0);
        assert_eq!((buf.len(), err), (10, None));
    }
}
