//! How well predictions match the truth: accuracy, per-class precision / recall / F1,
//! macro- and micro-F1, the confusions most often made, and, for a clustering, normalised
//! mutual information and the adjusted Rand index against labels.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassScore {
    /// The label.
    pub label: String,
    /// Of the items predicted with this label, the share that have it (0 when none predicted).
    pub precision: f64,
    /// Of the items that have this label, the share predicted with it (0 when none have it).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// How many items truly have this label.
    pub support: usize,
}

/// A true label predicted as another, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct Confusion {
    /// The true label.
    pub truth: String,
    /// The label predicted instead.
    pub predicted: String,
    /// How many items.
    pub count: usize,
}

/// Single-label evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Share of items predicted right.
    pub accuracy: f64,
    /// Unweighted mean of the per-class F1 over every label in the truth or the predictions.
    pub macro_f1: f64,
    /// Per label, in label order.
    pub per_class: Vec<ClassScore>,
    /// Mistakes by (truth, predicted) pair, most frequent first (ties in label order).
    pub confusions: Vec<Confusion>,
}

/// Multi-label evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiEvaluation {
    /// F1 of all (item, label) decisions pooled.
    pub micro_f1: f64,
    /// Unweighted mean of the per-label F1.
    pub macro_f1: f64,
    /// Share of items whose predicted label set equals the true set.
    pub exact_match: f64,
    /// Per label, in label order.
    pub per_class: Vec<ClassScore>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn score(label: &str, tp: usize, fp: usize, fn_: usize) -> ClassScore {
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = ratio(2 * tp, 2 * tp + fp + fn_);
    ClassScore {
        label: label.to_owned(),
        precision,
        recall,
        f1,
        support: tp + fn_,
    }
}

/// Evaluates single-label predictions (`truth[i]` against `predicted[i]`; extra items in the
/// longer slice are ignored).
pub fn evaluate<T: AsRef<str>, P: AsRef<str>>(truth: &[T], predicted: &[P]) -> Evaluation {
    let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new(); // tp, fp, fn
    let mut pairs: HashMap<(&str, &str), usize> = HashMap::new();
    let mut right = 0;
    let n = truth.len().min(predicted.len());
    for (t, p) in truth.iter().zip(predicted) {
        let (t, p) = (t.as_ref(), p.as_ref());
        if t == p {
            right += 1;
            counts.entry(t).or_default()[0] += 1;
        } else {
            counts.entry(p).or_default()[1] += 1;
            counts.entry(t).or_default()[2] += 1;
            *pairs.entry((t, p)).or_default() += 1;
        }
    }
    let per_class: Vec<ClassScore> = counts
        .iter()
        .map(|(l, [tp, fp, fn_])| score(l, *tp, *fp, *fn_))
        .collect();
    let macro_f1 = mean(per_class.iter().map(|c| c.f1));
    let mut confusions: Vec<Confusion> = pairs
        .into_iter()
        .map(|((t, p), count)| Confusion {
            truth: t.to_owned(),
            predicted: p.to_owned(),
            count,
        })
        .collect();
    confusions.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.truth, &a.predicted).cmp(&(&b.truth, &b.predicted)))
    });
    Evaluation {
        accuracy: ratio(right, n),
        macro_f1,
        per_class,
        confusions,
    }
}

/// How "no label" reads in [`Confusion`]s of [`evaluate_optional`].
pub const NO_LABEL: &str = "(no label)";

