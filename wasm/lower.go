package wasm

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/flowsense/flowsense/model"
)

// layout is a model lowered to memory: where every table lives and the
// bytes of the data segment. Compile lowers first, then emits code that
// reads these tables (emit.go).
//
// Memory map (addresses in bytes, all tables 8-byte aligned):
//
//	0             16 bytes of zeros
//	raw           f64[outputs]   raw scores of the row being predicted
//	proj          f64[components] the detector's projected row
//	std           f64[d]         the detector's standardised inputs
//	input         f32[maxBatch*features]
//	output        maxBatch rows of stride bytes
//	data          the model tables below, one active data segment
//	  base        f64[outputs]   base scores
//	  benign      i32[classes]   1 for a benign class
//	  trees       {root i32, out i32}[trees]; out is the byte offset of the
//	              tree's raw score, -1 for vector leaves
//	  values      f32 leaf values (W per leaf)
//	  catsets     u32 category sets: N, then ceil(N/32) words of bits
//	  nodes       per tree in preorder, the left child right after its parent:
//	              internal node {word i32, threshold f32 or set address i32, right i32}
//	              leaf {word i32}
//	  inputs      detector inputs {featureOffset i32, log1p i32, mean, scale, low, high f64}
//	  projection  f64[d*k], in blocks of 4 components, each block row-major
//	  invcov      f64[k] (diagonal) or f64[k*k]
//
// A node word holds the tested feature's byte offset in the row (bits 0-28),
// the default-left flag (bit 29) and the in-set flag (bit 30); a leaf word
// has bit 31 set and the address of its values in bits 0-30. A `<=` node is
// stored as `<` against the next float32 up, which is exact for every
// non-NaN float32 x: x <= t if and only if x < nextUp(t).
type layout struct {
	features, classes, outputs int
	objective                  model.Objective
	maxBatch, stride           int
	raw, proj, std             uint32
	input, output              uint32
	dataBase                   uint32
	data                       []byte
	base, benign               uint32
	trees, treesEnd            uint32
	anyVector, anyScalar       bool
	anyInSet                   bool
	// detector; dIn == dInEnd when there is none
	hasOutlier  bool
	components  int
	dims        int
	dIn, dInEnd uint32
	projection  uint32
	invCov      uint32
	diagonal    bool
	anyLog1p    bool
	threshold   float64
	pages       uint32
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// lower computes the layout of a valid model.
func lower(m *model.Model) (*layout, error) {
	l := &layout{
		features:  len(m.Schema.Features),
		classes:   len(m.Classes),
		outputs:   m.Ensemble.Outputs,
		objective: m.Ensemble.Objective,
	}
	l.stride = outHeaderBytes + 8*l.classes
	l.maxBatch = maxIOBytes / (4*l.features + l.stride)
	l.maxBatch = max(1, min(l.maxBatch, defaultMaxBatch))

	k := 0
	if m.Outlier != nil {
		k = m.Outlier.Components
	}
	a := uint64(scratchBase)
	l.raw = uint32(a)
	a = align8(a + 8*uint64(l.outputs))
	l.proj = uint32(a)
	a = align8(a + 8*uint64(k))
	l.std = uint32(a)
	if m.Outlier != nil {
		a = align8(a + 8*uint64(len(m.Outlier.Features)))
	}
	a = (a + 15) &^ 15
	l.input = uint32(a)
	a = align8(a + 4*uint64(l.features)*uint64(l.maxBatch))
	l.output = uint32(a)
	a = align8(a + uint64(l.stride)*uint64(l.maxBatch))
	l.dataBase = uint32(a)

	// sizes of the data tables
	var nValues, nCat, nNodes uint64
	for i := range m.Ensemble.Trees {
		t := &m.Ensemble.Trees[i]
		w := uint64(t.Width(l.outputs))
		for n, f := range t.Feature {
			if f < 0 {
				nValues += w
				nNodes += leafNodeSize
			} else {
				nNodes += internalNodeSize
				if t.Op[n] == model.InSet {
					l.anyInSet = true
				}
			}
		}
		nCat += uint64(len(t.CatBits))
		if t.Output < 0 {
			l.anyVector = true
		} else {
			l.anyScalar = true
		}
	}
	size := 8*uint64(l.outputs) + 4*uint64(l.classes)
	size = align8(size) + 8*uint64(len(m.Ensemble.Trees))
	size += 4*nValues + 4*nCat + nNodes
	var d int
	if o := m.Outlier; o != nil {
		d = len(o.Features)
		size = align8(size) + 40*uint64(d) + 8*uint64(d*k) + 8*uint64(k*k)
	}
	total := uint64(l.dataBase) + size
	if total > maxMemoryBytes {
		return nil, fmt.Errorf("%w: the model needs %d bytes of memory, more than %d", ErrTooLarge, total, maxMemoryBytes)
	}
	l.data = make([]byte, 0, size)
	addr := func() uint32 { return l.dataBase + uint32(len(l.data)) }
	pad8 := func() {
		for len(l.data)%8 != 0 {
			l.data = append(l.data, 0)
		}
	}
	le := binary.LittleEndian
	put32 := func(v uint32) { l.data = le.AppendUint32(l.data, v) }
	put64 := func(v float64) { l.data = le.AppendUint64(l.data, math.Float64bits(v)) }

	l.base = addr()
	for _, v := range m.Ensemble.BaseScore {
		put64(float64(v))
	}
	l.benign = addr()
	for c := 0; c < l.classes; c++ {
		b := uint32(0)
		if m.IsBenign(c) {
			b = 1
		}
		put32(b)
	}
	pad8()
	l.trees = addr()
	l.treesEnd = l.trees + 8*uint32(len(m.Ensemble.Trees))
	valuesAt := l.treesEnd
	catAt := valuesAt + 4*uint32(nValues)
	nodesAt := catAt + 4*uint32(nCat)
	// tree table
	nodeAddr := nodesAt
	for i := range m.Ensemble.Trees {
		t := &m.Ensemble.Trees[i]
		put32(nodeAddr)
		if t.Output < 0 {
			put32(math.MaxUint32) // -1
		} else {
			put32(uint32(t.Output) * 8)
		}
		for _, f := range t.Feature {
			if f < 0 {
				nodeAddr += leafNodeSize
			} else {
				nodeAddr += internalNodeSize
			}
		}
	}
	// values and category sets, tree by tree; remember where each starts
	leafValue := make([][]uint32, len(m.Ensemble.Trees)) // per tree, per node: address of its values
	catBase := make([]uint32, len(m.Ensemble.Trees))
	for i := range m.Ensemble.Trees {
		t := &m.Ensemble.Trees[i]
		w := t.Width(l.outputs)
		lv := make([]uint32, t.Len())
		for n, f := range t.Feature {
			if f >= 0 {
				continue
			}
			lv[n] = addr()
			for _, v := range t.Value[n*w : n*w+w] {
				put32(math.Float32bits(v))
			}
		}
		leafValue[i] = lv
	}
	if addr() != catAt {
		return nil, fmt.Errorf("wasm: internal error: values end at %d, want %d", addr(), catAt)
	}
	for i := range m.Ensemble.Trees {
		catBase[i] = addr()
		for _, v := range m.Ensemble.Trees[i].CatBits {
			put32(v)
		}
	}
	// nodes in preorder
	var stack []int32
	for i := range m.Ensemble.Trees {
		t := &m.Ensemble.Trees[i]
		start := addr()
		pos := make([]uint32, t.Len()) // address of each node
		order := make([]int32, 0, t.Len())
		stack = append(stack[:0], 0)
		a := start
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			order = append(order, n)
			pos[n] = a
			if t.Feature[n] < 0 {
				a += leafNodeSize
				continue
			}
			a += internalNodeSize
			stack = append(stack, t.Right[n], t.Left[n])
		}
		for _, n := range order {
			f := t.Feature[n]
			if f < 0 {
				put32(leafValue[i][n] | 1<<31)
				continue
			}
			w := uint32(f) * 4
			if t.DefaultLeft[n] {
				w |= flagDefaultLeft
			}
			var thr uint32
			switch t.Op[n] {
			case model.Less:
				thr = math.Float32bits(t.Threshold[n])
			case model.LessEqual:
				thr = math.Float32bits(math.Nextafter32(t.Threshold[n], float32(math.Inf(1))))
			default:
				w |= flagInSet
				thr = catBase[i] + 4*uint32(t.CatBegin[n])
			}
			put32(w)
			put32(thr)
			put32(pos[t.Right[n]])
		}
	}
	if o := m.Outlier; o != nil {
		l.hasOutlier = true
		l.components = k
		l.dims = d
		l.threshold = o.Threshold
		pad8()
		l.dIn = addr()
		for j := 0; j < d; j++ {
			put32(uint32(o.Features[j]) * 4)
			lg := uint32(0)
			if o.Log1p != nil && o.Log1p[j] {
				lg = 1
				l.anyLog1p = true
			}
			put32(lg)
			put64(o.Mean[j])
			put64(o.Scale[j])
			lo, hi := math.Inf(-1), math.Inf(1)
			if o.Clip != nil {
				lo, hi = o.Clip.Low[j], o.Clip.High[j]
			}
			put64(lo)
			put64(hi)
		}
		l.dInEnd = addr()
		// the projection in blocks of four components (the last block
		// narrower), each block row by row: the order emitDetector reads
		l.projection = addr()
		for c0 := 0; c0 < k; c0 += 4 {
			w := min(4, k-c0)
			for j := 0; j < d; j++ {
				for i := 0; i < w; i++ {
					put64(o.Projection[j*k+c0+i])
				}
			}
		}
		l.invCov = addr()
		l.diagonal = true
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				if a != b && o.InvCov[a*k+b] != 0 {
					l.diagonal = false
				}
			}
		}
		if l.diagonal {
			for a := 0; a < k; a++ {
				put64(o.InvCov[a*k+a])
			}
		} else {
			for _, v := range o.InvCov {
				put64(v)
			}
		}
	}
	end := uint64(l.dataBase) + uint64(len(l.data))
	l.pages = uint32((end + wasmPageBytes - 1) / wasmPageBytes)
	return l, nil
}
