#!/usr/bin/env python3
"""Reference pipeline for `trove eval`: scikit-learn TF-IDF + LinearSVC.

Word 1-2-grams and character 2-5-grams (TfidfVectorizer), stacked, and a LinearSVC (C=1).
Prints accuracy, macro-F1 and the fit time (vectorizers + SVM), for comparison with
`trove eval` on the same split.

    pip install scikit-learn
    python3 scripts/reference/banking77_sklearn.py                       # banking77
    python3 scripts/reference/banking77_sklearn.py --airline             # airline negativereason
    python3 scripts/reference/banking77_sklearn.py --analyzer char --sublinear
    python3 scripts/reference/banking77_sklearn.py --cluster             # k-means NMI / ARI

Options: --analyzer char_wb|char (default char_wb), --sublinear (sublinear_tf=True),
--char-max N (longest character n-gram, default 5).
"""
import os
import argparse
import csv
import json
import time

import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")


def read(path, text_col, label_col):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r[text_col] for r in rows], [r[label_col] for r in rows]


def airline():
    """Negative tweets; train before 2015-02-22 (by the date as written), test on the rest."""
    with open(f"{DATA}/airline-tweets/Tweets.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["airline_sentiment"] == "negative"]
    train = [r for r in rows if r["tweet_created"][:10] < "2015-02-22"]
    test = [r for r in rows if r["tweet_created"][:10] >= "2015-02-22"]
    return ([r["text"] for r in train], [r["negativereason"] for r in train],
            [r["text"] for r in test], [r["negativereason"] for r in test])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--analyzer", default="char_wb", choices=["char_wb", "char"])
    p.add_argument("--sublinear", action="store_true")
    p.add_argument("--airline", action="store_true")
    p.add_argument("--char-max", type=int, default=5)
    p.add_argument("--cluster", action="store_true",
                   help="k-means (k=77) on the test texts' TF-IDF, NMI and ARI against the intents")
    a = p.parse_args()
    if a.cluster:
        return cluster(a)
    if a.airline:
        xtr, ytr, xte, yte = airline()
    else:
        xtr, ytr = read(f"{DATA}/banking77/train.csv", "text", "category")
        xte, yte = read(f"{DATA}/banking77/test.csv", "text", "category")
    t0 = time.perf_counter()
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=a.sublinear)
    char = TfidfVectorizer(analyzer=a.analyzer, ngram_range=(2, a.char_max), sublinear_tf=a.sublinear)
    Xtr = sp.hstack([word.fit_transform(xtr), char.fit_transform(xtr)]).tocsr()
    clf = LinearSVC(C=1.0).fit(Xtr, ytr)
    fit = time.perf_counter() - t0
    Xte = sp.hstack([word.transform(xte), char.transform(xte)]).tocsr()
    pred = clf.predict(Xte)
    print(json.dumps({
        "dataset": "airline-negativereason" if a.airline else "banking77",
        "analyzer": a.analyzer, "char_ngrams": [2, a.char_max], "sublinear_tf": a.sublinear,
        "train": len(xtr), "test": len(xte),
        "accuracy": round(accuracy_score(yte, pred), 4),
        "macro_f1": round(f1_score(yte, pred, average="macro"), 4),
        "train_seconds": round(fit, 2),
    }))


def cluster(a):
    """As `trove-learn`'s clustering test: words 1-2 + chars 2-4 (min_df 2), unit rows, k=77."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from sklearn.preprocessing import normalize
    texts, labels = read(f"{DATA}/banking77/test.csv", "text", "category")
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2)
    X = normalize(sp.hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr())
    for seed in (1, 2):
        t0 = time.perf_counter()
        found = KMeans(n_clusters=77, n_init=1, random_state=seed).fit_predict(X)
        print(json.dumps({
            "dataset": "banking77-test-clusters", "seed": seed,
            "nmi": round(normalized_mutual_info_score(labels, found), 4),
            "ari": round(adjusted_rand_score(labels, found), 4),
            "seconds": round(time.perf_counter() - t0, 2),
        }))


if __name__ == "__main__":
    main()
