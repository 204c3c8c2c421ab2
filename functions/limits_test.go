package functions

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

func gzipBytes(t testing.TB, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	for _, p := range parts {
		if _, err := z.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// serve sends one request through s.ServeHTTP.
func serve(s *Server, method, path, ctype string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func problemType(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p Problem
	if w.Header().Get("Content-Type") != MediaTypeProblem {
		t.Fatalf("answer %d %q, not a problem: %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Type, "urn:flowsense:problem:")
}

// TestUploadLimits: every bound on a CSV upload's work has its answer.
func TestUploadLimits(t *testing.T) {
	csv := synthCSV(t, 20, 7)
	header := csv[:bytes.IndexByte(csv, '\n')+1]
	cases := map[string]struct {
		opts   []Option
		body   []byte
		status int
		typ    string
	}{
		"gzip within the limit":      {body: gzipBytes(t, csv), status: 200},
		"gzip bomb of zeros":         {opts: []Option{WithMaxDecompressedBytes(1 << 20)}, body: gzipBytes(t, header, make([]byte, 4<<20)), status: 413, typ: "too-large"},
		"gzip bomb of newlines":      {body: gzipBytes(t, header, bytes.Repeat([]byte("\n"), 32<<20)), status: 413, typ: "limit"},
		"blank records over flows":   {opts: []Option{WithMaxFlows(100)}, body: append(append([]byte(nil), header...), bytes.Repeat([]byte(",,,\n"), 101)...), status: 413, typ: "limit"},
		"blank lines within flows":   {opts: []Option{WithMaxFlows(100)}, body: append(append([]byte(nil), csv...), bytes.Repeat([]byte("\n"), 50)...), status: 200},
		"a million columns":          {body: []byte(strings.Repeat("x,", 1000000) + "y\n"), status: 413, typ: "limit"},
		"corrupt gzip":               {body: append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte("x"), 100)...), status: 400, typ: "csv"},
		"exactly at the inflate cap": {opts: []Option{WithMaxDecompressedBytes(int64(len(csv)))}, body: gzipBytes(t, csv), status: 200},
		"one byte over the cap":      {opts: []Option{WithMaxDecompressedBytes(int64(len(csv) - 1))}, body: gzipBytes(t, csv), status: 413, typ: "too-large"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, tc.opts...)
			start := time.Now()
			w := serve(s, "POST", "/predict", "text/csv", tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %.300s", w.Code, tc.status, w.Body)
			}
			if tc.typ != "" {
				if got := problemType(t, w); got != tc.typ {
					t.Errorf("problem type %q, want %q (%s)", got, tc.typ, w.Body)
				}
			}
			t.Logf("%d bytes: %d in %v", len(tc.body), w.Code, time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestUploadDeadline: a long upload is stopped by the request timeout
// while it is read, with the documented 503.
func TestUploadDeadline(t *testing.T) {
	csv := synthCSV(t, 2000, 8)
	s := newTestServer(t, WithTimeout(time.Millisecond), WithMaxBodyBytes(256<<20), WithMaxDecompressedBytes(1<<30), WithMaxFlows(1<<20))
	header := csv[:bytes.IndexByte(csv, '\n')+1]
	body := append(append([]byte(nil), header...), bytes.Repeat(csv[len(header):], 50)...)
	start := time.Now()
	w := serve(s, "POST", "/predict", "text/csv", body)
	if w.Code != http.StatusServiceUnavailable || problemType(t, w) != "timeout" {
		t.Fatalf("status %d: %.300s", w.Code, w.Body)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a 1 ms timeout answered in %v", took)
	}
	if !strings.Contains(w.Body.String(), "reading the upload") {
		t.Errorf("the timeout was not seen while reading: %s", w.Body)
	}
}

// TestAdmission: heavy requests beyond WithMaxHeavy wait AdmissionWait,
// then get 503 busy with Retry-After, while a one-flow request passes.
func TestAdmission(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	s, err := New(context.Background(), hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}),
		WithMaxHeavy(1), WithTimeout(3*time.Second), WithLogger(slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	// a heavy request (a CSV upload) that loops until its timeout
	done := make(chan int, 1)
	go func() { done <- serve(s, "POST", "/predict", "text/csv", []byte("a\n5\n")).Code }()
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	w := serve(s, "POST", "/predict", "text/csv", []byte("a\n0\n"))
	if w.Code != http.StatusServiceUnavailable || problemType(t, w) != "busy" || w.Header().Get("Retry-After") == "" {
		t.Fatalf("second heavy request: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if took := time.Since(start); took < AdmissionWait || took > AdmissionWait+time.Second {
		t.Errorf("refused after %v, want about %v", took, AdmissionWait)
	}
	if w := serve(s, "POST", "/predict", "application/json", []byte(`{"a": 0}`)); w.Code != 200 {
		t.Fatalf("one flow while full: %d %s", w.Code, w.Body)
	}
	if code := <-done; code != http.StatusServiceUnavailable {
		t.Fatalf("looping request: %d", code)
	}
	if w := serve(s, "POST", "/predict", "text/csv", []byte("a\n0\n")); w.Code != 200 {
		t.Fatalf("heavy request after the slot came back: %d %s", w.Code, w.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), `"msg":"request failed"`); n != 2 {
		t.Errorf("%d 5xx logged, want 2:\n%s", n, logs.String())
	}
	for _, want := range []string{`"status":503`, `"request_id":"`, `"level":"WARN"`, "server busy", "request timed out"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
	counts := scrape(t, s)["flowsense_requests_total"]
	if counts == nil {
		t.Fatal("no flowsense_requests_total")
	}
	got := map[string]float64{}
	for _, m := range counts.GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		got[l["endpoint"]+" "+l["code"]] += m.GetCounter().GetValue()
	}
	if got["/predict 503"] != 2 || got["/predict 200"] != 2 {
		t.Errorf("request counts %v, want 2 of 503 and 2 of 200 on /predict", got)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRequestID: the caller's request id comes back; without one the
// server makes one.
func TestRequestID(t *testing.T) {
	s := newTestServer(t)
	r := httptest.NewRequest("GET", "/health/liveness", nil)
	r.Header.Set(HeaderRequestID, "abc-123")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if got := w.Header().Get(HeaderRequestID); got != "abc-123" {
		t.Errorf("request id %q", got)
	}
	w = serve(s, "GET", "/health/liveness", "", nil)
	if got := w.Header().Get(HeaderRequestID); len(got) != 16 {
		t.Errorf("made-up request id %q", got)
	}
}

// TestLimitsFromEnv: the limit variables set the limits; bad values name
// the variable.
func TestLimitsFromEnv(t *testing.T) {
	env := map[string]string{EnvMaxBodyBytes: "100", EnvMaxFlows: "2", EnvTimeout: "250ms", EnvMaxDecompressedBytes: "1000", EnvMaxHeavy: "3"}
	opts, err := OptionsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.maxBody != 100 || c.maxFlows != 2 || c.timeout != 250*time.Millisecond || c.maxInflated != 1000 || c.maxHeavy != 3 {
		t.Errorf("config %+v", c)
	}
	for _, bad := range []map[string]string{{EnvMaxFlows: "-1"}, {EnvTimeout: "10"}, {EnvMaxHeavy: "many"}} {
		_, err := OptionsFromEnv(func(k string) string { return bad[k] })
		for k := range bad {
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("%v: error %v does not name %s", bad, err, k)
			}
		}
	}
}

func TestContainerMemory(t *testing.T) {
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(p string) ([]byte, error) {
			if v, ok := m[p]; ok {
				return []byte(v), nil
			}
			return nil, os.ErrNotExist
		}
	}
	none := func(string) string { return "" }
	cases := map[string]struct {
		read   func(string) ([]byte, error)
		getenv func(string) string
		want   int64
	}{
		"cgroup v2":        {files(map[string]string{"/sys/fs/cgroup/memory.max": "536870912\n"}), none, 512 << 20},
		"cgroup v2 no max": {files(map[string]string{"/sys/fs/cgroup/memory.max": "max\n"}), none, 0},
		"cgroup v1":        {files(map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456"}), none, 256 << 20},
		"cgroup v1 none":   {files(map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712"}), none, 0},
		"lambda":           {files(nil), func(k string) string { return map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}[k] }, 1 << 30},
		"nothing":          {files(nil), none, 0},
	}
	for name, tc := range cases {
		if got, _ := containerMemory(tc.read, tc.getenv); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}
