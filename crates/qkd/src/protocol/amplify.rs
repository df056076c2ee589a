//! Privacy amplification by Toeplitz hashing (Krawczyk, CRYPTO'94 LNCS 839, 129; Mansour, Nisan, Tiwari,
//! STOC'90), in O(n^1.58) word operations as a carry-less middle product, or O(N log N) as an NTT.
//!
//! **Toeplitz** ([`ToeplitzHash`]): the m × n matrix comes from L = n + m − 1 seed bits,
//! **T_ij = s[(i − j) mod L]**, output y_i = ⊕_j T_ij ∧ x_j (`../shared/science/qkd.md` §4; bits LSB-first, see
//! [`BitVec`]). The family is universal₂: for x ≠ 0, T·x is uniform over {0,1}^m.
//!
//! **Modified Toeplitz** ([`ModifiedToeplitzHash`]): y = (I_m | T′)·x with T′ the m × (n − m) Toeplitz matrix
//! T′_ij = s[(i − j) mod (n − 1)], so only n − 1 seed bits (Hayashi, IEEE TIT 57, 3989 (2011); Hayashi and
//! Tsurumaru, IEEE TIT 62, 2213 (2016), arXiv:1311.5322, where it is the building block of their
//! shorter-seed extractors). It is universal₂ too: for x = (x₁, x₂) ≠ 0, if x₂ ≠ 0 then T′x₂ is uniform and so is
//! y; if x₂ = 0 then y = x₁ ≠ 0. Either way Pr[y = 0] ≤ 2^−m.
//!
//! The leftover hash lemma then gives m = H_min^ε(X|E) − 2 log₂(1/ε_PA) (Impagliazzo, Levin, Luby 1989;
//! Tomamichel et al., IEEE TIT 57, 5524 (2011)).
//!
//! # Computation
//! Both are a rows × cols Toeplitz product T_ij = t\[i − j + cols − 1\] with t\[d\] = s\[(d + rows) mod L\]
//! (L = rows + cols − 1), i.e. entries cols − 1 … cols + rows − 2 of the polynomial product t·x over GF(2).
//! Two backends ([`Backend`]):
//! - [`Backend::Clmul`]: bit-packed, 64 bits per word; the product of the word-level Toeplitz matrix with the
//!   packed input by transposed Karatsuba (Hanrot, Quercia, Zimmermann, AAECC 14, 415 (2004)) down to single
//!   words, whose 64 × 64-bit carry-less products are `pclmulqdq` instructions (the last levels, 8 × 8 blocks, on
//!   vector registers with the operands in lane pairs). Compiled only when the build
//!   enables the `pclmulqdq` target feature: the workspace's `.cargo/config.toml` does so on x86-64 (every x86-64
//!   CPU since 2010 has it); a crate depending on this one gets it with `RUSTFLAGS="-C target-feature=+pclmulqdq"`
//!   or `-C target-cpu=native`, and the portable backend otherwise.
//! - [`Backend::Ntt`]: portable; one bit per coefficient, a negacyclic NTT middle product modulo the prime
//!   45·2²⁴ + 1 (every convolution entry is an integer ≤ n, so exact; its parity is the GF(2) result).
//!
//! Preparing a seed costs next to nothing for `Clmul` (a bit rotation) and one transform plus an NTT plan for
//! `Ntt`. [`toeplitz_naive`] and [`modified_toeplitz_naive`] are the O(n·m) oracles. Both backends run in time
//! independent of the key and seed values.

#[cfg(any(test, all(target_arch = "x86_64", target_feature = "pclmulqdq")))]
mod clmul;
mod ntt;

use crate::bits::BitVec;
use crate::error::{Error, Result};

/// Largest n + m − 1 supported (the NTT backend's negacyclic size 2²³ needs 2²⁴ | p − 1; kept for both backends so
/// that a build's choice of backend never changes which inputs are accepted).
pub const MAX_SEED_BITS: usize = 1 << 23;

/// How a Toeplitz product is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// Bit-packed carry-less transposed Karatsuba on `pclmulqdq` (x86-64 builds with that target feature).
    Clmul,
    /// Number-theoretic transform, one bit per coefficient (portable).
    Ntt,
}

impl Backend {
    /// The fastest backend this build has: [`Backend::Clmul`] if compiled in, else [`Backend::Ntt`].
    pub fn fastest() -> Backend {
        if Backend::Clmul.is_available() { Backend::Clmul } else { Backend::Ntt }
    }

