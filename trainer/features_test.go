package trainer

import (
	"context"
	"slices"
	"testing"
)

// Kept features (Read.Features) with a test file: the test file is read
// against the trained schema, which holds only those features.
func TestFeaturesWithTestFile(t *testing.T) {
	train, test := genFile(t, 1500, 1, 0), genFile(t, 500, 2, 0)
	cfg := quickConfig(train)
	cfg.Test = []string{test}
	cfg.Read.Features = []string{"Flow Duration", "Total Fwd Packet", "SYN Flag Count"}
	res, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range res.Model.Schema.Features {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, cfg.Read.Features) || res.Metrics.NTest != 500 {
		t.Errorf("features %q, %d test rows; want %q and 500", names, res.Metrics.NTest, cfg.Read.Features)
	}
}
