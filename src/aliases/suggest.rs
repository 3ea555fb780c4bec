//! Suggesting new table entries from a corpus, for `copydesk aliases suggest`.
//!
//! Two kinds of evidence are collected, both cheap and both shown to a person before anything
//! enters the table — nothing here rewrites text:
//!
//! - **skeleton collisions**: Arabic-derived names (a capitalised word, a hyphenated article
//!   and a capitalised word, "Maaret al-Naaman") are grouped by skeleton key (see `skeleton`),
//!   and keys one edit apart under the same rules as fuzzy matching are joined; a group with
//!   two or more spellings, or one unlisted spelling of a listed entity, is a candidate;
//! - **definitions**: "Full Name (ACR)" pairs a name with its acronym.
//!
//! The output is TOML in the `[[aliases.entities]]` form of the table, each entry with a
//! comment saying why it was suggested, ready to review and paste.

use std::collections::{BTreeMap, HashMap};

use super::context::{is_apostrophe, is_word_char, prev_char};
use super::skeleton::{is_article_at, osa_distance, phrase_skeleton};
use super::Entity;

/// Suggests `[[aliases.entities]]` tables for the variant groups found in `texts`, as TOML.
/// Entities of `known` are extended (same canonical, new variants only) rather than repeated.
/// Returns an empty string when there is nothing to suggest.
pub fn suggest<'a>(texts: impl IntoIterator<Item = &'a str>, known: &[Entity]) -> String {
    let known_idx = KnownIndex::new(known);
    let mut forms: HashMap<String, u64> = HashMap::new();
    let mut definitions: HashMap<(String, String), u64> = HashMap::new();
    for text in texts {
        collect_forms(text, &mut forms);
        collect_definitions(text, &mut definitions);
    }

    // Group spellings by skeleton key, then join keys one edit apart.
    let mut groups: BTreeMap<Vec<String>, Vec<(String, u64)>> = BTreeMap::new();
    for (form, count) in forms {
        groups
            .entry(phrase_skeleton(&form))
            .or_default()
            .push((form, count));
    }
    let keys: Vec<Vec<String>> = groups.keys().cloned().collect();
    let mut parent: Vec<usize> = (0..keys.len()).collect();
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            if close(&keys[i], &keys[j]) {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[rj] = ri;
            }
        }
    }
    let mut joined: BTreeMap<usize, Vec<(String, u64)>> = BTreeMap::new();
    for (i, key) in keys.iter().enumerate() {
        let r = root(&mut parent, i);
        joined
            .entry(r)
            .or_default()
            .extend(groups[key].iter().cloned());
    }

    let mut out: Vec<(String, String)> = Vec::new(); // (canonical, rendered entry)
    for (_, mut spellings) in joined {
        spellings.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mentions: u64 = spellings.iter().map(|s| s.1).sum();
        // Names match case-insensitively, so spellings that differ only in case are one.
        let mut seen = std::collections::HashSet::new();
        spellings.retain(|(s, _)| seen.insert(s.to_lowercase()));
        let entity = spellings.iter().find_map(|(s, _)| known_idx.entity_of(s));
        let key = phrase_skeleton(&spellings[0].0).join(" ");
        match entity {
            Some(e) => {
                let new: Vec<String> = spellings
                    .iter()
                    .filter(|(s, _)| known_idx.entity_of_name(s).is_none())
                    .map(|(s, _)| s.clone())
                    .collect();
                if new.is_empty() {
                    continue;
                }
                let canonical = known[e].canonical.clone();
                let why = format!(
                    "extends {canonical:?}: skeleton \"{key}\", {} new spelling(s), {mentions} mention(s)",
                    new.len()
                );
                out.push((canonical.clone(), entry(&why, &canonical, &new, &[])));
            }
            None if spellings.len() >= 2 => {
                let canonical = spellings[0].0.clone();
                let variants: Vec<String> = spellings[1..].iter().map(|s| s.0.clone()).collect();
                let why = format!(
                    "skeleton \"{key}\": {} spellings, {mentions} mentions; choose the canonical form",
                    spellings.len()
                );
                out.push((canonical.clone(), entry(&why, &canonical, &variants, &[])));
            }
            None => {}
        }
    }

    let mut defs: Vec<((String, String), u64)> = definitions.into_iter().collect();
    defs.sort();
    for ((name, acr), count) in defs {
        let by_name = known_idx.entity_of_name(&name);
        let by_acr = known_idx.acronyms.get(acr.as_str()).copied();
        let why = format!("definition \"{name} ({acr})\" seen {count} time(s)");
        match (by_name, by_acr) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), None) => {
                let canonical = known[a].canonical.clone();
                out.push((canonical.clone(), entry(&why, &canonical, &[], &[acr])));
            }
            (None, Some(b)) => {
                let canonical = known[b].canonical.clone();
                out.push((canonical.clone(), entry(&why, &canonical, &[name], &[])));
            }
            (None, None) => out.push((name.clone(), entry(&why, &name, &[], &[acr]))),
            (Some(_), Some(_)) => {
                // The name and the acronym belong to different entities: a person decides.
                let why = format!(
                    "{why}; CONFLICT: name and acronym are listed under different entities"
                );
                out.push((name.clone(), entry(&why, &name, &[], &[acr])));
            }
        }
    }
    out.sort();
    out.into_iter()
        .map(|(_, e)| e)
        .collect::<Vec<_>>()
        .join("\n")
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Whether two keys are one edit apart under the fuzzy matcher's rules: same word count, at
/// least one word identical, and the differing word at least four key letters long.
fn close(a: &[String], b: &[String]) -> bool {
    if a.len() != b.len() || a.len() < 2 {
        return false;
    }
    let mut total = 0;
    let mut exact = false;
    for (x, y) in a.iter().zip(b) {
        if x == y {
            exact = true;
        } else if x.len().min(y.len()) < 4 {
            return false;
        } else {
            total += osa_distance(x, y);
        }
    }
    exact && total <= 1
}

