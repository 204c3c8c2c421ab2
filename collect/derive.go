package collect

import "math"

// Derive sets the key features (ports, protocol) from the flow's key and
// fills the features that follow from the others, exactly,
// and never overwrites a value the exporter sent (FIELDS.md lists each
// rule):
//
//   - FLOW_DURATION_MILLISECONDS from the first and last packet times;
//   - TCP_FLAGS as CLIENT_TCP_FLAGS | SERVER_TCP_FLAGS;
//   - LONGEST_FLOW_PKT and SHORTEST_FLOW_PKT from MAX_IP_PKT_LEN and
//     MIN_IP_PKT_LEN (nProbe's two pairs measure the same thing);
//   - the NUM_PKTS_* histogram when the shortest and the longest packet
//     fall into one bucket: all packets are in it;
//   - ICMP_TYPE from the destination port of an ICMP record without it
//     (the NetFlow v5 convention: type*256+code), ICMP_IPV4_TYPE from
//     ICMP_TYPE;
//   - the values that are 0 by definition: the TCP features (flags,
//     windows, retransmissions) of a flow that is not TCP, the ICMP
//     features of a flow that is not ICMP.
func Derive(f *Flow) {
	v := &f.Values
	v[L4_SRC_PORT], v[L4_DST_PORT], v[PROTOCOL] = float64(f.SrcPort), float64(f.DstPort), float64(f.Proto)
	if !f.Start.IsZero() {
		f.setIfMissing(FLOW_DURATION_MILLISECONDS, durMs(f.Start, f.End))
	}
	if f.Has(CLIENT_TCP_FLAGS) && f.Has(SERVER_TCP_FLAGS) {
		f.setIfMissing(TCP_FLAGS, float64(uint8(v[CLIENT_TCP_FLAGS])|uint8(v[SERVER_TCP_FLAGS])))
	}
	f.setIfMissing(LONGEST_FLOW_PKT, v[MAX_IP_PKT_LEN])
	f.setIfMissing(SHORTEST_FLOW_PKT, v[MIN_IP_PKT_LEN])
	deriveBuckets(f)
	icmp := f.Proto == 1 || f.Proto == 58
	if icmp && !f.Has(ICMP_TYPE) && f.SrcPort == 0 {
		f.set(ICMP_TYPE, float64(f.DstPort))
	}
	if icmp && f.Has(ICMP_TYPE) {
		f.setIfMissing(ICMP_IPV4_TYPE, math.Floor(v[ICMP_TYPE]/256))
	}
	if !icmp && f.Proto != 0 {
		f.setIfMissing(ICMP_TYPE, 0)
		f.setIfMissing(ICMP_IPV4_TYPE, 0)
	}
	if f.Proto != 6 && f.Proto != 0 {
		for _, x := range []Feature{TCP_FLAGS, CLIENT_TCP_FLAGS, SERVER_TCP_FLAGS, TCP_WIN_MAX_IN, TCP_WIN_MAX_OUT,
			RETRANSMITTED_IN_BYTES, RETRANSMITTED_IN_PKTS, RETRANSMITTED_OUT_BYTES, RETRANSMITTED_OUT_PKTS} {
			f.setIfMissing(x, 0)
		}
	}
}

// bucketUpper are nProbe's packet-size bucket bounds (IP total length):
// up to 128, 256, 512, 1024 and 1514 bytes.
var bucketUpper = [5]float64{128, 256, 512, 1024, 1514}

// bucketOf returns the bucket of a packet length, -1 above 1514, and ok
// false for 512 and 1024: nProbe documents those buckets as "> 256 and <
// 512" and "> 512 and < 1024", which leaves the bounds themselves
// unplaced, so no value is derived for them.
func bucketOf(l float64) (int, bool) {
	if l == 512 || l == 1024 {
		return 0, false
	}
	for i, u := range bucketUpper {
		if l <= u {
			return i, true
		}
	}
	return -1, true
}

func deriveBuckets(f *Flow) {
	first := NUM_PKTS_UP_TO_128_BYTES
	for x := first; x <= NUM_PKTS_1024_TO_1514_BYTES; x++ {
		if f.Has(x) {
			return // the exporter sent the histogram (or part of it)
		}
	}
	lo, hi := f.Values[MIN_IP_PKT_LEN], f.Values[MAX_IP_PKT_LEN]
	pkts := f.Values[IN_PKTS] + f.Values[OUT_PKTS]
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsNaN(pkts) {
		return
	}
	a, ok1 := bucketOf(lo)
	b, ok2 := bucketOf(hi)
	if !ok1 || !ok2 || a != b {
		return
	}
	for i := range bucketUpper {
		n := 0.0
		if i == a {
			n = pkts
		}
		f.set(first+Feature(i), n)
	}
}
