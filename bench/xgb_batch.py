#!/usr/bin/python3
"""The XGBoost half of bench/xgb_batch.sh: trains an XGBoost model on
CIC-IDS2017 (hist, nthread 1), writes it as JSON with the test rows as
float32 (row-major) for the flowsense half, and times XGBoost's own
inplace_predict on those rows, nthread 1, in batches of 256 (the module's
batch) and on the whole test set at once. Prints one JSON line.

Usage: bench/xgb_batch.py OUTDIR [DATA] [--rounds N] [--depth D]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowdata  # noqa: E402


def best_rate(fn, rows, reps):
    best = 0.0
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = max(best, rows / (time.perf_counter() - t))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("data", nargs="?", default=flowdata.default_data_dir())
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--depth", type=int, default=5)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    Xtr, ytr = flowdata.read_labelled_csv(a.data, "cicids2017/train.csv.gz", flowdata.CICIDS_DROP)
    Xte, _ = flowdata.read_labelled_csv(a.data, "cicids2017/test.csv.gz", flowdata.CICIDS_DROP)
    classes = sorted(set(ytr))
    y = np.array([classes.index(v) for v in ytr])
    clf = xgb.XGBClassifier(n_estimators=a.rounds, max_depth=a.depth, tree_method="hist", n_jobs=1)
    clf.fit(Xtr.to_numpy(np.float32), y)
    booster = clf.get_booster()
    booster.set_param({"nthread": 1})
    booster.save_model(os.path.join(a.out, "xgb.json"))
    X = np.ascontiguousarray(Xte.to_numpy(np.float32))
    X.tofile(os.path.join(a.out, "rows.f32"))
    with open(os.path.join(a.out, "features.txt"), "w") as f:
        f.write(",".join(c.replace(",", " ") for c in Xte.columns))
    n = X.shape[0] // 256 * 256

    def batches():
        for i in range(0, n, 256):
            booster.inplace_predict(X[i:i + 256])

    def whole():
        booster.inplace_predict(X[:n])

    booster.inplace_predict(X[:256])  # warm up
    print(json.dumps({
        "xgboost": xgb.__version__, "rows": n, "features": X.shape[1], "classes": len(classes),
        "trees": a.rounds * len(classes), "depth": a.depth,
        "xgb_batch256_flows_s": round(best_rate(batches, n, a.reps)),
        "xgb_whole_flows_s": round(best_rate(whole, n, a.reps)),
    }))


if __name__ == "__main__":
    main()
