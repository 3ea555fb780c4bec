//! The `pipeline.toml` configuration: its types, its built-in default, and its validation.
//!
//! This module is the only place that knows the file format. It turns text into a [`Config`] whose
//! values have all been checked, and reports every problem at once with the file, line, column and
//! key. Stages never parse configuration themselves: they receive the validated tables and build
//! their runtime objects from them (`Stage::build`), so a bad value can never reach a running
//! pass. What this module is not for: deciding what a value means for the text — that belongs to
//! the stage that consumes it.

use std::cell::Cell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The commented default configuration, byte for byte the repository's `pipeline.toml`.
pub const DEFAULT_TOML: &str = include_str!("../pipeline.toml");

thread_local! {
    /// Set while the built-in default itself is being parsed (see [`builtin`]).
    static PARSING_BUILTIN: Cell<bool> = const { Cell::new(false) };
}

/// The parsed built-in default; every table's `Default` comes from here, so the Rust side holds
/// no second copy of the defaults that could drift from the file.
///
/// serde builds a `#[serde(default)]` struct's default before reading its fields, so parsing
/// the built-in text would ask for the built-in again and deadlock. While it is being parsed,
/// `Default` therefore returns a blank value instead; every key of the built-in text then
/// overwrites it (a test checks that the file names every key).
fn builtin() -> &'static Config {
    static BUILTIN: OnceLock<Config> = OnceLock::new();
    BUILTIN.get_or_init(|| {
        PARSING_BUILTIN.with(|f| f.set(true));
        let parsed = toml::from_str(DEFAULT_TOML);
        PARSING_BUILTIN.with(|f| f.set(false));
        parsed.unwrap_or_else(|e| panic!("the built-in pipeline.toml is invalid: {e}"))
    })
}

/// The whole resolved configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[input]`: where documents come from and how JSONL fields are named.
    #[serde(default)]
    pub input: InputConfig,
    /// `[output]`: where results go.
    #[serde(default)]
    pub output: OutputConfig,
    /// `[decode]`: bytes to clean UTF-8.
    #[serde(default)]
    pub decode: DecodeConfig,
    /// `[boilerplate]`: page furniture removal.
    #[serde(default)]
    pub boilerplate: BoilerplateConfig,
    /// `[aliases]`: one form per entity.
    #[serde(default)]
    pub aliases: AliasesConfig,
    /// `[dedup]`: near-duplicate paragraphs and documents.
    #[serde(default)]
    pub dedup: DedupConfig,
    /// `[run]`: memory budget and work folder of large runs.
    #[serde(default)]
    pub run: RunConfig,
}

impl Default for Config {
    fn default() -> Self {
        builtin().clone()
    }
}

macro_rules! default_from_builtin {
    ($ty:ty, $field:ident) => {
        impl Default for $ty {
            fn default() -> Self {
                if PARSING_BUILTIN.with(Cell::get) {
                    Blank::blank()
                } else {
                    builtin().$field.clone()
                }
            }
        }
    };
}

/// A placeholder value, only ever overwritten field by field while the built-in is parsed.
trait Blank {
    fn blank() -> Self;
}

impl Blank for InputConfig {
    fn blank() -> Self {
        InputConfig {
            paths: Vec::new(),
            text_field: String::new(),
            id_field: String::new(),
            source_field: String::new(),
            max_document_bytes: 0,
            max_decompressed_bytes: 0,
            max_line_bytes: 0,
        }
    }
}

impl Blank for OutputConfig {
    fn blank() -> Self {
        OutputConfig {
            dir: PathBuf::new(),
            shard_bytes: 0,
            shard_compression: ShardCompression::None,
            index: false,
        }
    }
}

impl Blank for RunConfig {
    fn blank() -> Self {
        RunConfig {
            memory: String::new(),
            work: PathBuf::new(),
        }
    }
}

impl Blank for DecodeConfig {
    fn blank() -> Self {
        DecodeConfig {
            enabled: false,
            encoding: String::new(),
            detect_bytes: 0,
            per_line_fallback: false,
            repair_mojibake: false,
            html_entities: false,
            remove_controls: false,
            nbsp_to_space: false,
            normalization: NormalizationForm::None,
            fold_quotes: false,
            fold_dashes: false,
            fold_ligatures: false,
            fold_width: false,
        }
    }
}

