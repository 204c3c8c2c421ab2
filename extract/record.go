package extract

import (
	"math"
	"net/netip"
	"strconv"
	"time"
)

// String is the column name, as in the CIC-IDS2017 header.
func (f Feature) String() string {
	if f >= 0 && int(f) < numFeatures {
		return featureNames[f]
	}
	return "Feature(" + strconv.Itoa(int(f)) + ")"
}

// EndReason says why a flow was emitted.
type EndReason uint8

const (
	// EndTimeout: a packet of the flow's 5-tuple came more than the flow
	// timeout after the flow's first packet, or the capture's clock passed
	// that point (the flow can take no more packets).
	EndTimeout EndReason = iota
	// EndNewConnection: a SYN after the connection was torn down (both
	// FINs and the last ACK, or an RST) started a new flow.
	EndNewConnection
	// EndICMPChange: an ICMP packet whose type and code both differ from
	// the flow's first packet started a new flow.
	EndICMPChange
	// EndCapture: the capture ended with the flow open.
	EndCapture
	// EndEarly: the flow reached Options.Early packets; it goes on
	// (its later packets are absorbed) but is not emitted again.
	EndEarly
	// EndEvicted: the flow table was full (Options.MaxFlows) and this was
	// the oldest flow. Not a reference behaviour: the reference keeps every
	// flow until the capture ends.
	EndEvicted
)

var endNames = [...]string{"timeout", "new-connection", "icmp-change", "capture-end", "early", "evicted"}

func (r EndReason) String() string {
	if int(r) < len(endNames) {
		return endNames[r]
	}
	return "EndReason(" + strconv.Itoa(int(r)) + ")"
}

// Flow is one emitted flow record: its identity, the 81 features of the
// CIC-IDS2017 columns, and frame-level counts that are not columns but let
// a caller check the flow against byte-counting tools (tshark, Argus).
// A Flow is a value; its fields are the caller's.
type Flow struct {
	// Src sent the flow's first packet (for a continued TCP connection,
	// the first packet of the connection's first flow).
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	// Protocol is 6 (TCP), 17 (UDP), 1 (ICMP), 58 (ICMPv6, only with IPv6
	// enabled) or 0 for every other IP protocol, as the reference keys it.
	Protocol uint8
	// StartMicros is the first packet's time in microseconds since the Unix
	// epoch (the Timestamp column).
	StartMicros int64
	End         EndReason
	// FwdFrames, BwdFrames and the frame byte counts count captured frames
	// and their original lengths (link-layer headers and padding included)
	// per direction, as tshark and Argus count them.
	FwdFrames, BwdFrames         int64
	FwdFrameBytes, BwdFrameBytes int64

	idSrc, idDst         netip.Addr
	idSrcPort, idDstPort uint16
	values               [numFeatures]float64
}

// Value returns one feature. NaN and ±Inf occur where the reference writes
// them: the IAT statistics and rates of a flow of one packet, or of zero
// duration.
func (f *Flow) Value(x Feature) float64 {
	if x < 0 || int(x) >= numFeatures {
		return math.NaN()
	}
	return f.values[x]
}

// Start is StartMicros as a time in UTC.
func (f *Flow) Start() time.Time { return time.UnixMicro(f.StartMicros).UTC() }

// ID is the Flow ID column: "src-dst-srcport-dstport-protocol" in the
// orientation of the first flow of the 5-tuple in the capture, which is
// not always this flow's (the reference keys continued flows by the key
// they were first stored under).
func (f *Flow) ID() string {
	b := make([]byte, 0, 64)
	return string(f.appendID(b))
}

// FlowKey says which flow a CSV row or a verdict is for: the identifier
// columns of the CSV and a little more, as JSON. It is the key POST
// /predict answers for a capture (functions.FlowKey), the page's extractor
// gives (functions/web/pcapwasm) and the sensor reports.
type FlowKey struct {
	// ID is the Flow ID column.
	ID       string `json:"id"`
	Src      string `json:"src"`
	SrcPort  uint16 `json:"src_port"`
	Dst      string `json:"dst"`
	DstPort  uint16 `json:"dst_port"`
	Protocol uint8  `json:"protocol"`
	// Start is the first packet's time (RFC 3339, microseconds).
	Start      string `json:"start"`
	FwdPackets int64  `json:"fwd_packets"`
	BwdPackets int64  `json:"bwd_packets"`
	// End is why the flow ended (timeout, new-connection, capture-end, ...).
	End string `json:"end"`
}

