//! Charset detection and cleaning of arbitrary bytes: never panics, and the text it returns is
//! a fixed point of `fix_text` (decoding already did every repair there was to do).
#![no_main]

use copydesk::decode::{decode_bytes, fix_text, DecodeOptions, Repairs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions::default();
    if let Ok(decoded) = decode_bytes(data, &opts) {
        let again = fix_text(&decoded.text, &opts, &mut Repairs::new());
        assert_eq!(
            again, decoded.text,
            "decode_bytes output is not a fixed point"
        );
    }
});
