package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// header is the CSV header, a subset of the re-extracted CIC-IDS2017 columns
// in their order: the first seven hold the identifiers interleaved with Dst
// Port and Protocol, then 40 more features, then the label. appendFlow
// writes the cells in this order.
var header = [...]string{
	"Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp",
	"Flow Duration", "Total Fwd Packet", "Total Bwd packets",
	"Total Length of Fwd Packet", "Total Length of Bwd Packet",
	"Fwd Packet Length Max", "Fwd Packet Length Min", "Fwd Packet Length Mean", "Fwd Packet Length Std",
	"Bwd Packet Length Max", "Bwd Packet Length Min", "Bwd Packet Length Mean", "Bwd Packet Length Std",
	"Flow Bytes/s", "Flow Packets/s",
	"Flow IAT Mean", "Flow IAT Std", "Flow IAT Max", "Flow IAT Min",
	"Fwd IAT Total", "Fwd IAT Mean", "Bwd IAT Total", "Bwd IAT Mean",
	"Fwd Packets/s", "Bwd Packets/s",
	"Packet Length Min", "Packet Length Max", "Packet Length Mean", "Packet Length Std",
	"FIN Flag Count", "SYN Flag Count", "RST Flag Count", "PSH Flag Count", "ACK Flag Count",
	"Down/Up Ratio", "Average Packet Size",
	"FWD Init Win Bytes", "Bwd Init Win Bytes",
	"Active Mean", "Idle Mean",
	LabelColumn,
}

// Columns that may be left empty: the features after Timestamp, but not
// the label. Dst Port and Protocol stay filled (a reader is likely to treat
// them as categorical keys).
const (
	firstBlankable = 7
	lastBlankable  = len(header) - 2
)

// blankRate is the probability that a row has one empty feature cell.
const blankRate = 1.0 / 300

// idleTimeout is CICFlowMeter's activity timeout: a gap longer than this
// (microseconds) ends an active period and counts as idle.
const idleTimeout = 5_000_000

// epoch is the timestamp of the first flow (the Monday CIC-IDS2017's capture
// began), in microseconds since the Unix epoch.
var epoch = time.Date(2017, 7, 3, 8, 55, 0, 0, time.UTC).UnixMicro()

// multiset is a small multiset of non-negative integers (packet lengths or
// gaps): one lo, one hi, and the rest split between q and q+1. n is the
// number of members.
type multiset struct {
	n, lo, hi, q, nq, nq1 int64 // nq members equal q, nq1 equal q+1
	total                 int64
}

// spread builds a multiset of n members summing to total with minimum lo and
// maximum hi, repairing lo and hi where they are infeasible. n = 1 gives
// {total}; n = 2 gives {lo, total-lo}.
func spread(n, lo, hi, total int64) multiset {
	if total < 0 {
		total = 0
	}
	m := multiset{n: n, total: total}
	switch {
	case n <= 0:
		m.n, m.total = 0, 0
		return m
	case n == 1:
		m.lo, m.hi = total, total
		return m
	case n == 2:
		lo = clamp(lo, 0, total/2)
		m.lo, m.hi = lo, total-lo
		return m
	}
	hi = clamp(hi, (total+n-1)/n, total)
	lo = clamp(lo, 0, (total-hi)/(n-1))
	rest, k := total-hi-lo, n-2
	if rest > k*hi {
		lo = total - (k+1)*hi
		rest = k * hi
	}
	m.lo, m.hi = lo, hi
	m.q = rest / k
	m.nq1 = rest % k
	m.nq = k - m.nq1
	return m
}

// groups returns the members as (value, count) pairs.
func (m *multiset) groups() [4][2]int64 {
	switch m.n {
	case 0:
		return [4][2]int64{}
	case 1:
		return [4][2]int64{{m.lo, 1}}
	case 2:
		return [4][2]int64{{m.lo, 1}, {m.hi, 1}}
	}
	return [4][2]int64{{m.lo, 1}, {m.hi, 1}, {m.q, m.nq}, {m.q + 1, m.nq1}}
}

func (m *multiset) mean() float64 {
	if m.n == 0 {
		return 0
	}
	return float64(m.total) / float64(m.n)
}

// ssd is the sum of squared deviations of the members from mu.
func (m *multiset) ssd(mu float64) float64 {
	var s float64
	for _, g := range m.groups() {
		if g[1] > 0 {
			d := float64(g[0]) - mu
			s += float64(g[1]) * d * d
		}
	}
	return s
}