/// Evaluates single-label predictions where an item may truly have no label and a model may
/// give none (abstain). Accuracy counts an item right when both agree, "no label" included;
/// precision, recall, F1 and macro-F1 are over the labels only ("no label" is not a class:
/// an abstention on a labelled item is a miss of its label, a label given to an unlabelled
/// item a false positive of that label). Confusions name "no label" as [`NO_LABEL`].
pub fn evaluate_optional<T: AsRef<str>, P: AsRef<str>>(
    truth: &[Option<T>],
    predicted: &[Option<P>],
) -> Evaluation {
    let show = |l: Option<&str>| l.unwrap_or(NO_LABEL).to_owned();
    let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new(); // tp, fp, fn
    let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut right = 0;
    for (t, p) in truth.iter().zip(predicted) {
        let (t, p) = (t.as_ref().map(AsRef::as_ref), p.as_ref().map(AsRef::as_ref));
        if t == p {
            right += 1;
            if let Some(t) = t {
                counts.entry(t).or_default()[0] += 1;
            }
            continue;
        }
        if let Some(p) = p {
            counts.entry(p).or_default()[1] += 1;
        }
        if let Some(t) = t {
            counts.entry(t).or_default()[2] += 1;
        }
        *pairs.entry((show(t), show(p))).or_default() += 1;
    }
    let per_class: Vec<ClassScore> = counts
        .iter()
        .map(|(l, [tp, fp, fn_])| score(l, *tp, *fp, *fn_))
        .collect();
    let mut confusions: Vec<Confusion> = pairs
        .into_iter()
        .map(|((truth, predicted), count)| Confusion {
            truth,
            predicted,
            count,
        })
        .collect();
    confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
    Evaluation {
        accuracy: ratio(right, truth.len().min(predicted.len())),
        macro_f1: mean(per_class.iter().map(|c| c.f1)),
        per_class,
        confusions,
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// Evaluates multi-label predictions: each item has a set of true and of predicted labels.
pub fn evaluate_multi<T: AsRef<[A]>, P: AsRef<[B]>, A: AsRef<str>, B: AsRef<str>>(
    truth: &[T],
    predicted: &[P],
) -> MultiEvaluation {
    let mut counts: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    let mut exact = 0;
    let n = truth.len().min(predicted.len());
    for (t, p) in truth.iter().zip(predicted) {
        let t: BTreeSet<&str> = t.as_ref().iter().map(AsRef::as_ref).collect();
        let p: BTreeSet<&str> = predicted_set(p.as_ref());
        if t == p {
            exact += 1;
        }
        for l in t.union(&p) {
            let c = counts.entry((*l).to_owned()).or_default();
            match (t.contains(l), p.contains(l)) {
                (true, true) => c[0] += 1,
                (false, true) => c[1] += 1,
                _ => c[2] += 1,
            }
        }
    }
    let per_class: Vec<ClassScore> = counts
        .iter()
        .map(|(l, [tp, fp, fn_])| score(l, *tp, *fp, *fn_))
        .collect();
    let (tp, fp, fn_) = counts
        .values()
        .fold((0, 0, 0), |(a, b, c), x| (a + x[0], b + x[1], c + x[2]));
    MultiEvaluation {
        micro_f1: ratio(2 * tp, 2 * tp + fp + fn_),
        macro_f1: mean(per_class.iter().map(|c| c.f1)),
        exact_match: ratio(exact, n),
        per_class,
    }
}

fn predicted_set<B: AsRef<str>>(p: &[B]) -> BTreeSet<&str> {
    p.iter().map(AsRef::as_ref).collect()
}

/// The contingency table of two partitions: counts of (a, b) pairs, row sums, column sums.
fn contingency<A: Ord, B: Ord>(a: &[A], b: &[B]) -> (Vec<usize>, Vec<usize>, Vec<usize>, usize) {
    let mut cells: BTreeMap<(&A, &B), usize> = BTreeMap::new();
    let mut rows: BTreeMap<&A, usize> = BTreeMap::new();
    let mut cols: BTreeMap<&B, usize> = BTreeMap::new();
    for (x, y) in a.iter().zip(b) {
        *cells.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let n = a.len().min(b.len());
    (
        cells.into_values().collect(),
        rows.into_values().collect(),
        cols.into_values().collect(),
        n,
    )
}

fn entropy(counts: &[usize], n: usize) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.ln()
        })
        .sum()
}

