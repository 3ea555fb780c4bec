//! HTML character references in text that should have been plain: `&amp;`, `&#8220;`,
//! `&#x2019;`, and the residue some feeds leave when the `&` was replaced by a space
//! (" quot;", " #36;", " #146;").
//!
//! Not for: parsing HTML (tags are left alone) or stripping markup. Only a table of the named
//! references that occur in news text is carried; unknown names are left as they are, which is
//! safer than guessing.

/// Named references we decode. Kept short on purpose: these are the ones seen in news dumps.
const NAMED: &[(&str, &str)] = &[
    ("AElig", "Æ"),
    ("Aacute", "Á"),
    ("Agrave", "À"),
    ("Auml", "Ä"),
    ("Ccedil", "Ç"),
    ("Eacute", "É"),
    ("Egrave", "È"),
    ("Iacute", "Í"),
    ("Ntilde", "Ñ"),
    ("Oacute", "Ó"),
    ("Ouml", "Ö"),
    ("Uacute", "Ú"),
    ("Uuml", "Ü"),
    ("aacute", "á"),
    ("acirc", "â"),
    ("aelig", "æ"),
    ("agrave", "à"),
    ("amp", "&"),
    ("apos", "'"),
    ("aring", "å"),
    ("atilde", "ã"),
    ("auml", "ä"),
    ("bdquo", "„"),
    ("bull", "•"),
    ("ccedil", "ç"),
    ("cent", "¢"),
    ("copy", "©"),
    ("deg", "°"),
    ("eacute", "é"),
    ("ecirc", "ê"),
    ("egrave", "è"),
    ("euml", "ë"),
    ("euro", "€"),
    ("frac12", "½"),
    ("frac14", "¼"),
    ("frac34", "¾"),
    ("gt", ">"),
    ("hellip", "…"),
    ("iacute", "í"),
    ("icirc", "î"),
    ("iexcl", "¡"),
    ("igrave", "ì"),
    ("iquest", "¿"),
    ("iuml", "ï"),
    ("laquo", "«"),
    ("ldquo", "“"),
    ("lsaquo", "‹"),
    ("lsquo", "‘"),
    ("lt", "<"),
    ("mdash", "—"),
    ("middot", "·"),
    ("nbsp", "\u{a0}"),
    ("ndash", "–"),
    ("ntilde", "ñ"),
    ("oacute", "ó"),
    ("ocirc", "ô"),
    ("ograve", "ò"),
    ("oslash", "ø"),
    ("otilde", "õ"),
    ("ouml", "ö"),
    ("para", "¶"),
    ("plusmn", "±"),
    ("pound", "£"),
    ("quot", "\""),
    ("raquo", "»"),
    ("rdquo", "”"),
    ("reg", "®"),
    ("rsaquo", "›"),
    ("rsquo", "’"),
    ("sbquo", "‚"),
    ("sect", "§"),
    ("shy", "\u{ad}"),
    ("szlig", "ß"),
    ("times", "×"),
    ("trade", "™"),
    ("uacute", "ú"),
    ("ucirc", "û"),
    ("ugrave", "ù"),
    ("uuml", "ü"),
    ("yen", "¥"),
];

/// The residue names seen after a space (the `&` became a space in the feed's pipeline).
const RESIDUE_NAMED: &[(&str, &str)] = &[
    ("quot;", "\""),
    ("amp;", "&"),
    ("lt;", "<"),
    ("gt;", ">"),
    ("apos;", "'"),
];

fn named(name: &str) -> Option<&'static str> {
    NAMED
        .binary_search_by(|(n, _)| n.as_bytes().cmp(name.as_bytes()))
        .ok()
        .map(|i| NAMED[i].1)
}

/// A numeric reference's character. Numbers 128..159 are read as windows-1252, as browsers do,
/// because that is what the authors meant; NUL, surrogates and out-of-range numbers are None.
fn numeric(n: u32) -> Option<char> {
    if (0x80..=0x9f).contains(&n) {
        let byte = [n as u8];
        let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
        return s.chars().next();
    }
    // NUL is never text, and a CR would survive as a line break only until the next run.
    if n == 0 || n == 13 {
        return None;
    }
    char::from_u32(n)
}

