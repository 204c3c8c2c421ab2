package outlier

import (
	"fmt"
	"slices"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// Features picks the detector's columns: the named features (under any
// spelling flowdata.Canonical knows), or every numeric feature when names
// is empty. A name the schema lacks, or a categorical feature, is an error
// wrapping ErrParams.
func Features(s *model.Schema, names []string) ([]int32, error) {
	var feats []int32
	if len(names) == 0 {
		for i, f := range s.Features {
			if f.Kind == model.Numeric {
				feats = append(feats, int32(i))
			}
		}
		if len(feats) == 0 {
			return nil, fmt.Errorf("%w: no numeric feature for the outlier detector", ErrParams)
		}
		return feats, nil
	}
	enc := model.NewEncoder(s)
	for _, name := range names {
		i := enc.Index(flowdata.Canonical(name))
		if i < 0 {
			i = enc.Index(name)
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: outlier feature %q is not a feature of the data", ErrParams, name)
		}
		if s.Features[i].Kind != model.Numeric {
			return nil, fmt.Errorf("%w: outlier feature %q is categorical; the detector takes numeric features", ErrParams, name)
		}
		feats = append(feats, int32(i))
	}
	return feats, nil
}

// FitBenign fits the detector on the rows of cols (feature-major, all the
// schema's features) whose class y is one of benign, over the columns
// feats, with at most len(feats) components. It returns nil, nil when
// fewer than two rows are benign: there is nothing to fit.
func FitBenign(cols [][]float32, y []int32, benign []int, feats []int32, p Params) (*model.Outlier, error) {
	var rows []int
	for i, c := range y {
		if slices.Contains(benign, int(c)) {
			rows = append(rows, i)
		}
	}
	if len(rows) < 2 {
		return nil, nil
	}
	sel := make([][]float32, len(feats))
	for k, f := range feats {
		if f < 0 || int(f) >= len(cols) || len(cols[f]) != len(y) {
			return nil, errorf("fit", ErrShape, "feature %d: no column of %d rows", f, len(y))
		}
		sel[k] = cols[f]
	}
	p.Components = min(p.Components, len(feats))
	return fitSet(rowSet{cols: sel, idx: rows}, feats, p)
}
