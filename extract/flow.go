package extract

// tcpState follows a TCP connection's teardown as the corrected
// CICFlowMeter does (its TcpFlowState): a flow that reached stateReady is
// ended by the next SYN of the same 5-tuple, not by the FIN or RST itself,
// so the packets after the first FIN stay in the flow (no "TCP appendix").
type tcpState uint8

const (
	stateOpen      tcpState = iota // no FIN seen (the reference's null)
	stateFirstFIN                  // a FIN in one direction
	stateSecondFIN                 // FINs in both directions
	stateReady                     // the last ACK after both FINs, or an RST
)

// endpoint orientation of a flow: who is "forward".
type orient struct {
	src, dst     [16]byte
	sport, dport uint16
}

func (o orient) reversed() orient {
	return orient{src: o.dst, dst: o.src, sport: o.dport, dport: o.sport}
}

// bulk is one direction's bulk-transfer tracker (updateForwardBulk and
// updateBackwardBulk): runs of at least four payload packets with no gap
// over a second and no packet with payload from the other side between.
type bulk struct {
	startHelper int64
	cntHelper   int64
	sizeHelper  int64
	last        int64 // time of the last payload packet in this direction
	stateCount  int64 // bulks
	pktCount    int64
	sizeTotal   int64
	duration    int64
}

func (b *bulk) update(p *packet, otherLast int64) {
	size := int64(p.payload)
	if otherLast > b.startHelper {
		b.startHelper = 0
	}
	if size <= 0 {
		return
	}
	ts := p.ts
	if b.startHelper == 0 {
		b.startHelper, b.cntHelper, b.sizeHelper, b.last = ts, 1, size, ts
		return
	}
	if float64(ts-b.last)/1e6 > 1.0 { // too much idle time: a new candidate
		b.startHelper, b.last, b.cntHelper, b.sizeHelper = ts, ts, 1, size
		return
	}
	b.cntHelper++
	b.sizeHelper += size
	switch {
	case b.cntHelper == 4: // a new bulk
		b.stateCount++
		b.pktCount += b.cntHelper
		b.sizeTotal += b.sizeHelper
		b.duration += ts - b.startHelper
	case b.cntHelper > 4: // the bulk goes on
		b.pktCount++
		b.sizeTotal += size
		b.duration += ts - b.last
	}
	b.last = ts
}

// side is one direction of a flow: everything a packet in that direction
// updates besides the flow-wide fields, kept together so that a packet
// touches few cache lines.
type side struct {
	packets int64
	bytes   int64 // payload bytes
	hdr     int64 // transport header bytes
	wire    int64 // frame bytes, for cross-checks only
	last    int64 // time of the last packet
	psh     int32
	urg     int32
	fin     int32
	rst     int32
	win     int32 // Init Win Bytes
	length  summary
	iat     summary
	bulk    bulk
}

// flow is one flow's accumulators: BasicFlow's fields, computed by the
// same rules in the same order.
type flow struct {
	// Hot: read or written for every packet.
	orient   // the flow's direction: src sent its first packet (mostly)
	v6       bool
	proto    uint8
	state    tcpState
	early    bool // already emitted by Options.Early
	icmpType int16
	icmpCode int16
	start    int64 // first packet, µs
	lastSeen int64
	startAct int64
	endAct   int64
	sfLast   int64
	sfCount  int64
	actFwd   int64
	minSeg   int64    // Fwd Seg Size Min
	flags    [8]int32 // FIN SYN RST PSH ACK URG ECE CWR, both directions
	allLen   summary  // payload lengths of all packets
	flowIAT  summary
	d        [2]side // forward, backward
	// Cold: written at gaps, or read when the flow is emitted.
	active summary
	idle   summary
	id     orient // the orientation its Flow ID is written in
	cum    int64  // the connection's time before this flow (Total TCP Flow Time)
	seq    uint64
}

func (f *flow) forward(p *packet) bool {
	// BasicFlow compares source addresses only: between two ports of one
	// host every packet is forward.
	return p.src == f.src
}

func dirOf(fwd bool) int {
	if fwd {
		return 0
	}
	return 1
}

