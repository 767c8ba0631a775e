"""Compare two `npm run eval:mini` runs (same prompts and seeds), e.g. the Quality and Fast presets.

    /usr/bin/python3 native-models/eval/compare.py QUALITY_DIR[,DIR...] FAST_DIR[,DIR...] [--bar 2]

Each DIR holds the run's score.json (`--json DIR/score.json`) and unet-evaluations.json (written to
`--out DIR`); several DIRs on one side (runs with other `--seed-offset`s) are pooled. Prints the U-Net rows and times of both runs, then, for every row (kind, group,
guidance) and column of the accuracy table: both shares, the difference (second minus first, in
points), the binomial standard error of that difference at the claims' counts,
sqrt(p1(1-p1)/n1 + p2(1-p2)/n2), and a verdict against the bar: "ok" when the second run is at most
`--bar` points below the first, otherwise "MISS" with "(within noise)" when the shortfall is under
two standard errors. The two runs share prompts and seeds, so the unpaired error is conservative.
"""
import argparse
import json
import math
import os

COLUMNS = ["colour", "shape", "size", "position", "relation", "background", "count", "all",
           "1-obj c+s", "1-obj pos", "in-mask", "outside", "success"]


def load(folders):
    """One side of the comparison: the runs in a comma-separated list of folders, pooled (claim
    counts, images, U-Net rows and seconds added up per row and section)."""
    rows, evaluations = {}, None
    for folder in folders.split(","):
        with open(os.path.join(folder, "score.json")) as handle:
            for row in json.load(handle):
                key = (row["kind"], row["group"], row["mode"], row["guidance"])
                pooled = rows.setdefault(key, {"counts": {}})
                for column, (hits, total) in row.get("counts", {}).items():
                    previous = pooled["counts"].get(column, [0, 0])
                    pooled["counts"][column] = [previous[0] + hits, previous[1] + total]
        with open(os.path.join(folder, "unet-evaluations.json")) as handle:
            run = json.load(handle)
        if evaluations is None:
            evaluations = run
            continue
        if run["settings"] != evaluations["settings"]:
            raise SystemExit(f"{folder}: other settings than {folders.split(',')[0]}")
        for section in run["sections"]:
            match = [s for s in evaluations["sections"] if s["section"] == section["section"]]
            if not match:
                evaluations["sections"].append(section)
                continue
            for field in ("images", "baseRows", "upsampleRows", "seconds"):
                match[0][field] += section[field]
    return rows, evaluations


def evaluation_lines(name, evaluations):
    lines = [f"{name}: preset {evaluations['preset']}, settings {json.dumps(evaluations['settings'])}"]
    for section in evaluations["sections"]:
        images = section["images"] or 1
        total = section["baseRows"] + section["upsampleRows"]
        lines.append(
            f"  {section['section']:<12} {section['images']:>4} images  base {section['baseRows']:>7} "
            f"({section['baseRows'] / images:6.1f}/img)  upsampler {section['upsampleRows']:>6} "
            f"({section['upsampleRows'] / images:5.1f}/img)  total {total:>7} ({total / images:6.1f}/img)  "
            f"{section['seconds']:6.0f} s ({section['seconds'] / images:.2f} s/img)")
    return lines


def totals(evaluations):
    images = sum(s["images"] for s in evaluations["sections"])
    rows = sum(s["baseRows"] + s["upsampleRows"] for s in evaluations["sections"])
    seconds = sum(s["seconds"] for s in evaluations["sections"])
    return images, rows, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--bar", type=float, default=2.0)
    args = parser.parse_args()
    first_rows, first_evals = load(args.first)
    second_rows, second_evals = load(args.second)
    first_name = first_evals["preset"]
    second_name = second_evals["preset"]
    if first_name == second_name:
        first_name, second_name = "first", "second"

    lines = ["U-Net evaluations (rows: the batch of every denoise call, both stages)"]
    lines += evaluation_lines(first_name, first_evals)
    lines += evaluation_lines(second_name, second_evals)
    for section in first_evals["sections"]:
        match = [s for s in second_evals["sections"] if s["section"] == section["section"]]
        if not match or not section["images"] or not match[0]["images"]:
            continue
        a = (section["baseRows"] + section["upsampleRows"]) / section["images"]
        b = (match[0]["baseRows"] + match[0]["upsampleRows"]) / match[0]["images"]
        ta = section["seconds"] / section["images"]
        tb = match[0]["seconds"] / match[0]["images"]
        lines.append(f"  {section['section']:<12} {second_name}/{first_name}: U-Net rows {b / a:.3f} "
                     f"({b:.1f} / {a:.1f} per image), time {tb / ta:.3f} ({tb:.2f} / {ta:.2f} s per image)")
    fi, fr, fs = totals(first_evals)
    si, sr, ss = totals(second_evals)
    lines.append(f"  all: {first_name} {fr} rows / {fi} images in {fs:.0f} s; "
                 f"{second_name} {sr} rows / {si} images in {ss:.0f} s; rows ratio {sr / si / (fr / fi):.3f}, "
                 f"time ratio {ss / si / (fs / fi):.3f}")
    lines.append("")
    head = (f"{'kind':8} {'group':16} {'guid':>4} {'column':>10} {'claims':>6} {first_name:>8} {second_name:>8} "
            f"{'diff':>7} {'SE':>6}  verdict (bar: {second_name} at most {args.bar:g} points below)")
    lines += [head, "-" * len(head)]
    misses = []
    for key in sorted(first_rows, key=lambda k: (k[0], k[1], k[2], k[3] or 0)):
        if key not in second_rows:
            continue
        kind, group, mode, guidance = key
        guid = f"c{guidance:g}" if mode == "clip" else f"{guidance:g}"
        a_counts = first_rows[key].get("counts", {})
        b_counts = second_rows[key].get("counts", {})
        for column in COLUMNS:
            if column not in a_counts or column not in b_counts:
                continue
            ah, an = a_counts[column]
            bh, bn = b_counts[column]
            if not an or not bn:
                continue
            pa, pb = ah / an, bh / bn
            diff = 100 * (pb - pa)
            se = 100 * math.sqrt(pa * (1 - pa) / an + pb * (1 - pb) / bn)
            if diff >= -args.bar - 1e-9:
                verdict = "ok"
            else:
                verdict = "MISS" + (" (within noise: < 2 SE)" if -diff < 2 * se else " (beyond 2 SE)")
                misses.append((key, column))
            lines.append(f"{kind:8} {group:16} {guid:>4} {column:>10} {an:>6} {100 * pa:7.1f}% "
                         f"{100 * pb:7.1f}% {diff:+6.1f} {se:6.1f}  {verdict}")
    lines.append("")
    lines.append(f"{len(misses)} cells more than {args.bar:g} points below {first_name}."
                 if misses else f"Every cell within {args.bar:g} points of {first_name} (or above it).")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
