//! The configuration parser on arbitrary text: an error list or a configuration, never a panic.
#![no_main]

use copydesk::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = Config::from_toml(text, "fuzz.toml") {
            // Rendering the error walks every issue's position: it must not panic either.
            let _ = e.to_string();
        }
    }
});
