#!/usr/bin/python3
"""An independent inference.GRPCInferenceService client: Debian's grpcio
(the C core's HTTP/2) and protobuf, message classes made by protoc's
Python generator from the same open_inference_grpc.proto, no Go code.

    protoc --proto_path=functions/oipgrpc/inferencepb --python_out=OUT open_inference_grpc.proto
    PYTHONPATH=OUT /usr/bin/python3 functions/oipgrpc/testdata/grpc_client.py 127.0.0.1:8080 MODEL flows.csv [EXPLAIN]

It checks health and metadata, classifies every row of the CSV with FP32
typed contents and again with raw_input_contents, and compares both with
what /predict answers for the CSV on the same port (HTTP/1.1): labels,
verdicts and outlier scores equal, probabilities equal as float32. With
EXPLAIN (a number N) the typed request carries the parameter explain as
an int64_param and the raw one as a string_param, /predict is asked
?explain=N, and the explain_* outputs must hold /predict's explanations
(top N features of the predicted class with bias and margin, the outlier
shares), padded with features of zero contribution. It prints a JSON
summary and exits 1 on a mismatch.
"""
import csv, io, json, math, struct, sys, urllib.request

import grpc
import open_inference_grpc_pb2 as pb

addr, name, path = sys.argv[1], sys.argv[2], sys.argv[3]
explain = int(sys.argv[4]) if len(sys.argv) > 4 else 0
channel = grpc.insecure_channel(addr)


def rpc(method, req, resp_type):
    call = channel.unary_unary("/inference.GRPCInferenceService/" + method,
                               request_serializer=type(req).SerializeToString,
                               response_deserializer=resp_type.FromString)
    return call(req, timeout=30)


assert rpc("ServerLive", pb.ServerLiveRequest(), pb.ServerLiveResponse).live
assert rpc("ServerReady", pb.ServerReadyRequest(), pb.ServerReadyResponse).ready
sm = rpc("ServerMetadata", pb.ServerMetadataRequest(), pb.ServerMetadataResponse)
assert sm.name == "flowsense", sm
meta = rpc("ModelMetadata", pb.ModelMetadataRequest(name=name), pb.ModelMetadataResponse)
assert meta.name == name and rpc("ModelReady", pb.ModelReadyRequest(name=name), pb.ModelReadyResponse).ready
features = [i.name for i in meta.inputs]
nc = [o.shape for o in meta.outputs if o.name == "probabilities"][0][1]
try:
    rpc("ModelInfer", pb.ModelInferRequest(model_name="no-such-model"), pb.ModelInferResponse)
    sys.exit("ModelInfer of an unknown model succeeded")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e

