#!/usr/bin/env python3
"""Python VADER (vaderSentiment 3.3.2) on the airline tweets: the reference for trove-text's
sentiment. Labels each tweet by its compound score (>= 0.05 positive, <= -0.05 negative, else
neutral, VADER's standard thresholds) and prints accuracy and macro-F1 against
`airline_sentiment`, the same figures `crates/trove-text/tests/sentiment_airline.rs` prints.

    pip install vaderSentiment
    python3 scripts/reference/vader_airline.py [/work/shared/data/airline-tweets/Tweets.csv]
"""
import os
import csv
import json
import sys
import time

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data", "airline-tweets", "Tweets.csv")
with open(path, newline="", encoding="utf-8") as f:
    rows = [(r["text"], r["airline_sentiment"]) for r in csv.DictReader(f)]

analyzer = SentimentIntensityAnalyzer()
started = time.perf_counter()
predicted = []
for text, _ in rows:
    c = analyzer.polarity_scores(text)["compound"]
    predicted.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
seconds = time.perf_counter() - started

classes = ["negative", "neutral", "positive"]
gold = [label for _, label in rows]
accuracy = sum(p == g for p, g in zip(predicted, gold)) / len(gold)
f1s = []
for c in classes:
    tp = sum(p == c and g == c for p, g in zip(predicted, gold))
    fp = sum(p == c and g != c for p, g in zip(predicted, gold))
    fn = sum(p != c and g == c for p, g in zip(predicted, gold))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
print(json.dumps({
    "items": len(rows),
    "accuracy": round(accuracy, 4),
    "macro_f1": round(sum(f1s) / len(f1s), 4),
    "per_class_f1": dict(zip(classes, (round(x, 4) for x in f1s))),
    "items_per_second": round(len(rows) / seconds),
}))
