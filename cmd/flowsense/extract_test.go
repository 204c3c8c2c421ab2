package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const mixedPcap = "../../extract/testdata/mixed.pcap"

func TestExtractCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "flows.csv")
	code, _, e := flowsense(t, "extract", "--pcap", mixedPcap, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if !strings.Contains(e, "extracted 13 flows from 33 packets") {
		t.Errorf("stderr %q", e)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 14 || len(strings.Split(lines[0], ",")) != 91 || !strings.HasPrefix(lines[0], "id,Flow ID,Src IP") {
		t.Fatalf("%d lines, header %q", len(lines), lines[0])
	}
	golden, err := os.ReadFile("../../extract/testdata/mixed.cicids2017.csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(golden) {
		t.Error("flowsense extract differs from the package's golden output")
	}
	// stdout, stdin, the other profile, --early and --min-packets.
	f, err := os.Open(mixedPcap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin := os.Stdin
	os.Stdin = f
	code, o, e := flowsense(t, "extract", "--pcap", "-", "--profile", "cicflowmeter", "--early", "2", "--min-packets", "2")
	os.Stdin = stdin
	if code != 0 {
		t.Fatalf("stdin: exit %d: %s", code, e)
	}
	if n := strings.Count(o, "\n"); n != 9 || !strings.Contains(e, "dropped 5 flows of fewer than 2 packets") {
		t.Errorf("stdin with --early 2 --min-packets 2: %d lines, stderr %q", n, e)
	}
}

func TestExtractBadInput(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(mixedPcap)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, good[:len(good)-10], 0o644)
	text := filepath.Join(dir, "flows.csv")
	os.WriteFile(text, []byte("a,b\n1,2\n"), 0o644)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"truncated":   {[]string{"--pcap", cut}, cut + ": packet 33: capture truncated"},
		"not pcap":    {[]string{"--pcap", text}, text + ": file header: not a pcap or pcapng capture"},
		"missing":     {[]string{"--pcap", filepath.Join(dir, "none.pcap")}, "no such file"},
		"no pcap":     {nil, "--pcap is required"},
		"format":      {[]string{"--pcap", mixedPcap, "--format", "json"}, "the only format is cicflowmeter"},
		"profile":     {[]string{"--pcap", mixedPcap, "--profile", "v4"}, "unknown profile"},
		"early":       {[]string{"--pcap", mixedPcap, "--early", "-1"}, "must not be negative"},
		"bad timeout": {[]string{"--pcap", mixedPcap, "--flow-timeout", "soon"}, "flow-timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name+".csv")
			code, _, e := flowsense(t, append([]string{"extract", "--out", out}, c.args...)...)
			if code != 2 || !strings.Contains(e, c.want) || strings.Count(strings.TrimSpace(e), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, e, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written despite the error", out)
			}
		})
	}
}
