package flowdata

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/flowsense/flowsense/model"
)

// Format names the shape of a flow table.
type Format string

// Formats.
const (
	// FormatAuto sniffs the format from the first record (the default).
	FormatAuto Format = "auto"
	// FormatCICFlowMeter is a CICFlowMeter flow table with a header
	// (CIC-IDS2017 original or re-extracted, CSE-CIC-IDS2018): names
	// canonicalised, identifiers dropped, every feature numeric.
	FormatCICFlowMeter Format = "cicflowmeter"
	// FormatKDD is KDD Cup 99 / NSL-KDD: no header, 41 features, the label,
	// and for NSL-KDD a difficulty score.
	FormatKDD Format = "kdd"
	// FormatCSV is any labelled CSV with a header. A column is numeric
	// when every cell reads as a number (model.ParseNumber: empty, NaN and
	// ? are missing), categorical otherwise, with every cell's trimmed text
	// a category, number-like cells included (missing cells stay missing).
	// Categories are coded as float32, exact up to 2^24 categories.
	FormatCSV Format = "csv"
)

// Reasons a column is dropped, as recorded in Dataset.Dropped.
const (
	ReasonIdentifier  = "identifier, not a feature"
	ReasonOtherLabel  = "label column other than the label"
	ReasonDuplicate   = "duplicate column"
	ReasonDifficulty  = "NSL-KDD difficulty score, not a feature"
	ReasonDropOption  = "dropped by Options.Drop"
	ReasonNotInSchema = "not in the schema"
	ReasonNotSelected = "not in Options.Features"
)

// Dropped records a column of the file that is not a feature.
type Dropped struct {
	Column string
	Reason string
}

// DroppedGroup is the columns dropped for one reason, quoted and joined
// by ", " in first-seen order.
type DroppedGroup struct{ Reason, Columns string }

// GroupDropped lists dropped columns once per reason, in first-seen order
// (a run's "dropped ..." notes).
func GroupDropped(ds []Dropped) []DroppedGroup {
	var out []DroppedGroup
	at := map[string]int{}
	for _, d := range ds {
		i, ok := at[d.Reason]
		if !ok {
			i = len(out)
			at[d.Reason] = i
			out = append(out, DroppedGroup{Reason: d.Reason})
		} else {
			out[i].Columns += ", "
		}
		out[i].Columns += strconv.Quote(d.Column)
	}
	return out
}

// cellMode says how a field becomes a feature value.
type cellMode uint8

const (
	modeNumber         cellMode = iota // a number, or an error
	modeCategory                       // a category of a vocabulary built while reading
	modeInfer                          // a number or a category, decided by the whole column
	modeSchemaCategory                 // a category coded with the schema's vocabulary
	modeMissing                        // absent from the file: NaN
)

type outCol struct {
	name  string
	field int // -1 for modeMissing
	mode  cellMode
}

// layout maps the fields of a file's records onto the output columns.
type layout struct {
	format    Format
	nfields   int
	names     []string // per field, as written (trimmed)
	label     int      // field index of the label, or -1
	labelName string
	stripDot  bool // KDD labels end with a dot
	cols      []outCol
	dropped   []Dropped
	numeric   []int // indices in cols of modeNumber columns
	other     []int // and of the others
}

// sniff chooses the format of a file from its first record.
func sniff(rec *record) Format {
	// 41 fields is an unlabelled KDD record: predict's input.
	if n := rec.len(); n >= 41 && n <= 43 {
		if isNumber(rec.field(0)) && !isNumber(rec.field(1)) && !isNumber(rec.field(2)) && !isNumber(rec.field(3)) {
			return FormatKDD
		}
	}
	for k := 0; k < rec.len(); k++ {
		switch Canonical(string(rec.field(k))) {
		case "Flow Duration", "Flow IAT Mean":
			return FormatCICFlowMeter
		}
	}
	return FormatCSV
}

// kddHeader returns the field names of a KDD record of n fields.
func kddHeader(n int) []string {
	names := append([]string(nil), kddNames[:]...)
	if n > 41 {
		names = append(names, "label")
	}
	if n > 42 {
		names = append(names, "difficulty")
	}
	return names
}

