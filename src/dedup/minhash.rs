//! MinHash signatures of shingle sets, and the Jaccard estimate between two signatures.
//!
//! A signature is `num_perm` 32-bit minima, one per hash function; the fraction of positions
//! where two signatures agree estimates the Jaccard similarity of their sets. It exists so
//! that the corpus-wide pass compares fixed-size signatures, and the LSH stage can bucket
//! them, instead of comparing shingle sets pairwise.
//!
//! Each shingle arrives already hashed once with xxh3 ([`crate::dedup::shingle`]); the
//! `num_perm` hash functions are then the multiply-add maps `x ↦ a·x + b (mod 2³²)` on the
//! folded 32-bit shingle hash, with odd multipliers `a` and offsets `b` drawn from splitmix64
//! seeded with the caller's seed. Pure 32-bit lanes are what make the min loop vectorize
//! (8 lanes per AVX2 instruction, with native 32-bit multiply and unsigned min); the
//! statistical quality of the resulting estimate is checked by the tests below rather than
//! assumed. Signatures depend only on the seed and the shingles: not on the machine, the CPU
//! features, the thread count or the release, and a test pins known values so that an
//! accidental change fails loudly.
//!
//! It is not a shingler, a similarity index or a verifier: it neither sees text nor decides
//! what is a duplicate.
//!
//! `u32::MAX` is reserved as the value of the empty set: a non-empty set never produces it
//! (its minima are clamped to `u32::MAX - 1`, a change of probability 2⁻³² per slot), so
//! [`estimate_jaccard`] and the LSH stage can recognise an empty signature and never call two
//! empty paragraphs copies of each other.

/// Number of hash functions the kernel computes together. 32 lanes are four AVX2 registers of
/// accumulators, four of multipliers and four of offsets: they stay in registers across the
/// whole shingle loop, so each shingle costs one broadcast and three vector ops per 8 lanes.
const BLOCK: usize = 32;

/// Signature value of an empty shingle set in every slot.
pub const EMPTY: u32 = u32::MAX;

/// A family of `num_perm` seeded hash functions that turns shingle sets into signatures.
#[derive(Debug, Clone)]
pub struct MinHasher {
    num_perm: usize,
    /// Odd multipliers, padded with copies of real ones up to a whole number of blocks.
    mul: Vec<[u32; BLOCK]>,
    /// Offsets, padded like `mul`.
    add: Vec<[u32; BLOCK]>,
    kernel: Kernel,
}

/// Which compiled copy of the min loop this CPU runs; all of them compute the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Generic,
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    Avx2,
}

impl MinHasher {
    /// Makes the `num_perm` hash functions of `seed`. The constants are drawn from splitmix64
    /// in a fixed order, so the same `(num_perm, seed)` gives the same functions everywhere,
    /// and the first `k` functions of a larger hasher are those of a hasher with `k`.
    pub fn new(num_perm: usize, seed: u64) -> MinHasher {
        let blocks = num_perm.div_ceil(BLOCK);
        let mut mul = vec![[1u32; BLOCK]; blocks];
        let mut add = vec![[0u32; BLOCK]; blocks];
        let mut state = seed;
        for k in 0..num_perm {
            // The multiplier must be odd to make x ↦ a·x + b a permutation of the 32-bit values.
            mul[k / BLOCK][k % BLOCK] = (splitmix64(&mut state) >> 32) as u32 | 1;
            add[k / BLOCK][k % BLOCK] = (splitmix64(&mut state) >> 32) as u32;
        }
        MinHasher {
            num_perm,
            mul,
            add,
            kernel: detect_kernel(),
        }
    }

    /// The number of hash functions, which is the length of a signature.
    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// Writes the signature of `shingles` (xxh3 shingle hashes, in any order, duplicates
    /// allowed) into `out`.
    ///
    /// `out` should be `num_perm` long; a shorter `out` receives the first `out.len()` values
    /// and a longer one is filled only up to `num_perm`. An empty set gives [`EMPTY`] in every
    /// slot.
    pub fn signature_into(&self, shingles: &[u64], out: &mut [u32]) {
        let out = match out.get_mut(..self.num_perm) {
            Some(head) => head,
            None => out,
        };
        let mut block_out = [EMPTY; BLOCK];
        for ((chunk, mul), add) in out.chunks_mut(BLOCK).zip(&self.mul).zip(&self.add) {
            match self.kernel {
                Kernel::Generic => min_block(mul, add, shingles, &mut block_out),
                #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
                // SAFETY: `Kernel::Avx2` is only chosen after `is_x86_feature_detected!`
                // confirmed that this CPU supports AVX2.
                Kernel::Avx2 => unsafe { min_block_avx2(mul, add, shingles, &mut block_out) },
            }
            for (o, &v) in chunk.iter_mut().zip(&block_out) {
                // Clamping the minimum equals clamping every value before the min (min is
                // monotone) and keeps EMPTY for the empty set alone.
                *o = if shingles.is_empty() {
                    EMPTY
                } else {
                    v.min(EMPTY - 1)
                };
            }
        }
    }

