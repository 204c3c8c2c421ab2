package functions

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
)

var update = flag.Bool("update", false, "rewrite the golden answers under testdata/behaviour")

// behaviourDir holds the golden requests and answers.
const behaviourDir = "testdata/behaviour"

// fixedTime is the time of every reply event in tests.
var fixedTime = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

var (
	moduleOnce  sync.Once
	moduleBytes []byte
	moduleErr   error
)

// testModule is the test model compiled once per test binary.
func testModule(t testing.TB) []byte {
	t.Helper()
	moduleOnce.Do(func() { moduleBytes, moduleErr = functionstest.ModelWasm() })
	if moduleErr != nil {
		t.Fatal(moduleErr)
	}
	return moduleBytes
}

// newTestServer is a Server on the test model with a fixed clock and a
// fixed source; opts come after those.
func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	ctx := context.Background()
	all := append([]Option{withClock(func() time.Time { return fixedTime }), WithSource("/flowsense/test")}, opts...)
	s, err := New(ctx, testModule(t), all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return s
}

// readReq parses a golden request of the behaviour suite.
func readReq(t testing.TB, name string) *http.Request {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(behaviourDir, name+".req"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := functionstest.ParseRequest(b)
	if err != nil {
		t.Fatalf("%s.req: %v", name, err)
	}
	return r
}
