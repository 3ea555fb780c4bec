//! Staged runs (`copydesk stage ...`) give byte for byte the output of a local `copydesk run`,
//! for any task count, and tasks are idempotent and refuse to run before their inputs exist.
//! `copydesk run` past its memory budget (the same chain in one process) gives the same bytes,
//! and after a `kill -9` `--resume` finishes it without redoing finished tasks.

use std::fs;
use std::path::Path;

mod common;
use common::{copydesk, stable_report};

const FILES: [&str; 4] = [
    "documents.jsonl",
    "dropped.jsonl",
    "rejected.jsonl",
    "clusters.jsonl",
];

fn same_output(a: &Path, b: &Path) {
    for f in FILES {
        assert_eq!(
            fs::read_to_string(a.join(f)).unwrap(),
            fs::read_to_string(b.join(f)).unwrap(),
            "{f} differs"
        );
    }
    assert_eq!(stable_report(a), stable_report(b));
}

fn fixture(dir: &Path) {
    let raw = dir.join("raw");
    fs::create_dir_all(raw.join("b")).unwrap();
    let story = "Government forces launched a ground offensive on Wednesday backed by air strikes, a monitoring group said, in the fiercest fighting in months.";
    let other = "Local officials said schools in the province would stay closed until further notice, and aid groups asked for safe corridors.";
    for i in 0..7 {
        fs::write(raw.join(format!("a{i}.txt")), format!("Headline number {i}\n\n{story} Report {i}.\n\n{other}\n\nSign up for our weekly newsletter\n")).unwrap();
    }
    fs::write(
        raw.join("b/copy.txt"),
        format!("{story} Report 3.\n\n{other}\n"),
    )
    .unwrap();
    fs::write(raw.join("b/binary.txt"), [0u8; 300]).unwrap();
    fs::write(raw.join("b/notes.html"), "<p>skipped</p>").unwrap();
    fs::write(
        raw.join("b/feed.jsonl"),
        "{\"id\":\"j1\",\"text\":\"The Nusra Front and ISIS fighters clashed near Idlib, the Syrian Observatory for Human Rights said.\"}\n{broken\n{\"id\":\"a0\",\"text\":\"An id already used by a text file.\"}\n",
    )
    .unwrap();
}

/// The fixture in a temporary folder, with the in-memory run's output in `local`.
fn fixture_run_locally() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    copydesk(tmp.path())
        .args(["run", "-q", "-o", "local"])
        .assert()
        .code(1);
    tmp
}

#[test]
fn a_staged_run_equals_the_local_run_for_any_task_count() {
    let tmp = fixture_run_locally();
    let dir = tmp.path();
    for tasks in [1usize, 3, 12] {
        let work = format!("work{tasks}");
        let out = format!("staged{tasks}");
        copydesk(dir)
            .args([
                "stage",
                "plan",
                "--work",
                &work,
                "--tasks",
                &tasks.to_string(),
                "-o",
                &out,
            ])
            .assert()
            .code(0);
        // Tasks of one stage in any order; a stage only after the one before it.
        for stage in ["prepare", "clean"] {
            for t in (0..tasks).rev() {
                copydesk(dir)
                    .args(["stage", stage, "--work", &work, "--task", &t.to_string()])
                    .assert()
                    .code(0);
            }
        }
        copydesk(dir)
            .args(["stage", "finish", "--work", &work])
            .env("SLURM_ARRAY_TASK_ID", "0")
            .assert()
            .code(0);
        same_output(&dir.join("local"), &dir.join(&out));
        copydesk(dir)
            .args(["slurm", "status", "--work", &work])
            .assert()
            .code(0)
            .stdout(format!(
                "prepare {tasks}/{tasks}  clean {tasks}/{tasks}  finish done\n"
            ));
    }
}

