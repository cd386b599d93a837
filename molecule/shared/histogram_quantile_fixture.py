#!/usr/bin/python3
"""FIXTURE (tests only, never a product code path): stands in for SigNoz's histogram-quantile
release binary, which cannot be downloaded here (no GitHub). Same layout in its archive
(bin/histogram-quantile, README.md, LICENSE) and same contract as the upstream executable UDF:
ClickHouse writes one CSV row per call on stdin, `[buckets],[counts],quantile` (buckets are the
upper bounds, counts cumulative, the last bucket +Inf), and reads one Float64 per row on stdout.
"""

import csv
import json
import math
import sys


def quantile(bounds, counts, q):
    if not counts or counts[-1] == 0 or not 0 <= q <= 1:
        return math.nan
    rank = q * counts[-1]
    for i, (bound, count) in enumerate(zip(bounds, counts, strict=True)):
        if count >= rank:
            if math.isinf(bound):
                return bounds[i - 1] if i > 0 else math.nan
            lower = bounds[i - 1] if i > 0 else 0.0
            below = counts[i - 1] if i > 0 else 0.0
            in_bucket = count - below
            return lower + (bound - lower) * ((rank - below) / in_bucket if in_bucket else 0.0)
    return math.nan


def main():
    for row in csv.reader(sys.stdin):
        bounds = [float(x) for x in json.loads(row[0].replace("inf", "Infinity"))]
        counts = [float(x) for x in json.loads(row[1])]
        print(quantile(bounds, counts, float(row[2])), flush=True)


if __name__ == "__main__":
    main()
