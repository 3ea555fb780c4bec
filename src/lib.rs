//! copydesk turns raw news dumps into clean, deduplicated JSONL, recording the provenance of
//! every change it makes.
//!
//! The library is the whole tool; the `copydesk` binary is glue around [`pipeline::run`]. See
//! `ARCHITECTURE.md` for the map: input reading ([`input`]), the per-document and corpus-wide
//! stages ([`stages`]), the pure algorithm cores they call ([`boilerplate`], [`paragraphs`],
//! [`decode`], [`aliases`], [`dedup`]), output writing ([`output`]), and staged runs that cut
//! the same phases into tasks ([`staged`]).
#![warn(missing_docs)]

pub mod aliases;
pub mod boilerplate;
pub mod config;
pub mod decode;
pub mod dedup;
pub mod doc;
pub mod input;
pub mod json;
pub mod output;
pub mod paragraphs;
pub mod pipeline;
pub mod spill;
pub mod staged;
pub mod stages;
mod swar;
