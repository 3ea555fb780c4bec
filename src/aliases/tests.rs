//! Whole-module tests: the default table, the tricky-case corpus, the five seed articles and
//! the property tests. Unit tests of single helpers live beside them in their own modules.
//!
//! The default table comes from the configuration layer (`pipeline.toml`'s `[aliases]`); the
//! core itself never parses anything.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;

/// The default table as entities (shared with the bench through the same parsing).
pub(crate) fn default_entities() -> Vec<Entity> {
    crate::stages::aliases::entities(&crate::config::Config::default().aliases.entities)
}

fn default_matcher() -> &'static AliasMatcher {
    static M: OnceLock<AliasMatcher> = OnceLock::new();
    M.get_or_init(|| {
        AliasMatcher::new(&default_entities(), &AliasOptions::default()).expect("default table")
    })
}

fn rewrite(text: &str) -> String {
    let m = default_matcher();
    m.replace(text, &m.find(text))
}

#[test]
fn default_table_builds_and_every_entry_is_documented() {
    let entities = default_entities();
    assert!(entities.len() >= 60, "only {} entities", entities.len());
    let _ = default_matcher();
    let lines: Vec<&str> = crate::config::DEFAULT_TOML.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "[[aliases.entities]]" {
            let above = i.checked_sub(1).map(|j| lines[j]).unwrap_or("");
            assert!(
                above.starts_with("# "),
                "entry at line {} has no comment above",
                i + 1
            );
        }
    }
}

#[test]
fn seed_entities_are_in_the_default_table() {
    let m = default_matcher();
    let cases = [
        ("Nusra Front", "Al-Nusra Front"),
        ("Islamic State", "Islamic State in Iraq and the Levant"),
        ("al-Qaeda", "al-Qaida"),
        ("Rami Abdurrahman", "Rami Abdul Rahman"),
        ("Maarat al-Numan", "Maaret al-Naaman"),
        ("Army of Conquest", "Jaysh al-Fateh"),
        (
            "Syrian Observatory for Human Rights",
            "Syrian Observatory for Human Rights",
        ),
    ];
    for (canonical, variant) in cases {
        let text = format!("In the report, {variant} was named.");
        let found = m.find(&text);
        assert_eq!(found.len(), 1, "{variant}: {found:?}");
        assert_eq!(found[0].to, canonical);
    }
}

/// One case of the tricky corpus: the input, the expected output, and the expected rewrites
/// as (start, end) spans of the input.
struct Case {
    title: String,
    input: String,
    expected: String,
    gold: Vec<(usize, usize)>,
}

fn parse_tricky(src: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut blocks = src.split("\n### ");
    blocks.next(); // the header
    for block in blocks {
        let (title, body) = block.split_once('\n').unwrap_or((block, ""));
        let body = body.trim_end_matches('\n');
        let (mut input, mut expected, mut gold) = (String::new(), String::new(), Vec::new());
        let mut rest = body;
        while let Some(open) = rest.find("[[") {
            input.push_str(&rest[..open]);
            expected.push_str(&rest[..open]);
            let close = rest[open..].find("]]").expect("unclosed [[") + open;
            let (from, to) = rest[open + 2..close]
                .split_once("=>")
                .expect("[[from=>to]]");
            gold.push((input.len(), input.len() + from.len()));
            input.push_str(from);
            expected.push_str(to);
            rest = &rest[close + 2..];
        }
        input.push_str(rest);
        expected.push_str(rest);
        cases.push(Case {
            title: title.to_owned(),
            input,
            expected,
            gold,
        });
    }
    cases
}

