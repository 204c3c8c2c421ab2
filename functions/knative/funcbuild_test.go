//go:build funcbuild

package function

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// This file reproduces what `func build --builder host` does for a Go
// function (knative/func pkg/oci go_builder.go and pkg/scaffolding), which
// cannot run here: the func CLI is not obtainable from this machine.
//
//  1. Scaffolding: func copies templates/go/scaffolding/instanced-http (the
//     invoke hint "http" and a package-level New in the function's root
//     select it) to a build directory: a main module "s" whose go.mod says
//     `replace function => ./f`, with f a symlink to the function's root,
//     and a main.go that calls knative.dev/func-go/http.Start(f.New()).
//  2. In that directory: `go mod tidy`, then `go build -o result/f.OS.ARCH`
//     with CGO_ENABLED=0 and GOOS/GOARCH of the target platform.
//
// The function module's own replace of github.com/flowsense/flowsense is
// ignored there (replace directives apply only in the main module), so
// flowsense must be fetchable at the version functions/knative/go.mod
// requires. A published tag would be; here the test serves this working
// tree at that version from a file:// module proxy (modproxy.sh, which
// funcbuild.sh runs before func build), with a private module cache so
// that no stale copy of that version is used.

// writeProxy runs modproxy.sh: a file:// module proxy at dir serving
// this working tree as flowsense at the version go.mod requires.
func writeProxy(t *testing.T, dir string) {
	t.Helper()
	if out, err := exec.Command("./modproxy.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("modproxy.sh (needs git and a git checkout): %v\n%s", err, out)
	}
}

// scaffoldGoMod is the scaffolding's go.mod, with the func-go version this
// function is written against.
const scaffoldGoMod = `module s

replace function => ./f

go 1.26

require (
	function v0.0.0-00010101000000-000000000000
	knative.dev/func-go v0.22.0
)
`

// The mains of the scaffolding for an instanced function: HTTP (invoke:
// http, what func.yaml says) and CloudEvents (invoke: cloudevent).
const (
	instancedHTTPMain = `package main

import (
	"fmt"
	"os"

	"knative.dev/func-go/http"

	f "function"
)

func main() {
	if err := http.Start(f.New()); err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}
}
`
	instancedCloudEventMain = `package main

import (
	"fmt"
	"os"

	ce "knative.dev/func-go/cloudevents"

	f "function"
)

func main() {
	if err := ce.Start(f.New()); err != nil {
		fmt.Fprintln(os.Stderr, err.Error())
		os.Exit(1)
	}
}
`
)

// hostBuild scaffolds main as func does and builds it as func's host
// builder does; it returns the binary.
func hostBuild(t *testing.T, main string, env []string) string {
	t.Helper()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(scaffoldGoMod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(rel, filepath.Join(dir, "f")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "result", "f."+runtime.GOOS+"."+runtime.GOARCH)
	for _, args := range [][]string{{"mod", "tidy"}, {"build", "-o", out}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = env
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	return out
}

// TestFuncHostBuild builds the function the way func build --builder host
// does, runs the binary (embedded model, func-go's http.Start), sends a
// CloudEvent and a JSON flow, and stops it with SIGTERM (exit 0). It also
// shows why func.yaml says invoke: http: the same function scaffolded for
// invoke: cloudevent builds, but dies at start.
func TestFuncHostBuild(t *testing.T) {
	work := t.TempDir()
	proxy := filepath.Join(work, "proxy")
	writeProxy(t, proxy)
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	// The builder passes its own environment through, pinning CGO_ENABLED,
	// GOOS and GOARCH.
	env := append(os.Environ(),
		"CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOWORK=off",
		"GOFLAGS=-modcacherw", "GOMODCACHE="+filepath.Join(work, "modcache"),
		// flowsense from the proxy above; everything else from the
		// download cache of this machine's module cache
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(strings.TrimSpace(string(gomodcache)), "cache", "download"),
		"GOSUMDB=off")

	t.Run("invoke http", func(t *testing.T) {
		bin := hostBuild(t, instancedHTTPMain, env)
		addr := freeAddr(t)
		cmd := exec.Command(bin)
		cmd.Env = []string{"LISTEN_ADDRESS=" + addr, "K_SERVICE=flowsense"}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Dir = t.TempDir()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		base := "http://" + addr
		if err := waitReady(base, done); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		flow := `{"Dst Port": 22, "Protocol": 6, "Total Fwd Packet": 12, "SYN Flag Count": 1}`
		req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(flow))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Ce-Specversion", "1.0")
		req.Header.Set("Ce-Id", "func-build-1")
		req.Header.Set("Ce-Source", "/test")
		req.Header.Set("Ce-Type", "io.flowsense.flow.v1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Label string
			Model struct{ Name string }
		}
		err = json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Ce-Type") != "io.flowsense.flow.classified.v1" ||
			resp.Header.Get("Ce-Subject") != "func-build-1" || resp.Header.Get("Ce-Source") != "urn:flowsense:knative:flowsense" ||
			c.Label == "" || c.Model.Name != "flowsense-knative" {
			t.Fatalf("CloudEvent answered %d %v %+v (%v)", resp.StatusCode, resp.Header, c, err)
		}
		resp, err = http.Post(base+"/predict", "application/json", strings.NewReader(flow))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /predict: %d", resp.StatusCode)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatal("running 60 s after SIGTERM")
		}
	})

	t.Run("invoke cloudevent dies at start", func(t *testing.T) {
		bin := hostBuild(t, instancedCloudEventMain, env)
		cmd := exec.Command(bin)
		cmd.Env = []string{"LISTEN_ADDRESS=" + freeAddr(t)}
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(string(out), "supported function signatures") {
			t.Fatalf("exit %v, want a panic on the signature; output:\n%s", err, out)
		}
	})
}