impl Blank for BoilerplateConfig {
    fn blank() -> Self {
        BoilerplateConfig {
            enabled: false,
            phrases: Vec::new(),
            prefixes: Vec::new(),
            max_prefix_words: 0,
            wire_credits: Vec::new(),
            patterns: Vec::new(),
            trailing: Vec::new(),
            repeats: false,
            caption_patterns: Vec::new(),
            corpus_min_docs: 0,
            corpus_max_words: 0,
            edges: false,
            edge_max_words: 0,
        }
    }
}

impl Blank for AliasesConfig {
    fn blank() -> Self {
        AliasesConfig {
            enabled: false,
            mode: AliasMode::Replace,
            fuzzy: false,
            max_edit_distance: 0,
            acronym_cues: Vec::new(),
            tables: Vec::new(),
            entities: Vec::new(),
        }
    }
}

impl Blank for DedupConfig {
    fn blank() -> Self {
        DedupConfig {
            enabled: false,
            action: DedupAction::Drop,
            shingle_size: 0,
            num_perm: 0,
            seed: 0,
            threshold: 0.0,
            containment: 0.0,
            short_shingles: 0,
            short_threshold: 0.0,
            bands: 0,
            rows: 0,
            min_paragraph_words: 0,
            keep: KeepPolicy::First,
            source_priority: Vec::new(),
            document_share: 0.0,
        }
    }
}

/// `[input]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Files or folders read when the command line names none.
    pub paths: Vec<PathBuf>,
    /// JSONL field with the text.
    pub text_field: String,
    /// JSONL field with the id.
    pub id_field: String,
    /// JSONL field naming the site; empty means the input's folder.
    pub source_field: String,
    /// Largest accepted document, in bytes.
    pub max_document_bytes: u64,
    /// Largest accepted decompressed size of one compressed input, in bytes.
    pub max_decompressed_bytes: u64,
    /// Longest accepted line of a document's text, in bytes.
    pub max_line_bytes: u64,
}
default_from_builtin!(InputConfig, input);

/// `[output]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputConfig {
    /// Output folder.
    pub dir: PathBuf,
    /// Uncompressed bytes of documents past which documents.jsonl is split into shards (0: never).
    pub shard_bytes: u64,
    /// Compression of the shards.
    pub shard_compression: ShardCompression,
    /// Keep an index of the kept text in `index/`, for later `copydesk run --against` runs.
    pub index: bool,
}

/// `[run]`: how a run uses the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Memory budget: `"auto"` or a size such as `"4G"`, `"512M"`, `"2000000000"`.
    pub memory: String,
    /// Work folder of a run past the budget; empty: beside the output folder.
    pub work: PathBuf,
}

default_from_builtin!(RunConfig, run);

impl RunConfig {
    /// The budget in bytes: the configured size, or for `"auto"` half of the machine's
    /// physical memory (4 GiB when it cannot be read). Validation has checked the value.
    pub fn budget(&self) -> u64 {
        parse_size(&self.memory).unwrap_or_else(|| machine_memory().map_or(4 << 30, |m| m / 2))
    }
}

/// Total physical memory from `/proc/meminfo`, where there is one.
fn machine_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `"4G"`, `"512M"`, `"64K"`, `"1.5G"`, a plain number of bytes; binary units (`G` = 2³⁰);
/// `None` for anything else, `"auto"` included.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let t = t.strip_suffix(['b', 'B']).unwrap_or(t);
    let (number, unit) = match t.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, ' '),
    };
    let shift = match unit {
        ' ' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return None,
    };
    let value: f64 = number.trim().parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| (value * (1u64 << shift) as f64) as u64)
}

/// How output shards are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardCompression {
    /// Zstandard (`.zst`).
    Zstd,
    /// gzip (`.gz`).
    Gzip,
    /// Plain JSONL.
    None,
}
default_from_builtin!(OutputConfig, output);

/// Unicode normalization form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NormalizationForm {
    /// Canonical composition.
    Nfc,
    /// Compatibility composition (folds ligatures, full-width forms, ...).
    Nfkc,
    /// Leave as decoded.
    None,
}

