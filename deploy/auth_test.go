package deploy_test

import (
	"errors"
	"fmt"
	"net"
	"path"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
	eventing "knative.dev/eventing/pkg/apis/eventing/v1"
	"knative.dev/eventing/pkg/apis/feature"
	eauth "knative.dev/eventing/pkg/auth"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	"sigs.k8s.io/yaml"
)

// visibilityLabel makes a Knative Service reachable inside the cluster
// only.
const visibilityLabel = "networking.knative.dev/visibility"

// The credential files the Service's policies and reply key may name: the
// keys of the Secret flowsense-credentials (deploy/README.md).
var credentialKeys = map[string]bool{"reply-key": true, "classify-token": true, "feedback-token": true, "metrics-token": true, "metadata-token": true}

// routePolicy is one FLOWSENSE_AUTH_* value read as the function reads it
// (functions.ParsePolicy; this module does not import the product).
type routePolicy struct {
	none     bool
	tokens   []string // files
	subjects []string // as written: a bare name is a service account of the namespace
}

func parsePolicy(v string) (routePolicy, error) {
	if v == "none" {
		return routePolicy{none: true}, nil
	}
	var p routePolicy
	for _, alt := range strings.Split(v, ",") {
		kind, val, ok := strings.Cut(strings.TrimSpace(alt), "=")
		switch {
		case !ok || val == "":
			return p, fmt.Errorf("%q is not token=FILE or oidc=SUBJECT", alt)
		case kind == "token":
			p.tokens = append(p.tokens, val)
		case kind == "oidc":
			p.subjects = append(p.subjects, val)
		default:
			return p, fmt.Errorf("%q: unknown kind %q", alt, kind)
		}
	}
	return p, nil
}

// triggerIdentity is the service account Knative Eventing gives a
// Trigger for OIDC (the subject of the tokens its deliveries carry),
// computed by Eventing's own code.
func triggerIdentity(tr *eventing.Trigger) string {
	return eauth.GetOIDCServiceAccountNameForResource(eventing.SchemeGroupVersion.WithKind("Trigger"), tr.ObjectMeta)
}

// checkCredentials: every route of the Service needs a credential; the
// OIDC senders of classify and feedback are exactly the identities of the
// Triggers that deliver flows and feedback to it, each route its own, with
// the audience the Service verifies; token and key files lie in the
// mounted Secret; the metrics port is the one the scrape annotation names.
func checkCredentials(svc *servingv1.Service, triggers []*eventing.Trigger) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	c := svc.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	mounts := map[string]string{} // mount path -> Secret
	vols := map[string]string{}
	for _, v := range svc.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			vols[v.Name] = v.Secret.SecretName
		}
	}
	for _, m := range c.VolumeMounts {
		if s, ok := vols[m.Name]; ok && m.ReadOnly {
			mounts[m.MountPath] = s
		}
	}
	inSecret := func(what, file string) {
		dir, key := path.Split(file)
		if mounts[strings.TrimSuffix(dir, "/")] != "flowsense-credentials" || !credentialKeys[key] {
			bad("%s: %s is not a key of the Secret flowsense-credentials mounted read-only", what, file)
		}
	}
	if f := env["FLOWSENSE_REPLY_KEY_FILE"]; f == "" {
		bad("no FLOWSENSE_REPLY_KEY_FILE: each replica would make its own reply key")
	} else {
		inSecret("FLOWSENSE_REPLY_KEY_FILE", f)
	}
	audience := env["FLOWSENSE_OIDC_AUDIENCE"]
	if env["FLOWSENSE_OIDC_ISSUER"] == "" || audience == "" {
		bad("FLOWSENSE_OIDC_ISSUER and FLOWSENSE_OIDC_AUDIENCE must be set")
	}
	sender := map[string]string{} // event type -> the identity of the Trigger delivering it here
	for _, tr := range triggers {
		ref := tr.Spec.Subscriber.Ref
		if ref == nil || ref.Kind != "Service" || ref.Name != svc.Name {
			continue
		}
		if a := tr.Spec.Subscriber.Audience; a == nil || *a != audience {
			bad("trigger %s: subscriber.audience %v, want %q (FLOWSENSE_OIDC_AUDIENCE)", tr.Name, a, audience)
		}
		sender[tr.Spec.Filter.Attributes["type"]] = triggerIdentity(tr)
	}
	for _, r := range []struct{ env, eventType string }{
		{"FLOWSENSE_AUTH_CLASSIFY", "io.flowsense.flow.v1"},
		{"FLOWSENSE_AUTH_FEEDBACK", "io.flowsense.feedback.v1"},
		{"FLOWSENSE_AUTH_METRICS", ""},
		{"FLOWSENSE_AUTH_METADATA", ""},
	} {
		v, ok := env[r.env]
		if !ok {
			bad("%s unset: the route is open to anyone", r.env)
			continue
		}
		p, err := parsePolicy(v)
		if err != nil {
			bad("%s: %v", r.env, err)
			continue
		}
		if p.none {
			bad("%s=none: the route is open to anyone", r.env)
			continue
		}
		for _, f := range p.tokens {
			inSecret(r.env, f)
		}
		want := sender[r.eventType]
		for _, s := range p.subjects {
			if s == "*" || s != want {
				bad("%s: sender %q, want only %q (the Trigger delivering %s)", r.env, s, want, r.eventType)
			}
		}
		if r.eventType != "" && want == "" {
			bad("no Trigger delivers %s to the Service", r.eventType)
		}
		if r.eventType != "" && len(p.subjects) == 0 {
			bad("%s: the Trigger's identity %s may not deliver", r.env, want)
		}
	}
	if a := env["FLOWSENSE_METRICS_ADDR"]; a != "" {
		_, port, err := net.SplitHostPort(a)
		if err != nil || port != svc.Spec.Template.Annotations["prometheus.io/port"] {
			bad("FLOWSENSE_METRICS_ADDR %q: port is not the prometheus.io/port annotation %q", a, svc.Spec.Template.Annotations["prometheus.io/port"])
		}
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errManifest}, errs...)...)
	}
	return nil
}

