package functions

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/cloudevents"
)

// mixedPcap is extract's golden capture: TCP torn down and continued, DNS,
// ICMP, IPv6, a VLAN tag, GRE, fragments, packets out of order.
const mixedPcap = "../extract/testdata/mixed.pcap"

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func postCapture(t testing.TB, s *Server, ct string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestPredictCaptureIsTheExtractedCSV: a capture upload is answered with the
// classifications of the CSV `flowsense extract` writes for it (extract's
// golden output of the same capture), in the same order, with each flow's
// key and start time beside them.
func TestPredictCaptureIsTheExtractedCSV(t *testing.T) {
	s := newTestServer(t)
	rec := postCapture(t, s, "application/vnd.tcpdump.pcap", readFile(t, mixedPcap))
	if rec.Code != 200 {
		t.Fatalf("capture: %d %s", rec.Code, rec.Body)
	}
	var got []CaptureResult
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	csv := readFile(t, "../extract/testdata/mixed.cicids2017.csv")
	rec = postCapture(t, s, "text/csv", csv)
	if rec.Code != 200 {
		t.Fatalf("csv: %d %s", rec.Code, rec.Body)
	}
	var want []cloudevents.Classification
	if err := json.Unmarshal(rec.Body.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")[1:]
	if len(got) != len(want) || len(got) != len(lines) {
		t.Fatalf("%d flows from the capture, %d classifications of %d CSV rows", len(got), len(want), len(lines))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Label != w.Label || g.Probability != w.Probability || g.OutlierScore != w.OutlierScore {
			t.Errorf("flow %d (%s): capture %s %.6f %.6f, CSV %s %.6f %.6f", i, g.Flow.ID, g.Label, g.Probability, g.OutlierScore, w.Label, w.Probability, w.OutlierScore)
		}
		cols := strings.Split(lines[i], ",")
		if cols[1] != g.Flow.ID {
			t.Errorf("flow %d: id %s, CSV row %s", i, g.Flow.ID, cols[1])
		}
		if _, err := time.Parse(time.RFC3339Nano, g.Flow.Start); err != nil {
			t.Errorf("flow %d: start %q: %v", i, g.Flow.Start, err)
		}
	}
}

// pcapHeader is a little-endian µs pcap file header.
func pcapHeader(snaplen, link uint32) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], snaplen)
	binary.LittleEndian.PutUint32(b[20:], link)
	return b
}

// TestPredictCaptureBad: hostile and broken captures, and captures over
// the request limits, get a 4xx problem document naming what is wrong.
func TestPredictCaptureBad(t *testing.T) {
	mixed := readFile(t, mixedPcap)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(mixed)
	_ = zw.Close()
	// a record header that claims 1 GiB under a 4 GiB snap length
	huge := append(pcapHeader(0xffffffff, 1), make([]byte, 16)...)
	binary.LittleEndian.PutUint32(huge[24+8:], 1<<30)
	binary.LittleEndian.PutUint32(huge[24+12:], 1<<30)
	// an ARP frame only: a capture without IP flows
	arp := append(pcapHeader(65535, 1), make([]byte, 16+42)...)
	binary.LittleEndian.PutUint32(arp[24+8:], 42)
	binary.LittleEndian.PutUint32(arp[24+12:], 42)
	arp[24+16+12], arp[24+16+13] = 0x08, 0x06
	cases := map[string]struct {
		opts   []Option
		ct     string
		body   []byte
		status int
		detail string
	}{
		"too many flows":         {opts: []Option{WithMaxFlows(3)}, ct: "application/vnd.tcpdump.pcap", body: mixed, status: 413, detail: "more than 3 flows"},
		"too many flows gzipped": {opts: []Option{WithMaxFlows(3)}, ct: "application/octet-stream", body: gz.Bytes(), status: 413, detail: "more than 3 flows"},
		"over the byte limit":    {opts: []Option{WithMaxBodyBytes(1000)}, ct: "application/vnd.tcpdump.pcap", body: mixed, status: 413, detail: "1000 bytes"},
		"huge record":            {ct: "application/vnd.tcpdump.pcap", body: huge, status: 400, detail: "packet 1: packet record too long"},
		"truncated gzip":         {ct: "application/vnd.tcpdump.pcap", body: gz.Bytes()[:gz.Len()/2], status: 400, detail: "upload"},
		"header only":            {ct: "application/vnd.tcpdump.pcap", body: pcapHeader(65535, 1), status: 422, detail: "no IP flow (0 packets"},
		"no IP flows":            {ct: "application/vnd.tcpdump.pcap", body: arp, status: 422, detail: "no IP flow (1 packets: 1 not IP"},
		"short header":           {ct: "application/vnd.tcpdump.pcap", body: mixed[:10], status: 400, detail: "file header"},
		"sniffed junk":           {ct: "", body: []byte("\x00\x01\x02"), status: 415, detail: "not a pcap or pcapng capture"},
		"no time left":           {opts: []Option{WithTimeout(time.Nanosecond)}, ct: "application/vnd.tcpdump.pcap", body: mixed, status: 503},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := postCapture(t, newTestServer(t, tc.opts...), tc.ct, tc.body)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != MediaTypeProblem {
				t.Fatalf("content type %q", ct)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("problem %+v, want detail with %q", p, tc.detail)
			}
		})
	}
}

func TestIsCapture(t *testing.T) {
	mixed := readFile(t, mixedPcap)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(mixed)
	_ = zw.Close()
	for _, c := range []struct {
		b    []byte
		want bool
	}{
		{mixed, true}, {gz.Bytes(), true}, {[]byte{0x0a, 0x0d, 0x0d, 0x0a, 0}, true}, {[]byte{0x4d, 0x3c, 0xb2, 0xa1}, true},
		{[]byte("Dst Port\n"), false}, {[]byte{0x1f, 0x8b}, false}, {nil, false}, {[]byte{0xa1, 0xb2, 0xc3}, false},
	} {
		if got := IsCapture(c.b); got != c.want {
			t.Errorf("IsCapture(% x...) = %v", c.b[:min(len(c.b), 6)], got)
		}
	}
}

// FuzzPredictCapture: any body sent as a capture, or sniffed as one, is
// answered below 500 with a problem document for every error.
func FuzzPredictCapture(f *testing.F) {
	seedBodies(f, func(h http.Header) bool {
		_, ok := captureTypes[h.Get("Content-Type")]
		return ok || h.Get("Content-Type") == "application/octet-stream"
	})
	f.Add(pcapHeader(0xffffffff, 1))
	f.Add(pcapHeader(65535, 147))
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, s, "/predict", http.Header{"Content-Type": {"application/vnd.tcpdump.pcap"}}, body)
		serveFuzz(t, s, "/predict", http.Header{"Content-Type": {"application/octet-stream"}}, body)
	})
}
