package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	yamlv3 "gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// funcYAMLPath is the Knative function's func.yaml, read by the func CLI.
const funcYAMLPath = "../functions/knative/func.yaml"

// The rules below are those of the func CLI's schema of func.yaml
// (knative/func schema/func_yaml-schema.json, JSON Schema draft-04), read
// at commits 1b599f36 and 023aea15 and written down here for the fields
// it defines:
//   - every object has "additionalProperties": false: strict decoding into
//     these structs, which hold exactly the schema's properties (the union
//     of both commits: remoteStorageClass and podSecurityContext are in
//     the later one only);
//   - Function requires specVersion and created; created is a date-time;
//     name matches funcNamePattern; invoke is http or cloudevent;
//   - build.builder is pack or s2i, or host: func v0.44.0's schema
//     (schema/func_yaml-schema.json at v0.44.0) still lists pack and s2i
//     only, but its func build --builder host writes builder: host into
//     func.yaml itself, so host is accepted here as func does;
//   - Env names match envNamePattern; Label keys (required) and values
//     match their patterns;
//   - scale: min, max integers >= 0; metric concurrency or rps; target a
//     number >= 0; utilization a number in [1, 100];
//   - resources: cpu and memory strings matching quantityPattern; limits
//     concurrency an integer >= 0;
//   - a Volume holds exactly one of secret, configMap,
//     persistentVolumeClaim, emptyDir (oneOf); a subscription requires
//     source.
// Integer-typed fields are Go ints, so 1.5 fails to decode as the schema
// would reject it.

var (
	funcNamePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	envNamePattern  = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)
	labelKeyPattern = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	labelValPattern = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	quantityPattern = regexp.MustCompile(`^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$`)
)

type funcSpec struct {
	SpecVersion *string     `json:"specVersion"`
	Name        string      `json:"name"`
	Domain      string      `json:"domain"`
	Runtime     string      `json:"runtime"`
	Registry    string      `json:"registry"`
	Image       string      `json:"image"`
	Namespace   string      `json:"namespace"`
	Created     *string     `json:"created"`
	Invoke      string      `json:"invoke"`
	Build       *funcBuild  `json:"build"`
	Run         *funcRun    `json:"run"`
	Deploy      *funcDeploy `json:"deploy"`
}

type funcEnv struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type funcBuild struct {
	Git *struct {
		URL        string `json:"url"`
		Revision   string `json:"revision"`
		ContextDir string `json:"contextDir"`
	} `json:"git"`
	BuilderImages      map[string]string `json:"builderImages"`
	Buildpacks         []string          `json:"buildpacks"`
	Builder            string            `json:"builder"`
	BuildEnvs          []funcEnv         `json:"buildEnvs"`
	PVCSize            string            `json:"pvcSize"`
	RemoteStorageClass string            `json:"remoteStorageClass"`
}

type funcVolume struct {
	Secret                *string `json:"secret"`
	ConfigMap             *string `json:"configMap"`
	PersistentVolumeClaim *struct {
		ClaimName string `json:"claimName"`
		ReadOnly  bool   `json:"readOnly"`
	} `json:"persistentVolumeClaim"`
	EmptyDir *struct {
		Medium    string `json:"medium"`
		SizeLimit string `json:"sizeLimit"`
	} `json:"emptyDir"`
	Path string `json:"path"`
}

type funcRun struct {
	Volumes            []funcVolume `json:"volumes"`
	Envs               []funcEnv    `json:"envs"`
	StartTimeout       *int         `json:"startTimeout"`
	PodSecurityContext *struct {
		RunAsUser    *int  `json:"RunAsUser"`
		RunAsGroup   *int  `json:"RunAsGroup"`
		RunAsNonRoot *bool `json:"RunAsNonRoot"`
		FSGroup      *int  `json:"FSGroup"`
	} `json:"podSecurityContext"`
}

type funcQuantities struct {
	CPU         *string `json:"cpu"`
	Memory      *string `json:"memory"`
	Concurrency *int    `json:"concurrency"` // limits only
}

type funcDeploy struct {
	Namespace   string            `json:"namespace"`
	Image       string            `json:"image"`
	Annotations map[string]string `json:"annotations"`
	Options     *struct {
		Scale *struct {
			Min         *int     `json:"min"`
			Max         *int     `json:"max"`
			Metric      string   `json:"metric"`
			Target      *float64 `json:"target"`
			Utilization *float64 `json:"utilization"`
		} `json:"scale"`
		Resources *struct {
			Requests *funcQuantities `json:"requests"`
			Limits   *funcQuantities `json:"limits"`
		} `json:"resources"`
	} `json:"options"`
	Labels []struct {
		Key   *string `json:"key"`
		Value string  `json:"value"`
	} `json:"labels"`
	HealthEndpoints *struct {
		Liveness  string `json:"liveness"`
		Readiness string `json:"readiness"`
	} `json:"healthEndpoints"`
	ServiceAccountName string `json:"serviceAccountName"`
	Subscriptions      []struct {
		Source  *string           `json:"source"`
		Filters map[string]string `json:"filters"`
	} `json:"subscriptions"`
}

