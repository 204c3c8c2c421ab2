#!/usr/bin/env python3
"""An Open Inference Protocol (KServe V2) REST client written from the
specification with Python's standard library only, checked against the
server's own /predict.

    python3 functions/testdata/oip_client.py http://127.0.0.1:8080 MODEL flows.csv [EXPLAIN]

It reads the server and model metadata, then classifies every row of the
CSV (a header naming the model's features; other columns are ignored) in
three encodings of the same rows:

  np      one FP32 input of shape [N, F], columns in the order the model
          metadata lists its inputs, as JSON;
  pd      one input per feature (FP32, or BYTES for the inputs the
          metadata types BYTES), content_type "pd";
  binary  the np tensor as little-endian FP32 after the JSON (the binary
          tensor data extension), every output asked for as binary;

and posts the CSV itself to /predict. Each flow's label, verdict and
outlier score must equal /predict's, and its probabilities /predict's
rounded to float32. With EXPLAIN (a number N), every request carries
the parameter explain=N and /predict is asked ?explain=N: the answers'
explain_* tensors must hold /predict's explanations (the top N features
of the predicted class, bias, margin and the outlier shares; values as
text that reads back as /predict's float64 number), padded with features of
zero contribution. It prints a JSON summary and exits 1 on a mismatch.
"""
import csv, io, json, math, struct, sys, urllib.error, urllib.request

base, name, path = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
explain = int(sys.argv[4]) if len(sys.argv) > 4 else 0
EXPLAIN_PARAMS = {"explain": explain} if explain else {}


def call(method, url, body=None, headers=None):
    req = urllib.request.Request(base + url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get_json(url):
    status, _, body = call("GET", url)
    if status != 200:
        sys.exit(f"GET {url}: {status} {body!r}")
    return json.loads(body)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def jnum(x):
    # JSON has no NaN or infinity: null is a missing value, and a number
    # beyond float32's range reads as infinite
    if math.isnan(x):
        return None
    if math.isinf(x):
        return 1e39 if x > 0 else -1e39
    return x


server = get_json("/v2")
assert server["name"] == "flowsense" and "binary_tensor_data" in server["extensions"], server
assert get_json("/v2/health/live") == {"live": True}
assert get_json("/v2/health/ready") == {"ready": True}
meta = get_json(f"/v2/models/{name}")
assert meta["name"] == name and meta["platform"], meta
assert get_json(f"/v2/models/{name}/ready") == {"name": name, "ready": True}
inputs = meta["inputs"]
features = [i["name"] for i in inputs]
outputs = {o["name"]: o for o in meta["outputs"]}
classes = json.loads(outputs["probabilities"]["parameters"]["classes"])
assert outputs["probabilities"]["shape"] == [-1, len(classes)], outputs

text = open(path, newline="").read()
rows = list(csv.DictReader(io.StringIO(text)))
missing = [f for f in features if f not in rows[0]]
if missing:
    sys.exit(f"{path}: no column for {missing}")
n, nf = len(rows), len(features)


def cell(r, f):
    s = r[f].strip()
    return float(s) if s not in ("", "?") else math.nan


matrix = [cell(r, f) for r in rows for f in features]
INFER = f"/v2/models/{name}/infer"
J = {"Content-Type": "application/json"}


def post_json(req):
    status, headers, body = call("POST", INFER, json.dumps(req, allow_nan=False).encode(), J)
    if status != 200:
        sys.exit(f"POST {INFER}: {status} {body!r}")
    out = json.loads(body)
    assert out["model_name"] == name, out
    return {o["name"]: o for o in out["outputs"]}


def columns(outs):
    assert outs["label"]["datatype"] == "BYTES" and outs["label"]["shape"] == [n]
    assert outs["probabilities"]["datatype"] == "FP32" and outs["probabilities"]["shape"] == [n, len(classes)]
    assert outs["outlier_score"]["datatype"] == "FP64" and outs["verdict"]["datatype"] == "BYTES"
    p = outs["probabilities"]["data"]
    c = len(classes)
    flows = [
        {"label": outs["label"]["data"][i], "verdict": outs["verdict"]["data"][i],
         "outlier_score": outs["outlier_score"]["data"][i], "probabilities": [f32(x) for x in p[i * c:(i + 1) * c]]}
        for i in range(n)]
    if not explain:
        assert not any(k.startswith("explain_") for k in outs), sorted(outs)
        return flows
    k = outs["explain_feature"]["shape"][1]
    assert outs["explain_feature"]["shape"] == [n, k] and outs["explain_contribution"]["datatype"] == "FP64", outs["explain_feature"]
    assert outs["explain_bias"]["shape"] == [n] and outs["explain_margin"]["shape"] == [n]
    ko = outs["explain_outlier_feature"]["shape"][1] if "explain_outlier_feature" in outs else 0
    for i, f in enumerate(flows):
        row = lambda o, w: outs[o]["data"][i * w:(i + 1) * w]
        f["explanation"] = {
            "bias": outs["explain_bias"]["data"][i], "margin": outs["explain_margin"]["data"][i],
            "features": [{"name": a, "value": v, "contribution": b} for a, v, b in
                         zip(row("explain_feature", k), row("explain_value", k), row("explain_contribution", k))],
            "outlier": [{"name": a, "value": v, "mean": m, "z": z, "contribution": b} for a, v, m, z, b in
                        zip(row("explain_outlier_feature", ko), row("explain_outlier_value", ko), row("explain_outlier_mean", ko),
                            row("explain_outlier_z", ko), row("explain_outlier_contribution", ko))] if ko else []}
    return flows


def value_text(v):
    # /predict's value (a number, a category's name, null) as the tensor's text
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return v


def same_value(text, v):
    # a number is /predict's float64 in its shortest form: it parses back
    # to that float64 (float32's shortest form would not: 0.1 is not
    # 0.10000000149011612)
    if v is None or isinstance(v, str):
        return text == value_text(v)
    try:
        return float(text) == v
    except ValueError:
        return False


def explanation_mismatch(got, want):
    """Why the tensors' explanation differs from /predict's, or None."""
    if got["bias"] != want["bias"] or got["margin"] != want["margin"]:
        return "bias or margin"
    wf = want["features"]
    if len(got["features"]) != min(explain, len(features)):
        return f"{len(got['features'])} features for explain={explain}"
    for j, g in enumerate(got["features"]):
        if j < len(wf):
            w = wf[j]
            if g["name"] != w["name"] or g["contribution"] != w["contribution"] or not same_value(g["value"], w["value"]):
                return f"feature {j}: {g} vs {w}"
        elif g["contribution"] != 0 or any(g["name"] == x["name"] for x in got["features"][:j]):
            return f"padding {j}: {g}"
    if [(g["name"], g["mean"], g["z"], g["contribution"]) for g in got["outlier"]] != \
            [(w["name"], w["mean"], w["z"], w["contribution"]) for w in want.get("outlier", [])[:len(got["outlier"])]]:
        return "outlier shares"
    return None


answers = {}
answers["np"] = columns(post_json({"id": "np", "parameters": dict(EXPLAIN_PARAMS), "inputs": [
    {"name": "flows", "datatype": "FP32", "shape": [n, nf], "data": [jnum(x) for x in matrix]}]}))
pd_inputs = []
for k, meta_in in enumerate(inputs):
    if meta_in["datatype"] == "BYTES":
        pd_inputs.append({"name": meta_in["name"], "datatype": "BYTES", "shape": [n], "data": [r[meta_in["name"]] for r in rows]})
    else:
        pd_inputs.append({"name": meta_in["name"], "datatype": "FP32", "shape": [n], "data": [jnum(matrix[i * nf + k]) for i in range(n)]})
answers["pd"] = columns(post_json({"parameters": {"content_type": "pd", **EXPLAIN_PARAMS}, "inputs": pd_inputs}))

raw = struct.pack("<%df" % len(matrix), *matrix)
head = json.dumps({"parameters": {"binary_data_output": True, **EXPLAIN_PARAMS}, "inputs": [
    {"name": "flows", "datatype": "FP32", "shape": [n, nf], "parameters": {"binary_data_size": len(raw)}}]}).encode()
status, headers, body = call("POST", INFER, head + raw, {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))})
if status != 200:
    sys.exit(f"binary POST {INFER}: {status} {body!r}")
