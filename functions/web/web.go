package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed static/index.html static/app.js static/style.css
//go:embed static/pcap.js static/pcap-worker.js static/wasm_exec.js static/extract.wasm.gz
var static embed.FS

// file is one embedded file with what its answer needs.
type file struct {
	name        string // in static
	contentType string
	// gzipped: the file is gzip-compressed and served with
	// Content-Encoding: gzip, only to clients that accept it.
	gzipped bool

	// Read and hashed for the ETag on first use (load), not at package
	// init: every flowsense command, every Lambda cold start and the
	// Knative function link this package, and most never serve the page.
	once sync.Once
	body []byte
	etag string
}

// load returns the file and its ETag, reading and hashing it the first
// time.
func (f *file) load() (body []byte, etag string) {
	f.once.Do(func() {
		b, err := static.ReadFile(f.name)
		if err != nil {
			panic("web: embedded file missing: " + f.name) // a build error, not a run-time one
		}
		sum := sha256.Sum256(b)
		f.body, f.etag = b, `"`+hex.EncodeToString(sum[:16])+`"`
	})
	return f.body, f.etag
}

// The files by URL path. The page itself is "/"; its assets sit under
// /static/ so that they cannot shadow an endpoint of the function. The
// extractor module (static/extract.wasm.gz, 7 MB, 1.7 MB compressed; see
// pcapwasm) is kept compressed: it is fetched only when a capture is
// chosen, and a Lambda answer holds at most 6 MB, so it is never served
// decompressed (ErrNotAcceptable).
var files = func() map[string]*file {
	m := make(map[string]*file, 7)
	for urlPath, name := range map[string]string{
		"/":                      "static/index.html",
		"/static/app.js":         "static/app.js",
		"/static/style.css":      "static/style.css",
		"/static/pcap.js":        "static/pcap.js",
		"/static/pcap-worker.js": "static/pcap-worker.js",
		"/static/wasm_exec.js":   "static/wasm_exec.js",
		"/static/extract.wasm":   "static/extract.wasm.gz",
	} {
		f := &file{name: name, contentType: contentTypes[path.Ext(name)]}
		if gz, ok := strings.CutSuffix(name, ".gz"); ok {
			f.contentType, f.gzipped = contentTypes[path.Ext(gz)], true
		}
		m[urlPath] = f
	}
	return m
}()

// contentTypes are written out rather than taken from the system's MIME
// table, which differs between machines.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".wasm": "application/wasm", // WebAssembly.instantiateStreaming requires it
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

var (
	// ErrNotFound: no file at this path (404).
	ErrNotFound = errors.New("no such file")
	// ErrNotAcceptable: the client refuses gzip, the only encoding the
	// extractor module is served in (406). Every browser accepts gzip;
	// decompressing would cost 16 MB of allocations per request, and the
	// 7 MB answer is over a Lambda answer's 6 MB.
	ErrNotAcceptable = errors.New("the extractor module is served gzip-compressed only, and the request's Accept-Encoding refuses gzip")
)

// Serve answers a GET or HEAD for one of the page's files (conditional
// requests by ETag included). For another path it writes nothing and
// returns ErrNotFound, and for the extractor module to a client that
// refuses gzip ErrNotAcceptable: the caller answers errors (package
// functions answers them as problem documents). It does not check the
// method: the caller routes methods.
func Serve(w http.ResponseWriter, r *http.Request) error {
	f, ok := files[r.URL.Path]
	if !ok {
		return ErrNotFound
	}
	h := w.Header()
	if f.gzipped {
		h.Add("Vary", "Accept-Encoding")
		if !AcceptsGzip(r.Header.Values("Accept-Encoding")) {
			return ErrNotAcceptable
		}
		h.Set("Content-Encoding", "gzip")
	}
	body, etag := f.load()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	return nil
}

// AcceptsGzip reports whether Accept-Encoding header values (RFC 9110
// 12.5.3) accept gzip: "gzip" or "x-gzip" or "*" with a q-value above 0,
// and no refusal of gzip by name ("gzip;q=0" beats "*").
func AcceptsGzip(values []string) bool {
	named, star := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || !(f >= 0 && f <= 1) { // NaN too
						f = 0 // a bad q-value accepts nothing
					}
					q = f
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				named = max(named, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if named >= 0 {
		return named > 0
	}
	return star > 0
}
