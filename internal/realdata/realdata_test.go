package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWSENSE_DATA", dir)
	if Dir() != dir {
		t.Fatalf("Dir() = %q, want %q", Dir(), dir)
	}
	os.WriteFile(filepath.Join(dir, "x.csv"), nil, 0o644)
	if got := File(t, "x.csv"); got != filepath.Join(dir, "x.csv") {
		t.Errorf("File = %q", got)
	}
}

func TestDefaultIsBesideTheRepository(t *testing.T) {
	t.Setenv("FLOWSENSE_DATA", "")
	want, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data"))
	got, _ := filepath.Abs(Dir())
	if got != want {
		t.Errorf("Dir() = %q, want %q", got, want)
	}
}
