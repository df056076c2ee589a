//! CKKS encoding: the canonical embedding restricted to the slots `ζ^{5^j}`, `j < N/2`, via the special FFT.
//!
//! Cheon–Kim–Kim–Song (ASIACRYPT 2017, §3.1): a message `z ∈ C^{N/2}` maps to the integer polynomial
//! `m = ⌊Δ·τ^{-1}(z)⌉` where `τ(m)_j = m(ζ^{5^j})`, `ζ = e^{iπ/N}`. The `O(N log N)` "special FFT" is the
//! variant of the FFT that evaluates at the powers `ζ^{5^j}` directly (HEAAN reference implementation,
//! Cheon et al.; also Han–Ki 2020, §2). With this slot order, the automorphism `X ↦ X^{5^k}` rotates the
//! slots left by `k` and `X ↦ X^{-1}` conjugates them.

use std::f64::consts::PI;

use quantumacy_math::{Coeff, Modulus, Ntt, Poly};

use crate::{Error, Parameters};

/// A complex number (only what the FFT needs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// `re + i·im`.
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// Modulus `|z|`.
    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    fn add(self, o: Self) -> Self {
        Self::new(self.re + o.re, self.im + o.im)
    }

    fn sub(self, o: Self) -> Self {
        Self::new(self.re - o.re, self.im - o.im)
    }

    fn mul(self, o: Self) -> Self {
        Self::new(self.re * o.re - self.im * o.im, self.re * o.im + self.im * o.re)
    }
}

/// A plaintext: an encoded message in the NTT domain at a level, with its scale.
#[derive(Clone, Debug)]
pub struct Plaintext {
    pub(crate) poly: Poly<Ntt>,
    pub(crate) level: usize,
    pub(crate) scale: f64,
    pub(crate) fingerprint: u64,
}

impl Plaintext {
    /// Level (number of data primes − 1).
    pub const fn level(&self) -> usize {
        self.level
    }

    /// Scale Δ the message was multiplied by.
    pub const fn scale(&self) -> f64 {
        self.scale
    }
}

/// Encoder/decoder for one parameter set (precomputed roots and rotation group).
#[derive(Clone, Debug)]
pub struct Encoder {
    slots: usize,
    /// `5^j mod 4·slots` (= 2N).
    rot_group: Vec<usize>,
    /// `e^{2πi k / 2N}`, `k = 0 … 2N`.
    ksi: Vec<Complex>,
}

impl Encoder {
    /// Precomputes the FFT tables for `params`.
    pub fn new(params: &Parameters) -> Self {
        let slots = params.slots();
        let m = 4 * slots;
        let mut rot_group = Vec::with_capacity(slots);
        let mut five = 1usize;
        for _ in 0..slots {
            rot_group.push(five);
            five = five * 5 % m;
        }
        let ksi = (0..=m).map(|k| {
            let t = 2.0 * PI * k as f64 / m as f64;
            Complex::new(t.cos(), t.sin())
        });
        Self { slots, rot_group, ksi: ksi.collect() }
    }

    /// Number of slots `N/2`.
    pub const fn slots(&self) -> usize {
        self.slots
    }