hl = int(headers["Inference-Header-Content-Length"])
js, blob = json.loads(body[:hl]), body[hl:]
outs = {}
for o in js["outputs"]:
    size = o["parameters"]["binary_data_size"]
    part, blob = blob[:size], blob[size:]
    if o["datatype"] == "BYTES":
        vals = []
        while part:
            (k,) = struct.unpack("<I", part[:4])
            vals.append(part[4:4 + k].decode())
            part = part[4 + k:]
    elif o["datatype"] == "FP32":
        vals = list(struct.unpack("<%df" % (size // 4), part))
    else:
        vals = list(struct.unpack("<%dd" % (size // 8), part))
    outs[o["name"]] = {**o, "data": vals}
assert not blob, f"{len(blob)} bytes after the outputs"
answers["binary"] = columns(outs)

status, _, body = call("POST", "/predict" + (f"?explain={explain}" if explain else ""), text.encode(), {"Content-Type": "text/csv"})
if status != 200:
    sys.exit(f"POST /predict: {status} {body!r}")
want = [{"label": p["label"], "verdict": p["verdict"], "outlier_score": p["outlier_score"],
         "probabilities": [f32(p["probabilities"][c]) for c in classes], "explanation": p.get("explanation")}
        for p in json.loads(body)]

mismatches = []
explained = 0
for form, got in answers.items():
    for i, (g, w) in enumerate(zip(got, want)):
        gx, wx = g.pop("explanation", None), w.get("explanation")
        plain = {k: v for k, v in w.items() if k != "explanation"}
        why = None
        if explain:
            why = explanation_mismatch(gx, wx) if gx and wx else "no explanation"
            explained += why is None
        if g != plain or why:
            mismatches.append({"form": form, "flow": i, "v2": g, "predict": plain, "explanation": why})
    if len(got) != len(want):
        mismatches.append({"form": form, "flows": len(got), "predict": len(want)})
labels = {}
for w in want:
    labels[w["label"]] = labels.get(w["label"], 0) + 1
print(json.dumps({"flows": n, "forms": list(answers), "labels": labels, "explain": explain, "explained": explained,
                  "mismatches": len(mismatches), "first": mismatches[:3]}, sort_keys=True))
sys.exit(1 if mismatches else 0)
