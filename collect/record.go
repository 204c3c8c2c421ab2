package collect

import (
	"math"
	"net/netip"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"
)

// timeBase converts an export's relative times to absolute ones.
type timeBase struct {
	exportMs int64 // the header's export time, ms since the epoch
	uptimeMs uint32
	hasUp    bool  // v5, v9: sysUptime in the header
	initMs   int64 // IPFIX systemInitTimeMilliseconds from options data
	hasInit  bool
}

// sysUp converts a sysUpTime value (ms since the exporter booted) to ms
// since the epoch; the uint32 difference keeps the wrap after 49.7 days.
func (tb *timeBase) sysUp(v uint32) (int64, bool) {
	switch {
	case tb.hasUp:
		return tb.exportMs - int64(tb.uptimeMs-v), true
	case tb.hasInit:
		return tb.initMs + int64(v), true
	}
	return 0, false
}

// record accumulates one data record's elements before they become a
// Flow. Times are µs since the epoch.
type record struct {
	start, end       int64
	hasStart, hasEnd bool
	upStart, upEnd   uint32 // sysUpTime, ms
	hasUpS, hasUpE   bool
	dStart, dEnd     uint64 // delta µs before export
	hasDS, hasDE     bool
	rstart, rend     int64 // RFC 5103 reverse times
	hasRS, hasRE     bool
	flags, rflags    uint8
	hasFl, hasRFl    bool
	out              bool // nProbe OUT_BYTES/OUT_PKTS present
	rev              bool // RFC 5103 reverse counters present
	rbytes, rpkts    float64
	rMinTTL, rMaxTTL float64
	rMinLen, rMaxLen float64
	icmp, icmpType   float64
}

// uintOf reads an unsigned integer of 1 to 8 bytes (IPFIX reduced-size
// encoding); ok is false for other lengths.
func uintOf(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 8 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, true
}

func ntpMicros(b []byte) (int64, bool) {
	if len(b) != 8 {
		return 0, false
	}
	sec, frac := int64(be32(b)), uint64(be32(b[4:]))
	const ntpToUnix = 2208988800
	return (sec-ntpToUnix)*1e6 + int64(frac*1e6>>32), true
}

func addrOf(b []byte) netip.Addr {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b))
	case 16:
		return netip.AddrFrom16([16]byte(b))
	}
	return netip.Addr{}
}

// mapRecord fills f from a v9 or IPFIX data record.
func mapRecord(f *Flow, vals []netflow.DataField, tb *timeBase) {
	var r record
	r.rMinTTL, r.rMaxTTL, r.rMinLen, r.rMaxLen = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	r.icmp, r.icmpType = math.NaN(), math.NaN()
	r.rbytes, r.rpkts = math.NaN(), math.NaN()
	for i := range vals {
		d := &vals[i]
		b, _ := d.Value.([]byte)
		if d.PenProvided {
			switch d.Pen {
			case penNtop:
				mapNtop(f, &r, d.Type, b)
			case penReverse:
				mapReverse(&r, d.Type, b)
			}
			continue
		}
		if d.Type >= ntopV9Base {
			mapNtop(f, &r, d.Type-ntopV9Base, b)
			continue
		}
		mapStandard(f, &r, d.Type, b)
	}
	r.finish(f, tb)
}

