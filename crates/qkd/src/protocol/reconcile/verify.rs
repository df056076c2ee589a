//! The verification hash that closes a frame: POLYVAL over GF(2¹²⁸) (RFC 8452 §3).
//!
//! For two different frames of the same length L the tags collide for at most ⌈L/128⌉ + 1 of the 2¹²⁸ keys
//! (the difference is a nonzero polynomial in H of that degree without constant term — the last block is the
//! length), so with a uniformly random key, sent only after Bob's key is fixed, an uncorrected frame passes
//! with probability ε ≤ (⌈L/128⌉ + 1)/2¹²⁸ (ε-almost-XOR-universal; Wegman–Carter 1981). The 128 tag bits
//! count as leakage.

use polyval::Polyval;
use polyval::universal_hash::UniversalHash;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{BitVec, Error, Result};

/// Bits of the tag (all counted as leakage).
pub(crate) const TAG_BITS: u64 = 128;

/// Collision probability bound ε = (⌈L/128⌉ + 1)/2¹²⁸ of the tag over an `len`-bit frame.
pub fn collision_bound(len: usize) -> f64 {
    (len.div_ceil(128) as f64 + 1.0) * 2f64.powi(-128)
}

/// Checks the bound against the correctness parameter ε_cor.
pub(crate) fn check_bound(len: usize, eps_cor: f64) -> Result<()> {
    if !(eps_cor.is_finite() && eps_cor > 0.0 && eps_cor < 1.0) {
        return Err(Error::InvalidParameter { name: "eps_cor", value: eps_cor, expected: "in (0, 1)" });
    }
    if collision_bound(len) > eps_cor {
        return Err(Error::Unsupported {
            detail: format!("a {len}-bit frame gives hash collision bound above ε_cor = {eps_cor:e}"),
        });
    }
    Ok(())
}

/// POLYVAL(`hash_key`, key bytes LSB-first zero-padded to 16 bytes ‖ 128-bit length block).
pub(crate) fn tag(hash_key: &[u8; 16], key: &BitVec) -> [u8; 16] {
    let mut h = Polyval::new(&(*hash_key).into());
    let bytes = Zeroizing::new(key.to_bytes());
    h.update_padded(&bytes);
    let mut len_block = [0u8; 16];
    len_block[..8].copy_from_slice(&(key.len() as u64).to_le_bytes());
    h.update_padded(&len_block);
    h.finalize().into()
}

/// Constant-time comparison of `tag` with the tag of `key`.
pub(crate) fn matches(hash_key: &[u8; 16], key: &BitVec, expected: &[u8; 16]) -> bool {
    tag(hash_key, key).ct_eq(expected).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_detect_single_flips_and_bound_is_tiny() {
        let key: BitVec = (0..10_000).map(|i| i % 3 == 0).collect();
        let hk = [7u8; 16];
        let t = tag(&hk, &key);
        assert!(matches(&hk, &key, &t));
        for i in [0, 1, 63, 64, 9_999] {
            let mut k = key.clone();
            k.flip(i);
            assert!(!matches(&hk, &k, &t));
        }
        assert!(collision_bound(10_000) < 1e-35);
        assert!(check_bound(10_000, 1e-15).is_ok());
        assert!(check_bound(10_000, 0.0).is_err());
        assert!(check_bound(10_000, 1e-40).is_err());
    }
}
