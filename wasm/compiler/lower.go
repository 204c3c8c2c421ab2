package compiler

import (
	"encoding/binary"
	"fmt"
	"github.com/flowsense/flowsense/wasm/abi"
	"math"
	"math/bits"

	"github.com/flowsense/flowsense/model"
)

// layout is a model lowered to memory: where every table lives and the
// bytes of the data segment. Compile lowers first, then emits code that
// reads these tables (emit.go).
//
// Memory map (addresses in bytes, all tables 8-byte aligned):
//
//	0             16 bytes of zeros
//	raw           f64[maxBatch*outputs] raw scores of the rows being
//	              predicted (a batch's trees run tree by tree over its
//	              rows, so each row keeps its own)
//	accv          v128[simdBlock/2] the SIMD detector's accumulators
//	proj          f64[components] the detector's projected row
//	std           f64[d+1]       the detector's standardised inputs (16-byte
//	              aligned, a spare slot for the pairs of the SIMD form)
//	input         f32[maxBatch*features]
//	output        maxBatch rows of stride bytes
//	data          the model tables below, one active data segment
//	  base        f64[outputs]   base scores
//	  benign      i32[classes]   1 for a benign class
//	  trees       {root i32, out i32}[trees]; root has bit 31 set when the
//	              root is a leaf; out is the byte offset of the tree's raw
//	              score, -1 for vector leaves
//	  catsets     u32 category sets: N, then ceil(N/32) words of bits
//	  nodes       per tree in preorder (a node's left child right after it),
//	              internal node {threshold f32 or set address i32, info i32}
//	              (wide: {threshold, info, right i32}), leaf: its W f32 values
//	  pairs       the SIMD detector's inputs two by two (pairRec bytes
//	              each, detector.go), then
//	  projection  whitened (the SIMD module, when whiten accepts the
//	              detector): W = P·L, 16-byte aligned, in blocks of
//	              simdBlock components each padded to an even width with
//	              zeros, each block row-major with zero rows up to whole
//	              chunks of chunkInputs; no invcov follows.
//	              Otherwise P, in blocks of 4 components, each block
//	              row-major, then
//	  invcov      f64[k] (diagonal) or f64[k*k]
//
// A node's info word holds, from bit 0: the tested feature's byte offset in
// the row (featBits bits, as many as the widest offset needs), the
// default-left, in-set, left-is-leaf and right-is-leaf flags, then the
// distance to the right child in words. When some distance does not fit
// (very wide schemas with large trees), every node of the module stores it
// in a third word instead. Leaves have no record of their own: the parent's
// flag says the child is a leaf, and the child's address is its values. A
// `<=` node is stored as `<` against the next float32 up, which is exact
// for every non-NaN float32 x: x <= t if and only if x < nextUp(t).
type layout struct {
	features, classes, outputs int
	objective                  model.Objective
	maxBatch, stride           int
	raw, proj, std             uint32
	accv                       uint32 // the SIMD detector's accumulators between chunk calls
	pairs                      uint32 // the SIMD detector's input pairs (detector.go)
	input, output              uint32
	dataBase                   uint32
	data                       []byte
	base, benign               uint32
	trees, treesEnd            uint32
	anyVector, anyScalar       bool
	anyInSet                   bool
	// node encoding (see lower)
	featBits, shift int
	rec             uint32
	wide            bool
	// detector (its inputs' constants are immediates in the code,
	// detector.go)
	hasOutlier bool
	components int
	dims       int
	projection uint32
	invCov     uint32
	diagonal   bool
	// simd: the module may use v128 (Compile's default); white: the
	// detector is scored from the whitened projection (whiten), with
	// v128 arithmetic
	simd, white bool
	threshold   float64
	pages       uint32
	// trees as code (treecode.go): code is true when the trees are
	// emitted as branches; chunks are the [first, end) tree ranges of
	// the functions that hold them. m is the model, nodeAt each tree's
	// first node address, offs each node's byte offset in its tree's
	// stream and catAt each tree's category sets.
	code   bool
	chunks [][2]int
	// top: the top tier's kernels (TopTier, topkernel.go)
	top    bool
	m      *model.Model
	nodeAt []uint32
	offs   [][]uint32
	catAt  []uint32
}

