package sensor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/cloudevents"
)

// TestPartitionKey: an event of one flow carries the partitionkey of its
// 5-tuple (the key the function's reply carries too, so a Kafka-backed
// Broker keeps the flow's events on one partition); an event of many
// flows has no 5-tuple and no key.
func TestPartitionKey(t *testing.T) {
	for _, batch := range []int{1, 2} {
		var mu sync.Mutex
		var subjects, keys []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			subjects = append(subjects, r.Header.Get("Ce-Subject"))
			keys = append(keys, r.Header.Get("Ce-Partitionkey"))
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
		}))
		s := send(t, Config{Sink: srv.URL, Fields: AllFields(), Batch: batch, Workers: 1}, 2)
		deadline := time.Now().Add(5 * time.Second)
		for s.Stats().Sent < 2 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		_ = s.Close(context.Background())
		srv.Close()
		mu.Lock()
		if batch == 1 {
			if len(keys) != 2 {
				t.Fatalf("batch 1: %d events, want 2", len(keys))
			}
			for i, subj := range subjects {
				src, dst, sp, dp, pr, ok := cloudevents.ParseFlowID(subj)
				if !ok {
					t.Fatalf("subject %q is not a flow id", subj)
				}
				if want := cloudevents.FlowPartitionKey(src, sp, dst, dp, pr); keys[i] != want {
					t.Errorf("event %d: partitionkey %q, want %q", i, keys[i], want)
				}
			}
		} else if len(keys) != 1 || keys[0] != "" || subjects[0] != "" {
			t.Errorf("batch 2: subjects %q, keys %q; want one event with neither", subjects, keys)
		}
		mu.Unlock()
	}
}
