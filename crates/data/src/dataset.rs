//! In-memory datasets: a feature matrix with labels, and images with labels.

use ndarray::{Array2, Array3, Axis};

use crate::error::{Error, Result};

/// A labelled feature matrix: `n` rows (examples) × `d` features, labels in `0..classes`, optional group ids.
///
/// A value that exists is consistent: every dimension agrees and every label is in range.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    name: String,
    features: Array2<f64>,
    labels: Vec<u8>,
    class_names: Vec<String>,
    feature_names: Vec<String>,
    groups: Option<Vec<u32>>,
}

impl Dataset {
    /// Builds a dataset and checks that its parts agree.
    ///
    /// # Errors
    /// [`Error::Shape`] if the label, feature-name or group counts differ from the matrix dimensions, a label is
    /// not below `class_names.len()`, or a feature is not finite.
    pub fn new(
        name: impl Into<String>,
        features: Array2<f64>,
        labels: Vec<u8>,
        class_names: Vec<String>,
        feature_names: Vec<String>,
        groups: Option<Vec<u32>>,
    ) -> Result<Self> {
        let name = name.into();
        let shape = |detail: String| Err(Error::Shape { what: name.clone(), detail });
        let (n, d) = features.dim();
        if labels.len() != n {
            return shape(format!("{n} feature rows but {} labels", labels.len()));
        }
        if feature_names.len() != d {
            return shape(format!("{d} feature columns but {} feature names", feature_names.len()));
        }
        if let Some(g) = &groups
            && g.len() != n
        {
            return shape(format!("{n} rows but {} group ids", g.len()));
        }
        if class_names.is_empty() || class_names.len() > usize::from(u8::MAX) + 1 {
            return shape(format!("{} classes (need 1 to 256)", class_names.len()));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| usize::from(l) >= class_names.len())
        {
            return shape(format!("label {l} of row {i} is not below the class count {}", class_names.len()));
        }
        if let Some(((i, j), v)) = features.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return shape(format!("feature {j} of row {i} is {v}"));
        }
        Ok(Dataset { name, features, labels, class_names, feature_names, groups })
    }

    /// The dataset's name (for messages and reports).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of features per example.
    pub fn n_features(&self) -> usize {
        self.features.ncols()
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// The `n × d` feature matrix.
    pub fn features(&self) -> &Array2<f64> {
        &self.features
    }

    /// Labels, one per row, in `0..n_classes()`.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Feature names, indexed by column.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Group ids (e.g. subject), one per row, if the dataset has them.
    pub fn groups(&self) -> Option<&[u32]> {
        self.groups.as_deref()
    }

    /// How many examples each class has, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        class_counts(&self.labels, self.n_classes())
    }

    /// The rows at `indices`, in that order, as a new dataset.
    ///
    /// # Errors
    /// [`Error::Shape`] if an index is out of range.
    pub fn select(&self, indices: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::Shape {
                what: self.name.clone(),
                detail: format!("row index {bad} out of range for {} rows", self.len()),
            });
        }
        Ok(Dataset {
            name: self.name.clone(),
            features: self.features.select(Axis(0), indices),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
            feature_names: self.feature_names.clone(),
            groups: self.groups.as_ref().map(|g| indices.iter().map(|&i| g[i]).collect()),
        })
    }
}

/// Greyscale images with labels: `n × rows × cols` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSet {
    name: String,
    images: Array3<u8>,
    labels: Vec<u8>,
    class_names: Vec<String>,
}

