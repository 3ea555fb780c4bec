//! Every per-document stage and both barriers on a tiny corpus cut from arbitrary bytes (at each
//! 0xFF byte, up to four documents): decode, line statistics, boilerplate and paragraphs,
//! aliases, near-duplicates. Never panics; duplicate links and dropped paragraphs point only at
//! documents and paragraphs that exist.
#![no_main]

use copydesk::config::Config;
use copydesk::input::{RawContent, RawDoc};
use copydesk::stages::aliases::AliasStage;
use copydesk::stages::boilerplate::BoilerplateStage;
use copydesk::stages::decode::DecodeStage;
use copydesk::stages::dedup::DedupStage;
use copydesk::stages::line_stats::LineStats;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Stages {
    decode: DecodeStage,
    boilerplate: BoilerplateStage,
    aliases: AliasStage,
    dedup: DedupStage,
}

fn stages() -> &'static Stages {
    static STAGES: OnceLock<Stages> = OnceLock::new();
    STAGES.get_or_init(|| {
        let config = Config::default();
        Stages {
            decode: DecodeStage::build(&config.decode),
            boilerplate: BoilerplateStage::build(&config.boilerplate).expect("default rules"),
            aliases: AliasStage::build(&config.aliases, &config.aliases.entities)
                .expect("default entities"),
            dedup: DedupStage::build(&config.dedup),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let s = stages();
    let mut docs = Vec::new();
    for (i, part) in data.split(|&b| b == 0xff).take(4).enumerate() {
        // Odd documents come as JSONL strings (already UTF-8), even ones as raw file bytes.
        let content = if i % 2 == 1 {
            RawContent::Text(String::from_utf8_lossy(part).into_owned())
        } else {
            RawContent::Bytes(part.to_vec())
        };
        let raw = RawDoc {
            id: format!("d{i}"),
            source: format!("fuzz/{i}.txt"),
            site: "fuzz".into(),
            content,
            extra: Default::default(),
        };
        if let Ok(doc) = s.decode.apply(i, raw) {
            docs.push(doc);
        }
    }
    let stats = match s.boilerplate.corpus_max_words() {
        Some(max_words) => LineStats::collect(&docs, max_words, s.boilerplate.corpus_min_docs),
        None => LineStats::default(),
    };
    for doc in &mut docs {
        s.boilerplate.apply(doc, &stats);
        s.aliases.apply(doc);
    }
    let _ = s.dedup.run(&mut docs);
    let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
    for doc in &docs {
        if let Some(of) = &doc.duplicate_of {
            assert!(ids.contains(of), "duplicate of an unknown document {of}");
        }
        for &p in &doc.dropped_paragraphs {
            assert!(p < doc.paragraphs.len());
        }
    }
});
