package extract

// key4 and key6 are a flow's 5-tuple with the endpoints in a canonical
// order, so a packet and its reply find the same entry: the reference looks
// a packet up under its forward and its backward key string, which is the
// same thing. They are plain memory (no padding), so the map hashes and
// compares them as bytes; IPv4 keys are 16 bytes.
type key4 struct {
	ab    uint64 // address a in the high half, b in the low half
	ports uint32 // port a in the high half
	proto uint32
}

type key6 struct {
	a, b  [16]byte
	ports uint32
	proto uint32
}

// canonical reports the packet's endpoints in key order: a sorts before
// b by address, then port.
func canonical(p *packet) (a [16]byte, pa uint16, b [16]byte, pb uint16) {
	if less(p.src, p.sport, p.dst, p.dport) {
		return p.src, p.sport, p.dst, p.dport
	}
	return p.dst, p.dport, p.src, p.sport
}

func less(a [16]byte, pa uint16, b [16]byte, pb uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return pa <= pb
}

func be32(b [16]byte) uint64 {
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

// entry is the table's slot for one 5-tuple: the live flow, or after the
// flow was emitted because the clock passed its timeout, a tombstone with
// what the reference's next flow of the 5-tuple would take from it.
type entry struct {
	k4 key4
	k6 *key6 // nil for IPv4
	f  *flow
	id orient // the orientation of the Flow ID, fixed by the first flow
	// tombstone (f == nil)
	tomb    orient
	state   tcpState
	cum     int64 // connection time including the ended flow
	last    int64 // the ended flow's last packet
	tombSeq uint64
}

// queued is a flow (or a tombstone) in an expiry queue, in start order.
type queued struct {
	e     *entry
	seq   uint64
	start int64
}

// Stats counts what the generator saw.
type Stats struct {
	Packets   int64 // packet records read
	IP        int64 // packets that went into flows
	NotIP     int64 // frames of other protocols (ARP, LLDP, ...)
	IPv6      int64 // IPv6 packets skipped by Options.IPv4Only
	Malformed int64 // IP packets whose headers did not decode
	Late      int64 // packets older than the reorder window let through
	Flows     int64 // flow records emitted
	Short     int64 // flows dropped by Options.MinPackets
	Evicted   int64 // flows emitted early because the table was full
	Reordered int64 // packets that came before an earlier-stamped one
}

// generator is FlowGenerator: it assigns packets, in time order, to flows
// and emits each flow when it ends.
type generator struct {
	q        quirks
	timeout  int64 // µs
	activity int64 // µs
	early    int64
	minPkts  int64
	maxFlows int
	maxTombs int
	emit     func(*Flow) error

	t4      map[key4]*entry
	t6      map[key6]*entry
	live    int
	tombs   int
	queue   []queued // live flows by start time; stale items skipped
	qhead   int
	tombQ   []queued // tombstones by creation
	tqhead  int
	seq     uint64
	free    []*flow
	rec     Flow
	stats   *Stats
	clock   int64
	started bool
}

func newGenerator(opt *Options, stats *Stats, emit func(*Flow) error) *generator {
	return &generator{
		q:        opt.Profile.quirks(),
		timeout:  opt.FlowTimeout.Microseconds(),
		activity: opt.ActivityTimeout.Microseconds(),
		early:    int64(opt.Early),
		minPkts:  int64(opt.MinPackets),
		maxFlows: opt.MaxFlows,
		maxTombs: opt.MaxFlows,
		emit:     emit,
		t4:       make(map[key4]*entry, 1024),
		t6:       make(map[key6]*entry),
		stats:    stats,
	}
}

// add takes the next packet in time order.
func (g *generator) add(p *packet) error {
	if !g.started || p.ts > g.clock {
		g.clock, g.started = p.ts, true
	}
	if err := g.expire(p.ts); err != nil {
		return err
	}
	e, fresh := g.lookup(p)
	if fresh {
		// Not part of a flow: a new one in the packet's direction, or the
		// reverse for a SYN-ACK in the current version.
		o := orient{src: p.src, dst: p.dst, sport: p.sport, dport: p.dport}
		if !g.q.synAckKeepsDirection && p.has(flagSYN) && p.has(flagACK) {
			o = o.reversed()
		}
		e.id = o
		return g.open(e, p, o, 0)
	}
	if e.f == nil {
		// The clock ended this 5-tuple's flow by its timeout; the reference
		// would end it now, at this packet, exactly so.
		g.tombs--
		return g.restart(e, p, e.tomb, e.state, e.cum, e.last, p.proto)
	}
	f := e.f
	ts := p.ts
	switch {
	case ts-f.start > g.timeout || (f.state == stateReady && p.has(flagSYN)):
		end := EndTimeout
		if ts-f.start <= g.timeout {
			end = EndNewConnection
		}
		cum := f.connectionTime(&g.q)
		o, state, last, proto := f.orient, f.state, f.lastSeen, f.proto
		if err := g.finish(e, end); err != nil {
			return err
		}
		return g.restart(e, p, o, state, cum, last, proto)
	case p.has(flagFIN):
		f.activeIdle(ts, g.activity)
		f.add(p, &g.q)
		switch f.state {
		case stateOpen:
			f.state = stateFirstFIN
		case stateFirstFIN:
			if f.d[0].fin > 0 && f.d[1].fin > 0 {
				f.state = stateSecondFIN
			}
		}
	case p.has(flagRST):
		f.activeIdle(ts, g.activity)
		f.add(p, &g.q)
		f.state = stateReady
	case p.has(flagACK):
		f.activeIdle(ts, g.activity)
		f.add(p, &g.q)
		if f.state == stateSecondFIN {
			f.state = stateReady
		}
	case (f.proto == protoICMP || f.proto == protoICMPv6) && f.icmpCode != p.icmpCode && f.icmpType != p.icmpType:
		if err := g.finish(e, EndICMPChange); err != nil {
			return err
		}
		o := orient{src: p.src, dst: p.dst, sport: p.sport, dport: p.dport}
		return g.open(e, p, o, 0)
	default:
		f.activeIdle(ts, g.activity)
		f.add(p, &g.q)
	}
	return g.maybeEarly(e)
}

// restart opens the flow after one that ended at packet p: the
// FlowGenerator's timeout branch. o, state, cum and last describe the ended
// flow.
func (g *generator) restart(e *entry, p *packet, o orient, state tcpState, cum, last int64, proto uint8) error {
	ready := state == stateReady && p.has(flagSYN)
	var fresh bool
	if g.q.tcpOnlyConnectionTime {
		fresh = (ready && (!g.q.readySynNeedsNoACK || !p.has(flagACK))) || p.proto != protoTCP
	} else {
		newDialogue := proto == protoUDP && p.ts-last > g.timeout
		fresh = ready || newDialogue || (p.proto != protoTCP && p.proto != protoUDP)
	}
	if fresh {
		n := orient{src: p.src, dst: p.dst, sport: p.sport, dport: p.dport}
		if !g.q.synAckKeepsDirection && p.has(flagSYN) && p.has(flagACK) {
			n = n.reversed()
		}
		return g.open(e, p, n, 0)
	}
	// A connection that outlived the flow timeout: the next flow keeps
	// its direction and carries its time, gap included.
	return g.open(e, p, o, cum+(p.ts-last))
}

// open starts a flow in e with packet p.
func (g *generator) open(e *entry, p *packet, o orient, cum int64) error {
	var f *flow
	if n := len(g.free); n > 0 {
		f, g.free = g.free[n-1], g.free[:n-1]
	} else {
		f = new(flow)
	}
	f.begin(p, o, e.id, &g.q)
	f.cum = cum
	g.seq++
	f.seq = g.seq
	e.f = f
	g.live++
	g.queue = append(g.queue, queued{e: e, seq: f.seq, start: f.start})
	if g.maxFlows > 0 && g.live > g.maxFlows {
		if err := g.evictOldest(); err != nil {
			return err
		}
	}
	return g.maybeEarly(e)
}

func (g *generator) maybeEarly(e *entry) error {
	f := e.f
	if f == nil || g.early <= 0 || f.early || f.packets() < g.early {
		return nil
	}
	f.early = true
	f.record(&g.rec, &g.q, EndEarly)
	g.stats.Flows++
	return g.emit(&g.rec)
}

// finish emits e's flow (unless Options.Early emitted it already) and
// frees it; e keeps no tombstone.
func (g *generator) finish(e *entry, end EndReason) error {
	f := e.f
	e.f = nil
	g.live--
	var err error
	if !f.early && f.packets() < g.minPkts {
		g.stats.Short++
	} else if !f.early {
		f.record(&g.rec, &g.q, end)
		g.stats.Flows++
		err = g.emit(&g.rec)
	}
	g.free = append(g.free, f)
	return err
}

// entomb emits e's flow and leaves a tombstone for the next flow of its
// 5-tuple.
func (g *generator) entomb(e *entry, end EndReason) error {
	f := e.f
	e.tomb, e.state, e.last = f.orient, f.state, f.lastSeen
	e.cum = f.connectionTime(&g.q)
	if err := g.finish(e, end); err != nil {
		return err
	}
	g.seq++
	e.tombSeq = g.seq
	g.tombs++
	g.tombQ = append(g.tombQ, queued{e: e, seq: e.tombSeq})
	return g.trimTombs()
}

// advance moves the clock to now without a packet (Extractor.Advance).
func (g *generator) advance(now int64) error {
	if !g.started || now <= g.clock {
		return nil
	}
	g.clock = now
	return g.expire(now)
}

// expire emits the flows that can take no more packets: those whose first
// packet is more than the flow timeout before now.
func (g *generator) expire(now int64) error {
	for g.qhead < len(g.queue) {
		it := &g.queue[g.qhead]
		e := it.e
		if e.f == nil || e.f.seq != it.seq {
			g.qhead++ // stale: that flow ended otherwise
			continue
		}
		if now-it.start <= g.timeout {
			break
		}
		g.qhead++
		if err := g.entomb(e, EndTimeout); err != nil {
			return err
		}
	}
	g.compact()
	return nil
}

// evictOldest makes room in a full table.
func (g *generator) evictOldest() error {
	for g.qhead < len(g.queue) {
		it := g.queue[g.qhead]
		g.qhead++
		e := it.e
		if e.f == nil || e.f.seq != it.seq {
			continue
		}
		g.stats.Evicted++
		return g.entomb(e, EndEvicted)
	}
	return nil
}

// trimTombs drops the oldest tombstones beyond the limit: their 5-tuples'
// next flows start afresh instead of continuing the connection.
func (g *generator) trimTombs() error {
	for g.maxTombs > 0 && g.tombs > g.maxTombs && g.tqhead < len(g.tombQ) {
		it := g.tombQ[g.tqhead]
		g.tqhead++
		e := it.e
		if e.f != nil || e.tombSeq != it.seq {
			continue
		}
		g.remove(e)
		g.tombs--
	}
	return nil
}

// compact reclaims the consumed heads of the queues.
func (g *generator) compact() {
	if g.qhead > 4096 && g.qhead*2 > len(g.queue) {
		n := copy(g.queue, g.queue[g.qhead:])
		g.queue, g.qhead = g.queue[:n], 0
	}
	if g.tqhead > 4096 && g.tqhead*2 > len(g.tombQ) {
		n := copy(g.tombQ, g.tombQ[g.tqhead:])
		g.tombQ, g.tqhead = g.tombQ[:n], 0
	}
	// Items of flows that ended otherwise pile up behind live ones; drop
	// them when they outnumber the live flows.
	if pending := len(g.queue) - g.qhead; pending > 4096 && pending > 4*g.live {
		w := 0
		for _, it := range g.queue[g.qhead:] {
			if e := it.e; e.f != nil && e.f.seq == it.seq {
				g.queue[w] = it
				w++
			}
		}
		g.queue, g.qhead = g.queue[:w], 0
	}
	if pending := len(g.tombQ) - g.tqhead; pending > 4096 && pending > 4*g.tombs {
		w := 0
		for _, it := range g.tombQ[g.tqhead:] {
			if e := it.e; e.f == nil && e.tombSeq == it.seq {
				g.tombQ[w] = it
				w++
			}
		}
		g.tombQ, g.tqhead = g.tombQ[:w], 0
	}
}

// flush emits every open flow, oldest first: the end of the capture.
func (g *generator) flush() error {
	for ; g.qhead < len(g.queue); g.qhead++ {
		it := g.queue[g.qhead]
		e := it.e
		if e.f == nil || e.f.seq != it.seq {
			continue
		}
		if err := g.finish(e, EndCapture); err != nil {
			g.qhead++
			return err
		}
	}
	g.queue, g.qhead = g.queue[:0], 0
	g.tombQ, g.tqhead = g.tombQ[:0], 0
	clear(g.t4)
	clear(g.t6)
	g.tombs, g.live = 0, 0
	return nil
}

// lookup finds the packet's entry, or makes an empty one (fresh).
func (g *generator) lookup(p *packet) (e *entry, fresh bool) {
	a, pa, b, pb := canonical(p)
	if !p.v6 {
		k := key4{ab: be32(a)<<32 | be32(b), ports: uint32(pa)<<16 | uint32(pb), proto: uint32(p.proto)}
		if e = g.t4[k]; e != nil {
			return e, false
		}
		e = &entry{k4: k}
		g.t4[k] = e
		return e, true
	}
	k := key6{a: a, b: b, ports: uint32(pa)<<16 | uint32(pb), proto: uint32(p.proto)}
	if e = g.t6[k]; e != nil {
		return e, false
	}
	e = &entry{k6: &k}
	g.t6[k] = e
	return e, true
}

// remove deletes an entry from its table.
func (g *generator) remove(e *entry) {
	if e.k6 != nil {
		delete(g.t6, *e.k6)
		return
	}
	delete(g.t4, e.k4)
}
