//! End-to-end tests: the real `copydesk` binary on fixture folders made in a temporary directory,
//! checking exit codes, messages, the output contract and the accounting invariant.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{copydesk, read_jsonl, stable_report};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the seeds in `raw/` with the configuration text `config`; returns the temporary folder
/// (kept alive by the caller) and the surviving documents.
fn run_seeds_with(config: &str) -> (tempfile::TempDir, Vec<Value>) {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("p.toml"), config).unwrap();
    copydesk(tmp.path())
        .args(["run", "-q", "-c", "p.toml", "-o", "out"])
        .arg(repo().join("raw"))
        .assert()
        .code(0);
    let docs = read_jsonl(&tmp.path().join("out/documents.jsonl"));
    (tmp, docs)
}

/// Runs exactly what the README says, from the repository root, into `out`.
fn run_sample(out: &Path, threads: usize) {
    copydesk(&repo())
        .args(["run", "--quiet", "--threads", &threads.to_string(), "-o"])
        .arg(out)
        .assert()
        .code(0);
}

const STABLE_FILES: [&str; 4] = [
    "documents.jsonl",
    "dropped.jsonl",
    "rejected.jsonl",
    "clusters.jsonl",
];

#[test]
fn committed_normalized_output_is_fresh() {
    let out = tempfile::tempdir().unwrap();
    run_sample(out.path(), 2);
    let committed = repo().join("normalized");
    for name in STABLE_FILES {
        let fresh = fs::read_to_string(out.path().join(name)).unwrap();
        let old = fs::read_to_string(committed.join(name)).unwrap_or_default();
        assert!(
            fresh == old,
            "normalized/{name} is stale: run `cargo run --release -- run` and commit it"
        );
    }
    assert_eq!(
        stable_report(out.path()),
        stable_report(&committed),
        "normalized/report.json is stale"
    );
}

#[test]
fn output_is_identical_for_one_and_many_threads() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_sample(a.path(), 1);
    run_sample(b.path(), 4);
    for name in STABLE_FILES {
        assert_eq!(
            fs::read(a.path().join(name)).unwrap(),
            fs::read(b.path().join(name)).unwrap(),
            "{name} differs"
        );
    }
    assert_eq!(stable_report(a.path()), stable_report(b.path()));
}

#[test]
fn init_writes_the_committed_pipeline_toml_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    copydesk(tmp.path()).arg("init").assert().code(0);
    let written = fs::read_to_string(tmp.path().join("pipeline.toml")).unwrap();
    let committed = fs::read_to_string(repo().join("pipeline.toml")).unwrap();
    assert_eq!(
        written, committed,
        "the built-in default drifted from pipeline.toml"
    );
    copydesk(tmp.path())
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    copydesk(tmp.path())
        .arg("check")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("[dedup]"));
}

