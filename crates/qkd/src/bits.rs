//! Bit strings packed into `u64` words, least-significant bit first: bit k is `(words[k / 64] >> (k % 64)) & 1`,
//! which is the byte convention of `../shared/science/qkd.md` §4 (bit k of a byte string is
//! `(byte[k/8] >> (k%8)) & 1`) read on a little-endian word.

use serde::{Deserialize, Serialize};

/// A growable, packed bit string.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BitVec {
    words: Vec<u64>,
    len: usize,
}

impl std::fmt::Debug for BitVec {
    // Key material may live in a BitVec: show only its length.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BitVec({} bits)", self.len)
    }
}

impl BitVec {
    /// An empty bit string.
    pub fn new() -> Self {
        BitVec::default()
    }

    /// An empty bit string with room for `bits` bits.
    pub fn with_capacity(bits: usize) -> Self {
        BitVec { words: Vec::with_capacity(bits.div_ceil(64)), len: 0 }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a bit.
    pub fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    /// Bit `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        (i < self.len).then(|| (self.words[i / 64] >> (i % 64)) & 1 == 1)
    }

    /// The packed words; bits past `len()` in the last word are zero.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// A bit string from packed words (LSB-first, see the module docs); `None` unless `words` holds exactly
    /// ⌈len / 64⌉ words. Bits past `len` in the last word are cleared.
    pub fn from_words(mut words: Vec<u64>, len: usize) -> Option<BitVec> {
        if words.len() != len.div_ceil(64) {
            return None;
        }
        if !len.is_multiple_of(64)
            && let Some(last) = words.last_mut()
        {
            *last &= (1u64 << (len % 64)) - 1;
        }
        Some(BitVec { words, len })
    }

    /// Appends bits `start..start + len` of the packed words `src`; bits past the end of `src` read as zero.
    pub(crate) fn extend_from_words(&mut self, src: &[u64], start: usize, len: usize) {
        if len == 0 {
            return;
        }
        let word_at = |q: usize| src.get(q).copied().unwrap_or(0);
        let (q0, r) = (start / 64, (start % 64) as u32);
        let (off, new_len) = ((self.len % 64) as u32, self.len + len);
        let chunks = len.div_ceil(64);
        self.words.reserve(new_len.div_ceil(64) - self.words.len());
        // A word at a time with no per-word length bookkeeping (a Toeplitz seed's preparation is mostly this):
        // chunk i is bits start + 64i … of `src`, shifted out of a 128-bit pair so that r = 0 needs no branch; the
        // last chunk is masked to the remaining bits.
        for i in 0..chunks {
            let pair = u128::from(word_at(q0 + i)) | (u128::from(word_at(q0 + i + 1)) << 64);
            let mut w = (pair >> r) as u64;
            if i + 1 == chunks && !len.is_multiple_of(64) {
                w &= (1u64 << (len % 64)) - 1;
            }
            match self.words.last_mut() {
                Some(last) if off != 0 => {
                    *last |= w << off;
                    self.words.push(w >> (64 - off));
                }
                _ => self.words.push(w),
            }
        }
        // The last push may hold only zero bits past the new length.
        self.words.truncate(new_len.div_ceil(64));
        self.len = new_len;
    }

    /// Number of ones.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Number of positions where `self` and `other` differ (over the shorter length).
    pub fn hamming_distance(&self, other: &BitVec) -> usize {
        let n = self.len.min(other.len);
        let full = n / 64;
        let mut d: usize = self.words[..full]
            .iter()
            .zip(&other.words[..full])
            .map(|(a, b)| (a ^ b).count_ones() as usize)
            .sum();
        if !n.is_multiple_of(64) {
            let mask = (1u64 << (n % 64)) - 1;
            d += ((self.words[full] ^ other.words[full]) & mask).count_ones() as usize;
        }
        d
    }

