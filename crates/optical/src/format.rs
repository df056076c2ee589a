//! The versioned on-disk format of trained networks: a postcard envelope
//! `{format_version, type_name, fingerprint, payload}` (STYLE.md §5). The fingerprint is SHA-256 of the layer
//! shapes, so a file for one architecture cannot load as another; decoding takes a size limit and the expected
//! layer widths and rejects anything else.

use std::path::Path;

use ndarray::Array2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::network::Network;

/// Current format version.
pub const FORMAT_VERSION: u16 = 1;
/// Type name recorded in the envelope.
pub const TYPE_NAME: &str = "quantumacy_optical::Network";
/// Largest file accepted (a 784 → 784 → 10 network is 2.5 MB).
pub const MAX_BYTES: usize = 64 << 20;

#[derive(Serialize, Deserialize)]
struct Envelope {
    format_version: u16,
    type_name: String,
    fingerprint: [u8; 32],
    payload: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    layers: Vec<(u32, u32, Vec<f32>)>,
}

/// SHA-256 over the widths, little-endian u64 each, prefixed by the type name.
fn fingerprint(sizes: &[usize]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(TYPE_NAME.as_bytes());
    for &s in sizes {
        h.update((s as u64).to_le_bytes());
    }
    h.finalize().into()
}

fn bad(detail: impl Into<String>) -> Error {
    Error::Format { detail: detail.into() }
}

impl Network {
    /// Encodes the network in the versioned format.
    ///
    /// # Errors
    /// [`Error::Format`] if a layer is too large for the format (over 2³² rows or columns).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let layers = self
            .layers()
            .iter()
            .map(|l| {
                let r = u32::try_from(l.nrows()).map_err(|_| bad("layer too large"))?;
                let c = u32::try_from(l.ncols()).map_err(|_| bad("layer too large"))?;
                Ok((r, c, l.iter().copied().collect()))
            })
            .collect::<Result<Vec<_>>>()?;
        let payload = postcard::to_stdvec(&Payload { layers }).map_err(|e| bad(e.to_string()))?;
        let env = Envelope {
            format_version: FORMAT_VERSION,
            type_name: TYPE_NAME.to_owned(),
            fingerprint: fingerprint(&self.sizes()),
            payload,
        };
        postcard::to_stdvec(&env).map_err(|e| bad(e.to_string()))
    }

    /// Decodes a network, requiring layer widths `expected` (input first) when given.
    ///
    /// # Errors
    /// [`Error::Format`] for an oversized, truncated or corrupt file, another version or type, a fingerprint that
    /// does not match the shapes, or shapes other than `expected`.
    pub fn from_bytes(bytes: &[u8], expected: Option<&[usize]>) -> Result<Self> {
        if bytes.len() > MAX_BYTES {
            return Err(bad(format!("{} bytes exceeds the {MAX_BYTES}-byte limit", bytes.len())));
        }
        let (env, rest): (Envelope, &[u8]) =
            postcard::take_from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
        if !rest.is_empty() {
            return Err(bad(format!("{} trailing bytes", rest.len())));
        }
        if env.format_version != FORMAT_VERSION {
            return Err(bad(format!("format version {} (expected {FORMAT_VERSION})", env.format_version)));
        }
        if env.type_name != TYPE_NAME {
            return Err(bad(format!("type {:?} (expected {TYPE_NAME:?})", env.type_name)));
        }
        let payload: Payload = postcard::from_bytes(&env.payload).map_err(|e| bad(e.to_string()))?;
        let layers = payload
            .layers
            .into_iter()
            .map(|(r, c, data)| {
                Array2::from_shape_vec((r as usize, c as usize), data)
                    .map_err(|e| bad(format!("layer shape: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let net = Network::from_layers(layers).map_err(|e| bad(e.to_string()))?;
        let sizes = net.sizes();
        if fingerprint(&sizes) != env.fingerprint {
            return Err(bad("fingerprint does not match the layer shapes"));
        }
        if let Some(exp) = expected
            && exp != sizes.as_slice()
        {
            return Err(bad(format!("layer widths {sizes:?} (expected {exp:?})")));
        }
        Ok(net)
    }

    /// Writes [`Network::to_bytes`] to `path`.
    ///
    /// # Errors
    /// [`Error::Io`], and as [`Network::to_bytes`].
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_bytes()?).map_err(|source| Error::Io { path: path.to_owned(), source })
    }

    /// Reads a network written by [`Network::save`].
    ///
    /// # Errors
    /// [`Error::Io`], and as [`Network::from_bytes`].
    pub fn load(path: &Path, expected: Option<&[usize]>) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
        Network::from_bytes(&bytes, expected)
    }
}
