package functions

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

// TestShutdownGraceExceeded: a request still running at the end of the
// grace (a module call looping until a long timeout) is cut: Serve returns
// ErrGraceExceeded at about the grace (flowsense serve then exits 0), the
// client sees its connection end, and the module goes on answering.
func TestShutdownGraceExceeded(t *testing.T) {
	s, err := New(context.Background(), hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}), WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveGrace(ctx, ln, s, 300*time.Millisecond) }()
	answered := make(chan error, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/predict", "application/json", strings.NewReader(`{"a": 5}`))
		if err == nil {
			resp.Body.Close()
		}
		answered <- err
	}()
	time.Sleep(200 * time.Millisecond) // the request is in the module
	start := time.Now()
	stop()
	select {
	case err := <-served:
		if !errors.Is(err, ErrGraceExceeded) {
			t.Fatalf("Serve: %v, want ErrGraceExceeded", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Serve returned %v after the signal", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	select {
	case err := <-answered:
		if err == nil {
			t.Error("the cut request got an answer")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client still waits")
	}
	if _, err := s.ClassifyRows(context.Background(), []float32{0}, 1); err != nil {
		t.Fatalf("after the cut: %v", err)
	}
}
