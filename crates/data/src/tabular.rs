//! The two CSV datasets: WDBC and UCI Parkinson's.

use ndarray::Array2;

use crate::catalogue::{DataDir, bundled};
use crate::dataset::{Dataset, names};
use crate::error::{Error, Result};

/// WDBC: 569 rows, 30 features, label 1 = malignant (`M`), 0 = benign (`B`).
pub mod wdbc {
    use super::*;

    /// Rows in the bundled file.
    pub const ROWS: usize = 569;
    /// Features per row.
    pub const FEATURES: usize = 30;
    const WHAT: &str = "wdbc.data";
    const MEASURES: [&str; 10] = [
        "radius",
        "texture",
        "perimeter",
        "area",
        "smoothness",
        "compactness",
        "concavity",
        "concave_points",
        "symmetry",
        "fractal_dimension",
    ];

    /// Loads `wdbc/wdbc.data`, verifying its checksum first.
    ///
    /// # Errors
    /// I/O and checksum errors, then anything [`parse`] returns.
    pub fn load(dir: &DataDir) -> Result<Dataset> {
        parse(&dir.read_verified(bundled("wdbc/wdbc.data"))?)
    }

    /// Parses the UCI `wdbc.data` format: no header; `id,diagnosis,30 reals` per line, LF or CRLF.
    ///
    /// # Errors
    /// [`Error::Parse`] for a malformed line (wrong field count, diagnosis not `M`/`B`, a non-finite number),
    /// [`Error::Shape`] if there are no rows.
    pub fn parse(bytes: &[u8]) -> Result<Dataset> {
        let mut values = Vec::with_capacity(ROWS * FEATURES);
        let mut labels = Vec::with_capacity(ROWS);
        for (line_no, line) in lines(bytes, WHAT)? {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let parse_err = |detail: String| Error::Parse { what: WHAT.to_owned(), line: line_no, detail };
            if fields.len() != FEATURES + 2 {
                return Err(parse_err(format!("{} fields, expected {}", fields.len(), FEATURES + 2)));
            }
            labels.push(match fields[1] {
                "M" => 1,
                "B" => 0,
                other => return Err(parse_err(format!("diagnosis {other:?} is neither M nor B"))),
            });
            for (col, field) in fields[2..].iter().enumerate() {
                values.push(number(field).map_err(|d| parse_err(format!("feature {col}: {d}")))?);
            }
        }
        let rows = labels.len();
        let features = matrix(values, rows, FEATURES, WHAT)?;
        let feature_names = ["mean", "se", "worst"]
            .iter()
            .flat_map(|stat| MEASURES.iter().map(move |m| format!("{m}_{stat}")))
            .collect();
        Dataset::new("wdbc", features, labels, names(&["benign", "malignant"]), feature_names, None)
    }
}

/// UCI Parkinson's: 195 recordings of 32 subjects, 22 voice features, label 1 = Parkinson's (`status`).
///
/// Group ids are the subject numbers `xx` of `phon_R01_Sxx_k`: split by them, not by row.
pub mod parkinsons {
    use super::*;

    /// Rows in the bundled file.
    pub const ROWS: usize = 195;
    /// Voice features per row (every column but `name` and `status`).
    pub const FEATURES: usize = 22;
    const WHAT: &str = "parkinsons.data";

    /// Loads `parkinsons/parkinsons.data`, verifying its checksum first.
    ///
    /// # Errors
    /// I/O and checksum errors, then anything [`parse`] returns.
    pub fn load(dir: &DataDir) -> Result<Dataset> {
        parse(&dir.read_verified(bundled("parkinsons/parkinsons.data"))?)
    }

    /// Parses the UCI `parkinsons.data` format: a header naming 24 columns including `name` and `status`.
    ///
    /// # Errors
    /// [`Error::Parse`] for a missing header column, a malformed name or number, or a status other than 0/1;
    /// [`Error::Shape`] if there are no rows.
    pub fn parse(bytes: &[u8]) -> Result<Dataset> {
        let mut rows = lines(bytes, WHAT)?;
        let Some((_, header)) = rows.next() else {
            return Err(Error::Shape { what: WHAT.to_owned(), detail: "no header row".to_owned() });
        };
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        let header_err = |detail: String| Error::Parse { what: WHAT.to_owned(), line: 1, detail };
        let find = |name: &str| {
            columns.iter().position(|&c| c == name).ok_or_else(|| header_err(format!("no {name:?} column")))
        };
        let (name_col, status_col) = (find("name")?, find("status")?);
        if columns.len() != FEATURES + 2 {
            return Err(header_err(format!("{} columns, expected {}", columns.len(), FEATURES + 2)));
        }
        let feature_cols: Vec<usize> =
            (0..columns.len()).filter(|&c| c != name_col && c != status_col).collect();

        let mut values = Vec::with_capacity(ROWS * FEATURES);
        let mut labels = Vec::with_capacity(ROWS);
        let mut groups = Vec::with_capacity(ROWS);
        for (line_no, line) in rows {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let parse_err = |detail: String| Error::Parse { what: WHAT.to_owned(), line: line_no, detail };
            if fields.len() != columns.len() {
                return Err(parse_err(format!("{} fields, expected {}", fields.len(), columns.len())));
            }
            groups.push(subject(fields[name_col]).ok_or_else(|| {
                parse_err(format!("name {:?} is not of the form phon_R01_Sxx_k", fields[name_col]))
            })?);
            labels.push(match fields[status_col] {
                "1" => 1,
                "0" => 0,
                other => return Err(parse_err(format!("status {other:?} is neither 0 nor 1"))),
            });
            for &c in &feature_cols {
                values
                    .push(number(fields[c]).map_err(|d| parse_err(format!("column {:?}: {d}", columns[c])))?);
            }
        }
        let n = labels.len();
        let features = matrix(values, n, FEATURES, WHAT)?;
        let feature_names = feature_cols.iter().map(|&c| columns[c].to_owned()).collect();
        Dataset::new(
            "parkinsons",
            features,
            labels,
            names(&["healthy", "parkinsons"]),
            feature_names,
            Some(groups),
        )
    }

