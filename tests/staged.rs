//! Staged runs (`copydesk stage ...`) give byte for byte the output of a local `copydesk run`,
//! for any task count, and tasks are idempotent and refuse to run before their inputs exist.

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

#[test]
fn a_staged_run_equals_the_local_run_for_any_task_count() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fixture(dir);
    copydesk(dir)
        .args(["run", "-q", "-o", "local"])
        .assert()
        .code(1);
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
    let first = fs::read(dir.join("w/prepare/00000.json")).unwrap();
    copydesk(dir)
        .args(["stage", "prepare", "--work", "w", "--task", "0"])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("already done"));
    assert_eq!(
        fs::read(dir.join("w/prepare/00000.json")).unwrap(),
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
