package kserve_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"github.com/kserve/kserve/pkg/constants"
)

// errPublic: a manifest that lets someone call what it should not.
var errPublic = errors.New("not private")

// credentialKeys are the keys of the Secret flowsense-credentials
// (deploy/README.md), shared with knative/service.yaml.
var credentialKeys = map[string]bool{"reply-key": true, "classify-token": true, "feedback-token": true, "metadata-token": true}

// checkISVCPrivate: the InferenceService has no route from outside the
// cluster (KServe's own label and value).
func checkISVCPrivate(isvc *v1beta1.InferenceService) error {
	if v := isvc.Labels[constants.NetworkVisibility]; v != constants.ClusterLocalVisibility {
		return fmt.Errorf("%w: label %s = %q, want %q: the InferenceService would be public", errPublic, constants.NetworkVisibility, v, constants.ClusterLocalVisibility)
	}
	return nil
}

// tokenFiles reads a FLOWSENSE_AUTH_* value as the function does
// (functions.ParsePolicy; this module does not import the product):
// its token files, or an error for "none", an unset one or an oidc=
// sender (no issuer is configured for KServe's callers).
func tokenFiles(name, v string) ([]string, error) {
	if v == "" || strings.TrimSpace(v) == "none" {
		return nil, fmt.Errorf("%w: %s=%q: the route is open to anyone in the cluster", errPublic, name, v)
	}
	var files []string
	for _, alt := range strings.Split(v, ",") {
		kind, val, ok := strings.Cut(strings.TrimSpace(alt), "=")
		if !ok || kind != "token" || val == "" {
			return nil, fmt.Errorf("%w: %s: %q is not token=FILE", errPublic, name, alt)
		}
		files = append(files, val)
	}
	return files, nil
}

// checkRuntimePrivate: the runtime's container signs reply ids with the
// Secret's key, puts classify, feedback and the metadata behind tokens of
// the Secret (mounted read-only), a classify token not opening feedback,
// and serves /metrics on loopback only, at the port KServe's aggregation
// scrapes.
func checkRuntimePrivate(sr *v1alpha1.ServingRuntime) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c := sr.Spec.Containers[0]
	vols := map[string]string{}
	for _, v := range sr.Spec.Volumes {
		if v.Secret != nil {
			vols[v.Name] = v.Secret.SecretName
		}
	}
	mounts := map[string]bool{} // read-only mounts of flowsense-credentials
	for _, m := range c.VolumeMounts {
		if vols[m.Name] == "flowsense-credentials" && m.ReadOnly {
			mounts[m.MountPath] = true
		}
	}
	inSecret := func(what, file string) {
		dir, key := path.Split(file)
		if !mounts[strings.TrimSuffix(dir, "/")] || !credentialKeys[key] {
			bad("%s: %s is not a key of the Secret flowsense-credentials mounted read-only", what, file)
		}
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if f := env["FLOWSENSE_REPLY_KEY_FILE"]; f == "" {
		bad("no FLOWSENSE_REPLY_KEY_FILE: each replica would sign reply ids with a key of its own")
	} else {
		inSecret("FLOWSENSE_REPLY_KEY_FILE", f)
	}
	files := map[string][]string{}
	for _, name := range []string{"FLOWSENSE_AUTH_CLASSIFY", "FLOWSENSE_AUTH_FEEDBACK", "FLOWSENSE_AUTH_METADATA"} {
		fs, err := tokenFiles(name, env[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range fs {
			inSecret(name, f)
		}
		files[name] = fs
	}
	for _, f := range files["FLOWSENSE_AUTH_FEEDBACK"] {
		for _, g := range files["FLOWSENSE_AUTH_CLASSIFY"] {
			if f == g {
				bad("FLOWSENSE_AUTH_FEEDBACK: %s opens classify too: a caller that may classify could post feedback", f)
			}
		}
	}
	var metricsAddr string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--metrics-addr="); ok {
			metricsAddr = v
		}
	}
	host, port, err := net.SplitHostPort(metricsAddr)
	switch {
	case metricsAddr == "":
		if _, ok := env["FLOWSENSE_AUTH_METRICS"]; !ok {
			bad("no --metrics-addr: /metrics is served on the traffic port to anyone")
		}
	case err != nil || !net.ParseIP(host).IsLoopback():
		bad("--metrics-addr=%s: /metrics must listen on the pod's loopback only", metricsAddr)
	case port != sr.Annotations[constants.KserveContainerPrometheusPortKey]:
		bad("--metrics-addr=%s: the aggregation scrapes port %q (%s)", metricsAddr, sr.Annotations[constants.KserveContainerPrometheusPortKey], constants.KserveContainerPrometheusPortKey)
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errPublic}, errs...)...)
	}
	return nil
}