#[test]
fn configuration_errors_name_file_line_column_and_key_and_stop_before_work() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("bad.toml"),
        "[decode]\nnormalisation = \"nfc\"\n[dedup]\nthreshold = 2.0\naction = \"delete\"\n",
    )
    .unwrap();
    fs::create_dir(tmp.path().join("raw")).unwrap();
    fs::write(tmp.path().join("raw/a.txt"), "Some text here.").unwrap();
    let assert = copydesk(tmp.path())
        .args(["run", "-c", "bad.toml"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("bad.toml:2:1: `decode.normalisation`"),
        "{err}"
    );
    assert!(err.contains("bad.toml:4:1: `dedup.threshold`"), "{err}");
    assert!(err.contains("dedup.action"), "{err}");
    assert!(
        !tmp.path().join("normalized").exists(),
        "no work may start on a bad configuration"
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A folder of good and bad inputs; returns the number of input documents it holds.
fn messy_fixture(dir: &Path) -> usize {
    let raw = dir.join("raw");
    fs::create_dir_all(raw.join("sub")).unwrap();
    let story =
        "The council voted on Tuesday to expand the harbour, officials said after the meeting.";
    fs::write(
        raw.join("a.txt"),
        format!("Harbour vote\n\n{story}\n\nSign up for our weekly newsletter\n"),
    )
    .unwrap();
    // windows-1252 bytes: “quoted” café.
    fs::write(
        raw.join("b.txt"),
        b"The mayor called it \x93a good day\x94 for the caf\xe9 owners on the quay.\n",
    )
    .unwrap();
    fs::write(raw.join("empty.txt"), "").unwrap();
    fs::write(raw.join("binary.txt"), [0u8; 512]).unwrap();
    fs::write(raw.join("notes.html"), "<p>not read</p>").unwrap();
    fs::write(raw.join("sub/a.txt"), format!("{story}\n")).unwrap();
    let jsonl = concat!(
        "{\"id\":\"j1\",\"text\":\"Rain is expected across the region on Friday, forecasters said.\",\"url\":\"https://example.com/x\"}\n",
        "{\"id\":\"j2\",\"text\": broken\n",
        "[\"not an object\"]\n",
        "{\"id\":\"j3\",\"text\":42}\n",
        "{\"id\":\"j1\",\"text\":\"Same id again, which must not overwrite the first.\"}\n",
        "{\"text\":\"No id: the file stem and line number name it.\"}\n",
    );
    fs::write(raw.join("feed.jsonl"), jsonl).unwrap();
    fs::write(
        raw.join("feed2.jsonl.gz"),
        gzip(b"{\"id\":\"g1\",\"text\":\"Compressed input is read too.\"}\n"),
    )
    .unwrap();
    let mut truncated = gzip(b"{\"id\":\"t1\",\"text\":\"cut\"}\n");
    truncated.truncate(truncated.len() - 12);
    fs::write(raw.join("truncated.jsonl.gz"), truncated).unwrap();
    // a, b, empty, binary, sub/a, 6 JSONL lines, g1, truncated stream
    13
}

#[test]
fn every_input_document_is_accounted_for_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let n = messy_fixture(tmp.path());
    let assert = copydesk(tmp.path())
        .args(["run", "--quiet"])
        .assert()
        .code(1);
    let out = tmp.path().join("normalized");
    let docs = read_jsonl(&out.join("documents.jsonl"));
    let dropped = read_jsonl(&out.join("dropped.jsonl"));
    let rejected = read_jsonl(&out.join("rejected.jsonl"));
    assert_eq!(
        docs.len() + dropped.len() + rejected.len(),
        n,
        "{docs:?}\n{dropped:?}\n{rejected:?}\n{:?}",
        assert.get_output()
    );

    let ids: BTreeSet<&str> = docs
        .iter()
        .chain(&dropped)
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), docs.len() + dropped.len(), "ids are unique");
    for id in ["a", "b", "sub/a", "j1", "feed:6", "g1"] {
        assert!(ids.contains(id), "{id} missing from {ids:?}");
    }
    let errors: BTreeMap<String, String> = rejected
        .iter()
        .map(|r| {
            (
                r["source"].as_str().unwrap().to_string(),
                r["error"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let find = |needle: &str| {
        errors
            .iter()
            .find(|(s, _)| s.contains(needle))
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    };
    assert!(
        find("feed.jsonl:2").starts_with("malformed JSON"),
        "{errors:?}"
    );
    assert!(
        find("feed.jsonl:3").contains("not a JSON object"),
        "{errors:?}"
    );
    assert!(find("feed.jsonl:4").contains("not a string"), "{errors:?}");
    assert!(
        find("feed.jsonl:5").contains("duplicate id \"j1\""),
        "{errors:?}"
    );
    assert!(find("binary.txt").contains("cannot decode"), "{errors:?}");
    assert!(
        find("truncated.jsonl.gz").contains("read error"),
        "{errors:?}"
    );
    let line2 = rejected
        .iter()
        .find(|r| r["source"].as_str().unwrap().ends_with("feed.jsonl:2"))
        .unwrap();
    assert_eq!(line2["line"], 2);

    let report = stable_report(&out);
    assert_eq!(
        report["skipped"][0]["path"]
            .as_str()
            .map(|p| p.ends_with("notes.html")),
        Some(true)
    );
    assert_eq!(report["documents_in"], n);

    let empty = dropped
        .iter()
        .find(|d| d["id"] == "empty")
        .expect("empty file is dropped");
    assert_eq!(empty["reason"], "empty");
    // sub/a.txt is a copy of the story in a.txt, which comes first.
    let copy = dropped
        .iter()
        .find(|d| d["id"] == "sub/a")
        .expect("the copy is dropped");
    assert_eq!(
        (copy["reason"].as_str(), copy["duplicate_of"].as_str()),
        (Some("duplicate"), Some("a"))
    );

    let b = docs.iter().find(|d| d["id"] == "b").unwrap();
    assert_eq!(b["copydesk"]["encoding"], "windows-1252");
    assert!(b["text"]
        .as_str()
        .unwrap()
        .contains("“a good day” for the café owners"));
    let j1 = docs.iter().find(|d| d["id"] == "j1").unwrap();
    assert_eq!(
        j1["url"], "https://example.com/x",
        "other JSONL fields pass through"
    );
    assert!(j1["source"].as_str().unwrap().ends_with("feed.jsonl:1"));
    let a = docs.iter().find(|d| d["id"] == "a").unwrap();
    assert!(!a["text"].as_str().unwrap().contains("newsletter"));
}

#[test]
fn stdin_is_read_as_jsonl() {
    let tmp = tempfile::tempdir().unwrap();
    copydesk(tmp.path())
        .args(["run", "-", "-q", "-o", "out"])
        .write_stdin(
            "{\"id\":\"s1\",\"text\":\"From standard input, with an entity: the Nusra Front.\"}\n",
        )
        .assert()
        .code(0);
    let docs = read_jsonl(&tmp.path().join("out/documents.jsonl"));
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["source"], "-:1");
}

#[test]
fn an_unwritable_output_is_an_io_error_with_exit_code_3() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("raw")).unwrap();
    fs::write(tmp.path().join("raw/a.txt"), "A sentence of text.").unwrap();
    fs::write(
        tmp.path().join("blocker"),
        "a file where the output folder should go",
    )
    .unwrap();
    copydesk(tmp.path())
        .args(["run", "-q", "-o", "blocker/out"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("cannot write blocker/out"));
}

#[test]
fn explain_shows_removed_lines_aliases_and_duplicate_links() {
    let out = tempfile::tempdir().unwrap();
    run_sample(out.path(), 2);
    let assert = copydesk(out.path())
        .args(["explain", "000_e25e0db7177010c4", "-o"])
        .arg(out.path())
        .assert()
        .code(0);
    let text = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        text.contains("[phrase] Sign up for our weekly newsletter"),
        "{text}"
    );
    assert!(text.contains("ISIL -> Islamic State"), "{text}");
    copydesk(out.path())
        .args(["explain", "nope", "-o"])
        .arg(out.path())
        .assert()
        .code(2);
}

