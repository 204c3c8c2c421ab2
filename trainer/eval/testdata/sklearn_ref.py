#!/usr/bin/python3
"""Reference figures from scikit-learn for package eval's tests.

Writes sklearn_cases.json: small random test sets (seeded) with the figures
scikit-learn computes for them. Run from trainer/eval/testdata:

    /usr/bin/python3 sklearn_ref.py > sklearn_cases.json
"""
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score, average_precision_score, confusion_matrix, f1_score,
    precision_recall_curve, precision_recall_fscore_support, precision_score, recall_score,
    roc_auc_score,
    roc_curve)
from sklearn.utils.multiclass import unique_labels


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def multiclass_case(name, rng, n, k, decimals, unknown_frac, absent, skill):
    """A K-class test set. Scores are softmax of noisy logits that favour
    the true class by `skill`; rounding to `decimals` makes ties. A
    fraction of true labels become -1 (unknown to the model); class
    `absent` (if not None) never occurs in truth or prediction."""
    present = [c for c in range(k) if c != absent]
    y = rng.choice(present, size=n)
    z = rng.normal(size=(n, k))
    z[np.arange(n), y] += skill
    if absent is not None:
        z[:, absent] -= 100
    p = softmax(z)
    if decimals is not None:
        p = np.round(p, decimals)
    pred = p.argmax(axis=1)
    if unknown_frac > 0:
        y = np.where(rng.random(n) < unknown_frac, -1, y)

    known = [l for l in unique_labels(y, pred) if l != -1]
    prec, rec, f1, sup = precision_recall_fscore_support(
        y, pred, labels=list(range(k)), zero_division=0)
    cm = confusion_matrix(y, pred, labels=list(range(k)) + [-1])
    conf = cm[:k, :k].tolist()
    if (y == -1).any():
        conf.append(cm[k, :k].tolist())
    roc, ap, roc_pts, pr_pts = [], [], [], []
    for c in range(k):
        t = (y == c).astype(int)
        if 0 < t.sum() < n:
            roc.append(roc_auc_score(t, p[:, c]))
            fpr, tpr, _ = roc_curve(t, p[:, c], drop_intermediate=False)
            roc_pts.append(np.c_[fpr, tpr].tolist())
        else:
            roc.append(None)
            roc_pts.append(None)
        if t.sum() > 0:
            ap.append(average_precision_score(t, p[:, c]))
            pr, rc, _ = precision_recall_curve(t, p[:, c])
            pr_pts.append(np.c_[rc, pr].tolist())
        else:
            ap.append(None)
            pr_pts.append(None)
    out = {
        "name": name,
        "classes": ["c%d" % c for c in range(k)],
        "y": y.tolist(),
        "pred": pred.tolist(),
        "probs": p.ravel().tolist(),
        "accuracy": accuracy_score(y, pred),
        "macro_f1": f1_score(y, pred, labels=known, average="macro", zero_division=0),
        "weighted_f1": f1_score(y, pred, labels=known, average="weighted", zero_division=0),
        "precision": prec.tolist(),
        "recall": rec.tolist(),
        "f1": f1.tolist(),
        "support": sup.tolist(),
        "unknown_support": int((y == -1).sum()),
        "confusion": conf,
        "class_roc_auc": roc,
        "class_ap": ap,
        "roc_auc": float(np.mean([v for v in roc if v is not None])),
        "pr_auc": float(np.mean([v for v in ap if v is not None])),
        "roc_points": roc_pts,
        "pr_points": pr_pts,
    }
    # scikit-learn's own multiclass macro one-vs-rest AUC, where it applies
    # (all classes present, no unknown labels, rows summing to 1).
    if absent is None and unknown_frac == 0 and decimals is None:
        if k == 2:
            out["sklearn_ovr_macro"] = roc_auc_score(y, p[:, 1])
        else:
            out["sklearn_ovr_macro"] = roc_auc_score(y, p, multi_class="ovr", average="macro")
    return out


def outlier_case(name, rng, n, decimals):
    truth = rng.random(n) < 0.3
    s = rng.chisquare(4, size=n) + np.where(truth, rng.exponential(6, size=n), 0)
    s = np.round(s, decimals)
    thr = float(np.quantile(s[~truth], 0.9))
    flag = s > thr
    pr, rc, _ = precision_recall_curve(truth, s)
    fpr, tpr, _ = roc_curve(truth, s, drop_intermediate=False)
    return {
        "name": name,
        "truth": truth.tolist(),
        "scores": s.tolist(),
        "threshold": thr,
        "precision": precision_score(truth, flag, zero_division=0),
        "recall": recall_score(truth, flag, zero_division=0),
        "f1": f1_score(truth, flag, zero_division=0),
        "roc_auc": roc_auc_score(truth, s),
        "ap": average_precision_score(truth, s),
        "roc_points": np.c_[fpr, tpr].tolist(),
        "pr_points": np.c_[rc, pr].tolist(),
    }


def main():
    rng = np.random.default_rng(20261121)
    cases = [
        multiclass_case("binary_ties", rng, 60, 2, 1, 0, None, 1.0),
        multiclass_case("binary_exact", rng, 80, 2, None, 0, None, 1.5),
        multiclass_case("five_classes_exact", rng, 300, 5, None, 0, None, 1.2),
        multiclass_case("five_classes_ties_unknown", rng, 250, 5, 2, 0.08, None, 1.0),
        multiclass_case("four_classes_one_absent", rng, 120, 4, 1, 0, 2, 0.8),
        multiclass_case("three_classes_many_points", rng, 1000, 3, None, 0, None, 0.7),
    ]
    outliers = [outlier_case("outlier_ties", rng, 400, 1), outlier_case("outlier_exact", rng, 300, 8)]
    json.dump({"sklearn": sklearn.__version__, "numpy": np.__version__,
               "multiclass": cases, "outlier": outliers}, sys.stdout, indent=None)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
