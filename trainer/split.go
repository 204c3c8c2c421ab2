package trainer

import (
	"math/rand/v2"
	"runtime/debug"
	"slices"
)

// stratifiedSplit returns the row indices of a stratified hold-out: for
// every class, round(frac * n_class) of its rows, drawn at random with the
// given seed, go to the test set; the rest train. Classes with a single
// row stay in training. Both index lists are ascending.
func stratifiedSplit(y []int32, classes int, frac float64, seed uint64) (train, test []int) {
	byClass := make([][]int, classes)
	for i, c := range y {
		byClass[c] = append(byClass[c], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, rows := range byClass {
		nTest := int(frac*float64(len(rows)) + 0.5)
		if len(rows) < 2 {
			nTest = 0
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		test = append(test, rows[:nTest]...)
		train = append(train, rows[nTest:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

// Gather returns the rows idx of column-major cols, in that order (the
// tuner's folds take rows the way Train's split does).
func Gather(cols [][]float32, idx []int) [][]float32 {
	out := make([][]float32, len(cols))
	for j, c := range cols {
		o := make([]float32, len(idx))
		for k, i := range idx {
			o[k] = c[i]
		}
		out[j] = o
	}
	return out
}

// GatherY returns the labels of the rows idx.
func GatherY(y []int32, idx []int) []int32 {
	out := make([]int32, len(idx))
	for k, i := range idx {
		out[k] = y[i]
	}
	return out
}

// StratifiedSplit returns the rows Train keeps for training and holds out
// for testing when it is given no test files, TestFraction frac and
// SplitSeed seed, so that a caller (the tuner) can work on exactly the
// training part.
func StratifiedSplit(y []int32, classes int, frac float64, seed uint64) (train, test []int) {
	return stratifiedSplit(y, classes, frac, seed)
}

// gatherRelease is Gather of the rows tr and te, a column at a time, setting
// each column of cols to nil once gathered, and handing the freed columns
// back to the operating system every releaseBytes: the raw matrix never
// exists twice over (at a million rows of 78 features the RSS sampled
// every half second during the split fell from 598 MB to 394 MB;
// RATIONALE.md, training memory).
func gatherRelease(cols [][]float32, tr, te []int) (train, test [][]float32) {
	train, test = make([][]float32, len(cols)), make([][]float32, len(cols))
	freed := 0
	for j, c := range cols {
		a, b := make([]float32, len(tr)), make([]float32, len(te))
		for k, i := range tr {
			a[k] = c[i]
		}
		for k, i := range te {
			b[k] = c[i]
		}
		train[j], test[j], cols[j] = a, b, nil
		if freed += 4 * len(c); freed >= releaseBytes {
			debug.FreeOSMemory() // a collection: cheap, the columns hold no pointers
			freed = 0
		}
	}
	return train, test
}

// releaseBytes is how many bytes of raw columns gatherRelease frees between
// calls to debug.FreeOSMemory.
const releaseBytes = 64 << 20
