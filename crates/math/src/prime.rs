//! Deterministic generation of NTT-friendly primes `p ≡ 1 (mod 2N)`.
//!
//! Such a prime has a primitive `2N`-th root of unity, which the negacyclic NTT of `Z_p[X]/(X^N + 1)` needs
//! (Longa–Naehrig, CANS 2016, §2). The search walks down from `2^bits` in steps of `2N`, so the output is the
//! same on every platform and run. Primality is the Miller–Rabin test with the first twelve prime bases, which is
//! deterministic for all 64-bit integers (Sorenson–Webster, Math. Comp. 2017).

use crate::{Error, Modulus};

/// Miller–Rabin with the bases 2..37, exact for every `n < 2^64`.
pub fn is_prime(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for b in BASES {
        if n.is_multiple_of(b) {
            return n == b;
        }
    }
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    let mulmod = |a: u64, b: u64| ((u128::from(a) * u128::from(b)) % u128::from(n)) as u64;
    let powmod = |mut a: u64, mut e: u64| {
        let mut r = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                r = mulmod(r, a);
            }
            a = mulmod(a, a);
            e >>= 1;
        }
        r
    };
    'outer: for b in BASES {
        let mut x = powmod(b, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mulmod(x, x);
            if x == n - 1 {
                continue 'outer;
            }
        }
        return false;
    }
    true
}

/// Primes `p ≡ 1 (mod 2·degree)` with exactly `bits` bits, largest first, skipping those in `exclude`.
///
/// # Errors
/// [`Error::InvalidDegree`] for a degree that is not a power of two; [`Error::NotEnoughPrimes`] when fewer
/// than `count` such primes exist (or `bits` is outside `[10, 62]`).
pub fn ntt_primes(bits: u32, degree: usize, count: usize, exclude: &[u64]) -> Result<Vec<Modulus>, Error> {
    if !degree.is_power_of_two() || degree < 2 {
        return Err(Error::InvalidDegree { degree });
    }
    let two_n = 2 * degree as u64;
    let not_enough = Error::NotEnoughPrimes { bits, two_n: 2 * degree };
    if !(10..=62).contains(&bits) || two_n >= 1 << (bits - 1) {
        return Err(not_enough);
    }
    let lower = 1u64 << (bits - 1);
    // Largest candidate below 2^bits that is ≡ 1 mod 2N.
    let mut candidate = ((1u64 << bits) - 1) / two_n * two_n + 1;
    if candidate >= 1 << bits {
        candidate -= two_n;
    }
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        if candidate <= lower {
            return Err(not_enough);
        }
        if is_prime(candidate) && !exclude.contains(&candidate) {
            out.push(Modulus::new(candidate)?);
        }
        candidate -= two_n;
    }
    Ok(out)
}

/// One prime per entry of `bit_sizes`, all distinct and `≡ 1 (mod 2·degree)`, in the given order.
///
/// Equal sizes take successive primes below `2^bits`, so `[49, 40, 40, 40]` yields the largest 49-bit prime
/// and the three largest 40-bit ones.
///
/// # Errors
/// As [`ntt_primes`].
pub fn ntt_prime_chain(bit_sizes: &[u32], degree: usize) -> Result<Vec<Modulus>, Error> {
    let mut out: Vec<Modulus> = Vec::with_capacity(bit_sizes.len());
    for &bits in bit_sizes {
        let taken: Vec<u64> = out.iter().map(Modulus::value).collect();
        let p = ntt_primes(bits, degree, 1, &taken)?;
        out.extend(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miller_rabin_matches_trial_division() {
        let trial = |n: u64| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d));
        for n in 0..5000 {
            assert_eq!(is_prime(n), trial(n), "{n}");
        }
        assert!(is_prime((1 << 61) - 1));
        assert!(!is_prime(3_215_031_751)); // strong pseudoprime to bases 2, 3, 5, 7
        assert!(is_prime(18_446_744_073_709_551_557)); // largest 64-bit prime
    }

    #[test]
    fn chain_is_deterministic_distinct_and_ntt_friendly() {
        let chain = ntt_prime_chain(&[49, 40, 40, 40, 49], 8192).unwrap();
        let values: Vec<u64> = chain.iter().map(Modulus::value).collect();
        for (p, bits) in values.iter().zip([49, 40, 40, 40, 49]) {
            assert_eq!(p % 16384, 1);
            assert_eq!(64 - p.leading_zeros(), bits);
        }
        assert!(values[1] > values[2] && values[2] > values[3] && values[0] > values[4]);
        // Pinned: the largest 40-bit prime ≡ 1 mod 2^14.
        assert_eq!(values[1], 1_099_511_480_321);
    }

    #[test]
    fn refuses_impossible_requests() {
        assert!(ntt_primes(10, 1024, 1, &[]).is_err());
        assert!(ntt_primes(40, 1000, 1, &[]).is_err());
        assert!(ntt_primes(63, 16, 1, &[]).is_err());
    }
}
