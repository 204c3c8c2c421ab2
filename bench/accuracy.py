#!/usr/bin/python3
"""Cross-dataset accuracy benchmark: flowsense's defaults against three peers.

Every labelled set in the shared data directory, the same files for every
model, one thread each:

    nsl-kdd/kdd5     KDDTrain+ -> KDDTest+, labels mapped to normal/dos/probe/r2l/u2r
    nsl-kdd/binary   KDDTrain+ -> KDDTest+, normal/attack
    cicids2017       train.csv.gz -> test.csv.gz, 16 classes
    apa-ddos         train.csv.gz -> test.csv.gz, ip.src/ip.dst/frame.time dropped
    kddcup99/kdd5    kddcup.data_10_percent -> corrected (17 attack names the
                     training file never shows), labels mapped to kdd5; the
                     set nobody tuned on

Peers (scikit-learn 1.2 and XGBoost 1.7 from Debian, defaults unless said):
    rf      RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0)
    hgb     HistGradientBoostingClassifier(random_state=0), categoricals as codes
    hgbcat  the same with categorical_features= the symbolic columns (KDD sets only)
    xgb     XGBClassifier(tree_method="hist", n_estimators=200, max_depth=6, n_jobs=1)
The KDD symbolic columns (protocol_type, service, flag) are integer codes
(OrdinalEncoder fitted on train, sorted categories, an unseen test value -1):
the columns flowsense itself reads. NaN is filled with 0 for rf only.

flowsense: `flowsense train --data TRAIN --test TEST --threads 1 --seed S`
for each seed of --seeds, as a whole process; its figures come from the
metrics.json it writes.

Reported per model: accuracy and macro-F1 on the test file (scikit-learn's
macro average over the classes in the truth or the predictions), fit seconds
(peers: model.fit alone; flowsense: the trainer's train_seconds, which also
fits the outlier detector), process seconds (flowsense: the whole process,
reading and writing included), model bytes (rf/hgb: pickle; xgb: its JSON
model file; flowsense: model.wasm).

--split dev judges on the training file alone, for tuning: peers get a
stratified 25 % hold-out of it (scikit-learn, random_state 42) and flowsense
its own stratified 25 % hold-out (seed 42), so the test files are never
read. Tune there, judge on the default --split test.

Usage:
    /usr/bin/python3 bench/accuracy.py [DATA_DIR] [--tasks T,..] [--models M,..]
        [--seeds 1-5] [--fs bin/flowsense] [--fs-args "--rounds 100"] [--split test|dev]
        [--json PATH]
    /usr/bin/python3 bench/accuracy.py [DATA_DIR] --time-xgb TASK
        one JSON line: the XGBoost peer's read, fit and whole-process seconds
        (the half of bench/accuracy.sh's training-time comparison)
"""

import os

# One thread for every library, set before numpy, scikit-learn and XGBoost
# load their OpenMP runtimes.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import shlex  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

try:
    import numpy as np
    import pandas as pd
    import sklearn
    import xgboost
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OrdinalEncoder
except ImportError as e:  # pragma: no cover - environment check
    sys.exit(f"accuracy: {e}; run with /usr/bin/python3 after "
             "apt-get install python3-sklearn python3-xgboost python3-pandas")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flowdata  # noqa: E402

TASKS = {
    "nsl-kdd/kdd5": dict(kind="nsl", train="KDDTrain+.txt.gz", test="KDDTest+.txt.gz",
                         scheme="kdd5", fs=["--label-map", "kdd5"]),
    "nsl-kdd/binary": dict(kind="nsl", train="KDDTrain+.txt.gz", test="KDDTest+.txt.gz",
                           scheme="binary", fs=["--label-map", "binary"]),
    "cicids2017": dict(kind="csv", train="cicids2017/train.csv.gz", test="cicids2017/test.csv.gz",
                       drop=flowdata.CICIDS_DROP, fs=[]),
    "apa-ddos": dict(kind="csv", train="apa-ddos/train.csv.gz", test="apa-ddos/test.csv.gz",
                     drop=flowdata.APA_DROP, fs=["--drop", ",".join(flowdata.APA_DROP)]),
    "kddcup99/kdd5": dict(kind="kdd99", train="kddcup.data_10_percent.gz", test="corrected.gz",
                          scheme="kdd5", fs=["--label-map", "kdd5"]),
}
PEERS = ["rf", "hgb", "hgbcat", "xgb"]
MODELS = PEERS + ["flowsense"]
NAMES = {
    "rf": "random forest (100)",
    "hgb": "HistGradientBoosting",
    "hgbcat": "HistGradientBoosting, native categorical",
    "xgb": "XGBoost (hist, 200 x depth 6)",
    "flowsense": "flowsense",
}