// std is the sample standard deviation (0 for fewer than two members).
func (m *multiset) std() float64 {
	if m.n < 2 {
		return 0
	}
	return math.Sqrt(m.ssd(m.mean()) / float64(m.n-1))
}

// above returns how many members exceed t and their sum.
func (m *multiset) above(t int64) (count, sum int64) {
	for _, g := range m.groups() {
		if g[1] > 0 && g[0] > t {
			count += g[1]
			sum += g[1] * g[0]
		}
	}
	return count, sum
}

// nonzero counts the members greater than 0.
func (m *multiset) nonzero() int64 {
	c, _ := m.above(0)
	return c
}

func clamp(x, lo, hi int64) int64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// flow is one flow as a class generator describes it. The row writer derives
// every statistic from it.
type flow struct {
	src, dst     uint32 // IPv4 addresses
	sport, dport int64
	proto        int64
	nf, nb       int64 // packets forward (>= 1) and backward
	// Packet lengths per direction: min, max, total bytes. The writer
	// repairs infeasible combinations (see spread).
	fLo, fHi, fTot int64
	bLo, bHi, bTot int64
	dur            int64 // microseconds
	// Shape of the gaps: the largest gap is gapHi*dur, the smallest is
	// gapLo times the mean of the other gaps.
	gapHi, gapLo float64
	// fSpan, bSpan: Fwd (Bwd) IAT Total as a fraction of dur.
	fSpan, bSpan            float64
	fin, syn, rst, psh, ack int64
	initF, initB            int64
}

// gen holds the random stream and the state carried between rows.
type gen struct {
	r   *rand.Rand
	now int64 // microseconds since the Unix epoch

	sec     int64  // the second secText shows
	secText []byte // the formatted date and time of sec, with the dot
}

func newGen(r *rand.Rand) *gen { return &gen{r: r, now: epoch} }

// row appends one CSV line for a flow of class c to b.
func (g *gen) row(b []byte, c int) []byte {
	var f flow
	switch c {
	case 0:
		g.benign(&f)
	case 1:
		g.synFlood(&f)
	case 2:
		g.portScan(&f)
	case 3:
		g.bruteForce(&f)
	case 4:
		g.slowDoS(&f)
	case 5:
		g.exfiltration(&f)
	default:
		g.tunnel(&f)
	}
	blank := -1
	if g.r.Float64() < blankRate {
		blank = firstBlankable + g.r.IntN(lastBlankable-firstBlankable+1)
	}
	g.now += 1 + int64(g.r.ExpFloat64()*5000)
	return g.appendFlow(b, &f, blank, className(c))
}

// cells appends comma-separated cells, leaving the one at index blank empty.
type cells struct {
	b     []byte
	col   int
	blank int
}

func (w *cells) sep() bool {
	if w.col > 0 {
		w.b = append(w.b, ',')
	}
	w.col++
	return w.col-1 != w.blank
}

func (w *cells) int(v int64) {
	if w.sep() {
		w.b = strconv.AppendInt(w.b, v, 10)
	}
}

func (w *cells) float(v float64) {
	if w.sep() {
		w.b = appendFloat(w.b, v)
	}
}

func (w *cells) str(s string) {
	if w.sep() {
		w.b = append(w.b, s...)
	}
}

func (w *cells) ip(a uint32) {
	if w.sep() {
		w.b = appendIP(w.b, a)
	}
}

// rate appends num/dur per second with Java's double semantics for dur = 0.
func (w *cells) rate(num float64, dur int64) {
	if !w.sep() {
		return
	}
	switch {
	case dur > 0:
		w.b = appendFloat(w.b, num/float64(dur)*1e6)
	case num == 0:
		w.b = append(w.b, "NaN"...)
	default:
		w.b = append(w.b, "Infinity"...)
	}
}

// appendFloat appends v in the shortest plain decimal form that reads back
// exactly (no exponent), integers without a fraction.
func appendFloat(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.AppendInt(b, int64(v), 10) // fast path, same text
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendTime appends t (microseconds since the Unix epoch) as
// "2006-01-02 15:04:05.000000" in UTC, reusing the formatted seconds of the
// previous call when they are the same.
func (g *gen) appendTime(b []byte, t int64) []byte {
	sec, us := t/1e6, t%1e6
	if sec != g.sec || g.secText == nil {
		g.sec = sec
		g.secText = time.Unix(sec, 0).UTC().AppendFormat(g.secText[:0], "2006-01-02 15:04:05.")
	}
	b = append(b, g.secText...)
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + us%10)
		us /= 10
	}
	return append(b, d[:]...)
}

