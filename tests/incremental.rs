//! Incremental runs: `copydesk run --against PREVIOUS_OUTDIR` deduplicates a new batch against
//! the index an earlier run left (`[output] index = true`), keeps the earlier copy, and carries
//! the index forward, in memory and out of core alike.

use std::fs;
use std::path::Path;

mod common;
use common::{copydesk, read_jsonl, stable_report};

const INDEX: &str = "[output]\nindex = true\n";

fn story(topic: &str, n: usize) -> String {
    format!(
        "The {topic} committee met on Tuesday to review case {n}, and members said the findings \
         would be published before the end of the month after a final vote.\n\n\
         Officials declined to say whether case {n} would change the rules, but two members of \
         the {topic} committee said a revision was likely next year."
    )
}

fn batch(dir: &Path, name: &str, docs: &[(String, String)]) {
    let folder = dir.join(name);
    fs::create_dir_all(&folder).unwrap();
    let lines: String = docs
        .iter()
        .map(|(id, text)| format!("{}\n", serde_json::json!({"id": id, "text": text})))
        .collect();
    fs::write(folder.join("feed.jsonl"), lines).unwrap();
}

fn ids(path: &Path) -> Vec<String> {
    read_jsonl(path)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_new_batch_is_deduplicated_against_the_earlier_index_and_the_earlier_copy_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("p.toml"), INDEX).unwrap();
    let topics = [
        "budget",
        "transport",
        "health",
        "housing",
        "water",
        "energy",
    ];
    batch(
        dir,
        "day1",
        &topics[..4]
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("d1-{i}"), story(t, i)))
            .collect::<Vec<_>>(),
    );
    // Day 2: reprints of two day-1 stories (one copy-edited) and two new ones.
    let mut day2 = vec![
        ("d2-0".to_string(), story("budget", 0)),
        (
            "d2-1".to_string(),
            story("health", 2).replace("on Tuesday", "Tuesday"),
        ),
    ];
    day2.extend(
        topics[4..]
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("d2-{}", i + 2), story(t, 10 + i))),
    );
    batch(dir, "day2", &day2);

    copydesk(dir)
        .args(["run", "-q", "-c", "p.toml", "-o", "out1", "day1"])
        .assert()
        .code(0);
    assert!(dir.join("out1/index/index.json").exists());
    copydesk(dir)
        .args([
            "run",
            "-q",
            "-c",
            "p.toml",
            "-o",
            "out2",
            "--against",
            "out1",
            "day2",
        ])
        .assert()
        .code(0);
    assert_eq!(ids(&dir.join("out2/documents.jsonl")), ["d2-2", "d2-3"]);
    let dropped = read_jsonl(&dir.join("out2/dropped.jsonl"));
    let links: Vec<(&str, &str)> = dropped
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap(),
                d["duplicate_of"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(links, [("d2-0", "d1-0"), ("d2-1", "d1-2")]);

    // Out of core, the same bytes.
    copydesk(dir)
        .args([
            "run",
            "-q",
            "-c",
            "p.toml",
            "-o",
            "out2b",
            "--against",
            "out1",
            "--shares",
            "3",
            "day2",
        ])
        .assert()
        .code(0);
    for f in ["documents.jsonl", "dropped.jsonl", "clusters.jsonl"] {
        assert_eq!(
            fs::read(dir.join("out2").join(f)).unwrap(),
            fs::read(dir.join("out2b").join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        stable_report(&dir.join("out2")),
        stable_report(&dir.join("out2b"))
    );

    // Day 3 against day 2 still sees day 1 (the index is carried forward) and day 2's new ones.
    batch(
        dir,
        "day3",
        &[
            ("d3-0".to_string(), story("transport", 1)),
            ("d3-1".to_string(), story("energy", 11)),
            ("d3-2".to_string(), story("schools", 99)),
        ],
    );
    copydesk(dir)
        .args([
            "run",
            "-q",
            "-c",
            "p.toml",
            "-o",
            "out3",
            "--against",
            "out2",
            "day3",
        ])
        .assert()
        .code(0);
    assert_eq!(ids(&dir.join("out3/documents.jsonl")), ["d3-2"]);
    let of: Vec<String> = read_jsonl(&dir.join("out3/dropped.jsonl"))
        .iter()
        .map(|d| d["duplicate_of"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(of, ["d1-1", "d2-3"]);
}

#[test]
fn an_index_that_cannot_be_compared_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::write(dir.join("p.toml"), INDEX).unwrap();
    fs::write(
        dir.join("other.toml"),
        format!("{INDEX}[dedup]\nshingle_size = 3\n"),
    )
    .unwrap();
    batch(dir, "day1", &[("a".to_string(), story("budget", 1))]);
    copydesk(dir)
        .args(["run", "-q", "-o", "plain", "day1"])
        .assert()
        .code(0);
    assert!(!dir.join("plain/index").exists(), "no index unless asked");
    copydesk(dir)
        .args(["run", "-q", "-o", "x", "--against", "plain", "day1"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("index = true"));
    copydesk(dir)
        .args(["run", "-q", "-c", "p.toml", "-o", "out1", "day1"])
        .assert()
        .code(0);
    copydesk(dir)
        .args([
            "run",
            "-q",
            "-c",
            "other.toml",
            "-o",
            "x",
            "--against",
            "out1",
            "day1",
        ])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("another [dedup] configuration"));
}
