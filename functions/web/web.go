package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"sort"
	"time"
)

//go:embed static/index.html static/app.js static/style.css
var static embed.FS

// file is one embedded file with what its answer needs.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// The files by URL path. The page itself is "/"; its assets sit under
// /static/ so that they cannot shadow an endpoint of the function.
var files = func() map[string]file {
	m := make(map[string]file, 3)
	for urlPath, name := range map[string]string{
		"/":                 "static/index.html",
		"/static/app.js":    "static/app.js",
		"/static/style.css": "static/style.css",
	} {
		b, err := static.ReadFile(name)
		if err != nil {
			panic("web: embedded file missing: " + name) // a build error, not a run-time one
		}
		sum := sha256.Sum256(b)
		m[urlPath] = file{body: b, contentType: contentTypes[path.Ext(name)], etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	}
	return m
}()

// contentTypes are written out rather than taken from the system's MIME
// table, which differs between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// ContentSecurityPolicy is sent with every file: the page loads scripts,
// styles and data from its own origin only, and may compile WebAssembly
// ('wasm-unsafe-eval'); downloads are blob: URLs it makes itself.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Paths returns the URL paths the page is served under, "/" first.
func Paths() []string {
	p := make([]string, 0, len(files))
	for k := range files {
		if k != "/" {
			p = append(p, k)
		}
	}
	sort.Strings(p)
	return append([]string{"/"}, p...)
}

// Handler serves the page's files for GET and HEAD (conditional requests
// by ETag included); any other path is 404. It does not check the method:
// the caller routes methods.
func Handler() http.Handler { return handler{} }

type handler struct{}

func (handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
