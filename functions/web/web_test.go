package web

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
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
		"page":           {path: "/", ctype: "text/html; charset=utf-8", contains: "<title>flowsense</title>", status: 200},
		"script":         {path: "/static/app.js", ctype: "text/javascript; charset=utf-8", contains: "output_stride", status: 200},
		"style sheet":    {path: "/static/style.css", ctype: "text/css; charset=utf-8", contains: "--benign", status: 200},
		"capture script": {path: "/static/pcap.js", ctype: "text/javascript; charset=utf-8", contains: "flowsensePcap", status: 200},
		"worker":         {path: "/static/pcap-worker.js", ctype: "text/javascript; charset=utf-8", contains: "FileReaderSync", status: 200},
		"Go's glue":      {path: "/static/wasm_exec.js", ctype: "text/javascript; charset=utf-8", contains: "globalThis.Go = class", status: 200},
		"unknown":        {path: "/static/app.js.map", status: 404},
		"no .gz path":    {path: "/static/extract.wasm.gz", status: 404},
		"index.html":     {path: "/index.html", status: 404},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			w := serve(httptest.NewRequest("GET", c.path, nil))
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
	if len(p) != 7 || p[0] != "/" {
		t.Fatalf("Paths() = %q, want / and six assets", p)
	}
	for _, path := range p {
		r := httptest.NewRequest(http.MethodHead, path, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		w := serve(r)
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
			// Go's wasm_exec.js, kept as Go ships it (TestExtractorUpToDate),
			// names an issue in a comment.
			if m != "http://www.w3.org" && !(name == "static/wasm_exec.js" && m == "https://github.com") {
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

// serve records Serve's answer, with its errors as the status they stand
// for (package functions writes the problem bodies: TestPageNotAcceptable
// there).
func serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	switch err := Serve(w, r); {
	case errors.Is(err, ErrNotFound):
		w.Code = http.StatusNotFound
	case errors.Is(err, ErrNotAcceptable):
		w.Code = http.StatusNotAcceptable
	case err != nil:
		w.Code = http.StatusInternalServerError
	}
	return w
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// TestExtractorModule: the extractor is served gzip-compressed, with Vary:
// Accept-Encoding, as application/wasm, to a client that accepts gzip; one
// that refuses it gets ErrNotAcceptable and nothing written (the module
// is never decompressed on the server: 16 MB of allocations a request,
// and over a Lambda answer's 6 MB).
func TestExtractorModule(t *testing.T) {
	get := func(accept string, header ...string) (*httptest.ResponseRecorder, error) {
		r := httptest.NewRequest("GET", "/static/extract.wasm", nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		err := Serve(w, r)
		return w, err
	}
	gz, err := get("gzip, deflate, br")
	if err != nil || gz.Code != 200 || gz.Header().Get("Content-Type") != "application/wasm" || gz.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip accepted: %v, %d %v", err, gz.Code, gz.Header())
	}
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q with gzip accepted", gz.Header().Get("Content-Encoding"))
	}
	unzipped, err := gunzip(gz.Body.Bytes())
	if err != nil || !bytes.HasPrefix(unzipped, []byte("\x00asm")) {
		t.Errorf("the gzip answer does not decompress to a wasm module (%v)", err)
	}
	if w, err := get("gzip", "If-None-Match", gz.Header().Get("ETag")); err != nil || w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d %v, want 304", w.Code, err)
	}
	for _, accept := range []string{"", "identity", "gzip;q=0", "*;q=0", "br"} {
		w, err := get(accept, "If-None-Match", gz.Header().Get("ETag"))
		if !errors.Is(err, ErrNotAcceptable) {
			t.Errorf("Accept-Encoding %q: error %v, want ErrNotAcceptable", accept, err)
		}
		if w.Body.Len() != 0 || w.Header().Get("Content-Encoding") != "" || w.Header().Get("ETag") != "" || w.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: wrote %d bytes, headers %v", accept, w.Body.Len(), w.Header())
		}
	}
}

// loadedAtInit names the files read by the end of package init: this
// initializer runs after that of files, which it depends on.
var loadedAtInit = func() (p []string) {
	for urlPath, f := range files {
		if f.body != nil || f.etag != "" {
			p = append(p, urlPath)
		}
	}
	return p
}()

// TestLazyLoad: package init reads and hashes no file (every flowsense
// command links this package); a file is read on first use, and its ETag
// stays the same.
func TestLazyLoad(t *testing.T) {
	if len(loadedAtInit) != 0 {
		t.Errorf("read at package init: %q", loadedAtInit)
	}
	r := httptest.NewRequest("GET", "/static/style.css", nil)
	a, b := serve(r), serve(r)
	if a.Header().Get("ETag") == "" || a.Header().Get("ETag") != b.Header().Get("ETag") {
		t.Errorf("ETags %q and %q", a.Header().Get("ETag"), b.Header().Get("ETag"))
	}
}

func TestAcceptsGzip(t *testing.T) {
	cases := map[string]struct {
		values []string
		want   bool
	}{
		"none":                {nil, false},
		"empty":               {[]string{""}, false},
		"gzip":                {[]string{"gzip"}, true},
		"list":                {[]string{"deflate, gzip, br"}, true},
		"upper case":          {[]string{"GZIP"}, true},
		"x-gzip":              {[]string{"x-gzip"}, true},
		"star":                {[]string{"*"}, true},
		"refused":             {[]string{"gzip;q=0"}, false},
		"refused with star":   {[]string{"*, gzip;q=0"}, false},
		"star refused":        {[]string{"*;q=0"}, false},
		"star refused, named": {[]string{"*;q=0, gzip;q=0.5"}, true},
		"two headers":         {[]string{"br", "gzip; q=0.2"}, true},
		"bad q":               {[]string{"gzip;q=2"}, false},
		"identity only":       {[]string{"identity"}, false},
		"spaces":              {[]string{" gzip ; q = 1 "}, true},
	}
	for name, c := range cases {
		if got := AcceptsGzip(c.values); got != c.want {
			t.Errorf("%s: AcceptsGzip(%q) = %v, want %v", name, c.values, got, c.want)
		}
	}
}

// FuzzAcceptsGzip: any header value is answered without a panic, and a
// plain "gzip" beside it is always accepted.
func FuzzAcceptsGzip(f *testing.F) {
	for _, s := range []string{"gzip", "*;q=0, gzip;q=0.5", "br;q=0.1,gzip;q=", ";;;,,=", "gzip;q=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		AcceptsGzip([]string{v})
		if !AcceptsGzip([]string{v, "gzip"}) {
			t.Errorf("AcceptsGzip(%q, \"gzip\") = false", v)
		}
	})
}
