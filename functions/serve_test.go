package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"testing"
)

// gate holds requests until released, to have them in flight.
type gate struct {
	h       http.Handler
	arrived chan struct{}
	release chan struct{}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.arrived <- struct{}{}
	<-g.release
	g.h.ServeHTTP(w, r)
}

// TestServeDrains: when Serve's context is cancelled with requests in
// flight, they complete with their answers, then Serve returns nil.
func TestServeDrains(t *testing.T) {
	s := newTestServer(t)
	g := &gate{h: s, arrived: make(chan struct{}), release: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, g) }()

	flows := sampleFlows(t)
	body, _ := json.Marshal(flows["SYN Flood"])
	const n = 4
	var wg sync.WaitGroup
	codes := make([]int, n)
	labels := make([]string, n)
	for i := range n {
		wg.Go(func() {
			resp, err := http.Post("http://"+ln.Addr().String()+"/predict", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var c struct{ Label string }
			_ = json.Unmarshal(b, &c)
			codes[i], labels[i] = resp.StatusCode, c.Label
		})
	}
	for range n {
		<-g.arrived
	}
	cancel() // shutdown starts with n requests in flight
	// wait for the listener to close: Shutdown has begun
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		runtime.Gosched()
	}
	close(g.release)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for i := range n {
		if codes[i] != http.StatusOK || labels[i] != "SYN Flood" {
			t.Errorf("request %d: status %d label %q", i, codes[i], labels[i])
		}
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/health/liveness"); err == nil {
		t.Error("the server still answers after Serve returned")
	}
}
