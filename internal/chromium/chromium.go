// Package chromium runs Debian's headless Chromium for the project's
// browser tests (build tag browser): the reports and the drift page opened
// from files, the web page driven through chromedp.
//
// It is for tests only, and not a browser driver: Run starts one headless
// process on one file and returns what it printed (--dump-dom,
// --screenshot). Flags are the ones this machine needs: its closed network
// refuses Chromium's background connections, and the tests run as root.
package chromium

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Path is where Debian's chromium package installs the browser.
const Path = "/usr/bin/chromium"

// Flags are the headless flags every test starts Chromium with (without
// the leading dashes), with a fresh profile in a user-data-dir of its own.
var Flags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// Need fails tb with what to install when Chromium is absent.
func Need(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(Path); err != nil {
		tb.Fatalf("chromium not found at %s: apt-get install chromium (%v)", Path, err)
	}
}

// Run opens file in headless Chromium with a fresh profile under dir and
// the extra flags (with dashes, e.g. "--dump-dom"), and returns its
// standard output; a failure to start or a non-zero exit fails tb.
func Run(tb testing.TB, dir, file string, extra ...string) []byte {
	tb.Helper()
	Need(tb)
	var args []string
	for _, f := range Flags {
		args = append(args, "--"+f)
	}
	args = append(args, "--user-data-dir="+filepath.Join(dir, "profile"))
	args = append(append(args, extra...), "file://"+file)
	// A guard against a hung browser, not a speed assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}