// funcYAML decodes func.yaml strictly and checks it against the schema's
// rules; every failure is a *manifestError wrapping errManifest.
func funcYAML(name string, b []byte) (*funcSpec, error) {
	var f funcSpec
	if err := typedStrict(b, &f); err != nil {
		return nil, &manifestError{File: name, Err: err}
	}
	if errs := schemaRules(&f); len(errs) > 0 {
		return nil, &manifestError{File: name, Err: fmt.Errorf("%w: %w", errManifest, errors.Join(errs...))}
	}
	return &f, nil
}

// typedStrict decodes YAML into v keeping YAML's types (a number is not
// turned into a string field's text, as sigs.k8s.io/yaml would) and
// rejecting unknown fields: the schema's "type" and
// "additionalProperties": false.
func typedStrict(b []byte, v any) error {
	var doc any
	if err := yamlv3.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%w: decode: %w", errManifest, err)
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("%w: decode: %w", errManifest, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: decode: %w", errManifest, err)
	}
	return nil
}

func schemaRules(f *funcSpec) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if f.SpecVersion == nil {
		bad("specVersion: required")
	}
	if f.Created == nil {
		bad("created: required")
	} else if _, err := time.Parse(time.RFC3339, *f.Created); err != nil {
		bad("created: %q is not a date-time", *f.Created)
	}
	if f.Name != "" && !funcNamePattern.MatchString(f.Name) {
		bad("name: %q does not match %s", f.Name, funcNamePattern)
	}
	if f.Invoke != "" && f.Invoke != "http" && f.Invoke != "cloudevent" {
		bad("invoke: %q is not http or cloudevent", f.Invoke)
	}
	env := func(field string, es []funcEnv) {
		for i, e := range es {
			if !envNamePattern.MatchString(e.Name) {
				bad("%s[%d].name: %q does not match %s", field, i, e.Name, envNamePattern)
			}
		}
	}
	if b := f.Build; b != nil {
		if b.Builder != "" && b.Builder != "pack" && b.Builder != "s2i" && b.Builder != "host" {
			bad("build.builder: %q is not pack, s2i or host", b.Builder)
		}
		env("build.buildEnvs", b.BuildEnvs)
	}
	if r := f.Run; r != nil {
		env("run.envs", r.Envs)
		for i, v := range r.Volumes {
			n := 0
			for _, set := range []bool{v.Secret != nil, v.ConfigMap != nil, v.PersistentVolumeClaim != nil, v.EmptyDir != nil} {
				if set {
					n++
				}
			}
			if n != 1 {
				bad("run.volumes[%d]: %d of secret, configMap, persistentVolumeClaim, emptyDir, want exactly one", i, n)
			}
		}
	}
	d := f.Deploy
	if d == nil {
		return errs
	}
	for i, l := range d.Labels {
		if l.Key == nil || !labelKeyPattern.MatchString(*l.Key) {
			bad("deploy.labels[%d].key: missing or not a label key", i)
		}
		if !labelValPattern.MatchString(l.Value) {
			bad("deploy.labels[%d].value: %q is not a label value", i, l.Value)
		}
	}
	for i, s := range d.Subscriptions {
		if s.Source == nil {
			bad("deploy.subscriptions[%d].source: required", i)
		}
	}
	if d.Options == nil {
		return errs
	}
	if s := d.Options.Scale; s != nil {
		if s.Min != nil && *s.Min < 0 {
			bad("deploy.options.scale.min: %d < 0", *s.Min)
		}
		if s.Max != nil && *s.Max < 0 {
			bad("deploy.options.scale.max: %d < 0", *s.Max)
		}
		if s.Metric != "" && s.Metric != "concurrency" && s.Metric != "rps" {
			bad("deploy.options.scale.metric: %q is not concurrency or rps", s.Metric)
		}
		if s.Target != nil && *s.Target < 0 {
			bad("deploy.options.scale.target: %v < 0", *s.Target)
		}
		if s.Utilization != nil && (*s.Utilization < 1 || *s.Utilization > 100) {
			bad("deploy.options.scale.utilization: %v not in [1, 100]", *s.Utilization)
		}
	}
	if r := d.Options.Resources; r != nil {
		for field, q := range map[string]*funcQuantities{"requests": r.Requests, "limits": r.Limits} {
			if q == nil {
				continue
			}
			for name, v := range map[string]*string{"cpu": q.CPU, "memory": q.Memory} {
				if v != nil && !quantityPattern.MatchString(*v) {
					bad("deploy.options.resources.%s.%s: %q is not a quantity", field, name, *v)
				}
			}
			if q.Concurrency != nil && (field == "requests" || *q.Concurrency < 0) {
				bad("deploy.options.resources.%s.concurrency: not allowed or < 0", field)
			}
		}
	}
	return errs
}

