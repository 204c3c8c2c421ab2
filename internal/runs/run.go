package runs

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flowsense/flowsense/internal/atomicfile"
)

// FormatVersion is the "format" of the run files this package writes and
// reads.
const FormatVersion = 1

// DirEnv names the environment variable that overrides DefaultDir.
const DirEnv = "FLOWSENSE_RUNS"

// DefaultDir is the runs directory when neither --runs nor $FLOWSENSE_RUNS
// says otherwise.
const DefaultDir = "runs"

// Dir returns flag when it is set, else $FLOWSENSE_RUNS, else DefaultDir.
func Dir(flag string) string {
	if flag != "" {
		return flag
	}
	if d := os.Getenv(DirEnv); d != "" {
		return d
	}
	return DefaultDir
}

// Run is one recorded run.
type Run struct {
	Format int `json:"format"`
	// ID is the run's id, also its file name without ".json".
	ID   string    `json:"id"`
	Time time.Time `json:"time"` // when the run started, UTC
	// Kind is the command that made the run: "train" or "tune".
	Kind string `json:"kind"`
	// Command is the command line, program name first.
	Command []string `json:"command"`
	// Params are the model parameters (gbdt, outlier detector) and reading
	// options, as text.
	Params map[string]string `json:"params"`
	// Metrics are the figures of metrics.json, flattened with dots
	// ("accuracy", "outlier.roc_auc", "per_class.BENIGN.f1"), and for a
	// tune run its own figures besides.
	Metrics map[string]float64 `json:"metrics"`
	// Data and Test are the training and test files (Test is empty for a
	// hold-out split); Out is the model directory and Model its files.
	Data  []File `json:"data"`
	Test  []File `json:"test,omitempty"`
	Out   string `json:"out"`
	Model []File `json:"model"`
	// DurationSeconds is the wall time of the whole command.
	DurationSeconds float64 `json:"duration_seconds"`
	TrainerVersion  string  `json:"trainer_version"`
	Host            string  `json:"host"`
}