// begin is BasicFlow's constructor and firstPacket: o is the flow's
// orientation (the packet's own unless the generator continues an older
// flow or reverses a SYN-ACK).
func (f *flow) begin(p *packet, o, id orient, q *quirks) {
	*f = flow{orient: o, id: id, v6: p.v6, sfLast: -1}
	fwd := f.forward(p)
	f.updateBulk(p, fwd)
	f.countFlags(p)
	f.endAct, f.start, f.lastSeen, f.startAct = p.ts, p.ts, p.ts, p.ts
	f.subflow(p, q)
	f.allLen.add(float64(p.payload))
	s := &f.d[dirOf(fwd)]
	if fwd {
		f.minSeg = int64(p.header)
		if !q.firstPacketUncounted && p.payload >= 1 {
			f.actFwd++
		}
	}
	s.win = int32(p.window)
	s.length.add(float64(p.payload))
	s.hdr = int64(p.header)
	s.last = p.ts
	s.bytes += int64(p.payload)
	s.packets++
	s.wire += int64(p.wire)
	s.countFlags(p, q.firstPacketUncounted)
	f.proto = p.proto
	f.icmpType, f.icmpCode = p.icmpType, p.icmpCode
}

// add is BasicFlow.addPacket.
func (f *flow) add(p *packet, q *quirks) {
	fwd := f.forward(p)
	f.updateBulk(p, fwd)
	f.subflow(p, q)
	f.countFlags(p)
	ts := p.ts
	f.allLen.add(float64(p.payload))
	s := &f.d[dirOf(fwd)]
	if fwd {
		if p.payload >= 1 {
			f.actFwd++
		}
		f.minSeg = min(int64(p.header), f.minSeg)
	} else if q.bwdWindowLast || s.win == 0 {
		s.win = int32(p.window)
	}
	s.length.add(float64(p.payload))
	s.hdr += int64(p.header)
	s.packets++
	s.wire += int64(p.wire)
	s.bytes += int64(p.payload)
	if s.packets > 1 {
		s.iat.add(float64(ts - s.last))
	}
	s.last = ts
	s.countFlags(p, false)
	f.flowIAT.add(float64(ts - f.lastSeen))
	f.lastSeen = ts
}

// countFlags counts the directional PSH, URG, FIN and RST flags; the
// CIC-IDS2017 version counts FIN and RST in addPacket only.
func (s *side) countFlags(p *packet, skipFinRst bool) {
	if p.flags == 0 {
		return
	}
	if p.has(flagPSH) {
		s.psh++
	}
	if p.has(flagURG) {
		s.urg++
	}
	if !skipFinRst {
		if p.has(flagFIN) {
			s.fin++
		}
		if p.has(flagRST) {
			s.rst++
		}
	}
}

func (f *flow) countFlags(p *packet) {
	if p.flags == 0 {
		return
	}
	for i := range f.flags {
		if p.flags&(1<<i) != 0 {
			f.flags[i]++
		}
	}
}

func (f *flow) updateBulk(p *packet, fwd bool) {
	if fwd {
		f.d[0].bulk.update(p, f.d[1].bulk.last)
	} else {
		f.d[1].bulk.update(p, f.d[0].bulk.last)
	}
}

// subflow is detectUpdateSubflows. Its call to updateActiveIdleTime always
// comes after the generator's with the same time, where it changes nothing,
// so it is left out.
func (f *flow) subflow(p *packet, q *quirks) {
	if f.sfLast == -1 {
		f.sfLast = p.ts
	}
	if q.subflowEveryPacket {
		if float64(p.ts)-float64(f.sfLast)/1e6 > 1.0 {
			f.sfCount++
		}
	} else if float64(p.ts-f.sfLast)/1e6 > 1.0 {
		f.sfCount++
	}
	f.sfLast = p.ts
}

// activeIdle is updateActiveIdleTime: a gap over the activity timeout ends
// an active period (recorded if it lasted) and is recorded as idle time.
func (f *flow) activeIdle(now, threshold int64) {
	if now-f.endAct > threshold {
		if f.endAct-f.startAct > 0 {
			f.active.add(float64(f.endAct - f.startAct))
		}
		f.idle.add(float64(now - f.endAct))
		f.startAct, f.endAct = now, now
		return
	}
	f.endAct = now
}

func (f *flow) duration() int64 { return f.lastSeen - f.start }

func (f *flow) packets() int64 { return f.d[0].packets + f.d[1].packets }