    /// Encodes up to `N/2` complex values (zero-padded) at `level` with `scale`.
    ///
    /// # Errors
    /// [`Error::TooManyValues`], [`Error::InvalidLevel`], [`Error::ValueOutOfRange`] when a scaled coefficient is
    /// not finite or exceeds `Q_ℓ/2`, [`Error::InvalidParameters`] for a non-positive scale.
    pub fn encode(
        &self,
        params: &Parameters,
        values: &[Complex],
        scale: f64,
        level: usize,
    ) -> Result<Plaintext, Error> {
        if values.len() > self.slots {
            return Err(Error::TooManyValues { got: values.len(), slots: self.slots });
        }
        if level > params.max_level() {
            return Err(Error::InvalidLevel { requested: level, current: params.max_level() });
        }
        if !(scale.is_finite() && scale > 0.0) {
            return Err(Error::InvalidParameters { reason: "scale must be positive and finite" });
        }
        let mut u = vec![Complex::default(); self.slots];
        u[..values.len()].copy_from_slice(values);
        self.fft_special_inv(&mut u);
        let basis = params.basis(level);
        let n = params.degree();
        let mut poly = Poly::<Coeff>::zero(basis);
        let limit = 2f64.powf(basis.log2_product() - 1.0);
        let data = poly.as_mut_slice();
        for (j, z) in u.iter().enumerate() {
            for (pos, x) in [(j, z.re), (j + self.slots, z.im)] {
                let c = (x * scale).round();
                if !c.is_finite() || c.abs() >= limit {
                    return Err(Error::ValueOutOfRange);
                }
                if c.abs() < 9.2e18 {
                    let ci = c as i64;
                    for (i, m) in basis.moduli().iter().enumerate() {
                        data[i * n + pos] = m.reduce_i64(ci);
                    }
                } else {
                    for (i, m) in basis.moduli().iter().enumerate() {
                        data[i * n + pos] = reduce_f64(c, m);
                    }
                }
            }
        }
        Ok(Plaintext { poly: poly.into_ntt(basis), level, scale, fingerprint: params.fingerprint() })
    }

    /// Encodes real values (imaginary parts zero).
    ///
    /// # Errors
    /// As [`Encoder::encode`].
    pub fn encode_real(
        &self,
        params: &Parameters,
        values: &[f64],
        scale: f64,
        level: usize,
    ) -> Result<Plaintext, Error> {
        let z: Vec<Complex> = values.iter().map(|&x| Complex::new(x, 0.0)).collect();
        self.encode(params, &z, scale, level)
    }

    /// Decodes a plaintext into `N/2` complex values.
    ///
    /// # Errors
    /// [`Error::ParametersMismatch`] when the plaintext belongs to other parameters.
    pub fn decode(&self, params: &Parameters, pt: &Plaintext) -> Result<Vec<Complex>, Error> {
        if pt.fingerprint != params.fingerprint() {
            return Err(Error::ParametersMismatch);
        }
        let basis = params.basis(pt.level);
        let coeff = pt.poly.clone().into_coeff(basis);
        let mut lifted = vec![0.0; params.degree()];
        basis.lift_centered_f64_poly(coeff.as_slice(), &mut lifted)?;
        let mut z: Vec<Complex> = (0..self.slots)
            .map(|j| Complex::new(lifted[j] / pt.scale, lifted[j + self.slots] / pt.scale))
            .collect();
        self.fft_special(&mut z);
        Ok(z)
    }

    /// Decodes the real parts.
    ///
    /// # Errors
    /// As [`Encoder::decode`].
    pub fn decode_real(&self, params: &Parameters, pt: &Plaintext) -> Result<Vec<f64>, Error> {
        Ok(self.decode(params, pt)?.into_iter().map(|z| z.re).collect())
    }

    /// `z_j = m(ζ^{5^j})` from `(m_j + i·m_{j+N/2})_j` (HEAAN `fftSpecial`).
    fn fft_special(&self, vals: &mut [Complex]) {
        let size = vals.len();
        let m = 4 * self.slots;
        bit_reverse(vals);
        let mut len = 2;
        while len <= size {
            let (lenh, lenq) = (len / 2, 4 * len);
            for i in (0..size).step_by(len) {
                for j in 0..lenh {
                    let idx = (self.rot_group[j] & (lenq - 1)) * (m / lenq);
                    let u = vals[i + j];
                    let v = vals[i + j + lenh].mul(self.ksi[idx]);
                    vals[i + j] = u.add(v);
                    vals[i + j + lenh] = u.sub(v);
                }
            }
            len *= 2;
        }
    }