func mapStandard(f *Flow, r *record, typ uint16, b []byte) {
	switch typ {
	case ieSourceIPv4Address, ieSourceIPv6Address:
		f.Src = addrOf(b)
		return
	case ieDestinationIPv4Address, ieDestinationIPv6Address:
		f.Dst = addrOf(b)
		return
	case ieFlowStartMicroseconds, ieFlowStartNanoseconds:
		r.start, r.hasStart = ntpMicros(b)
		return
	case ieFlowEndMicroseconds, ieFlowEndNanoseconds:
		r.end, r.hasEnd = ntpMicros(b)
		return
	}
	v, ok := uintOf(b)
	if !ok {
		return
	}
	x := float64(v)
	switch typ {
	case ieOctetDeltaCount, ieOctetTotalCount:
		f.set(IN_BYTES, x)
	case iePacketDeltaCount, iePacketTotalCount:
		f.set(IN_PKTS, x)
	case ieProtocolIdentifier:
		f.Proto = uint8(v)
	case ieTCPControlBits:
		r.flags, r.hasFl = uint8(v), true // v9 has 1 byte, IPFIX 2 (the low byte is the flags)
	case ieSourceTransportPort:
		f.SrcPort = uint16(v)
	case ieDestinationTransportPort:
		f.DstPort = uint16(v)
	case ieFlowEndSysUpTime:
		r.upEnd, r.hasUpE = uint32(v), true
	case ieFlowStartSysUpTime:
		r.upStart, r.hasUpS = uint32(v), true
	case iePostOctetDeltaCount:
		f.set(OUT_BYTES, x)
		r.out = true
	case iePostPacketDeltaCount:
		f.set(OUT_PKTS, x)
		r.out = true
	case ieMinimumIPTotalLength:
		f.set(MIN_IP_PKT_LEN, x)
	case ieMaximumIPTotalLength:
		f.set(MAX_IP_PKT_LEN, x)
	case ieICMPTypeCodeIPv4, ieICMPTypeCodeIPv6:
		r.icmp = x
	case ieICMPTypeIPv4, ieICMPTypeIPv6:
		r.icmpType = x
	case ieMinimumTTL:
		f.set(MIN_TTL, x)
	case ieMaximumTTL:
		f.set(MAX_TTL, x)
	case ieFlowStartSeconds:
		r.start, r.hasStart = int64(v)*1e6, true
	case ieFlowEndSeconds:
		r.end, r.hasEnd = int64(v)*1e6, true
	case ieFlowStartMilliseconds:
		r.start, r.hasStart = int64(v)*1e3, true
	case ieFlowEndMilliseconds:
		r.end, r.hasEnd = int64(v)*1e3, true
	case ieFlowStartDeltaMicros:
		r.dStart, r.hasDS = v, true
	case ieFlowEndDeltaMicros:
		r.dEnd, r.hasDE = v, true
	case ieFlowDurationMilliseconds:
		f.set(FLOW_DURATION_MILLISECONDS, x)
	case ieFlowDurationMicroseconds:
		f.set(FLOW_DURATION_MILLISECONDS, math.Floor(x/1000))
	}
}

func mapNtop(f *Flow, r *record, id uint16, b []byte) {
	x, ok := ntopFeature[id]
	if !ok {
		return
	}
	v, ok := uintOf(b)
	if !ok {
		return
	}
	f.set(x, float64(v))
}

// mapReverse reads RFC 5103 reverse elements.
func mapReverse(r *record, typ uint16, b []byte) {
	switch typ {
	case ieFlowStartMilliseconds:
		if v, ok := uintOf(b); ok {
			r.rstart, r.hasRS = int64(v)*1e3, true
		}
		return
	case ieFlowEndMilliseconds:
		if v, ok := uintOf(b); ok {
			r.rend, r.hasRE = int64(v)*1e3, true
		}
		return
	}
	v, ok := uintOf(b)
	if !ok {
		return
	}
	x := float64(v)
	switch typ {
	case ieOctetDeltaCount, ieOctetTotalCount:
		r.rev, r.rbytes = true, x
	case iePacketDeltaCount, iePacketTotalCount:
		r.rev, r.rpkts = true, x
	case ieTCPControlBits:
		r.rflags, r.hasRFl = uint8(v), true
	case ieMinimumTTL:
		r.rMinTTL = x
	case ieMaximumTTL:
		r.rMaxTTL = x
	case ieMinimumIPTotalLength:
		r.rMinLen = x
	case ieMaximumIPTotalLength:
		r.rMaxLen = x
	}
}

