#!/usr/bin/python3
"""An independent inference.GRPCInferenceService client: Debian's grpcio
(the C core's HTTP/2) and protobuf, message classes made by protoc's
Python generator from the same open_inference_grpc.proto, no Go code.

    protoc --proto_path=functions/oipgrpc/inferencepb --python_out=OUT open_inference_grpc.proto
    PYTHONPATH=OUT /usr/bin/python3 functions/oipgrpc/testdata/grpc_client.py 127.0.0.1:8080 MODEL flows.csv

It checks health and metadata, classifies every row of the CSV with FP32
typed contents and again with raw_input_contents, and compares both with
what /predict answers for the CSV on the same port (HTTP/1.1): labels,
verdicts and outlier scores equal, probabilities equal as float32. It
prints a JSON summary and exits 1 on a mismatch.
"""
import csv, io, json, math, struct, sys, urllib.request

import grpc
import open_inference_grpc_pb2 as pb

addr, name, path = sys.argv[1], sys.argv[2], sys.argv[3]
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
    return [{"label": outs["label"][i], "verdict": outs["verdict"][i], "outlier_score": outs["outlier_score"][i],
             "probabilities": [f32(x) for x in p[i * nc:(i + 1) * nc]]} for i in range(n)]


shape = [n, nf]
typed = rpc("ModelInfer", pb.ModelInferRequest(model_name=name, id="py", inputs=[
    pb.ModelInferRequest.InferInputTensor(name="flows", datatype="FP32", shape=shape,
                                          contents=pb.InferTensorContents(fp32_contents=matrix))]), pb.ModelInferResponse)
assert typed.id == "py" and not typed.raw_output_contents
raw = rpc("ModelInfer", pb.ModelInferRequest(model_name=name, inputs=[
    pb.ModelInferRequest.InferInputTensor(name="flows", datatype="FP32", shape=shape)],
    raw_input_contents=[struct.pack("<%df" % len(matrix), *matrix)]), pb.ModelInferResponse)
assert len(raw.raw_output_contents) == 4
answers = {"typed": flows(typed), "raw": flows(raw)}

host = "http://" + addr
req = urllib.request.Request(host + "/predict", data=text.encode(), headers={"Content-Type": "text/csv"})
with urllib.request.urlopen(req, timeout=30) as resp:
    classes = [o for o in json.loads(json.loads(urllib.request.urlopen(host + f"/v2/models/{name}").read())["outputs"][1]["parameters"]["classes"])]
    want = [{"label": p["label"], "verdict": p["verdict"], "outlier_score": p["outlier_score"],
             "probabilities": [f32(p["probabilities"][c]) for c in classes]} for p in json.loads(resp.read())]
mismatches = [{"form": form, "flow": i} for form, got in answers.items() for i, (g, w) in enumerate(zip(got, want)) if g != w]
mismatches += [{"form": form, "flows": len(got)} for form, got in answers.items() if len(got) != len(want)]
print(json.dumps({"flows": n, "forms": list(answers), "grpc": grpc.__version__, "mismatches": len(mismatches), "first": mismatches[:3]}, sort_keys=True))
sys.exit(1 if mismatches else 0)