func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// lower computes the layout of a valid model, in passes: the scratch
// areas, the node encoding, the tree form, the size check, then the data
// segment's tables in address order.
func lower(m *model.Model, simd bool, form TreeForm, top bool) (*layout, error) {
	l := &layout{
		m:         m,
		top:       top,
		simd:      simd,
		features:  len(m.Schema.Features),
		classes:   len(m.Classes),
		outputs:   m.Ensemble.Outputs,
		objective: m.Ensemble.Objective,
	}
	if m.Outlier != nil {
		l.components = m.Outlier.Components
		l.dims = len(m.Outlier.Features)
	}
	l.placeScratch()
	orders, nCat, nNodes := l.encodeNodes()
	l.planTrees(form)
	size := l.dataSize(nCat, nNodes)
	if total := uint64(l.dataBase) + size; total > abi.MaxMemoryBytes {
		return nil, fmt.Errorf("%w: the model needs %d bytes of memory, more than %d", abi.ErrTooLarge, total, abi.MaxMemoryBytes)
	}
	l.data = make([]byte, 0, size)
	l.putHeader()
	if err := l.putTrees(orders, nCat); err != nil {
		return nil, err
	}
	if m.Outlier != nil {
		l.putDetector(m.Outlier)
	}
	end := uint64(l.dataBase) + uint64(len(l.data))
	l.pages = uint32((end + abi.PageBytes - 1) / abi.PageBytes)
	return l, nil
}

// placeScratch sets the batch size and the scratch and I/O areas below
// the data segment.
func (l *layout) placeScratch() {
	l.stride = abi.OutHeaderBytes + 8*l.classes
	l.maxBatch = abi.MaxIOBytes / (4*l.features + l.stride)
	l.maxBatch = max(1, min(l.maxBatch, abi.DefaultMaxBatch))
	a := uint64(abi.ScratchBase)
	l.raw = uint32(a)
	a = align8(a + 8*uint64(l.outputs)*uint64(l.maxBatch))
	l.proj = uint32(a)
	a = align8(a + 8*uint64(l.components))
	a = (a + 15) &^ 15
	l.std = uint32(a)
	if l.m.Outlier != nil {
		// a spare slot (the SIMD detector writes its inputs in pairs) and
		// zeros up to whole chunks of chunkInputs (it reads them so)
		a = align8(a + 8*uint64(max(l.dims+1, padRows(l.dims))))
		a = (a + 15) &^ 15
		l.accv = uint32(a)
		a += 16 * simdBlock / 2
	}
	a = (a + 15) &^ 15
	l.input = uint32(a)
	a = align8(a + 4*uint64(l.features)*uint64(l.maxBatch))
	l.output = uint32(a)
	a = align8(a + uint64(l.stride)*uint64(l.maxBatch))
	l.dataBase = uint32(a)
}

// encodeNodes chooses the node encoding: the feature's byte offset in the
// low bits of a node's info word, four flags above it, the right child's
// distance (in words) above those; a module whose distances do not fit
// stores them in a third word instead (wide nodes). It sets each node's
// offset in its tree's stream (l.offs) and returns the trees' preorders,
// the category words and the node bytes of the module.
func (l *layout) encodeNodes() (orders [][]int32, nCat, nNodes uint64) {
	trees := l.m.Ensemble.Trees
	l.featBits = max(2, bits.Len32(uint32(4*(l.features-1))))
	l.shift = l.featBits + 4
	l.rec = 8
	orders = make([][]int32, len(trees))
	l.offs = make([][]uint32, len(trees))
	for i := range trees {
		t := &trees[i]
		orders[i] = preorder(t)
		for n, f := range t.Feature {
			if f >= 0 && t.Op[n] == model.InSet {
				l.anyInSet = true
			}
		}
		nCat += uint64(len(t.CatBits))
		if t.Output < 0 {
			l.anyVector = true
		} else {
			l.anyScalar = true
		}
	}
	for {
		fits := true
		nNodes = 0
		for i := range trees {
			t := &trees[i]
			off, size := streamOffsets(t, orders[i], l.rec, 4*uint32(t.Width(l.outputs)))
			l.offs[i] = off
			nNodes += uint64(size)
			for n, f := range t.Feature {
				if f >= 0 && uint64(off[t.Right[n]]-off[n])/4 >= 1<<(32-l.shift) {
					fits = false
				}
			}
		}
		if fits || l.wide {
			return orders, nCat, nNodes
		}
		l.wide, l.rec = true, 12
	}
}