// File is one file a run read or wrote.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// The patterns are compiled on first use, not at package init: every
// flowsense command links this package and most never look at a run id
// (issue 14: init is paid before main on every start).
var (
	idPattern  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[0-9a-f]{6}$`) })
	hexPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })
)

// NewID returns a fresh id for a run started at t: its UTC time to the
// millisecond and six random hex digits.
func NewID(t time.Time) string {
	var b [3]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return t.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form NewID gives.
func ValidID(id string) bool { return idPattern().MatchString(id) }

// HashFile returns path's sha256 and size.
func HashFile(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return File{Path: path, SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// FlattenMetrics turns a metrics.json document into dotted names and
// numbers: every number of every object, arrays left out (the confusion
// matrix and the class list are no figures to compare).
func FlattenMetrics(b []byte) (map[string]float64, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("metrics: not a JSON object")
	}
	out := map[string]float64{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case json.Number:
				if x, err := v.Float64(); err == nil {
					out[prefix+k] = x
				}
			case map[string]any:
				walk(prefix+k+".", v)
			}
		}
	}
	walk("", obj)
	return out, nil
}

// Encode renders r as indented JSON. Metrics that are not finite (an
// undefined ROC-AUC, say) are left out: JSON has no NaN.
func Encode(r *Run) ([]byte, error) {
	c := *r
	c.Format = FormatVersion
	c.Metrics = make(map[string]float64, len(r.Metrics))
	for k, v := range r.Metrics {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			c.Metrics[k] = v
		}
	}
	if err := check(&c); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode run: %w", err)
	}
	return append(b, '\n'), nil
}

// Decode reads one run file's bytes. Unknown fields, trailing data, a
// format other than FormatVersion, a malformed id, a missing time or a
// malformed sha256 are errors wrapping ErrCorrupt; a JSON syntax error is
// a *FileError with its line and column (Path left empty for the caller).
func Decode(b []byte) (*Run, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var r Run
	if err := d.Decode(&r); err != nil {
		fe := &FileError{Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			fe.Line, fe.Column = position(b, se.Offset)
		case errors.As(err, &te):
			fe.Line, fe.Column = position(b, te.Offset)
		}
		return nil, fe
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &FileError{Err: fmt.Errorf("%w: data after the run object", ErrCorrupt)}
	}
	if err := check(&r); err != nil {
		return nil, &FileError{Err: err}
	}
	return &r, nil
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	pre := b[:off]
	line = 1 + bytes.Count(pre, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(pre, '\n') + 1)
	return line, max(col, 1)
}

func check(r *Run) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	switch {
	case r.Format != FormatVersion:
		return bad("format %d, want %d", r.Format, FormatVersion)
	case !ValidID(r.ID):
		return bad("id %q is not a run id", r.ID)
	case r.Time.IsZero():
		return bad("no time")
	case !(r.DurationSeconds >= 0) || math.IsInf(r.DurationSeconds, 0):
		return bad("duration %v", r.DurationSeconds)
	}
	for _, group := range [][]File{r.Data, r.Test, r.Model} {
		for _, f := range group {
			if !hexPattern().MatchString(f.SHA256) {
				return bad("sha256 %q of %s is not 64 hex digits", f.SHA256, f.Path)
			}
		}
	}
	return nil
}

// Write records r in dir (created if needed) as ID.json and returns the
// file's path. The file is written under a temporary name and linked into
// place, so readers never see half a run and an existing run is never
// overwritten.
func Write(dir string, r *Run) (string, error) {
	b, err := Encode(r)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("runs directory: %w", err)
	}
	path := filepath.Join(dir, r.ID+".json")
	if err := atomicfile.Create(path, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return "", fmt.Errorf("record run: %w", err)
	}
	return path, nil
}

// ReadFile reads one run file; every error is a *FileError naming it.
func ReadFile(path string) (*Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	r, err := Decode(b)
	if err != nil {
		fe := err.(*FileError) // Decode returns only *FileError
		fe.Path = path
		return nil, fe
	}
	if want := strings.TrimSuffix(filepath.Base(path), ".json"); r.ID != want {
		return nil, &FileError{Path: path, Err: fmt.Errorf("%w: id %q does not match the file name", ErrCorrupt, r.ID)}
	}
	return r, nil
}

// ids lists the run ids in dir, sorted (oldest first); a missing directory
// has none.
func ids(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("runs directory: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		id, ok := strings.CutSuffix(n, ".json")
		if e.IsDir() || !ok || !ValidID(id) { // not a run: another file kept beside them
			continue
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// List reads every run in dir, oldest first. A missing directory has no
// runs; a corrupt file is an error naming it.
func List(dir string) ([]*Run, error) {
	names, err := ids(dir)
	if err != nil {
		return nil, err
	}
	out := make([]*Run, 0, len(names))
	for _, id := range names {
		r, err := ReadFile(filepath.Join(dir, id+".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Find reads the run whose id is id or, failing that, the one run whose id
// starts with it. No match wraps ErrNotFound; several wrap ErrAmbiguous
// and name them.
func Find(dir, id string) (*Run, error) {
	names, err := ids(dir)
	if err != nil {
		return nil, err
	}
	var hits []string
	for _, n := range names {
		if n == id {
			hits = []string{n}
			break
		}
		if id != "" && strings.HasPrefix(n, id) {
			hits = append(hits, n)
		}
	}
	switch len(hits) {
	case 0:
		return nil, fmt.Errorf("%w: %q in %s", ErrNotFound, id, dir)
	case 1:
		return ReadFile(filepath.Join(dir, hits[0]+".json"))
	}
	shown := hits
	if len(shown) > 4 {
		shown = append(shown[:4:4], "...")
	}
	return nil, fmt.Errorf("%w: %q matches %d runs: %s", ErrAmbiguous, id, len(hits), strings.Join(shown, ", "))
}
