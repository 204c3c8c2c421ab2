//go:build firstrun

package firstrun

// TestCleanClone is a new user's first five minutes, on a clean clone of
// the committed tree (commit first: the working tree is not what is
// tested). It takes a minute or so, so it sits behind the build tag
// firstrun; make test runs it:
//
//	go test -count=1 -tags firstrun ./internal/firstrun/
//
// With FLOWSENSE_SCREENSHOT_DIR set it copies the page's screenshots there
// (first5-before.png, first5-after.png).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/internal/chromium"
	"github.com/flowsense/flowsense/wasm/abi"
)

// guard bounds each wait: a guard against a hang, not a speed assertion.
const guard = 5 * time.Minute

// readmeAddr is the address the README's examples use; the test serves on
// a free port and puts its address in their place.
const readmeAddr = "127.0.0.1:8080"

// shBlocks returns the ```sh blocks of the README section that starts
// with heading, in order, each as its lines.
func shBlocks(t *testing.T, readme, heading string) [][]string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", heading)
	}
	sec := readme[i+len(heading)+2:]
	if j := regexp.MustCompile(`\n## `).FindStringIndex(sec); j != nil {
		sec = sec[:j[0]]
	}
	var blocks [][]string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(sec, -1) {
		var lines []string
		cont := ""
		for _, l := range strings.Split(strings.TrimRight(m[1], "\n"), "\n") {
			if strings.HasSuffix(l, "\\") {
				cont += strings.TrimSuffix(l, "\\")
				continue
			}
			lines = append(lines, cont+l)
			cont = ""
		}
		blocks = append(blocks, lines)
	}
	return blocks
}

