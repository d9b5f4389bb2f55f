#!/usr/bin/env python3
"""The table of the end-to-end benchmark, from the files run.sh leaves in a run's folder:
GNU time's report of each stage (NAME.time), the peer's JSON line (peer.out) and the load
average before and after (load-before, load-after).

    python table.py RUN_DIR
"""
import json
import os
import sys

TROVE_STAGES = [
    ("trove-taxonomy", "taxonomy load"),
    ("trove-import", "import (tags, sentiment)"),
    ("trove-analyze", "analyze"),
    ("trove-issues", "issues (ranking)"),
]


def gnu_time(path):
    """Wall seconds, CPU seconds (user + system) and peak resident MB of one `time -v` report."""
    fields = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.strip().rpartition(": ")
            fields[key] = value
    wall = 0.0
    for part in fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"):
        wall = wall * 60 + float(part)
    cpu = float(fields["User time (seconds)"]) + float(fields["System time (seconds)"])
    return wall, cpu, int(fields["Maximum resident set size (kbytes)"]) / 1024


def row(name, wall, cpu, peak):
    peak_text = f"{peak:8.0f}" if peak is not None else " " * 8
    return f"{name:<30} {wall:9.2f} {cpu:9.2f} {peak_text}"


def main():
    run = sys.argv[1]
    header = f"{'stage':<30} {'wall s':>9} {'cpu s':>9} {'peak MB':>8}"
    lines = [header, "-" * len(header)]

    trove = [gnu_time(os.path.join(run, f"{name}.time")) for name, _ in TROVE_STAGES]
    for (_, label), (wall, cpu, peak) in zip(TROVE_STAGES, trove):
        lines.append(row(f"trove {label}", wall, cpu, peak))
    trove_wall = sum(w for w, _, _ in trove)
    trove_cpu = sum(c for _, c, _ in trove)
    trove_peak = max(p for _, _, p in trove)
    lines.append(row("trove total", trove_wall, trove_cpu, trove_peak))

    with open(os.path.join(run, "peer.out"), encoding="utf-8") as f:
        peer = json.loads(f.read().strip().splitlines()[-1])
    peer_wall, peer_cpu, peer_peak = gnu_time(os.path.join(run, "peer.time"))
    inside = sum(peer["seconds"].values())
    lines.append(f"{'peer start-up (imports)':<30} {peer_wall - inside:9.2f}")
    for stage, seconds in peer["seconds"].items():
        lines.append(f"{'peer ' + stage:<30} {seconds:9.2f}")
    lines.append(row("peer total", peer_wall, peer_cpu, peer_peak))
    lines.append("-" * len(header))
    lines.append(
        f"peer / trove: wall {peer_wall / trove_wall:.1f}x, cpu {peer_cpu / trove_cpu:.1f}x, "
        f"peak memory {peer_peak / trove_peak:.1f}x"
    )
    loads = []
    for moment in ("before", "after"):
        with open(os.path.join(run, f"load-{moment}"), encoding="utf-8") as f:
            loads.append(f"{moment} {' '.join(f.read().split()[:3])}")
    lines.append(f"load average (1, 5, 15 min): {'; '.join(loads)}; {os.cpu_count()} cores")
    lines.append(
        f"peer: {peer['items']} items, {peer['tags']} tags on {peer['tagged_items']} items, "
        f"{peer['negative_items']} negative, {len(peer['chronic'])} chronic themes"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