struct KnownIndex {
    names: HashMap<String, usize>,
    acronyms: HashMap<String, usize>,
    keys: HashMap<Vec<String>, usize>,
}

impl KnownIndex {
    fn new(known: &[Entity]) -> Self {
        let mut names = HashMap::new();
        let mut acronyms = HashMap::new();
        let mut keys = HashMap::new();
        for (i, e) in known.iter().enumerate() {
            for n in std::iter::once(&e.canonical).chain(&e.variants) {
                names.insert(n.to_lowercase(), i);
                let k = phrase_skeleton(n);
                if k.len() >= 2 {
                    keys.entry(k).or_insert(i);
                }
            }
            for a in &e.acronyms {
                acronyms.insert(a.clone(), i);
            }
        }
        KnownIndex {
            names,
            acronyms,
            keys,
        }
    }

    fn entity_of_name(&self, form: &str) -> Option<usize> {
        self.names.get(&form.to_lowercase()).copied()
    }

    fn entity_of(&self, form: &str) -> Option<usize> {
        self.entity_of_name(form).or_else(|| {
            let k = phrase_skeleton(form);
            self.keys.get(&k).copied().or_else(|| {
                self.keys
                    .iter()
                    .filter(|(key, _)| close(key, &k))
                    .map(|(_, &e)| e)
                    .min()
            })
        })
    }
}

/// The capitalised word (letters and inner apostrophes) ending right before byte `end`.
fn word_before(text: &str, end: usize) -> Option<usize> {
    let before = text.get(..end)?;
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphabetic() || is_apostrophe(c))
        .last()
        .map(|(p, _)| p)?;
    before[start..]
        .starts_with(char::is_uppercase)
        .then_some(start)
}

/// The capitalised word starting at `start`, as its end.
fn word_after(text: &str, start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    if !rest.starts_with(char::is_uppercase) {
        return None;
    }
    let len = rest
        .char_indices()
        .find(|&(_, c)| !c.is_alphabetic())
        .map_or(rest.len(), |(p, _)| p);
    Some(start + len)
}

/// Collects "Word al-Word" spellings (and bare "al-Word" when no capitalised word precedes).
fn collect_forms(text: &str, forms: &mut HashMap<String, u64>) {
    let bytes = text.as_bytes();
    for hy in memchr::memchr_iter(b'-', bytes) {
        let letters = bytes[..hy]
            .iter()
            .rev()
            .take(4)
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if !(2..=3).contains(&letters) {
            continue;
        }
        let s = hy - letters;
        if prev_char(text, s).is_some_and(|c| is_word_char(c) || c == '-')
            || !is_article_at(&text[s..hy], true)
        {
            continue;
        }
        let Some(end) = word_after(text, hy + 1) else {
            continue;
        };
        if text[end..].starts_with(|c: char| is_word_char(c) || c == '-') {
            continue;
        }
        let start = text[..s]
            .strip_suffix(' ')
            .and_then(|_| word_before(text, s - 1))
            .filter(|&w| !prev_char(text, w).is_some_and(|c| is_word_char(c) || c == '-'))
            .unwrap_or(s);
        let form = &text[start..end];
        if phrase_skeleton(form).len() >= 2 {
            *forms.entry(form.to_owned()).or_default() += 1;
        }
    }
}