def fs_paths(data_dir, spec):
    """The train and test paths flowsense reads for a task."""
    sub = {"nsl": "nsl-kdd", "kdd99": "kddcup99"}.get(spec["kind"])
    if sub:
        return os.path.join(data_dir, sub, spec["train"]), os.path.join(data_dir, sub, spec["test"])
    return os.path.join(data_dir, spec["train"]), os.path.join(data_dir, spec["test"])


class Task:
    """One train/test split as float64 matrices, with its symbolic columns."""

    def __init__(self, name, Xtr, ytr, Xte, yte, cat):
        self.name, self.Xtr, self.ytr, self.Xte, self.yte, self.cat = name, Xtr, ytr, Xte, yte, cat


def encode_kdd(Ftr, Fte):
    """KDD frames as float64 matrices, the symbolic columns as ordinal codes."""
    cat = [list(Ftr.columns).index(c) for c in flowdata.KDD_CATEGORICAL]
    enc = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    Xtr, Xte = Ftr.copy(), Fte.copy()
    Xtr[flowdata.KDD_CATEGORICAL] = enc.fit_transform(Ftr[flowdata.KDD_CATEGORICAL])
    Xte[flowdata.KDD_CATEGORICAL] = enc.transform(Fte[flowdata.KDD_CATEGORICAL])
    return Xtr.to_numpy(np.float64), Xte.to_numpy(np.float64), cat


def load_task(data_dir, name, split):
    spec = TASKS[name]
    if spec["kind"] in ("nsl", "kdd99"):
        read = flowdata.read_kdd if spec["kind"] == "nsl" else flowdata.read_kddcup99
        mapping = flowdata.kdd5_map(data_dir)
        Ftr, ltr = read(data_dir, spec["train"])
        ytr = flowdata.map_kdd(ltr, mapping, spec["train"], spec["scheme"])
        if split == "dev":
            Ftr, Fte, ytr, yte = train_test_split(Ftr, ytr, test_size=0.25, random_state=42, stratify=ytr)
        else:
            Fte, lte = read(data_dir, spec["test"])
            yte = flowdata.map_kdd(lte, mapping, spec["test"], spec["scheme"])
        Xtr, Xte, cat = encode_kdd(Ftr, Fte)
        return Task(name, Xtr, np.asarray(ytr), Xte, np.asarray(yte), cat)
    Ftr, ytr = flowdata.read_labelled_csv(data_dir, spec["train"], spec["drop"])
    if split == "dev":
        Ftr, Fte, ytr, yte = train_test_split(Ftr, ytr, test_size=0.25, random_state=42, stratify=ytr)
    else:
        Fte, yte = flowdata.read_labelled_csv(data_dir, spec["test"], spec["drop"])
    return Task(name, Ftr.to_numpy(), np.asarray(ytr), Fte.to_numpy(), np.asarray(yte), [])


def make_peer(key, task):
    if key == "rf":
        return RandomForestClassifier(n_estimators=100, n_jobs=1, random_state=0)
    if key == "hgb":
        return HistGradientBoostingClassifier(random_state=0)
    if key == "hgbcat":
        return HistGradientBoostingClassifier(random_state=0, categorical_features=task.cat)
    if key == "xgb":
        return xgboost.XGBClassifier(tree_method="hist", n_estimators=200, max_depth=6, n_jobs=1)
    raise ValueError(key)


def model_bytes(key, model):
    if key == "xgb":
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "model.json")
            model.save_model(p)
            return os.path.getsize(p)
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def scores(y, pred):
    return (float(accuracy_score(y, pred)),
            float(f1_score(y, pred, average="macro", zero_division=0)))


