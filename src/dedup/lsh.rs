//! Locality-sensitive hashing by banding: choosing bands × rows for a similarity threshold,
//! the theoretical error of that choice, band keys, and the in-memory bucket stage that turns
//! signatures into candidate pairs.
//!
//! A signature of `bands · rows` values is cut into `bands` bands of `rows` values; two
//! signatures become a candidate pair when they agree on every row of at least one band,
//! which happens with probability `1 − (1 − sʳ)ᵇ` for sets of Jaccard similarity `s`. The
//! parameters are chosen as datasketch chooses them: minimise the area under that S-curve
//! below the threshold (false positives) plus the area above it that the curve leaves out
//! (false negatives), with equal weights.
//!
//! This module does not verify anything: a candidate pair is only a pair worth checking, and
//! the caller checks it (estimated or exact Jaccard, containment) before merging. It holds no
//! index either: [`band_key`] is what a later out-of-core stage writes to disk, and
//! [`candidate_pairs`] is the same bucketing done with sorted vectors in memory.

use crate::dedup::minhash::EMPTY;
use crate::dedup::radix;
use xxhash_rust::xxh3::{xxh3_64_with_seed, Xxh3};

/// How a signature is cut for LSH: `bands` bands of `rows` values each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LshParams {
    /// Number of bands; a pair sharing any one band is a candidate.
    pub bands: usize,
    /// Number of signature values per band; all must agree for the band to match.
    pub rows: usize,
}

/// Largest number of earlier members of the same bucket that a member is paired with.
///
/// A bucket of k members yields every pair while k ≤ 33 and k · 32 pairs beyond, instead of
/// k(k−1)/2. Large buckets are in practice one template repeated everywhere (a sign-off, a
/// standard disclaimer that escaped boilerplate removal), and a window keeps such a bucket
/// connected through the union-find without quadratic work. A window rather than a chain of
/// consecutive members (window 1) or a star around the first member: the caller verifies each
/// pair before merging, and with a chain a single unrelated member between two copies breaks
/// the cluster, with a star an unrelated first member breaks all of it; a window of 32 breaks
/// only when 32 unrelated members in a row separate two copies.
///
/// Within a bucket larger than the window, members are ordered by a hash of their whole
/// signature (then id), not by id alone: identical signatures are then neighbours and always
/// paired, however many unrelated members of the same band share the bucket. Ordered by id, two
/// exact copies separated by more than 32 unrelated members of a template bucket (a run of
/// one-line dividend notices that differ only in their figures) were never compared.
pub const BUCKET_WINDOW: usize = 32;

/// Number of intervals of the composite Simpson rule used for the error areas: enough that
/// the areas are accurate to about 1e-6 even for the steepest S-curves of 256 values.
const SIMPSON_INTERVALS: usize = 1000;

/// Probability that two sets of Jaccard similarity `s` share at least one band:
/// `1 − (1 − sʳ)ᵇ`. `s` is clamped to `[0, 1]`; a NaN similarity gives 0.
pub fn candidate_probability(p: &LshParams, s: f64) -> f64 {
    if s.is_nan() {
        return 0.0;
    }
    let s = s.clamp(0.0, 1.0);
    let rows = i32::try_from(p.rows).unwrap_or(i32::MAX);
    let bands = i32::try_from(p.bands).unwrap_or(i32::MAX);
    if rows == 0 || bands == 0 {
        // No band, or bands of no rows, can never match anything meaningfully.
        return 0.0;
    }
    1.0 - (1.0 - s.powi(rows)).powi(bands)
}

/// Area under the S-curve from similarity 0 to `threshold`: datasketch's false-positive
/// "probability", the weight of pairs below the threshold that still become candidates if
/// similarities were uniform.
pub fn false_positive_rate(p: &LshParams, threshold: f64) -> f64 {
    let t = clamp_threshold(threshold);
    simpson(|s| candidate_probability(p, s), 0.0, t)
}

/// Area above the S-curve from `threshold` to similarity 1: datasketch's false-negative
/// "probability", the weight of pairs above the threshold that fail to become candidates.
pub fn false_negative_rate(p: &LshParams, threshold: f64) -> f64 {
    let t = clamp_threshold(threshold);
    simpson(|s| 1.0 - candidate_probability(p, s), t, 1.0)
}