// Key returns the flow's key.
func (f *Flow) Key() FlowKey {
	return FlowKey{ID: f.ID(), Src: f.Src.String(), SrcPort: f.SrcPort, Dst: f.Dst.String(), DstPort: f.DstPort,
		Protocol: f.Protocol, Start: f.Start().Format(time.RFC3339Nano), FwdPackets: int64(f.Value(TotalFwdPacket)),
		BwdPackets: int64(f.Value(TotalBwdPackets)), End: f.End.String()}
}

func (f *Flow) appendID(b []byte) []byte {
	b = f.idSrc.AppendTo(b)
	b = append(b, '-')
	b = f.idDst.AppendTo(b)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(f.idSrcPort), 10)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(f.idDstPort), 10)
	b = append(b, '-')
	return strconv.AppendUint(b, uint64(f.Protocol), 10)
}

func addr(a [16]byte, v6 bool) netip.Addr {
	if v6 {
		return netip.AddrFrom16(a)
	}
	return netip.AddrFrom4([4]byte{a[0], a[1], a[2], a[3]})
}

// record fills r from the flow's accumulators: dumpFlowBasedFeaturesEx of
// the profile's version. q.tcpOnlyConnectionTime decides which protocols
// add the flow's own duration to Total TCP Flow Time.
func (f *flow) record(r *Flow, q *quirks, end EndReason) {
	r.Src, r.Dst = addr(f.src, f.v6), addr(f.dst, f.v6)
	r.SrcPort, r.DstPort = f.sport, f.dport
	r.idSrc, r.idDst = addr(f.id.src, f.v6), addr(f.id.dst, f.v6)
	r.idSrcPort, r.idDstPort = f.id.sport, f.id.dport
	r.Protocol = f.proto
	r.StartMicros = f.start
	r.End = end
	r.FwdFrames, r.BwdFrames = f.d[0].packets, f.d[1].packets
	r.FwdFrameBytes, r.BwdFrameBytes = f.d[0].wire, f.d[1].wire

	v := &r.values
	fw, bw := &f.d[0], &f.d[1]
	dur := f.duration()
	secs := float64(dur) / 1e6
	n := f.packets()
	v[FlowDuration] = float64(dur)
	v[TotalFwdPacket] = float64(fw.packets)
	v[TotalBwdPackets] = float64(bw.packets)
	v[TotalLengthOfFwdPacket] = fw.length.sum
	v[TotalLengthOfBwdPacket] = bw.length.sum
	lengths(v[FwdPacketLengthMax:FwdPacketLengthStd+1], &fw.length)
	lengths(v[BwdPacketLengthMax:BwdPacketLengthStd+1], &bw.length)
	v[FlowBytesPerSec] = float64(fw.bytes+bw.bytes) / secs // NaN or Inf at zero duration, as in Java
	v[FlowPacketsPerSec] = float64(n) / secs
	v[FlowIATMean] = f.flowIAT.mean() // unguarded: NaN for a single packet
	v[FlowIATStd] = f.flowIAT.std()
	v[FlowIATMax] = f.flowIAT.maximum()
	v[FlowIATMin] = f.flowIAT.minimum()
	iat(v[FwdIATTotal:FwdIATMin+1], &fw.iat, fw.packets)
	iat(v[BwdIATTotal:BwdIATMin+1], &bw.iat, bw.packets)
	v[FwdPSHFlags] = float64(fw.psh)
	v[BwdPSHFlags] = float64(bw.psh)
	v[FwdURGFlags] = float64(fw.urg)
	v[BwdURGFlags] = float64(bw.urg)
	v[FwdRSTFlags] = float64(fw.rst)
	v[BwdRSTFlags] = float64(bw.rst)
	v[FwdHeaderLength] = float64(fw.hdr)
	v[BwdHeaderLength] = float64(bw.hdr)
	v[FwdPacketsPerSec], v[BwdPacketsPerSec] = 0, 0
	if dur > 0 {
		v[FwdPacketsPerSec] = float64(fw.packets) / secs
		v[BwdPacketsPerSec] = float64(bw.packets) / secs
	}
	v[PacketLengthMin] = f.allLen.minimum()
	v[PacketLengthMax] = f.allLen.maximum()
	v[PacketLengthMean] = f.allLen.mean()
	v[PacketLengthStd] = f.allLen.std()
	v[PacketLengthVariance] = f.allLen.variance()
	// f.flags is in bit order (FIN SYN RST PSH ACK URG ECE CWR); the
	// columns put CWR before ECE.
	v[FINFlagCount] = float64(f.flags[0])
	v[SYNFlagCount] = float64(f.flags[1])
	v[RSTFlagCount] = float64(f.flags[2])
	v[PSHFlagCount] = float64(f.flags[3])
	v[ACKFlagCount] = float64(f.flags[4])
	v[URGFlagCount] = float64(f.flags[5])
	v[CWRFlagCount] = float64(f.flags[7])
	v[ECEFlagCount] = float64(f.flags[6])
	v[DownUpRatio] = 0
	if fw.packets > 0 {
		v[DownUpRatio] = float64(bw.packets) / float64(fw.packets)
	}
	v[AveragePacketSize] = 0
	if n > 0 {
		v[AveragePacketSize] = f.allLen.sum / float64(n)
	}
	v[FwdSegmentSizeAvg], v[BwdSegmentSizeAvg] = 0, 0
	if fw.packets != 0 {
		v[FwdSegmentSizeAvg] = fw.length.sum / float64(fw.packets)
	}
	if bw.packets != 0 {
		v[BwdSegmentSizeAvg] = bw.length.sum / float64(bw.packets)
	}
	bulkAverages(v[FwdBytesPerBulkAvg:FwdBulkRateAvg+1], &fw.bulk, q.integerBulk)
	bulkAverages(v[BwdBytesPerBulkAvg:BwdBulkRateAvg+1], &bw.bulk, q.integerBulk)
	subflows := [4]int64{fw.packets, fw.bytes, bw.packets, bw.bytes}
	for i, x := range subflows {
		switch {
		case f.sfCount <= 0:
			v[SubflowFwdPackets+Feature(i)] = 0
		case q.subflowEveryPacket:
			v[SubflowFwdPackets+Feature(i)] = float64(x / f.sfCount)
		default:
			v[SubflowFwdPackets+Feature(i)] = float64(x) / float64(f.sfCount)
		}
	}
	v[FWDInitWinBytes] = float64(fw.win)
	v[BwdInitWinBytes] = float64(bw.win)
	v[FwdActDataPkts] = float64(f.actFwd)
	v[FwdSegSizeMin] = float64(f.minSeg)
	guarded(v[ActiveMean:ActiveMin+1], &f.active)
	guarded(v[IdleMean:IdleMin+1], &f.idle)
	v[ICMPCode] = float64(f.icmpCode)
	v[ICMPType] = float64(f.icmpType)
	v[TotalTCPFlowTime] = float64(f.connectionTime(q))
}

