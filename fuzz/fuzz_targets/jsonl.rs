//! The JSONL reader on arbitrary bytes: never panics, and every non-blank line becomes exactly
//! one document or one rejection (a line ends at `\n`, `\r\n` or a lone `\r`). The first byte
//! picks a small `max_document_bytes` now and then, so the limit path is exercised too.
#![no_main]

use copydesk::config::InputConfig;
use copydesk::input::read_jsonl;
use libfuzzer_sys::fuzz_target;

fn non_blank_lines(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut blank = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' || b == b'\r' {
            n += usize::from(!blank);
            blank = true;
            if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else if !b.is_ascii_whitespace() {
            blank = false;
        }
        i += 1;
    }
    n + usize::from(!blank)
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let config = InputConfig {
        max_document_bytes: if pick < 32 { u64::from(pick) } else { 1 << 20 },
        source_field: "url".into(),
        ..InputConfig::default()
    };
    let loaded = read_jsonl(rest, "fuzz.jsonl", "fuzz", "site", &config);
    assert_eq!(
        loaded.docs.len() + loaded.rejected.len(),
        non_blank_lines(rest),
        "a line was lost or counted twice"
    );
    for r in &loaded.rejected {
        assert!(r.line.is_some() && r.offset.is_some(), "{r:?}");
    }
});
