//! Sifting: detection report, basis/intensity announcement, and test-bit disclosure.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::keylength::KeyLengthMode;
use crate::bits::BitVec;
use crate::error::{Error, Result, check_range};
use crate::params::{Protocol, Source};
use crate::sim::{AliceRecord, BobRecord};
use crate::state::{Basis, b92_decode};

/// Bob → Alice: the pulses that clicked, with Bob's basis for each (empty for B92).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectionReport {
    /// Pulse indices, strictly increasing.
    pub indices: Vec<u64>,
    /// Bob's basis per index (`Basis as u8`); empty for B92.
    pub bases: Vec<u8>,
}

/// Alice → Bob: her basis and intensity class for every reported pulse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiftReply {
    /// Alice's basis per reported pulse (`Basis as u8`; for B92 the basis of the state sent).
    pub bases: Vec<u8>,
    /// Intensity class per reported pulse (0 = signal).
    pub intensities: Vec<u8>,
    /// Whether key-basis bits of every intensity form the key (Lim et al. 2014, three intensities) rather than
    /// those of the signal only (MQZL vacuum + weak decoy, decoy bits all disclosed).
    pub key_all_intensities: bool,
}

/// Bob → Alice: his bits at the test positions (indices into the sifted string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    /// Positions in the sifted string, strictly increasing.
    pub positions: Vec<u32>,
    /// Bob's bit at each position.
    pub bits: BitVec,
}

/// The sifted string of one party: one entry per pulse kept.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sifted {
    pub(crate) bits: BitVec,
    /// `intensity << 2 | basis`.
    pub(crate) classes: Vec<u8>,
    /// Key bits come from the key basis at every intensity, not only the signal.
    pub(crate) key_all_intensities: bool,
}

impl Sifted {
    pub(crate) fn intensity(&self, i: usize) -> usize {
        usize::from(self.classes[i] >> 2)
    }

    pub(crate) fn basis_code(&self, i: usize) -> u8 {
        self.classes[i] & 3
    }

    /// Key positions: key basis, and signal intensity unless every intensity contributes.
    pub(crate) fn is_key_candidate(&self, i: usize) -> bool {
        self.classes[i] & 3 == 0 && (self.key_all_intensities || self.classes[i] >> 2 == 0)
    }
}

/// Alice's side of the protocol.
#[derive(Debug, Clone)]
pub struct Alice {
    protocol: Protocol,
    source: Source,
    record: AliceRecord,
    pub(crate) sifted: Option<Sifted>,
    /// Detections per intensity, from Bob's report.
    pub(crate) detections: Vec<u64>,
    /// The key-length formula the session will use (decides which bits form the raw key).
    key_length: KeyLengthMode,
}

/// Bob's side of the protocol.
#[derive(Debug, Clone)]
pub struct Bob {
    protocol: Protocol,
    record: BobRecord,
    reported: Vec<usize>,
    pub(crate) sifted: Option<Sifted>,
    disclosed: Option<Vec<u32>>,
}

impl Alice {
    /// Alice with her record of the transmission.
    pub fn new(protocol: Protocol, source: Source, record: AliceRecord) -> Self {
        Alice {
            protocol,
            source,
            record,
            sifted: None,
            detections: vec![],
            key_length: KeyLengthMode::default(),
        }
    }

    /// Chooses the key-length formula (default: finite-key). Under [`KeyLengthMode::Finite`] a three-intensity
    /// source keys from the X basis of every intensity (Lim et al. 2014), so this must be set before sifting.
    pub fn with_key_length(mut self, mode: KeyLengthMode) -> Self {
        self.key_length = mode;
        self
    }

    /// The protocol run.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The source she used.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Pulses sent per intensity.
    pub fn sent_per_intensity(&self) -> &[u64] {
        self.record.sent_per_intensity()
    }

