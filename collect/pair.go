package collect

import (
	"math"
	"net/netip"
	"time"
)

// Pairer forms bidirectional flows from unidirectional records: a record
// waits up to the pairing window for the record of the reverse direction
// (same exporter, observation domain, protocol, addresses and ports
// swapped; for ICMP the addresses alone); the two are merged into one flow from the client's side. A
// record whose reverse does not come in time leaves as a flow whose
// reverse direction had no packets (OUT counters 0). Records that are
// bidirectional already (nProbe's IN/OUT elements, RFC 5103 biflows) pass
// straight through. At most max records wait; beyond that the oldest
// leaves unpaired. Every flow that leaves has been through Derive. A
// Pairer is not safe for concurrent use.
//
// Which side is the client (IN): the record that started earlier; for
// equal start times (exporters such as softflowd give both directions the
// times of the whole connection) the TCP side that alone has SYN, the
// ICMP side that sent a request (echo, timestamp, information, address
// mask), the side with the higher source port, and failing all of these
// the record that arrived first.
type Pairer struct {
	window  time.Duration
	max     int
	pending map[pairKey][]*waiting
	queue   []*waiting
	head    int
	waiting int
}

// maxPerKey bounds the records of one key that wait at once, so that the
// search for a reverse stays short.
const maxPerKey = 8

type pairKey struct {
	exporter netip.AddrPort
	domain   uint32
	proto    uint8
	a, b     netip.Addr
	pa, pb   uint16
}

type waiting struct {
	f        Flow
	key      pairKey
	forward  bool // f.Src is key.a
	deadline time.Time
	done     bool
}

// NewPairer returns a Pairer with the given window (at least 1 ms) and
// bound on waiting records (at least 1).
func NewPairer(window time.Duration, maxWaiting int) *Pairer {
	return &Pairer{window: max(window, time.Millisecond), max: max(maxWaiting, 1), pending: map[pairKey][]*waiting{}}
}

// Waiting is the number of records waiting for their reverse.
func (p *Pairer) Waiting() int { return p.waiting }

func keyOf(f *Flow) (pairKey, bool) {
	k := pairKey{exporter: f.Exporter, domain: f.Domain, proto: f.Proto}
	sp, dp := f.SrcPort, f.DstPort
	if f.Proto == 1 || f.Proto == 58 {
		sp, dp = 0, 0 // a request and its reply differ in type (NetFlow v5 keeps it in the port)
	}
	c := f.Src.Compare(f.Dst)
	if c < 0 || c == 0 && sp <= dp {
		k.a, k.pa, k.b, k.pb = f.Src, sp, f.Dst, dp
		return k, true
	}
	k.a, k.pa, k.b, k.pb = f.Dst, dp, f.Src, sp
	return k, false
}

// Add takes one decoded flow at time now and appends to out the flows
// that are ready: a bidirectional flow at once, a pair when f completes
// one, and the oldest waiting record when the bound is reached. Call
// Expire regularly for the records whose window has passed.
func (p *Pairer) Add(f *Flow, now time.Time, out []Flow) []Flow {
	if f.Bidirectional {
		g := *f
		Derive(&g)
		return append(out, g)
	}
	k, fwd := keyOf(f)
	if ws := p.pending[k]; len(ws) > 0 {
		for i, w := range ws {
			if w.forward == fwd || !overlaps(&w.f, f, p.window) {
				continue
			}
			w.done = true
			p.waiting--
			p.remove(k, i)
			var g Flow
			if clientFirst(&w.f, f) {
				g = merge(&w.f, f)
			} else {
				g = merge(f, &w.f)
			}
			Derive(&g)
			return append(out, g)
		}
	}
	w := &waiting{f: *f, key: k, forward: fwd, deadline: now.Add(p.window)}
	if ws := p.pending[k]; len(ws) >= maxPerKey {
		out = p.leave(ws[0], out) // a key repeated over and over costs no more than maxPerKey
	}
	p.pending[k] = append(p.pending[k], w)
	p.queue = append(p.queue, w)
	p.waiting++
	if p.waiting > p.max {
		out = p.popOldest(out)
	}
	return out
}

// overlaps reports whether two records can be the two directions of one
// flow: their times (where both have them) overlap, give or take the
// window.
func overlaps(a, b *Flow, window time.Duration) bool {
	if a.Start.IsZero() || b.Start.IsZero() {
		return true
	}
	return !a.Start.After(b.End.Add(window)) && !b.Start.After(a.End.Add(window))
}

func (p *Pairer) remove(k pairKey, i int) {
	ws := p.pending[k]
	if len(ws) == 1 {
		delete(p.pending, k)
		return
	}
	p.pending[k] = append(ws[:i:i], ws[i+1:]...)
}

func (p *Pairer) popOldest(out []Flow) []Flow {
	for p.head < len(p.queue) {
		w := p.queue[p.head]
		p.queue[p.head] = nil
		p.head++
		if w.done {
			continue
		}
		return p.leave(w, out)
	}
	return out
}

func (p *Pairer) leave(w *waiting, out []Flow) []Flow {
	w.done = true
	p.waiting--
	for i, o := range p.pending[w.key] {
		if o == w {
			p.remove(w.key, i)
			break
		}
	}
	g := w.f
	unpaired(&g)
	Derive(&g)
	p.compact()
	return append(out, g)
}

// compact drops the queue's consumed prefix now and then.
func (p *Pairer) compact() {
	if p.head > 1024 && p.head*2 > len(p.queue) {
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue, p.head = p.queue[:n], 0
	}
}