// TestFuncYAMLSchema: func.yaml passes the schema's rules, and says what
// this function needs: runtime go, invoke http (functions/knative/README.md
// says why not cloudevent), scale to zero with a max and a concurrency
// target, requests within limits, and func's default health endpoints,
// which the handler serves.
func TestFuncYAMLSchema(t *testing.T) {
	f, err := funcYAML(funcYAMLPath, readFile(t, funcYAMLPath))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "flowsense" || f.Runtime != "go" || f.Invoke != "http" {
		t.Errorf("name %q runtime %q invoke %q, want flowsense, go, http", f.Name, f.Runtime, f.Invoke)
	}
	if f.Deploy == nil || f.Deploy.Options == nil || f.Deploy.Options.Scale == nil || f.Deploy.Options.Resources == nil {
		t.Fatal("deploy.options.scale and deploy.options.resources are required here")
	}
	s := f.Deploy.Options.Scale
	if s.Min == nil || *s.Min != 0 {
		t.Errorf("scale.min %v, want 0 (scale to zero)", s.Min)
	}
	if s.Max == nil || *s.Max < 1 {
		t.Errorf("scale.max %v, want a bound >= 1", s.Max)
	}
	if s.Metric != "concurrency" || s.Target == nil || *s.Target <= 0 {
		t.Errorf("scale.metric %q target %v, want concurrency and a positive target", s.Metric, s.Target)
	}
	r := f.Deploy.Options.Resources
	if r.Requests == nil || r.Limits == nil {
		t.Fatal("resources: requests and limits are required here")
	}
	for name, pair := range map[string][2]*string{"cpu": {r.Requests.CPU, r.Limits.CPU}, "memory": {r.Requests.Memory, r.Limits.Memory}} {
		if pair[0] == nil || pair[1] == nil {
			t.Errorf("resources %s: request and limit are required here", name)
			continue
		}
		req, err1 := resource.ParseQuantity(*pair[0])
		lim, err2 := resource.ParseQuantity(*pair[1])
		if err1 != nil || err2 != nil || req.Cmp(lim) > 0 {
			t.Errorf("resources %s: request %s, limit %s (%v %v), want request <= limit", name, *pair[0], *pair[1], err1, err2)
		}
	}
	if r.Limits.Concurrency == nil || float64(*r.Limits.Concurrency) < *s.Target {
		t.Errorf("limits.concurrency %v below the scale target %v", r.Limits.Concurrency, *s.Target)
	}
	h := f.Deploy.HealthEndpoints
	if h == nil || h.Liveness != "/health/liveness" || h.Readiness != "/health/readiness" {
		t.Errorf("healthEndpoints %+v, want /health/liveness and /health/readiness", h)
	}
	// builder: host as func build --builder host writes it (v0.44.0), so
	// that a build leaves the committed func.yaml unchanged
	// (functions/knative/testfunc.sh checks that with the real func).
	if f.Build == nil || f.Build.Builder != "host" {
		t.Errorf("build %+v: want builder: host", f.Build)
	}
}

