//go:build hostile

package hostile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

var (
	probeP99 = flag.Duration("hostile.p99", 20*time.Millisecond, "the one-flow probe's p99 bound while attacked")
	maxRSS   = flag.Int64("hostile.rss", 768<<20, "the bound on serve's peak RSS (bytes) over the attacks")
)

var bin string // the flowsense binary, built by TestMain

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "hostile")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "flowsense")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/flowsense/flowsense/cmd/flowsense").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuf is a buffer written by a process and read by the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// proc is a running `flowsense serve`.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuf
	exited chan error
}

// serve starts `flowsense serve` on module (a .wasm file's bytes) with
// extra flags; it returns the process once it listens, or the error it
// exited with (and its stderr).
func serve(t *testing.T, module []byte, flags ...string) (*proc, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.wasm")
	if err := os.WriteFile(path, module, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--model", path, "--addr", "127.0.0.1:0"}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &syncBuf{}, exited: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`on (http://[0-9.:]+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		p.exited <- cmd.Wait()
	}()
	select {
	case p.base = <-addr:
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-p.exited:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
			}
		})
		return p, nil
	case err := <-p.exited:
		return nil, fmt.Errorf("%v: %s", err, p.stderr.String())
	case <-time.After(20 * time.Second): // a guard, not a speed assertion
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("serve neither listened nor exited in 20 s: %s", p.stderr.String())
	}
}

// cpuSeconds is the process's user+system time so far.
func (p *proc) cpuSeconds(t *testing.T) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / 100
}

// status reads a /proc/PID/status field in kB, as bytes.
func (p *proc) status(t *testing.T, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/PID/status", field)
	return 0
}

type answer struct {
	status int
	ptype  string
	body   string
	took   time.Duration
	err    error
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func post(ctx context.Context, url, ctype string, body []byte) answer {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, body: string(b), took: time.Since(start)}
	var p struct{ Type string }
	if json.Unmarshal(b, &p) == nil {
		a.ptype = strings.TrimPrefix(p.Type, "urn:flowsense:problem:")
	}
	return a
}

func gz(parts ...[]byte) []byte {
	var b bytes.Buffer
	z, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	for _, p := range parts {
		z.Write(p)
	}
	z.Close()
	return b.Bytes()
}

