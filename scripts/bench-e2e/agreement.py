#!/usr/bin/env python3
"""How far Trove's tagging and sentiment and the peer's agree on the same rows (not timed):
whether the benchmark's two sides did the same work.

    python agreement.py WORKLOAD_DIR TROVE_EXPORT.csv [--rows 30000]

Takes the first --rows rows of the workload (30,000 cover each of its 29,255 distinct texts
once), tags them with the peer's regexes and scores them with VADER, as peer.py does, and
compares with Trove's themes and sentiment class of the same items (`trove export`): per
theme the items both tag, only Trove, only the peer; overall the share of rows whose whole
set of themes is the same, and the share with the same sentiment class.
"""
import argparse
import csv
import json
import os
import re
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def sentiment_class(compound):
    return "negative" if compound <= -0.05 else "positive" if compound >= 0.05 else "neutral"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workload")
    parser.add_argument("export")
    parser.add_argument("--rows", type=int, default=30_000)
    args = parser.parse_args()
    csv.field_size_limit(sys.maxsize)

    with open(os.path.join(args.workload, "regexes.json"), encoding="utf-8") as f:
        regexes = {theme: re.compile(regex) for theme, regex in json.load(f).items()}
    rows = []
    with open(os.path.join(args.workload, "feedback.csv"), newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.append((row["id"], row["text"]))
            if len(rows) == args.rows:
                break
    wanted = {id for id, _ in rows}
    trove = {}
    with open(args.export, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["external_id"] in wanted:
                themes = {t for t in row["theme_ids"].split(" | ") if t}
                trove[row["external_id"]] = (themes, row["sentiment_class"])
    missing = wanted - trove.keys()
    if missing:
        sys.exit(f"error: {len(missing)} of the rows are not in Trove's export, e.g. {sorted(missing)[:3]}")

    analyzer = SentimentIntensityAnalyzer()
    counts = {theme: [0, 0, 0] for theme in regexes}  # both, trove only, peer only
    same_set = same_sentiment = 0
    for id, text in rows:
        lower = text.lower()
        peer = {theme for theme, regex in regexes.items() if regex.search(lower)}
        themes, trove_class = trove[id]
        same_set += peer == themes
        same_sentiment += sentiment_class(analyzer.polarity_scores(text)["compound"]) == trove_class
        for theme in regexes:
            if theme in peer and theme in themes:
                counts[theme][0] += 1
            elif theme in themes:
                counts[theme][1] += 1
            elif theme in peer:
                counts[theme][2] += 1

    both, trove_only, peer_only = (sum(c[i] for c in counts.values()) for i in range(3))
    n = len(rows)
    print(f"{n} rows: the same set of themes on {100 * same_set / n:.1f}%, the same sentiment class on {100 * same_sentiment / n:.1f}%")
    print(f"tags: {both} by both, {trove_only} by Trove only, {peer_only} by the peer only (Jaccard {both / max(1, both + trove_only + peer_only):.3f})")
    worst = sorted(counts.items(), key=lambda kv: -(kv[1][1] + kv[1][2]))[:5]
    print("most different themes (both / Trove only / peer only): " + ", ".join(f"{t} {b}/{o}/{p}" for t, (b, o, p) in worst))


if __name__ == "__main__":
    main()
