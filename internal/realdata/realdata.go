package realdata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the datasets directory.
func Dir() string {
	if d := os.Getenv("FLOWSENSE_DATA"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0) // internal/realdata/realdata.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
}

// File returns the path of a dataset file (rel is relative to Dir) and
// fails the test, naming the file, when it is absent: a real-data test
// never skips.
func File(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Dir(), rel)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("real dataset file missing: %s (set FLOWSENSE_DATA to the shared datasets directory): %v", p, err)
	}
	return p
}
