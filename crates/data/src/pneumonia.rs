//! PneumoniaMNIST (MedMNIST v2, Yang et al. 2023), class-balanced subset: a stored zip (`.npz`) of NumPy `.npy`
//! arrays `{train,val,test}_{images,labels}`, uint8, images 28 × 28, labels 0 = normal, 1 = pneumonia.

use std::io::{Cursor, Read};

use ndarray::Array3;

use crate::catalogue::{DataDir, bundled};
use crate::dataset::{ImageSet, names};
use crate::error::{Error, Result};

/// Largest `.npy` member accepted.
pub const MAX_MEMBER: u64 = 64 << 20;
const WHAT: &str = "pneumoniamnist.npz";

/// The three bundled splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PneumoniaMnist {
    /// 2428 images, 1214 per class.
    pub train: ImageSet,
    /// 270 images, 135 per class.
    pub val: ImageSet,
    /// 468 images, 234 per class.
    pub test: ImageSet,
}

/// Loads `pneumoniamnist/pneumoniamnist.npz`, verifying its checksum first.
///
/// # Errors
/// I/O and checksum errors, then anything [`parse`] returns.
pub fn load(dir: &DataDir) -> Result<PneumoniaMnist> {
    parse(&dir.read_verified(bundled("pneumoniamnist/pneumoniamnist.npz"))?)
}

/// Parses the `.npz` archive.
///
/// # Errors
/// [`Error::Archive`] for a malformed zip or missing member, [`Error::BadMagic`] for a member that is not `.npy`,
/// [`Error::Truncated`] for a member shorter than its header's shape, [`Error::Shape`] for a dtype other than
/// uint8, Fortran order, images not `n × h × w`, labels not `n` or `n × 1`, or labels other than 0/1.
pub fn parse(bytes: &[u8]) -> Result<PneumoniaMnist> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::Archive { what: WHAT.to_owned(), detail: e.to_string() })?;
    let mut split = |name: &str| -> Result<ImageSet> {
        let images =
            Npy::parse(&member(&mut zip, &format!("{name}_images.npy"))?, &format!("{name}_images"))?;
        let labels =
            Npy::parse(&member(&mut zip, &format!("{name}_labels.npy"))?, &format!("{name}_labels"))?;
        let what = format!("{name}_images");
        let [n, h, w] = images.shape[..] else {
            return Err(Error::Shape {
                what,
                detail: format!("shape {:?}, expected n × h × w", images.shape),
            });
        };
        if !(labels.shape.len() == 1 || labels.shape.len() == 2 && labels.shape[1] == 1) {
            return Err(Error::Shape {
                what: format!("{name}_labels"),
                detail: format!("shape {:?}, expected (n,) or (n, 1)", labels.shape),
            });
        }
        let pixels = Array3::from_shape_vec((n, h, w), images.data)
            .map_err(|e| Error::Shape { what, detail: e.to_string() })?;
        ImageSet::new(format!("pneumoniamnist-{name}"), pixels, labels.data, names(&["normal", "pneumonia"]))
    };
    Ok(PneumoniaMnist { train: split("train")?, val: split("val")?, test: split("test")? })
}

fn member(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Vec<u8>> {
    let archive_err = |detail: String| Error::Archive { what: format!("{WHAT}:{name}"), detail };
    let entry = zip.by_name(name).map_err(|e| archive_err(e.to_string()))?;
    if entry.size() > MAX_MEMBER {
        return Err(archive_err(format!(
            "member of {} bytes exceeds the {MAX_MEMBER}-byte limit",
            entry.size()
        )));
    }
    let mut out = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry.take(MAX_MEMBER + 1).read_to_end(&mut out).map_err(|e| archive_err(e.to_string()))?;
    Ok(out)
}

/// A parsed `.npy` array of unsigned bytes (NumPy format versions 1–3, C order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Npy {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Elements in C (row-major) order.
    pub data: Vec<u8>,
}

impl Npy {
    /// The magic prefix `\x93NUMPY`, as the first 4 bytes big-endian (for [`Error::BadMagic`]).
    pub const MAGIC: u32 = 0x934e_554d;

