package deploy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	"knative.dev/pkg/apis"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"
)

// errManifest is the sentinel for every manifest the checks reject.
var errManifest = errors.New("bad manifest")

// manifestError names the file and document a check failed on.
type manifestError struct {
	File string
	Doc  int // 0-based index of the YAML document in File
	Err  error
}

func (e *manifestError) Error() string {
	return fmt.Sprintf("%s: document %d: %v", e.File, e.Doc, e.Err)
}

func (e *manifestError) Unwrap() error { return e.Err }

// splitDocs splits a multi-document YAML stream on "---" lines, dropping
// documents that hold only comments or blank lines.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range bytes.Split(append([]byte("\n"), b...), []byte("\n---")) {
		empty := true
		for _, line := range strings.Split(string(d), "\n") {
			t := strings.TrimSpace(line)
			if t != "" && !strings.HasPrefix(t, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, d)
		}
	}
	return docs
}

// strict decodes one YAML document into v; unknown or duplicate fields are errors.
func strict(doc []byte, v any) error {
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		return fmt.Errorf("%w: decode: %w", errManifest, err)
	}
	return nil
}

// validatable is what the Knative types implement.
type validatable interface {
	SetDefaults(context.Context)
	Validate(context.Context) *apis.FieldError
}

// knativeObjects decodes every document of a Knative manifest into its
// typed object (by kind), defaults and validates it as on create.
func knativeObjects(name string, b []byte) ([]validatable, error) {
	var objs []validatable
	for i, doc := range splitDocs(b) {
		obj, err := knativeObject(doc)
		if err != nil {
			return nil, &manifestError{File: name, Doc: i, Err: err}
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

func knativeObject(doc []byte) (validatable, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, fmt.Errorf("%w: type: %w", errManifest, err)
	}
	var obj validatable
	switch tm.APIVersion + "/" + tm.Kind {
	case "serving.knative.dev/v1/Service":
		obj = &servingv1.Service{}
	case "eventing.knative.dev/v1/Broker":
		obj = &eventingv1.Broker{}
	case "eventing.knative.dev/v1/Trigger":
		obj = &eventingv1.Trigger{}
	default:
		return nil, fmt.Errorf("%w: unexpected kind %s %s", errManifest, tm.APIVersion, tm.Kind)
	}
	if err := strict(doc, obj); err != nil {
		return nil, err
	}
	ctx := apis.WithinCreate(context.Background())
	obj.SetDefaults(ctx)
	if fe := obj.Validate(ctx); fe != nil {
		return nil, fmt.Errorf("%w: validate: %w", errManifest, fe)
	}
	return obj, nil
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	return b
}

// TestKnativeManifestsValid: every document in deploy/knative decodes
// strictly and passes SetDefaults and Validate.
func TestKnativeManifestsValid(t *testing.T) {
	files, err := filepath.Glob("knative/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in knative/: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			objs, err := knativeObjects(f, readFile(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if len(objs) == 0 {
				t.Fatal("no objects")
			}
		})
	}
}