// TestHostileModules: serve refuses a foreign module that would hang it,
// take its memory or answer wrongly, at once and saying why, and exits
// non-zero instead of listening.
func TestHostileModules(t *testing.T) {
	good, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	corrupt, err := hostiletest.Corrupt(good, 0.5, 50)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"start function loops": {hostiletest.Module(hostiletest.Spec{StartLoops: true}), "start function"},
		"declares 2 GiB":       {hostiletest.Module(hostiletest.Spec{Pages: 32768}), "over this host's limit of 256 MiB"},
		"predict loops":        {hostiletest.Module(hostiletest.Spec{Predict: hostiletest.Loop}), "smoke test"},
		"50 bytes corrupted":   {corrupt, "do not match its sha256"},
		"no digest, corrupted": {must(hostiletest.Corrupt(hostiletest.StripDigest(good), 0, 200)), "smoke test"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := serve(t, tc.b)
			took := time.Since(start)
			if err == nil {
				t.Fatal("serve listened")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve's error lacks %q: %v", tc.want, err)
			}
			if took > 5*time.Second {
				t.Errorf("refused after %v", took)
			}
			t.Logf("refused in %v: %s", took.Round(time.Millisecond), strings.TrimSpace(err.Error()))
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestHostileLoopingPredict: a module whose predict loops on a crafted row
// passes the smoke test; a request with that row is answered 503 at its
// timeout, one whose client leaves stops too, no core stays busy
// afterwards, and the module goes on answering.
func TestHostileLoopingPredict(t *testing.T) {
	p, err := serve(t, hostiletest.Module(hostiletest.Spec{Predict: hostiletest.LoopOnPositive}), "--timeout", "1s")
	if err != nil {
		t.Fatal(err)
	}
	a := post(context.Background(), p.base+"/predict", "application/json", []byte(`{"a": 5}`))
	if a.status != 503 || a.ptype != "timeout" || a.took > 3*time.Second {
		t.Fatalf("looping request: %+v", a)
	}
	t.Logf("looping request: 503 %s in %v", a.ptype, a.took.Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	a = post(ctx, p.base+"/predict", "application/json", []byte(`{"a": 5}`))
	cancel()
	if a.err == nil {
		t.Fatalf("the leaving client got an answer: %+v", a)
	}
	time.Sleep(300 * time.Millisecond) // the server sees the connection closed
	before := p.cpuSeconds(t)
	time.Sleep(time.Second)
	if used := p.cpuSeconds(t) - before; used > 0.3 {
		t.Errorf("serve used %.2f s of CPU in the second after its clients left: a call is still running", used)
	} else {
		t.Logf("CPU in the second after: %.2f s", used)
	}
	if a := post(context.Background(), p.base+"/predict", "application/json", []byte(`{"a": 0}`)); a.status != 200 {
		t.Fatalf("next request: %+v", a)
	}
	resp, err := http.Get(p.base + "/health/readiness")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readiness: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.Contains(p.stderr.String(), "request failed") || !strings.Contains(p.stderr.String(), "request_id=") {
		t.Errorf("the 503 was not logged with its request id:\n%s", p.stderr.String())
	}
}

// TestHostileInputs: the attacks on a real model, several of each at once,
// while a one-flow probe runs.
func TestHostileInputs(t *testing.T) {
	mod, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	p, err := serve(t, mod)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Schema struct {
			Features []struct{ Name string }
		}
	}
	resp, err := http.Get(p.base + "/model")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	var names []string
	for _, f := range meta.Schema.Features {
		names = append(names, f.Name)
	}
	header := []byte(strings.Join(names, ",") + "\n")
	one, _ := json.Marshal(map[string]any{names[0]: 443, names[1]: 1000})
	row := strings.TrimSuffix(strings.Repeat("1,", len(names)), ",")

	// the CloudEvents batch at the limit: as many one-flow events as the
	// flow limit (10,000) allows and 8 MiB holds
	event := func(i int) string {
		return `{"specversion":"1.0","id":"e` + strconv.Itoa(i) + `","source":"/hostile","type":"io.flowsense.flow.v1","datacontenttype":"application/json","data":` + string(one) + `}`
	}
	var batch bytes.Buffer
	batch.WriteString("[")
	nEvents := 0
	for ; nEvents < 10000 && batch.Len()+len(event(nEvents))+2 < 8<<20; nEvents++ {
		if nEvents > 0 {
			batch.WriteString(",")
		}
		batch.WriteString(event(nEvents))
	}
	batch.WriteString("]")

	wide := bytes.NewBufferString("{")
	for i := 0; i < 600000; i++ {
		if i > 0 {
			wide.WriteString(",")
		}
		fmt.Fprintf(wide, `"k%d":0`, i)
	}
	wide.WriteString("}")

	type attack struct {
		ctype  string
		body   []byte
		status []int    // accepted statuses
		ptype  []string // accepted problem types ("" for a 200)
		bound  time.Duration
	}
	attacks := map[string]attack{
		"gzip bomb of newlines": {"text/csv", gz(header, bytes.Repeat([]byte("\n"), 256<<20)), []int{413}, []string{"limit"}, 5 * time.Second},
		"gzip bomb of zeros":    {"text/csv", gz(header, []byte(row+"\n"), make([]byte, 256<<20)), []int{413, 400}, []string{"too-large", "csv"}, 5 * time.Second},
		"wide JSON object":      {"application/json", wide.Bytes(), []int{422}, []string{"not-a-flow"}, 5 * time.Second},
		"a million columns":     {"text/csv", []byte(strings.Repeat("x,", 1000000) + "y\n" + row + "\n"), []int{413}, []string{"limit"}, 5 * time.Second},
		"batch at the limit":    {"application/cloudevents-batch+json", batch.Bytes(), []int{200}, []string{""}, 15 * time.Second},
	}
	for name, a := range attacks {
		t.Logf("%s: %d bytes", name, len(a.body))
	}
	t.Logf("the batch holds %d events", nEvents)

	// the probe: one flow every 5 ms
	stop := make(chan struct{})
	var probes []answer
	var pmu sync.Mutex
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			a := post(context.Background(), p.base+"/predict", "application/json", one)
			pmu.Lock()
			probes = append(probes, a)
			pmu.Unlock()
		}
	}()
	time.Sleep(500 * time.Millisecond) // a baseline before the attacks

	// slow bodies: declared 1 MiB, a byte a second; Serve's read timeout
	// (30 s) ends them
	const slow = 8
	slowDone := make(chan string, slow)
	for i := 0; i < slow; i++ {
		go func() {
			c, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
			if err != nil {
				slowDone <- "dial: " + err.Error()
				return
			}
			defer c.Close()
			start := time.Now()
			fmt.Fprintf(c, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n[")
			go func() {
				for range 60 {
					time.Sleep(time.Second)
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}()
			c.SetReadDeadline(time.Now().Add(45 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			slowDone <- fmt.Sprintf("%q after %v", strings.TrimSpace(line), time.Since(start).Round(time.Second))
		}()
	}

	const copies = 4
	type result struct {
		name string
		a    answer
	}
	results := make(chan result, copies*len(attacks))
	var wg sync.WaitGroup
	for name, at := range attacks {
		for range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// a busy answer is the documented answer to a burst; retry as
				// a client told Retry-After would, within the bound
				deadline := time.Now().Add(at.bound)
				for {
					path := "/predict"
					if at.ctype == "application/cloudevents-batch+json" {
						path = "/"
					}
					a := post(context.Background(), p.base+path, at.ctype, at.body)
					if a.status == 503 && a.ptype == "busy" && time.Now().Before(deadline) {
						time.Sleep(100 * time.Millisecond)
						continue
					}
					results <- result{name, a}
					return
				}
			}()
		}
	}
	wg.Wait()
	close(results)
	got := map[string][]answer{}
	for r := range results {
		got[r.name] = append(got[r.name], r.a)
	}
	for name, at := range attacks {
		for _, a := range got[name] {
			if a.err != nil || !slices.Contains(at.status, a.status) || !slices.Contains(at.ptype, a.ptype) {
				t.Errorf("%s: %d %q %v, want %v %v: %.200s", name, a.status, a.ptype, a.err, at.status, at.ptype, a.body)
				continue
			}
			if a.took > at.bound {
				t.Errorf("%s: answered in %v, over its bound of %v", name, a.took, at.bound)
			}
		}
		var took []time.Duration
		for _, a := range got[name] {
			took = append(took, a.took.Round(time.Millisecond))
		}
		t.Logf("%s: %d× %d %s in %v", name, len(got[name]), got[name][0].status, got[name][0].ptype, took)
	}
	for range slow {
		s := <-slowDone
		if !strings.Contains(s, "400") && !strings.Contains(s, "408") {
			t.Errorf("slow body: %s, want a 4xx at the read timeout", s)
		}
		t.Logf("slow body: %s", s)
	}
	close(stop)
	pwg.Wait()

	var lat []time.Duration
	bad := 0
	for _, a := range probes {
		if a.err != nil || a.status != 200 {
			bad++
			continue
		}
		lat = append(lat, a.took)
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatal("no probe answered")
	}
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	t.Logf("probe: %d requests, %d failed, p50 %v, p99 %v, max %v", len(probes), bad, p50, p99, lat[len(lat)-1])
	if bad > 0 {
		t.Errorf("%d probes failed", bad)
	}
	if p99 > *probeP99 {
		t.Errorf("probe p99 %v over %v", p99, *probeP99)
	}
	hwm, rss := p.status(t, "VmHWM"), p.status(t, "VmRSS")
	t.Logf("serve's RSS: peak %d MiB, now %d MiB", hwm>>20, rss>>20)
	if hwm > *maxRSS {
		t.Errorf("peak RSS %d MiB over %d MiB", hwm>>20, *maxRSS>>20)
	}
	if strings.Contains(p.stderr.String(), "level=ERROR") {
		t.Errorf("a 500 was logged:\n%s", p.stderr.String())
	}
}