// Expire appends the records whose window has passed at now, unpaired.
func (p *Pairer) Expire(now time.Time, out []Flow) []Flow {
	for p.head < len(p.queue) {
		w := p.queue[p.head]
		if !w.done && w.deadline.After(now) {
			break
		}
		p.queue[p.head] = nil
		p.head++
		if !w.done {
			out = p.leave(w, out)
		}
	}
	return out
}

// Flush appends every waiting record, unpaired (at shutdown).
func (p *Pairer) Flush(out []Flow) []Flow {
	for p.waiting > 0 {
		out = p.popOldest(out)
	}
	p.queue, p.head = p.queue[:0], 0
	return out
}

// unpaired completes a record whose reverse never came: the reverse
// direction had no packets, so every OUT feature whose IN counterpart is
// known is 0.
func unpaired(f *Flow) {
	f.Bidirectional = true
	zero := func(out, in Feature) {
		if f.Has(in) {
			f.setIfMissing(out, 0)
		}
	}
	zero(OUT_BYTES, IN_BYTES)
	zero(OUT_PKTS, IN_PKTS)
	zero(SERVER_TCP_FLAGS, CLIENT_TCP_FLAGS)
	zero(DURATION_OUT, DURATION_IN)
	zero(RETRANSMITTED_OUT_BYTES, RETRANSMITTED_IN_BYTES)
	zero(RETRANSMITTED_OUT_PKTS, RETRANSMITTED_IN_PKTS)
	zero(TCP_WIN_MAX_OUT, TCP_WIN_MAX_IN)
	zero(DST_TO_SRC_SECOND_BYTES, SRC_TO_DST_SECOND_BYTES)
	zero(DST_TO_SRC_AVG_THROUGHPUT, SRC_TO_DST_AVG_THROUGHPUT)
}

// clientFirst reports whether a (the record that arrived first) is the
// client's side of the pair a, b.
func clientFirst(a, b *Flow) bool {
	if !a.Start.IsZero() && !b.Start.IsZero() && !a.Start.Equal(b.Start) {
		return a.Start.Before(b.Start)
	}
	switch a.Proto {
	case 6:
		sa, sb := hasSYN(a), hasSYN(b)
		if sa != sb {
			return sa
		}
	case 1, 58:
		ra, rb := icmpRequest(a), icmpRequest(b)
		if ra != rb {
			return ra
		}
	}
	if a.SrcPort != b.SrcPort {
		return a.SrcPort > b.SrcPort
	}
	return true
}

func hasSYN(f *Flow) bool {
	v := f.Values[CLIENT_TCP_FLAGS]
	return !math.IsNaN(v) && uint8(v)&0x02 != 0
}

func icmpRequest(f *Flow) bool {
	v := f.Values[ICMP_TYPE]
	if math.IsNaN(v) {
		v = float64(f.DstPort) // the v5 convention: type*256+code in the destination port
	}
	t := int(v) >> 8
	if f.Proto == 58 {
		return t == 128
	}
	return t == 8 || t == 13 || t == 15 || t == 17
}

// merge makes one flow of the client's record c and the server's record s.
func merge(c, s *Flow) Flow {
	g := *c
	g.Paired, g.Bidirectional = true, true
	if !s.Start.IsZero() && (g.Start.IsZero() || s.Start.Before(g.Start)) {
		g.Start = s.Start
	}
	if s.End.After(g.End) {
		g.End = s.End
	}
	v, w := &g.Values, &s.Values
	v[OUT_BYTES] = w[IN_BYTES]
	v[OUT_PKTS] = w[IN_PKTS]
	v[SERVER_TCP_FLAGS] = w[CLIENT_TCP_FLAGS]
	v[TCP_FLAGS] = orKnown(v[TCP_FLAGS], w[TCP_FLAGS])
	v[DURATION_OUT] = w[DURATION_IN]
	v[RETRANSMITTED_OUT_BYTES] = w[RETRANSMITTED_IN_BYTES]
	v[RETRANSMITTED_OUT_PKTS] = w[RETRANSMITTED_IN_PKTS]
	v[TCP_WIN_MAX_OUT] = w[TCP_WIN_MAX_IN]
	v[DST_TO_SRC_SECOND_BYTES] = w[SRC_TO_DST_SECOND_BYTES]
	v[DST_TO_SRC_AVG_THROUGHPUT] = w[SRC_TO_DST_AVG_THROUGHPUT]
	for _, x := range []Feature{MIN_TTL, MIN_IP_PKT_LEN, SHORTEST_FLOW_PKT} {
		v[x] = minKnown(v[x], w[x])
	}
	for _, x := range []Feature{MAX_TTL, MAX_IP_PKT_LEN, LONGEST_FLOW_PKT} {
		v[x] = maxKnown(v[x], w[x])
	}
	for x := NUM_PKTS_UP_TO_128_BYTES; x <= NUM_PKTS_1024_TO_1514_BYTES; x++ {
		v[x] += w[x] // NaN when either is missing
	}
	if !math.IsNaN(v[FLOW_DURATION_MILLISECONDS]) || !math.IsNaN(w[FLOW_DURATION_MILLISECONDS]) {
		v[FLOW_DURATION_MILLISECONDS] = maxKnown(v[FLOW_DURATION_MILLISECONDS], w[FLOW_DURATION_MILLISECONDS])
	}
	if !g.Start.IsZero() {
		v[FLOW_DURATION_MILLISECONDS] = durMs(g.Start, g.End)
	}
	for _, x := range []Feature{L7_PROTO, ICMP_TYPE, ICMP_IPV4_TYPE, DNS_QUERY_ID, DNS_QUERY_TYPE, DNS_TTL_ANSWER, FTP_COMMAND_RET_CODE} {
		if math.IsNaN(v[x]) {
			v[x] = w[x]
		}
	}
	return g
}

func orKnown(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return float64(uint8(a) | uint8(b))
}
