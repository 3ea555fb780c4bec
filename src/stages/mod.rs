//! The stages of the pipeline, of two kinds.
//!
//! **Per-document stages** (`decode`, `boilerplate`, `paragraphs`, `aliases`) see one document at
//! a time, in any order, so the pipeline runs them in parallel with rayon; their only shared
//! state is read-only (compiled rules, corpus statistics gathered earlier). **Barrier stages**
//! (`line_stats`, `dedup`) see the whole corpus and run between the per-document phases. Each
//! stage is built once from its validated `pipeline.toml` table (`build`), so a running stage can
//! hold no bad value. No stage touches the file system: reading and writing belong to `input`
//! and `output`.

pub mod aliases;
pub mod boilerplate;
pub mod decode;
pub mod dedup;
pub mod line_stats;