/// The seeds, with the alias and dedup passes off so the article text can be compared with the
/// input verbatim: every boilerplate line named in the project's brief is gone, and every
/// article sentence of the input is still there.
#[test]
fn seeds_lose_their_boilerplate_and_keep_every_sentence() {
    let (_tmp, docs) = run_seeds_with("[aliases]\nenabled = false\n[dedup]\nenabled = false\n");
    assert_eq!(docs.len(), 5);
    let all: String = docs
        .iter()
        .map(|d| d["text"].as_str().unwrap().to_string() + "\n\n")
        .collect();
    let paragraphs: BTreeSet<&str> = all.split("\n\n").collect();
    for gone in [
        "Sign up for our weekly newsletter",
        "Exit mobile version",
        "Source link",
        "READ SOME MORE",
        "Related News",
        "Find Al Jazeera America on your TV",
        "Get email updates from Al Jazeera America",
        "Related Story",
        "International",
        "Abdulfetah Huseyin / Anadolu Agency / Getty Images",
        "AFP",
        "Beirut",
        "Guardian service",
        "Al Jazeera and wire services",
        "Places",
        "Topics",
    ] {
        assert!(!paragraphs.contains(gone), "{gone:?} survived");
    }
    assert!(
        !all.contains("Photograph: EPA"),
        "the doubled caption survived"
    );
    assert!(!all.contains("Syria. Page 12"), "print residue survived");
    for entry in fs::read_dir(repo().join("raw")).unwrap() {
        let raw = fs::read_to_string(entry.unwrap().path())
            .unwrap()
            .replace('\u{a0}', " ");
        for line in raw.lines().map(str::trim) {
            let words = line.split_whitespace().count();
            if words >= 6
                && !line.contains("Photograph:")
                && !line.ends_with("Getty Images")
                && !line.starts_with("Get email")
                && !line.starts_with("Find Al Jazeera")
                && !line.starts_with("Sign up")
            {
                let expected = line.strip_suffix(" Page 12").unwrap_or(line);
                let expected: String = expected.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(all.contains(&expected), "article line lost: {expected:?}");
            }
        }
    }
}