// dataSize bounds the data segment's bytes (its capacity).
func (l *layout) dataSize(nCat, nNodes uint64) uint64 {
	size := 8*uint64(l.outputs) + 4*uint64(l.classes)
	size = align8(size) + 8*uint64(len(l.m.Ensemble.Trees))
	size += 4*nCat + nNodes
	if l.m.Outlier != nil {
		d, k := uint64(l.dims), uint64(l.components)
		size = align8(size) + 16 + pairRec*(d/2+1) + 8*uint64(padRows(int(d)))*(k+simdBlock) + 8*k*k + 8*d + 16
	}
	return size
}

// The data segment is written in address order by these helpers.
func (l *layout) addr() uint32 { return l.dataBase + uint32(len(l.data)) }

// padTo pads the data to an address that is a multiple of n.
func (l *layout) padTo(n uint32) {
	for l.addr()%n != 0 {
		l.data = append(l.data, 0)
	}
}

func (l *layout) put32(v uint32) { l.data = binary.LittleEndian.AppendUint32(l.data, v) }

func (l *layout) put64(v float64) {
	l.data = binary.LittleEndian.AppendUint64(l.data, math.Float64bits(v))
}

// putHeader writes the base scores and the benign flags.
func (l *layout) putHeader() {
	l.base = l.addr()
	for _, v := range l.m.Ensemble.BaseScore {
		l.put64(float64(v))
	}
	l.benign = l.addr()
	for c := 0; c < l.classes; c++ {
		b := uint32(0)
		if l.m.IsBenign(c) {
			b = 1
		}
		l.put32(b)
	}
	l.padTo(8)
}

// putTrees writes the tree table, the category sets and every tree's
// nodes in preorder with the leaves' values in place.
func (l *layout) putTrees(orders [][]int32, nCat uint64) error {
	trees := l.m.Ensemble.Trees
	l.trees = l.addr()
	l.treesEnd = l.trees + 8*uint32(len(trees))
	nodesAt := l.treesEnd + 4*uint32(nCat)
	// tree table: root address (bit 31: the root is a leaf), output
	nodeAddr := nodesAt
	for i := range trees {
		t := &trees[i]
		root := nodeAddr
		if t.Feature[0] < 0 {
			root |= 1 << 31
		}
		l.put32(root)
		if t.Output < 0 {
			l.put32(math.MaxUint32) // -1
		} else {
			l.put32(uint32(t.Output) * 8)
		}
		last := orders[i][len(orders[i])-1]
		nodeAddr += l.offs[i][last] + l.nodeBytes(t, last)
	}
	l.catAt = make([]uint32, len(trees))
	l.nodeAt = make([]uint32, len(trees))
	for i := range trees {
		l.catAt[i] = l.addr()
		for _, v := range trees[i].CatBits {
			l.put32(v)
		}
	}
	if l.addr() != nodesAt {
		return fmt.Errorf("wasm: internal error: category sets end at %d, want %d", l.addr(), nodesAt)
	}
	for i := range trees {
		l.nodeAt[i] = l.addr()
		l.putNodes(&trees[i], orders[i], l.offs[i], l.catAt[i])
	}
	return nil
}

