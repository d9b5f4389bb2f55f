#!/usr/bin/env python3
"""Posts a JSON Lines file of feedback items to Trove's API in batches (standard library only).

Each line is one item in Trove's own shape: {"id": "...", "text": "...", "nps": 9, ...}; the
id is required (a retry of the same source and id adds nothing, so re-running after a failure
is safe). The token comes from the TROVE_TOKEN environment variable, never from the command
line (where other users of the machine could read it):

    TROVE_TOKEN=trove_... examples/post-feedback.py --url http://127.0.0.1:8080 \\
        --channel survey feedback.jsonl

Prints one line per batch on standard error and the totals as JSON on standard output; exits 1
when an item was refused (each named by its line and field) or a batch failed.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

MAX_BATCH = 1000  # the API's limit per request


def batches(path, size):
    """Yields lists of at most `size` (line number, item) pairs; blank lines are skipped."""
    batch = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as error:
                sys.exit(f"{path}:{number}: not JSON: {error}")
            batch.append((number, item))
            if len(batch) == size:
                yield batch
                batch = []
    if batch:
        yield batch


def post(url, token, items, retries=5):
    """Posts one batch; retries on 429 (after Retry-After) and on connection errors."""
    body = json.dumps({"items": items}).encode("utf-8")
    for attempt in range(retries):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 429 and attempt + 1 < retries:
                time.sleep(int(error.headers.get("Retry-After", "5")))
                continue
            detail = error.read().decode("utf-8", "replace")
            raise SystemExit(f"the API refused the batch ({error.code}): {detail}")
        except urllib.error.URLError as error:
            if attempt + 1 < retries:
                time.sleep(2**attempt)
                continue
            raise SystemExit(f"cannot reach {url}: {error.reason}")
    raise SystemExit("gave up after retries")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="a JSON Lines file, one item per line")
    parser.add_argument("--url", required=True, help="Trove's address, e.g. http://127.0.0.1:8080")
    parser.add_argument("--source", help="the items' source (default: the token's one source)")
    parser.add_argument("--channel", help="the channel of items that give none")
    parser.add_argument("--batch", type=int, default=MAX_BATCH, help="items per request (max 1000)")
    args = parser.parse_args()
    token = os.environ.get("TROVE_TOKEN")
    if not token:
        sys.exit("set TROVE_TOKEN to a token with the ingest:SOURCE scope (`trove token create`)")
    if not 1 <= args.batch <= MAX_BATCH:
        sys.exit(f"--batch is between 1 and {MAX_BATCH}")
    query = {k: v for k, v in (("source", args.source), ("channel", args.channel)) if v}
    url = args.url.rstrip("/") + "/api/v1/feedback"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    totals = {"received": 0, "stored": 0, "duplicates": 0, "rejected": 0, "errors": []}
    for batch in batches(args.file, args.batch):
        lines = [number for number, _ in batch]
        result = post(url, token, [item for _, item in batch])
        for key in ("received", "stored", "duplicates", "rejected"):
            totals[key] += result[key]
        for error in result["errors"]:
            line = lines[error["index"]]
            totals["errors"].append({"line": line, "field": error["field"], "message": error["message"]})
            print(f"{args.file}:{line}: {error['field'] or '-'}: {error['message']}", file=sys.stderr)
        print(
            f"lines {lines[0]}-{lines[-1]}: {result['stored']} stored, "
            f"{result['duplicates']} already there, {result['rejected']} refused "
            f"(import run {result['import_run']})",
            file=sys.stderr,
        )
    json.dump(totals, sys.stdout)
    print()
    sys.exit(1 if totals["rejected"] else 0)


if __name__ == "__main__":
    main()
