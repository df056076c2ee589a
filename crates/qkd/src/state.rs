//! Polarisation bases and states, and how each protocol uses them.

use serde::{Deserialize, Serialize};

use crate::params::Protocol;

/// A measurement basis. BB84 uses X (key) and Z; six-state adds Y.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Basis {
    /// The key basis (diagonal in the papers' figures; "X" in Lim et al. 2014).
    X = 0,
    /// The test basis.
    Z = 1,
    /// The third basis of the six-state protocol.
    Y = 2,
}

impl Basis {
    /// From the two-bit code used in packed records.
    pub(crate) fn from_code(c: u8) -> Basis {
        match c & 3 {
            0 => Basis::X,
            1 => Basis::Z,
            _ => Basis::Y,
        }
    }
}

/// A qubit state prepared by Alice: an eigenstate `value` ∈ {0, 1} of `basis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The basis the state is an eigenstate of.
    pub basis: Basis,
    /// Which eigenstate.
    pub value: bool,
}

/// The state Alice prepares for key `bit` in `basis` under `protocol`.
///
/// BB84 and six-state encode the bit as the eigenstate; B92 (Bennett 1992) sends |0⟩_Z for bit 0 and |0⟩_X
/// (= |+⟩) for bit 1, whatever `basis` is.
pub(crate) fn encode(protocol: Protocol, basis: Basis, bit: bool) -> State {
    match protocol {
        Protocol::Bb84 | Protocol::SixState => State { basis, value: bit },
        Protocol::B92 => State { basis: if bit { Basis::X } else { Basis::Z }, value: false },
    }
}

/// B92 decoding: Bob's result is conclusive only when the detector orthogonal to one of Alice's two states
/// clicks (value 1); measuring Z he then infers bit 1 (Alice cannot have sent |0⟩_Z), measuring X bit 0.
pub(crate) fn b92_decode(bob_basis: Basis, value: bool) -> Option<bool> {
    value.then_some(bob_basis == Basis::Z)
}

/// Number of bases the protocol uses.
pub(crate) fn basis_count(protocol: Protocol) -> usize {
    match protocol {
        Protocol::SixState => 3,
        Protocol::Bb84 | Protocol::B92 => 2,
    }
}

/// Probability of each basis for a party with key-basis bias `q_x`: X with q_x, the others share the rest.
/// B92 has no key basis: Bob measures X or Z with probability ½ each.
pub(crate) fn basis_probabilities(protocol: Protocol, q_x: f64) -> [f64; 3] {
    match protocol {
        Protocol::Bb84 => [q_x, 1.0 - q_x, 0.0],
        Protocol::SixState => [q_x, (1.0 - q_x) / 2.0, (1.0 - q_x) / 2.0],
        Protocol::B92 => [0.5, 0.5, 0.0],
    }
}
