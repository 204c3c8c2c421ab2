package deploy_test

import (
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	eauth "knative.dev/eventing/pkg/auth"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

func decodeDaemonSet(b []byte) (*appsv1.DaemonSet, error) {
	docs := splitDocs(b)
	if len(docs) != 1 {
		return nil, &manifestError{File: "daemonset.yaml", Err: errors.Join(errManifest, errors.New("want one document"))}
	}
	var ds appsv1.DaemonSet
	if err := strict(docs[0], &ds); err != nil {
		return nil, &manifestError{File: "daemonset.yaml", Err: err}
	}
	if ds.APIVersion != "apps/v1" || ds.Kind != "DaemonSet" {
		return nil, &manifestError{File: "daemonset.yaml", Err: errors.Join(errManifest, errors.New("not an apps/v1 DaemonSet"))}
	}
	return &ds, nil
}

// sensorFlags are the flags flowsense sensor defines, read from its source.
func sensorFlags(t *testing.T) map[string]bool {
	b, err := os.ReadFile("../cmd/flowsense/cmd_sensor.go")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`f\.(?:String|Bool|List)\("([a-z-]+)"`).FindAllSubmatch(b, -1) {
		flags[string(m[1])] = true
	}
	if len(flags) < 10 {
		t.Fatalf("found %d sensor flags in cmd_sensor.go: the pattern no longer matches", len(flags))
	}
	return flags
}

