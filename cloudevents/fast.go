package cloudevents

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// Design note: Decode first tries one pass over the bytes that checks the
// JSON as it goes and writes rows directly (fastDecode), for the common
// shapes: flow objects whose keys and string values have no escapes and
// whose values are scalars, value arrays, and arrays of either. Anything
// else (the {"features": ...} wrapper, escapes, a repeated feature, an
// unknown field, a bad value, any error at all) falls back to the general
// decoder, which validates, parses into Go values and owns every error
// message. The two agree on every input (FuzzFastDecode); the fast pass
// saves the validation scan and the intermediate maps, which were most of
// the time of a /predict request (BenchmarkPredictJSON_100flows: 7.0 ms
// before, 2.7 ms with a separate json.Valid pass).

// fastDecode decodes b, or reports ok=false when the general decoder must
// decide. It accepts only valid JSON: strings without escapes or non-ASCII
// bytes, numbers by the strict grammar, and the structure checked byte by
// byte; anything it does not accept goes to the general decoder.
func (d *FlowDecoder) fastDecode(b []byte, buf []float32) (f Flows, ok bool) {
	p := fastParser{b: b, d: d}
	p.ws()
	if p.i >= len(p.b) {
		return Flows{}, false
	}
	switch p.b[p.i] {
	case '{':
		rows := grow(buf, d.nf)
		if !p.object(rows) {
			return Flows{}, false
		}
		return Flows{Rows: rows, N: 1, Single: true}, p.end()
	case '[':
		p.i++
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] == ']' {
			return Flows{}, false
		}
		if c := p.b[p.i]; c != '{' && c != '[' { // one flow by position
			rows := grow(buf, d.nf)
			p.i--
			if !p.values(rows) {
				return Flows{}, false
			}
			return Flows{Rows: rows, N: 1, Single: true}, p.end()
		}
		rows := buf[:0]
		n := 0
		for {
			if d.maxFlows > 0 && n == d.maxFlows {
				return Flows{}, false
			}
			if p.i >= len(p.b) { // "[...," cut short
				return Flows{}, false
			}
			rows = growBy(rows, d.nf)
			row := rows[n*d.nf:]
			switch p.b[p.i] {
			case '{':
				if !p.object(row) {
					return Flows{}, false
				}
			case '[':
				if !p.values(row) {
					return Flows{}, false
				}
			default:
				return Flows{}, false
			}
			n++
			closed, ok := p.sep(']')
			if !ok {
				return Flows{}, false
			}
			if closed {
				return Flows{Rows: rows, N: n}, p.end()
			}
		}
	}
	return Flows{}, false
}

// growBy extends rows by n values.
func growBy(rows []float32, n int) []float32 {
	if cap(rows)-len(rows) >= n {
		return rows[:len(rows)+n]
	}
	return append(rows, make([]float32, n)...)
}

type fastParser struct {
	b     []byte
	i     int
	d     *FlowDecoder
	next  int        // the feature after the one named last
	order [256]int16 // 1 + the feature the previous object named k-th, 0 when none
	small [4]uint64  // the features one object has named, when there are at most 256
	big   []uint64   // the same for a wider schema
}

// clearSeen forgets the features named so far, for a schema of nf.
func (p *fastParser) clearSeen(nf int) {
	if nf <= 64*len(p.small) {
		p.small = [4]uint64{}
		return
	}
	if w := (nf + 63) / 64; len(p.big) < w {
		p.big = make([]uint64, w)
	}
	clear(p.big)
}

// guess is the feature named key, when it is the one the previous object
// named k-th (flows of one batch name their fields in one order) or the
// one after the last (flows name them in schema order): two comparisons
// of names rather than hashing key.
func (p *fastParser) guess(k int, key []byte) (int, bool) {
	names := p.d.names
	if k < len(p.order) {
		if i := int(p.order[k]) - 1; i >= 0 && i < len(names) && names[i] == string(key) {
			return i, true
		}
	}
	if i := p.next; i < len(names) && names[i] == string(key) {
		return i, true
	}
	return 0, false
}

