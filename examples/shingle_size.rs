//! Measures how the shingle size n changes what the estimated Jaccard similarity can tell
//! apart, on two labelled sets in `../shared/data`: MSRP sentence pairs (label 1 = same
//! meaning, many of them lightly edited wire sentences) and Clough & Stevenson's short answers
//! (rewritten from a source text: 0 none, 1 heavy revision, 2 light revision, 3 cut and
//! paste). It is the evidence for the default n recorded in `docs/minhash.md`; it skips with a
//! message when the data is absent.
//!
//! Run: `cargo run --release --example shingle_size`

use copydesk::dedup::minhash::{estimate_jaccard, MinHasher};
use copydesk::dedup::shingle::{containment, Shingler};
use std::path::Path;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");
const NUM_PERM: usize = 128;
const SEED: u64 = 1;

fn main() {
    let msrp =
        std::fs::read_to_string(Path::new(DATA).join("msrp-paraphrase/msr_paraphrase_train.txt"));
    let clough = std::fs::read_to_string(
        Path::new(DATA).join("clough-stevenson-plagiarism/plagiarism-clough-stevenson.csv"),
    );
    match msrp {
        Ok(text) => msrp_report(&text),
        Err(e) => println!("skipping MSRP: {e} (no ../shared/data?)"),
    }
    match clough {
        Ok(text) => clough_report(&text),
        Err(e) => println!("skipping Clough & Stevenson: {e} (no ../shared/data?)"),
    }
}

/// Estimated Jaccard and exact containment of two texts with shingle size `n`.
fn similarities(sh: &mut Shingler, h: &MinHasher, a: &str, b: &str, n: usize) -> (f64, f64) {
    let (mut sa, mut sb) = (Vec::new(), Vec::new());
    sh.shingle_into(a, n, SEED, &mut sa);
    sh.shingle_into(b, n, SEED, &mut sb);
    (
        estimate_jaccard(&h.signature(&sa), &h.signature(&sb)),
        containment(&sa, &sb),
    )
}

/// Precision, recall and F1 of `score >= t` against `truth`.
fn prf(scores: &[(f64, bool)], t: f64) -> (f64, f64, f64) {
    let tp = scores.iter().filter(|&&(s, y)| s >= t && y).count() as f64;
    let fp = scores.iter().filter(|&&(s, y)| s >= t && !y).count() as f64;
    let pos = scores.iter().filter(|&&(_, y)| y).count() as f64;
    let p = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let r = if pos > 0.0 { tp / pos } else { 0.0 };
    let f = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f)
}

/// Prints, for one n, P/R/F1 at fixed thresholds and the threshold of best F1.
fn report_row(name: &str, n: usize, scores: &[(f64, bool)]) {
    let mut cells = Vec::new();
    for t in [0.3, 0.5, 0.7] {
        let (p, r, _) = prf(scores, t);
        cells.push(format!("{p:.3} / {r:.3}"));
    }
    let (mut best_t, mut best) = (0.0, (0.0, 0.0, 0.0));
    for step in 1..20 {
        let t = step as f64 * 0.05;
        let m = prf(scores, t);
        if m.2 > best.2 {
            best = m;
            best_t = t;
        }
    }
    println!(
        "| {name} | {n} | {} | {best_t:.2} | {:.3} / {:.3} / {:.3} |",
        cells.join(" | "),
        best.0,
        best.1,
        best.2
    );
}

fn header(title: &str) {
    println!("\n## {title}");
    println!("| score | n | P / R at 0.3 | P / R at 0.5 | P / R at 0.7 | best-F1 threshold | P / R / F1 there |");
    println!("|---|---:|---|---|---|---:|---|");
}

fn msrp_report(text: &str) {
    let pairs: Vec<(bool, &str, &str)> = text
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
            match f.as_slice() {
                [label, _, _, a, b] => Some((*label == "1", *a, *b)),
                _ => None,
            }
        })
        .collect();
    let positives = pairs.iter().filter(|p| p.0).count();
    header(&format!(
        "MSRP train: {} sentence pairs, {} positive (all-positive baseline F1 {:.3})",
        pairs.len(),
        positives,
        2.0 * positives as f64 / (pairs.len() + positives) as f64
    ));
    let h = MinHasher::new(NUM_PERM, SEED);
    let mut sh = Shingler::new();
    for n in 1..=5 {
        let scores: Vec<(f64, bool)> = pairs
            .iter()
            .map(|&(y, a, b)| (similarities(&mut sh, &h, a, b, n).0, y))
            .collect();
        report_row("est. Jaccard", n, &scores);
    }
}

fn clough_report(text: &str) {
    let rows = parse_csv(text);
    let rows: Vec<(u8, &str, &str)> = rows
        .iter()
        .filter_map(|r| match r.as_slice() {
            [answer, source, class] => class
                .trim()
                .parse()
                .ok()
                .map(|c| (c, answer.as_str(), source.as_str())),
            _ => None,
        })
        .collect();
    let h = MinHasher::new(NUM_PERM, SEED);
    let mut sh = Shingler::new();
    println!(
        "\n## Clough & Stevenson: {} answers vs their source; mean similarity by class",
        rows.len()
    );
    println!("| n | est. Jaccard 0 / 1 / 2 / 3 | containment 0 / 1 / 2 / 3 |");
    println!("|---:|---|---|");
    let mut all = Vec::new();
    for n in 1..=5 {
        let sims: Vec<(u8, f64, f64)> = rows
            .iter()
            .map(|&(c, a, s)| {
                let (j, k) = similarities(&mut sh, &h, a, s, n);
                (c, j, k)
            })
            .collect();
        let mean = |class: u8, pick: fn(&(u8, f64, f64)) -> f64| {
            let v: Vec<f64> = sims.iter().filter(|x| x.0 == class).map(pick).collect();
            v.iter().sum::<f64>() / v.len().max(1) as f64
        };
        let j: Vec<String> = (0..4).map(|c| format!("{:.2}", mean(c, |x| x.1))).collect();
        let k: Vec<String> = (0..4).map(|c| format!("{:.2}", mean(c, |x| x.2))).collect();
        println!("| {n} | {} | {} |", j.join(" / "), k.join(" / "));
        all.push((n, sims));
    }
    header("Clough & Stevenson: copy = light revision or cut and paste (classes 2, 3)");
    for (n, sims) in &all {
        let scores: Vec<(f64, bool)> = sims.iter().map(|&(c, j, _)| (j, c >= 2)).collect();
        report_row("est. Jaccard", *n, &scores);
    }
    for (n, sims) in &all {
        let scores: Vec<(f64, bool)> = sims.iter().map(|&(c, _, k)| (k, c >= 2)).collect();
        report_row("containment", *n, &scores);
    }
}

/// Minimal RFC 4180 reader: quoted fields may hold commas, newlines and doubled quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