/// Words that may sit inside a multi-word name without a capital.
fn is_connector(w: &str) -> bool {
    matches!(
        w,
        "of" | "for" | "in" | "and" | "the" | "de" | "bin" | "ibn"
    )
}

/// Collects "Capitalised Name (ACR)" pairs: two to eight words, all capitalised except
/// connectors, ending right before " (", and an acronym of 2 to 6 capitals.
fn collect_definitions(text: &str, defs: &mut HashMap<(String, String), u64>) {
    for (open, _) in text.match_indices(" (") {
        let rest = &text[open + 2..];
        let Some(close) = rest.find(')') else {
            continue;
        };
        let acr = &rest[..close];
        if !(2..=6).contains(&acr.len()) || !acr.bytes().all(|b| b.is_ascii_uppercase()) {
            continue;
        }
        // Walk back over words.
        let mut start = open;
        let mut words = 0;
        let mut first_cap = open;
        while let Some(ws) = text[..start]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| c.is_alphabetic() || c == '-' || is_apostrophe(c))
            .last()
            .map(|(p, _)| p)
        {
            let w = &text[ws..start];
            let capital = w.starts_with(char::is_uppercase);
            if !capital && !is_connector(w) && !w.contains('-') {
                break;
            }
            words += 1;
            if capital {
                first_cap = ws;
            }
            if words == 8 || !text[..ws].ends_with(' ') {
                break;
            }
            start = ws - 1;
        }
        // A sentence-initial "The" is not part of the name.
        let name = text[first_cap..open].trim();
        let name = name.strip_prefix("The ").unwrap_or(name);
        if name.split(' ').count() >= 2 && name.starts_with(char::is_uppercase) {
            *defs.entry((name.to_owned(), acr.to_owned())).or_default() += 1;
        }
    }
}

fn entry(why: &str, canonical: &str, variants: &[String], acronyms: &[String]) -> String {
    let list = |xs: &[String]| {
        xs.iter()
            .map(|x| toml_string(x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "# {}\n[[aliases.entities]]\ncanonical = {}\nvariants = [{}]\nacronyms = [{}]\n",
        why.replace('\n', " "),
        toml_string(canonical),
        list(variants),
        list(acronyms)
    )
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct File {
        aliases: Aliases,
    }
    #[derive(serde::Deserialize)]
    struct Aliases {
        entities: Vec<Row>,
    }
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Row {
        canonical: String,
        variants: Vec<String>,
        acronyms: Vec<String>,
    }

    const TEXTS: [&str; 3] = [
        "Raids hit Maaret al-Naaman and Jisr al-Shughour. The Islamic State in Iraq and the Levant (ISIL) retreated.",
        "Six died in Maraat al-Numan, near Jisr al-Shughur, said the Local Watch Group (LWG).",
        "Maaret al-Naaman again; Jahbaat al-Nusra and Jabhat al-Nusra fought.",
    ];

    #[test]
    fn groups_spellings_without_a_table() {
        let toml_text = suggest(TEXTS, &[]);
        let file: File = toml::from_str(&toml_text).expect("valid TOML");
        let find = |c: &str| file.aliases.entities.iter().find(|r| r.canonical == c);
        let maaret = find("Maaret al-Naaman").expect("Maaret group");
        assert_eq!(maaret.variants, vec!["Maraat al-Numan"]);
        assert!(find("Jabhat al-Nusra").is_some() || find("Jahbaat al-Nusra").is_some());
        let lwg = find("Local Watch Group").expect("definition");
        assert_eq!(lwg.acronyms, vec!["LWG"]);
        let isil = find("Islamic State in Iraq and the Levant").expect("definition");
        assert_eq!(isil.acronyms, vec!["ISIL"]);
    }

    #[test]
    fn extends_known_entities_only_with_new_spellings() {
        let known = vec![
            Entity {
                canonical: "Nusra Front".into(),
                variants: vec!["Jabhat al-Nusra".into()],
                acronyms: vec![],
            },
            Entity {
                canonical: "Islamic State".into(),
                variants: vec!["Islamic State in Iraq and the Levant".into()],
                acronyms: vec!["ISIL".into()],
            },
        ];
        let toml_text = suggest(TEXTS, &known);
        let file: File = toml::from_str(&toml_text).expect("valid TOML");
        let nusra = file
            .aliases
            .entities
            .iter()
            .find(|r| r.canonical == "Nusra Front")
            .expect("extends Nusra Front");
        assert_eq!(nusra.variants, vec!["Jahbaat al-Nusra"]);
        assert!(
            !toml_text.contains("\"ISIL\""),
            "known definition repeated:\n{toml_text}"
        );
        assert_eq!(suggest([""], &known), "");
    }
}
