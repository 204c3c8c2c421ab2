package functions

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// TestBehaviour runs the golden suite against the handler in process.
func TestBehaviour(t *testing.T) {
	s := newTestServer(t)
	functionstest.Run(t, behaviourDir, functionstest.HandlerDoer(s), *update)
}

// TestBehaviourLoopback runs the same suite over a real TCP connection,
// through Serve, as flowsense serve does (under -update it checks the
// goldens TestBehaviour has just written).
func TestBehaviourLoopback(t *testing.T) {
	s := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, s) }()
	functionstest.Run(t, behaviourDir, functionstest.URLDoer("http://"+ln.Addr().String(), http.DefaultClient), false)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestFeedbackIDs: the feedback suite (functionstest.RunFeedbackIDs) in
// process and over a real listener.
func TestFeedbackIDs(t *testing.T) {
	t.Run("handler", func(t *testing.T) {
		functionstest.RunFeedbackIDs(t, behaviourDir, functionstest.HandlerDoer(newTestServer(t)))
	})
	t.Run("listener", func(t *testing.T) {
		ts := httptest.NewServer(newTestServer(t))
		defer ts.Close()
		functionstest.RunFeedbackIDs(t, behaviourDir, functionstest.URLDoer(ts.URL, ts.Client()))
	})
}
