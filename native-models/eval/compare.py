"""Compare two `npm run eval:mini` runs (same prompts and seeds), e.g. the Quality and Fast presets.

    /usr/bin/python3 native-models/eval/compare.py QUALITY_DIR[,DIR...] FAST_DIR[,DIR...] [--bar 2]

Each DIR holds the run's score.json (`--json DIR/score.json`) and unet-evaluations.json (written to
`--out DIR`); several DIRs on one side (runs with other `--seed-offset`s) are pooled. Prints the U-Net rows and times of both runs, then, for every row (kind, group,
guidance) and column of the accuracy table: both shares, the difference (second minus first, in
points), the binomial standard error of that difference at the claims' counts,
sqrt(p1(1-p1)/n1 + p2(1-p2)/n2), and a verdict against the bar: "ok" when the second run is at most
`--bar` points below the first, otherwise "MISS" with "(within noise)" when the shortfall is under
two standard errors. The two runs share prompts and seeds, so the unpaired error is conservative.

--paired scores every image again (score.py's score_item) and pairs each image of the second run
with the image of the first that has the same file name (same prompt, case and seed) in the folder at
the same place in its list (the same --seed-offset). Both runs start from the same noise, so most
claims agree and only the pairs that disagree carry information; the paired standard error is the
images-clustered error of the difference of the shares (claims of one image move together), and the
verdict then uses it. The table adds the discordant claims: how many held only in the first run and
only in the second.
"""
import argparse
import json
import math
import os
import sys

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
        # clipSettings (older runs: the CLIP rows alone) and oneRowSettings (the CLIP rows and
        # those at guidance 1) are kept apart: the guidance-1 rows of the two ran other steps. So
        # are runs with strongGuidanceSettings (rows above their mode's default guidance) and
        # older runs without, whose rows at guidance 5 ran the default steps.
        if any(run.get(key) != evaluations.get(key)
               for key in ("settings", "clipSettings", "oneRowSettings", "strongGuidanceSettings")):
            raise SystemExit(f"{folder}: other settings than {folders.split(',')[0]}")
        for section in run["sections"]:
            match = [s for s in evaluations["sections"] if s["section"] == section["section"]]
            if not match:
                evaluations["sections"].append(section)
                continue
            for field in ("images", "baseRows", "upsampleRows", "seconds"):
                match[0][field] += section[field]
    return rows, evaluations


def row_key(item):
    return (item.get("kind", "text2im"), item.get("group", ""), item.get("mode", "classifier-free"),
            item.get("guidance"))


def score_folder(folder):
    """{image file name: (row key, {column: [claim holds, ...]})} for one run's items.json."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import score  # noqa: E402  (imports numpy and the detector only when pairing)

    with open(os.path.join(folder, "items.json")) as handle:
        items = json.load(handle)
    scored = {}
    for item in items:
        claims = score.score_item(item, folder)
        scored[item["image"]] = (row_key(item), {c: v for c, v in claims.items() if isinstance(v, list)})
    return scored


def paired_claims(first_runs, second_runs):
    """{(row key, column): [(first's claims, second's claims) per image]} over paired images:
    run i of the first side with run i of the second, images matched by file name."""
    if len(first_runs) != len(second_runs):
        raise SystemExit("--paired needs as many folders on each side, in the same seed order")
    pairs = {}
    for first, second in zip(first_runs, second_runs):
        for image, (key, first_claims) in first.items():
            if image not in second:
                continue
            second_key, second_claims = second[image]
            if second_key != key:
                continue
            for column, a in first_claims.items():
                b = second_claims.get(column)
                if b is None or len(b) != len(a) or not a:
                    continue
                pairs.setdefault((key, column), []).append((a, b))
    return pairs


def paired_difference(pairs):
    """(difference of shares in points, its images-clustered standard error, claims that held only
    in the first, only in the second) for [(first's claims, second's claims) per image]."""
    claims = sum(len(a) for a, _ in pairs)
    per_image = [sum(b) - sum(a) for a, b in pairs]
    diff = sum(per_image) / claims
    images = len(pairs)
    if images < 2:
        se = 0.0
    else:
        residuals = sum((d - diff * len(a)) ** 2 for d, (a, _) in zip(per_image, pairs))
        se = math.sqrt(images / (images - 1) * residuals) / claims
    first_only = sum(1 for a, b in pairs for x, y in zip(a, b) if x and not y)
    second_only = sum(1 for a, b in pairs for x, y in zip(a, b) if y and not x)
    return 100 * diff, 100 * se, first_only, second_only


def evaluation_lines(name, evaluations):
    lines = [f"{name}: preset {evaluations['preset']}, settings {json.dumps(evaluations['settings'])}"]
    if "clipSettings" in evaluations:
        lines.append(f"  CLIP rows: {json.dumps(evaluations['clipSettings'])}")
    if "oneRowSettings" in evaluations:
        lines.append(f"  CLIP rows and guidance 1: {json.dumps(evaluations['oneRowSettings'])}")
    if "strongGuidanceSettings" in evaluations:
        lines.append("  guidance above the mode's default: "
                     f"{json.dumps(evaluations['strongGuidanceSettings'])}")
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
    parser.add_argument("--paired", action="store_true")
    args = parser.parse_args()
    pairs = {}
    if args.paired:
        pairs = paired_claims([score_folder(f) for f in args.first.split(",")],
                              [score_folder(f) for f in args.second.split(",")])
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
            f"{'diff':>7} {'SE':>6}" + (f" {'pSE':>5} {'only1':>5} {'only2':>5}" if args.paired else "")
            + f"  verdict (bar: {second_name} at most {args.bar:g} points below)")
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
            paired = ""
            if args.paired and (key, column) in pairs:
                _, se, first_only, second_only = paired_difference(pairs[(key, column)])
                paired = f" {se:5.1f} {first_only:>5} {second_only:>5}"
            elif args.paired:
                paired = f" {'-':>5} {'-':>5} {'-':>5}"
            if diff >= -args.bar - 1e-9:
                verdict = "ok"
            else:
                verdict = "MISS" + (" (within noise: < 2 SE)" if -diff < 2 * se else " (beyond 2 SE)")
                misses.append((key, column))
            lines.append(f"{kind:8} {group:16} {guid:>4} {column:>10} {an:>6} {100 * pa:7.1f}% "
                         f"{100 * pb:7.1f}% {diff:+6.1f} {100 * math.sqrt(pa * (1 - pa) / an + pb * (1 - pb) / bn):6.1f}"
                         f"{paired}  {verdict}")
    lines.append("")
    lines.append(f"{len(misses)} cells more than {args.bar:g} points below {first_name}."
                 if misses else f"Every cell within {args.bar:g} points of {first_name} (or above it).")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
