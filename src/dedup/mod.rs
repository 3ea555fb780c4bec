//! Near-duplicate detection cores: shingling, MinHash signatures, LSH banding and
//! union-find clustering.
//!
//! These are pure functions over strings, hash slices and integer ids. They are what the
//! corpus-wide near-duplicate pass is built from, and they are deliberately ignorant of
//! everything around it: no I/O, no serde, no configuration types, no notion of a document,
//! a paragraph or a source. The stages read as a pipeline — text to shingle hashes
//! ([`shingle`]), shingles to a fixed-length signature ([`minhash`]), signatures to
//! candidate pairs ([`lsh`]), verified pairs to clusters ([`unionfind`]) — and each stage's
//! output is plain data, so a later out-of-core or distributed driver can persist it between
//! stages without changing the cores.
//!
//! ```
//! use copydesk::dedup::{lsh, minhash::MinHasher, shingle, unionfind::UnionFind};
//!
//! let texts = [
//!     "The minister said on Wednesday that talks would resume next week.",
//!     "THE MINISTER said on Wednesday that “talks would resume next week”",
//!     "Oil prices rose for a third day on supply worries.",
//! ];
//! let (n, seed) = (3, 1);
//! let hasher = MinHasher::new(128, seed);
//! let mut sh = shingle::Shingler::new();
//! let mut sets = Vec::new();
//! let mut sigs = Vec::new();
//! for t in texts {
//!     let mut s = Vec::new();
//!     sh.shingle_into(t, n, seed, &mut s);
//!     sigs.push(hasher.signature(&s));
//!     sets.push(s);
//! }
//! let params = lsh::optimal_params(0.5, hasher.num_perm());
//! let refs: Vec<&[u32]> = sigs.iter().map(Vec::as_slice).collect();
//! let mut clusters = UnionFind::new(texts.len());
//! for (i, j) in lsh::candidate_pairs(&refs, &params) {
//!     // Verify every candidate before merging it.
//!     if shingle::jaccard(&sets[i as usize], &sets[j as usize]) >= 0.5 {
//!         clusters.union(i, j);
//!     }
//! }
//! assert_eq!(clusters.components(), vec![vec![0, 1]]);
//! ```

pub mod lsh;
pub mod minhash;
pub mod radix;
pub mod shingle;
pub mod unionfind;
