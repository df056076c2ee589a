//! Polynomial evaluation at optimal depth with exact scale alignment.
//!
//! `p(y) = Σ_k c_k·y^k` of degree `d` costs `⌈log2(d + 1)⌉` levels: each term is built as
//! `c_k·y^k = y^h · (c_k·y^{k−h})` with `h` the largest power of two below `k`, recursively, so the constant is
//! absorbed by the lowest factor and never costs its own level (the depth bound of Paterson–Stockmeyer /
//! baby-step giant-step evaluation, Bossuat et al., EUROCRYPT 2021, without the BSGS savings in the number of
//! products, which matter only for degrees far beyond the sigmoid fits used here). Every term is steered to the
//! same target level and scale by choosing, backwards, the scale of the constant multiplication
//! (`Evaluator::mul_const_rescale_to`), so the terms add without any scale mismatch.

use std::collections::BTreeMap;

use crate::{Ciphertext, Error, Evaluator, RelinearizationKey};

/// Largest supported degree (keeps the term-by-term product count small).
pub const MAX_DEGREE: usize = 31;

impl Evaluator {
    /// `Σ_k coeffs[k]·y^k` at level `y.level − ⌈log2(d + 1)⌉` and the parameters' default scale.
    ///
    /// # Errors
    /// [`Error::InvalidParameters`] for an empty, non-finite or over-long coefficient list (degree above
    /// [`MAX_DEGREE`]), [`Error::InvalidLevel`] when `y` has fewer levels than the depth, and errors of the
    /// underlying operations.
    pub fn evaluate_polynomial(
        &self,
        y: &Ciphertext,
        coeffs: &[f64],
        rlk: &RelinearizationKey,
    ) -> Result<Ciphertext, Error> {
        if coeffs.is_empty() || coeffs.len() > MAX_DEGREE + 1 || !coeffs.iter().all(|c| c.is_finite()) {
            return Err(Error::InvalidParameters { reason: "polynomial needs 1 to 32 finite coefficients" });
        }
        let degree = coeffs.iter().rposition(|&c| c != 0.0).unwrap_or(0);
        let depth = (usize::BITS - degree.leading_zeros()) as usize; // ⌈log2(d + 1)⌉
        if y.level() < depth {
            return Err(Error::InvalidLevel { requested: depth, current: y.level() });
        }
        let target_level = y.level() - depth;
        let target_scale = self.params().scale();
        let mut powers = BTreeMap::from([(1usize, y.clone())]);
        let mut acc: Option<Ciphertext> = None;
        for (k, &c) in coeffs.iter().enumerate().skip(1) {
            if c == 0.0 {
                continue;
            }
            let term = self.term(k, c, target_level, target_scale, &mut powers, rlk)?;
            match &mut acc {
                Some(a) => self.add_assign(a, &term)?,
                None => acc = Some(term),
            }
        }
        let mut out = match acc {
            Some(a) => a,
            None => {
                // Constant polynomial: encrypt-free path, a zero multiple of y at the target.
                let mut z = self.mul_const(y, 0.0, 1.0)?;
                self.mod_drop_to(&mut z, target_level)?;
                z.set_scale(target_scale);
                z
            }
        };
        if coeffs[0] != 0.0 {
            out = self.add_const(&out, coeffs[0])?;
        }
        Ok(out)
    }

    /// `c_0 + c_1·y + c_2·y² + c_3·y³` in two levels (the LR sigmoid approximation).
    ///
    /// # Errors
    /// As [`Evaluator::evaluate_polynomial`].
    pub fn cubic(&self, y: &Ciphertext, c: [f64; 4], rlk: &RelinearizationKey) -> Result<Ciphertext, Error> {
        self.evaluate_polynomial(y, &c, rlk)
    }