/// `[decode]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecodeConfig {
    /// Whether repairs run.
    pub enabled: bool,
    /// Forced encoding label, empty to detect.
    pub encoding: String,
    /// Bytes the guesser reads.
    pub detect_bytes: usize,
    /// Per-line fallback for mixed files.
    pub per_line_fallback: bool,
    /// Mojibake repair.
    pub repair_mojibake: bool,
    /// HTML entity decoding.
    pub html_entities: bool,
    /// Zero-width and control character removal.
    pub remove_controls: bool,
    /// NBSP to space.
    pub nbsp_to_space: bool,
    /// Normalization form.
    pub normalization: NormalizationForm,
    /// Curly quotes to straight.
    pub fold_quotes: bool,
    /// Dashes to hyphen-minus.
    pub fold_dashes: bool,
    /// Ligatures to letters.
    pub fold_ligatures: bool,
    /// Full-width forms to ASCII.
    pub fold_width: bool,
}
default_from_builtin!(DecodeConfig, decode);

/// `[boilerplate]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoilerplateConfig {
    /// Whether the pass runs.
    pub enabled: bool,
    /// Whole-line phrases.
    pub phrases: Vec<String>,
    /// Line-prefix phrases.
    pub prefixes: Vec<String>,
    /// Longest line the prefix layer removes.
    pub max_prefix_words: usize,
    /// Wire-credit lines.
    pub wire_credits: Vec<String>,
    /// Whole-line regular expressions.
    pub patterns: Vec<String>,
    /// Trailing-fragment regular expressions.
    pub trailing: Vec<String>,
    /// Repeated-line layer.
    pub repeats: bool,
    /// Caption cues for repeated lines.
    pub caption_patterns: Vec<String>,
    /// Documents of one source a template line must occur in.
    pub corpus_min_docs: usize,
    /// Longest line the source-template layer removes.
    pub corpus_max_words: usize,
    /// Edge layer.
    pub edges: bool,
    /// Longest line the edge layer trims.
    pub edge_max_words: usize,
}
default_from_builtin!(BoilerplateConfig, boilerplate);

/// What the alias pass does with a mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AliasMode {
    /// Rewrite the text to the canonical form.
    Replace,
    /// Leave the text; list mentions with offsets.
    Annotate,
}

/// One entity of the alias table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityConfig {
    /// The one form written out.
    pub canonical: String,
    /// Other spellings, matched case-insensitively.
    #[serde(default)]
    pub variants: Vec<String>,
    /// Acronyms, matched case-sensitively and only with context.
    #[serde(default)]
    pub acronyms: Vec<String>,
}

/// `[aliases]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AliasesConfig {
    /// Whether the pass runs.
    pub enabled: bool,
    /// Replace or annotate.
    pub mode: AliasMode,
    /// Skeleton matching of unlisted variants.
    pub fuzzy: bool,
    /// Edit distance allowed between skeletons.
    pub max_edit_distance: u32,
    /// Context words that license an acronym.
    pub acronym_cues: Vec<String>,
    /// Extra table files.
    pub tables: Vec<PathBuf>,
    /// The entity table.
    pub entities: Vec<EntityConfig>,
}
default_from_builtin!(AliasesConfig, aliases);

/// What the dedup pass does with a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DedupAction {
    /// Remove later copies from the text.
    Drop,
    /// Only record them.
    Mark,
}

/// Which member of a cluster is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepPolicy {
    /// The earliest in input order.
    First,
    /// The longest text, ties by input order.
    Longest,
    /// The best-ranked source, ties by input order.
    Priority,
}

/// `[dedup]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Whether the pass runs.
    pub enabled: bool,
    /// Drop or mark.
    pub action: DedupAction,
    /// Words per shingle.
    pub shingle_size: usize,
    /// MinHash values per signature.
    pub num_perm: usize,
    /// Permutation seed.
    pub seed: u64,
    /// Jaccard threshold.
    pub threshold: f64,
    /// Containment threshold.
    pub containment: f64,
    /// Texts with fewer shingles than this are short.
    pub short_shingles: usize,
    /// Jaccard threshold for short texts (no containment).
    pub short_threshold: f64,
    /// LSH bands (0: derived).
    pub bands: usize,
    /// LSH rows per band (0: derived).
    pub rows: usize,
    /// Shortest compared paragraph, in words.
    pub min_paragraph_words: usize,
    /// Keep policy.
    pub keep: KeepPolicy,
    /// Source ranking for `keep = "priority"`.
    pub source_priority: Vec<String>,
    /// Share of copied text that makes a document a duplicate.
    pub document_share: f64,
}
default_from_builtin!(DedupConfig, dedup);