func appendIP(b []byte, a uint32) []byte {
	b = strconv.AppendUint(b, uint64(a>>24), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(a>>16&0xff), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(a>>8&0xff), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(a&0xff), 10)
}

// appendFlow derives the statistics of f and appends its CSV line.
func (g *gen) appendFlow(b []byte, f *flow, blank int, label string) []byte {
	f.nf = max(f.nf, 1) // the first packet defines the forward direction
	f.nb = max(f.nb, 0)
	fwd := spread(f.nf, f.fLo, f.fHi, f.fTot)
	bwd := spread(f.nb, f.bLo, f.bHi, f.bTot)
	n := f.nf + f.nb
	dur := f.dur
	if n < 2 || dur < 0 {
		dur = 0
	}
	k := n - 1 // gaps
	var gaps multiset
	if k > 0 {
		hi := int64(f.gapHi * float64(dur))
		lo := int64(0)
		if k > 1 {
			lo = int64(f.gapLo * float64(dur-hi) / float64(k-1))
		}
		gaps = spread(k, lo, hi, dur)
	}
	span := func(np int64, frac float64) int64 {
		if np < 2 {
			return 0
		}
		return clamp(int64(frac*float64(dur)), (np-1)*gaps.lo, dur)
	}
	fSpan, bSpan := span(f.nf, f.fSpan), span(f.nb, f.bSpan)
	if f.nb == 0 {
		fSpan = dur // every gap is between forward packets
	}
	idleN, idleSum := gaps.above(idleTimeout)

	// All packets: combine the two directions' multisets.
	all := float64(fwd.total + bwd.total)
	var pMin, pMax int64
	switch {
	case f.nb == 0:
		pMin, pMax = fwd.lo, fwd.hi
	default:
		pMin, pMax = min(fwd.lo, bwd.lo), max(fwd.hi, bwd.hi)
	}
	pMean := all / float64(n)
	pStd := 0.0
	if n > 1 {
		pStd = math.Sqrt((fwd.ssd(pMean) + bwd.ssd(pMean)) / float64(n-1))
	}

	w := cells{b: b, blank: blank}
	// Flow ID: src-dst-sport-dport-proto.
	w.sep()
	w.b = appendIP(w.b, f.src)
	w.b = append(w.b, '-')
	w.b = appendIP(w.b, f.dst)
	w.b = append(w.b, '-')
	w.b = strconv.AppendInt(w.b, f.sport, 10)
	w.b = append(w.b, '-')
	w.b = strconv.AppendInt(w.b, f.dport, 10)
	w.b = append(w.b, '-')
	w.b = strconv.AppendInt(w.b, f.proto, 10)
	w.ip(f.src)
	w.int(f.sport)
	w.ip(f.dst)
	w.int(f.dport)
	w.int(f.proto)
	if w.sep() {
		w.b = g.appendTime(w.b, g.now)
	}
	w.int(dur)
	w.int(f.nf)
	w.int(f.nb)
	w.int(fwd.total)
	w.int(bwd.total)
	w.int(fwd.hi)
	w.int(fwd.lo)
	w.float(fwd.mean())
	w.float(fwd.std())
	w.int(bwd.hi)
	w.int(bwd.lo)
	w.float(bwd.mean())
	w.float(bwd.std())
	w.rate(all, dur)
	w.rate(float64(n), dur)
	w.float(gaps.mean())
	w.float(gaps.std())
	w.int(gaps.hi)
	w.int(gaps.lo)
	w.int(fSpan)
	w.float(perGap(fSpan, f.nf))
	w.int(bSpan)
	w.float(perGap(bSpan, f.nb))
	w.rate(float64(f.nf), dur)
	w.rate(float64(f.nb), dur)
	w.int(pMin)
	w.int(pMax)
	w.float(pMean)
	w.float(pStd)
	w.int(min(f.fin, n))
	w.int(min(f.syn, n))
	w.int(min(f.rst, n))
	w.int(min(f.psh, fwd.nonzero()+bwd.nonzero()))
	w.int(min(f.ack, n))
	w.float(float64(f.nb) / float64(f.nf))
	w.float(pMean)
	w.int(f.initF)
	w.int(f.initB)
	if idleN > 0 {
		w.float(float64(dur-idleSum) / float64(idleN+1))
		w.float(float64(idleSum) / float64(idleN))
	} else {
		w.int(0)
		w.int(0)
	}
	w.str(label)
	return append(w.b, '\n')
}

// perGap is span/(packets-1), or 0 for fewer than two packets.
func perGap(span, np int64) float64 {
	if np < 2 {
		return 0
	}
	return float64(span) / float64(np-1)
}
