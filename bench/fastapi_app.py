#!/usr/bin/python3
"""bench/fastapi_app.py METADATA.json: the FastAPI baseline of bench/wrk.sh.

The usual Python deployment of the same classifier: FastAPI under uvicorn,
POST /predict taking one flow object (named fields) or a JSON array of
them, answering what flowsense answers (label, probability, probabilities
per class, verdict) from a scikit-learn HistGradientBoostingClassifier of
the model's size (METADATA.json is flowsense's GET /model: the schema's
feature names, the classes, the number of trees). The model is fitted at
start-up on seeded random rows: its answers mean nothing, its cost per
prediction is the point. GET /health/readiness and GET /model answer as
flowsense does, so that bench/wrk.sh drives both alike.

Run: FASTAPI_PORT=8000 FASTAPI_WORKERS=2 /usr/bin/python3 bench/fastapi_app.py model.json
(python3-fastapi, python3-uvicorn, python3-sklearn).
"""
import json
import os
import sys

# One thread per worker, as multi-worker deployments set it; OpenMP's
# spinning threads otherwise fight the other worker for the cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sklearn.ensemble import HistGradientBoostingClassifier

META = json.load(open(os.environ.get("FASTAPI_MODEL") or sys.argv[1]))
FEATURES = [f["name"] for f in META["schema"]["features"]]
INDEX = {n: i for i, n in enumerate(FEATURES)}
CLASSES = META["classes"]
BENIGN = set(META.get("benign") or [])
rounds = max(1, int(META.get("trees") or 100) // max(1, len(CLASSES)))

rng = np.random.default_rng(1)
X = rng.lognormal(3, 2, size=(3000, len(FEATURES)))
y = np.arange(3000) % len(CLASSES)
X[:, 0] += y * 50  # something to learn, so that every round grows trees
model = HistGradientBoostingClassifier(max_iter=rounds, early_stopping=False, random_state=1).fit(X, y)

app = FastAPI()


def row(flow):
    r = np.full(len(FEATURES), np.nan)
    for k, v in flow.items():
        i = INDEX.get(k)
        if i is None:
            raise ValueError("unknown field %r" % k)
        r[i] = np.nan if v is None else float(v)
    return r


def answer(p):
    c = int(np.argmax(p))
    return {"label": CLASSES[c], "probability": float(p[c]),
            "probabilities": {CLASSES[i]: float(p[i]) for i in range(len(CLASSES))},
            "verdict": "benign" if c in BENIGN else "malicious", "model": {"name": "fastapi"}}


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    single = isinstance(body, dict)
    flows = [body] if single else body
    try:
        X = np.vstack([row(f) for f in flows])
    except (ValueError, TypeError, AttributeError) as e:
        return JSONResponse({"title": "bad flow", "detail": str(e)}, status_code=422)
    out = [answer(p) for p in model.predict_proba(X)]
    return out[0] if single else out


@app.get("/health/readiness")
def ready():
    return {"status": "ok"}


@app.get("/model")
def meta():
    return {"name": "fastapi", "classes": CLASSES, "features": len(FEATURES), "rounds": rounds}


if __name__ == "__main__":
    import uvicorn
    os.environ["FASTAPI_MODEL"] = os.path.abspath(sys.argv[1])
    uvicorn.run("fastapi_app:app", host="127.0.0.1", port=int(os.environ.get("FASTAPI_PORT", "8000")),
                workers=int(os.environ.get("FASTAPI_WORKERS", "2")), log_level="warning",
                app_dir=os.path.dirname(os.path.abspath(__file__)))
