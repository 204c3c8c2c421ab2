package functions

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// TestConcurrent: requests from many goroutines at once get the answers
// they get one at a time (the module's instance pool is shared).
func TestConcurrent(t *testing.T) {
	s := newTestServer(t)
	names := []string{"predict_object", "predict_array", "predict_csv", "ce_binary", "ce_structured", "ce_batch"}
	want := map[string][]byte{}
	do := func(name string) []byte {
		req := readReq(t, name)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", name, rec.Code)
		}
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"id":"`)) {
			t.Errorf("%s: no reply ids in %s", name, rec.Body.Bytes())
		}
		return functionstest.MaskReplyIDs(rec.Body.Bytes()) // each answer has its own ids
	}
	for _, n := range names {
		want[n] = do(n)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 30 {
				n := names[(g+i)%len(names)]
				if got := do(n); !bytes.Equal(got, want[n]) {
					t.Errorf("%s: concurrent answer differs:\n%s\nwant\n%s", n, got, want[n])
					return
				}
			}
		})
	}
	wg.Wait()
}
