// Package functions is the one HTTP handler every flowsense host serves:
// the local server (flowsense serve), the Knative function and the Lambda
// bootstrap wrap the same *Server.
//
// A Server loads a compiled model module (package wasm) and answers:
//
//   - CloudEvents of type io.flowsense.flow.v1 in binary, structured and
//     batch encodings, on POST /, with io.flowsense.flow.classified.v1
//     replies in the encoding they came in (package cloudevents is the
//     contract);
//   - POST /predict with plain JSON (one flow object, an array of flows, or
//     {"features": [...]}), a text/csv upload, or a pcap/pcapng capture
//     (extracted by package extract into CICFlowMeter flows), answered
//     with JSON;
//   - POST /feedback (and io.flowsense.feedback.v1 events on POST /): the
//     label returned for a flow and its true label, counted into the
//     metrics and never stored;
//   - GET /metrics: Prometheus metrics from a registry of the server's own
//     (predictions, latency, batch sizes, outlier scores, the feedback
//     confusion and rolling accuracy, cold start, model info, and the
//     per-feature drift of live traffic against the model's reference
//     histograms);
//   - GET /health/readiness and /health/liveness (the func CLI's defaults),
//     GET /model (the module's metadata as JSON) and GET /model.wasm;
//   - GET /schema/flow, /schema/classification and /schema/feedback: the
//     JSON Schemas of the flow record, the classification reply and the
//     feedback message (package cloudevents);
//   - the Open Inference Protocol (KServe V2) under /v2: server and model
//     metadata and health, and POST /v2/models/{name}/infer with the
//     flows as an [N, F] tensor or one tensor per feature, answered with
//     label, probabilities, outlier_score and verdict tensors, with the
//     binary tensor data extension (oip.go, oip_rest.go); the request
//     parameter explain=N adds the explain_* tensors (bias, margin and the
//     top N features, values and contributions of the predicted class, and
//     of the outlier score's shares), and the model metadata of a module
//     that can explain carries the parameter explain=true over REST
//     (oip_explain.go);
//   - GET / and /static/..., the web page (package web) that classifies a
//     CSV or a pcap/pcapng capture in the browser with /model.wasm (or
//     sends it to POST /predict) and explains a flow on a click.
//
// Each route group can require its own credential (auth.go, hostenv.go):
// classification, feedback, metrics and the metadata route (GET /model
// and /schema/*, FLOWSENSE_AUTH_METADATA; public when unset), each a
// bearer token or a verified OIDC subject.
//
// Every request is bounded (body bytes, flows, time); every error is an
// application/problem+json answer (RFC 9457) with the status a client can
// act on, and a client's mistake is never a 5xx. README.md is the HTTP API.
//
// For hosts that are not HTTP, Handle takes and returns one CloudEvent
// (an SDK receiver), ClassifyJSON classifies the JSON of one message, and
// HandleMessage takes a message that is either (an SQS record). StatusOf
// and ProblemOf map their errors to what the HTTP handler would have
// answered. The Knative function (functions/knative) serves the whole
// http.Handler.
//
// This package is not a host: it opens no port of its own beyond the Serve
// helper, reads no environment and knows nothing of Knative or Lambda. It
// does not train or compile models (LoadFile compiles a model.json only as
// a convenience for a model directory without model.wasm).
package functions