def run_peer(task, key):
    Xtr, Xte = task.Xtr, task.Xte
    if key == "rf":
        Xtr, Xte = np.nan_to_num(Xtr, nan=0.0), np.nan_to_num(Xte, nan=0.0)
    classes = np.unique(task.ytr)
    ytr = np.searchsorted(classes, task.ytr) if key == "xgb" else task.ytr
    model = make_peer(key, task)
    t0 = time.perf_counter()
    model.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0
    pred = model.predict(Xte)
    if key == "xgb":
        pred = classes[pred]
    acc, f1 = scores(task.yte, pred)
    return {"task": task.name, "model": key, "seed": 0, "accuracy": acc, "macro_f1": f1,
            "fit_s": fit_s, "process_s": None, "bytes": model_bytes(key, model)}


def run_flowsense(data_dir, name, fs, extra, seed, split):
    spec = TASKS[name]
    train, test = fs_paths(data_dir, spec)
    with tempfile.TemporaryDirectory() as out:
        cmd = [fs, "train", "--data", train] + ([] if split == "dev" else ["--test", test])
        cmd += spec["fs"] + ["--threads", "1", "--seed", str(seed), "--no-run", "--quiet",
                             "--out", out] + extra
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"accuracy: {shlex.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        with open(os.path.join(out, "metrics.json")) as f:
            m = json.load(f)
        with open(os.path.join(out, "model.json")) as f:
            mj = json.load(f)
    params = mj.get("meta", {}).get("params", {})
    trees = len(mj["ensemble"]["trees"])
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    res = {"task": name, "model": "flowsense", "seed": seed, "accuracy": m["accuracy"],
           "macro_f1": m["macro_f1"], "fit_s": m["train_seconds"], "process_s": wall,
           "process_cpu_s": cpu, "bytes": m["wasm_bytes"], "json_bytes": m["model_bytes"],
           "trees": trees}
    for k in ("chosen", "training"):
        if k in m:
            res[k] = m[k]
    if m.get("outlier"):
        res["outlier_roc_auc"] = m["outlier"].get("roc_auc")
    res["params"] = params
    return res


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        elif part:
            out.append(int(part))
    return out


def fmt_s(v):
    return "" if v is None else f"{v:.2f}"