// newLayout builds the layout of a file of format f whose header (or
// synthesised field names for KDD) is names.
func newLayout(f Format, names []string, opt *Options) (*layout, error) {
	lay := &layout{format: f, nfields: len(names), names: names, label: -1}
	canon := make([]string, len(names))
	keys := make([]string, len(names))
	for i, n := range names {
		n = strings.TrimSpace(strings.TrimPrefix(n, "\ufeff"))
		if n == "" {
			n = fmt.Sprintf("column %d", i+1)
		}
		names[i] = n
		canon[i] = n
		if f == FormatCICFlowMeter {
			canon[i] = Canonical(n)
		}
		keys[i] = key(canon[i])
	}
	if f == FormatKDD {
		if len(names) < 41 || len(names) > 43 {
			return nil, fmt.Errorf("%w: kdd records have 41 to 43 fields, this one has %d", ErrFormat, len(names))
		}
		if len(names) > 41 {
			lay.label = 41
		}
		lay.labelName = "label"
		lay.stripDot = true
	} else {
		lay.label = findLabel(names, canon, opt.Label)
		if lay.label >= 0 {
			lay.labelName = canon[lay.label]
		}
	}
	if lay.label < 0 && opt.Schema == nil {
		want := "Label or class"
		if opt.Label != "" {
			want = fmt.Sprintf("%q", opt.Label)
		}
		return nil, fmt.Errorf("%w: no column %s among %q", ErrNoLabel, want, names)
	}

	// Why each field is not a feature: hard reasons hold even when the
	// field is asked for by name; soft ones only by default.
	hard := make([]string, len(names))
	soft := make([]string, len(names))
	seen := make(map[string]int, len(names))
	dropFound := make([]bool, len(opt.Drop))
	for i, n := range names {
		if i == lay.label {
			continue
		}
		k := keys[i]
		for d, name := range opt.Drop {
			if sameColumn(name, n, canon[i]) {
				dropFound[d] = true
				hard[i] = ReasonDropOption
			}
		}
		if j, ok := seen[k]; ok && hard[i] == "" {
			hard[i] = fmt.Sprintf("%s of column %d", ReasonDuplicate, j+1)
		}
		if _, ok := seen[k]; !ok {
			seen[k] = i
		}
		if hard[i] == "" && f != FormatKDD && (labelLike[k] || labelLike[key(n)]) {
			hard[i] = ReasonOtherLabel
		}
		switch {
		case f == FormatKDD && i == 42:
			soft[i] = ReasonDifficulty
		case f == FormatCICFlowMeter && identifierNames[canon[i]]:
			soft[i] = ReasonIdentifier
		}
	}
	for d, ok := range dropFound {
		if !ok {
			return nil, fmt.Errorf("%w %q (Options.Drop) among %q", ErrNoColumn, opt.Drop[d], names)
		}
	}
	used := make([]bool, len(names))
	// find matches a name asked for with a free field: by its own spelling
	// first, then through the alias table (so that "Fwd Header Len" finds
	// "Fwd Header Len" before "Fwd Header Length").
	find := func(name string) int {
		k := key(name)
		for i := range names {
			if i != lay.label && hard[i] == "" && !used[i] && (k == key(names[i]) || k == keys[i]) {
				return i
			}
		}
		for i := range names {
			if i != lay.label && hard[i] == "" && !used[i] && sameColumn(name, names[i], canon[i]) {
				return i
			}
		}
		return -1
	}
	var missing []string
	switch {
	case opt.Schema != nil:
		for _, ft := range opt.Schema.Features {
			mode := modeNumber
			if ft.Kind == model.Categorical {
				mode = modeSchemaCategory
			}
			i := find(ft.Name)
			if i < 0 {
				if !opt.AllowMissing {
					missing = append(missing, ft.Name)
				}
				lay.cols = append(lay.cols, outCol{name: ft.Name, field: -1, mode: modeMissing})
				continue
			}
			used[i] = true
			lay.cols = append(lay.cols, outCol{name: ft.Name, field: i, mode: mode})
		}
	case len(opt.Features) > 0:
		for _, name := range opt.Features {
			i := find(name)
			if i < 0 {
				missing = append(missing, name)
				continue
			}
			used[i] = true
			lay.cols = append(lay.cols, outCol{name: canon[i], field: i, mode: defaultMode(f, canon[i])})
		}
	default:
		for i := range names {
			if i != lay.label && hard[i] == "" && soft[i] == "" {
				used[i] = true
				lay.cols = append(lay.cols, outCol{name: canon[i], field: i, mode: defaultMode(f, canon[i])})
			}
		}
	}
	if len(missing) > 0 {
		wanted := len(opt.Features)
		if opt.Schema != nil {
			wanted = len(opt.Schema.Features)
		}
		return nil, &MissingFeatureError{Missing: missing, Wanted: wanted, Columns: names, Format: f}
	}
	for i, n := range names {
		if i == lay.label || used[i] {
			continue
		}
		r := hard[i]
		switch {
		case r != "":
		case soft[i] != "":
			r = soft[i]
		case opt.Schema != nil:
			r = ReasonNotInSchema
		default:
			r = ReasonNotSelected
		}
		lay.dropped = append(lay.dropped, Dropped{Column: n, Reason: r})
	}
	for j, c := range lay.cols {
		if c.mode == modeNumber {
			lay.numeric = append(lay.numeric, j)
		} else {
			lay.other = append(lay.other, j)
		}
	}
	return lay, nil
}

func defaultMode(f Format, name string) cellMode {
	switch f {
	case FormatKDD:
		if kddSymbolic[name] {
			return modeCategory
		}
		return modeNumber
	case FormatCICFlowMeter:
		if isCanonical()[name] {
			return modeNumber
		}
	}
	return modeInfer
}

// sameColumn reports whether the name asked for designates the field whose
// header says name and whose canonical name is canon.
func sameColumn(asked, name, canon string) bool {
	k := key(asked)
	return k == key(name) || k == key(canon) || key(Canonical(asked)) == key(canon)
}

// findLabel returns the field index of the label column, or -1.
func findLabel(names, canon []string, want string) int {
	if want != "" {
		for i := range names {
			if sameColumn(want, names[i], canon[i]) {
				return i
			}
		}
		return -1
	}
	for _, w := range []string{"label", "class"} {
		for i, n := range names {
			if key(n) == w {
				return i
			}
		}
	}
	return -1
}

// signature describes a layout's output, for checking that several files
// agree.
func (l *layout) signature() string {
	var b strings.Builder
	fmt.Fprintf(&b, "label=%v", l.label >= 0)
	for _, c := range l.cols {
		fmt.Fprintf(&b, "|%s:%d", c.name, c.mode)
	}
	return b.String()
}
