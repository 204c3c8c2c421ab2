package function

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/wasm/abi"
)

// quiet returns a function that logs nowhere.
func quiet() *Function {
	f := New()
	f.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return f
}

// modelName asks the function which model it serves (GET /model).
func modelName(t *testing.T, f *Function) string {
	t.Helper()
	rec := httptest.NewRecorder()
	f.Handle(rec, httptest.NewRequest(http.MethodGet, "/model", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /model: %d %s", rec.Code, rec.Body)
	}
	var got struct{ Name string }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	return got.Name
}

// TestLifecycle: Start loads a model (the embedded one, or the one
// FLOWSENSE_MODEL names), Ready follows it, Stop closes it, and a second
// Start on a started function is refused.
func TestLifecycle(t *testing.T) {
	embedded, err := abi.ReadMetadata(embeddedModel)
	if err != nil {
		t.Fatalf("embedded model.wasm: %v", err)
	}
	testModel := testModelPath(t)
	dir := filepath.Dir(testModel) // a directory holding model.wasm
	cases := map[string]struct {
		cfg  map[string]string
		want string
	}{
		"embedded":             {cfg: map[string]string{}, want: embedded.Name},
		"FLOWSENSE_MODEL file": {cfg: map[string]string{EnvModel: testModel}, want: "functions-test"},
		"FLOWSENSE_MODEL dir":  {cfg: map[string]string{EnvModel: dir}, want: "functions-test"},
	}
	if embedded.Name == "functions-test" {
		t.Fatal("the embedded model and the test model have the same name: the cases cannot tell them apart")
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			f := quiet()
			if ok, err := f.Ready(ctx); ok || err != nil {
				t.Fatalf("ready before Start: %v, %v", ok, err)
			}
			if err := f.Start(ctx, tc.cfg); err != nil {
				t.Fatal(err)
			}
			if ok, err := f.Ready(ctx); !ok || err != nil {
				t.Fatalf("not ready after Start: %v, %v", ok, err)
			}
			if got := modelName(t, f); got != tc.want {
				t.Errorf("serves model %q, want %q", got, tc.want)
			}
			if err := f.Start(ctx, tc.cfg); !errors.Is(err, ErrStarted) {
				t.Errorf("second Start: %v, want ErrStarted", err)
			}
			if err := f.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			if ok, _ := f.Ready(ctx); ok {
				t.Error("ready after Stop")
			}
			if alive, _ := f.Alive(ctx); !alive {
				t.Error("not alive after Stop")
			}
			if err := f.Stop(ctx); err != nil {
				t.Errorf("second Stop: %v", err)
			}
		})
	}
}

// TestBadModel: a FLOWSENSE_MODEL that is missing, not a module or not a
// model fails Start with a *ModelError naming it, and leaves the function
// unready.
func TestBadModel(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		path string
		is   error // nil: any error
	}{
		"missing file":    {path: filepath.Join(dir, "nope.wasm"), is: fs.ErrNotExist},
		"empty directory": {path: t.TempDir(), is: fs.ErrNotExist},
		"not wasm":        {path: write("junk.wasm", "\x00asm nope")},
		"not a model":     {path: write("model.json", `{"format": 1}`)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := quiet()
			err := f.Start(context.Background(), map[string]string{EnvModel: tc.path})
			var me *ModelError
			if !errors.As(err, &me) {
				t.Fatalf("Start: %v, want a *ModelError", err)
			}
			if me.Source != tc.path || !strings.Contains(err.Error(), "FLOWSENSE_MODEL="+tc.path) {
				t.Errorf("error %q does not name %s", err, tc.path)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want one wrapping %v", err, tc.is)
			}
			if ok, _ := f.Ready(context.Background()); ok {
				t.Error("ready after a failed Start")
			}
		})
	}
}

// TestHandleUnstarted: with no model, every request is answered 503 with
// a problem document and Retry-After, never a panic.
func TestHandleUnstarted(t *testing.T) {
	f := quiet()
	for _, path := range []string{"/", "/predict", "/model"} {
		rec := httptest.NewRecorder()
		f.Handle(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{}`)))
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != functions.MediaTypeProblem ||
			rec.Header().Get("Retry-After") == "" {
			t.Errorf("POST %s: %d %q %q", path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
		var p functions.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != http.StatusServiceUnavailable || p.Detail == "" {
			t.Errorf("POST %s: problem %+v (%v)", path, p, err)
		}
	}
}

func TestSourceOf(t *testing.T) {
	cases := map[string]struct {
		cfg  map[string]string
		want string
	}{
		"nothing set":      {cfg: map[string]string{}, want: DefaultSource},
		"Knative service":  {cfg: map[string]string{EnvService: "flowsense"}, want: DefaultSource + ":flowsense"},
		"FLOWSENSE_SOURCE": {cfg: map[string]string{EnvSource: "https://fn.example.com", EnvService: "flowsense"}, want: "https://fn.example.com"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sourceOf(tc.cfg); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
