package collect

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowsense/flowsense/model"
)

// Mapper turns flows into rows of a model's schema: each schema feature
// must be one of the 43 NF-v2 names; numeric features take the value,
// categorical ones the category of the value's text (an address, say).
type Mapper struct {
	enc  *model.Encoder
	from []Feature
	cat  []bool
}

// NewMapper builds a Mapper for a schema; an error names the schema's
// features that are not NF-v2 features (a model trained on other data).
func NewMapper(s *model.Schema) (*Mapper, error) {
	m := &Mapper{enc: model.NewEncoder(s)}
	var unknown []string
	for _, f := range s.Features {
		x, ok := FeatureByName(f.Name)
		if !ok {
			unknown = append(unknown, f.Name)
			continue
		}
		m.from = append(m.from, x)
		m.cat = append(m.cat, f.Kind == model.Categorical)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("collect: the model's features %s are not NetFlow-v2 features (the model must be trained on NF-v2 columns, such as flowsense collect --out writes)", strings.Join(unknown, ", "))
	}
	return m, nil
}

// Features is the number of values in a row.
func (m *Mapper) Features() int { return len(m.from) }

// Row writes f's values into row (len Features()), NaN for missing.
func (m *Mapper) Row(f *Flow, row []float32) {
	for i, x := range m.from {
		if m.cat[i] {
			v, err := m.enc.Value(i, f.Text(x))
			if err != nil {
				v = float32(math.NaN()) // an unknown category is missing
			}
			row[i] = v
			continue
		}
		row[i] = float32(f.Values[x])
	}
}
