"""Writes notebook_batches.json: the rows of alibi-detect's KDD Cup example.

alibi-detect's od_mahalanobis_kddcup notebook draws its batches with numpy's
global legacy RandomState (np.random.seed, then pandas DataFrame.sample,
which calls RandomState.choice). This script replays those draws with
RandomState.choice directly and records, as row numbers of
kddcup.data_10_percent (0-based, file order), the batches the notebook
used, so that the Go test can feed the very same rows to the Go detector:

  mean, std   per-feature mean and population standard deviation of the
              100,000 normal rows drawn with replacement after seed 0
  threshold   the 1000-row batch (950 normal, 50 attack) drawn after seed 0
  batches[s]  the 1000-row batch (900 normal, 100 attack) drawn after
              seed s, s = 1..20 (the notebook predicts only seed 1)

Usage: python3 notebook_batches.py PATH/kddcup.data_10_percent.gz > notebook_batches.json
Needs numpy and pandas (Debian: python3-numpy python3-pandas).
"""
import json
import sys

import numpy as np
import pandas as pd

FEATURES = [  # the 18 traffic features, columns 23..40 (0-based) of the file
    "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
    "same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
    "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
    "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
    "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
]

raw = pd.read_csv(sys.argv[1], header=None)
x = raw.iloc[:, 23:41].to_numpy(dtype=float)
attack = (raw.iloc[:, 41] != "normal.").to_numpy()
normal_rows = np.flatnonzero(~attack)
attack_rows = np.flatnonzero(attack)


def draw(pool, k):
    # DataFrame.sample(n=k): with replacement only when k > len(pool).
    return pool[np.random.choice(len(pool), k, replace=not k < len(pool) + 1)]


def batch(n, percent):
    n_attack = int(percent * 0.01 * n)
    n_normal = int((100 - percent) * 0.01 * n)
    rows = np.concatenate([draw(normal_rows, n_normal), draw(attack_rows, n_attack)])
    return rows[np.random.choice(len(rows), len(rows), replace=False)]  # sample(frac=1)


np.random.seed(0)
fit = batch(100000, 0)
out = {"mean": x[fit].mean(axis=0).tolist(), "std": x[fit].std(axis=0).tolist()}
np.random.seed(0)
out["threshold"] = batch(1000, 5).tolist()
out["batches"] = []
for seed in range(1, 21):
    np.random.seed(seed)
    out["batches"].append(batch(1000, 10).tolist())
json.dump(out, sys.stdout, separators=(",", ":"))
print()
