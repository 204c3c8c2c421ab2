// Package deploy holds no product code: it is the test module that checks
// flowsense's deployment manifests (knative/, lambda/, trainer/) against
// the types of the systems that will read them — Knative Serving and
// Eventing v0.50.0, Kubernetes batch/v1 and a structural model of the SAM
// template — and the Knative function's func.yaml
// (../functions/knative/func.yaml) against the rules of the func CLI's
// schema — so a typo or an invalid value fails `go test` here rather than
// `kubectl apply` in a cluster.
//
// It is a module of its own (github.com/flowsense/flowsense/deploy) so
// that the Knative and Kubernetes dependencies stay out of the product's
// go.mod. It is not a deployment tool: it never talks to a cluster or to
// AWS. See README.md for how to apply the manifests.
package deploy
