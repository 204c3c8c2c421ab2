//go:build realdata

package data

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// dataDir returns the real-data directory: $FLOWSENSE_DATA, or
// ../shared/data relative to the repository root.
func dataDir(tb testing.TB) string {
	if d := os.Getenv("FLOWSENSE_DATA"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("cannot locate the source file to find the repository root")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..") // trainer/data -> repo root
	return filepath.Join(root, "..", "shared", "data")
}

// dataFile returns the path of a real-data file and fails the test when it
// is absent.
func dataFile(tb testing.TB, rel string) string {
	p := filepath.Join(dataDir(tb), rel)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("real data file missing: %s (set FLOWSENSE_DATA): %v", p, err)
	}
	return p
}
