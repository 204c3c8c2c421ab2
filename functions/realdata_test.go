//go:build realdata

package functions

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
)

// postCSV uploads body to /predict and decodes the answers.
func postCSV(t *testing.T, s *Server, body []byte) []cloudevents.Classification {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out []cloudevents.Classification
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRealCSVUploads: the published files, uploaded as they are (gzip,
// header spellings, Infinity cells), are answered one classification a row,
// and the same rows sent as JSON objects of text cells get the same labels.
func TestRealCSVUploads(t *testing.T) {
	s := newTestServer(t, WithMaxFlows(20000), WithMaxBodyBytes(64<<20))
	cases := map[string]struct {
		file string
		rows int
	}{
		"CIC-IDS2017 test split, gzip":      {"cicids2017/test.csv.gz", 10854},
		"CIC-IDS2017 original column names": {"cicids2017-original-format/Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head299.csv.gz", 299},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := realdata.File(t, tc.file)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			answers := postCSV(t, s, raw)
			if len(answers) != tc.rows {
				t.Fatalf("%d answers for %d rows", len(answers), tc.rows)
			}
			// the first 50 rows again, one JSON object each
			plain := raw
			if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
				if plain, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			r := csv.NewReader(bytes.NewReader(plain))
			r.FieldsPerRecord = -1
			header, err := r.Read()
			if err != nil {
				t.Fatal(err)
			}
			schema := &s.Metadata().Schema
			feature := map[string]bool{}
			for _, f := range schema.Features {
				feature[f.Name] = true
			}
			for i := range 50 {
				rec, err := r.Read()
				if err != nil {
					t.Fatal(err)
				}
				flow := map[string]any{}
				for j, name := range header {
					if j < len(rec) && feature[flowdata.Canonical(name)] {
						flow[name] = rec[j]
					}
				}
				body, _ := json.Marshal(flow)
				res, _, err := s.ClassifyJSON(t.Context(), body)
				if err != nil {
					t.Fatalf("row %d as JSON: %v", i, err)
				}
				if res[0].Label != answers[i].Label || res[0].Verdict != answers[i].Verdict {
					t.Errorf("row %d: JSON says %s/%s, CSV %s/%s", i, res[0].Label, res[0].Verdict, answers[i].Label, answers[i].Verdict)
				}
			}
		})
	}
}