// checkPrivate: the Service is cluster-local.
func checkPrivate(svc *servingv1.Service) error {
	if v := svc.Labels[visibilityLabel]; v != "cluster-local" {
		return fmt.Errorf("%w: label %s = %q, want cluster-local: the Service would be public", errManifest, visibilityLabel, v)
	}
	return nil
}

// deployed decodes service.yaml (or a variant) and eventing.yaml.
func deployed(t *testing.T, service []byte) (*servingv1.Service, []*eventing.Trigger, error) {
	t.Helper()
	objs, err := knativeObjects("service.yaml", service)
	if err != nil {
		return nil, nil, err
	}
	if len(objs) != 1 {
		t.Fatalf("service.yaml holds %d objects", len(objs))
	}
	var triggers []*eventing.Trigger
	for _, o := range eventingObjects(t) {
		if tr, ok := o.(*eventing.Trigger); ok {
			triggers = append(triggers, tr)
		}
	}
	return objs[0].(*servingv1.Service), triggers, nil
}

// TestServicePrivate: the Service is private by default (cluster-local,
// every route behind its own credential, each Trigger's identity opening
// its own route only).
func TestServicePrivate(t *testing.T) {
	svc, triggers, err := deployed(t, readFile(t, "knative/service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPrivate(svc); err != nil {
		t.Error(err)
	}
	if err := checkCredentials(svc, triggers); err != nil {
		t.Error(err)
	}
	if got := triggerIdentity(&eventing.Trigger{ObjectMeta: svc.ObjectMeta}); got != "flowsense-oidc-eventing.knative.dev-trigger" {
		t.Errorf("Eventing names a Trigger flowsense's identity %q: the Service's subjects follow that rule", got)
	}
}

// TestServicePublicMutations: a change that makes the Service public, or
// opens a route to anyone or to the wrong sender, is caught.
func TestServicePublicMutations(t *testing.T) {
	base := string(readFile(t, "knative/service.yaml"))
	cases := map[string]struct{ old, new, want string }{
		"visibility label removed":   {"    networking.knative.dev/visibility: cluster-local\n", "", "public"},
		"visibility changed":         {"visibility: cluster-local", "visibility: external", "public"},
		"classify open":              {"value: oidc=flowsense-classify-oidc-eventing.knative.dev-trigger,token=/var/run/secrets/flowsense/classify-token", "value: none", "FLOWSENSE_AUTH_CLASSIFY=none"},
		"feedback by the classifier": {"value: oidc=flowsense-feedback-oidc-eventing.knative.dev-trigger", "value: oidc=flowsense-classify-oidc-eventing.knative.dev-trigger", "FLOWSENSE_AUTH_FEEDBACK"},
		"feedback by anyone signed":  {"value: oidc=flowsense-feedback-oidc-eventing.knative.dev-trigger", "value: oidc=*", "FLOWSENSE_AUTH_FEEDBACK"},
		"metrics unset":              {"            - name: FLOWSENSE_AUTH_METRICS\n              value: token=/var/run/secrets/flowsense/metrics-token\n", "", "FLOWSENSE_AUTH_METRICS unset"},
		"token outside the secret":   {"token=/var/run/secrets/flowsense/metrics-token", "token=/tmp/metrics-token", "flowsense-credentials"},
		"no reply key":               {"            - name: FLOWSENSE_REPLY_KEY_FILE\n              value: /var/run/secrets/flowsense/reply-key\n", "", "FLOWSENSE_REPLY_KEY_FILE"},
		"another audience":           {"            - name: FLOWSENSE_OIDC_AUDIENCE\n              value: flowsense\n", "            - name: FLOWSENSE_OIDC_AUDIENCE\n              value: classifier\n", "subscriber.audience"},
		"metrics port elsewhere":     {`prometheus.io/port: "9090"`, `prometheus.io/port: "8080"`, "prometheus.io/port"},
		"metadata open":              {"value: token=/var/run/secrets/flowsense/metadata-token,token=/var/run/secrets/flowsense/classify-token", "value: none", "FLOWSENSE_AUTH_METADATA=none"},
		"metadata to any sender":     {"value: token=/var/run/secrets/flowsense/metadata-token,token=/var/run/secrets/flowsense/classify-token", "value: oidc=*", "FLOWSENSE_AUTH_METADATA"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("service.yaml no longer contains %q: update the mutation", tc.old)
			}
			svc, triggers, err := deployed(t, []byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil {
				err = errors.Join(checkPrivate(svc), checkCredentials(svc, triggers))
			}
			if err == nil {
				t.Fatal("the mutated Service passed")
			}
			if !errors.Is(err, errManifest) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want errManifest mentioning %q", err, tc.want)
			}
		})
	}
}

