package firstrun

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the repository root (two levels above this package).
func root(tb testing.TB) string {
	tb.Helper()
	r, err := filepath.Abs("../..")
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

type pkgLine struct{ target, check, pkg, reason string }

// packages reads .ci/packages.
func packages(t *testing.T) []pkgLine {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), ".ci", "packages"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []pkgLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		fs := strings.Fields(l)
		if len(fs) < 4 {
			t.Fatalf(".ci/packages:%d: want TARGET CHECK PACKAGE REASON, got %q", n, l)
		}
		out = append(out, pkgLine{fs[0], fs[1], fs[2], strings.Join(fs[3:], " ")})
	}
	if len(out) == 0 {
		t.Fatal(".ci/packages lists nothing")
	}
	return out
}

// minimalPath makes a directory holding only the commands deps.sh itself
// runs, so every package it checks looks missing.
func minimalPath(t *testing.T, withAptGet bool) string {
	t.Helper()
	// Not t.TempDir: its parent is 0700, closed to the other user.
	dir, err := os.MkdirTemp("", "flowsense-deps-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cmds := []string{"bash", "id", "dpkg-query", "grep", "dirname"}
	if withAptGet {
		cmds = append(cmds, "apt-get")
	}
	for _, c := range cmds {
		p, err := exec.LookPath(c)
		if err != nil {
			t.Fatalf("deps.sh's test needs %s: %v", c, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runDeps runs .ci/deps.sh with args and env; it returns the exit status
// and what it wrote.
func runDeps(t *testing.T, prefix []string, env []string, args ...string) (int, string, string) {
	t.Helper()
	argv := append(append([]string{}, prefix...), append([]string{filepath.Join(root(t), ".ci", "deps.sh")}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("%v: %v", argv, err)
	return 0, "", ""
}

// dpkgInstalled reports whether a dpkg:PACKAGE check passes on this
// machine: a minimal PATH cannot hide what dpkg knows, so deps.sh finds
// such a package present whatever PATH says.
func dpkgInstalled(l pkgLine) bool {
	pkg, ok := strings.CutPrefix(l.check, "dpkg:")
	if !ok {
		return false
	}
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return err == nil && strings.Contains(string(out), "ok installed")
}

func wantPackages(t *testing.T, lines []pkgLine, targets ...string) []string {
	var want []string
	for _, l := range lines {
		if slices.Contains(targets, l.target) && !slices.Contains(want, l.pkg) && !dpkgInstalled(l) {
			want = append(want, l.pkg)
		}
	}
	return want
}

// TestDepsNotRoot: run by a user who is not root on a machine missing
// every package, deps.sh names each missing package and why, prints the
// exact command (with sudo) and exits 2 without installing anything.
func TestDepsNotRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test runs deps.sh as another user (setpriv) and so needs root; run it as root (CI does)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatalf("this test needs setpriv (util-linux): %v", err)
	}
	lines := packages(t)
	path := minimalPath(t, true)
	code, stdout, stderr := runDeps(t, []string{setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups", filepath.Join(path, "bash")},
		[]string{"PATH=" + path, "HOME=/nonexistent"}, "test")
	if code != 2 {
		t.Fatalf("exit status %d, want 2\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	want := wantPackages(t, lines, "test")
	cmd := "  sudo apt-get update && sudo apt-get install -y " + strings.Join(want, " ") + "\n"
	if !strings.Contains(stderr, "\n"+cmd) {
		t.Errorf("stderr does not give the command %q:\n%s", cmd, stderr)
	}
	if !strings.HasPrefix(stderr, "make test: "+strconv.Itoa(len(want))+" Debian package(s) missing:\n") {
		t.Errorf("stderr does not start by saying what is missing:\n%s", stderr)
	}
	for _, l := range lines {
		if l.target == "test" && !dpkgInstalled(l) && !strings.Contains(stderr, "  "+l.pkg+" (") {
			t.Errorf("stderr does not name %s:\n%s", l.pkg, stderr)
		}
		if l.target != "test" && strings.Contains(stderr, " "+l.pkg+" ") && !slices.Contains(want, l.pkg) {
			t.Errorf("stderr names %s, which only %s needs:\n%s", l.pkg, l.target, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("stdout: %q, want nothing", stdout)
	}
}

// TestDepsCheckOnly: FLOWSENSE_APT=0 never installs, even as root; the
// command is printed without sudo for root.
func TestDepsCheckOnly(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test checks what deps.sh prints for root; run it as root (CI does)")
	}
	path := minimalPath(t, true)
	code, _, stderr := runDeps(t, []string{filepath.Join(path, "bash")}, []string{"PATH=" + path, "FLOWSENSE_APT=0"}, "test-data")
	if code != 2 {
		t.Fatalf("exit status %d, want 2\n%s", code, stderr)
	}
	want := wantPackages(t, packages(t), "test-data")
	if cmd := "\n  apt-get update && apt-get install -y " + strings.Join(want, " ") + "\n"; !strings.Contains(stderr, cmd) {
		t.Errorf("stderr does not give %q:\n%s", cmd, stderr)
	}
}

// TestDepsPresent: with everything installed (this machine, after make
// deps) deps.sh says nothing and succeeds; without a target it is a usage
// error.
func TestDepsPresent(t *testing.T) {
	code, stdout, stderr := runDeps(t, []string{"bash"}, os.Environ(), "test")
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("deps.sh test on this machine: exit %d, stdout %q, stderr %q; want 0 and silence (make deps installs what is missing)", code, stdout, stderr)
	}
	code, _, stderr = runDeps(t, []string{"bash"}, os.Environ())
	if code != 2 || !strings.Contains(stderr, "usage: deps.sh TARGET") {
		t.Fatalf("deps.sh without a target: exit %d, stderr %q", code, stderr)
	}
}

// TestOneList: .ci/run keeps no package list of its own but calls
// deps.sh, the Makefile's test and test-data targets call it, and every
// Debian package a test's failure message asks for is in .ci/packages.
func TestOneList(t *testing.T) {
	r := root(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(r, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ci := read(".ci/run")
	if strings.Contains(ci, "apt-get install") {
		t.Error(".ci/run installs packages itself; it should call .ci/deps.sh")
	}
	if !regexp.MustCompile(`(?m)^\.ci/deps\.sh test test-data$`).MatchString(ci) {
		t.Error(".ci/run does not call .ci/deps.sh test test-data")
	}
	mk := read("Makefile")
	for _, re := range []string{`(?m)^deps:\n\t\.ci/deps\.sh test$`, `(?m)^test: deps\b`, `(?m)^test-data:\n\t\.ci/deps\.sh test test-data$`} {
		if !regexp.MustCompile(re).MatchString(mk) {
			t.Errorf("Makefile does not match %s", re)
		}
	}
	listed := map[string]bool{}
	for _, l := range packages(t) {
		listed[l.pkg] = true
	}
	ask := regexp.MustCompile(`apt-get install (?:-y )?([a-z0-9][a-z0-9.+-]*)`)
	err := filepath.WalkDir(r, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range ask.FindAllSubmatch(b, -1) {
			if pkg := string(m[1]); !listed[pkg] {
				rel, _ := filepath.Rel(r, p)
				t.Errorf("%s asks for apt-get install %s, which .ci/packages does not list", rel, pkg)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
