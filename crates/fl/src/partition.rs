//! Splitting a training set among hospitals, deterministically by seed.
//!
//! * IID: a shuffle cut into near-equal parts (sizes differ by at most one).
//! * Label skew by Dirichlet(α) (Hsu, Qi & Brown 2019, §3; Li et al., ICDE 2022, §IV-A): for every class,
//!   client proportions `p ~ Dir(α·1_K)` and the class's rows are cut in those proportions. Small α → each
//!   hospital sees mostly one class.
//! * Quantity skew (Li et al. 2022, §IV-C): client sizes in proportions `p ~ Dir(α·1_K)`, rows IID.
//! * By subject: whole groups (e.g. Parkinson's subjects) are dealt to clients, so no subject is split.
//!
//! Every client must receive at least one row; Dirichlet draws are repeated (up to [`MAX_DRAWS`]) until that
//! holds, then [`Error::EmptyPartition`] is returned.

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, Gamma};
use serde::Serialize;

use crate::error::{Error, Result, invalid};

/// Dirichlet redraws before giving up on a partition with an empty client.
pub const MAX_DRAWS: usize = 100;

/// How rows are dealt to clients.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[non_exhaustive]
pub enum Partition {
    /// Independent, identically distributed: a shuffled cut into equal parts.
    Iid,
    /// Label skew: per-class proportions from Dirichlet(α).
    Dirichlet {
        /// Concentration α > 0.
        alpha: f64,
    },
    /// Quantity skew: client sizes from Dirichlet(α), labels IID.
    Quantity {
        /// Concentration α > 0.
        alpha: f64,
    },
    /// Whole groups (subjects) per client.
    BySubject,
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Iid => f.write_str("iid"),
            Partition::Dirichlet { alpha } => write!(f, "dirichlet={alpha}"),
            Partition::Quantity { alpha } => write!(f, "quantity={alpha}"),
            Partition::BySubject => f.write_str("by-subject"),
        }
    }
}

impl FromStr for Partition {
    type Err = Error;

    /// Parses `iid`, `dirichlet=α`, `quantity=α` or `by-subject`.
    fn from_str(s: &str) -> Result<Self> {
        let alpha = |v: &str| -> Result<f64> {
            match v.parse::<f64>() {
                Ok(a) if a.is_finite() && a > 0.0 => Ok(a),
                _ => Err(invalid("partition", format!("α = {v:?}; must be a number > 0"))),
            }
        };
        match s.split_once('=') {
            None if s == "iid" => Ok(Partition::Iid),
            None if s == "by-subject" => Ok(Partition::BySubject),
            Some(("dirichlet", v)) => Ok(Partition::Dirichlet { alpha: alpha(v)? }),
            Some(("quantity", v)) => Ok(Partition::Quantity { alpha: alpha(v)? }),
            _ => Err(invalid(
                "partition",
                format!("{s:?} (expected iid, dirichlet=α, quantity=α, by-subject)"),
            )),
        }
    }
}

