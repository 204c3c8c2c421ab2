package simulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/flowsense/flowsense/model"
)

// flowEncoder writes rows as JSON objects of the model's feature names,
// the shape the function's flow decoder reads back to the same float32
// values (FuzzFlowJSON checks it): a number in the shortest form that
// parses back to the same float32, "Infinity"/"-Infinity" for the
// infinities, null for a missing value, and a categorical code as its
// category's name.
type flowEncoder struct {
	schema *model.Schema
	names  [][]byte   // `"name":` per feature
	cats   [][][]byte // quoted category names per categorical feature
}

func newFlowEncoder(s *model.Schema) *flowEncoder {
	e := &flowEncoder{schema: s, names: make([][]byte, len(s.Features)), cats: make([][][]byte, len(s.Features))}
	for j, f := range s.Features {
		q, _ := json.Marshal(f.Name) // a string always marshals
		e.names[j] = append(q, ':')
		if f.Kind == model.Categorical {
			e.cats[j] = make([][]byte, len(f.Categories))
			for c, name := range f.Categories {
				e.cats[j][c], _ = json.Marshal(name)
			}
		}
	}
	return e
}

// appendFlow appends row (schema order) as a JSON object.
func (e *flowEncoder) appendFlow(b []byte, row []float32) []byte {
	b = append(b, '{')
	for j, v := range row {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, e.names[j]...)
		f := float64(v)
		switch {
		case math.IsNaN(f):
			b = append(b, "null"...)
		case e.cats[j] != nil:
			if c := int(v); float32(c) == v && c >= 0 && c < len(e.cats[j]) {
				b = append(b, e.cats[j][c]...)
			} else {
				b = append(b, "null"...) // not a code: as the reader would, missing
			}
		case math.IsInf(f, 1):
			b = append(b, `"Infinity"`...)
		case math.IsInf(f, -1):
			b = append(b, `"-Infinity"`...)
		default:
			b = strconv.AppendFloat(b, f, 'g', -1, 32)
		}
	}
	return append(b, '}')
}

// answer is what the simulator reads of a classification.
type answer struct {
	Label   string `json:"label"`
	Verdict string `json:"verdict"`
	ID      string `json:"id"` // the reply id feedback quotes
}

// decodeAnswers reads the classifications of a request of n flows: one
// object for one flow (or an array of one), an array of n otherwise.
func decodeAnswers(b []byte, n int, dst []answer) ([]answer, error) {
	b = bytes.TrimSpace(b)
	// encoding/json decodes into the elements already there, keeping the
	// fields a reply leaves out: clear them, or a classification without a
	// label would pass with the previous request's
	clear(dst[:cap(dst)])
	dst = dst[:0]
	if len(b) > 0 && b[0] == '{' {
		if n != 1 {
			return nil, fmt.Errorf("%w: one classification for %d flows", ErrReply, n)
		}
		var a answer
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrReply, err)
		}
		dst = append(dst, a)
	} else {
		if err := json.Unmarshal(b, &dst); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrReply, err)
		}
		if len(dst) != n {
			return nil, fmt.Errorf("%w: %d classifications for %d flows", ErrReply, len(dst), n)
		}
	}
	for i := range dst {
		if dst[i].Label == "" {
			return nil, fmt.Errorf("%w: classification %d has no label", ErrReply, i)
		}
	}
	return dst, nil
}
