#!/usr/bin/python3
"""Write XGBoost's own TreeSHAP values for the test models.

Run from this directory with Debian's python3-xgboost 1.7.4, after
make_models.py (it reads the models and probe rows that script wrote and
changes neither):

    /usr/bin/python3 make_contribs.py

Writes, for each model NAME in (multi, softmax, binary, dart, forest):
    NAME_contribs.csv   per probe row, Booster.predict(pred_contribs=True):
                        for each output j (one for binary:logistic, one per
                        class otherwise) the F feature contributions, then
                        the bias, as columns out<j>_<feature> and out<j>_bias
Numbers are repr() of XGBoost's float32 values widened to float64.
"""
import csv

import numpy as np
import xgboost as xgb


def fmt(v):
    v = float(v)
    return "nan" if np.isnan(v) else repr(v)


def main():
    for name in ("multi", "softmax", "binary", "dart", "forest"):
        bst = xgb.Booster()
        bst.load_model(name + ".json")
        with open(name + "_rows.csv") as f:
            r = csv.reader(f)
            hdr = next(r)
            rows = np.array([[float(v) for v in line] for line in r], dtype=np.float32)
        names = hdr if hdr[0] != "f0" else None
        d = xgb.DMatrix(rows, feature_names=names, missing=np.nan)
        c = bst.predict(d, pred_contribs=True)
        if c.ndim == 2:
            c = c[:, None, :]
        k, width = c.shape[1], c.shape[2]
        cols = []
        for j in range(k):
            cols += ["out%d_%s" % (j, h) for h in hdr] + ["out%d_bias" % j]
        assert width == len(hdr) + 1
        with open(name + "_contribs.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            for row in c.reshape(len(rows), k * width):
                w.writerow([fmt(v) for v in row])


if __name__ == "__main__":
    main()
