//! MNIST in the IDX format (LeCun et al.), gzip-compressed: the official t10k test set and the 22,699-image
//! training prefix bundled in `data/mnist/` (see its PROVENANCE.md for why only a prefix).

use std::io::Read;

use flate2::read::GzDecoder;
use ndarray::Array3;

use crate::catalogue::{DataDir, bundled};
use crate::dataset::ImageSet;
use crate::error::{Error, Result};

/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Images in the official test set.
pub const TEST_LEN: usize = 10_000;
/// Images in the bundled training prefix.
pub const TRAIN_LEN: usize = 22_699;
/// Largest decompressed IDX file accepted (the full 60,000-image training file is 47,040,016 bytes).
pub const MAX_DECOMPRESSED: usize = 64 << 20;

/// The bundled MNIST splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mnist {
    /// The first 22,699 official training images.
    pub train: ImageSet,
    /// The official 10,000-image test set.
    pub test: ImageSet,
}

/// Loads both splits, verifying every file's checksum first.
///
/// # Errors
/// I/O and checksum errors, then anything [`parse`] returns.
pub fn load(dir: &DataDir) -> Result<Mnist> {
    Ok(Mnist { train: load_train(dir)?, test: load_test(dir)? })
}

/// Loads the official t10k test set.
///
/// # Errors
/// As [`load`].
pub fn load_test(dir: &DataDir) -> Result<ImageSet> {
    let images = dir.read_verified(bundled("mnist/t10k-images-idx3-ubyte.gz"))?;
    let labels = dir.read_verified(bundled("mnist/t10k-labels-idx1-ubyte.gz"))?;
    parse("mnist-test", &images, &labels)
}

/// Loads the 22,699-image training prefix.
///
/// # Errors
/// As [`load`].
pub fn load_train(dir: &DataDir) -> Result<ImageSet> {
    let images = dir.read_verified(bundled("mnist/train-images-idx3-ubyte.first22699.gz"))?;
    let labels = dir.read_verified(bundled("mnist/train-labels-idx1-ubyte.first22699.gz"))?;
    parse("mnist-train", &images, &labels)
}

/// Parses a pair of gzip-compressed IDX files (images, labels) into an [`ImageSet`] named `name`.
///
/// # Errors
/// [`Error::Archive`] for a corrupt gzip stream, [`Error::BadMagic`], [`Error::Truncated`] when a stream or file
/// ends before its header's dimensions are filled, [`Error::Shape`] for trailing bytes, image/label count
/// mismatch, a label ≥ 10, or a file larger than [`MAX_DECOMPRESSED`].
pub fn parse(name: &str, images_gz: &[u8], labels_gz: &[u8]) -> Result<ImageSet> {
    let images_what = format!("{name} images");
    let labels_what = format!("{name} labels");
    let (dims, pixels) = parse_idx(&gunzip(images_gz, &images_what)?, IMAGES_MAGIC, &images_what)?;
    let (_, labels) = parse_idx(&gunzip(labels_gz, &labels_what)?, LABELS_MAGIC, &labels_what)?;
    let images = Array3::from_shape_vec((dims[0], dims[1], dims[2]), pixels)
        .map_err(|e| Error::Shape { what: images_what, detail: e.to_string() })?;
    let class_names = (0..10).map(|d| d.to_string()).collect();
    ImageSet::new(name, images, labels, class_names)
}

/// Parses an uncompressed IDX file of unsigned bytes whose magic must be `magic`; returns dimensions and data.
///
/// # Errors
/// As [`parse`].
pub fn parse_idx(bytes: &[u8], magic: u32, what: &str) -> Result<(Vec<usize>, Vec<u8>)> {
    let ndims = usize::from((magic & 0xff) as u8);
    let header_len = 4 + 4 * ndims;
    let truncated = |expected: usize| Error::Truncated {
        what: what.to_owned(),
        expected: expected as u64,
        found: bytes.len() as u64,
    };
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    if bytes.len() < 4 {
        return Err(truncated(header_len));
    }
    let found = word(0);
    if found != magic {
        return Err(Error::BadMagic { what: what.to_owned(), expected: magic, found });
    }
    if bytes.len() < header_len {
        return Err(truncated(header_len));
    }
    let dims: Vec<usize> = (0..ndims).map(|k| word(4 + 4 * k) as usize).collect();
    let body = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let total = body.and_then(|b| b.checked_add(header_len)).filter(|&t| t <= MAX_DECOMPRESSED);
    let Some(total) = total else {
        return Err(Error::Shape {
            what: what.to_owned(),
            detail: format!("dimensions {dims:?} exceed the {MAX_DECOMPRESSED}-byte limit"),
        });
    };
    match bytes.len().cmp(&total) {
        std::cmp::Ordering::Less => Err(truncated(total)),
        std::cmp::Ordering::Greater => Err(Error::Shape {
            what: what.to_owned(),
            detail: format!(
                "{} bytes after the {total} that dimensions {dims:?} describe",
                bytes.len() - total
            ),
        }),
        std::cmp::Ordering::Equal => Ok((dims, bytes[header_len..].to_vec())),
    }
}

