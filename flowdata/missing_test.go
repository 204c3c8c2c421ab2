package flowdata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestMissingFeatureError: a schema read against a file of another kind
// gives a *MissingFeatureError with every missing name, and a message
// naming only a few; a forced format says what sniffing would choose.
func TestMissingFeatureError(t *testing.T) {
	var schema model.Schema
	for i := range 30 {
		schema.Features = append(schema.Features, model.Feature{Name: fmt.Sprintf("feature %d", i), Kind: model.Numeric})
	}
	var cols []string
	for i := range 41 {
		cols = append(cols, fmt.Sprintf("c%d", i))
	}
	p := filepath.Join(t.TempDir(), "other.csv")
	os.WriteFile(p, []byte(strings.Join(cols, ",")+"\n"+strings.Repeat("1,", 40)+"1\n"), 0o644)
	for name, c := range map[string]struct {
		format  Format
		forced  bool
		sniffed Format
	}{
		"sniffed": {"", false, ""},
		"forced":  {FormatCICFlowMeter, true, FormatCSV},
	} {
		_, err := Read([]string{p}, Options{Schema: &schema, Format: c.format})
		var mf *MissingFeatureError
		if !errors.Is(err, ErrMissingFeature) || !errors.As(err, &mf) {
			t.Fatalf("%s: %v, want a *MissingFeatureError", name, err)
		}
		if len(mf.Missing) != 30 || mf.Wanted != 30 || len(mf.Columns) != 41 || mf.Forced != c.forced || mf.Sniffed != c.sniffed {
			t.Errorf("%s: %d missing of %d, %d columns, forced %v sniffed %q", name, len(mf.Missing), mf.Wanted, len(mf.Columns), mf.Forced, mf.Sniffed)
		}
		msg := err.Error()
		if strings.Contains(msg, `"feature 6"`) || strings.Contains(msg, `"c6"`) || !strings.Contains(msg, `"feature 5" … 24 more`) || !strings.Contains(msg, `"c5" … 35 more`) {
			t.Errorf("%s: message not capped at %d names: %s", name, MaxNamesInError, msg)
		}
		if hint := "read as format cicflowmeter, but the file looks like csv"; c.forced != strings.Contains(msg, hint) {
			t.Errorf("%s: %q and %q", name, msg, hint)
		}
	}
	// A KDD reading of a file that is not KDD says so, and what it is.
	_, err := Read([]string{p}, Options{Schema: &schema, Format: FormatKDD})
	if !errors.Is(err, ErrMissingFeature) || !strings.Contains(err.Error(), "read as format kdd, but the file looks like csv") {
		t.Errorf("kdd: %v", err)
	}
	os.WriteFile(p, []byte(strings.Join(cols[:40], ",")+",Flow Duration,x,y,z\n"), 0o644)
	if _, err := Read([]string{p}, Options{Schema: &schema, Format: FormatKDD}); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "this one has 44 (the file looks like cicflowmeter)") {
		t.Errorf("kdd on a CICFlowMeter header: %v", err)
	}
}
