package simulate

import (
	"math"
	"math/rand/v2"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// draw is one flow to send: a row of the file, possibly made an outlier.
type draw struct {
	row     int32
	outlier bool
}

// rows draws flows from a dataset read against the model's schema. It is
// used by the scheduler goroutine only.
type rows struct {
	ds     *flowdata.Dataset
	truth  []string // per row: the label, "" when the row has none
	benign []int32  // rows whose label is one of the model's benign classes
	attack []int32  // the others with a label
	rng    *rand.Rand

	order           Order
	pass            []int32 // the current pass, for OrderShuffle
	pos             int
	attackFraction  *float64
	outlierFraction float64
}

// newRows sorts the rows of ds into benign and attack by the model's
// classes and benign class indices.
func newRows(ds *flowdata.Dataset, classes []string, benignIdx []int, o *Options) *rows {
	isBenign := make(map[string]bool, len(benignIdx))
	for _, b := range benignIdx {
		if b >= 0 && b < len(classes) {
			isBenign[classes[b]] = true
		}
	}
	r := &rows{ds: ds, truth: make([]string, ds.Rows), order: o.Order,
		attackFraction: o.AttackFraction, outlierFraction: o.OutlierFraction,
		rng: rand.New(rand.NewPCG(o.Seed, 0x5173_6d75_6c61_7465))}
	for i := 0; i < ds.Rows; i++ {
		if ds.HasLabels && i < len(ds.Y) && ds.Y[i] >= 0 && int(ds.Y[i]) < len(ds.Classes) {
			r.truth[i] = ds.Classes[ds.Y[i]]
		}
		switch {
		case r.truth[i] == "":
		case isBenign[r.truth[i]]:
			r.benign = append(r.benign, int32(i))
		default:
			r.attack = append(r.attack, int32(i))
		}
	}
	return r
}

// next draws the next flow.
func (r *rows) next() draw {
	if r.outlierFraction > 0 && r.rng.Float64() < r.outlierFraction {
		if len(r.benign) > 0 {
			return draw{row: r.benign[r.rng.IntN(len(r.benign))], outlier: true}
		}
		return draw{row: int32(r.rng.IntN(r.ds.Rows)), outlier: true}
	}
	if r.attackFraction != nil {
		if r.rng.Float64() < *r.attackFraction {
			return draw{row: r.attack[r.rng.IntN(len(r.attack))]}
		}
		return draw{row: r.benign[r.rng.IntN(len(r.benign))]}
	}
	if r.order == OrderFile {
		d := draw{row: int32(r.pos)}
		r.pos = (r.pos + 1) % r.ds.Rows
		return d
	}
	if r.pos == len(r.pass) {
		if r.pass == nil {
			r.pass = make([]int32, r.ds.Rows)
		}
		for i := range r.pass {
			r.pass[i] = int32(i)
		}
		r.rng.Shuffle(len(r.pass), func(i, j int) { r.pass[i], r.pass[j] = r.pass[j], r.pass[i] })
		r.pos = 0
	}
	d := draw{row: r.pass[r.pos]}
	r.pos++
	return d
}

// values writes the row of d into dst (schema order), scaled when it is
// an outlier.
func (r *rows) values(d draw, schema *model.Schema, scale float64, dst []float32) []float32 {
	dst = r.ds.Row(int(d.row), dst)
	if d.outlier {
		outlierRow(schema, scale, dst)
	}
	return dst
}

// outlierRow multiplies every finite, non-zero numeric feature by scale.
func outlierRow(schema *model.Schema, scale float64, row []float32) {
	for j := range row {
		v := row[j]
		if schema.Features[j].Kind != model.Numeric || v == 0 || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			continue
		}
		row[j] = float32(float64(v) * scale)
	}
}
