//! Evaluation of the boilerplate pass on labelled news pages
//! (`cargo run --release --example eval_boilerplate`).
//!
//! Two data sets from `../shared/data`:
//!
//! 1. `l3s-gn1/GoldStandard/<uuid>.html`: 621 Google News pages whose blocks are wrapped in
//!    `<span class="x-nc-selN">` (0 not content, 1 headline, 2 full text, 3 supplemental,
//!    4 related content, 5 user comments; text outside every span is not content). Each text
//!    line takes the label that covers most of its characters. **Content** is 1 and 2;
//!    **boilerplate** is 0, 4, 5 and unlabelled text. **Supplemental** (3) is neither: it mixes
//!    what a reader wants (subheads, some captions) with what copydesk removes on purpose
//!    (datelines, bylines, photo credits), so it is left out of precision and recall and its kept
//!    share is reported on its own line. The site is the host of `<base href>` when the page has
//!    one, else the page stands alone (the source-template layer then has nothing to count).
//! 2. `cleanportaleval/`: 71 pages of four portals; the gold (`GoldStandard/<page>.txt`,
//!    CleanEval format) holds only the content. A line of the page is content when it equals a
//!    whole gold block (lines under six words: a short phrase found inside a gold sentence is no
//!    evidence that the line is that sentence), or when it occurs in the gold text or at least
//!    80% of its words are covered by word trigrams of the gold (longer lines); a text counts as
//!    content at most as many times as the gold holds it. Everything else is boilerplate. The site is the
//!    portal (the file-name prefix before `_`).
//!
//! Pages become lines with a small HTML-to-text walk (block tags and `<br>` end a line; script,
//! style, head and comments are skipped; entities and whitespace are fixed by the decode core).
//! Lines without a single letter or digit are not scored. Each page is one document through the
//! real stage: per-site statistics ([`LineStats`]), then [`BoilerplateStage::classify`] with the
//! default `pipeline.toml`. A line cut by the trailing layer counts as kept. The baseline is the
//! C4 line rule on the same lines: drop a line that does not end in terminal punctuation
//! (`.`, `!`, `?`, `"` or a closing quote) or has fewer than 3 words.
//!
//! Exits 1 when content lines kept fall below 99.5% on either set. Skips (exit 0, with a note)
//! when `../shared/data` is absent. Pass `-v` to list every content line removed and `-b` to list
//! the boilerplate lines kept.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::ExitCode;

use copydesk::boilerplate::line_key;
use copydesk::config::Config;
use copydesk::decode::{fix_text, DecodeOptions, Repairs};
use copydesk::doc::Doc;
use copydesk::stages::boilerplate::BoilerplateStage;
use copydesk::stages::line_stats::LineStats;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");
/// The bar on content lines kept, in percent.
const CONTENT_KEPT_BAR: f64 = 99.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Content = 0,
    Supplemental = 1,
    Boilerplate = 2,
}

/// One page: its site and its labelled text lines.
struct Page {
    name: String,
    site: String,
    lines: Vec<(String, Label)>,
}

