//! Crash safety: runs killed with SIGKILL at pseudo-random points, in a loop, must never leave
//! an output folder that looks complete (has `report.json`) but is not exactly one run's output,
//! and a rerun must give the exact output of a clean run.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const FILES: [&str; 4] = [
    "documents.jsonl",
    "dropped.jsonl",
    "rejected.jsonl",
    "clusters.jsonl",
];

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_copydesk"))
}

/// The output's stable content: the four JSONL files and the report without `timing`.
fn snapshot(dir: &Path) -> Option<Vec<Vec<u8>>> {
    let report = fs::read_to_string(dir.join("report.json")).ok()?;
    let mut report: Value = serde_json::from_str(&report).expect("a present report.json is whole");
    report.as_object_mut()?.remove("timing");
    let mut out: Vec<Vec<u8>> = FILES
        .iter()
        .map(|f| fs::read(dir.join(f)).unwrap_or_default())
        .collect();
    out.push(report.to_string().into_bytes());
    Some(out)
}

/// Enough generated news-like text that a run takes a noticeable time, with copies in it.
fn fixture(dir: &Path) {
    let raw = dir.join("raw");
    fs::create_dir_all(&raw).unwrap();
    let words = [
        "officials",
        "said",
        "the",
        "council",
        "harbour",
        "vote",
        "on",
        "Tuesday",
        "would",
        "expand",
        "trade",
        "port",
        "ministers",
        "agreed",
        "talks",
        "after",
        "weeks",
        "of",
        "protests",
        "in",
        "the",
        "capital",
        "city",
        "region",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut lines = String::new();
    for d in 0..3000 {
        let mut text = String::new();
        for _ in 0..6 {
            let n = 12 + (next() % 20) as usize;
            let sentence: Vec<&str> = (0..n)
                .map(|_| words[(next() % words.len() as u64) as usize])
                .collect();
            text.push_str(&sentence.join(" "));
            text.push_str(".\n\n");
        }
        lines.push_str(&serde_json::json!({"id": format!("d{d}"), "text": text}).to_string());
        lines.push('\n');
        // Every tenth story is reprinted, so the dedup action changes the output.
        if d % 10 == 0 {
            lines
                .push_str(&serde_json::json!({"id": format!("copy{d}"), "text": text}).to_string());
            lines.push('\n');
        }
    }
    fs::write(raw.join("feed.jsonl"), lines).unwrap();
    fs::write(dir.join("drop.toml"), "[dedup]\naction = \"drop\"\n").unwrap();
    fs::write(dir.join("mark.toml"), "[dedup]\naction = \"mark\"\n").unwrap();
}

fn run_to_end(dir: &Path, config: &str, out: &str) -> Duration {
    let start = Instant::now();
    let status = bin()
        .current_dir(dir)
        .args(["run", "-q", "-c", config, "-o", out])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    start.elapsed()
}

#[test]
fn killed_runs_never_leave_a_complete_looking_mix_and_a_rerun_restores_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fixture(dir);
    let took = run_to_end(dir, "drop.toml", "ref-drop");
    run_to_end(dir, "mark.toml", "ref-mark");
    let references = [
        snapshot(&dir.join("ref-drop")).unwrap(),
        snapshot(&dir.join("ref-mark")).unwrap(),
    ];
    assert_ne!(
        references[0], references[1],
        "the two configurations must give different outputs"
    );

    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let (mut killed_mid_run, mut complete_after_kill) = (0, 0);
    for round in 0..16 {
        // Alternate the configuration so a folder mixing two runs' files would be detected.
        let config = if round % 2 == 0 {
            "drop.toml"
        } else {
            "mark.toml"
        };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = took.mul_f64((seed % 1000) as f64 / 1000.0 * 1.2);
        let mut child = bin()
            .current_dir(dir)
            .args(["run", "-q", "-c", config, "-o", "out"])
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        if let Some(now) = snapshot(&dir.join("out")) {
            complete_after_kill += 1;
            assert!(
                references.contains(&now),
                "round {round}: a folder with report.json is not one run's output"
            );
        }
    }
    eprintln!(
        "{killed_mid_run} of 16 runs killed mid-run; {complete_after_kill} left a complete output"
    );
    assert!(
        killed_mid_run >= 4,
        "too few kills landed mid-run ({killed_mid_run}) for the test to mean anything"
    );

    run_to_end(dir, "drop.toml", "out");
    assert_eq!(
        snapshot(&dir.join("out")).unwrap(),
        references[0],
        "a rerun must restore the exact output"
    );
}
