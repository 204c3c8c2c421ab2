package tokenfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRead: the one rule: surrounding white space goes (so "tok \n",
// "tok\r\n", " tok" and a projected token without a newline are all
// "tok"), nothing else is changed, and a file that holds no single token
// is ErrInvalid; a missing file is fs.ErrNotExist, not ErrInvalid.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, c := range map[string]struct{ content, want string }{
		"no newline":            {"abc.def-ghi_0123", "abc.def-ghi_0123"},
		"newline":               {"abc.def-ghi_0123\n", "abc.def-ghi_0123"},
		"CRLF":                  {"abc.def-ghi_0123\r\n", "abc.def-ghi_0123"},
		"space then newline":    {"abc.def-ghi_0123 \n", "abc.def-ghi_0123"},
		"leading white space":   {" \tabc.def-ghi_0123", "abc.def-ghi_0123"},
		"base64 padding kept":   {"QUJDREVGR0g=\n", "QUJDREVGR0g="},
		"two trailing newlines": {"abc\n\n", "abc"},
	} {
		got, err := Read(write(strings.ReplaceAll(name, " ", "-"), c.content))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q %v, want %q", name, got, err, c.want)
		}
	}
	for name, content := range map[string]string{
		"empty":        "",
		"only newline": "\n",
		"two lines":    "a\nb\n",
		"inner space":  "abc def",
		"inner tab":    "abc\tdef",
		"too long":     strings.Repeat("x", MaxBytes+1),
	} {
		path := write(strings.ReplaceAll(name, " ", "-"), content)
		_, err := Read(path)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want ErrInvalid naming %s", name, err, path)
		}
	}
	absent := filepath.Join(dir, "absent")
	if _, err := Read(absent); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), absent) {
		t.Errorf("missing: %v, want fs.ErrNotExist naming the file", err)
	}
	if _, err := Read(dir); err == nil || errors.Is(err, ErrInvalid) || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory: %v, want a read error", err)
	}
}

// FuzzRead: whatever a file holds, Read returns a token with no white
// space, or ErrInvalid; never a panic.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"tok \n", "tok\r\n", "", "a b", " \t\n", "abc.def.ghi"} {
		f.Add([]byte(s))
	}
	path := filepath.Join(f.TempDir(), "token")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		tok, err := Read(path)
		switch {
		case err != nil && !errors.Is(err, ErrInvalid):
			t.Fatalf("%q: %v, want nil or ErrInvalid", b, err)
		case err == nil && (len(tok) == 0 || strings.ContainsAny(string(tok), " \t\r\n\v\f")):
			t.Fatalf("%q: token %q", b, tok)
		}
	})
}
