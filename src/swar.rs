//! Eight bytes at a time in a `u64`: the byte-class tests and the squeeze that the ASCII fast
//! paths of the boilerplate line keys (`boilerplate::scan_ascii`) and the shingle tokenizer
//! (`dedup::shingle`) share.
//!
//! Both turn ASCII text into words separated by single spaces: letters and digits kept (lower
//! case), separators written as one space however many follow each other, and everything else
//! dropped without separating. A block of eight bytes is read as one `u64` whose lanes (bytes)
//! are all below 0x80, so lane-wise sums never carry into the next lane; a test's answer is the
//! high bit of each lane. [`squeeze`] takes the dropped lanes and the repeated separators out
//! of a block by shifting the lanes above them down: most blocks of news text have nothing to
//! take out. This module knows nothing of what a separator is to its callers: they pass the
//! masks.

/// The high bit of every lane.
pub(crate) const HIGH: u64 = lanes(0x80);

/// `b` in every lane.
pub(crate) const fn lanes(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The lanes of `w` (all below 0x80) that hold a byte in `lo..=hi`, as their high bit.
#[inline]
pub(crate) fn in_range(w: u64, lo: u8, hi: u8) -> u64 {
    w.wrapping_add(lanes(0x80 - lo)) & !w.wrapping_add(lanes(0x7f - hi)) & HIGH
}

/// The lanes of `w` (all below 0x80) that hold `b`, as their high bit.
#[inline]
pub(crate) fn equal(w: u64, b: u8) -> u64 {
    !(w ^ lanes(b)).wrapping_add(lanes(0x7f)) & HIGH
}

/// The highest lane whose high bit is set in `mask` (not zero).
#[inline]
fn top_lane(mask: u64) -> u32 {
    (63 - mask.leading_zeros()) / 8
}

/// `x` without lane `lane`: the lanes above it move down one, the top lane becomes zero.
#[inline]
fn remove_lane(x: u64, lane: u32) -> u64 {
    let below = (1u64 << (8 * lane)) - 1;
    (x & below) | ((x >> 8) & !below)
}

/// How many lanes have their high bit set in `mask` (no other bit set): a multiply adds the
/// lanes up into the top one, cheaper than `count_ones` on the baseline x86-64 target.
#[inline]
pub(crate) fn lane_count(mask: u64) -> usize {
    ((mask >> 7).wrapping_mul(lanes(1)) >> 56) as usize
}

/// A block of words after [`squeeze`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Squeezed {
    /// The kept bytes in the low lanes: letters lower-cased, separators as spaces.
    pub(crate) bytes: u64,
    /// How many lanes are kept.
    pub(crate) kept: usize,
    /// The kept lanes that are separators (spaces), as their high bit.
    pub(crate) seps: u64,
}

/// The first `len` lanes of `w` (all below 0x80) as words: the lanes in neither `words` nor
/// `seps` (both high-bit masks) taken out, then every separator that follows another (across
/// blocks too: `after_sep` tells whether the last byte kept before this block is a separator,
/// or none is kept yet, and is updated). Letters are lower-cased and separators become
/// spaces; other lanes of `words` (digits) are kept as they are.
#[inline]
pub(crate) fn squeeze(w: u64, len: usize, words: u64, seps: u64, after_sep: &mut bool) -> Squeezed {
    let used = HIGH >> (8 * (8 - len));
    // Separator lanes as whole bytes of ones, to write a space there (the top lane's borrow
    // wraps, as it must). `| 0x20` lower-cases a letter and leaves a digit as it is.
    let sep_bytes = (seps << 1).wrapping_sub(seps >> 7);
    let lower = w | lanes(0x20);
    let mut bytes = lower ^ ((lower ^ lanes(b' ')) & sep_bytes);
    let mut seps = seps & used;
    let mut kept = len - take_out(!(words | seps) & used, &mut bytes, &mut seps);
    if kept > 0 {
        let kept_lanes = HIGH >> (8 * (8 - kept));
        let before = if *after_sep { 0x80 } else { 0 };
        let repeated = seps & ((seps << 8) | before) & kept_lanes;
        *after_sep = (seps >> (8 * kept - 1)) & 1 != 0;
        kept -= take_out(repeated, &mut bytes, &mut seps);
    }
    Squeezed { bytes, kept, seps }
}

/// Takes the lanes set in `mask` out of `bytes` and `seps`, the highest first (so the lanes
/// below one keep their places until their turn); returns how many were taken out.
#[inline]
fn take_out(mut mask: u64, bytes: &mut u64, seps: &mut u64) -> usize {
    let mut taken = 0;
    while mask != 0 {
        let lane = top_lane(mask);
        *bytes = remove_lane(*bytes, lane);
        *seps = remove_lane(*seps, lane);
        mask &= !(0x80 << (8 * lane));
        taken += 1;
    }
    taken
}
