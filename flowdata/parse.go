package flowdata

import (
	"bytes"
	"math"
	"strings"

	"github.com/flowsense/flowsense/model"
)

var nan32 = float32(math.NaN())

// dict interns strings in first-seen order.
type dict struct {
	m     map[string]int32
	names []string
}

func (d *dict) code(b []byte) int32 {
	if c, ok := d.m[string(b)]; ok {
		return c
	}
	return d.add(string(b))
}

func (d *dict) add(s string) int32 {
	if c, ok := d.m[s]; ok {
		return c
	}
	if d.m == nil {
		d.m = make(map[string]int32)
	}
	c := int32(len(d.names))
	d.m[s] = c
	d.names = append(d.names, s)
	return c
}

// maxCached bounds each cache of a parser, so that a stream of distinct
// values (an endless upload) does not grow memory.
const maxCached = 1 << 16

type cached struct {
	v   float32
	s   string
	err error
}

// parser turns records into rows for one layout. Each goroutine has its
// own; the caches hold pure functions of the cell text, so results do not
// depend on which parser saw a cell first.
type parser struct {
	lay      *layout
	file     string
	enc      *model.Encoder
	mapLabel func(string) (string, error)
	labels   map[string]cached   // raw label -> mapped label or error
	cats     []map[string]cached // per output column (schema categories)
	skipBad  bool

	// the row being parsed
	vals  []float32
	txt   []int // field index of a category text (modeCategory, text cells of modeInfer), or -1
	label string
}

func newParser(lay *layout, file string, enc *model.Encoder, mapLabel func(string) (string, error), skipBad bool) *parser {
	return &parser{
		lay: lay, file: file, enc: enc, mapLabel: mapLabel, skipBad: skipBad,
		labels: make(map[string]cached),
		cats:   make([]map[string]cached, len(lay.cols)),
		vals:   make([]float32, len(lay.cols)),
		txt:    make([]int, len(lay.cols)),
	}
}

// isBlank reports whether every field is empty or spaces.
func isBlank(r *record) bool {
	for k := 0; k < r.len(); k++ {
		if len(bytes.TrimSpace(r.field(k))) > 0 {
			return false
		}
	}
	return true
}

// row parses one record into p.vals, p.txt and p.label.
func (p *parser) row(rec *record, line int) error {
	lay := p.lay
	if n := rec.len(); n != lay.nfields {
		col := lay.nfields + 1
		if n < lay.nfields {
			col = n
		}
		return &ParseError{File: p.file, Line: line, Column: col,
			Err: fieldCountError{got: n, want: lay.nfields}}
	}
	// Numbers first, in a loop of their own: most cells are numbers.
	for _, j := range lay.numeric {
		f := lay.cols[j].field
		b := rec.buf[rec.b[2*f]:rec.b[2*f+1]]
		v, ok := fastNumber(b)
		if !ok {
			var err error
			if v, err = parseNumber(b); err != nil {
				return p.cellError(line, f, err)
			}
		}
		p.vals[j] = v
	}
	for _, j := range lay.other {
		c := &lay.cols[j]
		p.txt[j] = -1
		switch c.mode {
		case modeMissing:
			p.vals[j] = nan32
		case modeInfer:
			v, ok := tryNumber(rec.field(c.field))
			if !ok {
				p.txt[j] = c.field
				v = nan32
			}
			p.vals[j] = v
		case modeCategory:
			if len(bytes.TrimSpace(rec.field(c.field))) == 0 {
				p.vals[j] = nan32
			} else {
				p.txt[j] = c.field
			}
		case modeSchemaCategory:
			f := rec.field(c.field)
			r, ok := p.cats[j][string(f)]
			if !ok {
				v, err := p.enc.Value(j, string(f))
				r = cached{v: v, err: err}
				if p.cats[j] == nil {
					p.cats[j] = make(map[string]cached)
				}
				if len(p.cats[j]) < maxCached {
					p.cats[j][string(f)] = r
				}
			}
			if r.err != nil {
				return p.cellError(line, c.field, r.err)
			}
			p.vals[j] = r.v
		}
	}
	p.label = ""
	if lay.label >= 0 {
		f := rec.field(lay.label)
		r, ok := p.labels[string(f)]
		if !ok {
			r = p.mapRawLabel(string(f))
			if len(p.labels) < maxCached {
				p.labels[string(f)] = r
			}
		}
		if r.err != nil {
			return p.cellError(line, lay.label, r.err)
		}
		p.label = r.s
	}
	return nil
}

