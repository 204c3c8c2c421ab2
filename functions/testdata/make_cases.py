#!/usr/bin/env python3
"""Writes the behaviour suite's requests (behaviour/*.req) from synthetic flows.

    flowsense gen --rows 300 --seed 11 --out /tmp/flows11.csv
    python3 functions/testdata/make_cases.py /tmp/flows11.csv functions/testdata/behaviour
    go test ./functions -run TestBehaviour -update
"""
import csv, json, os, sys

src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src)))
schema = [f["name"] for f in json.load(open(os.path.join(os.path.dirname(__file__), "..", "functionstest", "testdata", "model.json")))["schema"]["features"]]
ident = {"Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp", "Label"}

def num(s):
    f = float(s)
    if f != f or f in (float("inf"), float("-inf")):
        return s  # NaN, Infinity: sent as text, read like a CSV cell
    return int(f) if f == int(f) and "." not in s else f

def obj(r, rename=None):
    rename = rename or {}
    return {rename.get(k, k): num(v) for k, v in r.items() if k not in ident and v != ""}

first = {}
for r in rows:
    first.setdefault(r["Label"], r)
order = ["BENIGN", "Brute Force", "Exfiltration", "PortScan", "SYN Flood", "Slow DoS"]
per = [first[c] for c in order]
benign, syn, scan = first["BENIGN"], first["SYN Flood"], first["PortScan"]

def write(name, method, path, headers, body=""):
    if not isinstance(body, str):
        body = json.dumps(body)
    with open(os.path.join(out, name + ".req"), "w") as f:
        f.write(f"{method} {path}\n")
        for k, v in headers:
            f.write(f"{k}: {v}\n")
        f.write("\n" + body + "\n")

J = [("Content-Type", "application/json")]
os.makedirs(out, exist_ok=True)
# plain JSON
write("predict_object", "POST", "/predict", J, obj(benign))
write("predict_object_raw_names", "POST", "/predict", J,
      obj(syn, {"Dst Port": "Destination Port", "Total Fwd Packet": "Total Fwd Packets", "FWD Init Win Bytes": "Init_Win_bytes_forward"}))
write("predict_values", "POST", "/predict", J, [num(scan[k]) if scan[k] != "" else None for k in schema])
write("predict_features_wrapper", "POST", "/predict", J, {"features": [num(scan[k]) if scan[k] != "" else None for k in schema]})
write("predict_array", "POST", "/predict", J, [obj(r) for r in per])
write("predict_strings_and_nulls", "POST", "/predict", J,
      {**{k: str(v) for k, v in obj(benign).items()}, "Flow Bytes/s": None, "Active Mean": "NaN"})
write("predict_root_post", "POST", "/", J, obj(syn))
with open(src) as f:
    lines = f.read().splitlines()
idx = [1 + rows.index(r) for r in per]
write("predict_csv", "POST", "/predict", [("Content-Type", "text/csv")], "\n".join([lines[0]] + [lines[i] for i in idx]))
# CloudEvents
ce = lambda id_: [("Ce-Specversion", "1.0"), ("Ce-Id", id_), ("Ce-Source", "/test/probe"), ("Ce-Type", "io.flowsense.flow.v1")]
write("ce_binary", "POST", "/", ce("flow-1") + J, obj(syn))
write("ce_binary_many", "POST", "/", ce("flow-2") + J, [obj(benign), obj(syn), obj(scan)])
def structured(id_, data):
    return {"specversion": "1.0", "id": id_, "source": "/test/probe", "type": "io.flowsense.flow.v1", "datacontenttype": "application/json", "data": data}
write("ce_structured", "POST", "/", [("Content-Type", "application/cloudevents+json")], structured("flow-3", obj(benign)))
write("ce_batch", "POST", "/", [("Content-Type", "application/cloudevents-batch+json")],
      [structured("flow-4", obj(scan)), structured("flow-5", [obj(benign), obj(first["Slow DoS"])])])
# bad events: problem+json, no reply event
write("bad_ce_missing_id", "POST", "/", [h for h in ce("x") if h[0] != "Ce-Id"] + J, obj(syn))
write("bad_ce_wrong_type", "POST", "/", [(k, "com.example.other" if k == "Ce-Type" else v) for k, v in ce("flow-6")] + J, obj(syn))
write("bad_ce_data_not_json", "POST", "/", ce("flow-7") + [("Content-Type", "text/plain")], "hello")
write("bad_ce_structured_malformed", "POST", "/", [("Content-Type", "application/cloudevents+json")], '{"specversion": "1.0", "id": ')
s = structured("flow-8", obj(syn)); del s["type"]
write("bad_ce_batch_one_bad", "POST", "/", [("Content-Type", "application/cloudevents-batch+json")], [structured("flow-9", obj(benign)), s])
write("bad_ce_unknown_field", "POST", "/", ce("flow-10") + J, {"Dst Port": 80, "bogus": 1})
# bad plain requests
write("bad_malformed_json", "POST", "/predict", J, '{"Dst Port": 80,')
write("bad_not_a_flow_number", "POST", "/predict", J, "42")
write("bad_not_a_flow_empty_array", "POST", "/predict", J, "[]")
write("bad_not_a_flow_values_width", "POST", "/predict", J, [1, 2, 3])
write("bad_unknown_fields", "POST", "/predict", J, {"Dst Port": 80, "Colour": "red", "Flavour": 3})
write("bad_value_type", "POST", "/predict", J, {"Dst Port": {"port": 80}})
write("bad_value_text", "POST", "/predict", J, {"Dst Port": "eighty"})
write("bad_content_type", "POST", "/predict", [("Content-Type", "application/x-www-form-urlencoded")], "a=1")
write("bad_no_content_type", "POST", "/predict", [], obj(benign))
write("bad_csv_missing_columns", "POST", "/predict", [("Content-Type", "text/csv")], "Dst Port,Protocol\n80,6")
write("bad_csv_ragged", "POST", "/predict", [("Content-Type", "text/csv")], "\n".join([lines[0], lines[1] + ",extra,cells"]))
write("bad_method", "GET", "/predict", [])
write("bad_path", "GET", "/nope", [])
# the rest of the API
write("health_liveness", "GET", "/health/liveness", [])
write("health_readiness", "GET", "/health/readiness", [])
write("model_metadata", "GET", "/model", [])
write("model_wasm", "GET", "/model.wasm", [])
write("schema_flow", "GET", "/schema/flow", [])
write("schema_classification", "GET", "/schema/classification", [])
