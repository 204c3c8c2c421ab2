// Package kserve holds the KServe manifests for flowsense (a
// ServingRuntime and an InferenceService) and the tests that decode them
// strictly into KServe v0.15.2's own Go types and run its defaulting and
// validation. It is a Go module of its own, apart from deploy/: KServe
// v0.15.2's types embed a copy of Kubernetes' PodSpec that only converts
// with the k8s.io/api it was built against (v0.32.3), and deploy/'s
// Knative v0.50 needs v0.35.
package kserve