// TestPublicOverlay: knative/public/patch.yaml, applied as kubectl patch
// --type merge applies it, gives a valid Service that is public and still
// has every route behind its credential.
func TestPublicOverlay(t *testing.T) {
	doc, err := yaml.YAMLToJSON(readFile(t, "knative/service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	patch, err := yaml.YAMLToJSON(readFile(t, "knative/public/patch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := jsonpatch.MergePatch(doc, patch)
	if err != nil {
		t.Fatal(err)
	}
	svc, triggers, err := deployed(t, merged)
	if err != nil {
		t.Fatalf("the patched Service: %v", err)
	}
	if checkPrivate(svc) == nil {
		t.Error("the public overlay leaves the Service cluster-local")
	}
	if err := checkCredentials(svc, triggers); err != nil {
		t.Errorf("public must not mean anonymous: %v", err)
	}
}

// TestOIDCFeature: knative/features/oidc.yaml is Eventing's config-features
// ConfigMap turning sender identity on, as Eventing's own parser reads it.
func TestOIDCFeature(t *testing.T) {
	var cm corev1.ConfigMap
	if err := strict(readFile(t, "knative/features/oidc.yaml"), &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.Name != "config-features" || cm.Namespace != "knative-eventing" {
		t.Fatalf("%s %s/%s, want ConfigMap knative-eventing/config-features", cm.Kind, cm.Namespace, cm.Name)
	}
	flags, err := feature.NewFlagsConfigFromConfigMap(&cm)
	if err != nil {
		t.Fatal(err)
	}
	if !flags.IsOIDCAuthentication() {
		t.Errorf("flags %v: authentication-oidc is not enabled", flags)
	}
	if flags.IsDisabledTransportEncryption() {
		t.Errorf("flags %v: tokens would cross the network in clear text", flags)
	}
}