impl ImageSet {
    /// Builds an image set and checks that its parts agree.
    ///
    /// # Errors
    /// [`Error::Shape`] if image and label counts differ or a label is not below `class_names.len()`.
    pub fn new(
        name: impl Into<String>,
        images: Array3<u8>,
        labels: Vec<u8>,
        class_names: Vec<String>,
    ) -> Result<Self> {
        let name = name.into();
        let n = images.len_of(Axis(0));
        let detail = if n != labels.len() {
            Some(format!("{n} images but {} labels", labels.len()))
        } else if class_names.is_empty() || class_names.len() > usize::from(u8::MAX) + 1 {
            Some(format!("{} classes (need 1 to 256)", class_names.len()))
        } else {
            labels
                .iter()
                .position(|&l| usize::from(l) >= class_names.len())
                .map(|i| format!("label {} of image {i} is not below {}", labels[i], class_names.len()))
        };
        match detail {
            Some(detail) => Err(Error::Shape { what: name, detail }),
            None => Ok(ImageSet { name, images, labels, class_names }),
        }
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// `(rows, cols)` of each image.
    pub fn image_dim(&self) -> (usize, usize) {
        let (_, r, c) = self.images.dim();
        (r, c)
    }

    /// The pixels, `n × rows × cols`.
    pub fn images(&self) -> &Array3<u8> {
        &self.images
    }

    /// Labels, one per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Class names, indexed by label.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// How many images each class has, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        class_counts(&self.labels, self.class_names.len())
    }

    /// Flattens each image row-major into a feature vector of pixel intensities scaled to `[0, 1]`.
    pub fn to_dataset(&self) -> Dataset {
        let (n, r, c) = self.images.dim();
        let features =
            Array2::from_shape_fn((n, r * c), |(i, k)| f64::from(self.images[[i, k / c, k % c]]) / 255.0);
        let feature_names = (0..r * c).map(|k| format!("pixel_{}_{}", k / c, k % c)).collect();
        Dataset {
            name: self.name.clone(),
            features,
            labels: self.labels.clone(),
            class_names: self.class_names.clone(),
            feature_names,
            groups: None,
        }
    }
}

pub(crate) fn class_counts(labels: &[u8], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for &l in labels {
        counts[usize::from(l)] += 1;
    }
    counts
}

pub(crate) fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|&s| s.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        let x = Array2::from_shape_vec((3, 2), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        Dataset::new("tiny", x, vec![0, 1, 1], names(&["a", "b"]), names(&["f0", "f1"]), Some(vec![7, 7, 9]))
            .unwrap()
    }

    #[test]
    fn select_keeps_rows_labels_and_groups_together() {
        let d = tiny().select(&[2, 0]).unwrap();
        assert_eq!(d.features().row(0).to_vec(), vec![5.0, 6.0]);
        assert_eq!(d.labels(), &[1, 0]);
        assert_eq!(d.groups(), Some(&[9, 7][..]));
        assert_eq!(d.class_counts(), vec![1, 1]);
        assert!(matches!(tiny().select(&[3]), Err(Error::Shape { .. })));
    }

    #[test]
    fn inconsistent_parts_are_rejected() {
        let x = || Array2::<f64>::zeros((2, 2));
        let c = || names(&["a", "b"]);
        let f = || names(&["f0", "f1"]);
        let cases = [
            Dataset::new("t", x(), vec![0], c(), f(), None),
            Dataset::new("t", x(), vec![0, 2], c(), f(), None),
            Dataset::new("t", x(), vec![0, 1], c(), names(&["f0"]), None),
            Dataset::new("t", x(), vec![0, 1], c(), f(), Some(vec![1])),
            Dataset::new("t", x(), vec![0, 1], vec![], f(), None),
            Dataset::new("t", Array2::from_elem((2, 2), f64::NAN), vec![0, 1], c(), f(), None),
        ];
        for case in cases {
            assert!(matches!(case, Err(Error::Shape { .. })), "{case:?}");
        }
    }

    #[test]
    fn images_flatten_row_major_to_unit_interval() {
        let imgs = Array3::from_shape_vec((1, 2, 2), vec![0, 51, 102, 255]).unwrap();
        let set = ImageSet::new("img", imgs, vec![0], names(&["x"])).unwrap();
        let d = set.to_dataset();
        assert_eq!(d.features().row(0).to_vec(), vec![0.0, 0.2, 0.4, 1.0]);
        assert_eq!(d.feature_names()[1], "pixel_0_1");
        let bad = ImageSet::new("img", Array3::zeros((2, 1, 1)), vec![0], names(&["x"]));
        assert!(matches!(bad, Err(Error::Shape { .. })));
    }
}
