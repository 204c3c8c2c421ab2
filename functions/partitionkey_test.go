package functions

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
)

// TestReplyPartitionKey: a binary CloudEvent whose subject is a flow id
// (as flowsense sensor sends one flow) is answered with a ce-partitionkey
// that is the hash of its 5-tuple; one with its own partitionkey keeps it;
// one without either has none.
func TestReplyPartitionKey(t *testing.T) {
	srv := newTestServer(t)
	want := cloudevents.FlowPartitionKey(netip.MustParseAddr("10.0.0.1"), 40000, netip.MustParseAddr("10.0.0.2"), 443, 6)
	cases := map[string]struct {
		headers map[string]string
		want    string
	}{
		"flow id subject": {headers: map[string]string{"Ce-Subject": "10.0.0.2-10.0.0.1-443-40000-6"}, want: want},
		"own key":         {headers: map[string]string{"Ce-Subject": "10.0.0.2-10.0.0.1-443-40000-6", "Ce-Partitionkey": "sensor-7"}, want: "sensor-7"},
		"neither":         {headers: map[string]string{"Ce-Subject": "flow-3"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"Dst Port": 443, "Protocol": 6}`))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Ce-Specversion", "1.0")
			r.Header.Set("Ce-Id", "e-1")
			r.Header.Set("Ce-Source", "/test/sensor")
			r.Header.Set("Ce-Type", cloudevents.TypeFlow)
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Ce-Partitionkey"); got != c.want {
				t.Errorf("ce-partitionkey %q, want %q", got, c.want)
			}
		})
	}
}
