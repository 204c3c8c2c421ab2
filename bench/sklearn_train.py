#!/usr/bin/python3
"""The scikit-learn half of the whole-process training-time comparison.

Reads NSL-KDD KDDTrain+ and KDDTest+, maps labels to kdd5, one-hot encodes
protocol_type/service/flag (fitted on train, handle_unknown='ignore'), fits
HistGradientBoostingClassifier(random_state=0), predicts the test set, and
prints one JSON line:

    {"read_s":..,"fit_s":..,"predict_s":..,"total_s":..,"accuracy":..,"macro_f1":..}

read_s covers reading, label mapping and encoding; total_s runs from the start
of the script (before the scikit-learn imports) to the end of scoring.
bench/train_vs_sklearn.sh runs it as a whole process next to `flowsense train`.
It is not a general trainer; run it with /usr/bin/python3 (Debian's
python3-sklearn and python3-pandas).

Usage: /usr/bin/python3 bench/sklearn_train.py [DATA_DIR]
DATA_DIR defaults to $FLOWSENSE_DATA, else ../shared/data from the repo root.
"""

import time

T_START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

try:
    import numpy as np
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.preprocessing import OneHotEncoder
except ImportError as e:  # pragma: no cover - environment check
    sys.exit(f"sklearn_train: {e}; run with /usr/bin/python3 after "
             "apt-get install python3-sklearn python3-pandas")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowdata  # noqa: E402


def main(argv):
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        sys.exit("usage: sklearn_train.py [DATA_DIR]")
    data_dir = argv[0] if argv else flowdata.default_data_dir()

    t0 = time.perf_counter()
    try:
        mapping = flowdata.kdd5_map(data_dir)
        Ftr, ltr = flowdata.read_kdd(data_dir, "KDDTrain+.txt.gz")
        Fte, lte = flowdata.read_kdd(data_dir, "KDDTest+.txt.gz")
        ytr = flowdata.map_kdd(ltr, mapping, "KDDTrain+.txt.gz", "kdd5")
        yte = flowdata.map_kdd(lte, mapping, "KDDTest+.txt.gz", "kdd5")
    except flowdata.DataError as e:
        sys.exit(f"sklearn_train: {e}")
    enc = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
          flowdata.KDD_CATEGORICAL)],
        remainder="passthrough")
    Xtr = enc.fit_transform(Ftr).astype(np.float64)
    Xte = enc.transform(Fte).astype(np.float64)
    t1 = time.perf_counter()

    model = HistGradientBoostingClassifier(random_state=0)
    model.fit(Xtr, ytr)
    t2 = time.perf_counter()
    pred = model.predict(Xte)
    t3 = time.perf_counter()

    acc = accuracy_score(yte, pred)
    f1 = f1_score(yte, pred, average="macro", zero_division=0)
    t4 = time.perf_counter()
    print(json.dumps({
        "read_s": round(t1 - t0, 4),
        "fit_s": round(t2 - t1, 4),
        "predict_s": round(t3 - t2, 4),
        "total_s": round(t4 - T_START, 4),
        "accuracy": round(float(acc), 6),
        "macro_f1": round(float(f1), 6),
    }, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
