package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

// TestSandboxServer: a foreign module that loops on a crafted row is
// stopped by the request's timeout and answered 503 with a problem body
// in about that time, the module answers the next request, and readiness
// stays 200 (the module is sound on ordinary rows).
func TestSandboxServer(t *testing.T) {
	var logs bytes.Buffer
	s, err := New(context.Background(), hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}),
		WithTimeout(200*time.Millisecond), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	post := func(body string) (*httptest.ResponseRecorder, time.Duration) {
		r := httptest.NewRequest("POST", "/predict", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		start := time.Now()
		s.ServeHTTP(w, r)
		return w, time.Since(start)
	}
	w, took := post(`{"a": 5}`)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Content-Type") != MediaTypeProblem || w.Header().Get("Retry-After") == "" {
		t.Fatalf("looping row: %d %q Retry-After %q: %s", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Retry-After"), w.Body)
	}
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Type != "urn:flowsense:problem:timeout" {
		t.Fatalf("problem %+v (%v)", p, err)
	}
	if took > 2*time.Second {
		t.Errorf("the 200 ms timeout answered in %v", took)
	}
	if w, _ := post(`{"a": 0}`); w.Code != http.StatusOK {
		t.Fatalf("next request: %d %s", w.Code, w.Body)
	}
	if !s.Ready() {
		t.Error("not ready after a timeout")
	}
}

// TestSandboxRefusals: New refuses the modules the sandbox does not run,
// in bounded time, with errors that say why.
func TestSandboxRefusals(t *testing.T) {
	corrupt, err := hostiletest.Corrupt(testModule(t), 0.5, 50)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		b    []byte
		want error
	}{
		"start function loops": {hostiletest.Module(hostiletest.Spec{StartLoops: true}), abi.ErrRefused},
		"declares 2 GiB":       {hostiletest.Module(hostiletest.Spec{Pages: 32768}), abi.ErrRefused},
		"predict loops":        {hostiletest.Module(hostiletest.Spec{Predict: hostiletest.Loop}), abi.ErrSmoke},
		"corrupt data":         {corrupt, abi.ErrCorrupt},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			s, err := New(context.Background(), tc.b)
			if err == nil {
				s.Close(context.Background())
				t.Fatal("New accepted the module")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("refused in %v", took)
			}
		})
	}
}