/// Decompresses a gzip stream of at most [`MAX_DECOMPRESSED`] bytes. A stream that ends early yields what it
/// held, so the IDX header check reports the truncation with exact byte counts.
fn gunzip(gz: &[u8], what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = GzDecoder::new(gz).take(MAX_DECOMPRESSED as u64 + 1);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => break,
            Err(e) => return Err(Error::Archive { what: what.to_owned(), detail: e.to_string() }),
        }
    }
    if out.len() > MAX_DECOMPRESSED {
        return Err(Error::Shape {
            what: what.to_owned(),
            detail: format!("decompresses to more than {MAX_DECOMPRESSED} bytes"),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, write::GzEncoder};

    use super::*;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn idx(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
        let mut v = magic.to_be_bytes().to_vec();
        for d in dims {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend_from_slice(body);
        v
    }

    fn images(n: u32) -> Vec<u8> {
        idx(IMAGES_MAGIC, &[n, 2, 3], &(0..n * 6).map(|v| v as u8).collect::<Vec<_>>())
    }

    #[test]
    fn round_trips_a_small_idx_pair() {
        let set = parse("t", &gz(&images(2)), &gz(&idx(LABELS_MAGIC, &[2], &[3, 9]))).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(set.image_dim(), (2, 3));
        assert_eq!(set.images()[[1, 0, 1]], 7);
        assert_eq!(set.labels(), &[3, 9]);
    }

    #[test]
    fn bad_magic_truncation_and_trailing_bytes_are_typed() {
        let labels = gz(&idx(LABELS_MAGIC, &[2], &[0, 1]));
        let swapped = parse("t", &labels, &labels);
        assert!(matches!(swapped, Err(Error::BadMagic { expected: IMAGES_MAGIC, found: LABELS_MAGIC, .. })));

        let mut short = images(2);
        short.truncate(short.len() - 1);
        let r = parse("t", &gz(&short), &labels);
        assert!(matches!(r, Err(Error::Truncated { expected: 28, found: 27, .. })), "{r:?}");

        let header_only = parse("t", &gz(&IMAGES_MAGIC.to_be_bytes()[..3]), &labels);
        assert!(matches!(header_only, Err(Error::Truncated { .. })));

        let mut long = images(2);
        long.push(0);
        assert!(matches!(parse("t", &gz(&long), &labels), Err(Error::Shape { .. })));

        let three_labels = gz(&idx(LABELS_MAGIC, &[3], &[0, 1, 2]));
        assert!(matches!(parse("t", &gz(&images(2)), &three_labels), Err(Error::Shape { .. })));

        let label_ten = gz(&idx(LABELS_MAGIC, &[2], &[0, 10]));
        assert!(matches!(parse("t", &gz(&images(2)), &label_ten), Err(Error::Shape { .. })));
    }

    #[test]
    fn a_gzip_stream_cut_short_reports_the_missing_bytes() {
        // Incompressible pixels so that cutting the compressed stream cuts the decompressed one.
        let body: Vec<u8> = (0u32..60_000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let full = idx(IMAGES_MAGIC, &[10_000, 2, 3], &body);
        let compressed = gz(&full);
        let cut = &compressed[..compressed.len() / 2];
        match parse_idx(&gunzip(cut, "t").unwrap(), IMAGES_MAGIC, "t") {
            Err(Error::Truncated { expected, found, .. }) => {
                assert_eq!(expected, 60_016);
                assert!(found < expected && found > 0);
            }
            other => panic!("expected truncation, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_gzip_and_oversized_dimensions_are_rejected() {
        let labels = gz(&idx(LABELS_MAGIC, &[1], &[0]));
        assert!(matches!(parse("t", b"not gzip at all", &labels), Err(Error::Archive { .. })));
        let huge = idx(IMAGES_MAGIC, &[60_000, 1_000, 1_000], &[]);
        assert!(matches!(parse("t", &gz(&huge), &labels), Err(Error::Shape { .. })));
        let overflow = idx(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[]);
        assert!(matches!(parse("t", &gz(&overflow), &labels), Err(Error::Shape { .. })));
    }
}
