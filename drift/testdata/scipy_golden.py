#!/usr/bin/env python3
"""Writes scipy_golden.json: the statistics drift ports, computed by
scipy, on samples both sides draw from the same integer generator (see
sample() here and in golden_test.go). Run from this directory:

    /usr/bin/python3 scipy_golden.py > scipy_golden.json
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

MASK = (1 << 64) - 1


def sample(seed, n, loc, scale, decimals):
    """n values: loc + scale * (u1 + u2 + u3 - 1.5), floored to decimals."""
    s = seed & MASK
    out = []
    f = 10.0 ** decimals
    for _ in range(n):
        t = 0.0
        for _ in range(3):
            s = (s * 6364136223846793005 + 1442695040888963407) & MASK
            t += (s >> 11) / 9007199254740992.0
        v = loc + scale * (t - 1.5)
        out.append(math.floor(v * f) / f)
    return out


def spec(seed, n, loc, scale, decimals):
    return {"seed": seed, "n": n, "loc": loc, "scale": scale, "decimals": decimals}


ks_cases = [
    # equal sizes: the square method
    (spec(1, 50, 0, 1, 6), spec(2, 50, 0.5, 1, 6)),
    (spec(3, 400, 0, 1, 6), spec(4, 400, 0.05, 1, 6)),
    # unequal sizes: the inside method
    (spec(5, 80, 0, 1, 6), spec(6, 120, 0.3, 1, 6)),
    (spec(7, 1000, 0, 1, 2), spec(8, 3000, 0.02, 1.1, 2)),
    (spec(9, 1000, 0, 1, 6), spec(10, 10000, 0, 1, 6)),
    (spec(11, 7, 0, 1, 6), spec(12, 13, 2, 1, 6)),
    # more than 10,000 values: the asymptotic branch, n = round(n1 n2/(n1+n2))
    (spec(13, 300, 0, 1, 6), spec(14, 12000, 0.01, 1, 6)),
    (spec(15, 300, 0, 1, 6), spec(16, 12000, 0.15, 1, 6)),
    (spec(17, 300, 0, 1, 6), spec(18, 12000, 0.5, 1, 6)),
    (spec(19, 100, 0, 1, 6), spec(20, 20000, 0.02, 1, 6)),
    (spec(21, 100, 0, 1, 6), spec(22, 20000, 0.2, 1, 6)),
    (spec(23, 100, 0, 1, 6), spec(24, 20000, 0.6, 1, 6)),
    (spec(25, 40, 0, 1, 6), spec(26, 15000, 2.5, 1, 6)),
    (spec(27, 900, 0, 1, 1), spec(28, 11000, 0.03, 1, 1)),
    # small n and n*D^2 <= 0.754693: the Durbin matrix
    (spec(51, 100, 0, 1, 6), spec(52, 20000, 0, 1, 6)),
    (spec(53, 120, 0, 1, 6), spec(54, 20000, 0, 1, 6)),
    (spec(55, 100, 0, 1, 6), spec(56, 20000, 0, 1, 6)),
    # n = round(n1 n2/(n1+n2)) above 100,000: the Pelz-Good branch
    (spec(37, 210000, 0, 1, 6), spec(38, 230000, 0.003, 1, 6)),
    (spec(39, 210000, 0, 1, 6), spec(40, 230000, 0.006, 1, 6)),
    # identical samples
    (spec(29, 200, 0, 1, 3), spec(29, 200, 0, 1, 3)),
]

out = {"scipy": scipy.__version__, "numpy": np.__version__, "ks": [], "wasserstein": [], "chisquare": [], "z": [], "jensenshannon": []}

for a, b in ks_cases:
    x, y = sample(**a), sample(**b)
    r = stats.ks_2samp(x, y)
    out["ks"].append({"a": a, "b": b, "statistic": float(r.statistic), "pvalue": float(r.pvalue)})

wd_cases = [
    (spec(31, 1500, 0, 1, 6), spec(32, 700, 0.3, 2, 6)),
    (spec(33, 5000, 10, 3, 1), spec(34, 4000, 10, 3, 1)),
    (spec(35, 2000, -5, 0.5, 6), spec(36, 2000, 5, 0.5, 6)),
]
for a, b in wd_cases:
    x, y = sample(**a), sample(**b)
    out["wasserstein"].append({"a": a, "b": b, "distance": float(stats.wasserstein_distance(x, y)), "std_a": float(np.std(x))})

chi_cases = [
    ([10, 20, 30], [12.0, 18.0, 30.0]),
    ([5, 0, 7, 100], [30.0, 30.0, 30.0, 22.0]),
    ([1000, 2000, 3000, 4000, 5000], [1010.0, 1990.0, 3020.0, 3980.0, 5000.0]),
    ([3, 4, 2], [2.25, 4.5, 2.25]),
]
for obs, exp in chi_cases:
    r = stats.chisquare(obs, exp)
    out["chisquare"].append({"obs": obs, "exp": exp, "statistic": float(r.statistic), "pvalue": float(r.pvalue)})


def evidently_z(ref1, n1, cur1, n2):
    # evidently/calculations/stattests/z_stattest.py, with scipy's norm.cdf
    p1 = float(ref1) / n1
    p2 = float(cur1) / n2
    P = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return float(z), float(2 * (1 - stats.norm.cdf(np.abs(z))))


for ref1, n1, cur1, n2 in [(30, 100, 45, 120), (500, 1000, 510, 1000), (1, 50, 20, 60), (900, 1000, 80, 100)]:
    z, p = evidently_z(ref1, n1, cur1, n2)
    out["z"].append({"ref1": ref1, "n1": n1, "cur1": cur1, "n2": n2, "statistic": z, "pvalue": p})

for p, q in [([0.5, 0.3, 0.2], [0.4, 0.4, 0.2]), ([0.9, 0.1, 0.0], [0.0, 0.1, 0.9]), ([1, 2, 3, 4], [4, 3, 2, 1]), ([0.25, 0.75], [0.25, 0.75])]:
    out["jensenshannon"].append({"p": p, "q": q, "distance": float(distance.jensenshannon(p, q, 2))})

json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
