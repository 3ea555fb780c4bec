//! Mojibake repair and cleaning of arbitrary text: never panics and is idempotent,
//! `fix_text(fix_text(x)) == fix_text(x)`, under the default, ftfy-compatible and NFKC options
//! (the first byte picks which).
#![no_main]

use copydesk::decode::{fix_text, DecodeOptions, Normalization, Repairs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let opts = match pick % 3 {
        0 => DecodeOptions::default(),
        1 => DecodeOptions::ftfy_compatible(),
        _ => DecodeOptions {
            normalization: Normalization::Nfkc,
            fold_quotes: true,
            fold_dashes: true,
            ..DecodeOptions::default()
        },
    };
    let text = String::from_utf8_lossy(rest);
    let once = fix_text(&text, &opts, &mut Repairs::new());
    let twice = fix_text(&once, &opts, &mut Repairs::new());
    assert_eq!(once, twice, "fix_text is not idempotent");
});