    /// `phon_R01_S07_3` → 7.
    fn subject(name: &str) -> Option<u32> {
        let mut parts = name.split('_');
        let (phon, _recording_set, s, k) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if phon != "phon" || parts.next().is_some() || k.parse::<u32>().is_err() {
            return None;
        }
        s.strip_prefix('S')?.parse().ok()
    }
}

/// Non-empty lines as `(1-based line number, text)`, CR stripped; the bytes must be UTF-8.
fn lines<'a>(bytes: &'a [u8], what: &str) -> Result<impl Iterator<Item = (usize, &'a str)>> {
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Parse {
        what: what.to_owned(),
        line: bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1,
        detail: "not valid UTF-8".to_owned(),
    })?;
    Ok(text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end())).filter(|(_, l)| !l.is_empty()))
}

fn number(field: &str) -> std::result::Result<f64, String> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(format!("{v} is not finite")),
        Err(_) => Err(format!("{field:?} is not a number")),
    }
}

fn matrix(values: Vec<f64>, rows: usize, cols: usize, what: &str) -> Result<Array2<f64>> {
    if rows == 0 {
        return Err(Error::Shape { what: what.to_owned(), detail: "no data rows".to_owned() });
    }
    Array2::from_shape_vec((rows, cols), values)
        .map_err(|e| Error::Shape { what: what.to_owned(), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WDBC_ROW: &str = "842302,M,17.99,10.38,122.8,1001,0.1184,0.2776,0.3001,0.1471,0.2419,0.07871,1.095,\
        0.9053,8.589,153.4,0.006399,0.04904,0.05373,0.01587,0.03003,0.006193,25.38,17.33,184.6,2019,0.1622,\
        0.6656,0.7119,0.2654,0.4601,0.1189";

    #[test]
    fn wdbc_parses_lf_and_crlf_alike() {
        let crlf = format!("{WDBC_ROW}\r\n{}\r\n", WDBC_ROW.replacen(",M,", ",B,", 1));
        let lf = crlf.replace("\r\n", "\n");
        let a = wdbc::parse(crlf.as_bytes()).unwrap();
        assert_eq!(a, wdbc::parse(lf.as_bytes()).unwrap());
        assert_eq!(a.labels(), &[1, 0]);
        assert_eq!(a.features()[[0, 3]], 1001.0);
        assert_eq!(a.feature_names()[0], "radius_mean");
        assert_eq!(a.feature_names()[29], "fractal_dimension_worst");
    }

    #[test]
    fn wdbc_rejects_malformed_lines_with_their_line_number() {
        let bad_label = format!("{WDBC_ROW}\n{}\n", WDBC_ROW.replacen(",M,", ",X,", 1));
        let short = format!("{WDBC_ROW}\n842302,M,1.0\n");
        let nan = WDBC_ROW.replacen("17.99", "NaN", 1);
        let text = WDBC_ROW.replacen("17.99", "big", 1);
        for (input, line) in [(bad_label, 2), (short, 2), (nan, 1), (text, 1)] {
            match wdbc::parse(input.as_bytes()) {
                Err(Error::Parse { line: l, .. }) => assert_eq!(l, line, "{input}"),
                other => panic!("expected a parse error, got {other:?}"),
            }
        }
        assert!(matches!(wdbc::parse(b""), Err(Error::Shape { .. })));
        assert!(matches!(wdbc::parse(&[0xff, 0xfe]), Err(Error::Parse { .. })));
    }

    fn parkinsons_csv(name: &str, status: &str) -> String {
        let mut header = vec!["name".to_owned()];
        header.extend((0..16).map(|i| format!("f{i}")));
        header.push("status".to_owned());
        header.extend((16..22).map(|i| format!("f{i}")));
        let mut row = vec![name.to_owned()];
        row.extend((0..16).map(|i| format!("{i}.5")));
        row.push(status.to_owned());
        row.extend((16..22).map(|i| format!("{i}.5")));
        format!("{}\r\n{} \r\n", header.join(","), row.join(","))
    }

    #[test]
    fn parkinsons_takes_subject_from_name_and_skips_status_column() {
        let d = parkinsons::parse(parkinsons_csv("phon_R01_S07_3", "1").as_bytes()).unwrap();
        assert_eq!(d.groups(), Some(&[7][..]));
        assert_eq!(d.labels(), &[1]);
        assert_eq!(d.n_features(), 22);
        assert_eq!(d.features()[[0, 16]], 16.5);
        assert!(!d.feature_names().iter().any(|n| n == "status" || n == "name"));
    }

    #[test]
    fn parkinsons_rejects_bad_names_status_and_headers() {
        for (name, status) in [("phon_R01_Sx_1", "1"), ("patient_7", "0"), ("phon_R01_S07_3", "2")] {
            let r = parkinsons::parse(parkinsons_csv(name, status).as_bytes());
            assert!(matches!(r, Err(Error::Parse { line: 2, .. })), "{name} {status}: {r:?}");
        }
        let no_status = parkinsons_csv("phon_R01_S07_3", "1").replacen("status", "state", 1);
        assert!(matches!(parkinsons::parse(no_status.as_bytes()), Err(Error::Parse { line: 1, .. })));
        assert!(matches!(parkinsons::parse(b""), Err(Error::Shape { .. })));
    }
}
