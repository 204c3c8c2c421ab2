package functions

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// csvBody is the CSV of the behaviour suite's predict_csv request: a
// header and rows in the test model's columns.
func csvBody(t *testing.T) []byte {
	t.Helper()
	b, err := io.ReadAll(readReq(t, "predict_csv").Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSampleOf(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("a,b\n1,2\n3,4\n"))
	zw.Close()
	cases := map[string]struct {
		in   string
		rows int
		want string
		err  error
	}{
		"first rows":            {"a,b\n1,2\n3,4\n5,6\n", 2, "a,b\n1,2\n3,4\n", nil},
		"shorter file whole":    {"a,b\n1,2\n", 5, "a,b\n1,2\n", nil},
		"no final newline":      {"a,b\n1,2", 5, "a,b\n1,2\n", nil},
		"blank lines skipped":   {"a,b\n\n1,2\r\n\n3,4\n", 1, "a,b\n1,2\r\n", nil},
		"quoted line break":     {"a,b\n\"x\ny\",2\n3,4\n", 1, "a,b\n\"x\ny\",2\n", nil},
		"escaped quotes":        {"a,b\n\"x\"\"y\",2\n3,4\n", 1, "a,b\n\"x\"\"y\",2\n", nil},
		"gzip":                  {gz.String(), 1, "a,b\n1,2\n", nil},
		"empty":                 {"", 3, "", ErrSample},
		"rows must be positive": {"a\n1\n", 0, "", ErrSample},
		"too large":             {"a\n" + strings.Repeat("1\n", MaxSampleBytes), 1 << 30, "", ErrSample},
	}
	for name, c := range cases {
		got, err := SampleOf(strings.NewReader(c.in), c.rows)
		if !errors.Is(err, c.err) || (c.err == nil && string(got) != c.want) {
			t.Errorf("%s: %q, %v; want %q, %v", name, got, err, c.want, c.err)
		}
	}
}

// TestServeSample: GET /sample.csv answers the sample (HEAD and
// conditional requests too), 404 as a problem without one; New refuses a
// sample that does not read against the model.
func TestServeSample(t *testing.T) {
	body := csvBody(t)
	sample, err := SampleOf(bytes.NewReader(body), 3)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(sample, []byte{'\n'}); n != 4 {
		t.Fatalf("the sample has %d lines, want a header and 3 rows", n)
	}
	s := newTestServer(t, WithSample(sample))
	do := func(s *Server, method string, h http.Header) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/sample.csv", nil)
		for k, v := range h {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	w := do(s, http.MethodGet, nil)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" || !bytes.Equal(w.Body.Bytes(), sample) {
		t.Fatalf("GET: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
	tag := w.Header().Get("ETag")
	if w := do(s, http.MethodHead, nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := do(s, http.MethodGet, http.Header{"If-None-Match": {tag}}); tag == "" || w.Code != http.StatusNotModified {
		t.Errorf("conditional GET with %q: %d", tag, w.Code)
	}
	// The sample classifies: what the page does with it.
	r := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(sample))
	r.Header.Set("Content-Type", "text/csv")
	pw := httptest.NewRecorder()
	s.ServeHTTP(pw, r)
	var got []map[string]any
	if err := json.Unmarshal(pw.Body.Bytes(), &got); pw.Code != 200 || err != nil || len(got) != 3 {
		t.Errorf("POST /predict with the sample: %d, %d answers, %v", pw.Code, len(got), err)
	}

	w = do(newTestServer(t), http.MethodGet, nil)
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" || err != nil ||
		!strings.Contains(p.Detail, "--sample") {
		t.Errorf("without a sample: %d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}

	for name, bad := range map[string][]byte{
		"other columns": []byte("x,y\n1,2\n"),
		"no rows":       sample[:bytes.IndexByte(sample, '\n')+1],
		"bad number":    append(append([]byte(nil), sample[:bytes.IndexByte(sample, '\n')+1]...), []byte(strings.Repeat("zz,", 90)+"zz\n")...),
	} {
		_, err := New(context.Background(), testModule(t), WithSample(bad))
		if !errors.Is(err, ErrSample) {
			t.Errorf("%s: New: %v, want ErrSample", name, err)
		}
	}
}