    /// Whether this build can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            Backend::Clmul => cfg!(all(target_arch = "x86_64", target_feature = "pclmulqdq")),
            Backend::Ntt => true,
        }
    }

    /// Short name: `"clmul"` or `"ntt"`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Clmul => "clmul",
            Backend::Ntt => "ntt",
        }
    }
}

/// A Toeplitz hash with its seed prepared, ready to hash any number of n-bit inputs.
pub struct ToeplitzHash {
    n: usize,
    m: usize,
    product: Product,
}

impl std::fmt::Debug for ToeplitzHash {
    // The prepared seed is public in QKD, but there is no reason to print megabits of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ToeplitzHash({} → {} bits, {})", self.n, self.m, self.product.backend().name())
    }
}

impl ToeplitzHash {
    /// Prepares the m × n Toeplitz matrix given by the first n + m − 1 bits of `seed`, with the fastest backend.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for n = 0, m = 0, m > n, a seed shorter than n + m − 1 bits, or
    /// n + m − 1 > [`MAX_SEED_BITS`].
    pub fn new(seed: &BitVec, n: usize, m: usize) -> Result<Self> {
        ToeplitzHash::with_backend(seed, n, m, Backend::fastest())
    }

    /// As [`ToeplitzHash::new`] with a chosen backend.
    ///
    /// # Errors
    /// As [`ToeplitzHash::new`]; [`Error::Unsupported`] if this build lacks the backend.
    pub fn with_backend(seed: &BitVec, n: usize, m: usize, backend: Backend) -> Result<Self> {
        let l = check_dimensions(n, m, (n + m).saturating_sub(1), seed.len())?;
        Ok(ToeplitzHash { n, m, product: Product::new(&rotated(seed, l, m), m, n, backend)? })
    }

    /// Input length n.
    pub fn input_bits(&self) -> usize {
        self.n
    }

    /// Output length m.
    pub fn output_bits(&self) -> usize {
        self.m
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.product.backend()
    }

    /// y = T·x over GF(2).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `x` has exactly n bits.
    pub fn hash(&self, x: &BitVec) -> Result<BitVec> {
        check_input(x, self.n)?;
        Ok(self.product.apply(x.words()))
    }
}

/// A modified Toeplitz hash y = (I_m | T′)·x (n − 1 seed bits) with its seed prepared.
pub struct ModifiedToeplitzHash {
    n: usize,
    m: usize,
    /// T′ (m × (n − m)); `None` when m = n (the identity).
    product: Option<Product>,
}

impl std::fmt::Debug for ModifiedToeplitzHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModifiedToeplitzHash({} → {} bits)", self.n, self.m)
    }
}

impl ModifiedToeplitzHash {
    /// Prepares (I_m | T′) with T′_ij = s\[(i − j) mod (n − 1)\] from the first n − 1 bits of `seed`, with the
    /// fastest backend.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for n = 0, m = 0, m > n, a seed shorter than n − 1 bits, or
    /// n − 1 > [`MAX_SEED_BITS`].
    pub fn new(seed: &BitVec, n: usize, m: usize) -> Result<Self> {
        ModifiedToeplitzHash::with_backend(seed, n, m, Backend::fastest())
    }

    /// As [`ModifiedToeplitzHash::new`] with a chosen backend.
    ///
    /// # Errors
    /// As [`ModifiedToeplitzHash::new`]; [`Error::Unsupported`] if this build lacks the backend.
    pub fn with_backend(seed: &BitVec, n: usize, m: usize, backend: Backend) -> Result<Self> {
        let l = check_dimensions(n, m, n.saturating_sub(1), seed.len())?;
        if !backend.is_available() {
            return Err(unavailable(backend));
        }
        let product = (m < n).then(|| Product::new(&rotated(seed, l, m), m, n - m, backend)).transpose()?;
        Ok(ModifiedToeplitzHash { n, m, product })
    }

    /// Input length n.
    pub fn input_bits(&self) -> usize {
        self.n
    }

    /// Output length m.
    pub fn output_bits(&self) -> usize {
        self.m
    }