    /// Step 2: answers Bob's detection report with her bases and intensities, and sifts her own string.
    ///
    /// # Errors
    /// [`Error::Protocol`] if the report is malformed (lengths differ, indices not increasing, a pulse she has no
    /// record of).
    pub fn sift(&mut self, report: &DetectionReport) -> Result<SiftReply> {
        let b92 = self.protocol == Protocol::B92;
        if !b92 && report.bases.len() != report.indices.len() {
            return Err(protocol_err(format!(
                "{} bases for {} indices",
                report.bases.len(),
                report.indices.len()
            )));
        }
        if report.indices.windows(2).any(|w| w[0] >= w[1]) {
            return Err(protocol_err("indices not strictly increasing".into()));
        }
        let key_all_intensities = self.key_length.key_all_intensities(&self.source);
        let mut reply = SiftReply {
            bases: Vec::with_capacity(report.indices.len()),
            intensities: Vec::with_capacity(report.indices.len()),
            key_all_intensities,
        };
        let mut sifted = Sifted { key_all_intensities, ..Sifted::default() };
        self.detections = vec![0; self.source.intensities().len()];
        let mut cursor = 0;
        for (n, &idx) in report.indices.iter().enumerate() {
            // Both lists are increasing: a merge walk finds each reported pulse.
            while cursor < self.record.indices.len() && self.record.indices[cursor] < idx {
                cursor += 1;
            }
            if self.record.indices.get(cursor) != Some(&idx) {
                return Err(protocol_err(format!("pulse {idx} was not reported as sent")));
            }
            let c = self.record.choices[cursor];
            let (k, basis, bit) = (c >> 3, (c >> 1) & 3, c & 1 == 1);
            reply.bases.push(basis);
            reply.intensities.push(k);
            self.detections[usize::from(k)] += 1;
            let keep = b92 || report.bases[n] == basis;
            if keep {
                sifted.bits.push(bit);
                sifted.classes.push((k << 2) | if b92 { 0 } else { basis });
            }
        }
        self.sifted = Some(sifted);
        Ok(reply)
    }

    /// The raw key: her bits at the key positions Bob did not disclose.
    ///
    /// # Errors
    /// [`Error::Protocol`] before sifting or with a malformed disclosure.
    pub fn raw_key(&self, disclosure: &Disclosure) -> Result<BitVec> {
        let sifted =
            self.sifted.as_ref().ok_or_else(|| protocol_err("raw key requested before sifting".into()))?;
        check_positions(&disclosure.positions, sifted.bits.len())?;
        Ok(undisclosed_key(sifted, &disclosure.positions))
    }
}

impl Bob {
    /// Bob with his record of detections.
    pub fn new(protocol: Protocol, record: BobRecord) -> Self {
        Bob { protocol, record, reported: vec![], sifted: None, disclosed: None }
    }

    /// Step 1: reports the pulses that clicked (B92: the conclusive ones) and his bases.
    pub fn detection_report(&mut self) -> DetectionReport {
        let b92 = self.protocol == Protocol::B92;
        let mut report = DetectionReport { indices: vec![], bases: vec![] };
        self.reported.clear();
        for (i, (&idx, &o)) in self.record.indices.iter().zip(&self.record.outcomes).enumerate() {
            if b92 {
                if b92_decode(Basis::from_code((o >> 1) & 3), o & 1 == 1).is_some() {
                    report.indices.push(idx);
                    self.reported.push(i);
                }
            } else {
                report.indices.push(idx);
                report.bases.push((o >> 1) & 3);
                self.reported.push(i);
            }
        }
        report
    }