    /// The signature of `shingles` as a new vector of `num_perm` values.
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut out = vec![EMPTY; self.num_perm];
        self.signature_into(shingles, &mut out);
        out
    }

    /// The same signature computed by the portable loop, whatever the CPU: lets tests check
    /// that every dispatched copy agrees with it.
    #[cfg(test)]
    fn signature_generic(&self, shingles: &[u64]) -> Vec<u32> {
        let generic = MinHasher {
            kernel: Kernel::Generic,
            ..self.clone()
        };
        generic.signature(shingles)
    }
}

/// Estimated Jaccard similarity: the fraction of positions where the two signatures agree,
/// over the length of the shorter one.
///
/// Positions where both hold [`EMPTY`] do not count as agreement, so two empty sets estimate
/// 0, as [`crate::dedup::shingle::jaccard`] says they are. Signatures from different seeds
/// give a meaningless number, never a panic.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    let len = a.len().min(b.len());
    if len == 0 {
        return 0.0;
    }
    let equal = a
        .iter()
        .zip(b)
        .filter(|&(&x, &y)| x == y && x != EMPTY)
        .count();
    equal as f64 / len as f64
}

/// splitmix64 (Steele, Lea and Flood): a tiny, well-mixed generator whose output is fully
/// specified, which is what pinned signatures need.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Picks the fastest copy of the min loop this CPU supports. Building with
/// `RUSTFLAGS="--cfg copydesk_portable_minhash"` forces the portable loop, so the gain of
/// dispatch can be measured with the same benchmark.
fn detect_kernel() -> Kernel {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        not(copydesk_portable_minhash)
    ))]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
    }
    Kernel::Generic
}

/// The min loop for one block of hash functions. Written with fixed-size arrays so the
/// compiler keeps the block in registers and unrolls the lane loop into vector instructions;
/// it is inlined into each target-feature copy so each gets its own instruction selection.
#[inline(always)]
fn min_block(mul: &[u32; BLOCK], add: &[u32; BLOCK], shingles: &[u64], out: &mut [u32; BLOCK]) {
    let mut acc = [EMPTY; BLOCK];
    for &h in shingles {
        // Folding the high half in keeps all 64 bits of the xxh3 hash in play.
        let x = (h ^ (h >> 32)) as u32;
        for i in 0..BLOCK {
            acc[i] = acc[i].min(mul[i].wrapping_mul(x).wrapping_add(add[i]));
        }
    }
    *out = acc;
}

