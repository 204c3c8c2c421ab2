package functions

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/replyid"
	"github.com/flowsense/flowsense/wasm/host"
)

// replyIDs matches the reply id member of a classification.
var replyIDs = regexp.MustCompile(`,"id":"[A-Za-z0-9_-]+"`)

// TestPredictJSONSameAnswer: POST /predict of JSON (the pooled path,
// predictJSON) answers byte for byte what writeResults writes for
// ClassifyRows's classifications of the same flows, but for the reply ids,
// which are each prediction's own: every answer has one id per flow, all
// distinct.
func TestPredictJSONSameAnswer(t *testing.T) {
	s := newTestServer(t)
	flows := sampleFlows(t)
	one, _ := json.Marshal(flows["PortScan"])
	var values []any
	for i, f := range s.meta.Schema.Features {
		if v, ok := flows["BENIGN"][f.Name]; ok {
			values = append(values, v)
		} else {
			values = append(values, i)
		}
	}
	byPosition, _ := json.Marshal(values)
	bodies := map[string][]byte{
		"one object":      one,
		"one by position": byPosition,
		"100 flows":       benchFlows(t, 100),
		"300 flows":       benchFlows(t, 300), // more than one module call
		"spaced":          append(append([]byte(" \n["), one...), "]\t"...),
		"escaped key":     bytes.Replace(one, []byte(`"`), []byte(`"\u0020`), 1), // the general decoder
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			var got []byte
			for range 2 { // the second from pooled buffers
				req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
				got = rec.Body.Bytes()
			}
			fl, err := s.dec.Decode(body, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.ClassifyRows(t.Context(), fl.Rows, fl.N)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.enc.Marshal(res, fl.Single)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			ids := replyIDs.FindAll(got, -1)
			seen := map[string]bool{}
			for _, id := range ids {
				if len(id) != len(`,"id":""`)+replyid.Len || seen[string(id)] {
					t.Fatalf("id %s: wrong length or repeated", id)
				}
				seen[string(id)] = true
			}
			if len(ids) != fl.N {
				t.Fatalf("%d ids for %d flows", len(ids), fl.N)
			}
			g, w := replyIDs.ReplaceAll(got, nil), replyIDs.ReplaceAll(want, nil)
			if !bytes.Equal(g, w) {
				t.Fatalf("got\n%.600s\nwant\n%.600s", g, w)
			}
		})
	}
}

// TestPredictJSONAllocs: a JSON /predict request allocates a bounded
// number of times whatever its flows (nothing per flow or per field): 100
// flows take at most a few allocations more than one.
func TestPredictJSONAllocs(t *testing.T) {
	s := newTestServer(t)
	// The steady state: the first requests are the interpreter's (the
	// tier-up's first tier, whose calls allocate per row); count once the
	// compiled tier serves.
	waitTierPast(t, s, host.TierInterpreter)
	one, hundred := predictAllocs(s, benchFlows(t, 1)), predictAllocs(s, benchFlows(t, 100))
	t.Logf("allocations per request: 1 flow %v, 100 flows %v", one, hundred)
	if hundred > one+4 {
		t.Errorf("100 flows allocate %v times a request, 1 flow %v: allocations grow with the flows", hundred, one)
	}
}

// waitTierPast answers one flow through s, then waits until s is served
// by a tier other than from (the tier-up's swap), for at most 20 s.
func waitTierPast(t *testing.T, s *Server, from string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(benchFlows(t, 1)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	if s.ServeHTTP(rec, req); rec.Code != http.StatusOK {
		t.Fatalf("the first request was answered %d: %s", rec.Code, rec.Body)
	}
	for deadline := time.Now().Add(20 * time.Second); s.Tier() == from; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still on the %s tier 20 s after the first request: the tier-up did not happen", from)
		}
	}
}