/// The bands × rows with `bands · rows ≤ num_perm` that minimise false-positive plus
/// false-negative area at `threshold`, searched exhaustively as datasketch does (ties go to
/// fewer bands, then fewer rows). `num_perm = 0` gives `0 × 0`, which yields no candidates.
/// A threshold outside `[0, 1]` is clamped; NaN is read as 0.5.
pub fn optimal_params(threshold: f64, num_perm: usize) -> LshParams {
    use rayon::prelude::*;
    // About 600 choices for 128 values, each two integrals of a thousand points: milliseconds
    // that every run pays before reading its first byte, so they are spread over the threads.
    // The choice is then made in order, as one loop would make it.
    let choices: Vec<LshParams> = (1..=num_perm)
        .flat_map(|bands| (1..=num_perm / bands).map(move |rows| LshParams { bands, rows }))
        .collect();
    let errors: Vec<f64> = choices
        .par_iter()
        .map(|p| false_positive_rate(p, threshold) + false_negative_rate(p, threshold))
        .collect();
    let mut best = LshParams { bands: 0, rows: 0 };
    let mut best_error = f64::INFINITY;
    for (p, error) in choices.into_iter().zip(errors) {
        if error < best_error {
            best_error = error;
            best = p;
        }
    }
    best
}

/// Key of band `band` of `sig`: xxh3 of the band's `rows` values as little-endian bytes,
/// seeded with the band index so that equal rows in different bands give different keys.
///
/// Portable and stable, like the signatures, so keys can be written by one machine and
/// bucketed on another. A band reaching past the end of `sig` hashes whatever part of it
/// exists (possibly nothing) rather than panicking; [`candidate_pairs`] never asks for one.
pub fn band_key(sig: &[u32], band: usize, rows: usize) -> u64 {
    let start = band.saturating_mul(rows).min(sig.len());
    let end = start.saturating_add(rows).min(sig.len());
    let values = &sig[start..end];
    let seed = band as u64;
    // The common band of a few rows: a buffer of its exact size class, so that a key costs
    // the hash and not the clearing of a large buffer (every document and paragraph takes one
    // key per band).
    if values.len() <= 8 {
        let mut small = [0u8; 32];
        for (dst, v) in small.chunks_exact_mut(4).zip(values) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        return xxh3_64_with_seed(&small[..values.len() * 4], seed);
    }
    // Bytes go through a stack buffer: no allocation, and a band of up to 64 rows is one
    // one-shot hash call. Streaming gives the same value as one-shot xxh3 by design.
    let mut buf = [0u8; 256];
    if values.len() <= buf.len() / 4 {
        let len = fill_le(&mut buf, values);
        return xxh3_64_with_seed(&buf[..len], seed);
    }
    let mut hasher = Xxh3::with_seed(seed);
    for chunk in values.chunks(buf.len() / 4) {
        let len = fill_le(&mut buf, chunk);
        hasher.update(&buf[..len]);
    }
    hasher.digest()
}

/// Candidate pairs `(i, j)`, `i < j`, of signatures that share at least one band key,
/// sorted and deduplicated; ids are positions in `sigs`.
///
/// Each band is bucketed by sorting `(key, id)` pairs, one reusable vector of 16 bytes per
/// signature, instead of a hash map of vectors. Within a bucket, each member is paired with
/// at most [`BUCKET_WINDOW`] earlier members (see there for why). The result depends only on
/// the input, not on hashing order or threads.
///
/// Signatures of the empty set ([`EMPTY`] first) take no part: all empty paragraphs would
/// otherwise be one giant bucket. A signature shorter than `bands · rows` takes part in the
/// bands it fully covers. Only the first `u32::MAX` signatures can be numbered.
pub fn candidate_pairs(sigs: &[&[u32]], p: &LshParams) -> Vec<(u32, u32)> {
    candidate_pairs_windowed(sigs, p, BUCKET_WINDOW)
}