#[test]
fn tricky_corpus_precision() {
    let src = include_str!("testdata/tricky.txt");
    let cases = parse_tricky(src);
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let m = default_matcher();
    let (mut tp, mut fp, mut fns) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for case in &cases {
        let mentions = m.find(&case.input);
        let rewrites: Vec<(usize, usize)> = mentions
            .iter()
            .filter(|x| x.kind != MentionKind::Canonical)
            .map(|x| (x.start, x.end))
            .collect();
        for r in &rewrites {
            if case.gold.contains(r) {
                tp += 1;
            } else {
                fp += 1;
                failures.push(format!(
                    "{}: wrong rewrite {:?}",
                    case.title,
                    &case.input[r.0..r.1]
                ));
            }
        }
        for g in &case.gold {
            if !rewrites.contains(g) {
                fns += 1;
                failures.push(format!(
                    "{}: missed {:?}",
                    case.title,
                    &case.input[g.0..g.1]
                ));
            }
        }
        let out = m.replace(&case.input, &mentions);
        if out != case.expected {
            failures.push(format!(
                "{}:\n  got      {out:?}\n  expected {:?}",
                case.title, case.expected
            ));
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fns).max(1) as f64;
    println!(
        "tricky corpus: {} cases, {} expected rewrites, {tp} correct, {fp} wrong, {fns} missed; \
         precision {precision:.3}, recall {recall:.3}",
        cases.len(),
        tp + fns
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(fp, 0);
}

fn seeds() -> Option<Vec<(String, String)>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/seeds");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.extension().is_some_and(|e| e == "txt") {
            let name = path.file_name()?.to_string_lossy().into_owned();
            out.push((name, std::fs::read_to_string(&path).ok()?));
        }
    }
    out.sort();
    (!out.is_empty()).then_some(out)
}

/// Whether `needle` occurs in `hay` with no letter or digit touching it.
fn has_word(hay: &str, needle: &str) -> bool {
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn seeds_come_out_in_one_form() {
    let Some(seeds) = seeds() else {
        eprintln!("skipping: ../shared/seeds not found");
        return;
    };
    let m = default_matcher();
    let canonicals: Vec<String> = default_entities()
        .into_iter()
        .map(|e| e.canonical)
        .collect();
    let mut all_counts = Vec::new();
    for (name, text) in &seeds {
        let mentions = m.find(text);
        let out = m.replace(text, &mentions);
        all_counts.extend(mentions.iter().cloned());
        assert_eq!(
            text.matches(" is ").count(),
            out.matches(" is ").count(),
            "{name}: the count of \" is \" changed"
        );
        for c in &canonicals {
            let doubled = format!("{c} ({c})");
            assert!(
                !out.contains(&doubled),
                "{name}: doubled definition {doubled}"
            );
        }
        // Every mention left in the output is the canonical form.
        let again = m.find(&out);
        let left: Vec<&Mention> = again
            .iter()
            .filter(|x| x.kind != MentionKind::Canonical)
            .collect();
        assert!(left.is_empty(), "{name}: left after rewrite: {left:?}");
        // The seed's own variants are gone.
        for form in [
            "Al-Nusra Front",
            "Jahbaat al-Nusra",
            "ISIL",
            "ISIS",
            "Isis",
            "IS",
            "Al Qaeda",
            "al-Qaida",
            "Rami Abdul Rahman",
            "Maaret al-Naaman",
            "Maraat al-Numan",
            "Jaysh al-Fateh",
            "SOHR",
        ] {
            assert!(
                !has_word(&out, form),
                "{name}: {form:?} is still in the output"
            );
        }
        assert!(
            !out.contains("Jahbaat"),
            "{name}: the fuzzy variant was only half rewritten"
        );
        assert_eq!(out, m.replace(&out, &again), "{name}: not idempotent");
    }
    let counts = count_mentions(&all_counts);
    for c in &counts {
        println!("seeds: {:>3} x {:?} -> {:?}", c.count, c.from, c.to);
    }
    let kinds = |k: MentionKind| all_counts.iter().filter(|x| x.kind == k).count();
    println!(
        "seeds: {} mentions: {} canonical, {} variant, {} acronym, {} definition, {} fuzzy",
        all_counts.len(),
        kinds(MentionKind::Canonical),
        kinds(MentionKind::Variant),
        kinds(MentionKind::Acronym),
        kinds(MentionKind::Definition),
        kinds(MentionKind::Fuzzy)
    );
}

#[test]
fn count_mentions_is_sorted_and_skips_canonical() {
    let text = "ISIL fighters and Daesh; Islamic State. ISIL again.";
    let m = default_matcher();
    let counts = count_mentions(&m.find(text));
    let pairs: Vec<(&str, &str, u64)> = counts
        .iter()
        .map(|c| (c.from.as_str(), c.to.as_str(), c.count))
        .collect();
    assert_eq!(
        pairs,
        vec![("Daesh", "Islamic State", 1), ("ISIL", "Islamic State", 2)]
    );
}

#[test]
fn fuzzy_off_leaves_unlisted_spellings() {
    let opts = AliasOptions {
        fuzzy: false,
        ..AliasOptions::default()
    };
    let m = AliasMatcher::new(&default_entities(), &opts).expect("table");
    // Without fuzzy matching only the listed tail "al-Nusra" is found: a known gap.
    let text = "the Jahbaat al-Nusra said";
    let found = m.find(text);
    assert!(
        found.iter().all(|x| x.kind != MentionKind::Fuzzy),
        "{found:?}"
    );
}

#[test]
fn replace_ignores_mentions_that_do_not_fit() {
    let m = default_matcher();
    let text = "Daesh and Nusra";
    let bad = vec![
        Mention {
            start: 0,
            end: 99,
            from: "x".into(),
            to: "y".into(),
            kind: MentionKind::Variant,
        },
        Mention {
            start: 1,
            end: 3,
            from: "ae".into(),
            to: "y".into(),
            kind: MentionKind::Variant,
        },
    ];
    assert_eq!(m.replace(text, &bad), "Dysh and Nusra");
    assert_eq!(
        m.replace(
            "é",
            &[Mention {
                start: 1,
                end: 2,
                ..bad[0].clone()
            }]
        ),
        "é"
    );
}

/// Words that exercise every gate, glued together at random by the property tests.
const VOCAB: &[&str] = &[
    "IS",
    "is",
    "ISIS",
    "Isis",
    "ISIL",
    "Isil",
    "Islamic",
    "State",
    "Islamic State",
    "(",
    ")",
    "(IS)",
    "(ISIL)",
    "Nusra",
    "Front",
    "Al",
    "al-",
    "Al-",
    "Qaeda",
    "Al Qaeda",
    "Jahbaat",
    "al-Nusra",
    "'s",
    "’s",
    "fighters",
    "-held",
    "group",
    "THIS",
    "http://x.com/",
    "/",
    "95",
    "-",
    "\n",
    "\n\n",
    " ",
    " ",
    " ",
    ".",
    "?",
    "Daesh",
    "Maaret",
    "Naaman",
    "al-Naaman",
    "é",
    "日本",
    "Hama",
    "Hamas",
    "Aleppo",
    "goddess",
    "it",
    "the",
    "SOHR",
    "Syrian Observatory for Human Rights",
    "YPG",
    "People's Protection Units",
    "anti-",
    "\u{301}",
    "Jisr",
    "al-Shugur",
];

fn vocab_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(VOCAB), 0..40).prop_map(|w| w.concat())
}

