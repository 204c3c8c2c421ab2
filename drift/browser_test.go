//go:build browser

package drift

// The browser test opens a drift report in headless Chromium:
//
//	go test -tags browser -run Chromium ./drift/

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/internal/chromium"
)

func TestReportInChromium(t *testing.T) {
	dir := t.TempDir()
	ref := dataset(
		col{name: "shifted", vals: normal(1, 3000, 0)},
		col{name: "steady", vals: normal(2, 3000, 0)},
		col{name: "proto", vals: cycle(3000, 0, 1, 2), vocab: []string{"icmp", "tcp", "udp"}},
	)
	cur := dataset(
		col{name: "shifted", vals: normal(3, 2000, 2)},
		col{name: "steady", vals: normal(4, 2000, 0)},
		col{name: "proto", vals: cycle(2000, 0, 1, 1, 1), vocab: []string{"icmp", "tcp", "udp"}},
	)
	r, err := Compare(ref, cur, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r, Page{Reference: "ref.csv", Current: "cur.csv"}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "drift.html")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(chromium.Run(t, dir, file, "--dump-dom"))
	if n := strings.Count(dom, "<figure "); n != len(r.Columns) {
		t.Errorf("the browser's DOM has %d figures for %d columns", n, len(r.Columns))
	}
	if n := strings.Count(dom, "<rect class=\"cur\""); n == 0 {
		t.Error("no bars in the rendered page")
	}
	shot := filepath.Join(dir, "shot.png")
	chromium.Run(t, dir, file, "--window-size=1100,900", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if c := colours(img, 50); c < 8 {
		t.Errorf("the screenshot has %d colours: the page did not render", c)
	}
}

// colours counts distinct colours in img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 3 {
		for x := bd.Min.X; x < bd.Max.X; x += 3 {
			r, g, b, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, b, a}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