impl Partition {
    /// Deals row indices `0..labels.len()` to `clients` clients; each client's indices are sorted.
    ///
    /// `groups` (one id per row) is required for [`Partition::BySubject`] and ignored otherwise.
    ///
    /// # Errors
    /// [`Error::NoClients`] for zero clients; [`Error::InvalidParameter`] for α ≤ 0, missing groups, or fewer
    /// rows (groups) than clients; [`Error::EmptyPartition`] if no draw gives every client a row.
    pub fn split(
        &self,
        labels: &[u8],
        groups: Option<&[u32]>,
        clients: usize,
        seed: u64,
    ) -> Result<Vec<Vec<usize>>> {
        if clients == 0 {
            return Err(Error::NoClients);
        }
        let n = labels.len();
        if n < clients {
            return Err(invalid("clients", format!("{clients} clients but only {n} rows")));
        }
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut rows: Vec<usize> = (0..n).collect();
        let mut parts = match *self {
            Partition::Iid => {
                rows.shuffle(&mut rng);
                cut(&rows, &equal_sizes(n, clients))
            }
            Partition::Quantity { alpha } => {
                rows.shuffle(&mut rng);
                let dir = dirichlet(alpha, clients)?;
                let sizes = retry(|| {
                    let sizes = apportion(n, &dir.sample(&mut rng));
                    sizes.iter().all(|&s| s > 0).then_some(sizes)
                })?;
                cut(&rows, &sizes)
            }
            Partition::Dirichlet { alpha } => {
                let dir = dirichlet(alpha, clients)?;
                let classes = labels.iter().map(|&l| usize::from(l) + 1).max().unwrap_or(0);
                let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
                for (i, &l) in labels.iter().enumerate() {
                    by_class[usize::from(l)].push(i);
                }
                retry(|| {
                    let mut parts = vec![Vec::new(); clients];
                    for rows_c in &mut by_class {
                        rows_c.shuffle(&mut rng);
                        let sizes = apportion(rows_c.len(), &dir.sample(&mut rng));
                        for (part, chunk) in parts.iter_mut().zip(cut(rows_c, &sizes)) {
                            part.extend(chunk);
                        }
                    }
                    parts.iter().all(|p| !p.is_empty()).then_some(parts)
                })?
            }
            Partition::BySubject => {
                let groups = groups.ok_or_else(|| invalid("partition", "by-subject needs group ids"))?;
                if groups.len() != n {
                    return Err(Error::Shape { detail: format!("{n} rows but {} group ids", groups.len()) });
                }
                let mut ids: Vec<u32> = groups.to_vec();
                ids.sort_unstable();
                ids.dedup();
                if ids.len() < clients {
                    return Err(invalid(
                        "clients",
                        format!("{clients} clients but only {} subjects", ids.len()),
                    ));
                }
                ids.shuffle(&mut rng);
                let owner: std::collections::HashMap<u32, usize> =
                    cut(&ids, &equal_sizes(ids.len(), clients))
                        .into_iter()
                        .enumerate()
                        .flat_map(|(c, g)| g.into_iter().map(move |id| (id, c)))
                        .collect();
                let mut parts = vec![Vec::new(); clients];
                for (i, g) in groups.iter().enumerate() {
                    parts[owner[g]].push(i);
                }
                parts
            }
        };
        for (client, p) in parts.iter_mut().enumerate() {
            if p.is_empty() {
                return Err(Error::EmptyPartition { client });
            }
            p.sort_unstable();
        }
        Ok(parts)
    }
}

/// A symmetric Dirichlet(α·1_K) as K independent Gamma(α, 1) draws, normalised (Devroye 1986, §XI.4).
struct SymmetricDirichlet {
    gamma: Gamma<f64>,
    k: usize,
}

impl SymmetricDirichlet {
    fn sample(&self, rng: &mut ChaCha20Rng) -> Vec<f64> {
        let g: Vec<f64> = (0..self.k).map(|_| self.gamma.sample(rng)).collect();
        let total: f64 = g.iter().sum();
        if total > 0.0 { g.iter().map(|v| v / total).collect() } else { vec![1.0 / self.k as f64; self.k] }
    }
}

fn dirichlet(alpha: f64, k: usize) -> Result<SymmetricDirichlet> {
    let gamma = Gamma::new(alpha, 1.0).map_err(|e| invalid("partition", format!("α = {alpha}: {e}")))?;
    Ok(SymmetricDirichlet { gamma, k })
}

fn retry<T>(mut draw: impl FnMut() -> Option<T>) -> Result<T> {
    (0..MAX_DRAWS).find_map(|_| draw()).ok_or(Error::EmptyPartition { client: 0 })
}

fn equal_sizes(n: usize, k: usize) -> Vec<usize> {
    (0..k).map(|i| n / k + usize::from(i < n % k)).collect()
}

/// Rounds `n · p` to integers summing to `n` (largest remainders).
fn apportion(n: usize, p: &[f64]) -> Vec<usize> {
    let exact: Vec<f64> = p.iter().map(|q| q * n as f64).collect();
    let mut sizes: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let short = n.saturating_sub(sizes.iter().sum());
    for &i in order.iter().cycle().take(short) {
        sizes[i] += 1;
    }
    sizes
}

