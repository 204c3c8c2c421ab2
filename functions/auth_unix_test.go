//go:build unix

package functions

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// TestAuthTokenFileReloadDoesNotBlock: a re-read of a token file holds up
// no request but the one doing it. The file is made a named pipe, so the
// request that re-reads it hangs until the test writes the new token;
// meanwhile another request (its reload due too) is answered at once
// with the token read last. Then many requests run while the clock moves
// and the file is rotated (for go test -race).
func TestAuthTokenFileReloadDoesNotBlock(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "classify-token")
	write := func(v string) {
		t.Helper()
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, []byte(v+"\n"), 0o600); err != nil {
			t.Error(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Error(err)
		}
	}
	const old, rotated = "classify-old-0123456789abcdef", "classify-new-0123456789abcdef"
	write(old)
	a.Env[EnvAuthClassify] = "token=" + file
	clk := &clock{t: time.Now()}
	s := authServer(t, a, withClock(clk.Now))
	code := func(tok string) int {
		req := httptest.NewRequest("GET", "/model.wasm", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}

	fifo := filepath.Join(dir, ".fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if err := os.Rename(fifo, file); err != nil {
		t.Fatal(err)
	}
	clk.Add(TokenReload)
	reader := make(chan int, 1)
	go func() { reader <- code(rotated) }()
	// Opening the pipe for writing returns once the reader has opened it:
	// the first request is inside its re-read now.
	w, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	other := make(chan int, 1)
	go func() { other <- code(old) }()
	select {
	case c := <-other:
		if c != 200 {
			t.Errorf("during another's re-read, the token read last: %d, want 200", c)
		}
	case <-time.After(10 * time.Second): // a deadlock detector, not a timing
		t.Errorf("a request waited for another request's re-read of the token file")
		defer func() { <-other }()
	}
	if _, err := w.WriteString(rotated + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if c := <-reader; c != 200 {
		t.Errorf("the re-reading request with the new token: %d, want 200", c)
	}
	write(rotated) // a plain file again
	if c := code(old); c != 401 {
		t.Errorf("the old token after the re-read: %d, want 401", c)
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if c := code([]string{old, rotated}[i%2]); c != 200 && c != 401 {
					t.Errorf("%d, want 200 or 401", c)
					return
				}
			}
		}()
	}
	for i := range 20 {
		write([]string{old, rotated}[i%2])
		clk.Add(TokenReload)
	}
	wg.Wait()
}
