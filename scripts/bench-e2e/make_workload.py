#!/usr/bin/env python3
"""The end-to-end benchmark's workload (issue 14): N feedback rows of real customer text, a
40-theme taxonomy for Trove and the do-it-yourself peer's 40 regexes built from the same terms.

    python scripts/bench-e2e/make_workload.py --rows 1000000 --out /tmp/bench-e2e/1000000

Writes into --out:
- feedback.csv: id, time (UTC, ISO 8601), customer, business_unit, channel, nps, text. The texts
  are the real ones of ../shared/data (banking77 train and test, the airline tweets, the CFPB
  sample's consumer narratives), shuffled once and reused round-robin; times are uniform over
  the 24 months 2024-11 .. 2026-10; customers, the 5 business units and the 5 channels are drawn
  at random; the NPS (none of the sources has one) is drawn too, leaning on the airline tweets'
  sentiment label and low for complaints;
- taxonomy.toml: 40 flat themes (see THEMES), their phrases and keywords copied from the
  analyst-written taxonomies in taxonomies/ (banking77, airline-tweets, cfpb-sample, demo);
  exclusions and negation are left out, since one regex per theme does neither;
- regexes.json: the peer's one regex per theme, from the same phrases and keywords: each word
  of a term is an alternation of the texts' words that share its Snowball stem, so the regex
  finds what Trove's stemmed matching finds ("helpful" also finds "help", "helped").

Needs the PyPI package snowballstemmer (run.sh installs it in its virtual environment).

Everything is drawn from one seeded generator (--seed): the same arguments give the same bytes.
"""
import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import sys
import tomllib

import snowballstemmer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))

# (taxonomy file, theme id) of the 40 themes: every theme with terms of the banking, airline and
# complaint taxonomies (34), and 6 service themes of the demo taxonomy that any company's
# customers write about (payment failures, log-in trouble, hold times, rude or helpful staff,
# cancelling).
THEMES = [
    ("banking77", t)
    for t in [
        "card-arrival", "card-not-working", "card-lost-stolen", "card-order-activate", "top-up",
        "transfers", "cash-atm", "fees-charges", "exchange-currency", "pending-balance",
        "identity-verification", "account-settings",
    ]
] + [
    ("airline-tweets", t)
    for t in [
        "flight-delay", "flight-cancelled", "baggage", "phone-and-response", "staff-attitude",
        "booking-website", "refunds-fees", "onboard", "airport-lines", "praise",
    ]
] + [
    ("cfpb-sample", t)
    for t in [
        "inaccurate-report", "dispute-not-resolved", "identity-theft-fraud",
        "collector-harassment", "debt-not-owed", "unexpected-fees", "payment-processing",
        "mortgage-servicing", "student-and-auto-loans", "account-access", "credit-card",
        "customer-service",
    ]
] + [
    ("demo", t)
    for t in [
        "payment-failed", "app-login-failure", "phone-hold-time", "agent-rudeness",
        "cancellation-difficulty", "helpful-agent",
    ]
]

BUSINESS_UNITS = ["retail-banking", "cards", "lending", "travel", "collections"]
CHANNELS = ["chat", "email", "social", "call", "survey"]
START = dt.datetime(2024, 11, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)  # 24 whole months, exclusive

# A word as Trove's normaliser sees it: letters, digits and apostrophes (crate trove-text).
WORD = re.compile(r"[\w'\u2019]+")


def normalise(word):
    """Trove's rules for one lowercased word: typographic apostrophes become ', a trailing 's
    is dropped, other apostrophes removed ("don't" -> "dont")."""
    word = word.replace("\u2019", "'").strip("'")
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


def load_themes():
    """The 40 themes as TOML-ready dicts, in THEMES order."""
    files = {}
    themes = []
    for file, theme_id in THEMES:
        if file not in files:
            with open(os.path.join(REPO, "taxonomies", f"{file}.toml"), "rb") as f:
                files[file] = {t["id"]: t for t in tomllib.load(f)["themes"]}
        source = files[file][theme_id]
        theme = {"id": theme_id, "name": source["name"]}
        parent_stage = files[file].get(source.get("parent"), {}).get("stage")
        if parent_stage:
            theme["stage"] = parent_stage  # flattened: the child keeps its parent's journey stage
        for key in ("kind", "stage", "departments", "phrases", "keywords"):
            if key in source:
                theme[key] = source[key]
        themes.append(theme)
    ids = [t["id"] for t in themes]
    assert len(ids) == 40 and len(set(ids)) == 40, "the benchmark's taxonomy needs 40 distinct themes"
    return themes


