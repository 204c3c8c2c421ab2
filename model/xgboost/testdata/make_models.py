#!/usr/bin/python3
"""Make the XGBoost test models and their expected predictions.

Run from this directory with Debian's python3-xgboost 1.7.4:

    /usr/bin/python3 make_models.py

Writes, for each model NAME in (multi, softmax, binary, dart, forest):
    NAME.json           the model, saved by Booster.save_model
    NAME_rows.csv       the input rows (float32 values, "nan" for missing)
    NAME_expected.csv   per row: XGBoost's margins (output_margin=True),
                        then its probabilities (predict_proba) or, for
                        multi:softmax, its predicted class
All numbers are written with repr() of the float32 value widened to
float64, so they read back bit-exactly.
"""
import csv
import json

import numpy as np
import xgboost as xgb

SEED = 7


def make_data(rng, n, d):
    """Gaussian features; the class depends on features 0 and 1, and on
    whether feature 2 is missing, so default directions matter."""
    X = rng.normal(size=(n, d)).astype(np.float32)
    miss2 = rng.random(n) < 0.25
    y = np.where(X[:, 0] > 0.3, 1, 0)
    y = np.where((X[:, 1] < -0.5) | miss2, 2, y)
    X[miss2, 2] = np.nan
    # 8% of the other cells are missing too.
    other = rng.random(X.shape) < 0.08
    other[:, 2] = False
    X[other] = np.nan
    return X, y


def thresholds(model_path, k):
    """Up to k (feature, split value) pairs from the model's first trees."""
    j = json.load(open(model_path))
    out = []
    gb = j["learner"]["gradient_booster"]
    if gb["name"] == "dart":
        gb = gb["gbtree"]
    for t in gb["model"]["trees"]:
        for i, left in enumerate(t["left_children"]):
            if left != -1:
                out.append((t["split_indices"][i], t["split_conditions"][i]))
            if len(out) >= k:
                return out
    return out


def probe_rows(rng, X, model_path):
    """Held-out rows, an all-missing row, and rows whose values sit exactly
    on split thresholds (where < and <= disagree)."""
    rows = [X[i].copy() for i in range(60)]
    rows.append(np.full(X.shape[1], np.nan, dtype=np.float32))
    for f, v in thresholds(model_path, 20):
        r = X[60 + len(rows) % 40].copy()
        r[f] = np.float32(v)
        rows.append(r)
    return np.array(rows, dtype=np.float32)


def fmt(v):
    v = float(v)
    return "nan" if np.isnan(v) else repr(v)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([fmt(v) for v in r])


def run(name, params, rounds, X, y, Xtest, names=None):
    dtrain = xgb.DMatrix(X, label=y, feature_names=names, missing=np.nan)
    bst = xgb.train(params, dtrain, num_boost_round=rounds)
    path = name + ".json"
    bst.save_model(path)
    rows = probe_rows(np.random.default_rng(SEED), Xtest, path)
    d = xgb.DMatrix(rows, feature_names=names, missing=np.nan)
    margin = bst.predict(d, output_margin=True)
    pred = bst.predict(d)
    if margin.ndim == 1:
        margin = margin[:, None]
    if params["objective"] == "binary:logistic":
        pred = np.stack([1 - pred, pred], axis=1)  # what predict_proba returns
    if pred.ndim == 1:
        pred = pred[:, None]
    hdr = names or ["f%d" % i for i in range(X.shape[1])]
    write_csv(name + "_rows.csv", hdr, rows)
    k = margin.shape[1]
    ph = ["class"] if params["objective"] == "multi:softmax" else ["prob_%d" % i for i in range(pred.shape[1])]
    write_csv(name + "_expected.csv", ["margin_%d" % i for i in range(k)] + ph,
              np.concatenate([margin.astype(np.float32), pred.astype(np.float32)], axis=1))


def main():
    rng = np.random.default_rng(SEED)
    X, y = make_data(rng, 1500, 6)
    Xtest, _ = make_data(rng, 200, 6)
    names = ["duration", "src_bytes", "dst_bytes", "count", "srv_count", "rate"]
    base = {"max_depth": 4, "eta": 0.3, "seed": SEED, "nthread": 1, "tree_method": "hist"}
    run("multi", dict(base, objective="multi:softprob", num_class=3, base_score=0.2), 20, X, y, Xtest, names)
    run("softmax", dict(base, objective="multi:softmax", num_class=3, max_depth=3), 8, X, y, Xtest)
    yb = (y == 2).astype(int)
    run("binary", dict(base, objective="binary:logistic", base_score=0.3), 20, X, yb, Xtest)
    # dart: every tree's output is scaled by its weight_drop at prediction.
    run("dart", dict(base, booster="dart", objective="multi:softprob", num_class=3, max_depth=3,
                     rate_drop=0.3, skip_drop=0.0), 10, X, y, Xtest)
    # A boosted random forest: 4 parallel trees per round and class.
    run("forest", dict(base, objective="binary:logistic", num_parallel_tree=4, subsample=0.7,
                       colsample_bynode=0.7, max_depth=3), 5, X, yb, Xtest)


if __name__ == "__main__":
    main()