// finish turns the accumulated times and directional elements into
// features.
func (r *record) finish(f *Flow, tb *timeBase) {
	if !r.hasStart && r.hasUpS {
		if ms, ok := tb.sysUp(r.upStart); ok {
			r.start, r.hasStart = ms*1e3, true
		}
	}
	if !r.hasEnd && r.hasUpE {
		if ms, ok := tb.sysUp(r.upEnd); ok {
			r.end, r.hasEnd = ms*1e3, true
		}
	}
	if !r.hasStart && r.hasDS {
		r.start, r.hasStart = tb.exportMs*1e3-int64(r.dStart), true
	}
	if !r.hasEnd && r.hasDE {
		r.end, r.hasEnd = tb.exportMs*1e3-int64(r.dEnd), true
	}
	if r.hasStart && r.hasEnd && r.end >= r.start {
		f.Start, f.End = time.UnixMicro(r.start), time.UnixMicro(r.end)
	}
	switch {
	case r.rev: // RFC 5103 biflow
		f.Bidirectional = true
		f.setIfMissing(OUT_BYTES, r.rbytes)
		f.setIfMissing(OUT_PKTS, r.rpkts)
		if r.hasFl {
			f.setIfMissing(CLIENT_TCP_FLAGS, float64(r.flags))
		}
		if r.hasRFl {
			f.setIfMissing(SERVER_TCP_FLAGS, float64(r.rflags))
		}
		if r.hasFl || r.hasRFl {
			f.setIfMissing(TCP_FLAGS, float64(r.flags|r.rflags))
		}
		f.Values[MIN_TTL] = minKnown(f.Values[MIN_TTL], r.rMinTTL)
		f.Values[MAX_TTL] = maxKnown(f.Values[MAX_TTL], r.rMaxTTL)
		f.Values[MIN_IP_PKT_LEN] = minKnown(f.Values[MIN_IP_PKT_LEN], r.rMinLen)
		f.Values[MAX_IP_PKT_LEN] = maxKnown(f.Values[MAX_IP_PKT_LEN], r.rMaxLen)
		if !f.Start.IsZero() {
			d := durMs(f.Start, f.End)
			in, out := d, d                               // forward times stand for both directions...
			if r.hasRS && r.hasRE && r.rend >= r.rstart { // ...unless reverse times came
				out = math.Floor(float64(r.rend-r.rstart) / 1e3)
				if s := time.UnixMicro(r.rstart); s.Before(f.Start) {
					f.Start = s
				}
				if e := time.UnixMicro(r.rend); e.After(f.End) {
					f.End = e
				}
			}
			f.setIfMissing(DURATION_IN, in)
			if r.rpkts == 0 {
				out = 0
			}
			f.setIfMissing(DURATION_OUT, out)
		}
	case r.out: // nProbe biflow: its TCP_FLAGS is both directions'
		f.Bidirectional = true
		if r.hasFl {
			f.setIfMissing(TCP_FLAGS, float64(r.flags))
		}
	default: // one direction: what it says is the IN side until paired
		if r.hasFl {
			f.setIfMissing(TCP_FLAGS, float64(r.flags))
			f.setIfMissing(CLIENT_TCP_FLAGS, float64(r.flags))
		}
		if !f.Start.IsZero() {
			f.setIfMissing(DURATION_IN, durMs(f.Start, f.End))
		}
	}
	if !math.IsNaN(r.icmp) {
		f.setIfMissing(ICMP_TYPE, r.icmp)
		f.setIfMissing(ICMP_IPV4_TYPE, math.Floor(r.icmp/256))
	}
	if !math.IsNaN(r.icmpType) {
		f.setIfMissing(ICMP_IPV4_TYPE, r.icmpType)
	}
}

func durMs(s, e time.Time) float64 { return float64(e.Sub(s).Milliseconds()) }

// minKnown is the smaller of two values, NaN when either is missing.
func minKnown(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return math.Min(a, b)
}

func maxKnown(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return math.Max(a, b)
}

// mapV5 fills f from a NetFlow v5 record.
func mapV5(f *Flow, rec *netflowlegacy.RecordsNetFlowV5, tb *timeBase) {
	f.Src = addrFromU32(uint32(rec.SrcAddr))
	f.Dst = addrFromU32(uint32(rec.DstAddr))
	f.SrcPort, f.DstPort, f.Proto = rec.SrcPort, rec.DstPort, rec.Proto
	f.set(IN_BYTES, float64(rec.DOctets))
	f.set(IN_PKTS, float64(rec.DPkts))
	f.set(TCP_FLAGS, float64(rec.TCPFlags))
	f.set(CLIENT_TCP_FLAGS, float64(rec.TCPFlags))
	s, _ := tb.sysUp(rec.First)
	e, _ := tb.sysUp(rec.Last)
	if e >= s {
		f.Start, f.End = time.UnixMilli(s), time.UnixMilli(e)
		f.set(DURATION_IN, float64(e-s))
	}
}

func addrFromU32(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
