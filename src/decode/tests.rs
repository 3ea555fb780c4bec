//! Tests of the public API as a whole: examples from the issue, and property tests
//! (idempotence, no panics, clean text unchanged). The per-stage tests live beside each stage.

use super::*;
use proptest::prelude::*;

fn fix(s: &str) -> String {
    fix_text(s, &DecodeOptions::default(), &mut Repairs::new())
}

#[test]
fn issue_examples() {
    assert_eq!(fix("RussiaÃ¢â‚¬â„¢s"), "Russia\u{2019}s");
    assert_eq!(
        fix("&#8220;Hi&#8221; said AT&amp;T"),
        "\u{201c}Hi\u{201d} said AT&T"
    );
    assert_eq!(
        fix("the  #36;10 million, quot;he said quot;"),
        "the $10 million,\"he said\""
    );
    assert_eq!(fix("a\u{a0}b\u{200b}c\u{7}\r\nd\re"), "a bc\nd\ne");
    assert_eq!(fix("e\u{301}"), "é");
}

#[test]
fn repairs_are_counted() {
    let mut r = Repairs::new();
    let out = fix_text("l’Ã©tÃ©\u{a0}&amp;\r\n", &DecodeOptions::default(), &mut r);
    assert_eq!(out, "l’été &\n");
    assert_eq!(r.get("mojibake"), Some(&1));
    assert_eq!(r.get("nbsp"), Some(&1));
    assert_eq!(r.get("html_entity"), Some(&1));
    assert_eq!(r.get("line_break"), Some(&1));
}

#[test]
fn folding_is_opt_in() {
    let text = "“Quote” – ‘dash’ — ﬁne";
    assert_eq!(fix(text), text);
    let opts = DecodeOptions {
        fold_quotes: true,
        fold_dashes: true,
        normalization: Normalization::Nfkc,
        ..DecodeOptions::default()
    };
    assert_eq!(
        fix_text(text, &opts, &mut Repairs::new()),
        "\"Quote\" - 'dash' - fine"
    );
}

#[test]
fn nfkc_runs_after_repair() {
    // Under NFKC first, "Â½" would become "Â1⁄2" and the evidence would be gone.
    let opts = DecodeOptions {
        normalization: Normalization::Nfkc,
        ..DecodeOptions::default()
    };
    assert_eq!(fix_text("Ã©tÃ© Â½", &opts, &mut Repairs::new()), "été 1⁄2");
}

#[test]
fn a_line_split_by_a_decoded_break_is_settled_as_lines() {
    // Found by the fuzzer (`fuzz/corpus/decode/line-split-by-entity`): cp1252 bytes where
    // `&#10;`, four controls and a mojibake byte-order mark (`ï»¿`) come together. The entity
    // makes a line break, the controls go, and the mark then starts a line: it must be gone
    // after one `decode_bytes`, not after a second `fix_text`.
    let bytes: &[u8] = &[
        243, 67, 84, 104, 138, 138, 159, 138, 84, 232, 138, 138, 159, 159, 159, 159, 159, 159, 159,
        159, 191, 159, 59, 120, 59, 120, 38, 35, 49, 48, 59, 17, 17, 17, 17, 239, 187, 191, 111,
        117, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 101, 120, 116, 32, 44, 50, 49, 59,
    ];
    let opts = DecodeOptions::default();
    let decoded = decode_bytes(bytes, &opts).expect("decodes");
    let again = fix_text(&decoded.text, &opts, &mut Repairs::new());
    assert_eq!(again, decoded.text);
    assert!(!decoded.text.contains("ï»¿"), "{:?}", decoded.text);
}