/// One problem found in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// The file, or `<built-in>`.
    pub file: String,
    /// 1-based line and column, when the key could be located.
    pub position: Option<(usize, usize)>,
    /// The dotted key, such as `dedup.threshold`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(
                f,
                "{}:{line}:{col}: `{}`: {}",
                self.file, self.key, self.message
            ),
            None => write!(f, "{}: `{}`: {}", self.file, self.key, self.message),
        }
    }
}

/// Every problem found in a configuration, listed together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, in file order.
    pub issues: Vec<ConfigIssue>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.issues.len();
        writeln!(
            f,
            "invalid configuration ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for issue in &self.issues {
            writeln!(f, "  {issue}")?;
        }
        Ok(())
    }
}

impl Config {
    /// Parses and validates configuration text; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Config, ConfigError> {
        let (config, mut issues) = parse_collecting(text, file);
        if let Some(config) = &config {
            issues.extend(config.validate(text, file));
        }
        issues.sort_by_key(|i| i.position.unwrap_or((usize::MAX, 0)));
        match config {
            Some(config) if issues.is_empty() => Ok(config),
            _ => Err(ConfigError { issues }),
        }
    }

    /// Loads `path`; a missing file is reported as an issue.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text, &file),
            Err(e) => Err(ConfigError {
                issues: vec![ConfigIssue {
                    file,
                    position: None,
                    key: String::new(),
                    message: format!("cannot read: {e}"),
                }],
            }),
        }
    }

    /// Reads the entity tables named in `[aliases] tables` (each a TOML file of
    /// `[[aliases.entities]]`), reporting every unreadable or invalid file at once.
    pub fn load_entity_tables(&self) -> Result<Vec<EntityConfig>, ConfigError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TableFile {
            aliases: TableAliases,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TableAliases {
            entities: Vec<EntityConfig>,
        }
        let mut entities = Vec::new();
        let mut issues = Vec::new();
        for path in &self.aliases.tables {
            let file = path.display().to_string();
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    issues.push(ConfigIssue {
                        file,
                        position: None,
                        key: "aliases.tables".into(),
                        message: format!("cannot read: {e}"),
                    });
                    continue;
                }
            };
            match toml::from_str::<TableFile>(&text) {
                Ok(t) => entities.extend(t.aliases.entities),
                Err(e) => issues.push(ConfigIssue {
                    file,
                    position: e.span().map(|s| line_col(&text, s.start)),
                    key: e.span().map(|s| key_at(&text, s.start)).unwrap_or_default(),
                    message: e.message().trim().to_string(),
                }),
            }
        }
        if issues.is_empty() {
            Ok(entities)
        } else {
            Err(ConfigError { issues })
        }
    }

    /// A stable hash of the resolved configuration, recorded in the report.
    pub fn fingerprint(&self) -> String {
        // `[run]` says how to use the machine, never what the output is: left out, so a run
        // with another memory budget has the same fingerprint (and the same bytes).
        let mut plain = self.clone();
        plain.run = RunConfig::default();
        let text = toml::to_string(&plain).unwrap_or_default();
        format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
    }

    /// Cross-field and range checks that serde's types cannot express.
    fn validate(&self, text: &str, file: &str) -> Vec<ConfigIssue> {
        let mut issues = Vec::new();
        let mut bad = |table: &str, key: &str, message: String| {
            issues.push(ConfigIssue {
                file: file.to_string(),
                position: locate_key(text, table, key),
                key: format!("{table}.{key}"),
                message,
            });
        };
        let r = &self.run;
        if r.memory != "auto" {
            match parse_size(&r.memory) {
                None => bad(
                    "run",
                    "memory",
                    format!("{:?} is not \"auto\" or a size such as \"4G\"", r.memory),
                ),
                Some(m) if m < 1 << 10 => bad("run", "memory", "must be at least 1K".into()),
                Some(_) => {}
            }
        }
        let i = &self.input;
        if i.text_field.is_empty() {
            bad("input", "text_field", "must not be empty".into());
        }
        if i.max_document_bytes == 0 {
            bad(
                "input",
                "max_document_bytes",
                "must be greater than 0".into(),
            );
        }
        if i.max_line_bytes == 0 {
            bad("input", "max_line_bytes", "must be greater than 0".into());
        }
        if i.max_decompressed_bytes == 0 {
            bad(
                "input",
                "max_decompressed_bytes",
                "must be greater than 0".into(),
            );
        }
        let d = &self.decode;
        if !d.encoding.is_empty()
            && encoding_rs::Encoding::for_label(d.encoding.as_bytes()).is_none()
        {
            bad(
                "decode",
                "encoding",
                format!(
                    "unknown encoding label {:?} (use a WHATWG label such as \"windows-1252\")",
                    d.encoding
                ),
            );
        }
        if d.detect_bytes == 0 {
            bad("decode", "detect_bytes", "must be greater than 0".into());
        }
        let b = &self.boilerplate;
        for (key, list) in [
            ("patterns", &b.patterns),
            ("trailing", &b.trailing),
            ("caption_patterns", &b.caption_patterns),
        ] {
            for p in list {
                if let Err(e) = regex::Regex::new(p) {
                    bad(
                        "boilerplate",
                        key,
                        format!("invalid regular expression {p:?}: {e}"),
                    );
                }
            }
        }
        if b.corpus_min_docs < 2 {
            bad(
                "boilerplate",
                "corpus_min_docs",
                "must be at least 2 (a line in one document is not a template)".into(),
            );
        }
        let a = &self.aliases;
        for (n, e) in a.entities.iter().enumerate() {
            if e.canonical.trim().is_empty() {
                bad(
                    "aliases",
                    "entities",
                    format!("entity {} has an empty canonical form", n + 1),
                );
            }
        }
        let x = &self.dedup;
        if !(x.threshold > 0.0 && x.threshold <= 1.0) {
            bad(
                "dedup",
                "threshold",
                format!("must be in (0, 1], got {}", x.threshold),
            );
        }
        if !(x.containment > 0.0 && x.containment <= 1.0) {
            bad(
                "dedup",
                "containment",
                format!("must be in (0, 1], got {}", x.containment),
            );
        }
        if !(x.short_threshold > 0.0 && x.short_threshold <= 1.0) {
            bad(
                "dedup",
                "short_threshold",
                format!("must be in (0, 1], got {}", x.short_threshold),
            );
        }
        if !(x.document_share > 0.0 && x.document_share <= 1.0) {
            bad(
                "dedup",
                "document_share",
                format!("must be in (0, 1], got {}", x.document_share),
            );
        }
        if x.shingle_size == 0 {
            bad("dedup", "shingle_size", "must be at least 1".into());
        }
        if x.num_perm < 2 {
            bad("dedup", "num_perm", "must be at least 2".into());
        }
        if (x.bands == 0) != (x.rows == 0) {
            bad(
                "dedup",
                "bands",
                "bands and rows must both be 0 (derived) or both be set".into(),
            );
        } else if x.bands * x.rows > x.num_perm {
            bad(
                "dedup",
                "bands",
                format!(
                    "bands × rows = {} exceeds num_perm = {}",
                    x.bands * x.rows,
                    x.num_perm
                ),
            );
        }
        if x.keep == KeepPolicy::Priority && x.source_priority.is_empty() {
            bad(
                "dedup",
                "source_priority",
                "keep = \"priority\" needs at least one source".into(),
            );
        }
        issues
    }
}

