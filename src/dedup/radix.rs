//! Sorting hashes: a most-significant-digit radix sort for keys that are 64-bit hashes, the
//! same order as `sort_unstable`.
//!
//! Two sorts of the near-duplicate pass sort nothing but hashes: a text's shingle hashes
//! before two texts are compared (a few hundred per document), and each LSH band's
//! `(band key, item)` entries before they are cut into buckets (one per item of the level).
//! Hash keys are spread evenly over their range, so their top bits place each one almost
//! where it belongs: one counting pass on the top bits (a byte, or for up to 1,024 keys as many
//! bits as give two to four buckets per key) puts a few hundred shingles into buckets of about
//! one, and an insertion sort finishes the job in linear time. A comparison
//! sort spends about `log2 n` comparisons per key instead, and half of those are branches a
//! predictor cannot guess on random keys.
//!
//! The pairs of item ids that the bands yield are sorted too, before their repeats are
//! dropped; ids are small integers, not hashes, so [`sort_pairs`] packs each pair into one
//! integer and sorts those a digit at a time from the lowest.
//!
//! Nothing here assumes the keys are well spread for correctness: a bucket that comes out
//! large is sorted by the next byte, and past the last byte by `sort_unstable`, so the result
//! is always exactly `sort_unstable`'s (the property tests hold it to that, on skewed keys
//! too); only the speed depends on the spread.

/// An element sorted by [`sort`]: ordered by its `Ord`, whose first criterion is the `u64`
/// that [`HashKey::key`] returns.
pub trait HashKey: Copy + Ord {
    /// The hash that leads the element's order.
    fn key(&self) -> u64;
}

impl HashKey for u64 {
    #[inline(always)]
    fn key(&self) -> u64 {
        *self
    }
}

/// A band entry: `(band key, item)`.
impl HashKey for (u64, u32) {
    #[inline(always)]
    fn key(&self) -> u64 {
        self.0
    }
}

/// Buckets at most this long are left to the final insertion sort; a longer one is sorted by
/// the next byte first. An insertion sort shifts each element past the others of its bucket,
/// so the work left is at most `SMALL` steps per element.
const SMALL: usize = 32;

/// Slices shorter than this are sorted by `sort_unstable`: below it, clearing and summing 256
/// counts costs more than the comparisons saved (measured: 50 hashes sort in 2.8 ns each by
/// comparison, 5.7 ns by one radix pass; 160 in 3.4 against 2.6).
const COMPARE_BELOW: usize = 128;

/// Sorts `v` as `v.sort_unstable()` would (the order is total, so the result is the same),
/// using `scratch` as room to spread into; `scratch` keeps its capacity for the next call.
pub fn sort<T: HashKey>(v: &mut [T], scratch: &mut Vec<T>) {
    if v.len() < COMPARE_BELOW {
        v.sort_unstable();
        return;
    }
    if scratch.len() < v.len() {
        scratch.resize(v.len(), v[0]);
    }
    if v.len() <= WIDE_MAX {
        // ceil(log2 n) + 1 bits: 2n to 4n buckets, and never under a byte's 256 (see
        // [`WIDE_MAX`]).
        match usize::BITS - (v.len() - 1).leading_zeros() + 1 {
            ..=8 => by_digit::<T, 257>(v, scratch, 56),
            9 => by_digit::<T, 513>(v, scratch, 55),
            10 => by_digit::<T, 1025>(v, scratch, 54),
            _ => by_digit::<T, 2049>(v, scratch, 53),
        }
    } else {
        by_digit::<T, 257>(v, scratch, 56);
    }
}

/// Up to this many keys, the first pass reads a digit wider than a byte: two to four buckets
/// per key, then the insertion sort. With a byte's 256 buckets, the few hundred shingles of a
/// text left two or three keys in a bucket, and the insertion sort's inner loop stopped after a
/// number of steps that no predictor can guess: one mispredicted branch per key. With most
/// buckets holding one key or none, the loop mostly stops at once: 0.9% of the 75 MB corpus's
/// cycles, ABBA (four to eight buckets per key: more counting, no better).
const WIDE_MAX: usize = 1024;