// putNodes writes one tree's records in preorder.
func (l *layout) putNodes(t *model.Tree, order []int32, offs []uint32, catBase uint32) {
	w := t.Width(l.outputs)
	for _, n := range order {
		f := t.Feature[n]
		if f < 0 {
			for _, v := range t.Value[int(n)*w : int(n)*w+w] {
				l.put32(math.Float32bits(v))
			}
			continue
		}
		info := uint32(f) * 4
		if t.DefaultLeft[n] {
			info |= l.flagDL()
		}
		if t.Feature[t.Left[n]] < 0 {
			info |= l.flagLeftLeaf()
		}
		if t.Feature[t.Right[n]] < 0 {
			info |= l.flagRightLeaf()
		}
		var thr uint32
		switch t.Op[n] {
		case model.Less:
			thr = math.Float32bits(t.Threshold[n])
		case model.LessEqual:
			thr = math.Float32bits(math.Nextafter32(t.Threshold[n], float32(math.Inf(1))))
		default:
			info |= l.flagInSet()
			thr = catBase + 4*uint32(t.CatBegin[n])
		}
		right := offs[t.Right[n]] - offs[n]
		l.put32(thr)
		if l.wide {
			l.put32(info)
			l.put32(right)
		} else {
			l.put32(info | right/4<<l.shift)
		}
	}
}

// putDetector writes the detector's inputs, then its projection: whitened
// for v128 arithmetic when whitenIf accepts it, else the projection and
// the inverse covariance.
func (l *layout) putDetector(o *model.Outlier) {
	k, d := l.components, l.dims
	l.hasOutlier = true
	l.threshold = o.Threshold
	if w, ok := whitenIf(l.simd, o); ok {
		// the whitened projection W in blocks of simdBlock components
		// (the last block narrower, padded with a zero column to an even
		// width), each block row by row: emitWhitened's order
		l.white = true
		l.padTo(16)
		l.putPairs(o)
		l.projection = l.addr()
		for c0 := 0; c0 < k; c0 += simdBlock {
			bw := min(simdBlock, k-c0)
			for j := 0; j < padRows(d); j++ {
				for i := 0; i < bw+bw%2; i++ {
					if i < bw && j < d {
						l.put64(w[j*k+c0+i])
					} else {
						l.put64(0)
					}
				}
			}
		}
		return
	}
	// the projection in blocks of four components (the last block
	// narrower), each block row by row: the order emitDetector reads
	l.projection = l.addr()
	for c0 := 0; c0 < k; c0 += 4 {
		w := min(4, k-c0)
		for j := 0; j < d; j++ {
			for i := 0; i < w; i++ {
				l.put64(o.Projection[j*k+c0+i])
			}
		}
	}
	l.invCov = l.addr()
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
			l.put64(o.InvCov[a*k+a])
		}
	} else {
		for _, v := range o.InvCov {
			l.put64(v)
		}
	}
}

// preorder lists a tree's nodes root first, each node's left subtree
// before its right.
func preorder(t *model.Tree) []int32 {
	order := make([]int32, 0, t.Len())
	stack := []int32{0}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, n)
		if t.Feature[n] >= 0 {
			stack = append(stack, t.Right[n], t.Left[n])
		}
	}
	return order
}

// streamOffsets gives each node's byte offset in its tree's stream
// (internal nodes rec bytes, leaves their values) and the stream's size.
func streamOffsets(t *model.Tree, order []int32, rec, leaf uint32) ([]uint32, uint32) {
	off := make([]uint32, t.Len())
	a := uint32(0)
	for _, n := range order {
		off[n] = a
		if t.Feature[n] < 0 {
			a += leaf
		} else {
			a += rec
		}
	}
	return off, a
}

func (l *layout) nodeBytes(t *model.Tree, n int32) uint32 {
	if t.Feature[n] < 0 {
		return 4 * uint32(t.Width(l.outputs))
	}
	return l.rec
}

// Node info flags, just above the feature offset.
func (l *layout) flagDL() uint32        { return 1 << l.featBits }
func (l *layout) flagInSet() uint32     { return 1 << (l.featBits + 1) }
func (l *layout) flagLeftLeaf() uint32  { return 1 << (l.featBits + 2) }
func (l *layout) flagRightLeaf() uint32 { return 1 << (l.featBits + 3) }
func (l *layout) featMask() uint32      { return 1<<l.featBits - 1 }

