package web

import (
	"bytes"
	"compress/gzip"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var regenExtractor = flag.Bool("regen-extractor", false, "rebuild static/extract.wasm.gz and copy static/wasm_exec.js from this Go")

// extractorBudget bounds the compressed module: a Lambda answer carries at
// most 6 MB, base64-encoded (4/3 of this), and the page fetches it on the
// first capture.
const extractorBudget = 3 << 20

// extractorGoVersion records the Go release (go env GOVERSION) that built
// static/extract.wasm.gz, written by make page-extractor.
const extractorGoVersion = "static/extract.wasm.goversion"

// goEnvVersion is the release of the go command that buildExtractor runs.
func goEnvVersion(t *testing.T) string {
	t.Helper()
	v, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	return strings.TrimSpace(string(v))
}

// buildExtractor builds pcapwasm as make page-extractor does and returns
// the module and the wasm_exec.js of the same Go.
func buildExtractor(t *testing.T) (module, glue []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "extract.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, "./pcapwasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build ./pcapwasm: %v\n%s", err, b)
	}
	module, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	glue, err = os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Fatalf("this Go has no wasm_exec.js: %v", err)
	}
	return module, glue
}

// TestExtractorUpToDate builds the page's extractor from this tree and
// checks that the committed static/extract.wasm.gz holds exactly that
// module, and static/wasm_exec.js is the glue of the same Go (the two must
// match: the glue's imports change between Go releases). With
// -regen-extractor (make page-extractor) it rewrites both instead.
//
// The module is Go's output, so only the Go release that built it can
// check it byte for byte: static/extract.wasm.goversion records that
// release, and under another one the test skips, naming both.
func TestExtractorUpToDate(t *testing.T) {
	goVersion := goEnvVersion(t)
	if !*regenExtractor {
		built, err := os.ReadFile(extractorGoVersion)
		if err != nil {
			t.Fatalf("%v: the Go release that built static/extract.wasm.gz is not recorded; run make page-extractor", err)
		}
		if b := strings.TrimSpace(string(built)); b != goVersion {
			t.Skipf("static/extract.wasm.gz was built by %s and this is %s, whose module differs byte for byte: "+
				"to compare, test with %s; to rebuild it with this Go, make page-extractor and commit static/extract.wasm.gz, static/wasm_exec.js and %s",
				b, goVersion, b, extractorGoVersion)
		}
	}
	module, glue := buildExtractor(t)
	if *regenExtractor {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(module)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("static/extract.wasm.gz", gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("static/wasm_exec.js", glue, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(extractorGoVersion, []byte(goVersion+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote static/extract.wasm.gz (%d bytes, %d decompressed), static/wasm_exec.js and %s (%s): rebuild (go:embed) and commit them", gz.Len(), len(module), extractorGoVersion, goVersion)
		return
	}
	committed, err := os.ReadFile("static/extract.wasm.gz")
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := files["/static/extract.wasm"].load(); !bytes.Equal(body, committed) {
		t.Fatal("static/extract.wasm.gz differs from the one embedded in this test binary")
	}
	if len(committed) > extractorBudget {
		t.Errorf("static/extract.wasm.gz is %d bytes, over the budget of %d", len(committed), extractorBudget)
	}
	plain, err := gunzip(committed)
	if err != nil {
		t.Fatalf("static/extract.wasm.gz: %v", err)
	}
	stale := "make page-extractor (go test ./functions/web -run TestExtractorUpToDate -regen-extractor) and commit static/extract.wasm.gz and static/wasm_exec.js"
	if !bytes.Equal(plain, module) {
		t.Errorf("static/extract.wasm.gz holds a module of %d bytes, this tree builds one of %d that differs: stale; %s", len(plain), len(module), stale)
	}
	if got, _ := os.ReadFile("static/wasm_exec.js"); !bytes.Equal(got, glue) {
		t.Errorf("static/wasm_exec.js is not this Go's lib/wasm/wasm_exec.js: %s", stale)
	}
	t.Logf("extract.wasm: %d bytes, %d gzip-compressed", len(module), len(committed))
}
