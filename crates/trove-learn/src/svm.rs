//! Binary linear SVM by dual coordinate descent: L2-regularised, squared hinge loss, with a
//! regularised bias (a constant feature of 1), shrinking, and a seeded shuffle each pass —
//! liblinear's `solve_l2r_l1l2_svc` (Hsieh et al., ICML 2008), which scikit-learn's
//! `LinearSVC` calls.

/// Rows of a sparse matrix stored contiguously (compressed sparse rows).
pub(crate) struct Csr {
    starts: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f32>,
}

impl Csr {
    pub(crate) fn new(rows: &[crate::features::SparseRow]) -> Self {
        let total = rows.iter().map(Vec::len).sum();
        let mut csr = Self {
            starts: Vec::with_capacity(rows.len() + 1),
            columns: Vec::with_capacity(total),
            values: Vec::with_capacity(total),
        };
        csr.starts.push(0);
        for row in rows {
            for &(c, v) in row {
                csr.columns.push(c);
                csr.values.push(v);
            }
            csr.starts.push(csr.columns.len());
        }
        csr
    }
    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }
    #[inline]
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.starts[i], self.starts[i + 1]);
        (&self.columns[a..b], &self.values[a..b])
    }
    pub(crate) fn squared_norm(&self, i: usize) -> f64 {
        self.row(i)
            .1
            .iter()
            .map(|&v| f64::from(v) * f64::from(v))
            .sum()
    }
}

/// Stopping and regularisation settings of one binary problem.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SvmOptions {
    /// C of the negative rows.
    pub c: f64,
    /// C of the positive rows (liblinear's per-class weight times C).
    pub c_positive: f64,
    pub tolerance: f64,
    pub max_iterations: usize,
    pub seed: u64,
}

/// A small deterministic generator (SplitMix64) for the shuffles.
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Trains one binary problem: `positive[i]` says whether row i is in the class. Returns the
/// weights (one per column) and the bias.
pub(crate) fn train_binary(
    rows: &Csr,
    squared_norms: &[f64],
    positive: &[bool],
    columns: usize,
    options: SvmOptions,
) -> (Vec<f64>, f64) {
    let l = rows.len();
    let mut w = vec![0.0f64; columns];
    let mut bias = 0.0f64;
    let mut alpha = vec![0.0f64; l];
    // Squared hinge: the dual has no upper bound and a diagonal term 1 / (2C), C per class.
    let diag = |i: usize| {
        0.5 / if positive[i] {
            options.c_positive
        } else {
            options.c
        }
    };
    let qd: Vec<f64> = (0..l).map(|i| squared_norms[i] + 1.0 + diag(i)).collect();
    let mut index: Vec<usize> = (0..l).collect();
    let mut rng = SplitMix::new(options.seed);
    let mut active = l;
    let mut pg_max_old = f64::INFINITY;
    let mut iteration = 0;
    while iteration < options.max_iterations {
        let mut pg_max_new = f64::NEG_INFINITY;
        let mut pg_min_new = f64::INFINITY;
        for i in 0..active {
            let j = i + rng.below(active - i);
            index.swap(i, j);
        }
        let mut s = 0;
        while s < active {
            let i = index[s];
            let y = if positive[i] { 1.0 } else { -1.0 };
            let (cols, vals) = rows.row(i);
            let mut dot = 0.0f64;
            for (&c, &v) in cols.iter().zip(vals) {
                dot += w[c as usize] * f64::from(v);
            }
            dot += bias;
            let g = y * dot - 1.0 + alpha[i] * diag(i);
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max_new = pg_max_new.max(pg);
            pg_min_new = pg_min_new.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let d = (alpha[i] - old) * y;
                for (&c, &v) in cols.iter().zip(vals) {
                    w[c as usize] += d * f64::from(v);
                }
                bias += d;
            }
            s += 1;
        }
        iteration += 1;
        if pg_max_new - pg_min_new <= options.tolerance {
            if active == l {
                break;
            }
            active = l;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max_new <= 0.0 {
            f64::INFINITY
        } else {
            pg_max_new
        };
    }
    (w, bias)
}
