package functionstest

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Doer sends a request to the host under test. The request's URL holds
// only a path (and a query); the Doer supplies the rest.
type Doer func(*http.Request) (*http.Response, error)

// HandlerDoer runs requests through h in process.
func HandlerDoer(h http.Handler) Doer {
	return func(r *http.Request) (*http.Response, error) {
		r.RequestURI = r.URL.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	}
}

// URLDoer sends requests to base (say "http://127.0.0.1:8080") with c.
func URLDoer(base string, c *http.Client) Doer {
	return func(r *http.Request) (*http.Response, error) {
		u := strings.TrimSuffix(base, "/") + r.URL.RequestURI()
		req, err := http.NewRequestWithContext(r.Context(), r.Method, u, r.Body)
		if err != nil {
			return nil, err
		}
		req.Header = r.Header
		req.ContentLength = r.ContentLength
		return c.Do(req)
	}
}

// Case is one golden request.
type Case struct {
	Name string
	// Request is the raw request text (NAME.req).
	Request []byte
}

// Cases reads the NAME.req files of dir, in name order.
func Cases(dir string) ([]Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.req"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var cs []Case
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cs = append(cs, Case{Name: strings.TrimSuffix(filepath.Base(p), ".req"), Request: b})
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("no *.req cases in %s", dir)
	}
	return cs, nil
}

// ParseRequest reads a case's request text: "METHOD PATH", headers, a
// blank line, the body (sent as is, without its final newline).
func ParseRequest(b []byte) (*http.Request, error) {
	head, body, _ := bytes.Cut(b, []byte("\n\n"))
	sc := bufio.NewScanner(bytes.NewReader(head))
	if !sc.Scan() {
		return nil, fmt.Errorf("no request line")
	}
	method, path, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
	if !ok {
		return nil, fmt.Errorf("request line %q: want METHOD PATH", sc.Text())
	}
	body = bytes.TrimSuffix(body, []byte("\n"))
	r, err := http.NewRequest(method, path, bytes.NewReader(body))
	if err != nil { // httptest.NewRequest would panic
		return nil, fmt.Errorf("request line %q: %w", sc.Text(), err)
	}
	r.RequestURI = r.URL.RequestURI()
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			return nil, fmt.Errorf("header line %q", sc.Text())
		}
		r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return r, nil
}

// Answer renders a response the way goldens hold it: the status code, the
// Content-Type, Allow, Inference-Header-Content-Length and Ce-* headers
// (but Ce-Time) sorted, a blank line, and the body: JSON re-indented with
// "time" removed from events, a wasm module as whether it is one, an
// answer of the binary tensor data extension as its JSON re-indented and
// its binary part in hex, anything else as is.
func Answer(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n", resp.StatusCode)
	var keys []string
	for k := range resp.Header {
		ck := http.CanonicalHeaderKey(k)
		if ck == "Content-Type" || ck == "Allow" || ck == "Inference-Header-Content-Length" || (strings.HasPrefix(ck, "Ce-") && ck != "Ce-Time") {
			keys = append(keys, ck)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(resp.Header.Values(k), ", "))
	}
	b.WriteByte('\n')
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if n, err := strconv.Atoi(resp.Header.Get("Inference-Header-Content-Length")); err == nil && n >= 0 && n <= len(body) {
		// the binary tensor data extension: the JSON, then the tensors
		// as hex, 32 bytes a line
		js, err := indentJSON(body[:n])
		if err != nil {
			return nil, fmt.Errorf("the JSON part of a binary answer: %w", err)
		}
		b.Write(js)
		for rest := body[n:]; len(rest) > 0; rest = rest[min(len(rest), 32):] {
			b.WriteString(hex.EncodeToString(rest[:min(len(rest), 32)]))
			b.WriteByte('\n')
		}
		return b.Bytes(), nil
	}
	switch {
	case mt == "application/wasm":
		// not the bytes: they change with the compiler, not the handler
		if bytes.HasPrefix(body, []byte("\x00asm\x01\x00\x00\x00")) {
			b.WriteString("a WebAssembly 1 module\n")
		} else {
			fmt.Fprintf(&b, "not a WebAssembly module: %q\n", body[:min(len(body), 8)])
		}
	case strings.HasSuffix(mt, "json") && json.Valid(body):
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if strings.HasPrefix(mt, "application/cloudevents") {
			dropTime(v)
		}
		maskReplyIDs(v)
		out, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return nil, err
		}
		b.Write(out)
		b.WriteByte('\n')
	default:
		b.Write(body)
	}
	return b.Bytes(), nil
}

// ReplyIDMask stands for the reply id of a classification in goldens:
// ids depend on the host's key and clock, not on the handler's behaviour
// (functions' own tests check them).
const ReplyIDMask = "REPLY_ID"

// maskReplyIDs replaces the "id" of every classification (an object with
// "label", "verdict" and "model") found in v, including in the data of
// events, with ReplyIDMask when it has the length of a reply id, and with
// a note saying what it was otherwise.
func maskReplyIDs(v any) {
	switch x := v.(type) {
	case map[string]any:
		_, l := x["label"]
		_, vd := x["verdict"]
		_, m := x["model"]
		if id, ok := x["id"].(string); ok && l && vd && m {
			if len(id) == replyIDLen {
				x["id"] = ReplyIDMask
			} else {
				x["id"] = fmt.Sprintf("not a reply id: %q", id)
			}
		}
		for _, e := range x {
			maskReplyIDs(e)
		}
	case []any:
		for _, e := range x {
			maskReplyIDs(e)
		}
	}
}

// replyIDLen is replyid.Len (not imported: this package stays free of the
// handler's internals).
const replyIDLen = 42

// indentJSON re-indents one JSON document, with a final newline.
func indentJSON(body []byte) ([]byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// dropTime removes the time attribute of a structured event or of the
// events of a batch.
func dropTime(v any) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "time")
	case []any:
		for _, e := range x {
			dropTime(e)
		}
	}
}

// Run replays the cases of dir through do and compares each answer with
// NAME.golden; with update it writes the goldens instead.
func Run(t *testing.T, dir string, do Doer, update bool) {
	t.Helper()
	cases, err := Cases(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			req, err := ParseRequest(c.Request)
			if err != nil {
				t.Fatalf("%s.req: %v", c.Name, err)
			}
			resp, err := do(req)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			got, err := Answer(resp)
			if err != nil {
				t.Fatalf("%s: reading the answer: %v", c.Name, err)
			}
			golden := filepath.Join(dir, c.Name+".golden")
			if update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to record it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: answer differs from %s\n--- got\n%s\n--- want\n%s", c.Name, golden, got, want)
			}
		})
	}
}

// replyIDJSON is a JSON member "id" holding a reply id.
var replyIDJSON = regexp.MustCompile(`"id"(\s*):(\s*)"[A-Za-z0-9_-]{42}"`)

// MaskReplyIDs replaces every reply id in JSON text ("id": 42 characters
// of base64url) with ReplyIDMask, so that two answers to the same flows
// compare equal: each prediction gets its own id.
func MaskReplyIDs(b []byte) []byte {
	return replyIDJSON.ReplaceAll(b, []byte(`"id"$1:$2"`+ReplyIDMask+`"`))
}