// predictAllocs is the allocations of one JSON /predict request of body.
func predictAllocs(s *Server, body []byte) float64 {
	req := httptest.NewRequest(http.MethodPost, "/predict", nil)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	r := bytes.NewReader(body)
	return testing.AllocsPerRun(50, func() {
		r.Reset(body)
		req.Body, req.ContentLength = readCloser{r}, int64(len(body))
		rec.Body.Reset()
		s.ServeHTTP(rec, req)
	})
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// cutReader gives its bytes, then fails as a connection cut mid-body does.
type cutReader struct{ r *bytes.Reader }

func (c cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func (cutReader) Close() error { return nil }

// TestReadBodyInto: the pooled read takes and refuses what readBody does,
// with the same error, for declared and unknown lengths at, under and over
// the limit, a body cut short, and into a buffer too small or large enough.
func TestReadBodyInto(t *testing.T) {
	const limit = 1000
	s := newTestServer(t, WithMaxBodyBytes(limit))
	body := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	cases := map[string]struct {
		body   []byte
		length int64 // -1: unknown
		cut    bool
	}{
		"empty":                  {nil, 0, false},
		"small":                  {body(10), 10, false},
		"at the limit":           {body(limit), limit, false},
		"declared over":          {body(limit + 1), limit + 1, false},
		"unknown small":          {body(10), -1, false},
		"unknown at the limit":   {body(limit), -1, false},
		"unknown over the limit": {body(limit + 1), -1, false},
		"unknown far over":       {body(50 * limit), -1, false},
		"cut short":              {body(10), 20, true},
		"longer than declared":   {body(limit + 5), 10, false},
	}
	for name, tc := range cases {
		for _, buf := range [][]byte{nil, make([]byte, 3, 5), make([]byte, 0, 4*limit)} {
			t.Run(name, func(t *testing.T) {
				req := func() *http.Request {
					r := httptest.NewRequest(http.MethodPost, "/predict", nil)
					r.Body, r.ContentLength = readCloser{bytes.NewReader(tc.body)}, tc.length
					if tc.cut {
						r.Body = cutReader{bytes.NewReader(tc.body)}
					}
					return r
				}
				want, werr := s.readBody(httptest.NewRecorder(), req())
				got, gerr := s.readBodyInto(httptest.NewRecorder(), req(), buf)
				if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
					t.Fatalf("error %v, readBody's %v", gerr, werr)
				}
				if werr == nil && !bytes.Equal(got, want) {
					t.Fatalf("%d bytes, readBody's %d", len(got), len(want))
				}
				if werr != nil && StatusOf(gerr) != StatusOf(werr) {
					t.Fatalf("status %d, readBody's %d", StatusOf(gerr), StatusOf(werr))
				}
			})
		}
	}
}

// FuzzPredictJSONSameAnswer: for any body /predict answers 200, the answer
// is what writeResults writes for ClassifyRows's classifications of the
// decoded flows, but for the reply ids; for any other, the decoder refuses
// the body too.
func FuzzPredictJSONSameAnswer(f *testing.F) {
	s := newTestServer(f, WithMaxFlows(50), WithMaxBodyBytes(1<<16))
	f.Add(benchFlows(f, 1))
	f.Add(benchFlows(f, 7))
	f.Add([]byte(`[{"Dst Port": 80}, [1]]`))
	f.Add([]byte(`{"Dst Port": "x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		fl, derr := s.dec.Decode(body, nil)
		if rec.Code != http.StatusOK {
			if derr == nil && int64(len(body)) <= s.cfg.maxBody {
				t.Fatalf("status %d for a body the decoder takes: %s", rec.Code, rec.Body)
			}
			return
		}
		if derr != nil {
			t.Fatalf("200 for a body the decoder refuses: %v", derr)
		}
		res, err := s.ClassifyRows(t.Context(), fl.Rows, fl.N)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.enc.Marshal(res, fl.Single)
		if err != nil {
			t.Fatal(err)
		}
		got, want := replyIDs.ReplaceAll(rec.Body.Bytes(), nil), replyIDs.ReplaceAll(append(want, '\n'), nil)
		if !bytes.Equal(got, want) {
			t.Fatalf("got\n%.400s\nwant\n%.400s", got, want)
		}
	})
}