// whitenIf is whiten for a SIMD module; an MVP module keeps the native
// form (and skips the Cholesky).
func whitenIf(simd bool, o *model.Outlier) ([]float64, bool) {
	if !simd {
		return nil, false
	}
	return whiten(o)
}

// simdBlock is the number of detector components the SIMD detector sums
// at once: eight v128 accumulators of two f64 lanes, which with the
// splatted input and a product fit amd64's 16 vector registers. Measured
// (bench/instructions.sh, CIC-IDS2017 shape): 8 components per block cost
// 7.6 instructions per multiply-add, 16 cost 6.5.
const simdBlock = 16

// whiten folds the detector's inverse covariance into its projection:
// with InvCov = L·Lᵀ (Cholesky; the square root of the diagonal when
// InvCov is diagonal, as the trainer writes it), the score
// pᵀ·InvCov·p with p = Pᵀu is ‖Lᵀp‖² = Σ_c (Σ_j u_j W_jc)² for W = P·L
// (d×k, row-major): d·k multiply-adds instead of d·k + k², and a sum of
// squares, so no cancellation where the native form has none.
//
// It declines (ok false) when InvCov is not symmetric positive
// (semi)definite, or when some input could make a sum overflow: then the
// native predictor's order of operations decides which non-finite value
// comes out, so the module keeps the native form. The bound takes every
// input at its largest magnitude (the clip bounds, log1p(MaxFloat32), or
// MaxFloat32).
func whiten(o *model.Outlier) ([]float64, bool) {
	d, k := len(o.Features), o.Components
	inv := o.InvCov
	lw := make([]float64, k*k) // L, row-major, lower triangular
	diagonal := true
	for a := 0; a < k && diagonal; a++ {
		for b := 0; b < k; b++ {
			if a != b && inv[a*k+b] != 0 {
				diagonal = false
				break
			}
		}
	}
	if diagonal {
		for a := 0; a < k; a++ {
			if !(inv[a*k+a] >= 0) {
				return nil, false
			}
			lw[a*k+a] = math.Sqrt(inv[a*k+a])
		}
	} else {
		for a := 0; a < k; a++ {
			for b := 0; b <= a; b++ {
				if inv[a*k+b] != inv[b*k+a] {
					return nil, false
				}
				s := inv[a*k+b]
				for c := 0; c < b; c++ {
					s -= lw[a*k+c] * lw[b*k+c]
				}
				if a == b {
					if !(s > 0) {
						return nil, false
					}
					lw[a*k+a] = math.Sqrt(s)
				} else {
					lw[a*k+b] = s / lw[b*k+b]
				}
			}
		}
	}
	w := make([]float64, d*k)
	for j := 0; j < d; j++ {
		for c := 0; c < k; c++ {
			var s float64
			for a := c; a < k; a++ {
				s += o.Projection[j*k+a] * lw[a*k+c]
			}
			w[j*k+c] = s
		}
	}
	// overflow bound on both forms: |u_j| <= ub_j, then |p_c|, |z_c|
	ub := make([]float64, d)
	for j := range ub {
		m := float64(math.MaxFloat32)
		if o.Log1p != nil && o.Log1p[j] {
			m = math.Log1p(m)
		}
		if o.Clip != nil {
			m = min(m, max(math.Abs(o.Clip.Low[j]), math.Abs(o.Clip.High[j])))
		}
		ub[j] = (m + math.Abs(o.Mean[j])) / o.Scale[j]
	}
	const limit = 1e150
	var sp, sz, maxInv float64
	for c := 0; c < k; c++ {
		var bp, bz float64
		for j := 0; j < d; j++ {
			bp += ub[j] * math.Abs(o.Projection[j*k+c])
			bz += ub[j] * math.Abs(w[j*k+c])
		}
		sp += bp
		sz += bz
	}
	for _, v := range inv {
		maxInv = max(maxInv, math.Abs(v))
	}
	if !(sp < limit && sz < limit && maxInv < limit && sp*sp*maxInv < 1e300) {
		return nil, false
	}
	return w, true
}