// TestSensorDaemonSet: the sensor runs on every node with the host's
// network and CAP_NET_RAW only, sends to the ingress of the Broker that
// eventing.yaml defines (whose Trigger hands io.flowsense.flow.v1 to the
// function), reads the schema from that function, and uses only flags the
// sensor has and variables the pod defines.
func TestSensorDaemonSet(t *testing.T) {
	ds, err := decodeDaemonSet(readFile(t, "sensor/daemonset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if sel := ds.Spec.Selector.MatchLabels; len(sel) == 0 || !mapsSubset(sel, ds.Spec.Template.Labels) {
		t.Errorf("selector %v does not select the template's labels %v", sel, ds.Spec.Template.Labels)
	}
	pod := ds.Spec.Template.Spec
	if !pod.HostNetwork || pod.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		t.Errorf("hostNetwork %v, dnsPolicy %q: the sensor needs the node's interfaces and cluster DNS", pod.HostNetwork, pod.DNSPolicy)
	}
	if !slices.ContainsFunc(pod.Tolerations, func(tl corev1.Toleration) bool { return tl.Operator == corev1.TolerationOpExists && tl.Key == "" }) {
		t.Errorf("tolerations %+v: not every node", pod.Tolerations)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_RAW"}) ||
		!slices.Contains(sc.Capabilities.Drop, "ALL") || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		(sc.Privileged != nil && *sc.Privileged) {
		t.Errorf("security context %+v: want NET_RAW added, ALL dropped, no escalation, not privileged", sc)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() {
			t.Errorf("no %s request and limit", r)
		}
	}
	if !slices.Equal(c.Command, []string{"flowsense", "sensor"}) {
		t.Errorf("command %v", c.Command)
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if e := env["POD_NAMESPACE"]; e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("POD_NAMESPACE %+v: want the downward API's metadata.namespace", e)
	}
	flags := sensorFlags(t)
	args := map[string]string{}
	for _, a := range c.Args {
		k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || !ok {
			t.Errorf("arg %q: want --flag=value", a)
			continue
		}
		if !flags[k] {
			t.Errorf("arg %q: flowsense sensor has no --%s", a, k)
		}
		args[k] = v
		for _, m := range regexp.MustCompile(`\$\(([A-Z_]+)\)`).FindAllStringSubmatch(v, -1) {
			if _, ok := env[m[1]]; !ok {
				t.Errorf("arg %q uses $(%s), which the container does not define", a, m[1])
			}
		}
	}
	if args["interface"] == "" {
		t.Error("no --interface")
	}
	if d, err := time.ParseDuration(args["drain-timeout"]); err != nil || pod.TerminationGracePeriodSeconds == nil ||
		time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second <= d {
		t.Errorf("terminationGracePeriodSeconds %v must exceed --drain-timeout %q", pod.TerminationGracePeriodSeconds, args["drain-timeout"])
	}
	if n, err := strconv.Atoi(args["buffer"]); err != nil || n <= 0 {
		t.Errorf("--buffer %q", args["buffer"])
	}

	// the sink is the Broker eventing.yaml defines, and its Trigger takes
	// what the sensor sends to the Service serving GET /model
	objs, err := knativeObjects("knative/eventing.yaml", readFile(t, "knative/eventing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var broker string
	var subscriber string
	for _, o := range objs {
		switch x := o.(type) {
		case *eventingv1.Broker:
			broker = x.Name
		case *eventingv1.Trigger:
			if x.Spec.Filter != nil && x.Spec.Filter.Attributes["type"] == "io.flowsense.flow.v1" && x.Spec.Subscriber.Ref != nil {
				subscriber = x.Spec.Subscriber.Ref.Name
				if x.Spec.Broker != broker {
					t.Errorf("Trigger %s is on broker %q, the sensor sends to %q", x.Name, x.Spec.Broker, broker)
				}
			}
		}
	}
	if want := "http://broker-ingress.knative-eventing.svc.cluster.local/$(POD_NAMESPACE)/" + broker; args["sink"] != want {
		t.Errorf("--sink %q, want the ingress of Broker %q: %s", args["sink"], broker, want)
	}
	if subscriber == "" {
		t.Fatal("no Trigger sends io.flowsense.flow.v1 to a Service")
	}
	if want := "http://" + subscriber + ".$(POD_NAMESPACE).svc.cluster.local/model"; args["schema"] != want {
		t.Errorf("--schema %q, want the GET /model of Service %q: %s", args["schema"], subscriber, want)
	}
	if err := checkSensorToken(ds, args["schema-token-file"]); err != nil {
		t.Error(err)
	}
	if err := checkBrokerToken(ds, args["token-file"], broker); err != nil {
		t.Error(err)
	}
}

// sensorNamespace is the namespace placeholder of the sensor's Broker
// token audience (deploy/README.md, "Placeholders to fill in").
const sensorNamespace = "flowsense"

// checkBrokerToken: the sensor's --token-file is a projected service
// account token, mounted read-only, for the audience Eventing gives the
// Broker it sends to (auth.GetAudience, Eventing's own code), so that the
// ingress accepts its events with authentication-oidc on.
func checkBrokerToken(ds *appsv1.DaemonSet, file, broker string) error {
	if file == "" {
		return fmt.Errorf("%w: no --token-file: with authentication-oidc the Broker's ingress refuses events without a token", errManifest)
	}
	dir, key := path.Split(file)
	c := ds.Spec.Template.Spec.Containers[0]
	var vol string
	for _, m := range c.VolumeMounts {
		if m.MountPath == strings.TrimSuffix(dir, "/") && m.ReadOnly {
			vol = m.Name
		}
	}
	want := eauth.GetAudience(eventingv1.SchemeGroupVersion.WithKind("Broker"), metav1.ObjectMeta{Namespace: sensorNamespace, Name: broker})
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.Name != vol || v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if t := src.ServiceAccountToken; t != nil && t.Path == key {
				if t.Audience != want {
					return fmt.Errorf("%w: --token-file %s: audience %q, want the Broker's %q", errManifest, file, t.Audience, want)
				}
				if t.ExpirationSeconds == nil || *t.ExpirationSeconds > 24*3600 {
					return fmt.Errorf("%w: --token-file %s: expirationSeconds %v, want a short-lived token", errManifest, file, t.ExpirationSeconds)
				}
				return nil
			}
		}
	}
	return fmt.Errorf("%w: --token-file %s is not a projected service account token mounted read-only", errManifest, file)
}

// checkSensorToken: the sensor's --schema-token-file is the only key it
// mounts of the Secret flowsense-credentials (read-only), and that key is
// one the Service's FLOWSENSE_AUTH_METADATA accepts and no other route
// does (the sensor reads the schema; its flows go through the Broker).
func checkSensorToken(ds *appsv1.DaemonSet, file string) error {
	if file == "" {
		return fmt.Errorf("%w: no --schema-token-file: the function's GET /model needs a credential", errManifest)
	}
	dir, key := path.Split(file)
	c := ds.Spec.Template.Spec.Containers[0]
	var vol string
	for _, m := range c.VolumeMounts {
		if m.MountPath == strings.TrimSuffix(dir, "/") && m.ReadOnly {
			vol = m.Name
		}
	}
	var keys []string
	for _, v := range ds.Spec.Template.Spec.Volumes {
		if v.Name == vol && v.Secret != nil && v.Secret.SecretName == "flowsense-credentials" {
			if len(v.Secret.Items) == 0 {
				keys = append(keys, "*")
			}
			for _, it := range v.Secret.Items {
				keys = append(keys, it.Key+"->"+it.Path)
			}
		}
	}
	if !slices.Equal(keys, []string{key + "->" + key}) {
		return fmt.Errorf("%w: --schema-token-file %s: the mounted keys of flowsense-credentials are %v, want only %s, read-only", errManifest, file, keys, key)
	}
	b, err := os.ReadFile("knative/service.yaml")
	if err != nil {
		return err
	}
	svcObjs, err := knativeObjects("service.yaml", b)
	if err != nil {
		return err
	}
	env := map[string]string{}
	for _, e := range svcObjs[0].(*servingv1.Service).Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	opens := map[string]bool{}
	for _, name := range []string{"FLOWSENSE_AUTH_CLASSIFY", "FLOWSENSE_AUTH_FEEDBACK", "FLOWSENSE_AUTH_METRICS", "FLOWSENSE_AUTH_METADATA"} {
		p, err := parsePolicy(env[name])
		if err != nil {
			return fmt.Errorf("%w: %s: %v", errManifest, name, err)
		}
		for _, f := range p.tokens {
			if path.Base(f) == key {
				opens[name] = true
			}
		}
	}
	if !opens["FLOWSENSE_AUTH_METADATA"] || len(opens) != 1 {
		return fmt.Errorf("%w: the sensor's key %s opens %v of the Service, want FLOWSENSE_AUTH_METADATA only", errManifest, key, opens)
	}
	return nil
}

func mapsSubset(a, b map[string]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSensorDaemonSetRejects: the checks fail on the mistakes they exist for.
func TestSensorDaemonSetRejects(t *testing.T) {
	good := string(readFile(t, "sensor/daemonset.yaml"))
	for name, c := range map[string][2]string{
		"unknown field":   {"hostNetwork: true", "hostNetwork: true\n      hostNetwrk: true"},
		"two documents":   {"apiVersion: apps/v1", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: apps/v1"},
		"not a DaemonSet": {"kind: DaemonSet", "kind: Deployment"},
	} {
		if !strings.Contains(good, c[0]) {
			t.Fatalf("%s: %q not in the manifest", name, c[0])
		}
		if _, err := decodeDaemonSet([]byte(strings.Replace(good, c[0], c[1], 1))); !errors.Is(err, errManifest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSensorTokenMutations: the sensor's token check fails on a sensor
// given every key of the Secret, a key mounted writable, a flag naming a
// file it does not mount, or a key that also opens classify.
func TestSensorTokenMutations(t *testing.T) {
	good := string(readFile(t, "sensor/daemonset.yaml"))
	for name, c := range map[string][2]string{
		"every key":     {"            items:\n              - key: metadata-token\n                path: metadata-token\n", ""},
		"writable":      {"              mountPath: /var/run/secrets/flowsense\n              readOnly: true", "              mountPath: /var/run/secrets/flowsense\n              readOnly: false"},
		"another file":  {"--schema-token-file=/var/run/secrets/flowsense/metadata-token", "--schema-token-file=/var/run/secrets/flowsense/token"},
		"classify key":  {"- key: metadata-token\n                path: metadata-token", "- key: classify-token\n                path: classify-token"},
		"another mount": {"mountPath: /var/run/secrets/flowsense\n", "mountPath: /etc/flowsense\n"},
	} {
		if !strings.Contains(good, c[0]) {
			t.Fatalf("%s: %q not in the manifest", name, c[0])
		}
		bad := strings.Replace(good, c[0], c[1], 1)
		if name == "classify key" {
			bad = strings.Replace(bad, "flowsense/metadata-token", "flowsense/classify-token", 1)
		}
		ds, err := decodeDaemonSet([]byte(bad))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		args := map[string]string{}
		for _, a := range ds.Spec.Template.Spec.Containers[0].Args {
			k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			args[k] = v
		}
		if err := checkSensorToken(ds, args["schema-token-file"]); !errors.Is(err, errManifest) {
			t.Errorf("%s: %v, want errManifest", name, err)
		}
	}
}

// TestBrokerTokenMutations: the Broker token check fails on another
// audience (the function's, another Broker's), a long-lived token, a file
// of another volume and no --token-file.
func TestBrokerTokenMutations(t *testing.T) {
	good := string(readFile(t, "sensor/daemonset.yaml"))
	for name, c := range map[string][2]string{
		"the function's audience": {"audience: eventing.knative.dev/broker/flowsense/flowsense", "audience: flowsense"},
		"another broker":          {"audience: eventing.knative.dev/broker/flowsense/flowsense", "audience: eventing.knative.dev/broker/flowsense/default"},
		"long-lived":              {"expirationSeconds: 3600", "expirationSeconds: 31536000"},
		"another file":            {"--token-file=/var/run/secrets/eventing/token", "--token-file=/var/run/secrets/flowsense/metadata-token"},
		"no token":                {"            - --token-file=/var/run/secrets/eventing/token\n", ""},
		"writable":                {"              mountPath: /var/run/secrets/eventing\n              readOnly: true", "              mountPath: /var/run/secrets/eventing"},
	} {
		if !strings.Contains(good, c[0]) {
			t.Fatalf("%s: %q not in the manifest", name, c[0])
		}
		ds, err := decodeDaemonSet([]byte(strings.Replace(good, c[0], c[1], 1)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		args := map[string]string{}
		for _, a := range ds.Spec.Template.Spec.Containers[0].Args {
			k, v, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			args[k] = v
		}
		if err := checkBrokerToken(ds, args["token-file"], "flowsense"); !errors.Is(err, errManifest) {
			t.Errorf("%s: %v, want errManifest", name, err)
		}
	}
}
