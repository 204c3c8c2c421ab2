package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
)

// Class names. They are the values of the Label column.
const (
	Benign       = "BENIGN"
	SYNFlood     = "SYN Flood"
	PortScan     = "PortScan"
	BruteForce   = "Brute Force"
	SlowDoS      = "Slow DoS"
	Exfiltration = "Exfiltration"
	// NovelClass labels the novel outlier rows requested by Options.Novel.
	// It is not one of Classes() and never appears in the default mix.
	NovelClass = "Unknown Tunnel"
)

// LabelColumn is the name of the label column, the last column of the header.
const LabelColumn = "Label"

// MaxRows bounds Options.Rows, so that a typo cannot ask for a file that
// fills the disk.
const MaxRows = 100_000_000

// classes is the fixed order of the default classes; class indices in this
// package are positions here, and novelIndex follows them.
var classes = [...]string{Benign, SYNFlood, PortScan, BruteForce, SlowDoS, Exfiltration}

const novelIndex = len(classes)

// defaultMix is the share of each class in classes order.
var defaultMix = [...]float64{0.70, 0.07, 0.07, 0.06, 0.05, 0.05}

// Classes returns the names of the classes of the default mix, BENIGN first.
// The slice is a fresh copy.
func Classes() []string { return append([]string(nil), classes[:]...) }

// DefaultMix returns the default class shares (they sum to 1): 70% BENIGN,
// the rest split among the attacks. The map is a fresh copy.
func DefaultMix() map[string]float64 {
	m := make(map[string]float64, len(classes))
	for i, c := range classes {
		m[c] = defaultMix[i]
	}
	return m
}

// Header returns the CSV header Write emits: the identifier columns (Flow ID,
// Src IP, Src Port, Dst IP, Timestamp), which are not features, the flow
// features, and Label last, in the relative order of the re-extracted
// CIC-IDS2017 files. The slice is a fresh copy.
func Header() []string { return append([]string(nil), header[:]...) }

// IdentifierColumns returns the header columns that identify a flow and must
// not be used as features. The slice is a fresh copy.
func IdentifierColumns() []string {
	return []string{"Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp"}
}

// Options says what Write generates. The zero value (with Rows set) is the
// default: seed 0, the default mix, no novel rows.
type Options struct {
	// Rows is the number of data rows (the header is not counted).
	Rows int
	// Seed seeds the random stream.
	Seed uint64
	// Mix gives a relative weight per class name (a name from Classes());
	// the weights need not sum to 1, and a class left out gets no rows. Nil
	// means DefaultMix().
	Mix map[string]float64
	// Novel is the fraction of rows, in [0, 1), labelled NovelClass; the
	// other rows follow Mix. Zero (the default) means none.
	Novel float64
}

// ErrOption is the sentinel of every invalid-option error.
var ErrOption = errors.New("invalid option")

// ErrUnknownClass is returned (wrapped in an *OptionError) for a Mix key that
// is not one of Classes().
var ErrUnknownClass = errors.New("unknown class")

// OptionError reports an invalid field of Options.
type OptionError struct {
	Field string // "Rows", "Novel", "Mix" or `Mix["name"]`
	Value string // the offending value, as text
	Err   error  // ErrOption or ErrUnknownClass
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("synth: %s = %s: %v", e.Field, e.Value, e.Err)
}

func (e *OptionError) Unwrap() error { return e.Err }

// weights checks opt and returns the class weights, indexed like classes
// plus novelIndex, normalised to sum to 1.
func (opt *Options) weights() ([novelIndex + 1]float64, error) {
	var w [novelIndex + 1]float64
	if opt.Rows < 0 || opt.Rows > MaxRows {
		return w, &OptionError{Field: "Rows", Value: strconv.Itoa(opt.Rows), Err: ErrOption}
	}
	if !(opt.Novel >= 0 && opt.Novel < 1) {
		return w, &OptionError{Field: "Novel", Value: fmt.Sprint(opt.Novel), Err: ErrOption}
	}
	if opt.Mix == nil {
		copy(w[:], defaultMix[:])
	} else {
		for name, v := range opt.Mix {
			i := classIndex(name)
			if i < 0 {
				return w, &OptionError{Field: "Mix", Value: strconv.Quote(name), Err: ErrUnknownClass}
			}
			if !(v >= 0) || math.IsInf(v, 1) {
				return w, &OptionError{Field: fmt.Sprintf("Mix[%q]", name), Value: fmt.Sprint(v), Err: ErrOption}
			}
			w[i] = v
		}
	}
	var sum float64
	for _, v := range w[:novelIndex] {
		sum += v
	}
	if !(sum > 0) || math.IsInf(sum, 1) {
		return w, &OptionError{Field: "Mix", Value: fmt.Sprint(opt.Mix), Err: ErrOption}
	}
	for i := range w[:novelIndex] {
		w[i] = w[i] / sum * (1 - opt.Novel)
	}
	w[novelIndex] = opt.Novel
	return w, nil
}

func classIndex(name string) int {
	for i, c := range classes {
		if c == name {
			return i
		}
	}
	return -1
}

func className(i int) string {
	if i == novelIndex {
		return NovelClass
	}
	return classes[i]
}

// counts splits rows among the classes in proportion to w by the largest
// remainder method, so that each class gets its share to within one row.
func counts(rows int, w *[novelIndex + 1]float64) [novelIndex + 1]int {
	var c [novelIndex + 1]int
	var rem [novelIndex + 1]float64
	left := rows
	for i, v := range w {
		x := v * float64(rows)
		c[i] = int(x)
		rem[i] = x - float64(c[i])
		left -= c[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		c[best]++
		rem[best] = -1
	}
	return c
}

// seedStream is the PCG stream selector; it is fixed so that Options.Seed
// alone picks the sequence.
const seedStream = 0x5eed_f10e_5e75_0001

// Write writes a header and opt.Rows labelled flows to w as CSV (comma
// separated, "\n" line ends, no quoting needed). Each class gets its share of
// the rows exactly (to within one row), in a random order. It returns an
// *OptionError for invalid options, before writing anything, and the first
// error of w otherwise.
func Write(w io.Writer, opt Options) error {
	wt, err := opt.weights()
	if err != nil {
		return err
	}
	left := counts(opt.Rows, &wt)
	g := newGen(rand.New(rand.NewPCG(opt.Seed, seedStream)))
	bw := bufio.NewWriterSize(w, 64<<10)
	buf := make([]byte, 0, 1024)
	for i, h := range header {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, h...)
	}
	buf = append(buf, '\n')
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("synth: write header: %w", err)
	}
	total := opt.Rows
	for row := 0; row < opt.Rows; row++ {
		// Draw without replacement from the remaining counts: exact
		// shares, random order, constant memory.
		k := g.r.IntN(total)
		c := 0
		for k >= left[c] {
			k -= left[c]
			c++
		}
		left[c]--
		total--
		buf = g.row(buf[:0], c)
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("synth: write row %d: %w", row+1, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("synth: flush: %w", err)
	}
	return nil
}