/// Sorts `v`, whose keys agree above the digit at `shift`, by that digit (`R - 1` buckets, a
/// power of two: a byte's 256 but for the first pass of a short list), then each long bucket
/// by the bytes below. `tmp` holds at least `v.len()` elements, its contents unused.
fn by_digit<T: HashKey, const R: usize>(v: &mut [T], tmp: &mut [T], shift: u32) {
    let n = v.len();
    let digit = |x: &T| ((x.key() >> shift) as usize) & (R - 2);
    let mut starts = [0usize; R];
    for x in v.iter() {
        starts[digit(x) + 1] += 1;
    }
    for d in 0..R - 1 {
        starts[d + 1] += starts[d];
    }
    let tmp = &mut tmp[..n];
    let mut at = starts;
    for x in v.iter() {
        let d = digit(x);
        tmp[at[d]] = *x;
        at[d] += 1;
    }
    v.copy_from_slice(tmp);
    for d in 0..R - 1 {
        let bucket = starts[d]..starts[d + 1];
        if bucket.len() > SMALL {
            if shift < 8 || bucket.len() < COMPARE_BELOW {
                // Every key byte is read (what is left are equal keys, ordered by the rest),
                // or too few are left for another pass to pay.
                v[bucket].sort_unstable();
            } else {
                by_digit::<T, 257>(&mut v[bucket.clone()], &mut tmp[bucket], shift - 8);
            }
        }
    }
    // The buckets are in order and the long ones sorted: each element moves only past the
    // others of its short bucket.
    insertion_sort(v);
}

/// Pair lists shorter than this are sorted by `sort_unstable` (below it the counting passes cost
/// more than the comparisons they save).
const PAIRS_COMPARE_BELOW: usize = 512;

/// The widest digit of [`sort_pairs`]: 4096 counts of 4 bytes stay in the first-level cache.
const PAIR_DIGIT_BITS: u32 = 12;

