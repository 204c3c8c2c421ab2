package functions

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchServe posts body to path through the handler in process, b.N times.
func benchServe(b *testing.B, path string, h http.Header, body []byte) {
	s := newTestServer(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header = h
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func benchFlows(b *testing.B, n int) []byte {
	flows := sampleFlows(b)
	all := []any{flows["BENIGN"], flows["Brute Force"], flows["Exfiltration"], flows["PortScan"], flows["SYN Flood"], flows["Slow DoS"]}
	var arr []any
	for i := range n {
		arr = append(arr, all[i%len(all)])
	}
	if n == 1 {
		body, _ := json.Marshal(arr[0])
		return body
	}
	body, _ := json.Marshal(arr)
	return body
}

func BenchmarkPredictJSON_1flow(b *testing.B) {
	benchServe(b, "/predict", http.Header{"Content-Type": {"application/json"}}, benchFlows(b, 1))
}

func BenchmarkPredictJSON_100flows(b *testing.B) {
	benchServe(b, "/predict", http.Header{"Content-Type": {"application/json"}}, benchFlows(b, 100))
}

func BenchmarkEventBinary_1flow(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"b"}, "Ce-Source": {"/b"}, "Ce-Type": {"io.flowsense.flow.v1"}}
	benchServe(b, "/", h, benchFlows(b, 1))
}

func BenchmarkPredictCSV_6rows(b *testing.B) {
	r := readReq(b, "predict_csv")
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	benchServe(b, "/predict", http.Header{"Content-Type": {"text/csv"}}, body.Bytes())
}
