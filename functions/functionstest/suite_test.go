package functionstest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	cases := map[string]struct {
		in, method, path, body string
		header                 http.Header
		bad                    bool
	}{
		"post":       {in: "POST /predict\nContent-Type: application/json\nCe-Id: 1\n\n{\"a\": 1}\n", method: "POST", path: "/predict", body: `{"a": 1}`, header: http.Header{"Content-Type": {"application/json"}, "Ce-Id": {"1"}}},
		"get":        {in: "GET /model\n\n", method: "GET", path: "/model", header: http.Header{}},
		"body lines": {in: "POST /\n\na\n\nb\n", method: "POST", path: "/", body: "a\n\nb", header: http.Header{}},
		"no path":    {in: "GET\n\n", bad: true},
		"bad header": {in: "GET /\nnot a header\n\n", bad: true},
		"empty":      {in: "", bad: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := ParseRequest([]byte(tc.in))
			if tc.bad {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(r.Body)
			if r.Method != tc.method || r.URL.Path != tc.path || string(body) != tc.body || len(r.Header) != len(tc.header) {
				t.Fatalf("got %s %s %q %v", r.Method, r.URL.Path, body, r.Header)
			}
			for k := range tc.header {
				if r.Header.Get(k) != tc.header.Get(k) {
					t.Errorf("header %s = %q", k, r.Header.Get(k))
				}
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	resp := &http.Response{
		StatusCode: 200,
		Header: http.Header{
			"Content-Type": {"application/cloudevents-batch+json"},
			"Ce-Time":      {"2026-01-01T00:00:00Z"},
			"Date":         {"today"},
		},
		Body: io.NopCloser(strings.NewReader(`[{"id":"a","time":"2026-01-01T00:00:00Z","data":{"time":1}}]`)),
	}
	got, err := Answer(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := "200\nContent-Type: application/cloudevents-batch+json\n\n[\n  {\n    \"data\": {\n      \"time\": 1\n    },\n    \"id\": \"a\"\n  }\n]\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// FuzzParseRequest: any case file parses or fails, without panicking.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("POST /predict\nContent-Type: application/json\n\n{}\n"))
	f.Add([]byte("GET /\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err == nil && r == nil {
			t.Fatal("nil request without an error")
		}
	})
}