// connectionTime is the cumulative connection time the flow is written
// with: the time of the connection before it, plus its own duration for
// the protocols the version accumulates.
func (f *flow) connectionTime(q *quirks) int64 {
	if f.proto == protoTCP || (!q.tcpOnlyConnectionTime && f.proto == protoUDP) {
		return f.cum + f.duration()
	}
	return f.cum
}

// lengths writes max, min, mean and std, or zeros for no packets.
func lengths(v []float64, s *summary) {
	if s.n == 0 {
		v[0], v[1], v[2], v[3] = 0, 0, 0, 0
		return
	}
	v[0], v[1], v[2], v[3] = s.max, s.min, s.mean(), s.std()
}

// iat writes total, mean, std, max and min when the direction has more
// than one packet, else zeros.
func iat(v []float64, s *summary, packets int64) {
	if packets <= 1 || s.n == 0 {
		v[0], v[1], v[2], v[3], v[4] = 0, 0, 0, 0, 0
		return
	}
	v[0], v[1], v[2], v[3], v[4] = s.sum, s.mean(), s.std(), s.max, s.min
}

// guarded writes mean, std, max and min, or zeros for no values.
func guarded(v []float64, s *summary) {
	if s.n == 0 {
		v[0], v[1], v[2], v[3] = 0, 0, 0, 0
		return
	}
	v[0], v[1], v[2], v[3] = s.mean(), s.std(), s.max, s.min
}

// bulkAverages writes bytes per bulk, packets per bulk and the bulk rate
// in bytes per second of bulk time.
func bulkAverages(v []float64, b *bulk, integer bool) {
	v[0], v[1], v[2] = 0, 0, 0
	if b.stateCount != 0 {
		if integer {
			v[0] = float64(b.sizeTotal / b.stateCount)
			v[1] = float64(b.pktCount / b.stateCount)
		} else {
			v[0] = float64(b.sizeTotal) / float64(b.stateCount)
			v[1] = float64(b.pktCount) / float64(b.stateCount)
		}
	}
	if b.duration != 0 {
		rate := float64(b.sizeTotal) / (float64(b.duration) / 1e6)
		if integer {
			rate = javaLong(rate)
		}
		v[2] = rate
	}
}

// javaLong is Java's (long) cast of a double: toward zero, NaN to 0,
// saturating at the long range.
func javaLong(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return math.Trunc(x)
}
