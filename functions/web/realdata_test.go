//go:build browser && realdata

package web_test

// The page's reader on the real datasets' files (build tags browser and
// realdata):
//
//	go test -tags 'browser realdata' -run RealData ./functions/web/

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
)

// headOf returns the first n lines of a gzip file.
func headOf(t *testing.T, path string, n int) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	sc := bufio.NewScanner(z)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var b strings.Builder
	for i := 0; i < n && sc.Scan(); i++ {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b.String()
}

// TestReaderRealDataInChromium: the page reads the head of each test file
// against the schema of its training file as flowdata does: a
// headerless NSL-KDD file with categorical columns and dotted labels, and a
// CIC-IDS2017 file with a header of 80-odd columns.
func TestReaderRealDataInChromium(t *testing.T) {
	cases := map[string]struct{ train, test string }{
		"NSL-KDD":     {"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz"},
		"CIC-IDS2017": {"cicids2017/train.csv.gz", "cicids2017/test.csv.gz"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			ds, err := flowdata.Read([]string{realdata.File(t, c.train)}, flowdata.Options{})
			if err != nil {
				t.Fatal(err)
			}
			compareReaders(t, openParityPage(t), headOf(t, realdata.File(t, c.test), 3000), &ds.Schema)
		})
	}
}