fn cut<T: Copy>(items: &[T], sizes: &[usize]) -> Vec<Vec<T>> {
    let mut start = 0;
    sizes
        .iter()
        .map(|&s| {
            let part = items[start..start + s].to_vec();
            start += s;
            part
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<u8> {
        (0..n).map(|i| u8::try_from(i % 3).unwrap()).collect()
    }

    fn assert_is_partition(parts: &[Vec<usize>], n: usize) {
        let mut all: Vec<usize> = parts.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn every_scheme_is_a_deterministic_partition() {
        let y = labels(300);
        let groups: Vec<u32> = (0..300).map(|i| i / 6).collect();
        for scheme in [
            Partition::Iid,
            Partition::Dirichlet { alpha: 0.5 },
            Partition::Quantity { alpha: 1.0 },
            Partition::BySubject,
        ] {
            let a = scheme.split(&y, Some(&groups), 4, 7).unwrap();
            assert_is_partition(&a, 300);
            assert_eq!(a, scheme.split(&y, Some(&groups), 4, 7).unwrap(), "{scheme}");
            assert_ne!(a, scheme.split(&y, Some(&groups), 4, 8).unwrap(), "{scheme}");
            assert!(a.iter().all(|p| !p.is_empty()));
        }
        let iid = Partition::Iid.split(&y, None, 7, 1).unwrap();
        assert!(iid.iter().all(|p| p.len() == 42 || p.len() == 43));
    }

    #[test]
    fn by_subject_never_splits_a_subject() {
        let y = labels(200);
        let groups: Vec<u32> = (0..200).map(|i| (i * 7 % 31) as u32).collect();
        let parts = Partition::BySubject.split(&y, Some(&groups), 3, 42).unwrap();
        for (a, pa) in parts.iter().enumerate() {
            for (b, pb) in parts.iter().enumerate().filter(|&(b, _)| b != a) {
                assert!(pa.iter().all(|&i| pb.iter().all(|&j| groups[i] != groups[j])), "clients {a}/{b}");
            }
        }
    }

    /// Small α concentrates each class on few clients; large α approaches IID.
    #[test]
    fn dirichlet_alpha_controls_label_skew() {
        let y = labels(3000);
        let skew = |alpha| {
            let parts = Partition::Dirichlet { alpha }.split(&y, None, 5, 3).unwrap();
            // mean over clients of the largest class share
            parts
                .iter()
                .map(|p| {
                    let mut c = [0usize; 3];
                    p.iter().for_each(|&i| c[usize::from(y[i])] += 1);
                    *c.iter().max().unwrap() as f64 / p.len() as f64
                })
                .sum::<f64>()
                / 5.0
        };
        assert!(skew(0.1) > 0.8, "{}", skew(0.1));
        assert!(skew(1000.0) < 0.4, "{}", skew(1000.0));
    }

    #[test]
    fn bad_requests_are_errors() {
        let y = labels(10);
        assert!(matches!(Partition::Iid.split(&y, None, 0, 1), Err(Error::NoClients)));
        assert!(matches!(Partition::Iid.split(&y, None, 11, 1), Err(Error::InvalidParameter { .. })));
        assert!(matches!(Partition::BySubject.split(&y, None, 2, 1), Err(Error::InvalidParameter { .. })));
        let one_group = vec![1u32; 10];
        assert!(matches!(
            Partition::BySubject.split(&y, Some(&one_group), 2, 1),
            Err(Error::InvalidParameter { .. })
        ));
        // One row per client and α → 0: some client is left empty in every draw.
        assert!(matches!(
            Partition::Dirichlet { alpha: 1e-3 }.split(&labels(4), None, 4, 1),
            Err(Error::EmptyPartition { .. })
        ));
        for bad in ["dirichlet=0", "dirichlet=-1", "dirichlet=x", "quantity=inf", "random", ""] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
        assert_eq!("dirichlet=0.5".parse::<Partition>().unwrap(), Partition::Dirichlet { alpha: 0.5 });
        assert_eq!("by-subject".parse::<Partition>().unwrap().to_string(), "by-subject");
    }
}