    /// Step 2 (Bob's half): keeps the pulses whose bases match.
    ///
    /// # Errors
    /// [`Error::Protocol`] if the reply's lengths do not match his report.
    pub fn apply_sift(&mut self, reply: &SiftReply) -> Result<()> {
        let n = self.reported.len();
        if reply.bases.len() != n || reply.intensities.len() != n {
            return Err(protocol_err(format!(
                "reply has {} bases and {} intensities for {n} reported pulses",
                reply.bases.len(),
                reply.intensities.len()
            )));
        }
        let b92 = self.protocol == Protocol::B92;
        let mut sifted = Sifted { key_all_intensities: reply.key_all_intensities, ..Sifted::default() };
        for (j, &i) in self.reported.iter().enumerate() {
            let o = self.record.outcomes[i];
            let (basis, value) = ((o >> 1) & 3, o & 1 == 1);
            let (a_basis, k) = (reply.bases[j], reply.intensities[j]);
            if a_basis > 2 || k > 7 {
                return Err(protocol_err(format!("invalid basis {a_basis} or intensity {k}")));
            }
            if b92 {
                let bit = b92_decode(Basis::from_code(basis), value).unwrap_or(false);
                sifted.bits.push(bit);
                sifted.classes.push(k << 2);
            } else if a_basis == basis {
                sifted.bits.push(value);
                sifted.classes.push((k << 2) | basis);
            }
        }
        self.sifted = Some(sifted);
        Ok(())
    }

    /// Step 3: discloses every bit that is not a key candidate (outside the key basis; decoy intensities unless
    /// the reply said every intensity keys), and each key candidate with probability `sample_fraction` (drawn from
    /// `seed`).
    ///
    /// # Errors
    /// [`Error::Protocol`] before sifting; [`Error::InvalidParameter`] unless `sample_fraction` ∈ (0, 1].
    pub fn disclose(&mut self, sample_fraction: f64, seed: u64) -> Result<Disclosure> {
        check_range("sample_fraction", sample_fraction, f64::MIN_POSITIVE, 1.0, "in (0, 1]")?;
        let sifted = self.sifted.as_ref().ok_or_else(|| protocol_err("disclosure before sifting".into()))?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let threshold = (sample_fraction * 2f64.powi(64)).min(u64::MAX as f64) as u64;
        let mut d = Disclosure { positions: vec![], bits: BitVec::new() };
        for i in 0..sifted.bits.len() {
            let test = !sifted.is_key_candidate(i) || sample_fraction >= 1.0 || rng.next_u64() < threshold;
            if test {
                // Sifted strings are far below 2³² bits per run (checked here rather than assumed).
                let pos =
                    u32::try_from(i).map_err(|_| protocol_err("sifted string exceeds 2^32 bits".into()))?;
                d.positions.push(pos);
                d.bits.push(sifted.bits.get(i).unwrap_or(false));
            }
        }
        self.disclosed = Some(d.positions.clone());
        Ok(d)
    }

    /// The raw key: his bits at the key positions he did not disclose.
    ///
    /// # Errors
    /// [`Error::Protocol`] before disclosure.
    pub fn raw_key(&self) -> Result<BitVec> {
        let sifted =
            self.sifted.as_ref().ok_or_else(|| protocol_err("raw key requested before sifting".into()))?;
        let disclosed =
            self.disclosed.as_ref().ok_or_else(|| protocol_err("raw key before disclosure".into()))?;
        Ok(undisclosed_key(sifted, disclosed))
    }
}

fn undisclosed_key(sifted: &Sifted, disclosed: &[u32]) -> BitVec {
    let mut key = BitVec::new();
    let mut d = disclosed.iter().peekable();
    for i in 0..sifted.bits.len() {
        if d.peek().is_some_and(|&&p| p as usize == i) {
            d.next();
        } else if sifted.is_key_candidate(i) {
            key.push(sifted.bits.get(i).unwrap_or(false));
        }
    }
    key
}

pub(crate) fn check_positions(positions: &[u32], len: usize) -> Result<()> {
    if positions.windows(2).any(|w| w[0] >= w[1]) {
        return Err(protocol_err("disclosed positions not strictly increasing".into()));
    }
    if positions.last().is_some_and(|&p| p as usize >= len) {
        return Err(protocol_err(format!("disclosed position beyond the {len}-bit sifted string")));
    }
    Ok(())
}

pub(crate) fn protocol_err(detail: String) -> Error {
    Error::Protocol { detail }
}