/// [`min_block`] compiled with AVX2, chosen at run time so a plain `cargo build --release`
/// (whose baseline x86-64 lacks even a packed 32-bit multiply) still gets the fast path.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn min_block_avx2(
    mul: &[u32; BLOCK],
    add: &[u32; BLOCK],
    shingles: &[u64],
    out: &mut [u32; BLOCK],
) {
    min_block(mul, add, shingles, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::shingle::{jaccard, shingle_hashes};
    use proptest::prelude::*;

    /// `n` distinct pseudo-random shingle hashes starting at stream position `from`.
    fn random_set(seed: u64, from: u64, n: usize) -> Vec<u64> {
        (from..from + n as u64)
            .map(|i| {
                let mut s = seed ^ i.wrapping_mul(0xA24B_AED4_963E_E407);
                splitmix64(&mut s)
            })
            .collect()
    }

    #[test]
    fn pinned_signatures() {
        // These values are part of the on-disk contract: signatures written by one release
        // are compared with signatures of the next. Change them only with a migration.
        let h = MinHasher::new(128, 42);
        let mut shingles = Vec::new();
        shingle_hashes(
            "The quick brown fox jumps over the lazy dog, Reuters reported on Wednesday.",
            5,
            0,
            &mut shingles,
        );
        let sig = h.signature(&shingles);
        assert_eq!(&sig[..4], &[818634361, 935515335, 708982703, 47772712]);
        assert_eq!(sig[127], 728161902);
        let sig = MinHasher::new(4, 0).signature(&[1, 2, 3]);
        assert_eq!(sig, vec![349869845, 102003418, 1862609015, 512313528]);
    }

    #[test]
    fn empty_set_is_all_max_and_never_similar() {
        let h = MinHasher::new(64, 1);
        let e = h.signature(&[]);
        assert!(e.iter().all(|&v| v == EMPTY));
        assert_eq!(estimate_jaccard(&e, &e), 0.0);
        let one = h.signature(&[12345]);
        assert!(one.iter().all(|&v| v < EMPTY));
        assert_eq!(estimate_jaccard(&one, &one), 1.0);
    }

    #[test]
    fn dispatched_kernel_matches_generic() {
        for num_perm in [1, 31, 32, 33, 128, 200] {
            let h = MinHasher::new(num_perm, 9);
            for n in [0, 1, 7, 1000] {
                let set = random_set(3, 0, n);
                assert_eq!(h.signature(&set), h.signature_generic(&set));
            }
        }
    }

    #[test]
    fn prefix_of_a_larger_hasher_and_short_outputs() {
        let set = random_set(5, 0, 300);
        let big = MinHasher::new(128, 77).signature(&set);
        let small = MinHasher::new(40, 77).signature(&set);
        assert_eq!(&big[..40], &small[..]);
        let mut short = [0u32; 10];
        MinHasher::new(128, 77).signature_into(&set, &mut short);
        assert_eq!(&short[..], &big[..10]);
        let mut long = [7u32; 140];
        MinHasher::new(128, 77).signature_into(&set, &mut long);
        assert_eq!(&long[..128], &big[..]);
        assert_eq!(long[139], 7);
        assert!(MinHasher::new(0, 1).signature(&set).is_empty());
    }

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let h = MinHasher::new(64, 2);
        let set = random_set(1, 0, 50);
        let mut shuffled: Vec<u64> = set.iter().rev().copied().collect();
        shuffled.extend_from_slice(&set[..10]);
        assert_eq!(h.signature(&set), h.signature(&shuffled));
    }

    #[test]
    fn estimator_variance_matches_independent_hash_functions() {
        // If the multiply-add functions were correlated, the estimate's variance would exceed
        // the binomial J(1-J)/k of k independent functions; this is the check that 32-bit
        // lanes did not cost estimator quality.
        let k = 128;
        let trials = 400;
        let mut sq_err = 0.0;
        for t in 0..trials {
            let h = MinHasher::new(k, t);
            // |A| = |B| = 300 with 200 shared: J = 200 / 400 = 0.5.
            let a = random_set(t, 0, 300);
            let b = random_set(t, 100, 300);
            let exact = jaccard(&sorted(a.clone()), &sorted(b.clone()));
            assert!((exact - 0.5).abs() < 1e-12);
            let est = estimate_jaccard(&h.signature(&a), &h.signature(&b));
            sq_err += (est - exact).powi(2);
        }
        let mse = sq_err / trials as f64;
        let binomial = 0.25 / k as f64;
        assert!(mse < 1.3 * binomial, "mse {mse} vs binomial {binomial}");
    }

    fn sorted(mut v: Vec<u64>) -> Vec<u64> {
        v.sort_unstable();
        v.dedup();
        v
    }

    proptest! {
        #[test]
        fn estimate_converges_to_exact_jaccard(
            seed in any::<u64>(),
            only_a in 0..400usize,
            shared in 1..400usize,
            only_b in 0..400usize,
        ) {
            let k = 256;
            let h = MinHasher::new(k, seed);
            let a = random_set(seed, 0, only_a + shared);
            let b = random_set(seed, only_a as u64, shared + only_b);
            let exact = jaccard(&sorted(a.clone()), &sorted(b.clone()));
            let est = estimate_jaccard(&h.signature(&a), &h.signature(&b));
            // Five standard deviations of the binomial estimate, plus slack for sets so
            // small that the 32-bit fold could collide.
            let sd = (exact * (1.0 - exact) / k as f64).sqrt();
            prop_assert!((est - exact).abs() <= 5.0 * sd + 0.01, "est {} exact {}", est, exact);
        }
    }
}