fn check_mentions(text: &str, mentions: &[Mention]) -> Result<(), TestCaseError> {
    let mut last = 0;
    for x in mentions {
        prop_assert!(x.start >= last && x.start <= x.end && x.end <= text.len());
        prop_assert!(text.is_char_boundary(x.start) && text.is_char_boundary(x.end));
        prop_assert_eq!(&text[x.start..x.end], x.from.as_str());
        last = x.end;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_and_offsets_are_char_boundaries(text in any::<String>()) {
        let m = default_matcher();
        let mentions = m.find(&text);
        check_mentions(&text, &mentions)?;
        let _ = m.replace(&text, &mentions);
    }

    #[test]
    fn vocabulary_soup_is_well_formed_and_idempotent(text in vocab_text()) {
        let m = default_matcher();
        let mentions = m.find(&text);
        check_mentions(&text, &mentions)?;
        let once = m.replace(&text, &mentions);
        let twice = m.replace(&once, &m.find(&once));
        prop_assert_eq!(once, twice);
    }

    /// Skipping to the places `NameStarts` leaves finds exactly what the unanchored scan finds.
    #[test]
    fn name_starts_skip_agrees_with_full_scan(text in vocab_text()) {
        static FULL: OnceLock<AliasMatcher> = OnceLock::new();
        let full = FULL.get_or_init(|| {
            AliasMatcher::new(&default_entities(), &AliasOptions::default())
                .expect("default table builds")
                .without_name_starts()
        });
        prop_assert_eq!(default_matcher().find(&text), full.find(&text));
    }

    #[test]
    fn plain_is_is_never_touched(text in vocab_text()) {
        let out = rewrite(&text);
        prop_assert_eq!(text.matches(" is ").count(), out.matches(" is ").count());
    }
}
