"""Loaders for the real network-flow datasets used by the baseline scripts.

This module is for the Python reference measurements in bench/ only: it reads
the published CSVs in the shared data directory, applies the label maps and
column drops the flowsense trainer is meant to apply, and returns pandas
frames. It is not the flowsense data loader (that is Go code) and it never
writes anything.

Every function raises DataError with the offending path when a file is
missing or its contents do not match what the data README promises.
"""

import os
import re

import numpy as np
import pandas as pd

# The KDD columns that are symbolic; one-hot encoded by the baselines.
KDD_CATEGORICAL = ["protocol_type", "service", "flag"]

# Attack names that occur only in the NSL-KDD test sets, with their category,
# as listed in shared/data/README.md (Attack_Types.csv covers training names).
KDD_TEST_ONLY = {
    "mailbomb": "dos", "apache2": "dos", "processtable": "dos", "udpstorm": "dos",
    "mscan": "probe", "saint": "probe",
    "httptunnel": "u2r", "ps": "u2r", "sqlattack": "u2r", "xterm": "u2r",
    "named": "r2l", "sendmail": "r2l", "snmpgetattack": "r2l", "snmpguess": "r2l",
    "worm": "r2l", "xlock": "r2l", "xsnoop": "r2l",
}

KDD5_CLASSES = ("normal", "dos", "probe", "r2l", "u2r")

CICIDS_DROP = ["id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp",
               "Attempted Category"]
APA_DROP = ["ip.src", "ip.dst", "frame.time"]


class DataError(Exception):
    """A dataset file is missing or does not have the promised shape."""

    def __init__(self, path, msg):
        super().__init__(f"{path}: {msg}")
        self.path = path


def repo_root():
    """The flowsense repository root (the parent of bench/)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_data_dir():
    """$FLOWSENSE_DATA, else ../shared/data relative to the repository root."""
    env = os.environ.get("FLOWSENSE_DATA")
    if env:
        return env
    return os.path.normpath(os.path.join(repo_root(), "..", "shared", "data"))


def _need(path):
    if not os.path.isfile(path):
        raise DataError(path, "missing (set FLOWSENSE_DATA or pass the data dir)")
    return path


def kdd_field_names(data_dir):
    """The 41 NSL-KDD feature names from nsl-kdd/Field_Names.csv."""
    path = _need(os.path.join(data_dir, "nsl-kdd", "Field_Names.csv"))
    with open(path, newline="") as f:
        lines = [l for l in re.split(r"\r\n|\r|\n", f.read()) if l.strip()]
    names = [l.split(",")[0].strip() for l in lines]
    if len(names) != 41:
        raise DataError(path, f"want 41 field names, got {len(names)}")
    return names


def kdd5_map(data_dir):
    """Attack name -> kdd5 category (normal/dos/probe/r2l/u2r).

    Attack_Types.csv uses bare CR line endings; it also lists normal->normal
    and unknown->unknown, of which only normal is kept.
    """
    path = _need(os.path.join(data_dir, "nsl-kdd", "Attack_Types.csv"))
    with open(path, newline="") as f:
        text = f.read()
    m = {}
    for line in re.split(r"\r\n|\r|\n", text):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2:
            raise DataError(path, f"bad line {line!r}")
        name, cat = parts
        if cat in KDD5_CLASSES:
            m[name] = cat
    for name, cat in KDD_TEST_ONLY.items():
        m.setdefault(name, cat)
    if m.get("normal") != "normal":
        raise DataError(path, "no normal,normal line")
    return m


def read_kdd(data_dir, name):
    """One NSL-KDD file as (features frame, raw attack-name series)."""
    path = _need(os.path.join(data_dir, "nsl-kdd", name))
    names = kdd_field_names(data_dir)
    df = pd.read_csv(path, header=None, names=names + ["label", "difficulty"])
    if df["difficulty"].isna().any():
        raise DataError(path, "want 43 columns per row")
    return df[names], df["label"].astype(str)


def map_kdd(labels, mapping, path, scheme):
    """Map raw NSL-KDD attack names to kdd5 or binary labels."""
    if scheme == "binary":
        return np.where(labels == "normal", "normal", "attack")
    out = labels.map(mapping)
    bad = sorted(set(labels[out.isna()]))
    if bad:
        raise DataError(path, f"attack names without a kdd5 category: {bad}")
    return out.to_numpy()


def read_labelled_csv(data_dir, rel, drop, label="Label"):
    """A headered CSV as (numeric feature frame, label array).

    Drops the identifying columns, replaces +-inf with NaN, and refuses any
    remaining non-numeric feature column.
    """
    path = _need(os.path.join(data_dir, rel))
    df = pd.read_csv(path, low_memory=False)
    missing = [c for c in drop + [label] if c not in df.columns]
    if missing:
        raise DataError(path, f"missing columns {missing}")
    y = df[label].astype(str).str.strip().to_numpy()
    X = df.drop(columns=drop + [label])
    obj = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if obj:
        raise DataError(path, f"non-numeric feature columns {obj}")
    X = X.astype(np.float64).replace([np.inf, -np.inf], np.nan)
    return X, y


def read_kddcup99(data_dir, name):
    """One KDD Cup 99 file (kddcup99/NAME) as (features frame, raw attack names).

    The 41 feature names are NSL-KDD's (nsl-kdd/Field_Names.csv: NSL-KDD is
    derived from these files, same columns in the same order); the label
    column carries a trailing dot (`normal.`), stripped here.
    """
    path = _need(os.path.join(data_dir, "kddcup99", name))
    names = kdd_field_names(data_dir)
    df = pd.read_csv(path, header=None, names=names + ["label"])
    if df["label"].isna().any():
        raise DataError(path, "want 42 columns per row")
    return df[names], df["label"].astype(str).str.rstrip(".")