    /// y = x\[0..m\] ⊕ T′·x\[m..n\] over GF(2).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless `x` has exactly n bits.
    pub fn hash(&self, x: &BitVec) -> Result<BitVec> {
        check_input(x, self.n)?;
        let mut head = BitVec::with_capacity(self.m);
        head.extend_from_words(x.words(), 0, self.m);
        let Some(product) = &self.product else { return Ok(head) };
        let mut tail = BitVec::with_capacity(self.n - self.m);
        tail.extend_from_words(x.words(), self.m, self.n - self.m);
        let y = product.apply(tail.words());
        let words = head.words().iter().zip(y.words()).map(|(a, b)| a ^ b).collect();
        // Cannot fail: both hold ⌈m / 64⌉ words.
        Ok(BitVec::from_words(words, self.m).unwrap_or_default())
    }
}

/// The O(n·m) definition, y_i = ⊕_j s[(i − j) mod (n + m − 1)] ∧ x_j: the oracle for [`ToeplitzHash`].
///
/// # Errors
/// As [`ToeplitzHash::new`] and [`ToeplitzHash::hash`].
pub fn toeplitz_naive(seed: &BitVec, x: &BitVec, m: usize) -> Result<BitVec> {
    let n = x.len();
    let l = check_dimensions(n, m, (n + m).saturating_sub(1), seed.len())?;
    Ok((0..m).map(|i| dot(seed, x, i, 0, n, l)).collect())
}

/// The O(n·m) definition, y_i = x_i ⊕ ⊕_{j < n − m} s[(i − j) mod (n − 1)] ∧ x_{m + j}: the oracle for
/// [`ModifiedToeplitzHash`].
///
/// # Errors
/// As [`ModifiedToeplitzHash::new`] and [`ModifiedToeplitzHash::hash`].
pub fn modified_toeplitz_naive(seed: &BitVec, x: &BitVec, m: usize) -> Result<BitVec> {
    let n = x.len();
    let l = check_dimensions(n, m, n.saturating_sub(1), seed.len())?;
    Ok((0..m).map(|i| x.get(i).unwrap_or(false) ^ dot(seed, x, i, m, n - m, l)).collect())
}

/// ⊕_{j < cols} s[(i − j) mod l] ∧ x_{offset + j}.
fn dot(seed: &BitVec, x: &BitVec, i: usize, offset: usize, cols: usize, l: usize) -> bool {
    (0..cols).fold(false, |acc, j| {
        let s = seed.get((i + l - j % l) % l).unwrap_or(false);
        acc ^ (s & x.get(offset + j).unwrap_or(false))
    })
}

/// t\[d\] = s\[(d + rows) mod l\] for d < l: the diagonals of T_ij = s\[(i − j) mod l\] in the order
/// T_ij = t\[i − j + cols − 1\] (l = rows + cols − 1, so −(cols − 1) ≡ rows).
fn rotated(seed: &BitVec, l: usize, rows: usize) -> BitVec {
    let shift = rows % l.max(1);
    let mut t = BitVec::with_capacity(l);
    t.extend_from_words(seed.words(), shift, l - shift);
    t.extend_from_words(seed.words(), 0, shift);
    t
}

/// Checks n, m and the seed length against the `needed` seed bits; returns `needed`.
fn check_dimensions(n: usize, m: usize, needed: usize, seed_len: usize) -> Result<usize> {
    let invalid =
        |name, value: usize, expected| Err(Error::InvalidParameter { name, value: value as f64, expected });
    if n == 0 {
        return invalid("input bits", n, "at least 1");
    }
    if m == 0 || m > n {
        return invalid("output bits", m, "in [1, input bits]");
    }
    if needed > MAX_SEED_BITS {
        return invalid("seed bits needed", needed, "at most 2^23");
    }
    if seed_len < needed {
        return invalid("seed bits", seed_len, "at least the seed length the hash needs");
    }
    Ok(needed)
}

fn check_input(x: &BitVec, n: usize) -> Result<()> {
    if x.len() == n {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "input bits",
            value: x.len() as f64,
            expected: "equal to the hash's input length n",
        })
    }
}

fn unavailable(backend: Backend) -> Error {
    Error::Unsupported {
        detail: format!(
            "Toeplitz backend {} is not compiled in (build with -C target-feature=+pclmulqdq on x86-64)",
            backend.name()
        ),
    }
}

/// A prepared rows × cols Toeplitz matrix T_ij = t\[i − j + cols − 1\] (rows, cols ≥ 1).
enum Product {
    #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
    Clmul(clmul::PackedToeplitz),
    Ntt(ntt::NttToeplitz),
}

