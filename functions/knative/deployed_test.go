package function

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// serviceEnv reads the container environment and the credentials' mount
// path of deploy/knative/service.yaml (its `- name:` / `value:` pairs;
// the deploy module checks the manifest with Knative's types, this test
// what the function makes of it).
func serviceEnv(t *testing.T) (map[string]string, string) {
	t.Helper()
	b, err := os.ReadFile("../../deploy/knative/service.yaml")
	if err != nil {
		t.Fatal(err)
	}
	nameRe := regexp.MustCompile(`^\s*- name: (FLOWSENSE_[A-Z_]+)\s*$`)
	valueRe := regexp.MustCompile(`^\s*value: (.*?)\s*$`)
	mountRe := regexp.MustCompile(`^\s*mountPath: (\S+)\s*$`)
	env := map[string]string{}
	var mount, name string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if m := nameRe.FindStringSubmatch(line); m != nil {
			name = m[1]
			continue
		}
		if m := valueRe.FindStringSubmatch(line); m != nil && name != "" {
			v := m[1]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			env[name] = v
		}
		name = ""
		if m := mountRe.FindStringSubmatch(line); m != nil {
			mount = m[1]
		}
	}
	for _, k := range []string{"FLOWSENSE_AUTH_CLASSIFY", "FLOWSENSE_AUTH_FEEDBACK", "FLOWSENSE_AUTH_METRICS", "FLOWSENSE_AUTH_METADATA", "FLOWSENSE_REPLY_KEY_FILE", "FLOWSENSE_OIDC_ISSUER", "FLOWSENSE_OIDC_AUDIENCE", "FLOWSENSE_METRICS_ADDR"} {
		if _, ok := env[k]; !ok {
			t.Fatalf("service.yaml: no %s found (the reader expects `- name:` then `value:`)", k)
		}
	}
	if mount == "" {
		t.Fatal("service.yaml: no mountPath")
	}
	return env, mount
}

// TestServiceSettings: the function started with the environment of
// deploy/knative/service.yaml (the Secret's five keys written to a
// directory standing for its mount, the issuer placeholder replaced by a
// test issuer, the metrics port by a free one) answers each caller of
// deploy/README.md's table as it says: each Trigger's OIDC identity and
// each token opens its own routes and is 403 elsewhere, no credential is
// 401 everywhere but the probes.
func TestServiceSettings(t *testing.T) {
	env, mount := serviceEnv(t)
	dir := t.TempDir()
	keys := map[string]string{
		"reply-key":      strings.Repeat("r", 44),
		"classify-token": "classify-token-0123456789abcdef",
		"feedback-token": "feedback-token-0123456789abcdef",
		"metrics-token":  "metrics-token-0123456789abcdef",
		"metadata-token": "metadata-token-0123456789abcdef",
	}
	for k, v := range keys {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	iss := functionstest.NewIssuer(t)
	metricsAddr := freeAddr(t)
	const ns = "flowsense-test"
	for k, v := range env {
		switch k {
		case "FLOWSENSE_OIDC_ISSUER":
			v = iss.URL
		case "FLOWSENSE_METRICS_ADDR":
			v = metricsAddr
		case "FLOWSENSE_MODEL":
			continue // the test model below
		}
		t.Setenv(k, strings.ReplaceAll(v, mount+"/", dir+"/"))
	}
	t.Setenv("FLOWSENSE_NAMESPACE", ns) // in a pod: the service account's
	base := startService(t, testModelPath(t))

	flow, _ := json.Marshal(sampleFlows(t)["PortScan"])
	aud := env["FLOWSENSE_OIDC_AUDIENCE"]
	trigger := func(name string) string {
		return "Bearer " + iss.Token(t, "system:serviceaccount:"+ns+":"+name+"-oidc-eventing.knative.dev-trigger", aud)
	}
	do := func(method, url, auth string, body []byte) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.StatusCode, b.Bytes()
	}
	// a genuine reply id for each feedback call (each counts once)
	replyID := func() []byte {
		t.Helper()
		code, b := do("POST", base+"/predict", "Bearer "+keys["classify-token"], flow)
		var c struct{ ID string }
		if err := json.Unmarshal(b, &c); code != 200 || err != nil || c.ID == "" {
			t.Fatalf("/predict with the classify token: %d %s", code, b)
		}
		return []byte(`{"id": "` + c.ID + `", "truth": "BENIGN"}`)
	}
	routes := []struct {
		name string
		call func(auth string) int
	}{
		{"classify", func(auth string) int { c, _ := do("POST", base+"/predict", auth, flow); return c }},
		{"feedback", func(auth string) int { c, _ := do("POST", base+"/feedback", auth, replyID()); return c }},
		{"metrics", func(auth string) int { c, _ := do("GET", "http://"+metricsAddr+"/metrics", auth, nil); return c }},
		{"metadata", func(auth string) int { c, _ := do("GET", base+"/model", auth, nil); return c }},
		{"probes", func(auth string) int { c, _ := do("GET", base+"/health/readiness", auth, nil); return c }},
	}
	for _, c := range []struct {
		caller, auth string
		want         [5]int // classify, feedback, metrics, metadata, probes
	}{
		{"Trigger flowsense-classify", trigger("flowsense-classify"), [5]int{200, 403, 403, 403, 200}},
		{"Trigger flowsense-feedback", trigger("flowsense-feedback"), [5]int{403, 200, 403, 403, 200}},
		{"another Trigger", trigger("flowsense-alert-malicious"), [5]int{403, 403, 403, 403, 200}},
		{"classify-token", "Bearer " + keys["classify-token"], [5]int{200, 403, 403, 200, 200}},
		{"feedback-token", "Bearer " + keys["feedback-token"], [5]int{403, 200, 403, 403, 200}},
		{"metrics-token", "Bearer " + keys["metrics-token"], [5]int{403, 403, 200, 403, 200}},
		{"metadata-token", "Bearer " + keys["metadata-token"], [5]int{403, 403, 403, 200, 200}},
		{"the reply key as a token", "Bearer " + keys["reply-key"], [5]int{401, 401, 401, 401, 200}},
		{"no credential", "", [5]int{401, 401, 401, 401, 200}},
	} {
		for i, r := range routes {
			if got := r.call(c.auth); got != c.want[i] {
				t.Errorf("%s on %s: %d, want %d", c.caller, r.name, got, c.want[i])
			}
		}
	}
	if code, _ := do("GET", base+"/metrics", "Bearer "+keys["metrics-token"], nil); code != 404 {
		t.Errorf("/metrics on the traffic port: %d, want 404 (it is on %s)", code, env["FLOWSENSE_METRICS_ADDR"])
	}
}