    /// Inverse of [`Self::fft_special`] (HEAAN `fftSpecialInv`), including the `1/size` factor.
    fn fft_special_inv(&self, vals: &mut [Complex]) {
        let size = vals.len();
        let m = 4 * self.slots;
        let mut len = size;
        while len >= 2 {
            let (lenh, lenq) = (len / 2, 4 * len);
            for i in (0..size).step_by(len) {
                for j in 0..lenh {
                    let idx = (lenq - (self.rot_group[j] & (lenq - 1))) * (m / lenq);
                    let u = vals[i + j].add(vals[i + j + lenh]);
                    let v = vals[i + j].sub(vals[i + j + lenh]).mul(self.ksi[idx]);
                    vals[i + j] = u;
                    vals[i + j + lenh] = v;
                }
            }
            len /= 2;
        }
        bit_reverse(vals);
        let inv = 1.0 / size as f64;
        for v in vals.iter_mut() {
            *v = Complex::new(v.re * inv, v.im * inv);
        }
    }
}

fn bit_reverse(vals: &mut [Complex]) {
    let n = vals.len();
    let bits = n.trailing_zeros();
    if bits == 0 {
        return;
    }
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            vals.swap(i, j);
        }
    }
}

/// `c mod q` for an integral `f64` of any magnitude: `c = mantissa·2^exp` with a 53-bit mantissa.
pub(crate) fn reduce_f64(c: f64, m: &Modulus) -> u64 {
    if c.abs() < 9.2e18 {
        return m.reduce_i64(c as i64);
    }
    let bits = c.abs().to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    // |c| ≥ 2^63 so exp > 0.
    let r = m.mul(m.reduce(mantissa), m.pow(2, exp.max(0) as u64));
    if c < 0.0 { m.neg(r) } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    #[test]
    fn round_trip_complex_and_real_at_any_scale() {
        let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        let enc = Encoder::new(&params);
        let z: Vec<Complex> = (0..enc.slots())
            .map(|j| Complex::new((j as f64 * 0.37).sin(), (j as f64 * 0.11).cos()))
            .collect();
        for (scale, level, tol) in
            [(2f64.powi(40), 3, 1e-9), (2f64.powi(25), 0, 1e-4), (2f64.powi(90), 3, 1e-12)]
        {
            let pt = enc.encode(&params, &z, scale, level).unwrap();
            let back = enc.decode(&params, &pt).unwrap();
            let err = z.iter().zip(&back).map(|(a, b)| a.sub(*b).abs()).fold(0.0, f64::max);
            assert!(err < tol, "scale 2^{} err {err}", scale.log2());
        }
        let x = [0.5, -0.25, 1.0];
        let pt = enc.encode_real(&params, &x, 2f64.powi(40), 2).unwrap();
        let back = enc.decode_real(&params, &pt).unwrap();
        assert!((back[1] + 0.25).abs() < 1e-9 && back[3].abs() < 1e-9);
    }

    #[test]
    fn encode_rejects_bad_input() {
        let params = Parameters::preset(Preset::InsecureTestN1024).unwrap();
        let enc = Encoder::new(&params);
        assert!(matches!(enc.encode_real(&params, &[0.0; 513], 1e10, 0), Err(Error::TooManyValues { .. })));
        assert!(matches!(enc.encode_real(&params, &[1.0], 2f64.powi(60), 0), Err(Error::ValueOutOfRange)));
        assert!(matches!(enc.encode_real(&params, &[f64::NAN], 1e10, 0), Err(Error::ValueOutOfRange)));
        assert!(matches!(enc.encode_real(&params, &[1.0], 1e10, 9), Err(Error::InvalidLevel { .. })));
        assert!(enc.encode_real(&params, &[1.0], -1.0, 0).is_err());
        let m = Modulus::new(97).unwrap();
        assert_eq!(reduce_f64(2f64.powi(70), &m), m.pow(2, 70));
        assert_eq!(reduce_f64(-(2f64.powi(70)), &m), m.neg(m.pow(2, 70)));
    }
}