// see marks feature i named and reports whether it was already.
func (p *fastParser) see(i int) (dup bool) {
	w := p.small[:]
	if p.big != nil {
		w = p.big
	}
	bit := uint64(1) << (i % 64)
	dup = w[i/64]&bit != 0
	w[i/64] |= bit
	return dup
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// end reports whether only white space is left.
func (p *fastParser) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// str reads a string without escapes at p.i and returns its bytes.
func (p *fastParser) str() ([]byte, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	j := start
	for ; j+8 <= len(p.b); j += 8 { // 8 bytes at a time up to the first special one
		if m := special8(binary.LittleEndian.Uint64(p.b[j:])); m != 0 {
			j += bits.TrailingZeros64(m) / 8
			break
		}
	}
	for ; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return p.b[start:j], true
		case c == '\\' || c < 0x20 || c >= 0x80: // escapes, non-ASCII: the general decoder
			return nil, false
		}
	}
	return nil, false
}

// special8 has the high bit of each byte of w (8 bytes, the first lowest)
// that may be '"', '\\', a control byte or non-ASCII; the lowest bit set is
// the first such byte (the usual SWAR tests can flag bytes above a true
// match, never below one), and 0 means none of the 8 is.
func special8(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ (ones * '"')
	e := w ^ (ones * '\\')
	return ((q-ones)&^q | (e-ones)&^e | (w-ones*0x20)&^w | w) & highs
}

// object reads a flow object into row.
func (p *fastParser) object(row []float32) bool {
	p.i++ // {
	model.NaNRow(row)
	p.clearSeen(len(row))
	p.next = 0
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		return false // empty object: the general decoder's error
	}
	for k := 0; ; {
		key, ok := p.str()
		if !ok {
			return false
		}
		i, ok := p.guess(k, key)
		if !ok {
			i, ok = p.d.index[string(key)]
		}
		if !ok {
			i = p.d.enc.Index(flowdata.Canonical(string(key)))
			if i < 0 {
				return false
			}
		}
		if p.see(i) {
			return false
		}
		p.next = i + 1
		if k < len(p.order) {
			p.order[k] = int16(i + 1)
		}
		k++
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		v, ok := p.scalar(i)
		if !ok {
			return false
		}
		row[i] = v
		if closed, ok := p.sep('}'); !ok || closed {
			return ok
		}
	}
}

// values reads a flow as an array of values in schema order.
func (p *fastParser) values(row []float32) bool {
	p.i++ // [
	p.ws()
	for k := 0; ; k++ {
		if k >= len(row) {
			return false
		}
		v, ok := p.scalar(k)
		if !ok {
			return false
		}
		row[k] = v
		if closed, ok := p.sep(']'); !ok || closed {
			return ok && k == len(row)-1
		}
	}
}

// sep reads what follows a member or element: a comma (and the space after
// it) to go on, or the closing bracket. ok is false for anything else.
func (p *fastParser) sep(close byte) (closed, ok bool) {
	p.ws()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		p.ws()
		return false, true
	case close:
		p.i++
		return true, true
	}
	return false, false
}

// scalar reads the value of feature i.
func (p *fastParser) scalar(i int) (float32, bool) {
	if p.i >= len(p.b) {
		return 0, false
	}
	enc := p.d.enc
	var v float32
	var err error
	switch c := p.b[p.i]; {
	case c == '"':
		s, ok := p.str()
		if !ok {
			return 0, false
		}
		if v, ok = p.d.text(i, s); !ok {
			return 0, false
		}
	case c == 'n':
		if !p.lit("null") {
			return 0, false
		}
		return float32(math.NaN()), true
	case c == 't':
		if !p.lit("true") {
			return 0, false
		}
		v, err = enc.Number(i, 1)
	case c == 'f':
		if !p.lit("false") {
			return 0, false
		}
		v, err = enc.Number(i, 0)
	case c == '-' || (c >= '0' && c <= '9'):
		f, ok := p.number()
		if !ok {
			return 0, false
		}
		v, err = enc.Number(i, float64(f))
	default:
		return 0, false
	}
	if err != nil {
		return 0, false
	}
	return v, true
}