#[test]
fn tasks_are_idempotent_and_wait_for_their_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fixture(dir);
    copydesk(dir)
        .args(["stage", "plan", "--work", "w", "--tasks", "2", "-o", "out"])
        .assert()
        .code(0);
    copydesk(dir)
        .args(["stage", "clean", "--work", "w", "--task", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("prepare task 0 has not finished"));
    copydesk(dir)
        .args(["stage", "prepare", "--work", "w", "--task", "5"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("out of range"));
    copydesk(dir)
        .args(["stage", "prepare", "--work", "w", "--task", "0"])
        .assert()
        .code(0);
    let first = fs::read(dir.join("w/prepare/00000.stats.json")).unwrap();
    copydesk(dir)
        .args(["stage", "prepare", "--work", "w", "--task", "0"])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("already done"));
    assert_eq!(
        fs::read(dir.join("w/prepare/00000.stats.json")).unwrap(),
        first,
        "a rerun must not rewrite a finished task"
    );
    copydesk(dir)
        .args(["stage", "finish", "--work", "w"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("clean task 0 has not finished"));
    copydesk(dir)
        .args(["slurm", "status", "--work", "w"])
        .assert()
        .code(0)
        .stdout("prepare 1/2  clean 0/2  finish pending\n");
}

#[test]
fn an_out_of_core_run_equals_the_in_memory_run_for_any_share_count() {
    let tmp = fixture_run_locally();
    let dir = tmp.path();
    for shares in [1usize, 4, 20] {
        let out = format!("ooc{shares}");
        copydesk(dir)
            .args(["run", "-q", "-o", &out, "--shares", &shares.to_string()])
            .assert()
            .code(1);
        same_output(&dir.join("local"), &dir.join(&out));
        assert!(
            !dir.join(format!("{out}.work")).exists(),
            "the work folder is removed after a complete run"
        );
    }
    // A budget the input is past takes the same path on its own.
    copydesk(dir)
        .args(["run", "-o", "tiny", "--memory", "8K"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("input past the memory budget"));
    same_output(&dir.join("local"), &dir.join("tiny"));
    copydesk(dir)
        .args(["run", "-o", "x", "--memory", "lots"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--memory \"lots\""));
}

/// Many files of generated stories with copies, so an out-of-core run has many tasks.
fn large_fixture(dir: &Path) {
    let raw = dir.join("raw");
    fs::create_dir_all(&raw).unwrap();
    let words = [
        "minister", "said", "talks", "would", "resume", "after", "the", "election", "in",
        "capital", "army", "forces", "rain", "markets", "rose", "percent", "on", "Tuesday",
    ];
    let mut x = 7u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut stories = Vec::new();
    for _ in 0..300 {
        let paras: Vec<String> = (0..4)
            .map(|_| {
                (0..40)
                    .map(|_| words[(next() % words.len() as u64) as usize])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        stories.push(paras.join("\n\n"));
    }
    for f in 0..24 {
        let mut lines = String::new();
        for i in 0..60 {
            // Half the documents reprint an earlier story.
            let s = &stories[(next() % stories.len() as u64) as usize];
            let text = if i % 2 == 0 {
                s.clone()
            } else {
                format!("{s} Extra {f} {i}.")
            };
            lines.push_str(
                &serde_json::json!({"id": format!("f{f}-{i}"), "text": text}).to_string(),
            );
            lines.push('\n');
        }
        fs::write(raw.join(format!("feed-{f:02}.jsonl")), lines).unwrap();
    }
}

#[test]
fn a_killed_out_of_core_run_resumes_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    large_fixture(dir);
    copydesk(dir)
        .args(["run", "-q", "-o", "local"])
        .assert()
        .code(0);
    // Killed once a few tasks finished (the work folder shows their markers).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_copydesk"))
        .current_dir(dir)
        .args(["run", "-q", "-o", "out", "--shares", "12", "--work", "w"])
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let marker = dir.join("w/clean/00002.part.zst");
    while !marker.exists() && started.elapsed().as_secs() < 60 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        dir.join("w/plan.json").exists(),
        "the run was killed before it finished"
    );
    assert!(!dir.join("out/report.json").exists());
    // Another budget is another run: refused rather than mixed.
    copydesk(dir)
        .args([
            "run", "-q", "-o", "out", "--shares", "5", "--work", "w", "--resume",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("another configuration"));
    let resumed = copydesk(dir)
        .args([
            "run", "-o", "out", "--shares", "12", "--work", "w", "--resume",
        ])
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&resumed.get_output().stderr).into_owned();
    assert!(stderr.contains("resumed: "), "{stderr}");
    let done: usize = stderr
        .split("resumed: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(
        done >= 12 + 3,
        "prepare and three clean tasks were done: {stderr}"
    );
    same_output(&dir.join("local"), &dir.join("out"));
    assert!(!dir.join("w").exists());
}