    /// Flips bit `i` and returns its new value, or `None` (and no change) past the end.
    pub fn flip(&mut self, i: usize) -> Option<bool> {
        if i >= self.len {
            return None;
        }
        self.words[i / 64] ^= 1 << (i % 64);
        Some((self.words[i / 64] >> (i % 64)) & 1 == 1)
    }

    /// Parity (XOR) of the bits at `positions`; `None` if one of them is past the end.
    pub fn parity_of(&self, positions: impl IntoIterator<Item = usize>) -> Option<bool> {
        let mut p = false;
        for i in positions {
            p ^= self.get(i)?;
        }
        Some(p)
    }

    /// A copy of bits `start..end`; `None` if the range is reversed or runs past the end.
    pub fn slice(&self, start: usize, end: usize) -> Option<BitVec> {
        if start > end || end > self.len {
            return None;
        }
        let len = end - start;
        let (w0, shift) = (start / 64, start % 64);
        let mut words: Vec<u64> = (0..len.div_ceil(64))
            .map(|k| {
                let lo = self.words[w0 + k] >> shift;
                let hi = match (shift, self.words.get(w0 + k + 1)) {
                    (0, _) | (_, None) => 0,
                    (_, Some(&next)) => next << (64 - shift),
                };
                lo | hi
            })
            .collect();
        if !len.is_multiple_of(64)
            && let Some(last) = words.last_mut()
        {
            *last &= (1u64 << (len % 64)) - 1;
        }
        Some(BitVec { words, len })
    }

    /// Appends all bits of `other`.
    pub fn extend_from(&mut self, other: &BitVec) {
        let shift = self.len % 64;
        if shift == 0 {
            self.words.extend_from_slice(&other.words);
        } else {
            for &w in &other.words {
                if let Some(last) = self.words.last_mut() {
                    *last |= w << shift;
                }
                self.words.push(w >> (64 - shift));
            }
        }
        self.len += other.len;
        self.words.truncate(self.len.div_ceil(64));
    }

    /// Overwrites every word with zeros (key material about to be dropped), keeping the length.
    pub(crate) fn zeroize(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.words);
        self.words.resize(self.len.div_ceil(64), 0);
    }

    /// The bytes of the string, LSB-first within each byte, the last byte zero-padded.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).take(self.len.div_ceil(8)).collect()
    }

    /// The first `bits` bits of `bytes` (LSB-first); `None` if `bytes` holds fewer.
    pub fn from_bytes(bytes: &[u8], bits: usize) -> Option<BitVec> {
        if bytes.len() * 8 < bits {
            return None;
        }
        let mut words: Vec<u64> = bytes[..bits.div_ceil(8)]
            .chunks(8)
            .map(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect();
        if !bits.is_multiple_of(64)
            && let Some(last) = words.last_mut()
        {
            *last &= (1u64 << (bits % 64)) - 1;
        }
        Some(BitVec { words, len: bits })
    }
}

