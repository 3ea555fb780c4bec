//! Bad input and injected faults, run through the real `copydesk` binary: empty and binary
//! files, truncated and bomb-sized compressed streams, broken JSONL, mixed line endings, invalid
//! UTF-8, hostile ids, unreadable files, symlink loops, and an output folder on a full or
//! read-only disk.
//!
//! Every case checks the exit code, the message (naming the file and the line or byte offset),
//! that nothing panicked, and the accounting invariant: every input document appears exactly once
//! across `documents.jsonl`, `dropped.jsonl` and `rejected.jsonl`. `docs/robustness.md` tabulates
//! what these tests cover.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::read_jsonl;

/// A run of the binary and what it wrote.
struct Outcome {
    code: i32,
    stderr: String,
    docs: Vec<Value>,
    dropped: Vec<Value>,
    rejected: Vec<Value>,
    report: Value,
}

/// Runs `copydesk run -q -o out ARGS...` in `dir`; never longer than a minute (a loop that is
/// walked forever fails here rather than hanging the suite).
fn run(dir: &Path, args: &[&str]) -> Outcome {
    let output = Command::cargo_bin("copydesk")
        .expect("binary builds")
        .current_dir(dir)
        .args(["run", "-q", "-o", "out"])
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("copydesk runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "copydesk panicked: {stderr}");
    let out = dir.join("out");
    Outcome {
        code: output.status.code().expect("exited, not killed"),
        stderr,
        docs: read_jsonl(&out.join("documents.jsonl")),
        dropped: read_jsonl(&out.join("dropped.jsonl")),
        rejected: read_jsonl(&out.join("rejected.jsonl")),
        report: fs::read_to_string(out.join("report.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null),
    }
}

impl Outcome {
    /// The accounting invariant for `n` input documents, and the exit code.
    fn accounts_for(&self, n: usize, code: i32) -> &Self {
        let found = self.docs.len() + self.dropped.len() + self.rejected.len();
        assert_eq!(
            found, n,
            "accounting: {n} inputs, {found} in the output\ndocs {:?}\ndropped {:?}\nrejected {:?}\n{}",
            self.docs, self.dropped, self.rejected, self.stderr
        );
        assert_eq!(self.report["documents_in"], n, "report.json documents_in");
        let mut ids: Vec<&str> = self
            .docs
            .iter()
            .chain(&self.dropped)
            .map(|d| d["id"].as_str().expect("string id"))
            .collect();
        ids.sort_unstable();
        let total = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), total, "an id appears twice in the output");
        assert_eq!(self.code, code, "exit code; stderr: {}", self.stderr);
        self
    }

    /// The one rejection whose source ends with `source`; its error must contain `message`.
    fn rejection(&self, source: &str, message: &str) -> &Value {
        let hits: Vec<&Value> = self
            .rejected
            .iter()
            .filter(|r| r["source"].as_str().unwrap().ends_with(source))
            .collect();
        assert_eq!(
            hits.len(),
            1,
            "one rejection of {source}: {:?}",
            self.rejected
        );
        let error = hits[0]["error"].as_str().unwrap();
        assert!(
            error.contains(message),
            "{source}: {error:?} lacks {message:?}"
        );
        hits[0]
    }

    fn doc(&self, id: &str) -> &Value {
        self.docs
            .iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in documents.jsonl: {:?}", self.docs))
    }
}

/// A temporary folder with `raw/` in it.
fn fixture() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    (tmp, raw)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Deterministic noise (xorshift64), so a failure can be replayed.
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

/// `n` JSONL lines with ids `{prefix}{i}` and texts distinct enough that near-duplicate
/// detection keeps them all (each draws its words from a different stretch of noise).
fn jsonl_lines(prefix: &str, n: usize) -> String {
    const WORDS: [&str; 16] = [
        "harbour", "council", "vote", "rain", "market", "bridge", "school", "court", "river",
        "budget", "strike", "museum", "station", "festival", "hospital", "election",
    ];
    let seed = prefix
        .bytes()
        .fold(1u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    (0..n)
        .map(|i| {
            let words: Vec<&str> = noise(
                24,
                (seed ^ (i as u64) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            )
            .iter()
            .map(|&b| WORDS[usize::from(b) % WORDS.len()])
            .collect();
            format!(
                "{{\"id\":\"{prefix}{i}\",\"text\":\"Story {i}: {}.\"}}\n",
                words.join(" ")
            )
        })
        .collect()
}

#[test]
fn empty_nul_and_random_binary_files() {
    let (tmp, raw) = fixture();
    fs::write(raw.join("empty.txt"), "").unwrap();
    fs::write(raw.join("empty.jsonl"), "").unwrap();
    fs::write(raw.join("blank.jsonl"), "\n  \r\n\t\n").unwrap();
    fs::write(raw.join("empty.txt.gz"), "").unwrap();
    fs::write(raw.join("empty.jsonl.zst"), "").unwrap();
    fs::write(raw.join("nul.txt"), [0u8; 4096]).unwrap();
    fs::write(raw.join("nul.jsonl"), [0u8; 4096]).unwrap();
    fs::write(raw.join("random.txt"), noise(65536, 7)).unwrap();
    fs::write(raw.join("random.jsonl"), noise(65536, 11)).unwrap();
    let o = run(tmp.path(), &["raw"]);
    // Empty and blank JSONL files hold no document; every other file is one input.
    let jsonl_noise_lines = noise(65536, 11)
        .split(|&b| b == b'\n' || b == b'\r')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .count();
    o.accounts_for(6 + jsonl_noise_lines, 1);
    let empty = o.dropped.iter().find(|d| d["id"] == "empty").unwrap();
    assert_eq!(empty["reason"], "empty");
    o.rejection("empty.txt.gz", "read error: unexpected end of file");
    assert_eq!(o.rejection("empty.txt.gz", "")["offset"], 0);
    o.rejection("empty.jsonl.zst", "read error");
    o.rejection(
        "nul.txt",
        "cannot decode: binary content (NUL or control bytes) at byte offset 0",
    );
    o.rejection("nul.jsonl:1", "malformed JSON");
    o.rejection("random.txt", "binary content");
    // Every line of random bytes is malformed JSON, rejected with its own line number.
    let noise_rejections = o
        .rejected
        .iter()
        .filter(|r| r["source"].as_str().unwrap().contains("random.jsonl:"))
        .count();
    assert_eq!(noise_rejections, jsonl_noise_lines);
    assert!(o
        .rejected
        .iter()
        .all(|r| !r["source"].as_str().unwrap().contains("random.jsonl:")
            || r["line"].is_u64() && r["offset"].is_u64()));
}

/// The complete lines and byte count a reader gets from a stream before it fails.
fn readable_prefix(mut reader: impl std::io::Read) -> (usize, usize) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    (buf.iter().filter(|&&b| b == b'\n').count(), buf.len())
}

#[test]
fn truncated_gzip_and_zstd_keep_the_complete_lines_and_reject_the_rest() {
    let (tmp, raw) = fixture();
    // Eight gzip members and eight zstd frames of 50 lines each, cut in the middle of the last:
    // the first 350 lines are whole, whatever the decoder's buffering.
    let chunks = |prefix: &str| -> Vec<String> {
        jsonl_lines(prefix, 400)
            .lines()
            .collect::<Vec<_>>()
            .chunks(50)
            .map(|c| c.join("\n") + "\n")
            .collect()
    };
    let (g, z) = (chunks("g"), chunks("z"));
    let mut gz: Vec<u8> = g.iter().flat_map(|c| gzip(c.as_bytes())).collect();
    gz.truncate(gz.len() - gzip(g[7].as_bytes()).len() / 2);
    let zframe = |c: &String| zstd::encode_all(c.as_bytes(), 3).unwrap();
    let mut zst: Vec<u8> = z.iter().flat_map(zframe).collect();
    zst.truncate(zst.len() - zframe(&z[7]).len() / 2);
    fs::write(raw.join("cut.jsonl.gz"), &gz).unwrap();
    fs::write(raw.join("cut.jsonl.zst"), &zst).unwrap();
    let text = "A story cut short by a truncated download.\n".repeat(200);
    let mut gz_text = gzip(text.as_bytes());
    gz_text.truncate(gz_text.len() - 20);
    fs::write(raw.join("cut.txt.gz"), &gz_text).unwrap();
    let mut zst_text = zstd::encode_all(text.as_bytes(), 3).unwrap();
    zst_text.truncate(zst_text.len() - 5);
    fs::write(raw.join("cut.txt.zst"), &zst_text).unwrap();

    let (gz_lines, gz_bytes) = readable_prefix(flate2::read::MultiGzDecoder::new(&gz[..]));
    let (zst_lines, zst_bytes) =
        readable_prefix(zstd::stream::read::Decoder::new(&zst[..]).unwrap());
    let o = run(tmp.path(), &["raw"]);
    // Each truncated file: its complete lines, plus one rejection for the cut tail; a text file
    // is one document, rejected whole.
    o.accounts_for(gz_lines + zst_lines + 2 + 2, 1);
    assert!(
        gz_lines >= 350 && zst_lines >= 350,
        "{gz_lines} {zst_lines}"
    );
    let r = o.rejection("cut.jsonl.gz", "read error: incomplete deflate stream");
    assert_eq!(r["offset"], gz_bytes as u64);
    let r = o.rejection("cut.jsonl.zst", "read error");
    assert_eq!(r["offset"], zst_bytes as u64);
    o.rejection("cut.txt.gz", "read error");
    o.rejection("cut.txt.zst", "read error");
    for id in ["g0", "g349", "z0", "z349"] {
        o.doc(id);
    }
}

#[test]
fn compression_bombs_stop_at_max_decompressed_bytes() {
    let (tmp, raw) = fixture();
    fs::write(
        tmp.path().join("small.toml"),
        "[input]\nmax_decompressed_bytes = 4194304\n",
    )
    .unwrap();
    // 1 GiB of zeros in 1024 gzip members of 1 MiB each: about 1 MB on disk.
    let member = gzip(&vec![0u8; 1 << 20]);
    let bomb = member.repeat(1024);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    fs::write(raw.join("bomb.txt.gz"), &bomb).unwrap();
    fs::write(raw.join("bomb.jsonl.gz"), &bomb).unwrap();
    // 64 MiB of newlines-free text in zstd: a few KB on disk.
    let zbomb = zstd::encode_all(&vec![b'a'; 64 << 20][..], 1).unwrap();
    assert!(zbomb.len() < 64 << 10, "{}", zbomb.len());
    fs::write(raw.join("bomb.txt.zst"), &zbomb).unwrap();
    // A normal compressed file under the limit is still read.
    fs::write(
        raw.join("ok.jsonl.gz"),
        gzip(jsonl_lines("ok", 3).as_bytes()),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let o = run(tmp.path(), &["-c", "small.toml", "raw"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bombs are cut short"
    );
    o.accounts_for(3 + 3, 1);
    for name in ["bomb.txt.gz", "bomb.jsonl.gz", "bomb.txt.zst"] {
        let r = o.rejection(
            name,
            "decompressed size exceeds max_decompressed_bytes (4194304 bytes)",
        );
        assert_eq!(r["offset"], 4194304, "{name}");
    }
    o.doc("ok2");
}

#[test]
fn max_document_bytes_bounds_text_files_and_jsonl_lines() {
    let (tmp, raw) = fixture();
    fs::write(
        tmp.path().join("small.toml"),
        "[input]\nmax_document_bytes = 1000\n",
    )
    .unwrap();
    fs::write(raw.join("big.txt"), "word ".repeat(1000)).unwrap();
    fs::write(
        raw.join("big.txt.gz"),
        gzip("word ".repeat(1000).as_bytes()),
    )
    .unwrap();
    fs::write(raw.join("fits.txt"), "A short story that fits the limit.\n").unwrap();
    let long = format!("{{\"id\":\"long\",\"text\":\"{}\"}}\n", "x".repeat(2000));
    fs::write(
        raw.join("lines.jsonl"),
        format!("{}{long}{}", jsonl_lines("a", 1), jsonl_lines("b", 1)),
    )
    .unwrap();
    let o = run(tmp.path(), &["-c", "small.toml", "raw"]);
    o.accounts_for(3 + 3, 1);
    for name in ["big.txt", "big.txt.gz"] {
        let r = o.rejection(
            name,
            "document size exceeds max_document_bytes (1000 bytes)",
        );
        assert_eq!(r["offset"], 1000);
    }
    let r = o.rejection(
        "lines.jsonl:2",
        &format!(
            "line of {} bytes exceeds max_document_bytes (1000)",
            long.len() - 1
        ),
    );
    assert_eq!(
        (r["line"].as_u64(), r["offset"].as_u64()),
        (Some(2), Some(jsonl_lines("a", 1).len() as u64))
    );
    o.doc("fits");
    o.doc("a0");
    o.doc("b0");
}

/// The issue's figure: a 200 MB single line, between two good ones, under the default limits
/// (64 MiB per document). It is rejected by its length without being parsed, and a 200 MB text
/// file is not even read past the limit.
#[test]
fn a_200_mb_line_is_rejected_by_its_length() {
    let (tmp, raw) = fixture();
    let mut f = fs::File::create(raw.join("huge.jsonl")).unwrap();
    f.write_all(jsonl_lines("before", 1).as_bytes()).unwrap();
    f.write_all(b"{\"id\":\"huge\",\"text\":\"").unwrap();
    let block = vec![b'y'; 1 << 20];
    for _ in 0..200 {
        f.write_all(&block).unwrap();
    }
    f.write_all(b"\"}\n").unwrap();
    f.write_all(jsonl_lines("after", 1).as_bytes()).unwrap();
    drop(f);
    let mut f = fs::File::create(raw.join("huge.txt")).unwrap();
    for _ in 0..200 {
        f.write_all(&block).unwrap();
    }
    drop(f);
    // One long line that fits the limit goes through every pass.
    let long_text = (0..20_000)
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    fs::write(
        raw.join("long.jsonl"),
        format!("{{\"id\":\"long\",\"text\":\"{long_text}.\"}}\n"),
    )
    .unwrap();
    let o = run(tmp.path(), &["raw"]);
    o.accounts_for(3 + 1 + 1, 1);
    let line_len = r#"{"id":"huge","text":""#.len() + 200 * (1 << 20) + 2;
    let r = o.rejection(
        "huge.jsonl:2",
        &format!("line of {line_len} bytes exceeds max_document_bytes (67108864)"),
    );
    assert_eq!(r["line"], 2);
    o.rejection(
        "huge.txt",
        "document size exceeds max_document_bytes (67108864 bytes)",
    );
    o.doc("before0");
    o.doc("after0");
    assert!(o.doc("long")["text"]
        .as_str()
        .unwrap()
        .ends_with("word19999."));
}

#[test]
fn broken_jsonl_lines_are_rejected_one_by_one_with_line_and_offset() {
    let (tmp, raw) = fixture();
    let lines: [&[u8]; 12] = [
        br#"{"id":"ok1","text":"The first good line of the feed."}"#,
        br#"{"id":"bad","text": "unterminated"#,
        br#"["an","array"]"#,
        br#""a string""#,
        b"null",
        br#"{"id":"no-text","body":"wrong field"}"#,
        br#"{"id":"null-text","text":null}"#,
        br#"{"id":"obj-text","text":{"p":"x"}}"#,
        br#"{"id":true,"text":"An id that is a boolean."}"#,
        b"{\"id\":\"bad-utf8\",\"text\":\"caf\xe9 cr\xff\xfeme\"}",
        br#"{"id":7,"text":"A numeric identifier is kept as a string."}"#,
        br#"{"id":"ok2","text":"Rain is expected on Friday, forecasters said."}"#,
    ];
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for l in lines {
        offsets.push(data.len() as u64);
        data.extend_from_slice(l);
        data.push(b'\n');
    }
    fs::write(raw.join("feed.jsonl"), &data).unwrap();
    let o = run(tmp.path(), &["raw"]);
    o.accounts_for(lines.len(), 1);
    let expect = [
        (2, "malformed JSON: EOF while parsing a string"),
        (3, "line is not a JSON object"),
        (4, "line is not a JSON object"),
        (5, "line is not a JSON object"),
        (6, "field \"text\" is missing"),
        (7, "field \"text\" is not a string but null"),
        (8, "field \"text\" is not a string but an object"),
        (9, "id field \"id\" is a boolean, not a string or number"),
        (10, "malformed JSON: invalid unicode code point"),
    ];
    for (line, message) in expect {
        let r = o.rejection(&format!("feed.jsonl:{line}"), message);
        assert_eq!(r["line"], line);
        assert_eq!(r["offset"], offsets[line - 1]);
    }
    o.doc("ok1");
    o.doc("ok2");
    o.doc("7");
}

#[test]
fn mixed_line_endings_in_jsonl_and_text() {
    let (tmp, raw) = fixture();
    let one = jsonl_lines("m", 4);
    let parts: Vec<&str> = one.lines().collect();
    // \r\n, then a lone \r (two documents that once ran together), then \n.
    fs::write(
        raw.join("mixed.jsonl"),
        format!(
            "{}\r\n{}\r{}\n{}\r\n",
            parts[0], parts[1], parts[2], parts[3]
        ),
    )
    .unwrap();
    fs::write(
        raw.join("mixed.txt"),
        "Windows line one of the story.\r\n\r\nOld Mac line two of the story.\r\rUnix line three of the story.\n",
    )
    .unwrap();
    let o = run(tmp.path(), &["raw"]);
    o.accounts_for(5, 0);
    for (i, id) in ["m0", "m1", "m2", "m3"].iter().enumerate() {
        assert!(o.doc(id)["source"]
            .as_str()
            .unwrap()
            .ends_with(&format!("mixed.jsonl:{}", i + 1)));
    }
    let t = o.doc("mixed");
    assert_eq!(
        t["text"],
        "Windows line one of the story.\n\nOld Mac line two of the story.\n\nUnix line three of the story."
    );
    assert!(t["copydesk"]["repairs"]["line_break"].as_u64().unwrap() >= 4);
}

#[test]
fn invalid_utf8_in_the_middle_of_a_utf8_file_costs_only_that_line() {
    let (tmp, raw) = fixture();
    let mut data = "Première ligne du récit, en UTF-8.\n\n".as_bytes().to_vec();
    data.extend_from_slice(b"Une ligne cass\xe9e par un octet \xff isol\xe9.\n\n");
    data.extend_from_slice("Dernière ligne, intacte: café, déjà.\n".as_bytes());
    fs::write(raw.join("mixed.txt"), &data).unwrap();
    let o = run(tmp.path(), &["raw"]);
    o.accounts_for(1, 0);
    let d = o.doc("mixed");
    let text = d["text"].as_str().unwrap();
    assert!(
        text.starts_with("Première ligne du récit, en UTF-8."),
        "{text}"
    );
    assert!(
        text.ends_with("Dernière ligne, intacte: café, déjà."),
        "{text}"
    );
    // The broken line is decoded with the legacy page (recorded), not dropped.
    assert!(text.contains("Une ligne cass"), "{text}");
    assert!(d["copydesk"]["encoding"]
        .as_str()
        .unwrap()
        .starts_with("UTF-8+"));
}

#[test]
fn hostile_and_duplicate_ids_are_data_not_paths() {
    let (tmp, raw) = fixture();
    fs::create_dir(raw.join("sub")).unwrap();
    fs::write(
        raw.join("a.jsonl"),
        concat!(
            "{\"id\":\"../../../etc/passwd\",\"text\":\"An id that climbs out of the folder.\"}\n",
            "{\"id\":\"/abs/path\",\"text\":\"An absolute path as an id.\"}\n",
            "{\"id\":\"nul\\u0000id\",\"text\":\"An id with a NUL character.\"}\n",
            "{\"id\":\"dup\",\"text\":\"The first document to use this id.\"}\n",
            "{\"id\":\"sub/x\",\"text\":\"A JSONL id equal to a text file's id.\"}\n",
        ),
    )
    .unwrap();
    fs::write(
        raw.join("b.jsonl"),
        "{\"id\":\"dup\",\"text\":\"A later document reusing the id in another file.\"}\n",
    )
    .unwrap();
    fs::write(raw.join("sub/x.txt"), "A text file whose id is sub/x.\n").unwrap();
    let o = run(tmp.path(), &["raw"]);
    o.accounts_for(7, 1);
    for id in [
        "../../../etc/passwd",
        "/abs/path",
        "nul\u{0}id",
        "dup",
        "sub/x",
    ] {
        o.doc(id);
    }
    o.rejection(
        "b.jsonl:1",
        "duplicate id \"dup\" (first used by raw/a.jsonl:4)",
    );
    o.rejection(
        "sub/x.txt",
        "duplicate id \"sub/x\" (first used by raw/a.jsonl:5)",
    );
    // Nothing is written outside the output folder, and nothing but the five output files in it.
    let mut top: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["out", "raw"]);
    let mut written: Vec<String> = fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "clusters.jsonl",
            "documents.jsonl",
            "dropped.jsonl",
            "rejected.jsonl",
            "report.json"
        ]
    );
    // `explain` looks ids up in the output; a traversal id is just a key.
    let explained = Command::cargo_bin("copydesk")
        .unwrap()
        .current_dir(tmp.path())
        .args(["explain", "../../../etc/passwd", "-o", "out"])
        .output()
        .unwrap();
    assert_eq!(explained.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&explained.stdout);
    assert!(
        shown.contains("kept in documents.jsonl") && shown.contains("raw/a.jsonl:1"),
        "{shown}"
    );
}

#[test]
fn unreadable_files_and_folders() {
    let (tmp, raw) = fixture();
    fs::write(raw.join("ok.txt"), "A readable story about the harbour.\n").unwrap();
    let secret = raw.join("secret.txt");
    fs::write(&secret, "A story nobody may read.\n").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let locked = raw.join("locked");
    fs::create_dir(&locked).unwrap();
    fs::write(locked.join("inner.txt"), "A story in a locked folder.\n").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = fs::read(&secret).is_ok();
    let o = run(tmp.path(), &["raw"]);
    // Restore so the temporary folder can be removed.
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if privileged {
        eprintln!(
            "note: running as root (or with CAP_DAC_OVERRIDE): mode 000 does not stop reads, \
             so the files are read like any other"
        );
        o.accounts_for(3, 0);
        o.doc("secret");
        o.doc("locked/inner");
    } else {
        o.accounts_for(3, 1);
        o.rejection("secret.txt", "cannot open: Permission denied");
        o.rejection("locked", "cannot list folder: Permission denied");
        o.doc("ok");
    }
}

#[test]
fn symlink_loops_end_and_are_reported() {
    let (tmp, raw) = fixture();
    fs::write(raw.join("ok.txt"), "A story next to a tangle of links.\n").unwrap();
    symlink("self.txt", raw.join("self.txt")).unwrap();
    symlink("ping", raw.join("pong")).unwrap();
    symlink("pong", raw.join("ping")).unwrap();
    fs::create_dir(raw.join("d")).unwrap();
    symlink("..", raw.join("d/up")).unwrap();
    symlink(".", raw.join("d/here")).unwrap();
    let o = run(tmp.path(), &["raw"]);
    o.accounts_for(4, 1);
    for name in ["self.txt", "ping", "pong"] {
        o.rejection(name, "Too many levels of symbolic links");
    }
    o.doc("ok");
    let skipped: Vec<&str> = o.report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped
        .iter()
        .all(|r| r.starts_with("symlink loop back to")));
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A tiny tmpfs mounted for one test, unmounted when dropped; `None` where mounting is not
/// allowed (no root, or a container without CAP_SYS_ADMIN).
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, options: &str) -> Option<Mount> {
        fs::create_dir_all(at).ok()?;
        let ok = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(&self.0).status();
    }
}

