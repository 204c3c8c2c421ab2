package function

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/flowsense/flowsense/wasm/abi"
)

// withoutCustomSections returns a module's bytes without its custom
// sections (id 0: the metadata), so that two builds of one model compare
// equal whatever their creation time.
func withoutCustomSections(b []byte) ([]byte, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a wasm module")
	}
	out := append([]byte(nil), b[:8]...)
	for i := 8; i < len(b); {
		id := b[i]
		size, n := uint32(0), 0
		for shift := 0; ; shift += 7 {
			if i+1+n >= len(b) || shift > 28 {
				return nil, fmt.Errorf("section at %d: bad size", i)
			}
			c := b[i+1+n]
			n++
			size |= uint32(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
		end := i + 1 + n + int(size)
		if end > len(b) {
			return nil, fmt.Errorf("section at %d: %d bytes past the end", i, end-len(b))
		}
		if id != 0 {
			out = append(out, b[i:end]...)
		}
		i = end
	}
	return out, nil
}

// TestEmbeddedModelUpToDate runs mkmodel.sh with the flowsense command of
// this tree and checks that the committed model.wasm is what it makes:
// the same code and data sections, and the same metadata but for the
// creation time and the model file's hash (which covers that time). With
// -regen-model it rewrites model.wasm instead.
func TestEmbeddedModelUpToDate(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "flowsense")
	build := exec.Command("go", "build", "-o", bin, "./cmd/flowsense")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/flowsense: %v\n%s", err, out)
	}
	fresh := filepath.Join(dir, "model.wasm")
	if out, err := exec.Command("./mkmodel.sh", bin, fresh).CombinedOutput(); err != nil {
		t.Fatalf("mkmodel.sh: %v\n%s", err, out)
	}
	got, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if *regenModel {
		if err := os.WriteFile("model.wasm", got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote model.wasm: rebuild (go:embed) and commit it")
		return
	}
	committed, err := os.ReadFile("model.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, embeddedModel) {
		t.Fatal("model.wasm differs from the module embedded in this test binary")
	}
	a, err := withoutCustomSections(committed)
	if err != nil {
		t.Fatalf("model.wasm: %v", err)
	}
	b, err := withoutCustomSections(got)
	if err != nil {
		t.Fatalf("fresh module: %v", err)
	}
	stale := "model.wasm is stale: make knative-model (or go test -run TestEmbeddedModelUpToDate -regen-model) and commit it"
	if !bytes.Equal(a, b) {
		t.Fatalf("code differs (%d and %d bytes without metadata): %s", len(a), len(b), stale)
	}
	ma, err := abi.ReadMetadata(committed)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := abi.ReadMetadata(got)
	if err != nil {
		t.Fatal(err)
	}
	if ma.Created.IsZero() || ma.ModelSHA256 == "" {
		t.Fatalf("model.wasm has no creation time or model hash: %+v", ma)
	}
	ma.Created, mb.Created = time.Time{}, time.Time{}
	ma.ModelSHA256, mb.ModelSHA256 = "", ""
	if !reflect.DeepEqual(ma, mb) {
		t.Fatalf("metadata differs: %s", stale)
	}
}

func TestWithoutCustomSections(t *testing.T) {
	// magic, version, a custom section "x" (3 bytes), a type section (1 byte)
	mod := []byte("\x00asm\x01\x00\x00\x00" + "\x00\x03\x01x!" + "\x01\x01\x00")
	cases := map[string]struct {
		in      []byte
		want    []byte
		wantErr bool
	}{
		"drops custom":     {in: mod, want: []byte("\x00asm\x01\x00\x00\x00\x01\x01\x00")},
		"header only":      {in: mod[:8], want: mod[:8]},
		"not wasm":         {in: []byte("hello, world"), wantErr: true},
		"section too long": {in: mod[:len(mod)-1], wantErr: true},
		"size cut short":   {in: []byte("\x00asm\x01\x00\x00\x00\x01\x80"), wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := withoutCustomSections(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !bytes.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzWithoutCustomSections(f *testing.F) {
	f.Add(embeddedModel)
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x00\x03\x01x!"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := withoutCustomSections(b)
		if err != nil {
			return
		}
		if len(out) > len(b) {
			t.Fatalf("%d bytes out of %d", len(out), len(b))
		}
		again, err := withoutCustomSections(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v", err)
		}
	})
}