def toml_value(value):
    """A TOML value: strings as JSON strings (valid TOML basic strings), lists of them."""
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def write_taxonomy(themes, path):
    lines = [
        "# The end-to-end benchmark's taxonomy, written by scripts/bench-e2e/make_workload.py from",
        "# taxonomies/banking77.toml, airline-tweets.toml, cfpb-sample.toml and demo.toml.",
        'name = "Benchmark: banking, airline and complaints"',
        'description = "40 themes over banking questions, airline tweets and consumer complaints"',
    ]
    for theme in themes:
        lines.append("")
        lines.append("[[themes]]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in theme.items())
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def surface_forms(texts, stemmer):
    """Each Snowball stem -> the words of the texts that have it, as written (lowercased)."""
    forms = {}
    for text, _, _ in texts:
        for word in set(WORD.findall(text.lower())):
            written = word.strip("'\u2019")
            if written[-2:] in ("'s", "\u2019s"):
                written = written[:-2]  # the regex finds "customer" inside "customer's"
            normal = normalise(word)
            if normal:
                forms.setdefault(stemmer.stemWord(normal), set()).add(written)
    return forms


def term_regex(term, forms, stemmer):
    """One phrase or keyword as the peer matches it: each word as any word of the texts with
    the same Snowball stem (Trove matches stems: "delayed" finds "delay", "delays"), whole words,
    words separated by spaces or hyphens."""
    parts = []
    for word in WORD.findall(term.lower()):
        stem = stemmer.stemWord(normalise(word))
        written = sorted(forms.get(stem, set()) | {word}, key=lambda w: (-len(w), w))
        parts.append("(?:" + "|".join(re.escape(w) for w in written) + ")")
    return r"[\s\-]+".join(parts)


def theme_regex(theme, forms, stemmer):
    terms = sorted(set(theme.get("phrases", []) + theme.get("keywords", [])), key=lambda t: (-len(t), t))
    return r"\b(?:" + "|".join(term_regex(t, forms, stemmer) for t in terms) + r")\b"


def load_texts(rng):
    """Every usable text with its source and (for the tweets) sentiment label, shuffled."""
    texts = []
    for split in ("train", "test"):
        with open(os.path.join(DATA, "banking77", f"{split}.csv"), newline="", encoding="utf-8") as f:
            texts += [(r["text"], "banking77", "") for r in csv.DictReader(f)]
    with open(os.path.join(DATA, "airline-tweets", "Tweets.csv"), newline="", encoding="utf-8") as f:
        texts += [(r["text"], "airline", r["airline_sentiment"]) for r in csv.DictReader(f)]
    with open(os.path.join(DATA, "cfpb-sample", "complaints_sample.csv"), newline="", encoding="utf-8") as f:
        narratives = (r["Consumer complaint narrative"] for r in csv.DictReader(f))
        texts += [(n, "cfpb", "") for n in narratives if n.strip()]
    rng.shuffle(texts)
    return texts


def draw_nps(rng, source, sentiment):
    """A seeded NPS: complaints and negative tweets mostly detractors, praise mostly promoters."""
    if source == "cfpb" or sentiment == "negative":
        return rng.choices(range(11), weights=[6, 4, 6, 8, 8, 10, 10, 6, 4, 2, 1])[0]
    if sentiment == "positive":
        return rng.choices(range(11), weights=[1, 0, 1, 1, 1, 2, 3, 6, 10, 14, 16])[0]
    return rng.choices(range(11), weights=[2, 1, 2, 3, 4, 6, 8, 12, 14, 10, 8])[0]


def write_feedback(rows, texts, rng, path):
    customers = max(1, rows // 5)
    span = int((END - START).total_seconds())
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "time", "customer", "business_unit", "channel", "nps", "text"])
        for i in range(rows):
            text, source, sentiment = texts[i % len(texts)]
            at = START + dt.timedelta(seconds=rng.randrange(span))
            out.writerow([
                f"fb-{i + 1:07d}",
                at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                f"c-{rng.randrange(customers) + 1:07d}",
                rng.choice(BUSINESS_UNITS),
                rng.choice(CHANNELS),
                draw_nps(rng, source, sentiment),
                text,
            ])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--out", required=True, help="folder to write into (made if missing)")
    args = parser.parse_args()
    if not os.path.isdir(DATA):
        sys.exit(f"error: {DATA} is missing: the workload needs the real texts of ../shared/data")
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)

    themes = load_themes()
    write_taxonomy(themes, os.path.join(args.out, "taxonomy.toml"))
    texts = load_texts(rng)
    stemmer = snowballstemmer.stemmer("english")  # the algorithm of Trove's rust-stemmers
    forms = surface_forms(texts, stemmer)
    regexes = {t["id"]: theme_regex(t, forms, stemmer) for t in themes}
    with open(os.path.join(args.out, "regexes.json"), "w", encoding="utf-8") as f:
        json.dump(regexes, f, indent=1)
        f.write("\n")

    write_feedback(args.rows, texts, rng, os.path.join(args.out, "feedback.csv"))
    print(f"{args.rows} rows from {len(texts)} distinct texts, 40 themes: {args.out}")


if __name__ == "__main__":
    main()