// withoutComment drops a trailing "  # comment" (two spaces or more before
// the hash) and the spaces before it.
func withoutComment(l string) string {
	if m := regexp.MustCompile(`\s{2,}# .*$`).FindStringIndex(l); m != nil {
		l = l[:m[0]]
	}
	return strings.TrimSpace(l)
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func sha(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestCleanClone(t *testing.T) {
	for _, c := range []string{"git", "make", "curl", "go", "bash", "head", "sed", "grep"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("the clean-clone test needs %s on PATH (make deps installs git and curl): %v", c, err)
		}
	}
	src := root(t)
	tmp := t.TempDir()
	clone := filepath.Join(tmp, "clone")
	if out, err := exec.Command("git", "clone", "-q", src, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone %s: %v\n%s", src, err, out)
	}
	head, _ := exec.Command("git", "-C", clone, "rev-parse", "--short", "HEAD").Output()
	t.Logf("clean clone of %s at %s", src, strings.TrimSpace(string(head)))
	readmeBytes, err := os.ReadFile(filepath.Join(clone, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(readmeBytes)

	// The set-up is two commands and nothing else.
	setup := shBlocks(t, readme, "## Set-up on a fresh machine")
	if len(setup) == 0 {
		t.Fatal("README's set-up has no sh block")
	}
	var cmds []string
	for _, l := range setup[0] {
		if l = withoutComment(l); l != "" && !strings.HasPrefix(l, "#") {
			cmds = append(cmds, l)
		}
	}
	if !reflect.DeepEqual(cmds, []string{"make run", "make test"}) {
		t.Fatalf("README's set-up is %q, want make run and make test and nothing else", cmds)
	}
	using := shBlocks(t, readme, "## Using it")
	if len(using) < 2 {
		t.Fatalf("README's Using it has %d sh blocks, want the make run commands then the examples", len(using))
	}
	runCmds, examples := using[0], using[1]

	// make run, as the set-up says, on a free port instead of 8080 (other
	// servers may hold it here).
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	mk := exec.Command("make", "run", "ADDR=127.0.0.1:0")
	mk.Dir = clone
	mk.Env = append(os.Environ(), "FLOWSENSE_RUNS="+filepath.Join(tmp, "runs"))
	mk.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr lockedBuffer
	mk.Stdout, mk.Stderr = &stdout, &stderr
	start := time.Now()
	if err := mk.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- mk.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = syscall.Kill(-mk.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-mk.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	defer stop()

	// Wait for serve's examples: the line after "serving" through the
	// last example (the feedback one).
	var url string
	var printed []string
	for {
		out := stdout.String()
		if m := regexp.MustCompile(`(?m)^serving .* on (http://127\.0\.0\.1:\d+)\n((?:  .*\n)+)`).FindStringSubmatch(out); m != nil && strings.Contains(m[2], "/feedback") {
			url = m[1]
			for _, l := range strings.Split(strings.TrimRight(m[2], "\n"), "\n") {
				printed = append(printed, strings.TrimPrefix(l, "  "))
			}
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("make run exited (%v) before serving\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
		case <-ctx.Done():
			t.Fatalf("make run did not serve within %v\nstdout:\n%s\nstderr:\n%s", guard, out, stderr.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Logf("make run: serving on %s after %.1f s", url, time.Since(start).Seconds())
	t.Logf("make run printed:\n%s", stdout.String())
	addr := strings.TrimPrefix(url, "http://")
	subst := strings.NewReplacer(readmeAddr, addr)

	// The README's make run commands are what make echoed (the gen line
	// is silent in make and checked below by running it).
	echoed := stdout.String()
	if len(runCmds) != 3 || !strings.HasPrefix(runCmds[0], "bin/flowsense gen ") {
		t.Fatalf("README's first Using it block is %q, want gen, train and serve", runCmds)
	}
	for _, c := range runCmds[1:] {
		want := strings.ReplaceAll(withoutComment(c), readmeAddr, "127.0.0.1:0")
		if !strings.Contains(echoed, "\n"+want+"\n") && !strings.HasPrefix(echoed, want+"\n") {
			t.Errorf("make run did not run %q as the README says:\n%s", want, echoed)
		}
	}

	// Every example serve printed is in the README, as printed.
	inReadme := map[string]bool{}
	for _, l := range examples {
		inReadme[subst.Replace(withoutComment(l))] = true
	}
	for _, p := range printed {
		if strings.HasPrefix(p, "open ") {
			if !strings.HasPrefix(p, "open "+url+"/ in a browser") {
				t.Errorf("serve printed %q, not the page's URL", p)
			}
			continue
		}
		if !inReadme[withoutComment(p)] {
			t.Errorf("serve printed an example the README's Using it block lacks:\n%s", p)
		}
	}

	// Every line of the README's examples runs as printed, from the
	// clone's root, with what it should print.
	checks := []struct {
		has  string
		want []string
	}{
		{"/model | grep", []string{`"name": "flowsense-synthetic"`, `"version": "1"`, `"trees": `}},
		{"--data-binary @- ", []string{`[{"label":`, `"verdict":`, `"model":{"name":"flowsense-synthetic"`}},
		{"/v2/models/", []string{`"name":"flowsense-synthetic"`, `"platform":"flowsense_wasm"`}},
		{"/feedback", []string{`{"accepted":1,"correct":`, `flowsense_feedback_total{predicted=`}},
		{"-d '{\"Dst Port\": 0}'", []string{`{"label":`, `"outlier_score":`}},
		{"inspect out/model/model.wasm", []string{"name:            flowsense-synthetic 1", "   1  Dst Port ", "Flow Duration", "classes:         BENIGN, Brute Force"}},
		{"inspect out/model", []string{"name:            flowsense-synthetic 1", "   1  Dst Port ", "Flow Duration", "ensemble:"}},
		{"eval ", []string{`"accuracy":`, `"n_test": 50000`}},
		{"--explain 5 --out-format jsonl", []string{`{"row":1,"label":`, `"explanation":{"class":`, `"bias":`, `"features":[{"name":`, `"contribution":`}},
		{"--out out/pred.csv", nil},
		{"--out out/pred-native.csv", nil},
		{"compile ", nil},
		{"simulate ", []string{`"accuracy":`}},
	}
	ran := 0
	for _, l := range examples {
		line := subst.Replace(l)
		var want []string
		found := false
		for _, c := range checks {
			if strings.Contains(line, c.has) {
				want, found = c.want, true
				break
			}
		}
		if !found {
			t.Errorf("README example without a check here (add one): %s", l)
			continue
		}
		cmd := exec.CommandContext(ctx, "bash", "-c", line)
		cmd.Dir = clone
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Errorf("README example failed (%v):\n%s\nstdout: %.2000s\nstderr: %.2000s", err, l, o.String(), e.String())
			continue
		}
		ran++
		if strings.Contains(line, "curl ") && e.Len() > 0 {
			t.Errorf("README example wrote to stderr:\n%s\n%s", l, e.String())
		}
		for _, w := range want {
			if !strings.Contains(o.String(), w) {
				t.Errorf("README example's output lacks %q:\n%s\nstdout: %.2000s", w, l, o.String())
			}
		}
	}
	t.Logf("ran %d README examples against %s", ran, url)
	for _, f := range []string{"out/pred.csv", "out/pred-native.csv"} {
		b, err := os.ReadFile(filepath.Join(clone, f))
		if err != nil || !bytes.HasPrefix(b, []byte("row,label,probability,outlier_score,verdict\n")) || bytes.Count(b, []byte{'\n'}) != 50001 {
			t.Errorf("%s: %d lines, %v; want the header and 50,000 rows", f, bytes.Count(b, []byte{'\n'}), err)
		}
	}
	if a, b := sha(t, filepath.Join(clone, "out/pred.csv")), sha(t, filepath.Join(clone, "out/pred-native.csv")); a != b {
		t.Log("note: the wasm and native predictions differ in some digit (float32 vs float64 rounding is allowed by wasm/host's parity tests)")
	}
	if _, err := abi.ReadMetadata(mustRead(t, filepath.Join(clone, "out/flowsense.wasm"))); err != nil {
		t.Errorf("compile's module: %v", err)
	}

	// The README's gen line, as printed, makes the bundled data make run
	// made (and trained on): the same bytes.
	before := sha(t, filepath.Join(clone, "data/flows.csv"))
	gen := exec.CommandContext(ctx, "bash", "-c", withoutComment(runCmds[0]))
	gen.Dir = clone
	if out, err := gen.CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", runCmds[0], err, out)
	} else if sha(t, filepath.Join(clone, "data/flows.csv")) != before {
		t.Errorf("%s made other data than make run trained on", runCmds[0])
	}

	t.Run("page", func(t *testing.T) { pageScreenshots(t, url, tmp) })

	// The Knative function embeds the model make run trained: the same
	// module but for the creation time and the model hash that covers it.
	t.Run("knative model", func(t *testing.T) {
		embedded := mustRead(t, filepath.Join(clone, "functions/knative/model.wasm"))
		trained := mustRead(t, filepath.Join(clone, "out/model/model.wasm"))
		a, err := withoutCustomSections(embedded)
		if err != nil {
			t.Fatal(err)
		}
		b, err := withoutCustomSections(trained)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("functions/knative/model.wasm is not the model make run trains (code differs: %d and %d bytes): make knative-model and commit it", len(a), len(b))
		}
		ma, err := abi.ReadMetadata(embedded)
		if err != nil {
			t.Fatal(err)
		}
		mb, err := abi.ReadMetadata(trained)
		if err != nil {
			t.Fatal(err)
		}
		ma.Created, mb.Created, ma.ModelSHA256, mb.ModelSHA256 = time.Time{}, time.Time{}, "", ""
		if !reflect.DeepEqual(ma, mb) {
			t.Fatalf("functions/knative/model.wasm's metadata differs from make run's model: make knative-model and commit it")
		}
	})

	stop()
	// Nothing make run or the examples wrote is tracked: the clone stays
	// clean (data/, out/, bin/ and runs/ are ignored).
	if st, err := exec.Command("git", "-C", clone, "status", "--porcelain").Output(); err != nil || len(st) > 0 {
		t.Errorf("the clone is not clean after make run and the examples (%v):\n%s", err, st)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pageScreenshots opens the page make run serves in headless Chromium:
// the model's name and version and the sample button before any upload,
// then one click classifies the sample. It keeps a screenshot of each.
func pageScreenshots(t *testing.T, url, dir string) {
	chromium.Need(t)
	profile, err := os.MkdirTemp("", "flowsense-firstrun-chromium")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium.Path), chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900),
	}
	for _, f := range chromium.Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer func() { _ = chromedp.Cancel(bctx); cancelBrowser() }()
	// The first Run starts the browser: on bctx, so that the timeout below
	// bounds the actions and not the browser's life.
	if err := chromedp.Run(bctx); err != nil {
		t.Fatalf("starting %s: %v", chromium.Path, err)
	}
	ctx, cancel := context.WithTimeout(bctx, guard)
	defer cancel()

	var info, state string
	var sampleHidden, summaryHidden bool
	var before, after []byte
	if err := chromedp.Run(ctx,
		chromedp.Navigate(url+"/"),
		chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil),
		chromedp.Text("#model-info", &info, chromedp.ByID),
		chromedp.Evaluate(`document.getElementById('sample-box').hidden`, &sampleHidden),
		chromedp.Evaluate(`document.getElementById('summary').hidden`, &summaryHidden),
		chromedp.FullScreenshot(&before, 100),
	); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
	if !strings.Contains(info, "model flowsense-synthetic 1 ·") {
		t.Errorf("the page says %q, not the model's name and version", info)
	}
	if sampleHidden || !summaryHidden {
		t.Errorf("before the click: sample button hidden %v, results hidden %v", sampleHidden, summaryHidden)
	}
	var status string
	var rows, malicious int
	if err := chromedp.Run(ctx,
		chromedp.Click("#sample", chromedp.ByID),
		chromedp.Poll(`document.body.dataset.state === 'error' || document.body.dataset.run === '1'`, nil),
		chromedp.Evaluate(`document.body.dataset.state`, &state),
		chromedp.Text("#status", &status, chromedp.ByID),
		chromedp.Evaluate(`document.querySelectorAll('#results tbody tr').length`, &rows),
		chromedp.Evaluate(`document.querySelectorAll('#results tbody tr[data-verdict="malicious"]').length`, &malicious),
		chromedp.FullScreenshot(&after, 100),
	); err != nil {
		t.Fatalf("clicking the sample: %v", err)
	}
	if state != "done" || status != "100 flows classified in the browser" || rows != 100 || malicious == 0 {
		var msg string
		_ = chromedp.Run(ctx, chromedp.Text("#error", &msg, chromedp.ByID))
		t.Errorf("after the click: state %q, status %q, %d rows (%d malicious), error %q; want 100 flows, some malicious", state, status, rows, malicious, msg)
	}
	keep := map[string][]byte{"first5-before.png": before, "first5-after.png": after}
	out := os.Getenv("FLOWSENSE_SCREENSHOT_DIR")
	for name, b := range keep {
		p := filepath.Join(dir, name)
		if out != "" {
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			p = filepath.Join(out, name)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}

// withoutCustomSections returns a module's bytes without its custom
// sections (id 0: the metadata), so that two builds of one model compare
// equal whatever their creation time.
func withoutCustomSections(b []byte) ([]byte, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a wasm module")
	}
	out := append([]byte(nil), b[:8]...)
	r := bufio.NewReader(bytes.NewReader(b[8:]))
	for off := 8; off < len(b); {
		id, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		size, n, err := uleb(r)
		if err != nil {
			return nil, fmt.Errorf("section at %d: %v", off, err)
		}
		end := off + 1 + n + int(size)
		if end > len(b) {
			return nil, fmt.Errorf("section at %d: %d bytes past the end", off, end-len(b))
		}
		if _, err := r.Discard(int(size)); err != nil {
			return nil, err
		}
		if id != 0 {
			out = append(out, b[off:end]...)
		}
		off = end
	}
	return out, nil
}

func uleb(r io.ByteReader) (uint32, int, error) {
	var v uint32
	for n, shift := 1, 0; shift <= 28; n, shift = n+1, shift+7 {
		c, err := r.ReadByte()
		if err != nil {
			return 0, n, err
		}
		v |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return v, n, nil
		}
	}
	return 0, 5, errors.New("bad size")
}
