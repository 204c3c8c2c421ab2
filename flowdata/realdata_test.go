//go:build realdata

package flowdata

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestRealDataReadsAuto reads every file of the real-data directory with
// format auto and checks the row counts and shapes the data README gives.
func TestRealDataReadsAuto(t *testing.T) {
	tests := map[string]struct {
		rows     int
		format   Format
		classes  int // 0: not checked
		features int
		dropped  []string
	}{
		"nsl-kdd/KDDTrain+.txt.gz":           {125973, FormatKDD, 23, 41, []string{"difficulty"}},
		"nsl-kdd/KDDTest+.txt.gz":            {22544, FormatKDD, 38, 41, []string{"difficulty"}},
		"nsl-kdd/KDDTest-21.txt.gz":          {11850, FormatKDD, 38, 41, []string{"difficulty"}},
		"kddcup99/kddcup.data_10_percent.gz": {494021, FormatKDD, 23, 41, nil},
		"kddcup99/corrected.gz":              {311029, FormatKDD, 38, 41, nil},
		"cicids2017/train.csv.gz": {32565, FormatCICFlowMeter, 16, 83,
			[]string{"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp", "Attempted Category"}},
		"cicids2017/test.csv.gz": {10854, FormatCICFlowMeter, 16, 83,
			[]string{"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp", "Attempted Category"}},
		"apa-ddos/train.csv.gz":                   {113400, FormatCSV, 3, 22, nil},
		"apa-ddos/test.csv.gz":                    {37800, FormatCSV, 3, 22, nil},
		"cisco-kubeflow/Network_Test_Traffic.csv": {23, FormatCICFlowMeter, 1, 78, []string{"Timestamp"}},
		"cicids2017-original-format/Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head299.csv.gz": {299, FormatCICFlowMeter, 0, 78,
			[]string{"Flow ID", "Source IP", "Source Port", "Destination IP", "Timestamp", "Fwd Header Length"}},
	}
	seen := map[string]bool{}
	for rel, tc := range tests {
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			d := mustRead(t, []string{dataFile(t, rel)}, Options{})
			if d.Rows != tc.rows || d.Format != tc.format || len(d.Schema.Features) != tc.features {
				t.Errorf("rows %d format %s features %d, want %d %s %d", d.Rows, d.Format, len(d.Schema.Features), tc.rows, tc.format, tc.features)
			}
			if tc.classes > 0 && len(d.Classes) != tc.classes {
				t.Errorf("%d classes %q, want %d", len(d.Classes), d.Classes, tc.classes)
			}
			var dropped []string
			for _, dr := range d.Dropped {
				dropped = append(dropped, dr.Column)
			}
			if !slices.Equal(dropped, tc.dropped) {
				t.Errorf("dropped %q, want %q", dropped, tc.dropped)
			}
			for _, f := range d.Schema.Features {
				if identifierNames[f.Name] || labelLike[key(f.Name)] {
					t.Errorf("feature %q is an identifier or a label", f.Name)
				}
			}
			if len(d.Files) != 1 || len(d.Files[0].SHA256) != 64 || d.Files[0].Rows != d.Rows {
				t.Errorf("files %+v", d.Files)
			}
		})
	}
	// Every data file of the directory is covered.
	err := filepath.WalkDir(dataDir(t), func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dataDir(t), p)
		if strings.HasPrefix(filepath.ToSlash(rel), "pcap/") {
			return nil // packet captures: package extract reads them (its realdata tests)
		}
		if strings.HasSuffix(rel, ".gz") || strings.HasSuffix(rel, "Network_Test_Traffic.csv") {
			if !seen[filepath.ToSlash(rel)] {
				t.Errorf("data file %s not covered by this test", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRealDataKDDLabels maps every label of every KDD file with kdd5.
func TestRealDataKDDLabels(t *testing.T) {
	for _, rel := range []string{"nsl-kdd/KDDTrain+.txt.gz", "nsl-kdd/KDDTest+.txt.gz", "nsl-kdd/KDDTest-21.txt.gz",
		"kddcup99/kddcup.data_10_percent.gz", "kddcup99/corrected.gz"} {
		t.Run(rel, func(t *testing.T) {
			d := mustRead(t, []string{dataFile(t, rel)}, Options{LabelMap: LabelMapKDD5})
			if !slices.Equal(d.Classes, []string{"dos", "normal", "probe", "r2l", "u2r"}) {
				t.Errorf("classes %q", d.Classes)
			}
			for _, f := range []string{"protocol_type", "service", "flag"} {
				if ft := d.Schema.Features[slices.IndexFunc(d.Schema.Features, func(x model.Feature) bool { return x.Name == f })]; ft.Kind != 1 || len(ft.Categories) < 3 {
					t.Errorf("%s: %s with %d categories", f, ft.Kind, len(ft.Categories))
				}
			}
		})
	}
}

// TestRealDataCrossNaming reads the original-format and CSE-CIC-IDS2018
// fixtures against the schema of the re-extracted CIC-IDS2017.
func TestRealDataCrossNaming(t *testing.T) {
	train := mustRead(t, []string{dataFile(t, "cicids2017/train.csv.gz")}, Options{})
	for _, rel := range []string{"cicids2017-original-format/Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head299.csv.gz",
		"cisco-kubeflow/Network_Test_Traffic.csv"} {
		t.Run(rel, func(t *testing.T) {
			p := dataFile(t, rel)
			_, err := Read([]string{p}, Options{Schema: &train.Schema})
			if !errors.Is(err, ErrMissingFeature) {
				t.Errorf("without AllowMissing: %v, want ErrMissingFeature (the older extractions lack some features)", err)
			}
			d := mustRead(t, []string{p}, Options{Schema: &train.Schema, AllowMissing: true})
			present := 0
			for j := range d.Columns {
				if !allNaN(d.Columns[j]) {
					present++
				}
			}
			if present < 70 {
				t.Errorf("only %d of %d features found", present, len(d.Columns))
			}
			if v := col(t, d, "Flow Duration"); allNaN(v) {
				t.Errorf("Flow Duration not found")
			}
		})
	}
	orig := mustRead(t, []string{dataFile(t, "cicids2017-original-format/Friday-WorkingHours-Afternoon-DDos.pcap_ISCX.head299.csv.gz")}, Options{})
	inf := 0
	for _, c := range orig.Columns {
		for _, v := range c {
			if math.IsInf(float64(v), 1) {
				inf++
			}
		}
	}
	if inf == 0 {
		t.Errorf("no Infinity read from the original-format fixture")
	}
}

// TestRealDataAPADrop reads APA-DDoS as the user does, dropping the packet
// identifiers.
func TestRealDataAPADrop(t *testing.T) {
	d := mustRead(t, []string{dataFile(t, "apa-ddos/train.csv.gz"), dataFile(t, "apa-ddos/test.csv.gz")},
		Options{Drop: []string{"ip.src", "ip.dst", "frame.time"}})
	if d.Rows != 151200 || len(d.Schema.Features) != 19 || !slices.Equal(d.Classes, []string{"Benign", "DDoS-ACK", "DDoS-PSH-ACK"}) {
		t.Errorf("rows %d features %d classes %q", d.Rows, len(d.Schema.Features), d.Classes)
	}
	for _, f := range d.Schema.Features {
		if f.Kind != 0 {
			t.Errorf("%s is %s, want numeric", f.Name, f.Kind)
		}
	}
}

func allNaN(c []float32) bool {
	for _, v := range c {
		if !math.IsNaN(float64(v)) {
			return false
		}
	}
	return true
}
