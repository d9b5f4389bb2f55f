#!/usr/bin/env python3
"""The do-it-yourself peer of the end-to-end benchmark (issue 14): the job an analyst writes by
hand with pandas, one regex per theme and VADER, on the workload of make_workload.py.

    python peer.py WORKLOAD_DIR OUT_DIR

1. read feedback.csv with pandas (times parsed with their known layout);
2. tag: each theme's regex (regexes.json) over the lowercased texts, one column per theme;
3. sentiment: VADER's compound score per text (vaderSentiment), negative at <= -0.05;
4. monthly counts per theme, the month's volume, each theme's share of it;
5. the chronic ranking, the analyst's version of Trove's rule: a theme is chronic when its
   share is above 2% in at least 75% of the months with at least 30 items; ranked by those
   months, then by mentions, with each theme's negative share and NPS beside it;
6. write monthly_counts.csv and ranking.csv into OUT_DIR.

Prints one JSON line: each stage's seconds and a few counts, for run.sh's table.
"""
import json
import os
import sys
import time

import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

SHARE_THRESHOLD = 0.02  # as Trove's chronic rule: share of all items above 2%
MONTHS_SHARE = 0.75  # ... in at least 75% of the months judged
MIN_MONTH_ITEMS = 30  # months with fewer items are not judged


def read(workload):
    frame = pd.read_csv(
        os.path.join(workload, "feedback.csv"),
        dtype={"id": str, "customer": str, "business_unit": str, "channel": str, "nps": "Int64", "text": str},
        keep_default_na=False,
    )
    frame["time"] = pd.to_datetime(frame["time"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    return frame


def tag(frame, regexes):
    lower = frame["text"].str.lower()
    tags = pd.DataFrame({theme: lower.str.contains(regex, regex=True) for theme, regex in regexes.items()})
    return tags


def sentiment(frame):
    analyzer = SentimentIntensityAnalyzer()
    return pd.Series([analyzer.polarity_scores(t)["compound"] for t in frame["text"]], index=frame.index)


def nps(scores):
    """Net Promoter Score of a column of 0-10 answers: % promoters (9-10) - % detractors (0-6)."""
    answered = scores.dropna()
    if answered.empty:
        return float("nan")
    return 100.0 * ((answered >= 9).mean() - (answered <= 6).mean())


def monthly(frame, tags):
    month = frame["time"].dt.strftime("%Y-%m")
    counts = tags.groupby(month).sum()
    volume = month.value_counts().sort_index()
    return counts, volume


def rank(frame, tags, compound, counts, volume):
    judged = volume[volume >= MIN_MONTH_ITEMS].index
    share = counts.loc[judged].div(volume.loc[judged], axis=0)
    months_above = (share > SHARE_THRESHOLD).sum()
    negative = compound <= -0.05
    rows = []
    for theme in tags.columns:
        mentioned = tags[theme]
        rows.append({
            "theme": theme,
            "mentions": int(mentioned.sum()),
            "months_judged": len(judged),
            "months_above": int(months_above[theme]),
            "chronic": bool(len(judged) and months_above[theme] >= MONTHS_SHARE * len(judged)),
            "mean_share": float(share[theme].mean()) if len(judged) else 0.0,
            "negative_share": float(negative[mentioned].mean()) if mentioned.any() else 0.0,
            "nps_mentioners": nps(frame.loc[mentioned, "nps"]),
            "nps_others": nps(frame.loc[~mentioned, "nps"]),
        })
    ranking = pd.DataFrame(rows).sort_values(["chronic", "months_above", "mentions"], ascending=False)
    return ranking


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    workload, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(workload, "regexes.json"), encoding="utf-8") as f:
        regexes = json.load(f)

    seconds = {}
    started = time.perf_counter()

    def lap(stage):
        nonlocal started
        now = time.perf_counter()
        seconds[stage] = round(now - started, 3)
        started = now

    frame = read(workload)
    lap("read")
    tags = tag(frame, regexes)
    lap("tag")
    compound = sentiment(frame)
    lap("sentiment")
    counts, volume = monthly(frame, tags)
    lap("monthly")
    ranking = rank(frame, tags, compound, counts, volume)
    lap("rank")
    counts.assign(items=volume).to_csv(os.path.join(out, "monthly_counts.csv"), index_label="month")
    ranking.to_csv(os.path.join(out, "ranking.csv"), index=False)
    lap("write")

    print(json.dumps({
        "seconds": seconds,
        "items": len(frame),
        "tags": int(tags.to_numpy().sum()),
        "tagged_items": int(tags.any(axis=1).sum()),
        "negative_items": int((compound <= -0.05).sum()),
        "chronic": ranking.loc[ranking["chronic"], "theme"].tolist(),
    }))


if __name__ == "__main__":
    main()