/// Deserializes, collecting every serde error instead of stopping at the first: after an error
/// at a key, the offending line is blanked and parsing is retried, so the user sees all of their
/// typos in one run. A syntax error ends the loop, since nothing after it can be trusted. The
/// configuration parsed from what is left is returned too, so range checks still run on it.
fn parse_collecting(text: &str, file: &str) -> (Option<Config>, Vec<ConfigIssue>) {
    let mut work = text.to_string();
    let mut issues = Vec::new();
    // Each round blanks one line, so the loop ends after at most one round per line.
    for _ in 0..=text.lines().count() {
        match toml::from_str::<Config>(&work) {
            Ok(config) => return (Some(config), issues),
            Err(e) => {
                let span = e.span();
                let position = span.as_ref().map(|s| line_col(&work, s.start));
                let key = span
                    .as_ref()
                    .map(|s| key_at(&work, s.start))
                    .unwrap_or_default();
                let message = e.message().trim().to_string();
                let syntax = toml::from_str::<toml::Table>(&work).is_err();
                issues.push(ConfigIssue {
                    file: file.to_string(),
                    position,
                    key,
                    message,
                });
                match span {
                    Some(s) if !syntax => blank_line(&mut work, s.start),
                    _ => return (None, issues),
                }
            }
        }
    }
    (None, issues)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The dotted key whose line holds `offset`: the nearest table header above plus the key name.
fn key_at(text: &str, offset: usize) -> String {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let name = line.split('=').next().unwrap_or("").trim();
    let table = text[..start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    match (table, name.is_empty() || name.starts_with('[')) {
        (Some(t), false) => format!("{t}.{name}"),
        (Some(t), true) => t,
        (None, _) => name.to_string(),
    }
}

/// Replaces the line holding `offset` with spaces, keeping every other offset where it was.
fn blank_line(text: &mut String, offset: usize) {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let blank = " ".repeat(end - start);
    text.replace_range(start..end, &blank);
}

/// Finds `key = ` inside `[table]` to point a validation error at it.
fn locate_key(text: &str, table: &str, key: &str) -> Option<(usize, usize)> {
    let mut in_table = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            in_table = t.trim_matches(|c| c == '[' || c == ']').trim() == table;
        } else if in_table && t.split('=').next().map(str::trim) == Some(key) && t.contains('=') {
            let indent = line.len() - line.trim_start().len();
            return Some(line_col(text, offset + indent));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_default_parses_and_validates() {
        let config =
            Config::from_toml(DEFAULT_TOML, "pipeline.toml").expect("default must be valid");
        assert_eq!(config, Config::default());
    }

    #[test]
    fn an_empty_file_means_every_default() {
        assert_eq!(Config::from_toml("", "x.toml").unwrap(), Config::default());
    }

    #[test]
    fn a_partial_table_keeps_the_other_defaults() {
        let c = Config::from_toml("[decode]\nnormalization = \"nfkc\"\n", "x.toml").unwrap();
        assert_eq!(c.decode.normalization, NormalizationForm::Nfkc);
        assert!(c.decode.repair_mojibake);
        assert_eq!(c.boilerplate, Config::default().boilerplate);
    }

    #[test]
    fn every_default_key_is_written_in_the_file() {
        // Serializing the default gives every key the types define; each must appear in the
        // commented file, so a new field cannot be added without documenting its default.
        let table: toml::Table =
            toml::from_str(&toml::to_string(&Config::default()).unwrap()).unwrap();
        let file: toml::Table = toml::from_str(DEFAULT_TOML).unwrap();
        for (name, value) in &table {
            let keys = value.as_table().unwrap().keys();
            let in_file = file[name].as_table().unwrap();
            for key in keys {
                assert!(
                    in_file.contains_key(key),
                    "{name}.{key} is missing from pipeline.toml"
                );
            }
        }
    }

    #[test]
    fn all_errors_are_listed_with_position_and_key() {
        let text = "[decode]\nnormalisation = \"nfc\"\ndetect_bytes = \"many\"\n[dedup]\nthreshold = 1.5\naction = \"delete\"\n";
        let err = Config::from_toml(text, "p.toml").unwrap_err();
        let shown = err.to_string();
        assert_eq!(err.issues.len(), 4, "{shown}");
        assert!(
            shown.contains("p.toml:2:1: `decode.normalisation`"),
            "{shown}"
        );
        assert!(
            shown.contains("p.toml:3:") && shown.contains("decode.detect_bytes"),
            "{shown}"
        );
        assert!(shown.contains("dedup.action"), "{shown}");
        assert!(
            shown.contains("p.toml:5:1: `dedup.threshold`: must be in (0, 1]"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_tables_and_bad_regexes_are_rejected() {
        let err = Config::from_toml("[dedupe]\nenabled = true\n", "p.toml").unwrap_err();
        assert!(err.to_string().contains("dedupe"), "{err}");
        let err =
            Config::from_toml("[boilerplate]\npatterns = ['(unclosed']\n", "p.toml").unwrap_err();
        assert!(err.to_string().contains("boilerplate.patterns"), "{err}");
    }

    #[test]
    fn syntax_errors_stop_with_a_position() {
        let err = Config::from_toml("[decode\n", "p.toml").unwrap_err();
        assert_eq!(err.issues.len(), 1);
        assert_eq!(err.issues[0].position.map(|p| p.0), Some(1));
    }
}