    /// Parses a `.npy` file holding a uint8 array.
    ///
    /// # Errors
    /// [`Error::BadMagic`], [`Error::Truncated`], or [`Error::Shape`] for an unsupported header (dtype, order,
    /// version) or data of the wrong length.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Npy> {
        let shape_err = |detail: String| Error::Shape { what: what.to_owned(), detail };
        let truncated = |expected: usize| Error::Truncated {
            what: what.to_owned(),
            expected: expected as u64,
            found: bytes.len() as u64,
        };
        if bytes.len() < 10 {
            return Err(truncated(10));
        }
        if &bytes[..6] != b"\x93NUMPY" {
            let found = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            return Err(Error::BadMagic { what: what.to_owned(), expected: Npy::MAGIC, found });
        }
        let (header_start, header_len): (usize, usize) = match bytes[6] {
            1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
            2 | 3 if bytes.len() >= 12 => {
                (12, u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize)
            }
            2 | 3 => return Err(truncated(12)),
            v => return Err(shape_err(format!("unsupported .npy version {v}"))),
        };
        let data_start = header_start.saturating_add(header_len);
        if bytes.len() < data_start {
            return Err(truncated(data_start));
        }
        let header = std::str::from_utf8(&bytes[header_start..data_start])
            .map_err(|_| shape_err("header is not text".to_owned()))?;
        let descr =
            dict_value(header, "descr").ok_or_else(|| shape_err("header has no 'descr'".to_owned()))?;
        if !matches!(descr.trim_matches(|c| c == '\'' || c == '"'), "|u1" | "u1" | "<u1" | ">u1" | "=u1") {
            return Err(shape_err(format!("dtype {descr} is not uint8")));
        }
        match dict_value(header, "fortran_order") {
            Some("False") => {}
            other => return Err(shape_err(format!("fortran_order {other:?} is not supported"))),
        }
        let shape_text =
            dict_value(header, "shape").ok_or_else(|| shape_err("header has no 'shape'".to_owned()))?;
        let shape = shape_text
            .trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse::<usize>)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| shape_err(format!("shape {shape_text} is not a tuple of sizes")))?;
        let len = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&l| l as u64 <= MAX_MEMBER)
            .ok_or_else(|| shape_err(format!("shape {shape:?} exceeds the {MAX_MEMBER}-byte limit")))?;
        let body = &bytes[data_start..];
        match body.len().cmp(&len) {
            std::cmp::Ordering::Less => Err(truncated(data_start + len)),
            std::cmp::Ordering::Greater => Err(shape_err(format!(
                "{} bytes after the {len} that shape {shape:?} holds",
                body.len() - len
            ))),
            std::cmp::Ordering::Equal => Ok(Npy { shape, data: body.to_vec() }),
        }
    }
}

/// The raw text of `'key': value` in a NumPy header dict (a tuple value keeps its parentheses).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let start = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[start..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}'])? };
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn npy(shape: &str, descr: &str, body: &[u8]) -> Vec<u8> {
        let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(body);
        v
    }

    fn npz(members: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, bytes) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn valid_members() -> Vec<(&'static str, Vec<u8>)> {
        let mut m = Vec::new();
        for (split, n) in [("train", 2u8), ("val", 1), ("test", 2)] {
            let images: Vec<u8> = (0..n * 4).collect();
            let labels: Vec<u8> = (0..n).map(|i| i % 2).collect();
            let img_name: &'static str = Box::leak(format!("{split}_images.npy").into_boxed_str());
            let lbl_name: &'static str = Box::leak(format!("{split}_labels.npy").into_boxed_str());
            m.push((img_name, npy(&format!("({n}, 2, 2)"), "|u1", &images)));
            m.push((lbl_name, npy(&format!("({n}, 1)"), "|u1", &labels)));
        }
        m
    }

    #[test]
    fn parses_a_small_npz() {
        let p = parse(&npz(&valid_members())).unwrap();
        assert_eq!((p.train.len(), p.val.len(), p.test.len()), (2, 1, 2));
        assert_eq!(p.train.images()[[1, 1, 0]], 6);
        assert_eq!(p.test.labels(), &[0, 1]);
        assert_eq!(p.train.class_names(), &["normal".to_owned(), "pneumonia".to_owned()]);
    }

    #[test]
    fn npy_header_errors_are_typed() {
        let ok = npy("(2, 2)", "|u1", &[1, 2, 3, 4]);
        assert_eq!(Npy::parse(&ok, "x").unwrap().shape, vec![2, 2]);
        assert_eq!(Npy::parse(&npy("(3,)", "|u1", &[1, 2, 3]), "x").unwrap().shape, vec![3]);
        assert!(matches!(Npy::parse(b"PK\x03\x04......", "x"), Err(Error::BadMagic { .. })));
        assert!(matches!(Npy::parse(&ok[..ok.len() - 1], "x"), Err(Error::Truncated { .. })));
        assert!(matches!(Npy::parse(&ok[..20], "x"), Err(Error::Truncated { .. })));
        assert!(matches!(Npy::parse(&[ok.as_slice(), &[0]].concat(), "x"), Err(Error::Shape { .. })));
        assert!(matches!(Npy::parse(&npy("(2, 2)", "<f8", &[0; 32]), "x"), Err(Error::Shape { .. })));
        let mut fortran = npy("(2, 2)", "|u1", &[1, 2, 3, 4]);
        let at = fortran.windows(5).position(|w| w == b"False").unwrap();
        fortran[at..at + 5].copy_from_slice(b"True ");
        assert!(matches!(Npy::parse(&fortran, "x"), Err(Error::Shape { .. })));
        assert!(matches!(
            Npy::parse(&npy("(99999, 99999, 99999)", "|u1", &[]), "x"),
            Err(Error::Shape { .. })
        ));
    }

    #[test]
    fn archive_errors_are_typed() {
        assert!(matches!(parse(b"not a zip"), Err(Error::Archive { .. })));
        let mut missing = valid_members();
        missing.retain(|(n, _)| *n != "val_labels.npy");
        assert!(matches!(parse(&npz(&missing)), Err(Error::Archive { .. })));
        let mut mismatched = valid_members();
        mismatched[1].1 = npy("(3, 1)", "|u1", &[0, 1, 0]);
        assert!(matches!(parse(&npz(&mismatched)), Err(Error::Shape { .. })));
        let mut label_two = valid_members();
        label_two[1].1 = npy("(2, 1)", "|u1", &[0, 2]);
        assert!(matches!(parse(&npz(&label_two)), Err(Error::Shape { .. })));
        let mut flat_images = valid_members();
        flat_images[0].1 = npy("(2, 4)", "|u1", &[0; 8]);
        assert!(matches!(parse(&npz(&flat_images)), Err(Error::Shape { .. })));
    }
}