// TestFuncYAMLMatchesService: func deploy and kubectl apply of
// knative/service.yaml give the same scaling, concurrency, resources and
// probes.
func TestFuncYAMLMatchesService(t *testing.T) {
	f, err := funcYAML(funcYAMLPath, readFile(t, funcYAMLPath))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := knativeObjects("service.yaml", readFile(t, "knative/service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	svc := objs[0].(*servingv1.Service)
	if f.Deploy == nil || f.Deploy.Options == nil || f.Deploy.Options.Scale == nil || f.Deploy.Options.Resources == nil ||
		f.Deploy.Options.Resources.Requests == nil || f.Deploy.Options.Resources.Limits == nil || f.Deploy.HealthEndpoints == nil {
		t.Fatal("func.yaml lacks deploy.options.scale, resources or healthEndpoints")
	}
	s, r := f.Deploy.Options.Scale, f.Deploy.Options.Resources
	ann := svc.Spec.Template.Annotations
	num := func(p *int) string {
		if p == nil {
			return "<unset>"
		}
		return strconv.Itoa(*p)
	}
	target := "<unset>"
	if s.Target != nil {
		target = strconv.FormatFloat(*s.Target, 'f', -1, 64)
	}
	pairs := map[string][2]string{
		"min-scale": {num(s.Min), ann["autoscaling.knative.dev/min-scale"]},
		"max-scale": {num(s.Max), ann["autoscaling.knative.dev/max-scale"]},
		"target":    {target, ann["autoscaling.knative.dev/target"]},
		"metric":    {s.Metric, ann["autoscaling.knative.dev/metric"]},
	}
	if cc := svc.Spec.Template.Spec.ContainerConcurrency; cc != nil {
		pairs["containerConcurrency"] = [2]string{num(r.Limits.Concurrency), strconv.FormatInt(*cc, 10)}
	}
	c := svc.Spec.Template.Spec.Containers[0]
	q := func(p *string) string {
		if p == nil {
			return "<unset>"
		}
		v, err := resource.ParseQuantity(*p)
		if err != nil {
			return "bad " + *p
		}
		return v.String()
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		fr, fl := r.Requests.CPU, r.Limits.CPU
		if res == corev1.ResourceMemory {
			fr, fl = r.Requests.Memory, r.Limits.Memory
		}
		req, lim := c.Resources.Requests[res], c.Resources.Limits[res]
		pairs["requests."+string(res)] = [2]string{q(fr), req.String()}
		pairs["limits."+string(res)] = [2]string{q(fl), lim.String()}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil {
		pairs["readiness"] = [2]string{f.Deploy.HealthEndpoints.Readiness, c.ReadinessProbe.HTTPGet.Path}
	}
	if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil {
		pairs["liveness"] = [2]string{f.Deploy.HealthEndpoints.Liveness, c.LivenessProbe.HTTPGet.Path}
	}
	if len(pairs) != 11 {
		t.Errorf("compared %d settings, want 11 (service.yaml lost containerConcurrency or a probe)", len(pairs))
	}
	for name, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("%s: func.yaml %s, service.yaml %s", name, p[0], p[1])
		}
	}
}

// TestFuncYAMLMutationsRejected: broken copies of func.yaml fail the
// schema's rules, so TestFuncYAMLSchema can fail too.
func TestFuncYAMLMutationsRejected(t *testing.T) {
	good := string(readFile(t, funcYAMLPath))
	cases := map[string]struct {
		old, new string
		want     string // in the error
	}{
		"no specVersion":            {"specVersion: 0.36.0\n", "", "specVersion: required"},
		"no created":                {"created: 2026-11-21T00:00:00Z\n", "", "created: required"},
		"created not a date-time":   {"created: 2026-11-21T00:00:00Z", "created: yesterday", "date-time"},
		"name with capitals":        {"name: flowsense", "name: FlowSense", "name:"},
		"name with a trailing dash": {"name: flowsense", "name: flowsense-", "name:"},
		"invoke unknown":            {"\ninvoke: http\n", "\ninvoke: grpc\n", "invoke:"},
		"unknown top-level field":   {"runtime: go", "runtime: go\nruntim: go", "unknown field"},
		"unknown scale field":       {"      min: 0", "      min: 0\n      minimum: 0", "unknown field"},
		"scale min negative":        {"      min: 0", "      min: -1", "scale.min"},
		"scale max not integer":     {"      max: 10", "      max: 10.5", "max"},
		"scale metric unknown":      {"metric: concurrency", "metric: cpu", "scale.metric"},
		"scale target negative":     {"target: 100", "target: -5", "scale.target"},
		"cpu not a quantity":        {"cpu: 100m", "cpu: a hundred", "requests.cpu"},
		"memory not a quantity":     {"memory: 128Mi", "memory: lots", "limits.memory"},
		"concurrency in requests":   {"        memory: 64Mi", "        memory: 64Mi\n        concurrency: 10", "requests.concurrency"},
		"concurrency negative":      {"concurrency: 200", "concurrency: -1", "limits.concurrency"},
		"builder unknown":           {"  builder: host", "  builder: docker", "build.builder"},
		"bad build env name":        {"  builder: host", "  builder: host\n  buildEnvs:\n  - name: 1BAD\n    value: x", "buildEnvs[0].name"},
		"volume with two sources":   {"\ninvoke: http\n", "\ninvoke: http\nrun:\n  volumes:\n  - secret: s\n    configMap: c\n    path: /x\n", "run.volumes[0]"},
		"health endpoint a number":  {"liveness: /health/liveness", "liveness: 8080", "liveness"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("func.yaml no longer contains %q: update the mutation", tc.old)
			}
			_, err := funcYAML(name, []byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil {
				t.Fatal("mutated func.yaml passed")
			}
			if !errors.Is(err, errManifest) {
				t.Errorf("error %v is not errManifest", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