/// [`candidate_pairs`] with an explicit bucket window instead of [`BUCKET_WINDOW`]; a window
/// of 0 is read as 1 (consecutive members only).
pub fn candidate_pairs_windowed(sigs: &[&[u32]], p: &LshParams, window: usize) -> Vec<(u32, u32)> {
    let window = window.max(1);
    let mut pairs = Vec::new();
    if p.rows == 0 {
        return pairs;
    }
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(sigs.len().min(u32::MAX as usize));
    // Whole-signature hashes order the members of buckets that outgrow the window; one xxh3
    // per signature is cheap next to the sorting.
    let whole: Vec<u64> = sigs.iter().map(|s| signature_hash(s)).collect();
    for band in 0..p.bands {
        let needed = band.saturating_add(1).saturating_mul(p.rows);
        entries.clear();
        for (id, sig) in sigs.iter().enumerate() {
            let Ok(id) = u32::try_from(id) else { break };
            if sig.len() >= needed && sig.first() != Some(&EMPTY) {
                entries.push((band_key(sig, band, p.rows), id));
            }
        }
        bucket_pairs(&mut entries, |id| whole[id as usize], window, &mut pairs);
    }
    radix::sort_pairs(&mut pairs, &mut Vec::new());
    pairs.dedup();
    pairs
}

/// The pairs of one band: sorts `entries` (`(band key, id)`) and appends to `pairs` every pair
/// of members of a bucket, or, in a bucket larger than `window + 1`, each member with its
/// `window` predecessors in the order of `whole(id)` (a hash of the whole signature, see
/// [`BUCKET_WINDOW`]). Pairs are `(smaller id, larger id)`, not yet sorted or deduplicated.
///
/// This is the step an out-of-core run applies to one band (or one key range of a band) at a
/// time, with the keys read back from disk: the pairs depend only on the entries, not on how
/// the band was cut.
pub fn bucket_pairs(
    entries: &mut [(u64, u32)],
    whole: impl Fn(u32) -> u64,
    window: usize,
    pairs: &mut Vec<(u32, u32)>,
) {
    let window = window.max(1);
    // Sorting by (key, id) groups each bucket and orders its members by id, which is what
    // makes the emitted pairs deterministic. Band keys are hashes: a radix sort's case.
    radix::sort(entries, &mut Vec::new());
    let mut large: Vec<(u64, u32)> = Vec::new();
    for bucket in entries.chunk_by(|x, y| x.0 == y.0) {
        if bucket.len() <= window + 1 {
            for (j, &(_, later)) in bucket.iter().enumerate() {
                for &(_, earlier) in &bucket[..j] {
                    pairs.push((earlier, later));
                }
            }
            continue;
        }
        large.clear();
        large.extend(bucket.iter().map(|&(_, id)| (whole(id), id)));
        large.sort_unstable();
        for (j, &(_, b)) in large.iter().enumerate() {
            for &(_, a) in &large[j.saturating_sub(window)..j] {
                pairs.push((a.min(b), a.max(b)));
            }
        }
    }
}

/// xxh3 of a whole signature, the order of members inside a large bucket.
pub fn signature_hash(sig: &[u32]) -> u64 {
    let mut hasher = Xxh3::with_seed(0);
    let mut buf = [0u8; 256];
    for chunk in sig.chunks(buf.len() / 4) {
        let len = fill_le(&mut buf, chunk);
        hasher.update(&buf[..len]);
    }
    hasher.digest()
}

fn fill_le(buf: &mut [u8; 256], values: &[u32]) -> usize {
    for (dst, v) in buf.chunks_exact_mut(4).zip(values) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
    values.len().min(buf.len() / 4) * 4
}

fn clamp_threshold(t: f64) -> f64 {
    if t.is_nan() {
        0.5
    } else {
        t.clamp(0.0, 1.0)
    }
}

