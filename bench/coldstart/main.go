// Command coldstart times the exec of a flowsense host to its first
// classified answer (bench/coldstart.sh runs it; issue 14).
//
//	coldstart run [-n 20] [-model model.wasm] [-rie aws-lambda-rie] TARGET...
//	coldstart breakdown [-n 20] [-model model.wasm]
//
// A TARGET is LABEL=KIND:BINARY, KIND one of serve (flowsense serve
// --model MODEL --addr on a free port, polled with POST /predict), knative
// (cmd/flowsense-fn, LISTEN_ADDRESS, FLOWSENSE_MODEL, polled the same way:
// func-go answers 503 until Start has loaded the model) or lambda (the
// bootstrap under aws-lambda-rie: the emulator is started and listening
// first, then the clock starts and the first invocation is sent: the
// emulator execs the bootstrap on it, as Lambda does). The targets run in
// turn, n rounds, so a noisy machine weighs on each alike; it prints the
// median, p90, min and max of each, and each median against the first
// target of the same kind.
//
// An instrumented build may write lines "TRACE NAME UNIXNANO" on stderr
// (serve and knative targets): run prints each mark's median offset from
// exec.

// breakdown loads the module in this process and times the parts of a
// host's start: the metadata decoded, wazero compiling the module (its
// optimizing compiler and its interpreter), host.Load whole (checks,
// compile, one instance, the smoke test) on each engine, and
// functions.New (host.Load and the server around it).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/host"
)