func TestServiceProperties(t *testing.T) {
	objs, err := knativeObjects("service.yaml", readFile(t, "knative/service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("service.yaml holds %d objects, want 1", len(objs))
	}
	svc := objs[0].(*servingv1.Service)
	ann := svc.Spec.Template.Annotations
	if got := ann["autoscaling.knative.dev/min-scale"]; got != "0" {
		t.Errorf("min-scale = %q, want \"0\" (scale to zero)", got)
	}
	for _, k := range []string{"autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/target"} {
		if ann[k] == "" {
			t.Errorf("annotation %s missing", k)
		}
	}
	spec := svc.Spec.Template.Spec
	if spec.ContainerConcurrency == nil || *spec.ContainerConcurrency <= 0 {
		t.Errorf("containerConcurrency = %v, want a positive bound", spec.ContainerConcurrency)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/health/readiness" {
		t.Errorf("readiness probe = %+v, want GET /health/readiness", c.ReadinessProbe)
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/health/liveness" {
		t.Errorf("liveness probe = %+v, want GET /health/liveness", c.LivenessProbe)
	}
	for _, r := range []string{"cpu", "memory"} {
		req, lim := c.Resources.Requests[corev1Name(r)], c.Resources.Limits[corev1Name(r)]
		if req.IsZero() || lim.IsZero() {
			t.Errorf("resources %s: request %v limit %v, want both set", r, req.String(), lim.String())
		} else if req.Cmp(lim) > 0 {
			t.Errorf("resources %s: request %v above limit %v", r, req.String(), lim.String())
		}
	}
	var model bool
	for _, e := range c.Env {
		model = model || e.Name == "FLOWSENSE_MODEL"
	}
	if !model {
		t.Error("env FLOWSENSE_MODEL missing")
	}
}

func TestEventingProperties(t *testing.T) {
	objs, err := knativeObjects("eventing.yaml", readFile(t, "knative/eventing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var brokers []*eventingv1.Broker
	triggers := map[string]*eventingv1.Trigger{} // by filtered type
	for _, o := range objs {
		switch o := o.(type) {
		case *eventingv1.Broker:
			brokers = append(brokers, o)
		case *eventingv1.Trigger:
			triggers[o.Spec.Filter.Attributes["type"]] = o
		}
	}
	if len(brokers) != 1 {
		t.Fatalf("%d brokers, want 1", len(brokers))
	}
	broker := brokers[0].Name
	if d := brokers[0].Spec.Delivery; d == nil || d.DeadLetterSink == nil {
		t.Error("broker has no delivery deadLetterSink")
	}
	cases := map[string]struct {
		typ        string
		attrs      map[string]string
		subscriber string
	}{
		"flows to the classifier": {
			typ:        "io.flowsense.flow.v1",
			subscriber: "flowsense",
		},
		"malicious to the alert sink": {
			typ:        "io.flowsense.flow.classified.v1",
			attrs:      map[string]string{"verdict": "malicious"},
			subscriber: "flowsense-alerts",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tr := triggers[tc.typ]
			if tr == nil {
				t.Fatalf("no trigger filters type %s", tc.typ)
			}
			if tr.Spec.Broker != broker {
				t.Errorf("broker = %q, want %q", tr.Spec.Broker, broker)
			}
			for k, v := range tc.attrs {
				if got := tr.Spec.Filter.Attributes[k]; got != v {
					t.Errorf("filter %s = %q, want %q", k, got, v)
				}
			}
			if ref := tr.Spec.Subscriber.Ref; ref == nil || ref.Kind != "Service" || ref.Name != tc.subscriber {
				t.Errorf("subscriber = %+v, want Service %s", tr.Spec.Subscriber, tc.subscriber)
			}
			d := tr.Spec.Delivery
			if d == nil {
				t.Fatal("no delivery spec")
			}
			if d.Retry == nil || *d.Retry < 1 {
				t.Errorf("retry = %v, want >= 1", d.Retry)
			}
			if d.BackoffPolicy == nil || *d.BackoffPolicy != "exponential" {
				t.Errorf("backoffPolicy = %v, want exponential", d.BackoffPolicy)
			}
			if d.BackoffDelay == nil || *d.BackoffDelay == "" {
				t.Error("backoffDelay missing")
			}
			if d.DeadLetterSink == nil || (d.DeadLetterSink.Ref == nil && d.DeadLetterSink.URI == nil) {
				t.Error("deadLetterSink missing")
			}
		})
	}
}

// TestKnativeMutationsRejected: a broken copy of a good manifest must fail
// decoding or validation, so the positive tests above can fail too.
func TestKnativeMutationsRejected(t *testing.T) {
	svc := string(readFile(t, "knative/service.yaml"))
	ev := string(readFile(t, "knative/eventing.yaml"))
	cases := map[string]struct {
		base, old, new string
		want           string // in the error: the field or reason rejected
	}{
		"min-scale negative":            {svc, `min-scale: "0"`, `min-scale: "-1"`, "min-scale"},
		"max-scale below min":           {svc, `min-scale: "0"`, `min-scale: "20"`, "min-scale"},
		"containerConcurrency negative": {svc, "containerConcurrency: 200", "containerConcurrency: -1", "containerConcurrency"},
		"unknown field":                 {svc, "containerConcurrency: 200", "containerConcurrency: 200\n      concurrencyy: 1", "unknown field"},
		"insecure container":            {svc, "          securityContext:\n            runAsNonRoot: true\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop: [\"ALL\"]\n            seccompProfile:\n              type: RuntimeDefault\n", "", "securityContext"},
		"no image":                      {svc, "image: registry.example.com/flowsense/flowsense:latest", "image: \"\"", "image"},
		"trigger without subscriber":    {ev, "  subscriber:\n    ref:\n      apiVersion: serving.knative.dev/v1\n      kind: Service\n      name: flowsense\n", "", "subscriber"},
		"trigger without broker":        {ev, "  broker: flowsense\n  filter:\n    attributes:\n      type: io.flowsense.flow.v1", "  filter:\n    attributes:\n      type: io.flowsense.flow.v1", "broker"},
		"bad backoff policy":            {ev, "backoffPolicy: exponential", "backoffPolicy: fibonacci", "backoffPolicy"},
		"bad backoff delay":             {ev, "backoffDelay: PT0.5S", "backoffDelay: half a second", "backoffDelay"},
		"negative retry":                {ev, "retry: 5", "retry: -1", "retry"},
		"unknown kind":                  {ev, "kind: Broker", "kind: Brokr", "unexpected kind"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(tc.base, tc.old) {
				t.Fatalf("manifest no longer contains %q: update the mutation", tc.old)
			}
			mutated := strings.Replace(tc.base, tc.old, tc.new, 1)
			_, err := knativeObjects(name, []byte(mutated))
			if err == nil {
				t.Fatal("mutated manifest passed validation")
			}
			if !errors.Is(err, errManifest) {
				t.Errorf("error %v is not errManifest", err)
			}
			var me *manifestError
			if !errors.As(err, &me) {
				t.Errorf("error %v is not a *manifestError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