/// Composite Simpson rule on `[a, b]`; the integrands here are polynomials in `s`, smooth
/// enough that a fixed grid is accurate and keeps the result deterministic.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    if b <= a {
        return 0.0;
    }
    let n = SIMPSON_INTERVALS;
    let h = (b - a) / n as f64;
    let mut sum = f(a) + f(b);
    for i in 1..n {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(a + h * i as f64);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::minhash::MinHasher;
    use proptest::prelude::*;

    #[test]
    fn probability_formula() {
        let p = LshParams { bands: 8, rows: 4 };
        assert!(
            (candidate_probability(&p, 0.6) - (1.0 - (1.0 - 0.6f64.powi(4)).powi(8))).abs() < 1e-15
        );
        assert_eq!(candidate_probability(&p, 0.0), 0.0);
        assert_eq!(candidate_probability(&p, 1.0), 1.0);
        assert_eq!(candidate_probability(&p, f64::NAN), 0.0);
        assert_eq!(
            candidate_probability(&LshParams { bands: 0, rows: 0 }, 0.9),
            0.0
        );
    }

    #[test]
    fn error_areas_are_integrals() {
        // With one band of one row the S-curve is the diagonal: FP area t²/2, FN (1−t)²/2.
        let p = LshParams { bands: 1, rows: 1 };
        assert!((false_positive_rate(&p, 0.4) - 0.08).abs() < 1e-12);
        assert!((false_negative_rate(&p, 0.4) - 0.18).abs() < 1e-12);
        assert_eq!(false_positive_rate(&p, -3.0), 0.0);
        assert_eq!(false_negative_rate(&p, 7.0), 0.0);
    }

    #[test]
    fn optimal_params_fit_and_follow_the_threshold() {
        for num_perm in [16, 64, 128, 256] {
            let mut last_rows = 0;
            for t in [0.3, 0.5, 0.7, 0.9] {
                let p = optimal_params(t, num_perm);
                assert!(p.bands * p.rows <= num_perm && p.bands >= 1 && p.rows >= 1);
                // A higher threshold needs longer bands to reject the pairs below it.
                assert!(p.rows >= last_rows, "{num_perm} {t} {p:?}");
                last_rows = p.rows;
            }
        }
        assert_eq!(optimal_params(0.5, 0), LshParams { bands: 0, rows: 0 });
        let _ = optimal_params(f64::NAN, 8);
    }

    #[test]
    fn optimal_params_and_areas_agree_with_datasketch() {
        // Reference values from datasketch 2.0.0 (`datasketch.lsh._optimal_param` with weights
        // 0.5/0.5, and its `_false_positive_probability` / `_false_negative_probability`,
        // which integrate with scipy's adaptive quadrature), computed on 2026-11-22.
        // (num_perm, threshold, bands, rows)
        let expected = [
            (16, 0.3, 8, 2),
            (16, 0.5, 5, 3),
            (16, 0.7, 3, 5),
            (16, 0.8, 2, 8),
            (16, 0.9, 1, 15),
            (64, 0.3, 21, 3),
            (64, 0.5, 14, 4),
            (64, 0.7, 8, 8),
            (64, 0.8, 5, 11),
            (64, 0.9, 3, 21),
            (128, 0.3, 37, 3),
            (128, 0.5, 25, 5),
            (128, 0.7, 14, 9),
            (128, 0.8, 9, 13),
            (128, 0.9, 5, 25),
            (256, 0.3, 64, 4),
            (256, 0.5, 42, 6),
            (256, 0.7, 25, 10),
            (256, 0.8, 17, 15),
            (256, 0.9, 9, 28),
        ];
        for (num_perm, t, bands, rows) in expected {
            assert_eq!(
                optimal_params(t, num_perm),
                LshParams { bands, rows },
                "{t} {num_perm}"
            );
        }
        for (t, bands, rows, fp, fnr) in [
            (0.7, 14, 9, 0.03463792975032921, 0.037871025881048945),
            (0.5, 25, 5, 0.053721591197238995, 0.03375250944883258),
            (0.9, 5, 25, 0.011558312354277636, 0.025318546609254904),
        ] {
            let p = LshParams { bands, rows };
            assert!((false_positive_rate(&p, t) - fp).abs() < 1e-9);
            assert!((false_negative_rate(&p, t) - fnr).abs() < 1e-9);
        }
    }

    #[test]
    fn band_key_is_xxh3_of_le_rows_and_never_panics() {
        let sig: Vec<u32> = (0..300).collect();
        let bytes: Vec<u8> = sig[100..200].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(band_key(&sig, 1, 100), xxh3_64_with_seed(&bytes, 1));
        let bytes: Vec<u8> = sig[8..12].iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(band_key(&sig, 2, 4), xxh3_64_with_seed(&bytes, 2));
        // Same rows, different band index: different key.
        let twice = [5u32, 6, 5, 6];
        assert_ne!(band_key(&twice, 0, 2), band_key(&twice, 1, 2));
        let _ = band_key(&sig, usize::MAX, usize::MAX);
        let _ = band_key(&[], 3, 4);
    }

    #[test]
    fn buckets_pair_members_and_skip_empty_sets() {
        let a = [1u32, 2, 3, 4];
        let b = [1u32, 2, 9, 9];
        let c = [7u32, 7, 3, 4];
        let d = [8u32, 8, 8, 8];
        let e = [EMPTY; 4];
        let short = [1u32, 2];
        let p = LshParams { bands: 2, rows: 2 };
        let sigs: Vec<&[u32]> = vec![&a, &b, &c, &d, &e, &e, &short];
        assert_eq!(
            candidate_pairs(&sigs, &p),
            vec![(0, 1), (0, 2), (0, 6), (1, 6)]
        );
        assert!(candidate_pairs(&sigs, &LshParams { bands: 2, rows: 0 }).is_empty());
        assert!(candidate_pairs(&[], &p).is_empty());
    }

    #[test]
    fn large_bucket_is_windowed() {
        let same = [1u32, 1];
        let sigs: Vec<&[u32]> = vec![&same; 100];
        let p = LshParams { bands: 1, rows: 2 };
        let pairs = candidate_pairs_windowed(&sigs, &p, 3);
        assert_eq!(pairs.len(), 1 + 2 + 97 * 3);
        assert!(pairs.iter().all(|&(i, j)| i < j && j - i <= 3));
        assert_eq!(candidate_pairs(&sigs, &p).len(), 32 * 100 - 32 * 33 / 2);
        let chain = candidate_pairs_windowed(&sigs, &p, 0);
        assert_eq!(chain.len(), 99);
    }

    #[test]
    fn identical_signatures_in_a_large_bucket_are_always_paired() {
        // 200 signatures share band 0 (first two values); only 0 and 150 are identical.
        let owned: Vec<Vec<u32>> = (0..200u32).map(|i| vec![7, 7, i, i]).collect();
        let mut sigs: Vec<&[u32]> = owned.iter().map(Vec::as_slice).collect();
        let copy = [7u32, 7, 0, 0];
        sigs[150] = &copy;
        let p = LshParams { bands: 1, rows: 2 };
        let pairs = candidate_pairs_windowed(&sigs, &p, 1);
        assert!(pairs.contains(&(0, 150)));
        assert!(pairs.iter().all(|&(i, j)| i < j));
        assert_eq!(pairs.len(), 199);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn banding_matches_the_s_curve(
            seed in any::<u64>(),
            shared_pct in 20..90u64,
            bands in 4..12usize,
            rows in 2..6usize,
        ) {
            // Build pairs of sets with exactly known Jaccard s = shared / (shared + 2·only),
            // run them through the real MinHash and banding, and compare the fraction that
            // became candidates with 1 − (1 − sʳ)ᵇ.
            let p = LshParams { bands, rows };
            let hasher = MinHasher::new(bands * rows, seed);
            let total = 200u64;
            let shared = total * shared_pct / 100;
            let only = (total - shared) / 2;
            let s = shared as f64 / (shared + 2 * only) as f64;
            let trials = 300u64;
            let mut sigs = Vec::new();
            for t in 0..trials {
                let base = t * 1_000_000;
                let a: Vec<u64> = (base..base + shared + only).map(|x| mix(x, seed)).collect();
                let b: Vec<u64> = (base..base + shared)
                    .chain(base + 500_000..base + 500_000 + only)
                    .map(|x| mix(x, seed))
                    .collect();
                sigs.push(hasher.signature(&a));
                sigs.push(hasher.signature(&b));
            }
            let refs: Vec<&[u32]> = sigs.iter().map(Vec::as_slice).collect();
            let pairs = candidate_pairs(&refs, &p);
            let hits = pairs.iter().filter(|&&(i, j)| i % 2 == 0 && j == i + 1).count();
            let rate = hits as f64 / trials as f64;
            let expected = candidate_probability(&p, s);
            let sd = (expected * (1.0 - expected) / trials as f64).sqrt();
            prop_assert!((rate - expected).abs() <= 5.0 * sd + 0.02,
                "rate {} expected {} (s {}, {:?})", rate, expected, s, p);
        }
    }

    fn mix(x: u64, seed: u64) -> u64 {
        xxh3_64_with_seed(&x.to_le_bytes(), seed)
    }
}
