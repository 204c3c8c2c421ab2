#!/usr/bin/env python3
"""Writes the Open Inference Protocol cases of the behaviour suite (behaviour/v2_*.req).

    flowsense gen --rows 300 --seed 11 --out /tmp/flows11.csv
    python3 functions/testdata/make_oip_cases.py /tmp/flows11.csv functions/testdata/behaviour
    go test ./functions -run TestBehaviour -update

The flows are those of make_cases.py (the first flow of each class). The
binary cases put the tensors after the JSON (the binary tensor data
extension): little-endian FP32, the JSON's length in the
Inference-Header-Content-Length header.
"""
import csv, json, os, struct, sys

src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src)))
here = os.path.dirname(os.path.abspath(__file__))
meta = json.load(open(os.path.join(here, "..", "functionstest", "testdata", "model.json")))
schema = [f["name"] for f in meta["schema"]["features"]]
first = {}
for r in rows:
    first.setdefault(r["Label"], r)
order = ["BENIGN", "Brute Force", "Exfiltration", "PortScan", "SYN Flood", "Slow DoS"]
per = [first[c] for c in order]
benign, syn, scan = first["BENIGN"], first["SYN Flood"], first["PortScan"]
NAME = "functions-test"
INFER = f"/v2/models/{NAME}/infer"


def num(s):
    if s == "":
        return None
    f = float(s)
    if f != f:
        return None  # NaN: null, read as missing
    if f in (float("inf"), float("-inf")):
        return 1e39 if f > 0 else -1e39  # beyond float32: read as +-Inf
    return int(f) if f == int(f) and "." not in s else f


def vec(r):
    return [num(r[k]) for k in schema]


def write(name, method, path, headers, body=b""):
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    with open(os.path.join(out, name + ".req"), "wb") as f:
        f.write(f"{method} {path}\n".encode())
        for k, v in headers:
            f.write(f"{k}: {v}\n".encode())
        f.write(b"\n" + body + b"\n")


J = [("Content-Type", "application/json")]
F = len(schema)
# metadata and health
write("v2_server_metadata", "GET", "/v2", [])
write("v2_health_live", "GET", "/v2/health/live", [])
write("v2_health_ready", "GET", "/v2/health/ready", [])
write("v2_model_metadata", "GET", f"/v2/models/{NAME}", [])
# the model's version is the first 12 hex digits of its SHA-256, as the
# /predict goldens record it
VERSION = json.loads(open(os.path.join(out, "predict_object.golden")).read().split("\n\n", 1)[1])["model"]["sha256"][:12]
write("v2_model_metadata_version", "GET", f"/v2/models/{NAME}/versions/{VERSION}", [])
write("v2_model_ready", "GET", f"/v2/models/{NAME}/ready", [])
# [N, F] in schema order, flat, with an id: every class
write("v2_infer_matrix", "POST", INFER, J, {
    "id": "42",
    "inputs": [{"name": "flows", "shape": [len(per), F], "datatype": "FP32", "data": sum((vec(r) for r in per), [])}]})
# nested data, two outputs asked for, through the version path
write("v2_infer_matrix_nested_outputs", "POST", f"/v2/models/{NAME}/versions/{VERSION}/infer", J, {
    "inputs": [{"name": "input-0", "shape": [2, F], "datatype": "FP64", "data": [vec(syn), vec(scan)]}],
    "outputs": [{"name": "verdict"}, {"name": "label"}]})
# one input per column (MLServer's pd), numbers as FP32 and as BYTES text,
# raw column names, a feature left out (missing)
cols = []
for k in schema:
    if k == "Flow Bytes/s":
        continue  # left out: missing, as /predict reads an absent field
    vals = [num(benign[k]), num(syn[k])]
    if k == "Dst Port":
        cols.append({"name": "Destination Port", "shape": [2], "datatype": "INT64", "data": vals})
    elif k == "Protocol":
        cols.append({"name": k, "shape": [2, 1], "datatype": "BYTES", "data": [benign[k], syn[k]]})
    else:
        cols.append({"name": k, "shape": [2], "datatype": "FP32", "data": vals})
write("v2_infer_columns", "POST", INFER, J, {"parameters": {"content_type": "pd"}, "inputs": cols})
# the binary tensor data extension: FP32 in, every output binary
def binary(name, req, raw, headers=None):
    js = json.dumps(req).encode()
    write(name, "POST", INFER, (headers or [("Content-Type", "application/octet-stream")]) +
          [("Inference-Header-Content-Length", str(len(js)))], js + raw)
raw = b"".join(struct.pack("<%df" % F, *[float("nan") if v is None else float(v) if abs(v) < 1e38 else float(v) * 1e300 for v in vec(r)]) for r in (benign, syn, scan))
binary("v2_infer_binary", {"parameters": {"binary_data_output": True},
                           "inputs": [{"name": "flows", "shape": [3, F], "datatype": "FP32", "parameters": {"binary_data_size": len(raw)}}]}, raw)
binary("v2_infer_binary_in_json_out", {"inputs": [{"name": "flows", "shape": [3, F], "datatype": "FP32", "parameters": {"binary_data_size": len(raw)}}],
                                       "outputs": [{"name": "label"}, {"name": "probabilities", "parameters": {"binary_data": True}}]}, raw)
# bad requests: an error object (and the problem document's members)
one = {"inputs": [{"name": "flows", "shape": [1, F], "datatype": "FP32", "data": vec(benign)}]}
write("v2_bad_unknown_model", "POST", "/v2/models/nope/infer", J, one)
write("v2_bad_unknown_version", "GET", f"/v2/models/{NAME}/versions/7", [])
write("v2_bad_shape", "POST", INFER, J, {"inputs": [{"name": "flows", "shape": [2, 3], "datatype": "FP32", "data": [1, 2, 3, 4, 5, 6]}]})
write("v2_bad_count", "POST", INFER, J, {"inputs": [{"name": "flows", "shape": [2, F], "datatype": "FP32", "data": vec(benign)}]})
write("v2_bad_datatype", "POST", INFER, J, {"inputs": [{"name": "flows", "shape": [1, F], "datatype": "FLOAT", "data": vec(benign)}]})
write("v2_bad_string_in_fp32", "POST", INFER, J, {"inputs": [{"name": "flows", "shape": [1, 2], "datatype": "FP32", "data": [1, "two"]}]})
write("v2_bad_unknown_feature", "POST", INFER, J, {"inputs": [
    {"name": "Dst Port", "shape": [1], "datatype": "FP32", "data": [80]},
    {"name": "Colour", "shape": [1], "datatype": "BYTES", "data": ["red"]}]})
write("v2_bad_output", "POST", INFER, J, {**one, "outputs": [{"name": "class"}]})
write("v2_bad_json", "POST", INFER, J, '{"inputs": [')
write("v2_bad_id_type", "POST", INFER, J, {**one, "id": 42})
write("v2_bad_content_type", "POST", INFER, [("Content-Type", "text/csv")], "a,b\n1,2")
write("v2_bad_method", "GET", INFER, [])
write("v2_bad_path", "GET", "/v2/repository/index", [])
js = json.dumps({"inputs": [{"name": "flows", "shape": [1, F], "datatype": "FP32", "parameters": {"binary_data_size": 4 * F + 4}}]}).encode()
write("v2_bad_binary_size", "POST", INFER, [("Content-Type", "application/octet-stream"), ("Inference-Header-Content-Length", str(len(js)))],
      js + struct.pack("<%df" % F, *[0.0] * F))