func (p *parser) mapRawLabel(raw string) cached {
	l := strings.TrimSpace(raw)
	if p.lay.stripDot {
		l = strings.TrimSuffix(l, ".")
	}
	if l == "" {
		return cached{err: ErrMissingLabel}
	}
	if p.mapLabel != nil {
		m, err := p.mapLabel(l)
		return cached{s: m, err: err}
	}
	return cached{s: l}
}

func (p *parser) cellError(line, field int, err error) error {
	return &ParseError{File: p.file, Line: line, Column: field + 1, ColumnName: p.lay.names[field], Err: err}
}

type fieldCountError struct{ got, want int }

func (e fieldCountError) Error() string {
	return ErrFieldCount.Error() + ": got " + itoa(e.got) + ", want " + itoa(e.want)
}

func (e fieldCountError) Unwrap() error { return ErrFieldCount }

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}

// chunkOut is what a worker makes of one chunk: the rows in column-major
// order, with chunk-local category and label codes.
type chunkOut struct {
	rows    int
	cols    [][]float32
	texts   [][]int32 // modeInfer: local text code per row, -1 for a number; nil when none
	dicts   []dict    // modeCategory and modeInfer: local vocabularies
	labels  []int32
	ldict   dict
	skipped []*ParseError
	err     error
}

// process parses a chunk of whole records starting at line.
func (p *parser) process(data []byte, line int) *chunkOut {
	n := len(p.lay.cols)
	// est bounds the rows of the chunk: each kept record but the last ends
	// with a newline, and has nfields-1 commas.
	est := bytes.Count(data, []byte{'\n'}) + 1
	if m := len(data)/max(p.lay.nfields, 1) + 1; m < est {
		est = m
	}
	out := &chunkOut{cols: make([][]float32, n), texts: make([][]int32, n), dicts: make([]dict, n)}
	// One block, column j at [j*est, (j+1)*est), written by index: no
	// slice headers are stored per cell (and so no write barriers).
	block := make([]float32, n*est)
	if p.lay.label >= 0 {
		out.labels = make([]int32, est)
	}
	var it recIter
	it.reset(data, line)
	for {
		rec, ln, ok := it.next()
		if !ok {
			break
		}
		if isBlank(rec) {
			continue
		}
		if err := p.row(rec, ln); err != nil {
			pe := err.(*ParseError)
			if !p.skipBad {
				out.err = pe
				return out
			}
			out.skipped = append(out.skipped, pe)
			continue
		}
		p.commit(out, rec, block, est)
	}
	for j := range out.cols {
		out.cols[j] = block[j*est : j*est+out.rows : j*est+out.rows]
	}
	if out.labels != nil {
		out.labels = out.labels[:out.rows]
	}
	return out
}

// commit writes the parsed row as row out.rows of the chunk.
func (p *parser) commit(out *chunkOut, rec *record, block []float32, est int) {
	r := out.rows
	for j, v := range p.vals {
		block[j*est+r] = v
	}
	for _, j := range p.lay.other {
		v := p.vals[j]
		switch p.lay.cols[j].mode {
		case modeCategory:
			if k := p.txt[j]; k >= 0 {
				v = float32(out.dicts[j].code(bytes.TrimSpace(rec.field(k))))
			}
		case modeInfer:
			if k := p.txt[j]; k >= 0 {
				if out.texts[j] == nil {
					out.texts[j] = make([]int32, r, est)
					for i := range out.texts[j] {
						out.texts[j][i] = -1
					}
				}
				out.texts[j] = append(out.texts[j], out.dicts[j].code(bytes.TrimSpace(rec.field(k))))
			} else if out.texts[j] != nil {
				out.texts[j] = append(out.texts[j], -1)
			}
		}
		block[j*est+r] = v
	}
	if out.labels != nil {
		out.labels[r] = out.ldict.add(p.label)
	}
	out.rows++
}

func trimSpace(b []byte) []byte { return bytes.TrimSpace(b) }