#[test]
fn decode_bytes_end_to_end() {
    let d = decode_bytes(b"Caf\xe9 \x93cr\xe8me\x94\r\n", &DecodeOptions::default()).unwrap();
    assert_eq!(d.text, "Café “crème”\n");
    assert_eq!(d.encoding, "windows-1252");
    let d = decode_bytes(b"", &DecodeOptions::default()).unwrap();
    assert_eq!((d.text.as_str(), d.encoding.as_str()), ("", "UTF-8"));
    let bin = [
        0u8, 1, 2, 3, 0, 0, 0xff, 0x10, 0, 7, 0, 0x80, 0x81, 0, 0, 9, 0xfe, 0, 0,
    ];
    assert!(matches!(
        decode_bytes(&bin, &DecodeOptions::default()),
        Err(DecodeError::Binary { .. })
    ));
    let d = decode_bytes(
        b"\xa0\xe1\xe2",
        &DecodeOptions {
            encoding: Some(encoding_rs::UTF_8),
            ..DecodeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(d.repairs.get("replacement_char"), Some(&3));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn fix_text_is_idempotent(s in "\\PC{0,40}") {
        let once = fix(&s);
        prop_assert_eq!(fix(&once), once);
    }

    #[test]
    fn fix_text_is_idempotent_on_mojibake_alphabet(s in "[a-zA-Z ÃÂâ€™œ\u{80}-\u{9f}©®¨¬´¦¤ÐÑРСВГ√ƒ╨┐├&#;0-9\u{a0}\u{200b}\u{fffd}?]{0,24}") {
        let once = fix(&s);
        prop_assert_eq!(fix(&once), once);
    }

    #[test]
    fn decode_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(d) = decode_bytes(&bytes, &DecodeOptions::default()) {
            prop_assert_eq!(fix(&d.text), d.text);
        }
    }

    #[test]
    fn clean_text_is_unchanged(s in "[a-zA-Z0-9 .,;:!?'()\\n\\t-]{0,80}") {
        // " quot;", " gt;" and the like are the residue of a reference whose `&` a feed turned
        // into a space, which the decoder repairs on purpose (`entities::residue`); this
        // alphabet can spell them, rarely enough that a run may or may not draw one.
        let residue = ["quot;", "amp;", "lt;", "gt;", "apos;"]
            .iter()
            .any(|r| s.contains(&format!(" {r}")));
        prop_assume!(!residue);
        prop_assert_eq!(fix(&s), s);
    }

    #[test]
    fn accented_words_without_markers_are_unchanged(s in "([a-zA-Z]{1,4}[éèêàçôûüöäßñóíáúãõøåæœ]?[ .,’“”–—…]?){0,12}") {
        // Lowercase accented Latin words plus typographic punctuation: no mojibake marker,
        // already NFC, no controls, so nothing may change.
        prop_assert_eq!(fix(&s), s);
    }
}

/// `fix_text` with every "nothing to do" shortcut off: the passes alone, on every line.
fn fix_reference(s: &str, opts: &DecodeOptions) -> (String, Repairs) {
    let mut repairs = Repairs::new();
    let passes = opts.char_passes();
    let mut lb = String::new();
    let text = if clean::normalize_line_breaks(s, &mut lb, &mut repairs) {
        &lb
    } else {
        s
    };
    let (mut a, mut b) = (String::new(), String::new());
    let out = text
        .split_inclusive('\n')
        .map(|line| fix_line_passes(line, opts, &passes, &mut repairs, &mut a, &mut b))
        .collect();
    (out, repairs)
}

/// Option sets that switch the passes the fast path reasons about on and off.
fn option_sets() -> [DecodeOptions; 4] {
    [
        DecodeOptions::default(),
        DecodeOptions::ftfy_compatible(),
        DecodeOptions {
            normalization: Normalization::Nfkc,
            fold_dashes: true,
            ..DecodeOptions::default()
        },
        DecodeOptions {
            html_entities: false,
            repair_mojibake: false,
            remove_controls: false,
            nbsp_to_space: false,
            normalization: Normalization::None,
            ..DecodeOptions::default()
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// The whole-text and per-line shortcuts of `fix_text` change neither the text nor the
    /// counts. The alphabet mixes clean prose with one of everything a pass reacts to:
    /// line breaks, controls, entity and residue pieces, mojibake pairs, NBSP, quotes, dashes,
    /// ligatures, full-width forms, zero-width characters and combining marks (also right
    /// after a newline, where a normalization boundary must hold).
    #[test]
    fn fast_path_agrees_with_line_passes(
        s in "([a-zA-Z ,.’“”–é\\n]{0,12}|[\\r\\t\u{7}\u{7f}\u{85}&#;]|amp;| quot;|&#36;|Ã©|â€™|Â|\u{a0}|\u{202f}|\u{2014}|ﬁ|Ａ|\u{3000}|\u{200b}|\u{301}|\u{0327}|e\u{301}|\u{fffd}|\u{1100}\u{1161}){0,16}",
    ) {
        for opts in option_sets() {
            let mut repairs = Repairs::new();
            let fast = fix_text(&s, &opts, &mut repairs);
            let (slow, slow_repairs) = fix_reference(&s, &opts);
            prop_assert_eq!(&fast, &slow, "{:?}", opts);
            prop_assert_eq!(&repairs, &slow_repairs, "{:?}", opts);
        }
    }
}
