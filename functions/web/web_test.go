package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestHandler: every path answers its file with its content type and the
// headers that keep the page to its own origin; other paths are 404.
func TestHandler(t *testing.T) {
	cases := map[string]struct {
		path, ctype, contains string
		status                int
	}{
		"page":        {path: "/", ctype: "text/html; charset=utf-8", contains: "<title>flowsense</title>", status: 200},
		"script":      {path: "/static/app.js", ctype: "text/javascript; charset=utf-8", contains: "output_stride", status: 200},
		"style sheet": {path: "/static/style.css", ctype: "text/css; charset=utf-8", contains: "--benign", status: 200},
		"unknown":     {path: "/static/app.js.map", status: 404},
		"index.html":  {path: "/index.html", status: 404},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			Handler().ServeHTTP(w, httptest.NewRequest("GET", c.path, nil))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d", w.Code, c.status)
			}
			if c.status != 200 {
				return
			}
			h := w.Header()
			if got := h.Get("Content-Type"); got != c.ctype {
				t.Errorf("Content-Type %q, want %q", got, c.ctype)
			}
			if got := h.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy %q", got)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("ETag") == "" {
				t.Errorf("headers %v lack nosniff or an ETag", h)
			}
			if !strings.Contains(w.Body.String(), c.contains) {
				t.Errorf("body lacks %q", c.contains)
			}
		})
	}
}

// TestPaths: "/" first, then every asset, and each one is served.
func TestPaths(t *testing.T) {
	p := Paths()
	if len(p) != 3 || p[0] != "/" {
		t.Fatalf("Paths() = %q, want / and two assets", p)
	}
	for _, path := range p {
		w := httptest.NewRecorder()
		Handler().ServeHTTP(w, httptest.NewRequest(http.MethodHead, path, nil))
		if w.Code != 200 {
			t.Errorf("HEAD %s: %d", path, w.Code)
		}
	}
}

// TestSelfContained: the files name no other origin (the SVG namespace is
// a name, not a fetch) and the page refers only to files that exist.
func TestSelfContained(t *testing.T) {
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := static.ReadFile(name)
		for _, m := range url.FindAllString(string(b), -1) {
			if m != "http://www.w3.org" {
				t.Errorf("%s refers to %s", name, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := static.ReadFile("static/index.html")
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(string(page), -1) {
		if _, ok := files["/"+m[1]]; !ok {
			t.Errorf("index.html refers to %q, which is not served", m[1])
		}
	}
}
