package functionstest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// RunFeedbackIDs is the feedback suite of every host: feedback counts only
// for predictions the host made, named by the reply id it returned. It
// classifies three flows (dir holds the behaviour goldens, SampleFlows),
// then sends, through do,
//
//   - genuine feedback on POST /feedback and as an io.flowsense.feedback.v1
//     event (200 and 202), each of which moves flowsense_feedback_total;
//   - the same ids again (replayed: 409), an id with one bit changed
//     (forged: 422), a well-formed id the host never issued (422), and
//     feedback without an id (422), none of which moves any
//     flowsense_feedback_* series (the confusion, the rolling accuracy
//     and its window) but the refusal counter.
//
// A host counts each id once; it keeps no per-request state otherwise.
func RunFeedbackIDs(t *testing.T, dir string, do Doer) {
	t.Helper()
	flows := SampleFlows(t, dir)
	body, _ := json.Marshal([]any{flows["BENIGN"], flows["PortScan"], flows["SYN Flood"]})
	status, answer := send(t, do, "POST", "/predict", "application/json", body)
	if status != http.StatusOK {
		t.Fatalf("/predict: %d %s", status, answer)
	}
	var res []struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	}
	if err := json.Unmarshal(answer, &res); err != nil || len(res) != 3 {
		t.Fatalf("/predict: %v: %s", err, answer)
	}
	for i, r := range res {
		if len(r.ID) != replyIDLen {
			t.Fatalf("classification %d: id %q, want a reply id of %d characters", i, r.ID, replyIDLen)
		}
	}
	before := feedbackSeries(t, do)

	fb := func(id, truth string) []byte {
		b, _ := json.Marshal(map[string]string{"id": id, "truth": truth})
		return b
	}
	event := func(eventID string, data []byte) []byte {
		b, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": eventID, "source": "/flowsense/test/feedback",
			"type": "io.flowsense.feedback.v1", "datacontenttype": "application/json", "data": json.RawMessage(data)})
		return b
	}
	const structured = "application/cloudevents+json"
	genuine := []struct {
		path, ct string
		body     []byte
		status   int
	}{
		{"/feedback", "application/json", fb(res[0].ID, "BENIGN"), http.StatusOK},
		{"/feedback", "application/json", fb(res[1].ID, "BENIGN"), http.StatusOK},
		{"/", structured, event("fb-genuine", fb(res[2].ID, "SYN Flood")), http.StatusAccepted},
	}
	for _, g := range genuine {
		if status, b := send(t, do, "POST", g.path, g.ct, g.body); status != g.status {
			t.Fatalf("genuine feedback %s to %s: %d %s, want %d", g.body, g.path, status, b, g.status)
		}
	}
	after := feedbackSeries(t, do)
	delta := map[string]float64{}
	for i, truth := range [...]string{"BENIGN", "BENIGN", "SYN Flood"} {
		delta[fmt.Sprintf(`flowsense_feedback_total{predicted=%q,truth=%q}`, res[i].Label, truth)]++
	}
	for k, v := range after {
		if strings.HasPrefix(k, "flowsense_feedback_total{") && v-before[k] != delta[k] {
			t.Errorf("genuine feedback moved %s by %v, want %v", k, v-before[k], delta[k])
		}
	}
	for k := range delta {
		if _, ok := after[k]; !ok {
			t.Errorf("/metrics has no %s", k)
		}
	}
	if got := after["flowsense_feedback_window_items"] - before["flowsense_feedback_window_items"]; got != 3 {
		t.Errorf("genuine feedback moved flowsense_feedback_window_items by %v, want 3", got)
	}

	forged := []byte(res[0].ID)
	forged[20] = flip(forged[20])
	never := base64.RawURLEncoding.EncodeToString(append([]byte{1}, bytes.Repeat([]byte{0x5a}, replyIDBytes-1)...))
	refused := []struct {
		name, path, ct string
		body           []byte
		status         int
		reason         string
	}{
		{"replayed", "/feedback", "application/json", fb(res[0].ID, "PortScan"), http.StatusConflict, "duplicate"},
		{"replayed event", "/", structured, event("fb-replayed", fb(res[2].ID, "BENIGN")), http.StatusConflict, "duplicate"},
		{"twice in one document", "/feedback", "application/json", []byte("[" + string(fb(res[1].ID, "BENIGN")) + "," + string(fb(res[1].ID, "BENIGN")) + "]"), http.StatusConflict, "duplicate"},
		{"forged", "/feedback", "application/json", fb(string(forged), "PortScan"), http.StatusUnprocessableEntity, "forged"},
		{"never issued", "/feedback", "application/json", fb(never, "PortScan"), http.StatusUnprocessableEntity, "forged"},
		{"no id", "/feedback", "application/json", []byte(`{"predicted": "BENIGN", "truth": "PortScan"}`), http.StatusUnprocessableEntity, "missing-id"},
		{"claims another label", "/feedback", "application/json", []byte(fmt.Sprintf(`{"id": %q, "predicted": %q, "truth": "BENIGN"}`, res[0].ID, otherLabel(res[0].Label))), http.StatusUnprocessableEntity, "forged"},
	}
	for _, r := range refused {
		status, b := send(t, do, "POST", r.path, r.ct, r.body)
		if status != r.status || !strings.Contains(string(b), "urn:flowsense:problem:feedback-") {
			t.Errorf("%s: %d %s, want %d and a feedback problem", r.name, status, b, r.status)
		}
	}
	last := feedbackSeries(t, do)
	for k, v := range last {
		// every feedback series but the refusals: the confusion, the
		// rolling accuracy and its window
		if !strings.HasPrefix(k, "flowsense_feedback_refused_total") && v != after[k] {
			t.Errorf("refused feedback moved %s: %v then %v", k, after[k], v)
		}
	}
	want := map[string]float64{}
	for _, r := range refused {
		want[r.reason]++
	}
	for reason, n := range want {
		k := fmt.Sprintf(`flowsense_feedback_refused_total{reason=%q}`, reason)
		if got := last[k] - after[k]; got != n {
			t.Errorf("%s moved by %v, want %v", k, got, n)
		}
	}
}

// replyIDBytes is the decoded size of a reply id (replyIDLen characters).
const replyIDBytes = 31

func flip(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}

func otherLabel(l string) string {
	if l == "BENIGN" {
		return "PortScan"
	}
	return "BENIGN"
}

func send(t *testing.T, do Doer, method, path, ct string, body []byte) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// feedbackSeries reads the flowsense_feedback_* series of GET /metrics.
func feedbackSeries(t *testing.T, do Doer) map[string]float64 {
	t.Helper()
	status, b := send(t, do, "GET", "/metrics", "", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "flowsense_feedback_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}