impl FromIterator<bool> for BitVec {
    fn from_iter<I: IntoIterator<Item = bool>>(iter: I) -> Self {
        let mut v = BitVec::new();
        for b in iter {
            v.push(b);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn push_get_bytes_round_trip(bits in proptest::collection::vec(any::<bool>(), 0..300)) {
            let v: BitVec = bits.iter().copied().collect();
            prop_assert_eq!(v.len(), bits.len());
            for (i, &b) in bits.iter().enumerate() {
                prop_assert_eq!(v.get(i), Some(b));
                // LSB-first byte convention.
                prop_assert_eq!((v.to_bytes()[i / 8] >> (i % 8)) & 1 == 1, b);
            }
            prop_assert_eq!(v.get(bits.len()), None);
            prop_assert_eq!(BitVec::from_bytes(&v.to_bytes(), bits.len()), Some(v.clone()));
            prop_assert_eq!(v.count_ones(), bits.iter().filter(|&&b| b).count());
        }

        #[test]
        fn hamming_distance_counts_differences(a in proptest::collection::vec(any::<bool>(), 0..200), flips in proptest::collection::vec(any::<bool>(), 0..200)) {
            let b: Vec<bool> = a.iter().zip(flips.iter().chain(std::iter::repeat(&false))).map(|(x, f)| x ^ f).collect();
            let expected = a.iter().zip(&b).filter(|(x, y)| x != y).count();
            let va: BitVec = a.iter().copied().collect();
            let vb: BitVec = b.iter().copied().collect();
            prop_assert_eq!(va.hamming_distance(&vb), expected);
        }
        #[test]
        fn slice_and_extend_match_bitwise(bits in proptest::collection::vec(any::<bool>(), 0..300), a in 0usize..300, b in 0usize..300, c in proptest::collection::vec(any::<bool>(), 0..200)) {
            let v: BitVec = bits.iter().copied().collect();
            let (lo, hi) = (a.min(b), a.max(b));
            if hi <= bits.len() {
                let s = v.slice(lo, hi).unwrap();
                let expected: BitVec = bits[lo..hi].iter().copied().collect();
                prop_assert_eq!(s, expected);
            } else {
                prop_assert!(v.slice(lo, hi).is_none());
            }
            let mut joined = v.clone();
            let w: BitVec = c.iter().copied().collect();
            joined.extend_from(&w);
            let expected: BitVec = bits.iter().chain(&c).copied().collect();
            prop_assert_eq!(joined, expected);
        }

        #[test]
        fn flip_and_parity(bits in proptest::collection::vec(any::<bool>(), 1..200), i in 0usize..200) {
            let mut v: BitVec = bits.iter().copied().collect();
            let i = i % bits.len();
            prop_assert_eq!(v.flip(i), Some(!bits[i]));
            prop_assert_eq!(v.get(i), Some(!bits[i]));
            prop_assert_eq!(v.flip(bits.len()), None);
            let parity = bits.iter().enumerate().fold(false, |p, (k, &b)| p ^ (b ^ (k == i)));
            prop_assert_eq!(v.parity_of(0..bits.len()), Some(parity));
            prop_assert_eq!(v.parity_of([bits.len()]), None);
        }
    }

    proptest! {
        #[test]
        fn extend_from_words_copies_any_range(
            head in proptest::collection::vec(any::<bool>(), 0..130),
            src in proptest::collection::vec(any::<bool>(), 0..300),
            start in 0usize..320,
            len in 0usize..200,
        ) {
            let mut v: BitVec = head.iter().copied().collect();
            let s: BitVec = src.iter().copied().collect();
            v.extend_from_words(s.words(), start, len);
            let expected: Vec<bool> = head
                .iter()
                .copied()
                .chain((start..start + len).map(|k| src.get(k).copied().unwrap_or(false)))
                .collect();
            prop_assert_eq!(v.len(), expected.len());
            prop_assert_eq!(&v, &expected.iter().copied().collect::<BitVec>());
            prop_assert_eq!(BitVec::from_words(v.words().to_vec(), v.len()), Some(v.clone()));
        }
    }

    #[test]
    fn from_words_checks_the_length_and_masks_the_tail() {
        assert!(BitVec::from_words(vec![0, 0], 64).is_none());
        assert!(BitVec::from_words(vec![], 1).is_none());
        let v = BitVec::from_words(vec![u64::MAX], 5).unwrap();
        assert_eq!((v.len(), v.count_ones(), v.words()), (5, 5, &[31u64][..]));
    }

    #[test]
    fn from_bytes_rejects_short_input_and_masks_the_tail() {
        assert!(BitVec::from_bytes(&[0xff], 9).is_none());
        let v = BitVec::from_bytes(&[0xff, 0xff], 9).unwrap();
        assert_eq!(v.count_ones(), 9);
        assert_eq!(format!("{v:?}"), "BitVec(9 bits)");
    }
}
