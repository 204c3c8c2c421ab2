package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeSIGTERM runs `flowsense serve` as a process, as a platform runs
// it: requests whose bodies are still being uploaded when SIGTERM arrives
// complete with their answers, then the process exits 0.
func TestServeSIGTERM(t *testing.T) {
	dir, flows := trained(t)
	bin := filepath.Join(t.TempDir(), "flowsense")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--model", filepath.Join(dir, "model"), "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`on http://([0-9.:]+)`).FindStringSubmatch(sc.Text()); m != nil {
				url <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	var addr string
	select {
	case addr = <-url:
	case err := <-exited:
		t.Fatalf("serve exited before listening: %v\n%s", err, stderr.String())
	case <-time.After(time.Minute): // a guard, not a speed assertion
		cmd.Process.Kill()
		t.Fatalf("serve printed no address\n%s", stderr.String())
	}

	// the CSV body of each request: the header and 50 flows
	f, err := os.Open(flows)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	w := csv.NewWriter(&body)
	w.WriteAll(recs[:51])
	half := body.Len() / 2

	// n requests, each with half its body sent when SIGTERM arrives. Each
	// asks for 100 Continue, which the server sends when the handler first
	// reads the body: the requests are being handled, not waiting in a
	// backlog, when the signal comes.
	const n = 4
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /predict HTTP/1.1\r\nHost: %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, body.Len())
		readers[i] = bufio.NewReader(c)
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil || resp.StatusCode != http.StatusContinue {
			t.Fatalf("request %d: want 100 Continue before the body, got %v %v", i, resp, err)
		}
		if _, err := c.Write(body.Bytes()[:half]); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutdown has begun when the listener is closed: new connections are
	// refused while the bodies are still incomplete.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) { // a guard, not a speed assertion
			t.Fatal("serve still accepts connections a minute after SIGTERM")
		}
	}
	for i, c := range conns {
		if _, err := c.Write(body.Bytes()[half:]); err != nil {
			t.Fatalf("request %d: the rest of the body: %v", i, err)
		}
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil {
			t.Fatalf("request %d in flight at SIGTERM got no answer: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.Count(string(b), `"label"`) != 50 {
			t.Errorf("request %d: status %d, %d labels, want 200 and 50:\n%.300s", i, resp.StatusCode, strings.Count(string(b), `"label"`), b)
		}
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Fatalf("serve exited with %v after SIGTERM, want 0\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatal("serve did not exit after SIGTERM")
	}
}