#[test]
fn the_english_word_is_is_never_touched() {
    let out = tempfile::tempdir().unwrap();
    run_sample(out.path(), 2);
    let docs = read_jsonl(&out.path().join("documents.jsonl"));
    let output: usize = docs
        .iter()
        .map(|d| d["text"].as_str().unwrap().matches(" is ").count())
        .sum();
    let input: usize = fs::read_dir(repo().join("raw"))
        .unwrap()
        .map(|e| {
            fs::read_to_string(e.unwrap().path())
                .unwrap()
                .replace('\u{a0}', " ")
                .matches(" is ")
                .count()
        })
        .sum();
    assert_eq!(input, output);
    for d in &docs {
        let t = d["text"].as_str().unwrap();
        assert!(
            !t.contains("Islamic State (Islamic State)"),
            "doubled definition in {}",
            d["id"]
        );
        for variant in [
            "ISIL",
            "ISIS",
            "Isis",
            "Jahbaat",
            "Jaysh al-Fateh",
            "Rami Abdul Rahman",
            "Maraat al-Numan",
            "Al-Nusra",
        ] {
            assert!(!t.contains(variant), "{variant} survived in {}", d["id"]);
        }
    }
}

#[test]
fn annotate_mode_leaves_the_text_and_points_at_each_mention() {
    let (_tmp, docs) = run_seeds_with("[aliases]\nmode = \"annotate\"\n[dedup]\nenabled = false\n");
    let mut seen = 0;
    for d in &docs {
        let text = d["text"].as_str().unwrap();
        for m in d["copydesk"]["mentions"].as_array().unwrap() {
            let (start, end) = (
                m["start"].as_u64().unwrap() as usize,
                m["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                &text[start..end],
                m["from"].as_str().unwrap(),
                "offsets of {m} in {}",
                d["id"]
            );
            seen += 1;
        }
    }
    assert!(seen > 10, "only {seen} mentions annotated");
    let all: String = docs.iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert!(
        all.contains("ISIL") && all.contains("Jahbaat al-Nusra"),
        "annotate must not rewrite"
    );
}

#[test]
fn mark_mode_records_copies_without_removing_them() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let wire = "Government forces launched a ground offensive on Wednesday backed by air strikes, a monitoring group said, in the fiercest fighting in months.";
    let own = "Local officials said schools in the province would stay closed until further notice, and aid groups asked for safe corridors.";
    fs::write(raw.join("1.txt"), format!("{wire}\n\n{own}\n")).unwrap();
    fs::write(raw.join("2.txt"), format!("{wire}\n")).unwrap();
    fs::write(raw.join("3.txt"), format!("An unrelated report on the harbour expansion was approved by the council on Tuesday evening.\n\n{}\n", wire.replace("on Wednesday", "Wednesday"))).unwrap();
    fs::write(tmp.path().join("p.toml"), "[dedup]\naction = \"mark\"\n").unwrap();
    copydesk(tmp.path())
        .args(["run", "-q", "-c", "p.toml"])
        .assert()
        .code(0);
    let out = tmp.path().join("normalized");
    assert!(
        read_jsonl(&out.join("dropped.jsonl")).is_empty(),
        "mark never drops"
    );
    let docs = read_jsonl(&out.join("documents.jsonl"));
    assert_eq!(docs[1]["copydesk"]["duplicate_of"], "1");
    assert_eq!(docs[1]["text"], wire, "mark leaves the text");
    let dup = &docs[2]["copydesk"]["duplicates"][0];
    assert_eq!(
        (
            dup["paragraph"].as_u64(),
            dup["of"]["id"].as_str(),
            dup["of"]["paragraph"].as_u64()
        ),
        (Some(1), Some("1"), Some(0))
    );
    assert!(dup.get("text").is_none(), "mark records no removed text");
    assert!(dup["similarity"].as_f64().unwrap() > 0.8);
    let clusters = read_jsonl(&out.join("clusters.jsonl"));
    assert!(clusters
        .iter()
        .any(|c| c["level"] == "document" && c["kept"]["id"] == "1"));
}

