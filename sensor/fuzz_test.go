package sensor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
)

// FuzzReply: whatever a sink answers (a structured event, binary event
// data, junk, under any status), the sender neither panics nor hangs, and
// counts each batch exactly once: sent, rejected or failed.
func FuzzReply(f *testing.F) {
	f.Add(200, true, []byte(`{"specversion":"1.0","id":"r","source":"/f","type":"io.flowsense.flow.classified.v1","data":[{"label":"BENIGN","verdict":"benign"}]}`))
	f.Add(200, false, []byte(`[{"label":"x","verdict":"malicious"}]`))
	f.Add(200, false, []byte(`[1,2`))
	f.Add(503, true, []byte(`{}`))
	f.Add(202, false, []byte{})
	flow := testFlow()
	f.Fuzz(func(t *testing.T, status int, structured bool, body []byte) {
		if status < 200 || status > 599 {
			status = 200
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if structured {
				w.Header().Set("Content-Type", "application/cloudevents+json")
			} else {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Ce-Specversion", "1.0")
				w.Header().Set("Ce-Id", "r")
				w.Header().Set("Ce-Source", "/f")
				w.Header().Set("Ce-Type", "io.flowsense.flow.classified.v1")
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
		}))
		defer srv.Close()
		s, err := NewSender(Config{Sink: srv.URL, Fields: AllFields(), Batch: 1, Workers: 1, Retries: 0, OnVerdicts: func([]FlowKey, []cloudevents.Classification) {}})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Add(&flow); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		if st.Sent+st.Rejected+st.Failed != 1 {
			t.Fatalf("status %d: stats %+v: the batch counted %d times", status, st, st.Sent+st.Rejected+st.Failed)
		}
	})
}