text = open(path, newline="").read()
rows = list(csv.DictReader(io.StringIO(text)))
n, nf = len(rows), len(features)
matrix = [float(r[f]) if r[f].strip() not in ("", "?") else math.nan for r in rows for f in features]


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def flows(resp):
    outs = {}
    for i, o in enumerate(resp.outputs):
        if resp.raw_output_contents:
            raw = resp.raw_output_contents[i]
            if o.datatype == "BYTES":
                vals = []
                while raw:
                    (k,) = struct.unpack("<I", raw[:4])
                    vals.append(raw[4:4 + k].decode())
                    raw = raw[4 + k:]
            elif o.datatype == "FP32":
                vals = list(struct.unpack("<%df" % (len(raw) // 4), raw))
            else:
                vals = list(struct.unpack("<%dd" % (len(raw) // 8), raw))
        elif o.datatype == "BYTES":
            vals = [b.decode() for b in o.contents.bytes_contents]
        elif o.datatype == "FP32":
            vals = list(o.contents.fp32_contents)
        else:
            vals = list(o.contents.fp64_contents)
        outs[o.name] = vals
    p = outs["probabilities"]
    res = [{"label": outs["label"][i], "verdict": outs["verdict"][i], "outlier_score": outs["outlier_score"][i],
            "probabilities": [f32(x) for x in p[i * nc:(i + 1) * nc]]} for i in range(n)]
    shapes = {o.name: list(o.shape) for o in resp.outputs}
    if not explain:
        assert not any(k.startswith("explain_") for k in outs), sorted(outs)
        return res
    k, ko = shapes["explain_feature"][1], shapes.get("explain_outlier_feature", [n, 0])[1]
    assert shapes["explain_feature"] == [n, k] and shapes["explain_bias"] == [n], shapes
    for i, r in enumerate(res):
        row = lambda o, w: outs[o][i * w:(i + 1) * w]
        r["explanation"] = {
            "bias": outs["explain_bias"][i], "margin": outs["explain_margin"][i],
            "features": list(zip(row("explain_feature", k), row("explain_value", k), row("explain_contribution", k))),
            "outlier": list(zip(row("explain_outlier_feature", ko), row("explain_outlier_mean", ko),
                                row("explain_outlier_z", ko), row("explain_outlier_contribution", ko))) if ko else []}
    return res


def explanation_mismatch(got, want):
    """Why the tensors' explanation differs from /predict's, or None."""
    if got["bias"] != want["bias"] or got["margin"] != want["margin"]:
        return "bias or margin"
    if len(got["features"]) != min(explain, nf):
        return f"{len(got['features'])} features"
    for j, (fname, value, c) in enumerate(got["features"]):
        if j < len(want["features"]):
            w = want["features"][j]
            v = w["value"]
            ok = value == ("" if v is None else v) if v is None or isinstance(v, str) else float(value) == v  # float64 digits, as /predict sends them
            if fname != w["name"] or c != w["contribution"] or not ok:
                return f"feature {j}: {(fname, value, c)} vs {w}"
        elif c != 0 or fname in [g[0] for g in got["features"][:j]]:
            return f"padding {j}"
    if got["outlier"] != [(w["name"], w["mean"], w["z"], w["contribution"]) for w in want.get("outlier", [])[:len(got["outlier"])]]:
        return "outlier shares"
    return None


shape = [n, nf]
int_param = {"explain": pb.InferParameter(int64_param=explain)} if explain else {}
str_param = {"explain": pb.InferParameter(string_param=str(explain))} if explain else {}
typed = rpc("ModelInfer", pb.ModelInferRequest(model_name=name, id="py", parameters=int_param, inputs=[
    pb.ModelInferRequest.InferInputTensor(name="flows", datatype="FP32", shape=shape,
                                          contents=pb.InferTensorContents(fp32_contents=matrix))]), pb.ModelInferResponse)
assert typed.id == "py" and not typed.raw_output_contents
raw = rpc("ModelInfer", pb.ModelInferRequest(model_name=name, parameters=str_param, inputs=[
    pb.ModelInferRequest.InferInputTensor(name="flows", datatype="FP32", shape=shape)],
    raw_input_contents=[struct.pack("<%df" % len(matrix), *matrix)]), pb.ModelInferResponse)
assert len(raw.raw_output_contents) == len(raw.outputs) == (14 if explain else 4), len(raw.outputs)
if explain:
    try:
        rpc("ModelInfer", pb.ModelInferRequest(model_name=name, parameters={"explain": pb.InferParameter(bool_param=True)}, inputs=[
            pb.ModelInferRequest.InferInputTensor(name="flows", datatype="FP32", shape=shape,
                                                  contents=pb.InferTensorContents(fp32_contents=matrix))]), pb.ModelInferResponse)
        sys.exit("ModelInfer with explain=true succeeded")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "explain" in e.details(), e
answers = {"typed": flows(typed), "raw": flows(raw)}

host = "http://" + addr
req = urllib.request.Request(host + "/predict" + (f"?explain={explain}" if explain else ""), data=text.encode(), headers={"Content-Type": "text/csv"})
with urllib.request.urlopen(req, timeout=30) as resp:
    classes = [o for o in json.loads(json.loads(urllib.request.urlopen(host + f"/v2/models/{name}").read())["outputs"][1]["parameters"]["classes"])]
    predicted = json.loads(resp.read())
    want = [{"label": p["label"], "verdict": p["verdict"], "outlier_score": p["outlier_score"],
             "probabilities": [f32(p["probabilities"][c]) for c in classes]} for p in predicted]
mismatches = []
explained = 0
for form, got in answers.items():
    for i, (g, w) in enumerate(zip(got, want)):
        why = None
        gx = g.pop("explanation", None)
        if explain:
            wx = predicted[i].get("explanation")
            why = explanation_mismatch(gx, wx) if gx and wx else "no explanation"
            explained += why is None
        if g != w or why:
            mismatches.append({"form": form, "flow": i, "explanation": why})
mismatches += [{"form": form, "flows": len(got)} for form, got in answers.items() if len(got) != len(want)]
print(json.dumps({"flows": n, "forms": list(answers), "grpc": grpc.__version__, "explain": explain, "explained": explained,
                  "mismatches": len(mismatches), "first": mismatches[:3]}, sort_keys=True))
sys.exit(1 if mismatches else 0)
