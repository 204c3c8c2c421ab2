//go:build browser

package report

// The browser test opens the report in headless Chromium. It takes several
// seconds, so it sits behind the build tag "browser":
//
//	go test -tags browser ./trainer/report/
//
// With -update it also refreshes testdata/report.png, the screenshot kept
// for humans to look at.

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
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(render(t, syntheticInput())), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("dom", func(t *testing.T) {
		dom := string(chromium.Run(t, dir, file, "--dump-dom"))
		if !strings.Contains(dom, "</html>") {
			t.Fatalf("no DOM came back:\n%.500s", dom)
		}
		for _, id := range allCharts {
			if !strings.Contains(dom, `<svg xmlns="http://www.w3.org/2000/svg" id="`+id+`"`) {
				t.Errorf("chart %q missing from the browser's DOM", id)
			}
		}
		if n := strings.Count(dom, "<svg"); n != len(allCharts) {
			t.Errorf("browser's DOM has %d <svg> charts, want %d", n, len(allCharts))
		}
		// The hostile class name must stay text: no script element in the
		// parsed DOM, and the name serialised back as escaped text.
		if strings.Contains(strings.ToLower(dom), "<script") {
			t.Errorf("the browser parsed a <script> element out of the report")
		}
		if !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("the hostile class name is not in the DOM as text")
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		chromium.Run(t, dir, file, "--screenshot="+shot, "--window-size=1280,4000")
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatalf("no screenshot written: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("screenshot is not a PNG: %v", err)
		}
		if r := img.Bounds(); r.Dx() != 1280 || r.Dy() != 4000 {
			t.Errorf("screenshot is %dx%d, want 1280x4000", r.Dx(), r.Dy())
		}
		if n := colours(img, 1000); n < 50 {
			t.Errorf("screenshot has only %d distinct colours; the page did not render", n)
		}
		if *update {
			if err := os.WriteFile(filepath.Join("testdata", "report.png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// colours counts distinct colours in img, stopping at limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