    /// `y^{2^j}` by repeated squaring, cached.
    fn power_of_two(
        &self,
        e: usize,
        powers: &mut BTreeMap<usize, Ciphertext>,
        rlk: &RelinearizationKey,
    ) -> Result<Ciphertext, Error> {
        if let Some(p) = powers.get(&e) {
            return Ok(p.clone());
        }
        let half = self.power_of_two(e / 2, powers, rlk)?;
        let p = self.multiply_rescale(&half, &half, rlk)?;
        powers.insert(e, p.clone());
        Ok(p)
    }

    /// `c·y^k` exactly at `level` with scale `scale`.
    fn term(
        &self,
        k: usize,
        c: f64,
        level: usize,
        scale: f64,
        powers: &mut BTreeMap<usize, Ciphertext>,
        rlk: &RelinearizationKey,
    ) -> Result<Ciphertext, Error> {
        if k == 1 {
            let mut y = powers.get(&1).cloned().ok_or(Error::InvalidParameters { reason: "missing y" })?;
            self.mod_drop_to(&mut y, level + 1)?;
            return self.mul_const_rescale_to(&y, c, scale);
        }
        let h = if k.is_power_of_two() { k / 2 } else { 1 << (usize::BITS - 1 - k.leading_zeros()) };
        let mut big = self.power_of_two(h, powers, rlk)?;
        self.mod_drop_to(&mut big, level + 1)?;
        // After the product and its rescale by q_{level+1}: scale = S_big·S_inner / q_{level+1} = `scale`.
        let q = self.params().chain()[level + 1].value() as f64;
        let inner = self.term(k - h, c, level + 1, scale * q / big.scale(), powers, rlk)?;
        let mut out = self.multiply_rescale(&big, &inner, rlk)?;
        out.set_scale(scale);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Encoder, Evaluator, Parameters, Preset, SecretKey};
    use rand::{RngExt, SeedableRng};

    #[test]
    fn polynomials_up_to_degree_seven_in_three_levels() {
        let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(31);
        let sk = SecretKey::generate(&params, &mut rng);
        let rlk = sk.relinearization_key(&mut rng);
        let (enc, eval) = (Encoder::new(&params), Evaluator::new(&params));
        let x: Vec<f64> = (0..params.slots()).map(|_| rng.random_range(-1.0..1.0)).collect();
        let ct = sk.encrypt(&enc.encode_real(&params, &x, params.scale(), 3).unwrap(), &mut rng).unwrap();
        // Degree-7 sigmoid fit on [−8, 8] scaled to [−1, 1] inputs, a cubic, a pure square and a constant.
        let polys: [&[f64]; 4] = [
            &[0.5, 1.734, 0.0, -4.19, 0.0, 5.43, 0.0, -2.50],
            &[0.5, 0.197, 0.0, -0.004],
            &[0.0, 0.0, 1.0],
            &[0.75],
        ];
        for coeffs in polys {
            let out = eval.evaluate_polynomial(&ct, coeffs, &rlk).unwrap();
            let got = enc.decode_real(&params, &sk.decrypt(&out).unwrap()).unwrap();
            let want = |v: f64| coeffs.iter().rev().fold(0.0, |acc, c| acc * v + c);
            let err = x.iter().zip(&got).map(|(&v, g)| (want(v) - g).abs()).fold(0.0, f64::max);
            assert!(err < 1e-5, "{coeffs:?}: {err}");
            let degree = coeffs.len() - 1;
            assert_eq!(out.level(), 3 - (usize::BITS - degree.leading_zeros()) as usize);
        }
        let mut deg15 = [0.0; 16];
        deg15[15] = 1.0;
        assert!(matches!(
            eval.evaluate_polynomial(&ct, &deg15, &rlk),
            Err(crate::Error::InvalidLevel { requested: 4, current: 3 })
        ));
        assert!(eval.evaluate_polynomial(&ct, &[0.0; 33], &rlk).is_err());
        assert!(eval.evaluate_polynomial(&ct, &[], &rlk).is_err());
    }
}