const oneFlow = `{"Dst Port": 80, "Protocol": 6, "Total Fwd Packet": 1, "SYN Flag Count": 1}`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: coldstart run|breakdown [flags] [TARGET...]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = run(os.Args[2:])
	case "breakdown":
		err = breakdown(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type target struct {
	label, kind, bin string
	took             []time.Duration
	// marks are the "TRACE NAME UNIXNANO" lines of the target's stderr
	// (an instrumented build's), as offsets from exec, by name
	marks map[string][]time.Duration
	order []string
}

// traceWriter collects TRACE lines.
type traceWriter struct {
	buf bytes.Buffer
}

func (w *traceWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }

func (t *target) collect(w *traceWriter, start time.Time) {
	if t.marks == nil {
		t.marks = map[string][]time.Duration{}
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(w.buf.String(), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "TRACE" || seen[f[1]] {
			continue
		}
		ns, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			continue
		}
		seen[f[1]] = true
		if _, ok := t.marks[f[1]]; !ok {
			t.order = append(t.order, f[1])
		}
		t.marks[f[1]] = append(t.marks[f[1]], time.Unix(0, ns).Sub(start))
	}
}

func run(args []string) error {
	f := flag.NewFlagSet("run", flag.ContinueOnError)
	n := f.Int("n", 20, "rounds")
	modelPath := f.String("model", "functions/knative/model.wasm", "the module every target serves")
	rie := f.String("rie", filepath.Join(os.Getenv("HOME"), ".cache/flowsense/bin/aws-lambda-rie"), "aws-lambda-rie")
	payload := f.String("payload", oneFlow, "the first request's JSON")
	if err := f.Parse(args); err != nil {
		return err
	}
	model, err := filepath.Abs(*modelPath)
	if err != nil {
		return err
	}
	var ts []*target
	for _, a := range f.Args() {
		label, spec, ok1 := strings.Cut(a, "=")
		kind, bin, ok2 := strings.Cut(spec, ":")
		if !ok1 || !ok2 || !slices.Contains([]string{"serve", "knative", "lambda"}, kind) {
			return fmt.Errorf("target %q: want LABEL=serve|knative|lambda:BINARY", a)
		}
		ts = append(ts, &target{label: label, kind: kind, bin: bin})
	}
	if len(ts) == 0 {
		return errors.New("no target")
	}
	for round := range *n {
		for _, t := range ts {
			var d time.Duration
			var err error
			switch t.kind {
			case "serve", "knative":
				d, err = coldHTTP(t, model, []byte(*payload))
			case "lambda":
				d, err = coldLambda(t, model, *rie, []byte(*payload))
			}
			if err != nil {
				return fmt.Errorf("%s round %d: %w", t.label, round, err)
			}
			t.took = append(t.took, d)
		}
	}
	fmt.Printf("exec to the first classified answer, %d rounds (targets in turn), model %s\n", *n, *modelPath)
	fmt.Printf("%-24s %8s %8s %8s %8s  %s\n", "target", "median", "p90", "min", "max", "median vs the first of its kind")
	first := map[string]time.Duration{}
	for _, t := range ts {
		slices.Sort(t.took)
		med := t.took[len(t.took)/2]
		ratio := ""
		if b, ok := first[t.kind]; ok {
			ratio = fmt.Sprintf("%.2fx", float64(med)/float64(b))
		} else {
			first[t.kind] = med
		}
		fmt.Printf("%-24s %8s %8s %8s %8s  %s\n", t.label+" ("+t.kind+")", ms(med), ms(t.took[len(t.took)*9/10]), ms(t.took[0]), ms(t.took[len(t.took)-1]), ratio)
		for _, name := range t.order {
			d := t.marks[name]
			slices.Sort(d)
			fmt.Printf("    TRACE %-18s median %s after exec (%d runs)\n", name, ms(d[len(d)/2]), len(d))
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// freeAddr is a loopback address nothing listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// coldHTTP execs a serve or knative target and polls POST /predict until
// a 200 classification comes back.
func coldHTTP(t *target, model string, payload []byte) (time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	var cmd *exec.Cmd
	if t.kind == "serve" {
		cmd = exec.Command(t.bin, "serve", "--model", model, "--addr", addr)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	} else {
		cmd = exec.Command(t.bin)
		cmd.Env = []string{"LISTEN_ADDRESS=" + addr, "FLOWSENSE_MODEL=" + model}
	}
	tw := &traceWriter{}
	cmd.Stdout, cmd.Stderr = io.Discard, tw
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		t.collect(tw, start)
	}()
	for {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/predict", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				took := time.Since(start)
				if !bytes.Contains(body, []byte(`"label"`)) {
					return 0, fmt.Errorf("first answer is not a classification: %s", body)
				}
				return took, nil
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				return 0, fmt.Errorf("status %d: %s", resp.StatusCode, body)
			}
		}
		if time.Since(start) > 30*time.Second {
			return 0, errors.New("no answer 30 s after exec")
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// coldLambda starts aws-lambda-rie with the bootstrap, waits until it
// listens, then times the first invocation (the emulator execs the
// bootstrap and runs its init phase on it).
func coldLambda(t *target, model, rie string, payload []byte) (time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	api, err := freeAddr()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, t.bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "AWS_LAMBDA_FUNCTION_NAME=flowsense", "FLOWSENSE_MODEL=" + model}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("aws-lambda-rie is not listening on %s after 20 s", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the emulator settle: its own start is not the bootstrap's
	client := &http.Client{Timeout: 60 * time.Second}
	start := time.Now()
	resp, err := client.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"label"`)) {
		return 0, fmt.Errorf("first invocation: %d %s", resp.StatusCode, body)
	}
	return took, nil
}

// firstCall times a freshly loaded module's first one-row call.
func firstCall(ctx context.Context, b []byte, opts ...host.Option) func() error {
	return func() error {
		m, err := host.Load(ctx, b, opts...)
		if err != nil {
			return err
		}
		defer m.Close(ctx)
		row := make([]float32, m.Features())
		out := make([]model.Result, 1)
		t0 := time.Now()
		err = m.Classify(ctx, row, out)
		firstCallTook = time.Since(t0)
		return err
	}
}

// firstCallTook is what a firstCall part reports instead of its whole
// run.
var firstCallTook time.Duration

// breakdown times the parts of a start in this process.
func breakdown(args []string) error {
	f := flag.NewFlagSet("breakdown", flag.ContinueOnError)
	n := f.Int("n", 20, "repetitions of each part")
	modelPath := f.String("model", "functions/knative/model.wasm", "the module")
	if err := f.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*modelPath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	type part struct {
		name string
		fn   func() error
	}
	compile := func(rc wazero.RuntimeConfig) func() error {
		return func() error {
			rt := wazero.NewRuntimeWithConfig(ctx, rc)
			defer rt.Close(ctx)
			_, err := rt.CompileModule(ctx, b)
			return err
		}
	}
	load := func(opts ...host.Option) func() error {
		return func() error {
			m, err := host.Load(ctx, b, opts...)
			if err != nil {
				return err
			}
			return m.Close(ctx)
		}
	}
	parts := []part{
		{"metadata decoded (abi.ReadMetadataRaw)", func() error { _, _, err := abi.ReadMetadataRaw(b); return err }},
		{"wazero compile, optimizing compiler", compile(wazero.NewRuntimeConfigCompiler())},
		{"wazero compile, interpreter", compile(wazero.NewRuntimeConfigInterpreter())},
		{"host.Load, compiler", load()},
		{"host.Load, interpreter", load(host.WithInterpreter())},
		{"functions.New, tier-up (interpreter first; default)", func() error {
			s, err := functions.New(ctx, b)
			if err != nil {
				return err
			}
			return s.Close(ctx)
		}},
		{"functions.New, WithoutTierUp (compiler)", func() error {
			s, err := functions.New(ctx, b, functions.WithoutTierUp())
			if err != nil {
				return err
			}
			return s.Close(ctx)
		}},
		{"first call, interpreter (one row)", firstCall(ctx, b, host.WithInterpreter())},
		{"first call, compiler (one row)", firstCall(ctx, b)},
	}
	fmt.Printf("in-process parts of a start, median of %d, model %s (%d bytes)\n", *n, *modelPath, len(b))
	for _, p := range parts {
		var d []time.Duration
		for range *n {
			firstCallTook = 0
			t0 := time.Now()
			if err := p.fn(); err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			took := time.Since(t0)
			if firstCallTook > 0 {
				took = firstCallTook
			}
			d = append(d, took)
		}
		slices.Sort(d)
		fmt.Printf("  %-52s %8.2f ms (min %.2f)\n", p.name, float64(d[len(d)/2].Microseconds())/1000, float64(d[0].Microseconds())/1000)
	}
	return nil
}
