//go:build realdata

package flowdata

import (
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

// dataFile returns the path of a real-data file and fails the test when it
// is absent.
func dataFile(tb testing.TB, rel string) string { return realdata.File(tb, rel) }

// dataDir is the real-data directory.
func dataDir(testing.TB) string { return realdata.Dir() }