// TestPrivateByDefault: the InferenceService is cluster-local and its
// runtime private (checkRuntimePrivate).
func TestPrivateByDefault(t *testing.T) {
	if err := checkISVCPrivate(inferenceService(t)); err != nil {
		t.Error(err)
	}
	if err := checkRuntimePrivate(servingRuntime(t)); err != nil {
		t.Error(err)
	}
}

// TestPublicMutations: a change that makes the InferenceService public,
// opens a route, shares the classify token with feedback, drops the
// reply key or puts /metrics where anyone reaches it is caught; each
// mutated manifest still decodes and validates as KServe's types and
// webhook do, so the check, not the decoding, refuses it.
func TestPublicMutations(t *testing.T) {
	isvc, err := os.ReadFile("inferenceservice.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"visibility label removed": {"    networking.kserve.io/visibility: cluster-local\n", "", "would be public"},
		"visibility changed":       {"networking.kserve.io/visibility: cluster-local", "networking.kserve.io/visibility: external", "would be public"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(isvc), c.old) {
				t.Fatalf("inferenceservice.yaml no longer contains %q: update the mutation", c.old)
			}
			v := &v1beta1.InferenceService{}
			decodeBytes(t, "inferenceservice.yaml", []byte(strings.Replace(string(isvc), c.old, c.new, 1)), "serving.kserve.io/v1beta1", "InferenceService", v)
			if err := checkISVCPrivate(v); !errors.Is(err, errPublic) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want errPublic mentioning %q", err, c.want)
			}
		})
	}
	sr, err := os.ReadFile("servingruntime.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"classify open":               {"value: token=/var/run/secrets/flowsense/classify-token\n", "value: none\n", "FLOWSENSE_AUTH_CLASSIFY"},
		"feedback unset":              {"        - name: FLOWSENSE_AUTH_FEEDBACK\n          value: token=/var/run/secrets/flowsense/feedback-token\n", "", "FLOWSENSE_AUTH_FEEDBACK"},
		"feedback by the classifier":  {"value: token=/var/run/secrets/flowsense/feedback-token", "value: token=/var/run/secrets/flowsense/classify-token", "opens classify too"},
		"metadata open":               {"value: token=/var/run/secrets/flowsense/metadata-token,token=/var/run/secrets/flowsense/classify-token", "value: none", "FLOWSENSE_AUTH_METADATA"},
		"no reply key":                {"        - name: FLOWSENSE_REPLY_KEY_FILE\n          value: /var/run/secrets/flowsense/reply-key\n", "", "FLOWSENSE_REPLY_KEY_FILE"},
		"token outside the secret":    {"token=/var/run/secrets/flowsense/feedback-token", "token=/tmp/feedback-token", "flowsense-credentials"},
		"secret mounted writable":     {"          mountPath: /var/run/secrets/flowsense\n          readOnly: true\n", "          mountPath: /var/run/secrets/flowsense\n", "flowsense-credentials"},
		"metrics on every address":    {"--metrics-addr=127.0.0.1:9095", "--metrics-addr=0.0.0.0:9095", "loopback"},
		"metrics on the traffic port": {"        - --metrics-addr=127.0.0.1:9095\n", "", "traffic port"},
		"aggregation elsewhere":       {`prometheus.kserve.io/port: "9095"`, `prometheus.kserve.io/port: "8080"`, "scrapes port"},
		"a sender identity":           {"value: token=/var/run/secrets/flowsense/classify-token\n", "value: oidc=*\n", "not token=FILE"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(sr), c.old) {
				t.Fatalf("servingruntime.yaml no longer contains %q: update the mutation", c.old)
			}
			v := &v1alpha1.ServingRuntime{}
			decodeBytes(t, "servingruntime.yaml", []byte(strings.Replace(string(sr), c.old, c.new, 1)), "serving.kserve.io/v1alpha1", "ServingRuntime", v)
			if err := v.Spec.ValidateCreate(); err != nil {
				t.Fatalf("the mutated runtime does not validate: %v", err)
			}
			if err := checkRuntimePrivate(v); !errors.Is(err, errPublic) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v, want errPublic mentioning %q", err, c.want)
			}
		})
	}
}
