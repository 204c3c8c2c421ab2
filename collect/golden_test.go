package collect

import (
	"bytes"
	"encoding/binary"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// readDatagrams reads a file of datagrams, each after its length as a
// 4-byte big-endian number (testdata/README.md).
func readDatagrams(t testing.TB, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
			t.Fatalf("%s: bad datagram framing", path)
		}
		n := binary.BigEndian.Uint32(b)
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

// TestGoldenSoftflowd decodes exports softflowd made of the shared
// captures, pairs the records and writes the CSV that flowsense collect
// --out would: the whole mapping, checked against golden files.
func TestGoldenSoftflowd(t *testing.T) {
	files, _ := filepath.Glob("testdata/softflowd/*.bin")
	if len(files) == 0 {
		t.Fatal("no testdata/softflowd/*.bin")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			d := NewDecoder(Limits{})
			p := NewPairer(time.Second, 1000)
			var b bytes.Buffer
			w := NewCSVWriter(&b)
			from := netip.MustParseAddrPort("127.0.0.1:40000")
			var flows []Flow
			for _, msg := range readDatagrams(t, path) {
				fl, err := d.Decode(from, msg, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i := range fl {
					flows = p.Add(&fl[i], time.Unix(0, 0), flows)
				}
			}
			flows = p.Flush(flows)
			for i := range flows {
				if err := w.Write(&flows[i]); err != nil {
					t.Fatal(err)
				}
			}
			w.Flush()
			golden := strings.TrimSuffix(path, ".bin") + ".csv"
			if *update {
				os.WriteFile(golden, b.Bytes(), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the decoded flows:\ngot:\n%s", golden, b.String())
			}
		})
	}
}
