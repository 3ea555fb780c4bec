//! One name per entity: the alias and transliteration stage's pure core.
//!
//! News outlets spell the same group, person or place many ways ("Nusra Front", "Al-Nusra
//! Front", "Jabhat al-Nusra"; "ISIL", "ISIS", "Islamic State"). This module finds those
//! mentions in one document and rewrites them to a single canonical form, so that counting,
//! searching and deduplicating a corpus see one entity where there is one. It is built from a
//! table of [`Entity`] values and [`AliasOptions`]; [`AliasMatcher::find`] reports
//! [`Mention`]s with byte offsets, [`AliasMatcher::replace`] applies them, [`count_mentions`]
//! summarises them for provenance and [`suggest`] proposes new table entries from a corpus.
//!
//! It is deliberately not about documents, JSON, files or configuration: it takes `&str` and
//! plain structs and does no I/O, so the pipeline can wrap it in either the `replace` or the
//! `annotate` mode and the configuration layer can build [`Entity`] values from `pipeline.toml`
//! (the broad default table is the `[aliases]` part of `pipeline.toml`).
//!
//! Precision comes first everywhere: acronyms such as "IS" are only rewritten with evidence
//! (see `matcher`), and the fuzzy skeleton matching (see `skeleton`) only ever maps onto an
//! entity of the table.

mod context;
mod fuzzy;
mod matcher;
mod skeleton;
mod suggest;

#[cfg(test)]
mod tests;

pub use matcher::AliasMatcher;
pub use suggest::suggest;

/// One entity of the table: the form every mention is rewritten to, and the forms that mean it.
#[derive(Clone, Debug)]
pub struct Entity {
    /// The single form the output uses, e.g. "Islamic State".
    pub canonical: String,
    /// Full-name spellings, matched case-insensitively (with a capitalisation guard) and
    /// rewritten without further evidence, e.g. "Islamic State in Iraq and the Levant".
    pub variants: Vec<String>,
    /// Short forms, matched case-sensitively and only rewritten with context (a cue word, a
    /// definition, or the entity named elsewhere in the document), e.g. "ISIL", "IS".
    pub acronyms: Vec<String>,
}

/// How an [`AliasMatcher`] behaves beyond its table.
#[derive(Clone, Debug)]
pub struct AliasOptions {
    /// Catch transliterations that are not in the table by their skeleton key (articles
    /// dropped, vowels and doubled letters collapsed), only ever onto an entity of the table.
    pub fuzzy: bool,
    /// The largest total edit distance between skeleton keys that fuzzy matching accepts.
    /// Short tokens never get any distance, whatever this says (see `fuzzy`).
    pub max_edit_distance: u32,
    /// Words that, next to an acronym, show it names the entity: "fighters" in "IS fighters".
    /// An entry starting with `-` is a hyphen suffix: "-held" in "IS-held".
    pub acronym_cues: Vec<String>,
}

impl Default for AliasOptions {
    fn default() -> Self {
        let cues = [
            "fighters",
            "fighter",
            "militants",
            "militant",
            "jihadists",
            "jihadist",
            "group",
            "militia",
            "rebels",
            "positions",
            "targets",
            "members",
            "commander",
            "commanders",
            "leader",
            "leaders",
            "stronghold",
            "strongholds",
            "territory",
            "supporters",
            "-held",
            "-controlled",
            "-run",
            "-linked",
            "-led",
            "-affiliated",
            "-allied",
            "-backed",
            "-inspired",
            "-claimed",
        ];
        AliasOptions {
            fuzzy: true,
            max_edit_distance: 1,
            acronym_cues: cues.iter().map(|c| (*c).to_owned()).collect(),
        }
    }
}

/// One thing wrong with an entity table. [`AliasMatcher::new`] reports all of them at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableProblem {
    /// An entity whose canonical form is empty or only whitespace.
    #[error("entity #{index}: the canonical form is empty")]
    EmptyCanonical {
        /// Position of the entity in the table, from 0.
        index: usize,
    },
    /// An empty variant or acronym.
    #[error("entity {canonical:?}: an empty variant or acronym")]
    EmptyForm {
        /// The canonical form of the entity holding it.
        canonical: String,
    },
    /// An acronym of fewer than two characters, which would match far too much.
    #[error("entity {canonical:?}: acronym {acronym:?} is shorter than two characters")]
    ShortAcronym {
        /// The canonical form of the entity holding it.
        canonical: String,
        /// The acronym.
        acronym: String,
    },
    /// The same form listed under two canonicals, so a mention could not be resolved.
    #[error("{form:?} is listed under both {first:?} and {second:?}")]
    Conflict {
        /// The form (compared case-insensitively for names, exactly for acronyms).
        form: String,
        /// The canonical of the entity that listed it first.
        first: String,
        /// The canonical of the entity that listed it again.
        second: String,
    },
}

/// Why an [`AliasMatcher`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    /// The table has one or more problems; every one found is listed.
    #[error("invalid alias table: {}", join_problems(.0))]
    InvalidTable(Vec<TableProblem>),
    /// The automaton could not be built (for example, the table is too large).
    #[error("cannot build the alias automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

fn join_problems(problems: &[TableProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a mention was recognised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MentionKind {
    /// The canonical form itself (allowing sentence-initial capitals and all-caps headlines);
    /// never rewritten and never counted.
    Canonical,
    /// A listed variant spelling.
    Variant,
    /// A listed acronym that passed the context gate.
    Acronym,
    /// An unlisted transliteration caught by its skeleton key.
    Fuzzy,
    /// A name followed by its own acronym in parentheses, "Islamic State (IS)": the whole
    /// span collapses to the canonical form.
    Definition,
}

/// One mention of an entity in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// Byte offset of the first byte of the mention (always a char boundary).
    pub start: usize,
    /// Byte offset one past the mention (always a char boundary). A possessive "'s" is not
    /// part of the mention, so it survives the rewrite.
    pub end: usize,
    /// The text as found, `text[start..end]`.
    pub from: String,
    /// The canonical form of the entity.
    pub to: String,
    /// How it was recognised.
    pub kind: MentionKind,
}

/// How often one surface form was rewritten to one canonical form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasCount {
    /// The surface form as found.
    pub from: String,
    /// The canonical form.
    pub to: String,
    /// How many mentions.
    pub count: u64,
}

/// Counts the rewrites among `mentions`, for provenance: mentions of kind
/// [`MentionKind::Canonical`] or with `from == to` are not rewrites and are left out. The
/// result is sorted by `to`, then `from`, so it is the same whatever the input order.
pub fn count_mentions(mentions: &[Mention]) -> Vec<AliasCount> {
    let mut counts: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for m in mentions {
        if m.kind == MentionKind::Canonical || m.from == m.to {
            continue;
        }
        *counts.entry((m.to.as_str(), m.from.as_str())).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((to, from), count)| AliasCount {
            from: from.to_owned(),
            to: to.to_owned(),
            count,
        })
        .collect()
}