#[test]
fn entity_tables_load_from_files_and_bad_tables_stop_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    fs::write(
        raw.join("a.txt"),
        "Officials met in Kyiv on Monday. Later, Kiev was shelled again.\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("extra.toml"),
        "# Kyiv: the Ukrainian capital in its current English spelling.\n[[aliases.entities]]\ncanonical = \"Kyiv\"\nvariants = [\"Kiev\"]\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("p.toml"),
        "[aliases]\ntables = [\"extra.toml\"]\n",
    )
    .unwrap();
    copydesk(tmp.path())
        .args(["run", "-q", "-c", "p.toml"])
        .assert()
        .code(0);
    let docs = read_jsonl(&tmp.path().join("normalized/documents.jsonl"));
    let text = docs[0]["text"].as_str().unwrap();
    assert!(text.contains("Later, Kyiv was shelled again."), "{text}");

    fs::write(
        tmp.path().join("bad.toml"),
        "[[aliases.entities]]\ncanonical = \"X\"\nvariant = [\"Y\"]\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("q.toml"),
        "[aliases]\ntables = [\"bad.toml\", \"missing.toml\"]\n",
    )
    .unwrap();
    let assert = copydesk(tmp.path())
        .args(["run", "-q", "-c", "q.toml", "-o", "out2"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("bad.toml:3:1") && err.contains("unknown field `variant`"),
        "{err}"
    );
    assert!(
        err.contains("missing.toml") && err.contains("cannot read"),
        "{err}"
    );
    assert!(!tmp.path().join("out2").exists());
}

#[test]
fn aliases_suggest_prints_reviewable_toml() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    fs::write(
        raw.join("a.txt"),
        "Fighters of Liwa al-Tawhid entered the town. The Liwa al-Tawheed brigade said it held the square.\n\nLater Liwa al-Tawhid withdrew.\n",
    )
    .unwrap();
    let assert = copydesk(tmp.path())
        .args(["aliases", "suggest"])
        .assert()
        .code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let parsed: toml::Table =
        toml::from_str(&out).unwrap_or_else(|e| panic!("not TOML: {e}\n{out}"));
    let entities = parsed["aliases"]["entities"]
        .as_array()
        .expect("[[aliases.entities]] entries");
    assert!(out.contains("Tawheed") && out.contains("Tawhid"), "{out}");
    assert!(!entities.is_empty());
}