def table(results, tasks):
    lines = ["| set | model | seed | accuracy | macro-F1 | fit s | process s | model bytes |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for t in tasks:
        for r in results:
            if r["task"] != t:
                continue
            lines.append(f"| {t} | {NAMES[r['model']]} | {r['seed'] or ''} | {r['accuracy']:.4f} | "
                         f"{r['macro_f1']:.4f} | {fmt_s(r['fit_s'])} | {fmt_s(r['process_s'])} | "
                         f"{r['bytes']:,} |")
    return lines


def summary(results, tasks, default_seed):
    """Per set: the best peer, flowsense at the default seed, and the spread over seeds."""
    lines = ["| set | best peer accuracy | best peer macro-F1 | flowsense seed "
             f"{default_seed} | seeds: accuracy min / median / max | macro-F1 min / median / max "
             "| default seed's rank (accuracy, of n) | at least the best peer |",
             "|---|---|---|---|---|---|---|---|"]
    for t in tasks:
        peers = [r for r in results if r["task"] == t and r["model"] != "flowsense"]
        fs = [r for r in results if r["task"] == t and r["model"] == "flowsense"]
        if not fs:
            continue
        ba = max(peers, key=lambda r: r["accuracy"]) if peers else None
        bf = max(peers, key=lambda r: r["macro_f1"]) if peers else None
        d = next((r for r in fs if r["seed"] == default_seed), fs[0])
        accs = sorted(r["accuracy"] for r in fs)
        f1s = sorted(r["macro_f1"] for r in fs)
        rank = 1 + sum(1 for a in accs if a > d["accuracy"])
        ok = ""
        if ba:
            ok = "yes" if d["accuracy"] >= ba["accuracy"] and d["macro_f1"] >= bf["macro_f1"] else "no"
        pa = f"{ba['accuracy']:.4f} ({ba['model']})" if ba else ""
        pf = f"{bf['macro_f1']:.4f} ({bf['model']})" if bf else ""
        lines.append(
            f"| {t} | {pa} | {pf} | "
            f"{d['accuracy']:.4f} / {d['macro_f1']:.4f} | "
            f"{accs[0]:.4f} / {statistics.median(accs):.4f} / {accs[-1]:.4f} | "
            f"{f1s[0]:.4f} / {statistics.median(f1s):.4f} / {f1s[-1]:.4f} | {rank} of {len(fs)} | {ok} |")
    return lines


def time_xgb(data_dir, name):
    """The XGBoost peer as one whole process: read, encode, fit (one thread)."""
    t0, c0 = time.perf_counter(), time.process_time()
    task = load_task(data_dir, name, "test")
    t1 = time.perf_counter()
    classes = np.unique(task.ytr)
    model = make_peer("xgb", task)
    model.fit(task.Xtr, np.searchsorted(classes, task.ytr))
    t2, c2 = time.perf_counter(), time.process_time()
    acc, f1 = scores(task.yte, classes[model.predict(task.Xte)])
    print(json.dumps({"task": name, "read_s": round(t1 - t0, 3), "fit_s": round(t2 - t1, 3),
                      "read_fit_s": round(t2 - t0, 3), "read_fit_cpu_s": round(c2 - c0, 3), "total_s": round(time.perf_counter() - T_START, 3),
                      "accuracy": round(acc, 6), "macro_f1": round(f1, 6),
                      "json_bytes": model_bytes("xgb", model)}, separators=(",", ":")))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir", nargs="?", default=flowdata.default_data_dir())
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--seeds", default="1", help="flowsense training seeds, e.g. 1-5")
    ap.add_argument("--default-seed", type=int, default=1)
    ap.add_argument("--fs", default=os.path.join(flowdata.repo_root(), "bin", "flowsense"))
    ap.add_argument("--fs-args", default="", help="extra flowsense train options")
    ap.add_argument("--split", choices=["test", "dev"], default="test")
    ap.add_argument("--json", help="append one JSON line per result to this file")
    ap.add_argument("--time-xgb", metavar="TASK")
    args = ap.parse_args(argv)
    if args.time_xgb:
        if args.time_xgb not in TASKS:
            ap.error(f"unknown task {args.time_xgb!r}")
        return time_xgb(args.data_dir, args.time_xgb)
    tasks = [t for t in args.tasks.split(",") if t]
    models = [m for m in args.models.split(",") if m]
    for t in tasks:
        if t not in TASKS:
            ap.error(f"unknown task {t!r}; want some of {list(TASKS)}")
    for m in models:
        if m not in MODELS:
            ap.error(f"unknown model {m!r}; want some of {MODELS}")
    if "flowsense" in models and not os.access(args.fs, os.X_OK):
        sys.exit(f"accuracy: flowsense binary {args.fs} not found (make build, or --fs PATH)")
    seeds = parse_seeds(args.seeds)
    extra = shlex.split(args.fs_args)
    results = []
    jf = open(args.json, "a") if args.json else None
    print(f"# {platform.node()}: nproc {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; "
          f"scikit-learn {sklearn.__version__}, xgboost {xgboost.__version__}; split {args.split}; "
          f"flowsense {args.fs} {args.fs_args}", file=sys.stderr)

    def emit(r):
        results.append(r)
        print(f"#   {r['task']} {r['model']} seed {r['seed']}: acc {r['accuracy']:.4f} "
              f"macro-F1 {r['macro_f1']:.4f} fit {r['fit_s']:.2f}s"
              + (f" process {r['process_s']:.2f}s" if r["process_s"] else "")
              + f" {r['bytes']} bytes" + (f" {r['trees']} trees" if r.get("trees") else "")
              + (f" chosen {r['chosen']}" if r.get("chosen") else ""),
              file=sys.stderr, flush=True)
        if jf:
            jf.write(json.dumps(dict(r, split=args.split, fs_args=args.fs_args)) + "\n")
            jf.flush()

    for name in tasks:
        peers = [m for m in models if m in PEERS and not (m == "hgbcat" and TASKS[name]["kind"] == "csv")]
        if peers:
            try:
                task = load_task(args.data_dir, name, args.split)
            except flowdata.DataError as e:
                sys.exit(f"accuracy: {e}")
            for key in peers:
                emit(run_peer(task, key))
        if "flowsense" in models:
            for s in seeds:
                emit(run_flowsense(args.data_dir, name, args.fs, extra, s, args.split))
    out = table(results, tasks)
    if "flowsense" in models:
        out += [""] + summary(results, tasks, args.default_seed)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
