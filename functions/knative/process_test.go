package function

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fnProcess is cmd/flowsense-fn running as a child process.
type fnProcess struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
	done   chan error
}

// startFn runs the built binary on a free loopback port (LISTEN_ADDRESS)
// with env added to a minimal environment.
func startFn(t *testing.T, env ...string) *fnProcess {
	t.Helper()
	addr := freeAddr(t)
	p := &fnProcess{cmd: exec.Command(fnBinary(t)), base: "http://" + addr, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd.Env = append([]string{"LISTEN_ADDRESS=" + addr, "PATH=" + os.Getenv("PATH")}, env...)
	p.cmd.Stderr = p.stderr
	p.cmd.Dir = t.TempDir() // no ./cfg file
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the process's exit error, or fails after 60 s.
func (p *fnProcess) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("process still running 60 s later; stderr:\n%s", p.stderr)
		return nil
	}
}

// TestSIGTERMInFlight: requests in flight when SIGTERM arrives complete
// with their answers, then the process (func-go's shutdown, then Stop)
// exits 0. The requests are held in flight by their bodies: each sends
// half a body before the signal and the rest after the listener is
// closed.
func TestSIGTERMInFlight(t *testing.T) {
	p := startFn(t, EnvModel+"="+testModelPath(t))
	if err := waitReady(p.base, p.done); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, p.stderr)
	}
	flows := sampleFlows(t)
	var batch []map[string]any
	for range 50 {
		for _, f := range flows {
			batch = append(batch, f)
		}
	}
	body, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	const inFlight = 8
	type answer struct {
		status int
		n      int
		err    error
	}
	answers := make(chan answer, inFlight)
	writers := make([]*io.PipeWriter, inFlight)
	half := len(body) / 2
	for i := range inFlight {
		pr, pw := io.Pipe()
		writers[i] = pw
		req, err := http.NewRequest(http.MethodPost, p.base+"/predict", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		go func() {
			// a transport of its own: one connection per request
			resp, err := (&http.Transport{}).RoundTrip(req)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer resp.Body.Close()
			var got []struct{ Label string }
			err = json.NewDecoder(resp.Body).Decode(&got)
			answers <- answer{status: resp.StatusCode, n: len(got), err: err}
		}()
		// returns once the transport has dialled and taken these bytes
		if _, err := pw.Write(body[:half]); err != nil {
			t.Fatal(err)
		}
	}
	// A later connection answered means the server has accepted the
	// earlier ones (the listen backlog is first in, first out).
	resp, err := http.Get(p.base + "/health/liveness")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// and a pause besides: without it, 4 runs of 15 on an idle machine
	// (and one CI run) lost a request, its connection closed by the server
	// at SIGTERM before the second half was written; with it, none of 45.
	// The backlog's order alone does not make the server's connection
	// goroutines reach the handler before func-go's shutdown begins.
	time.Sleep(100 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The signal has been handled once the listener is closed.
	addr := strings.TrimPrefix(p.base, "http://")
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("still accepting connections 20 s after SIGTERM; stderr:\n%s", p.stderr)
		}
		time.Sleep(2 * time.Millisecond)
	}
	select {
	case err := <-p.done:
		t.Fatalf("process exited (%v) with %d requests in flight; stderr:\n%s", err, inFlight, p.stderr)
	default:
	}
	for _, pw := range writers {
		if _, err := pw.Write(body[half:]); err != nil {
			t.Fatal(err)
		}
		pw.Close()
	}
	for range inFlight {
		a := <-answers
		if a.err != nil || a.status != http.StatusOK || a.n != len(batch) {
			t.Errorf("in-flight request: status %d, %d answers of %d, err %v", a.status, a.n, len(batch), a.err)
		}
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v, want status 0; stderr:\n%s", err, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "model closed") {
		t.Errorf("Stop did not run (no \"model closed\" log); stderr:\n%s", p.stderr)
	}
}

// TestBadModelExits: a FLOWSENSE_MODEL that cannot be loaded stops the
// process with status 1 and one line naming it.
func TestBadModelExits(t *testing.T) {
	bad := testModelPath(t) + ".missing"
	p := startFn(t, EnvModel+"="+bad)
	err := p.wait(t)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; stderr:\n%s", err, p.stderr)
	}
	want := fmt.Sprintf("flowsense-fn: %s=%s: ", EnvModel, bad)
	if !strings.Contains(p.stderr.String(), want) {
		t.Errorf("stderr does not hold %q:\n%s", want, p.stderr)
	}
}