/// Three copies of one story: the short one first, the long original second, a wire-service
/// copy last. Each keep policy must pick its own member, and the others point at it.
#[test]
fn keep_policies_choose_first_longest_or_priority() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    let story = [
        "Government forces launched a ground offensive on Wednesday backed by air strikes, a monitoring group said, in the fiercest fighting in months.",
        "The offensive began at dawn on four fronts in the north-west, according to activists who reported heavy shelling of villages near the highway.",
        "Officials in the capital did not comment on the reports, and state media said only that the army was pursuing terrorist groups in the area.",
    ];
    fs::write(
        raw.join("1-blog.txt"),
        format!("{}\n\n{}\n", story[0], story[1]),
    )
    .unwrap();
    fs::write(raw.join("2-paper.txt"), story.join("\n\n") + "\n\nA fourth paragraph of the paper's own reporting, long enough to count as text here.\n").unwrap();
    fs::write(raw.join("3-wire.txt"), story.join("\n\n") + "\n").unwrap();
    let run = |keep: &str, extra: &str| {
        let config = format!("[dedup]\nkeep = \"{keep}\"\n{extra}");
        fs::write(tmp.path().join("p.toml"), config).unwrap();
        copydesk(tmp.path())
            .args(["run", "-q", "-c", "p.toml", "-o", keep])
            .assert()
            .code(0);
        read_jsonl(&tmp.path().join(keep).join("clusters.jsonl"))
    };
    let kept = |clusters: &[Value]| -> BTreeSet<String> {
        clusters
            .iter()
            .map(|c| c["kept"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        kept(&run("first", "")),
        BTreeSet::from(["1-blog".to_string()])
    );
    assert!(kept(&run("longest", "")).contains("2-paper"));
    let priority = run("priority", "source_priority = [\"wire\"]\n");
    assert!(
        kept(&priority).iter().all(|k| k == "3-wire"),
        "{priority:?}"
    );
}

#[test]
fn large_outputs_are_sharded_and_stale_documents_files_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    copydesk(&repo())
        .args(["run", "-q", "-o"])
        .arg(&plain)
        .assert()
        .code(0);
    let whole = fs::read(plain.join("documents.jsonl")).unwrap();

    // The same run into the same folder, now with shards of at most 8 KiB.
    fs::write(
        tmp.path().join("p.toml"),
        "[input]\npaths = [\"RAW\"]\n[output]\nshard_bytes = 8192\n"
            .replace("RAW", &repo().join("raw").display().to_string()),
    )
    .unwrap();
    copydesk(tmp.path())
        .args(["run", "-q", "-c", "p.toml", "-o"])
        .arg(&plain)
        .assert()
        .code(0);
    assert!(
        !plain.join("documents.jsonl").exists(),
        "a stale documents.jsonl would be read as output"
    );
    let mut names: Vec<String> = fs::read_dir(&plain)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("documents-"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 2 && names[0] == "documents-00000.jsonl.zst",
        "{names:?}"
    );
    let mut joined = Vec::new();
    for n in &names {
        let bytes = fs::read(plain.join(n)).unwrap();
        assert!(bytes.len() < 8192);
        joined.extend(zstd::decode_all(&bytes[..]).unwrap());
    }
    assert_eq!(
        String::from_utf8(joined)
            .unwrap()
            .replace(&repo().join("raw").display().to_string(), "raw"),
        String::from_utf8(whole).unwrap()
    );
    let report = stable_report(&plain);
    assert_eq!(
        report["documents_files"].as_array().unwrap().len(),
        names.len()
    );
    copydesk(tmp.path())
        .args(["explain", "004_9231a5553ee8d8ff", "-o"])
        .arg(&plain)
        .assert()
        .code(0);
}

#[test]
fn a_line_over_max_line_bytes_rejects_its_document_with_the_line_number() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("raw");
    fs::create_dir(&raw).unwrap();
    fs::write(
        raw.join("ok.txt"),
        "A normal story of one sentence, as they come.\n",
    )
    .unwrap();
    fs::write(
        raw.join("dump.txt"),
        format!("Title line\n\n{}\n", "x".repeat(5000)),
    )
    .unwrap();
    fs::write(
        tmp.path().join("p.toml"),
        "[input]\nmax_line_bytes = 4096\n",
    )
    .unwrap();
    copydesk(tmp.path())
        .args(["run", "-q", "-c", "p.toml"])
        .assert()
        .code(1);
    let rejected = read_jsonl(&tmp.path().join("normalized/rejected.jsonl"));
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0]["source"]
        .as_str()
        .unwrap()
        .ends_with("dump.txt"));
    assert_eq!(
        rejected[0]["error"],
        "line 3 of the text is 5000 bytes, over max_line_bytes (4096)"
    );
    assert_eq!(
        read_jsonl(&tmp.path().join("normalized/documents.jsonl")).len(),
        1
    );
}
