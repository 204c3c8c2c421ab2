//go:build rie

// The real AWS Lambda Runtime Interface Emulator (aws-lambda-rie) in front
// of the real bootstrap: make test-lambda-rie. The emulator runs the
// binary as Lambda's provided.al2023 runtime does (its Runtime API, its
// init phase on the first invocation, its error answers), and the tests
// send it the events of the in-process tests.

package awslambda

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// rieInstall is how make test-lambda-rie installs the emulator.
const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@latest"

// rieBinary finds aws-lambda-rie: $FLOWSENSE_RIE, then $PATH, then the
// cache directory make test-lambda-rie installs it into.
func rieBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("FLOWSENSE_RIE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FLOWSENSE_RIE=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	p := filepath.Join(home, ".cache", "flowsense", "bin", "aws-lambda-rie")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Fatalf("aws-lambda-rie not found (FLOWSENSE_RIE, $PATH, %s): run make test-lambda-rie, which installs it with GOBIN=~/.cache/flowsense/bin %s", p, rieInstall)
	return ""
}

var (
	bootstrapOnce sync.Once
	bootstrapDir  string
	bootstrapErr  error
)

// bootstrap builds the Lambda binary as make lambda does (-tags
// lambda.norpc, CGO_ENABLED=0; the host's GOOS/GOARCH, which the emulator
// runs) and writes the test model beside it, once per test binary.
func bootstrap(t testing.TB) (bin, model string) {
	t.Helper()
	bootstrapOnce.Do(func() {
		bootstrapDir, bootstrapErr = os.MkdirTemp("", "flowsense-rie-")
		if bootstrapErr != nil {
			return
		}
		build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w",
			"-o", filepath.Join(bootstrapDir, "bootstrap"), "github.com/flowsense/flowsense/functions/lambda")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			bootstrapErr = fmt.Errorf("go build functions/lambda: %v\n%s", err, out)
			return
		}
		wasmBytes, err := functionstest.ModelWasm()
		if err != nil {
			bootstrapErr = err
			return
		}
		bootstrapErr = os.WriteFile(filepath.Join(bootstrapDir, "model.wasm"), wasmBytes, 0o644)
	})
	if bootstrapErr != nil {
		t.Fatal(bootstrapErr)
	}
	return filepath.Join(bootstrapDir, "bootstrap"), filepath.Join(bootstrapDir, "model.wasm")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bootstrapDir != "" {
		_ = os.RemoveAll(bootstrapDir)
	}
	os.Exit(code)
}