// number reads a JSON number strictly (the grammar of RFC 8259), as
// model.ParseNumber would.
func (p *fastParser) number() (float32, bool) {
	f, ok := p.number64()
	return float32(f), ok
}

// pow10 holds the powers of ten float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// number64 is number before the rounding to float32. It checks the grammar
// and gathers the decimal mantissa (up to 19 significant digits) and its
// power of ten in the same pass. When the mantissa is at most 2^53 and the
// power within ±22, both are exact float64s and one multiplication or
// division rounds correctly (Clinger's fast path): the bits of
// strconv.ParseFloat. Anything else (more digits, larger powers) is
// strconv.ParseFloat of the text.
func (p *fastParser) number64() (float64, bool) {
	b, start := p.b, p.i
	j := p.i
	neg := j < len(b) && b[j] == '-'
	if neg {
		j++
	}
	var m uint64 // the significant digits read, at most 19 of them
	nd := 0      // how many digits m holds (leading zeros not counted)
	exp := 0     // the power of ten of m's last digit
	// Digits after the 19th are skipped: m is then at least 10^18, above
	// 2^53, so the text goes to ParseFloat anyway.
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
			if nd < 19 {
				m = m*10 + uint64(b[j]-'0')
				nd++
			}
		}
	default:
		return 0, false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return 0, false
		}
		for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
			if nd < 19 {
				m = m*10 + uint64(b[j]-'0')
				if m != 0 { // leading zeros are not significant
					nd++
				}
				exp--
			}
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		eneg := false
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			eneg = b[j] == '-'
			j++
		}
		if j >= len(b) || b[j] < '0' || b[j] > '9' {
			return 0, false
		}
		e := 0
		for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
			if e < 10000 {
				e = e*10 + int(b[j]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	p.i = j
	if m <= 1<<53 && exp >= -22 && exp <= 22 || m == 0 {
		f := float64(m) // exact
		switch {
		case m == 0: // 0 at any power
		case exp > 0:
			f *= pow10[exp]
		case exp < 0:
			f /= pow10[-exp]
		}
		if neg {
			f = -f
		}
		return f, true
	}
	// model.ParseNumber of the same text, which the grammar above has
	// checked: its special words cannot occur, and only a number out of
	// range fails, as ±Inf or 0. The text does not escape, so it is not
	// copied to the heap (up to 32 bytes); ParseNumber's error would keep it.
	f, err := strconv.ParseFloat(string(b[start:j]), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// text is enc.Value(i, string(s)) without copying s, or ok=false when
// that is an error (the general decoder words it).
func (d *FlowDecoder) text(i int, s []byte) (float32, bool) {
	s = bytes.TrimSpace(s)
	f := &d.enc.Schema().Features[i]
	if f.Kind != model.Numeric {
		if len(s) == 0 {
			return float32(math.NaN()), true
		}
		if c, ok := d.codes[i][string(s)]; ok {
			return float32(c), true
		}
		return float32(math.NaN()), f.Unknown != model.UnknownError
	}
	switch string(s) { // as model.ParseNumber
	case "", "NaN", "nan", "NAN", "?":
		return float32(math.NaN()), true
	case "Infinity", "+Infinity", "inf", "+inf", "Inf", "+Inf", "INF":
		return float32(math.Inf(1)), true
	case "-Infinity", "-inf", "-Inf", "-INF":
		return float32(math.Inf(-1)), true
	}
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return float32(v), true
}

func (p *fastParser) lit(s string) bool {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return false
	}
	p.i += len(s)
	return true
}