fn many_stories(raw: &Path, n: usize) {
    fs::write(raw.join("feed.jsonl"), jsonl_lines("s", n)).unwrap();
}

/// A full disk, two ways: `/dev/full` in place of the first temporary file (works anywhere), and
/// a 64 KiB tmpfs (where mounting is allowed). Exit code 3, the file named, no output file left
/// behind, and an earlier complete output untouched.
#[test]
fn a_full_disk_is_an_io_error_and_leaves_no_partial_output() {
    let (tmp, raw) = fixture();
    many_stories(&raw, 20);
    let first = run(tmp.path(), &["raw"]);
    first.accounts_for(20, 0);
    let out = tmp.path().join("out");
    let before = fs::read(out.join("documents.jsonl")).unwrap();
    // A second run over more input hits a full device on documents.jsonl.
    many_stories(&raw, 40);
    symlink("/dev/full", out.join(".documents.jsonl.tmp")).unwrap();
    let o = run(tmp.path(), &["raw"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("cannot write out: documents.jsonl: No space left on device"),
        "{}",
        o.stderr
    );
    assert_eq!(
        fs::read(out.join("documents.jsonl")).unwrap(),
        before,
        "the earlier complete output is left as it was"
    );
    assert_eq!(
        listing(&out),
        [
            "clusters.jsonl",
            "documents.jsonl",
            "dropped.jsonl",
            "rejected.jsonl",
            "report.json"
        ],
        "temporary files are removed"
    );

    let Some(_mount) = Mount::tmpfs(&tmp.path().join("tiny"), "size=64k") else {
        eprintln!("note: cannot mount a tmpfs here; the real full-disk case is not run");
        return;
    };
    many_stories(&raw, 2000);
    let o = Command::cargo_bin("copydesk")
        .unwrap()
        .current_dir(tmp.path())
        .args(["run", "-q", "-o", "tiny/out", "raw"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("cannot write tiny/out: ") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    assert!(
        listing(&tmp.path().join("tiny/out")).is_empty(),
        "nothing that looks complete"
    );
}

/// A read-only output location: a read-only tmpfs where mounting is allowed (root ignores mode
/// bits, so `chmod` cannot make one), and always an output path under a regular file.
#[test]
fn a_read_only_output_is_an_io_error_with_exit_code_3() {
    let (tmp, raw) = fixture();
    many_stories(&raw, 3);
    fs::write(tmp.path().join("file"), "a file where a folder should be").unwrap();
    let o = Command::cargo_bin("copydesk")
        .unwrap()
        .current_dir(tmp.path())
        .args(["run", "-q", "-o", "file/out", "raw"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write file/out: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let Some(_mount) = Mount::tmpfs(&tmp.path().join("ro"), "ro,size=64k") else {
        eprintln!("note: cannot mount a tmpfs here; the read-only disk case is not run");
        return;
    };
    let o = Command::cargo_bin("copydesk")
        .unwrap()
        .current_dir(tmp.path())
        .args(["run", "-q", "-o", "ro/out", "raw"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("cannot write ro/out: Read-only file system"),
        "{stderr}"
    );
    assert!(listing(&tmp.path().join("ro")).is_empty());
}

#[test]
fn bad_standard_input() {
    let tmp = tempfile::tempdir().unwrap();
    for (input, n, code) in [
        (Vec::new(), 0, 0),
        (vec![0u8; 100], 1, 1),
        (b"{\"text\":\"ok\"}\n{\"text\":".to_vec(), 2, 1),
    ] {
        let output = Command::cargo_bin("copydesk")
            .unwrap()
            .current_dir(tmp.path())
            .args(["run", "-q", "-o", "out", "-"])
            .write_stdin(input)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        let out = tmp.path().join("out");
        let total = read_jsonl(&out.join("documents.jsonl")).len()
            + read_jsonl(&out.join("dropped.jsonl")).len()
            + read_jsonl(&out.join("rejected.jsonl")).len();
        assert_eq!(total, n);
    }
}
