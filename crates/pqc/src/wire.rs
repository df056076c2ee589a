//! The versioned envelope every persistent or wire object of this crate travels in:
//! `{format_version, kind, params, payload}` encoded with `postcard`, decoded under a size limit and against the
//! expected kind and parameter suite (STYLE §5).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The only envelope format version this build writes and reads. Older versions are refused (no downgrade).
pub const FORMAT_VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    format_version: u16,
    kind: &'a str,
    params: &'a str,
    payload: &'a [u8],
}

/// Wraps `payload` in an envelope of the given format version (always [`FORMAT_VERSION`] outside tests).
pub(crate) fn encode_with_version(
    format_version: u16,
    kind: &str,
    params: &str,
    payload: &[u8],
) -> Result<Vec<u8>> {
    postcard::to_allocvec(&Envelope { format_version, kind, params, payload })
        .map_err(|_| Error::Malformed { what: "envelope" })
}

/// Opens an envelope: refuses inputs over `limit` bytes before parsing, then a wrong version, kind or suite, and
/// trailing bytes. Returns the payload, borrowed from `bytes`.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    limit: usize,
    kind: &'static str,
    params: &'static str,
) -> Result<&'a [u8]> {
    if bytes.len() > limit {
        return Err(Error::Oversize { len: bytes.len(), limit });
    }
    let env: Envelope<'a> = from_bytes_exact(bytes, "envelope")?;
    if env.format_version != FORMAT_VERSION {
        return Err(Error::FormatVersion { found: env.format_version, expected: FORMAT_VERSION });
    }
    if env.kind != kind {
        return Err(Error::WrongType { found: env.kind.to_owned(), expected: kind });
    }
    if env.params != params {
        return Err(Error::WrongType { found: format!("{kind} / {}", env.params), expected: params });
    }
    Ok(env.payload)
}

/// `postcard` decoding that rejects trailing bytes.
pub(crate) fn from_bytes_exact<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &'static str) -> Result<T> {
    let (value, rest) = postcard::take_from_bytes::<T>(bytes).map_err(|_| Error::Malformed { what })?;
    if rest.is_empty() { Ok(value) } else { Err(Error::Malformed { what }) }
}