fn main() -> ExitCode {
    let verbose = std::env::args().any(|a| a == "-v");
    let show_kept = std::env::args().any(|a| a == "-b");
    let data = Path::new(DATA);
    if !data.is_dir() {
        println!("note: {DATA} is absent; evaluation skipped");
        return ExitCode::SUCCESS;
    }
    let config = Config::default();
    let stage = match BoilerplateStage::build(&config.boilerplate) {
        Ok(s) => s,
        Err(e) => {
            println!("cannot build the boilerplate stage: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut ok = true;
    for (name, pages) in [
        ("l3s-gn1", load_l3s(&data.join("l3s-gn1"))),
        ("cleanportaleval", load_cpe(&data.join("cleanportaleval"))),
    ] {
        match pages {
            Ok(pages) => ok &= evaluate(name, &pages, &stage, verbose, show_kept),
            Err(e) => {
                println!("{name}: {e}");
                ok = false;
            }
        }
    }
    if ok {
        println!("eval_boilerplate: all bars met");
        ExitCode::SUCCESS
    } else {
        println!("eval_boilerplate: a bar FAILED");
        ExitCode::FAILURE
    }
}

#[derive(Default)]
struct Counts {
    content: usize,
    content_kept: usize,
    supplemental: usize,
    supplemental_kept: usize,
    boilerplate: usize,
    /// Boilerplate lines removed.
    tp: usize,
    /// Content texts with no copy left.
    fp: usize,
}

/// The lines of one page that share a key: how many of each label, how many kept.
#[derive(Default)]
struct Group {
    labels: [usize; 3],
    kept: usize,
    c4_kept: usize,
    removed: Vec<(&'static str, String)>,
    text: String,
}

impl Counts {
    /// Adds a group with `kept` copies kept; returns 1 when it was content and no copy is left.
    /// Content counts once per distinct text (a sentence printed twice is kept when one copy
    /// is); supplemental and boilerplate count per line, the kept copies going to content first.
    fn add(&mut self, g: &Group, kept: usize) -> usize {
        let [c, s, b] = g.labels;
        let content_copies_kept = kept.min(c);
        let supplemental_kept = (kept - content_copies_kept).min(s);
        let boilerplate_kept = kept - content_copies_kept - supplemental_kept;
        let lost = usize::from(c > 0 && kept == 0);
        self.content += usize::from(c > 0);
        self.content_kept += usize::from(c > 0 && kept > 0);
        self.fp += lost;
        self.supplemental += s;
        self.supplemental_kept += supplemental_kept;
        self.boilerplate += b;
        self.tp += b - boilerplate_kept;
        lost
    }

    fn content_kept_pct(&self) -> f64 {
        pct(self.content_kept, self.content)
    }

    fn row(&self, name: &str) -> String {
        format!(
            "{name:<22} {:>9.1}% {:>9.1}% {:>12.2}% {:>14.1}%",
            pct(self.tp, self.tp + self.fp),
            pct(self.tp, self.boilerplate),
            self.content_kept_pct(),
            pct(self.supplemental_kept, self.supplemental),
        )
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

fn evaluate(
    name: &str,
    pages: &[Page],
    stage: &BoilerplateStage,
    verbose: bool,
    show_kept: bool,
) -> bool {
    let docs: Vec<Doc> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| Doc {
            ordinal: i,
            id: p.name.clone(),
            source: p.name.clone(),
            site: p.site.clone(),
            extra: Default::default(),
            encoding: "utf-8".into(),
            repairs: BTreeMap::new(),
            text: p
                .lines
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>()
                .join("\n")
                .into(),
            removed: Vec::new(),
            paragraphs: Vec::new(),
            aliases: Vec::new(),
            mentions: Vec::new(),
            duplicates: Vec::new(),
            dropped_paragraphs: Vec::new(),
            duplicate_of: None,
        })
        .collect();
    let max_words = stage.corpus_max_words().unwrap_or(0);
    let stats = LineStats::collect(&docs, max_words, stage.corpus_min_docs);
    let mut ours = Counts::default();
    let mut c4 = Counts::default();
    let mut by_reason: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut key = String::new();
    for page in pages {
        let refs: Vec<&str> = page.lines.iter().map(|(l, _)| l.as_str()).collect();
        let Some(cleaned) = stage.classify(&refs, &page.site, &stats) else {
            println!("{name}: the boilerplate pass is disabled in the default configuration");
            return false;
        };
        if std::env::var("EVAL_DUMP").is_ok_and(|d| d == page.name) {
            for (i, (line, label)) in page.lines.iter().enumerate() {
                let reason = cleaned.removals.iter().find(|r| r.line == i);
                let reason = reason.map_or("", |r| r.reason.as_str());
                println!("{i:>4} {label:?} {reason:<16} {line}");
            }
        }
        for r in &cleaned.removals {
            if cleaned.lines[r.line].is_none() {
                *by_reason.entry(r.reason.as_str()).or_default() += 1;
            }
        }
        // Scored per text, not per copy: the lines of a page that share a key form one group,
        // and the kept copies count as content first, then supplemental, then boilerplate.
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        for (i, (line, label)) in page.lines.iter().enumerate() {
            line_key(line, &mut key);
            let g = groups.entry(key.clone()).or_insert_with(|| Group {
                text: line.clone(),
                ..Group::default()
            });
            g.labels[*label as usize] += 1;
            g.kept += usize::from(cleaned.lines[i].is_some());
            g.c4_kept += usize::from(!c4_drops(line));
            if cleaned.lines[i].is_none() {
                let reason = cleaned
                    .removals
                    .iter()
                    .find(|r| r.line == i && r.reason.as_str() != "trailing")
                    .map_or("?", |r| r.reason.as_str());
                g.removed.push((reason, line.clone()));
            }
        }
        for g in groups.values() {
            let lost = ours.add(g, g.kept);
            c4.add(g, g.c4_kept);
            if verbose && lost > 0 {
                for (reason, line) in g.removed.iter().take(lost) {
                    println!("  content removed [{reason}] {}: {line}", page.name);
                }
            }
            if show_kept && g.labels[Label::Boilerplate as usize] > 0 && g.kept > 0 {
                let line = &g.text;
                println!("  boilerplate kept {}: {line}", page.name);
            }
        }
    }
    let sites: HashSet<&str> = pages.iter().map(|p| p.site.as_str()).collect();
    println!(
        "{name}: {} pages, {} sites, {} lines: {} distinct content texts, {} supplemental and {} boilerplate lines",
        pages.len(),
        sites.len(),
        pages.iter().map(|p| p.lines.len()).sum::<usize>(),
        ours.content,
        ours.supplemental,
        ours.boilerplate
    );
    println!(
        "{:<22} {:>10} {:>10} {:>13} {:>15}",
        "", "removal P", "removal R", "content kept", "supplem. kept"
    );
    println!("{}", ours.row("copydesk (default)"));
    println!("{}", c4.row("C4 line rules"));
    let reasons: Vec<String> = by_reason.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!("  lines removed by layer: {}", reasons.join(", "));
    let pass = ours.content_kept_pct() >= CONTENT_KEPT_BAR;
    println!(
        "  content kept {:.2}% {} the {CONTENT_KEPT_BAR}% bar\n",
        ours.content_kept_pct(),
        if pass { "meets" } else { "FAILS" }
    );
    pass
}

/// The C4 line rule: a line is dropped unless it ends in terminal punctuation and has at least
/// three words.
fn c4_drops(line: &str) -> bool {
    let terminal = matches!(
        line.trim_end().chars().last(),
        Some('.' | '!' | '?' | '"' | '”' | '’')
    );
    !terminal || line.split_whitespace().count() < 3
}

// ---------------------------------------------------------------------------------------------
// Loading.

fn sorted_files(dir: &Path, ext: &str) -> Result<Vec<std::path::PathBuf>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    Ok(files)
}

/// Bytes to text: UTF-8 when valid, else windows-1252 (the pages are from 2008-2013 and
/// declare ISO-8859-1 when they declare anything).
fn bytes_to_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn load_l3s(dir: &Path) -> Result<Vec<Page>, String> {
    let mut pages = Vec::new();
    for path in sorted_files(&dir.join("GoldStandard"), "txt")? {
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let html = bytes_to_text(&bytes);
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let site = base_host(&html).unwrap_or_else(|| format!("page:{name}"));
        let lines = html_lines(&html)
            .into_iter()
            .map(|(text, label)| {
                let label = match label {
                    Some(1 | 2) => Label::Content,
                    Some(3) => Label::Supplemental,
                    _ => Label::Boilerplate,
                };
                (text, label)
            })
            .collect();
        pages.push(Page { name, site, lines });
    }
    Ok(pages)
}

/// The host of `<base href="http://host/...">`, without a leading `www.`.
fn base_host(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let at = lower.find("<base ")?;
    let rest = &lower[at..];
    let href = rest.find("href=")? + 5;
    let url = rest[href..].trim_start_matches(['"', '\'']);
    let url = url.split("://").nth(1)?;
    let host: String = url
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| host.to_string())
}

fn load_cpe(dir: &Path) -> Result<Vec<Page>, String> {
    let mut pages = Vec::new();
    for path in sorted_files(&dir.join("input"), "html")? {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let gold_path = dir.join("GoldStandard").join(format!("{name}.txt"));
        let gold = bytes_to_text(
            &std::fs::read(&gold_path).map_err(|e| format!("{}: {e}", gold_path.display()))?,
        );
        let html =
            bytes_to_text(&std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        let site = name.split('_').next().unwrap_or("").to_string();
        let gold = GoldText::new(&gold);
        // A text counts as content at most as often as the gold holds it (at least once when
        // covered): a name in the gold byline does not make every menu copy of it content.
        let mut content_left: HashMap<String, usize> = HashMap::new();
        let mut key = String::new();
        let lines = html_lines(&html)
            .into_iter()
            .map(|(text, _)| {
                line_key(&text, &mut key);
                let left = content_left
                    .entry(key.clone())
                    .or_insert_with(|| gold.occurrences(&key).max(1));
                let label = if *left > 0 && gold.covers(&text) {
                    *left -= 1;
                    Label::Content
                } else {
                    Label::Boilerplate
                };
                (text, label)
            })
            .collect();
        pages.push(Page { name, site, lines });
    }
    Ok(pages)
}

/// A CleanEval gold file: its word trigrams and its whole blocks, on line keys.
struct GoldText {
    /// All gold words, space-separated, with a space at each end.
    words: String,
    trigrams: HashSet<(String, String, String)>,
    blocks: HashSet<String>,
}

impl GoldText {
    fn new(gold: &str) -> GoldText {
        let mut blocks = HashSet::new();
        let mut words: Vec<String> = Vec::new();
        let mut key = String::new();
        // Blocks start with <p>, <h> or <l>; the first line is "URL: ...".
        let body = gold.split_once('\n').map_or("", |(_, b)| b);
        let mut block = String::new();
        let mut flush = |block: &mut String, words: &mut Vec<String>| {
            line_key(&clean(block), &mut key);
            if !key.is_empty() {
                words.extend(key.split(' ').map(str::to_string));
                blocks.insert(key.clone());
            }
            block.clear();
        };
        for line in body.lines() {
            let t = line.trim_start();
            if let Some(rest) = ["<p>", "<h>", "<l>"].iter().find_map(|m| t.strip_prefix(m)) {
                flush(&mut block, &mut words);
                block.push_str(rest);
            } else {
                block.push(' ');
                block.push_str(t);
            }
        }
        flush(&mut block, &mut words);
        let trigrams = words
            .windows(3)
            .map(|w| (w[0].clone(), w[1].clone(), w[2].clone()))
            .collect();
        GoldText {
            words: format!(" {} ", words.join(" ")),
            trigrams,
            blocks,
        }
    }

    /// How many times a line key occurs in the gold, on word boundaries.
    fn occurrences(&self, key: &str) -> usize {
        if key.is_empty() {
            return 0;
        }
        self.words.matches(&format!(" {key} ")).count()
    }

    /// Whether a page line is gold content (see the module comment).
    fn covers(&self, line: &str) -> bool {
        let mut key = String::new();
        line_key(line, &mut key);
        let words: Vec<&str> = key.split(' ').collect();
        if words.len() < 6 {
            return self.blocks.contains(&key);
        }
        if self.occurrences(&key) > 0 {
            return true;
        }
        let mut covered = vec![false; words.len()];
        for (i, w) in words.windows(3).enumerate() {
            let t = (w[0].to_string(), w[1].to_string(), w[2].to_string());
            if self.trigrams.contains(&t) {
                covered[i..i + 3].iter_mut().for_each(|c| *c = true);
            }
        }
        covered.iter().filter(|&&c| c).count() * 5 >= words.len() * 4
    }
}

/// Entities, controls and whitespace of one extracted line, fixed by the decode core.
fn clean(text: &str) -> String {
    let mut repairs = Repairs::default();
    let fixed = fix_text(text, &DecodeOptions::default(), &mut repairs);
    fixed.split_whitespace().collect::<Vec<_>>().join(" ")
}

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "iframe",
    "img",
    "input",
    "legend",
    "li",
    "nav",
    "noscript",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "select",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];
const SKIP_TAGS: &[&str] = &["script", "style", "title", "noscript", "select", "textarea"];

/// Text lines of an HTML page, each with the L3S label (`x-nc-selN` span) covering most of its
/// characters (`None` for text outside every labelled span). Lines without a letter or digit are
/// left out.
fn html_lines(html: &str) -> Vec<(String, Option<u8>)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars_by_label: HashMap<Option<u8>, usize> = HashMap::new();
    let mut spans: Vec<Option<u8>> = Vec::new();
    let mut skip: Option<String> = None;
    let mut rest = html;

    let mut end_line = |text: &mut String, chars_by_label: &mut HashMap<Option<u8>, usize>| {
        let line = clean(text);
        text.clear();
        let label = chars_by_label
            .iter()
            .max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l)))
            .and_then(|(l, _)| *l);
        chars_by_label.clear();
        if line.chars().any(char::is_alphanumeric) {
            out.push((line, label));
        }
    };

    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        if skip.is_none() && lt > 0 {
            let chunk = &rest[..lt];
            let label = spans.iter().rev().find_map(|l| *l);
            let n = chunk.chars().filter(|c| !c.is_whitespace()).count();
            *chars_by_label.entry(label).or_default() += n;
            text.push_str(chunk);
            text.push(' ');
            if n == 0 {
                text.pop();
            }
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |e| &rest[e + 3..]);
            continue;
        }
        let gt = rest.find('>').map_or(rest.len(), |g| g + 1);
        let tag = &rest[..gt];
        rest = &rest[gt..];
        let inner = tag.trim_start_matches('<');
        let closing = inner.starts_with('/');
        let name: String = inner
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(s) = &skip {
            if closing && *s == name {
                skip = None;
            }
            continue;
        }
        if !closing && SKIP_TAGS.contains(&name.as_str()) && !tag.ends_with("/>") {
            skip = Some(name);
            end_line(&mut text, &mut chars_by_label);
            continue;
        }
        if name == "span" {
            if closing {
                spans.pop();
            } else {
                spans.push(sel_label(tag));
            }
        }
        if BLOCK_TAGS.contains(&name.as_str()) {
            end_line(&mut text, &mut chars_by_label);
        }
    }
    end_line(&mut text, &mut chars_by_label);
    out
}

/// The N of `class="x-nc-selN"` in a span tag.
fn sel_label(tag: &str) -> Option<u8> {
    let at = tag.find("x-nc-sel")? + "x-nc-sel".len();
    tag[at..].chars().next()?.to_digit(10).map(|d| d as u8)
}