/// Sorts item-id pairs as `v.sort_unstable()` would, by a least-significant-digit radix sort of
/// the pairs packed into one integer each: `(a, b)` as `a` shifted past the bits that the
/// largest `b` needs, then `b`, which orders as the pair does. Ids are below the item count,
/// so a level of 100,000 items packs into 34 bits: three passes of 12 bits.
///
/// The candidate pairs of one LSH band (a bucket's pairs, bucket after bucket) are in no order,
/// and the comparison sort of them was a quarter of the document level's banding: its branches
/// are coin flips to the predictor. A radix pass has none. `scratch` keeps its capacity for the
/// next call.
pub fn sort_pairs(v: &mut [(u32, u32)], scratch: &mut Vec<u64>) {
    if v.len() < PAIRS_COMPARE_BELOW {
        v.sort_unstable();
        return;
    }
    let (max_a, max_b) = v
        .iter()
        .fold((0u32, 0u32), |(x, y), &(a, b)| (x.max(a), y.max(b)));
    let b_bits = u32::BITS - max_b.leading_zeros();
    let bits = b_bits + (u32::BITS - max_a.leading_zeros());
    if bits == 0 {
        return; // every pair is (0, 0)
    }
    let passes = bits.div_ceil(PAIR_DIGIT_BITS);
    let width = bits.div_ceil(passes);
    let radix = 1usize << width;
    let digit = |k: u64, pass: u32| ((k >> (pass * width)) as usize) & (radix - 1);
    let n = v.len();
    scratch.clear();
    scratch.extend(
        v.iter()
            .map(|&(a, b)| (u64::from(a) << b_bits) | u64::from(b)),
    );
    let mut counts = vec![0u32; passes as usize * radix];
    for &k in scratch.iter() {
        for pass in 0..passes {
            counts[pass as usize * radix + digit(k, pass)] += 1;
        }
    }
    // Ping-pong between the two halves of `scratch`: keys first, room after them.
    scratch.resize(2 * n, 0);
    let (mut src, mut dst) = scratch.split_at_mut(n);
    for pass in 0..passes {
        let count = &mut counts[pass as usize * radix..][..radix];
        let mut at = 0u32;
        for c in count.iter_mut() {
            let here = *c;
            *c = at;
            at += here;
        }
        for &k in src.iter() {
            let d = digit(k, pass);
            dst[count[d] as usize] = k;
            count[d] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
    }
    let low = (1u64 << b_bits) - 1;
    for (pair, &k) in v.iter_mut().zip(src.iter()) {
        *pair = ((k >> b_bits) as u32, (k & low) as u32);
    }
}

/// Insertion sort: linear on input that is nearly in order, which is what the buckets leave.
fn insertion_sort<T: Ord + Copy>(v: &mut [T]) {
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && x < v[j - 1] {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys(n: usize, seed: u64, skew: u64) -> Vec<u64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                let r = crate::dedup::minhash::splitmix64(&mut state);
                // Some keys share their top bytes or repeat, as a skewed input would.
                match r % skew.max(1) {
                    0 => r % 97,
                    1 => r & 0xffff_0000_0000_00ff,
                    _ => r,
                }
            })
            .collect()
    }

    #[test]
    fn sorts_hashes_of_every_size_like_sort_unstable() {
        let mut scratch = Vec::new();
        for n in [0, 1, 2, 31, 32, 33, 100, 257, 1000, 5000, 70_000] {
            for skew in [1, 3, 1000] {
                let mut v = keys(n, n as u64 + skew, skew);
                let mut expected = v.clone();
                expected.sort_unstable();
                sort(&mut v, &mut scratch);
                assert_eq!(v, expected, "n = {n}, skew = {skew}");
            }
        }
    }

    #[test]
    fn sorts_entries_with_equal_keys_by_their_items() {
        // Thousands of entries with one key (a bucket of reprints) and a few others.
        let mut v: Vec<(u64, u32)> = (0..3000u32)
            .map(|i| (if i % 7 == 0 { u64::from(i) } else { 42 }, 3000 - i))
            .collect();
        let mut expected = v.clone();
        expected.sort_unstable();
        sort(&mut v, &mut Vec::new());
        assert_eq!(v, expected);
    }

    #[test]
    fn sorts_pairs_of_every_size_like_sort_unstable() {
        let mut scratch = Vec::new();
        let mut state = 7;
        for n in [0, 1, 511, 512, 513, 5000, 70_000] {
            for ids in [1u64, 2, 1000, 100_000, 1 << 32] {
                let mut v: Vec<(u32, u32)> = (0..n)
                    .map(|_| {
                        let r = crate::dedup::minhash::splitmix64(&mut state);
                        ((r % ids) as u32, ((r >> 32) % ids) as u32)
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_unstable();
                sort_pairs(&mut v, &mut scratch);
                assert_eq!(v, expected, "n = {n}, ids below {ids}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_pairs_sort_like_sort_unstable(
            mut v in proptest::collection::vec((any::<u32>(), any::<u32>()), 500..1500),
            narrow in (0u32..33, 0u32..33),
        ) {
            // Narrowed ids need fewer bits, so fewer and narrower passes; they often repeat.
            for p in &mut v {
                p.0 = p.0.checked_shr(narrow.0).unwrap_or(0);
                p.1 = p.1.checked_shr(narrow.1).unwrap_or(0);
            }
            let mut expected = v.clone();
            expected.sort_unstable();
            sort_pairs(&mut v, &mut Vec::new());
            prop_assert_eq!(v, expected);
        }

        #[test]
        fn any_entries_sort_like_sort_unstable(
            mut v in proptest::collection::vec((any::<u64>(), any::<u32>()), 0..600),
            narrow in 0u32..64,
        ) {
            // Narrowed keys share their top bits and often repeat.
            for e in &mut v {
                e.0 >>= narrow;
            }
            let mut expected = v.clone();
            expected.sort_unstable();
            sort(&mut v, &mut Vec::new());
            prop_assert_eq!(v, expected);
        }
    }
}