/// Normalised mutual information of two partitions of the same items (arithmetic-mean
/// normalisation, scikit-learn's default): 1 for identical partitions up to renaming, 0 for
/// independent ones. Both partitions with a single group: 1.
pub fn nmi<A: Ord, B: Ord>(a: &[A], b: &[B]) -> f64 {
    let (_, rows, cols, n) = contingency(a, b);
    if n == 0 || (rows.len() == 1 && cols.len() == 1) {
        return 1.0;
    }
    let mut joint: BTreeMap<(&A, &B), usize> = BTreeMap::new();
    let mut ra: BTreeMap<&A, usize> = BTreeMap::new();
    let mut cb: BTreeMap<&B, usize> = BTreeMap::new();
    for (x, y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_default() += 1;
        *ra.entry(x).or_default() += 1;
        *cb.entry(y).or_default() += 1;
    }
    let nf = n as f64;
    let mi: f64 = joint
        .iter()
        .map(|((x, y), &c)| {
            let c = c as f64;
            c / nf * (nf * c / (ra[x] as f64 * cb[y] as f64)).ln()
        })
        .sum();
    let (ha, hb) = (entropy(&rows, n), entropy(&cols, n));
    let norm = (ha + hb) / 2.0;
    if norm <= 0.0 {
        0.0
    } else {
        (mi / norm).clamp(0.0, 1.0)
    }
}

fn pairs(c: usize) -> f64 {
    let c = c as f64;
    c * (c - 1.0) / 2.0
}

