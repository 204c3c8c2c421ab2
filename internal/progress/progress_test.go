package progress

import (
	"bytes"
	"strings"
	"testing"
)

func TestLinesWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, "round", 10, 5)
	for i := 1; i <= 10; i++ {
		b.Step(i, "loss 0.1")
	}
	b.Done("trained")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// steps 1, 5 and 10, then the final message
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "round 1/10 loss 0.1") || !strings.HasPrefix(lines[2], "round 10/10") || lines[3] != "trained" {
		t.Fatalf("unexpected output:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), "\r") {
		t.Error("carriage returns written to a non-terminal")
	}
}

func TestNilWriter(t *testing.T) {
	b := New(nil, "x", 3, 1)
	b.Step(1, "")
	b.Done("ok")
}