/// Parse a reference body after `&` or the residue space: `#123;`, `#x1F;` or `name;`.
/// Returns the replacement and the number of bytes consumed (including the `;`).
fn parse(rest: &str, allow_named: bool) -> Option<(char, Option<&'static str>, usize)> {
    let b = rest.as_bytes();
    let semi = b.iter().take(12).position(|&c| c == b';')?;
    let body = &rest[..semi];
    if let Some(num) = body.strip_prefix('#') {
        let n = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            num.parse().ok()?
        };
        return numeric(n).map(|c| (c, None, semi + 1));
    }
    if !allow_named {
        return None;
    }
    named(body).map(|s| ('\0', Some(s), semi + 1))
}

/// Does the text have anything this module would change? Cheap: a reference needs `&` or `#`,
/// and the named residue is one of five short words followed by `;`.
#[inline]
pub fn may_contain_entities(text: &str) -> bool {
    let b = text.as_bytes();
    if memchr::memchr2(b'&', b'#', b).is_some() {
        return true;
    }
    // Every residue name ends with its `;`, so it occurs exactly when the text up to some `;`
    // ends with it: a few comparisons per `;`, where a substring search per name would first
    // build its searcher, on every line that holds a `;`.
    memchr::memchr_iter(b';', b).any(|at| {
        let upto = &b[..=at];
        RESIDUE_NAMED
            .iter()
            .any(|(n, _)| upto.ends_with(n.as_bytes()))
    })
}

/// Decode references and residue; returns the number of replacements (0 means `out` was not
/// written and the input stands).
pub fn decode_entities(text: &str, out: &mut String) -> (u64, u64) {
    let (mut refs, mut residue) = (0u64, 0u64);
    out.clear();
    let bytes = text.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr2(b'&', b' ', &bytes[i..]) {
        let at = i + off;
        let rest = &text[at + 1..];
        if bytes[at] == b'&' {
            if let Some((c, s, len)) = parse(rest, true) {
                out.push_str(&text[last..at]);
                match s {
                    Some(s) => out.push_str(s),
                    None => out.push(c),
                }
                refs += 1;
                last = at + 1 + len;
                i = last;
                continue;
            }
        } else if rest.starts_with('#') {
            // " #36;" is residue only as a whole reference directly after a space.
            if let Some((c, None, len)) = parse(rest, false) {
                out.push_str(&text[last..at]);
                out.push(c);
                residue += 1;
                last = at + 1 + len;
                i = last;
                continue;
            }
        } else if let Some((name, s)) = RESIDUE_NAMED.iter().find(|(n, _)| rest.starts_with(n)) {
            out.push_str(&text[last..at]);
            out.push_str(s);
            residue += 1;
            last = at + 1 + name.len();
            i = last;
            continue;
        }
        i = at + 1;
    }
    if refs + residue > 0 {
        out.push_str(&text[last..]);
    }
    (refs, residue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> String {
        let mut out = String::new();
        let (a, b) = decode_entities(s, &mut out);
        if a + b == 0 {
            s.to_owned()
        } else {
            out
        }
    }

    #[test]
    fn table_is_sorted() {
        assert!(NAMED
            .windows(2)
            .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes()));
    }

    #[test]
    fn references() {
        assert_eq!(
            run("AT&amp;T &#8220;hi&#x201D; &frac14; &#150;"),
            "AT&T “hi” ¼ –"
        );
        assert_eq!(run("a &b; c &#0; &#xD800;"), "a &b; c &#0; &#xD800;");
    }

    proptest::proptest! {
        /// The test at each `;` agrees with a search for each residue name.
        #[test]
        fn residue_candidates_agree_with_substring_search(s in "([a-z #&]{0,3}(quot|amp|lt|gt|apos|qu|t)?;?){0,8}") {
            let by_search = memchr::memchr2(b'&', b'#', s.as_bytes()).is_some()
                || (s.contains(';') && RESIDUE_NAMED.iter().any(|(n, _)| s.contains(n)));
            proptest::prop_assert_eq!(may_contain_entities(&s), by_search);
        }
    }

    #[test]
    fn residue() {
        assert_eq!(run("the  #36;10 million"), "the $10 million");
        assert_eq!(
            run("In  quot;Sizzler, quot; Apple #146;s"),
            "In \"Sizzler,\" Apple’s"
        );
        assert_eq!(run("item #36 costs; fine"), "item #36 costs; fine");
    }
}