// lockedBuffer is the emulator's output (its own log and the bootstrap's
// stdout and stderr), written by the process and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// emulator is one aws-lambda-rie process serving the bootstrap.
type emulator struct {
	url     string // the invoke URL
	out     *lockedBuffer
	started time.Time
	client  *http.Client
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startEmulator starts aws-lambda-rie with the bootstrap and env (besides
// PATH and HOME), on ports of its own (the Runtime API too: two runs at
// once must not meet on the default 9001), and waits until it listens.
// The bootstrap itself starts on the first invocation, as in Lambda.
func startEmulator(t testing.TB, env ...string) *emulator {
	t.Helper()
	rie := rieBinary(t)
	bin, _ := bootstrap(t)
	addr, api := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, bin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "AWS_LAMBDA_FUNCTION_NAME=flowsense"}, env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	e := &emulator{url: "http://" + addr + "/2015-03-31/functions/function/invocations", out: out,
		started: time.Now(), client: &http.Client{Timeout: 60 * time.Second}}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", rie, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie is not listening on %s after 20 s:\n%s", addr, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// functionError is an invocation the function failed: the emulator
// answers the runtime's error document ({"errorType", "errorMessage"})
// as Lambda's Invoke API does.
type functionError struct {
	Status       int
	ErrorType    string `json:"errorType"`
	ErrorMessage string `json:"errorMessage"`
}

func (e *functionError) Error() string {
	return fmt.Sprintf("function error (HTTP %d) %s: %s", e.Status, e.ErrorType, e.ErrorMessage)
}

// Invoke sends payload to the emulator; it makes emulator a lambda.Handler,
// so the in-process tests' helpers drive it.
func (e *emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var fe functionError
	if resp.StatusCode != http.StatusOK || (json.Unmarshal(b, &fe) == nil && fe.ErrorType != "") {
		fe.Status = resp.StatusCode
		if fe.ErrorType == "" {
			fe.ErrorMessage = string(b)
		}
		return nil, &fe
	}
	return b, nil
}

var _ lambda.Handler = (*emulator)(nil)

// classifiedLog is the bootstrap's JSON log record for a good SQS message.
type classifiedLog struct {
	Msg       string `json:"msg"`
	MessageID string `json:"messageId"`
}

// classifiedIDs are the messageIds the bootstrap logged as classified.
func (e *emulator) classifiedIDs() []string {
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(e.out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '{'); i >= 0 {
			var r classifiedLog
			if json.Unmarshal(line[i:], &r) == nil && r.Msg == "classified" {
				ids = append(ids, r.MessageID)
			}
		}
	}
	return ids
}

// waitLog waits up to d for the emulator's output to hold every one of
// subs (the bootstrap's output is relayed by the emulator, and may trail
// its answer by a moment).
func (e *emulator) waitLog(d time.Duration, subs ...string) bool {
	deadline := time.Now().Add(d)
	for {
		out, all := e.out.String(), true
		for _, s := range subs {
			all = all && strings.Contains(out, s)
		}
		if all {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// initDuration is the emulator's report of the init phase.
var initDuration = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

const oneFlow = `{"Dst Port": 80, "Protocol": 6, "Total Fwd Packet": 1, "SYN Flag Count": 1}`

// TestRIE runs the suites of the in-process tests through the real
// emulator and the real bootstrap, one emulator for all (its first
// invocation is the cold start the test reports).
func TestRIE(t *testing.T) {
	_, model := bootstrap(t)
	e := startEmulator(t, "FLOWSENSE_MODEL="+model, "FLOWSENSE_SOURCE=/flowsense/test")
	srv := testServer(t) // the in-process answers to compare with

	t.Run("cold direct flow", func(t *testing.T) {
		t0 := time.Now()
		out, err := e.Invoke(t.Context(), []byte(oneFlow))
		first := time.Since(t0)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := srv.ClassifyJSON(t.Context(), []byte(oneFlow))
		if err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := json.Marshal(want[0])
		if !jsonEqual(out, wantJSON) {
			t.Errorf("cold answer %s, want %s", out, wantJSON)
		}
		report := "no Init Duration in the emulator's REPORT"
		if m := initDuration.FindStringSubmatch(e.out.String()); m != nil {
			report = "the emulator's INIT REPORT " + m[1] + " ms"
		}
		t.Logf("rie: cold first invocation %.1f ms (%s); emulator start to first answer %.1f ms",
			ms(first), report, ms(time.Since(e.started)))
	})

	t.Run("function url", func(t *testing.T) {
		functionstest.Run(t, behaviourDir, eventDoerVia(t, e, readTestdata(t, "function-url-request.json")), false)
	})
	t.Run("api gateway v2", func(t *testing.T) {
		functionstest.Run(t, behaviourDir, eventDoerVia(t, e, readTestdata(t, "apigw-v2-request.json")), false)
	})

	t.Run("sqs batch", func(t *testing.T) {
		payload := readTestdata(t, "sqs-batch-10.json")
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		var wantFailed, wantGood []string
		for _, m := range ev.Records {
			if _, _, err := srv.HandleMessage(t.Context(), []byte(m.Body)); err != nil {
				wantFailed = append(wantFailed, m.MessageId)
			} else {
				wantGood = append(wantGood, m.MessageId)
			}
		}
		if len(wantFailed) != 2 {
			t.Fatalf("testdata batch has %d bad messages, want 2", len(wantFailed))
		}
		before := len(e.classifiedIDs())
		got := failedIDsVia(t, e, payload)
		if !slices.Equal(got, wantFailed) {
			t.Errorf("batchItemFailures = %v, want exactly the bad %v", got, wantFailed)
		}
		// the good ones are in the function's log (its default sink)
		var logged []string
		for range 100 { // the log may trail the answer by a moment
			if logged = e.classifiedIDs()[before:]; len(logged) >= len(wantGood) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !slices.Equal(logged, wantGood) {
			t.Errorf("classified records logged for %v, want the good %v", logged, wantGood)
		}
	})

	t.Run("kinesis batch", func(t *testing.T) {
		bodies := suiteBodies(t, srv)
		payload, seqs := kinesisBatch(t, bodies)
		var wantFailed, wantGood []string
		for i, b := range bodies {
			if b.bad {
				wantFailed = append(wantFailed, seqs[i])
			} else {
				wantGood = append(wantGood, seqs[i])
			}
		}
		before := len(e.classifiedIDs())
		var resp events.KinesisEventResponse
		invokeAs(t, e, payload, &resp)
		var got []string
		for _, f := range resp.BatchItemFailures {
			got = append(got, f.ItemIdentifier)
		}
		if !slices.Equal(got, wantFailed) {
			t.Errorf("batchItemFailures = %v, want exactly the bad %v", got, wantFailed)
		}
		var logged []string
		for range 100 {
			if logged = e.classifiedIDs()[before:]; len(logged) >= len(wantGood) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !slices.Equal(logged, wantGood) {
			t.Errorf("classified records logged for %v, want the good %v", logged, wantGood)
		}
	})

	t.Run("firehose and vpc flow logs", func(t *testing.T) {
		var fh events.KinesisFirehoseResponse
		invokeAs(t, e, sample(t, "kinesis-firehose-event.json"), &fh)
		if len(fh.Records) != 2 || fh.Records[0].Result != events.KinesisFirehoseTransformedStateProcessingFailed {
			t.Errorf("firehose sample answered %+v", fh)
		}
		var logs LogsResponse
		invokeAs(t, e, logsEvent(t, "DATA_MESSAGE", []string{vpcAccept, vpcNoData, vpcBadPort}), &logs)
		want := LogsResponse{MessageType: "DATA_MESSAGE", LogGroup: "/flowsense/flows",
			Classified: []string{"event00"}, Skipped: []string{"event01"}, Failed: []string{"event02"}}
		if !reflect.DeepEqual(logs, want) {
			t.Errorf("logs answered %+v, want %+v", logs, want)
		}
	})

	t.Run("direct", func(t *testing.T) {
		for _, name := range []string{"predict_object", "predict_values", "predict_array", "predict_features_wrapper"} {
			body := reqBody(t, name)
			out, err := e.Invoke(t.Context(), body)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want, single, err := srv.ClassifyJSON(t.Context(), body)
			if err != nil {
				t.Fatal(err)
			}
			var wantJSON []byte
			if single {
				wantJSON, _ = json.Marshal(want[0])
			} else {
				wantJSON, _ = json.Marshal(want)
			}
			if !jsonEqual(out, wantJSON) {
				t.Errorf("%s: got %s\nwant %s", name, out, wantJSON)
			}
		}
		out, err := e.Invoke(t.Context(), reqBody(t, "ce_structured"))
		if err != nil {
			t.Fatal(err)
		}
		var reply struct{ Type, Subject, Source string }
		if err := json.Unmarshal(out, &reply); err != nil || reply.Type != cloudevents.TypeClassified ||
			reply.Subject != "flow-3" || reply.Source != "/flowsense/test" {
			t.Errorf("cloudevent answered %s (%v)", out, err)
		}
	})

	t.Run("direct refused", func(t *testing.T) {
		for payload, want := range map[string]string{
			`{"Dst Port": 80, "Colour": "red"}`: `unknown fields: "Colour"`,
			`[1, 2, 3]`:                         "message refused",
			`42`:                                "message refused",
		} {
			out, err := e.Invoke(t.Context(), []byte(payload))
			var fe *functionError
			if !errors.As(err, &fe) {
				t.Fatalf("%s: answered %s, %v; want a function error", payload, out, err)
			}
			if fe.ErrorType != "Error" || !strings.Contains(fe.ErrorMessage, want) {
				t.Errorf("%s: %v, want errorType Error naming %q", payload, fe, want)
			}
		}
		// the function is still there after refusing
		if _, err := e.Invoke(t.Context(), []byte(oneFlow)); err != nil {
			t.Errorf("after the refusals: %v", err)
		}
	})

	t.Run("warm", func(t *testing.T) {
		var d []time.Duration
		for range 20 {
			t0 := time.Now()
			if _, err := e.Invoke(t.Context(), []byte(oneFlow)); err != nil {
				t.Fatal(err)
			}
			d = append(d, time.Since(t0))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		t.Logf("rie: warm direct invocation (one flow) median %.2f ms of 20", ms(d[len(d)/2]))
	})
}

// TestRIEColdStarts: five fresh emulators, each timed from its first
// invocation (the emulator then runs the bootstrap's init: exec, the
// wasm module compiled and instantiated) to the answer.
func TestRIEColdStarts(t *testing.T) {
	_, model := bootstrap(t)
	var d []time.Duration
	for range 5 {
		e := startEmulator(t, "FLOWSENSE_MODEL="+model)
		t0 := time.Now()
		if _, err := e.Invoke(t.Context(), []byte(oneFlow)); err != nil {
			t.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	t.Logf("rie: cold first invocation of 5 fresh emulators: min %.1f ms, median %.1f ms, max %.1f ms",
		ms(d[0]), ms(d[2]), ms(d[4]))
}

// TestRIEInitFailure: a bootstrap without a model fails its init phase
// (it logs why and exits 1); the emulator answers the invocation with an
// error, never a classification.
func TestRIEInitFailure(t *testing.T) {
	e := startEmulator(t) // no FLOWSENSE_MODEL, and this build embeds none
	out, err := e.Invoke(t.Context(), []byte(oneFlow))
	var fe *functionError
	if !errors.As(err, &fe) {
		t.Fatalf("answered %s, %v; want the init failure", out, err)
	}
	if fe.Status != http.StatusBadGateway {
		t.Errorf("init failure answered HTTP %d, want 502 (Runtime.ExitError)", fe.Status)
	}
	if !e.waitLog(2*time.Second, "no model", "Runtime exited with error: exit status 1") {
		t.Errorf("the bootstrap's log does not say why:\n%s", e.out.String())
	}
}

// jsonEqual compares two JSON documents by value, but for the reply ids of
// classifications (a fresh nonce each time, and the emulator's process has
// a key of its own).
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	dropReplyIDs(x)
	dropReplyIDs(y)
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// dropReplyIDs deletes "id" from every classification (an object with a
// "label") in v.
func dropReplyIDs(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["label"]; ok {
			delete(v, "id")
		}
		for _, e := range v {
			dropReplyIDs(e)
		}
	case []any:
		for _, e := range v {
			dropReplyIDs(e)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