impl Product {
    fn new(t: &BitVec, rows: usize, cols: usize, backend: Backend) -> Result<Self> {
        match backend {
            #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
            Backend::Clmul => Ok(Product::Clmul(clmul::PackedToeplitz::new(t, rows, cols))),
            #[cfg(not(all(target_arch = "x86_64", target_feature = "pclmulqdq")))]
            Backend::Clmul => Err(unavailable(backend)),
            Backend::Ntt => Ok(Product::Ntt(ntt::NttToeplitz::new(t, rows, cols)?)),
        }
    }

    fn backend(&self) -> Backend {
        match self {
            #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
            Product::Clmul(_) => Backend::Clmul,
            Product::Ntt(_) => Backend::Ntt,
        }
    }

    /// T·x for x given as `cols` packed bits (tail bits zero).
    fn apply(&self, x: &[u64]) -> BitVec {
        match self {
            #[cfg(all(target_arch = "x86_64", target_feature = "pclmulqdq"))]
            Product::Clmul(p) => p.apply_with::<clmul::Pclmul>(x),
            Product::Ntt(p) => p.apply(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn random_bits(n: usize, rng: &mut ChaCha8Rng) -> BitVec {
        let words = (0..n.div_ceil(64)).map(|_| rng.next_u64()).collect();
        BitVec::from_words(words, n).unwrap()
    }

    fn backends() -> impl Iterator<Item = Backend> {
        [Backend::Clmul, Backend::Ntt].into_iter().filter(|b| b.is_available())
    }

    /// The word-level packing with the portable kernel, so that it is tested in every build.
    fn packed_portable(s: &BitVec, x: &BitVec, rows: usize, offset: usize, l: usize) -> BitVec {
        let cols = x.len() - offset;
        let mut xs = BitVec::new();
        xs.extend_from_words(x.words(), offset, cols);
        clmul::PackedToeplitz::new(&rotated(s, l, rows), rows, cols).apply_with::<clmul::Portable>(xs.words())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn toeplitz_equals_the_naive_definition(n in 1usize..1_500, m_frac in 0.0f64..1.0, seed in any::<u64>()) {
            let m = ((n as f64 * m_frac) as usize).clamp(1, n);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = random_bits(n + m - 1 + rng.random_range(0..3), &mut rng);
            let x = random_bits(n, &mut rng);
            let naive = toeplitz_naive(&s, &x, m).unwrap();
            for backend in backends() {
                let fast = ToeplitzHash::with_backend(&s, n, m, backend).unwrap().hash(&x).unwrap();
                prop_assert_eq!(&fast, &naive, "{:?}", backend);
            }
            prop_assert_eq!(&packed_portable(&s, &x, m, 0, n + m - 1), &naive);
        }

        #[test]
        fn modified_toeplitz_equals_the_naive_definition(
            n in 1usize..1_500,
            m_frac in 0.0f64..1.0,
            seed in any::<u64>(),
        ) {
            let m = ((n as f64 * m_frac) as usize).clamp(1, n);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let s = random_bits(n - 1, &mut rng);
            let x = random_bits(n, &mut rng);
            let naive = modified_toeplitz_naive(&s, &x, m).unwrap();
            for backend in backends() {
                let fast = ModifiedToeplitzHash::with_backend(&s, n, m, backend).unwrap().hash(&x).unwrap();
                prop_assert_eq!(&fast, &naive, "{:?}", backend);
            }
            if m < n {
                let t_x: BitVec = (0..m).map(|i| naive.get(i).unwrap() ^ x.get(i).unwrap()).collect();
                prop_assert_eq!(&packed_portable(&s, &x, m, m, n - 1), &t_x);
            }
        }
    }

    #[test]
    fn matches_hand_computed_matrices() {
        // n = 3, m = 2, L = 4, s = 1,0,1,1: T = [[s0 s3 s2], [s1 s0 s3]] = [[1 1 1], [0 1 1]].
        let s: BitVec = [true, false, true, true].into_iter().collect();
        let x: BitVec = [true, true, false].into_iter().collect();
        let expected: BitVec = [false, true].into_iter().collect();
        for backend in backends() {
            assert_eq!(ToeplitzHash::with_backend(&s, 3, 2, backend).unwrap().hash(&x).unwrap(), expected);
        }
        assert_eq!(toeplitz_naive(&s, &x, 2).unwrap(), expected);
        // Modified, n = 4, m = 2, s = 1,1,0: T′ = [[s0 s2], [s1 s0]] = [[1 0], [1 1]]; x = 1,0 | 0,1:
        // y = (1, 0) ⊕ T′·(0, 1) = (1, 0) ⊕ (0, 1).
        let s: BitVec = [true, true, false].into_iter().collect();
        let x: BitVec = [true, false, false, true].into_iter().collect();
        let expected: BitVec = [true, true].into_iter().collect();
        for backend in backends() {
            let hash = ModifiedToeplitzHash::with_backend(&s, 4, 2, backend).unwrap();
            assert_eq!(hash.hash(&x).unwrap(), expected);
        }
        assert_eq!(modified_toeplitz_naive(&s, &x, 2).unwrap(), expected);
    }

    /// The size, n = 10⁶ → m = 5×10⁵: the backends agree on every bit, and both with the definition on
    /// sampled rows (the first, last, word and recursion-tile boundaries).
    #[test]
    fn large_sizes_agree_on_sampled_rows() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for (n, m) in [(1_000_000, 500_000), (100_003, 60_001)] {
            let s = random_bits(n + m - 1, &mut rng);
            let x = random_bits(n, &mut rng);
            let outputs: Vec<BitVec> = backends()
                .map(|b| ToeplitzHash::with_backend(&s, n, m, b).unwrap().hash(&x).unwrap())
                .collect();
            assert!(outputs.windows(2).all(|w| w[0] == w[1]), "backends disagree at n = {n}");
            let y = &outputs[0];
            for i in [0, 1, 63, 64, 4_097, 64 * 512 - 1, m / 2, m - 2, m - 1] {
                let row = (0..n).fold(false, |acc, j| {
                    acc ^ (s.get((i + n + m - 1 - j) % (n + m - 1)).unwrap() & x.get(j).unwrap())
                });
                assert_eq!(y.get(i), Some(row), "n = {n}, row {i}");
            }
            let modified = ModifiedToeplitzHash::new(&s, n, m).unwrap().hash(&x).unwrap();
            for i in [0, 64, m / 3, m - 1] {
                let row = (0..n - m).fold(x.get(i).unwrap(), |acc, j| {
                    acc ^ (s.get((i + n - 1 - j) % (n - 1)).unwrap() & x.get(m + j).unwrap())
                });
                assert_eq!(modified.get(i), Some(row), "modified, n = {n}, row {i}");
            }
        }
    }

    #[test]
    fn bad_dimensions_are_rejected() {
        let s: BitVec = vec![true; 100].into_iter().collect();
        assert!(ToeplitzHash::new(&s, 0, 1).is_err());
        assert!(ToeplitzHash::new(&s, 10, 0).is_err());
        assert!(ToeplitzHash::new(&s, 10, 11).is_err(), "M > N");
        assert!(ToeplitzHash::new(&s, 60, 50).is_err(), "seed too short");
        assert!(ToeplitzHash::new(&s, 10, 5).unwrap().hash(&s).is_err(), "input of the wrong length");
        assert!(toeplitz_naive(&s, &BitVec::new(), 1).is_err(), "empty key");
        assert!(ModifiedToeplitzHash::new(&s, 102, 50).is_err(), "seed too short");
        assert!(ModifiedToeplitzHash::new(&s, 101, 50).is_ok(), "n − 1 seed bits suffice");
        assert!(ModifiedToeplitzHash::new(&s, 10, 11).is_err(), "M > N");
        assert!(ModifiedToeplitzHash::new(&s, 10, 5).unwrap().hash(&s).is_err(), "input of the wrong length");
        assert!(modified_toeplitz_naive(&s, &BitVec::new(), 1).is_err(), "empty key");
        let huge = BitVec::from_words(vec![0; (MAX_SEED_BITS + 64) / 64], MAX_SEED_BITS + 64).unwrap();
        assert!(ToeplitzHash::new(&huge, MAX_SEED_BITS / 2 + 1, MAX_SEED_BITS / 2 + 1).is_err(), "too long");
    }

    #[test]
    fn the_fastest_backend_is_available() {
        assert!(Backend::fastest().is_available());
        assert!(Backend::Ntt.is_available());
        assert_eq!(
            Backend::Clmul.is_available(),
            cfg!(all(target_arch = "x86_64", target_feature = "pclmulqdq")),
        );
        let s: BitVec = vec![true; 100].into_iter().collect();
        let hash = ToeplitzHash::new(&s, 10, 5).unwrap();
        assert_eq!(hash.backend(), Backend::fastest());
        assert_eq!(format!("{hash:?}"), format!("ToeplitzHash(10 → 5 bits, {})", Backend::fastest().name()));
    }
}