/// Adjusted Rand index of two partitions of the same items: 1 for identical partitions,
/// about 0 for random ones, negative when worse than chance.
pub fn ari<A: Ord, B: Ord>(a: &[A], b: &[B]) -> f64 {
    let (cells, rows, cols, n) = contingency(a, b);
    let index: f64 = cells.iter().map(|&c| pairs(c)).sum();
    let sum_a: f64 = rows.iter().map(|&c| pairs(c)).sum();
    let sum_b: f64 = cols.iter().map(|&c| pairs(c)).sum();
    let expected = sum_a * sum_b / pairs(n).max(f64::MIN_POSITIVE);
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_confusion_matrix() {
        // truth → predicted: a→a ×3, a→b ×1, b→b ×2, c→b ×2, c→c ×2.
        let truth = ["a", "a", "a", "a", "b", "b", "c", "c", "c", "c"];
        let pred = ["a", "a", "a", "b", "b", "b", "b", "b", "c", "c"];
        let e = evaluate(&truth, &pred);
        assert!((e.accuracy - 0.7).abs() < 1e-12);
        // a: P 3/3, R 3/4, F1 6/7.  b: P 2/5, R 2/2, F1 4/7.  c: P 2/2, R 2/4, F1 2/3.
        let f1: Vec<f64> = e.per_class.iter().map(|c| c.f1).collect();
        assert!((f1[0] - 6.0 / 7.0).abs() < 1e-12);
        assert!((f1[1] - 4.0 / 7.0).abs() < 1e-12);
        assert!((f1[2] - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.per_class[1].precision - 0.4).abs() < 1e-12);
        assert_eq!(e.per_class[2].support, 4);
        assert!((e.macro_f1 - (6.0 / 7.0 + 4.0 / 7.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert_eq!(
            e.confusions[0],
            Confusion {
                truth: "c".into(),
                predicted: "b".into(),
                count: 2
            }
        );
        assert_eq!(e.confusions[1].count, 1);
        assert_eq!(e.confusions.len(), 2);
    }

    #[test]
    fn abstentions_and_unlabelled_items_by_hand() {
        // (truth, predicted): (a, a) (a, none) (none, none) (none, b) (b, b) (b, a).
        let truth = [Some("a"), Some("a"), None, None, Some("b"), Some("b")];
        let pred = [Some("a"), None, None, Some("b"), Some("b"), Some("a")];
        let e = evaluate_optional(&truth, &pred);
        assert!((e.accuracy - 3.0 / 6.0).abs() < 1e-12);
        // a: tp 1, fp 1 (b → a), fn 1 (a → none) → P 1/2, R 1/2, F1 1/2.
        // b: tp 1, fp 1 (none → b), fn 1 (b → a) → F1 1/2.
        let a = &e.per_class[0];
        assert_eq!((a.label.as_str(), a.support), ("a", 2));
        assert!((a.precision - 0.5).abs() < 1e-12 && (a.recall - 0.5).abs() < 1e-12);
        assert!((a.f1 - 0.5).abs() < 1e-12);
        assert!((e.per_class[1].f1 - 0.5).abs() < 1e-12);
        assert!((e.macro_f1 - 0.5).abs() < 1e-12);
        assert_eq!(e.per_class.len(), 2, "no label is not a class");
        assert_eq!(e.confusions.len(), 3);
        assert!(
            e.confusions
                .iter()
                .any(|c| c.truth == "a" && c.predicted == NO_LABEL)
        );
        // With every label present it agrees with `evaluate`.
        let t = ["a", "a", "b", "c"];
        let p = ["a", "b", "b", "b"];
        let plain = evaluate(&t, &p);
        let some = |x: &[&'static str]| x.iter().map(|l| Some(*l)).collect::<Vec<_>>();
        let optional = evaluate_optional(&some(&t), &some(&p));
        assert_eq!(
            (plain.accuracy, plain.macro_f1),
            (optional.accuracy, optional.macro_f1)
        );
        assert_eq!(plain.per_class, optional.per_class);
    }

    #[test]
    fn multi_label_micro_and_macro() {
        let truth = [vec!["x", "y"], vec!["x"], vec![]];
        let pred = [vec!["x"], vec!["x", "y"], vec![]];
        let e = evaluate_multi(&truth, &pred);
        // x: tp 2.  y: tp 0, fp 1, fn 1.  micro: 2·2 / (4 + 1 + 1) = 2/3.
        assert!((e.micro_f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((e.macro_f1 - 0.5).abs() < 1e-12);
        assert!((e.exact_match - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn nmi_and_ari_on_identical_and_known_partitions() {
        let a = [0, 0, 1, 1, 2, 2];
        let renamed = ["x", "x", "z", "z", "y", "y"];
        assert!((nmi(&a, &renamed) - 1.0).abs() < 1e-12);
        assert!((ari(&a, &renamed) - 1.0).abs() < 1e-12);
        // scikit-learn: adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242424...
        // by hand: index = 1 + 0 + 1 = 2 (cells 2,1,1,2), sum_a = 3 + 3 = 6, sum_b = 1+1+1 = 3,
        // expected = 6·3/15 = 1.2, max = 4.5: (2 − 1.2) / (4.5 − 1.2) = 0.8 / 3.3.
        let t = [0, 0, 0, 1, 1, 1];
        let c = [0, 0, 1, 1, 2, 2];
        assert!((ari(&t, &c) - 0.8 / 3.3).abs() < 1e-12);
        // NMI: MI = (2/6)ln(2·6/(3·2))·2 + (1/6)ln(6/(3·2))·2 = (2/3)ln 2; H(t) = ln 2,
        // H(c) = ln 3; NMI = (2/3)ln 2 / ((ln 2 + ln 3)/2) = 0.5158037 (as scikit-learn).
        let expected = (2.0 / 3.0) * 2f64.ln() / ((2f64.ln() + 3f64.ln()) / 2.0);
        assert!((nmi(&t, &c) - expected).abs() < 1e-12);
        assert!((expected - 0.515_803_7).abs() < 1e-6);
        // Everything in one cluster against two classes: nothing explained.
        assert!(nmi(&t, &[1; 6]).abs() < 1e-12);
        assert!(ari(&t, &[1; 6]).abs() < 1e-12);
    }
}
