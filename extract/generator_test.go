package extract

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// teardown is a TCP connection closed by FIN, FIN, ACK, followed by a
// retransmitted FIN (the "TCP appendix" the original CICFlowMeter turned
// into a flow of its own) and a SYN that reuses the 5-tuple.
var teardown = []pk{
	{t: 0, src: cli, dst: srv, sp: 40000, dp: 80, flags: "S", win: 29200, opts: 20},
	{t: ms(1), src: srv, dst: cli, sp: 80, dp: 40000, flags: "SA", win: 28960, opts: 20},
	{t: ms(2), src: cli, dst: srv, sp: 40000, dp: 80, flags: "A", win: 229},
	{t: ms(3), src: cli, dst: srv, sp: 40000, dp: 80, flags: "PA", win: 229, payload: 100},
	{t: ms(10), src: srv, dst: cli, sp: 80, dp: 40000, flags: "PA", win: 235, payload: 500},
	{t: ms(11), src: cli, dst: srv, sp: 40000, dp: 80, flags: "FA", win: 229},
	{t: ms(12), src: srv, dst: cli, sp: 80, dp: 40000, flags: "FA", win: 235},
	{t: ms(13), src: cli, dst: srv, sp: 40000, dp: 80, flags: "A", win: 229},
	{t: ms(14), src: srv, dst: cli, sp: 80, dp: 40000, flags: "FA", win: 236},
	{t: ms(20), src: cli, dst: srv, sp: 40000, dp: 80, flags: "S", win: 29200, opts: 20},
}

func TestTeardownKeepsTheAppendix(t *testing.T) {
	fs, _ := flows(t, Options{}, teardown)
	if len(fs) != 2 {
		t.Fatalf("%d flows, want 2 (the connection with its appendix, then the new SYN)", len(fs))
	}
	f := &fs[0]
	if f.End != EndNewConnection || fs[1].End != EndCapture {
		t.Errorf("end reasons %v, %v; want new-connection, capture-end", f.End, fs[1].End)
	}
	if f.Src.String() != cli || f.SrcPort != 40000 || f.ID() != cli+"-"+srv+"-40000-80-6" {
		t.Errorf("flow %s from %s:%d", f.ID(), f.Src, f.SrcPort)
	}
	if got := f.Start(); !got.Equal(t0) || f.StartMicros != t0.UnixMicro() {
		t.Errorf("start %v, want %v", got, t0)
	}
	want(t, f, map[Feature]float64{
		FlowDuration: 14000, TotalFwdPacket: 5, TotalBwdPackets: 4,
		TotalLengthOfFwdPacket: 100, TotalLengthOfBwdPacket: 500,
		FwdPacketLengthMax: 100, FwdPacketLengthMean: 20, BwdPacketLengthMean: 125,
		FlowBytesPerSec: 600 / 0.014, FlowPacketsPerSec: 9 / 0.014,
		FlowIATMean: 1750, FlowIATMax: 7000, FlowIATMin: 1000,
		FwdIATTotal: 13000, FwdIATMean: 3250, FwdIATMax: 8000, FwdIATMin: 1000,
		BwdIATTotal: 13000, BwdIATMean: 13000.0 / 3, BwdIATMax: 9000, BwdIATMin: 2000,
		FwdPSHFlags: 1, BwdPSHFlags: 1, FwdHeaderLength: 120, BwdHeaderLength: 100,
		PacketLengthMax: 500, PacketLengthMean: 600.0 / 9,
		FINFlagCount: 3, SYNFlagCount: 2, RSTFlagCount: 0, PSHFlagCount: 2, ACKFlagCount: 8,
		DownUpRatio: 0.8, AveragePacketSize: 600.0 / 9, FwdSegmentSizeAvg: 20, BwdSegmentSizeAvg: 125,
		// CIC-IDS2017: the sub-flow count is the packet count, long division.
		SubflowFwdPackets: 0, SubflowFwdBytes: 11, SubflowBwdPackets: 0, SubflowBwdBytes: 55,
		// CIC-IDS2017: the last backward packet's window.
		FWDInitWinBytes: 29200, BwdInitWinBytes: 236, FwdActDataPkts: 1, FwdSegSizeMin: 20,
		ICMPCode: -1, ICMPType: -1, TotalTCPFlowTime: 14000,
	})
	// Standard deviations against a two-pass computation.
	want(t, f, map[Feature]float64{
		FlowIATStd:           sampleStd(1000, 1000, 1000, 7000, 1000, 1000, 1000, 1000),
		FwdIATStd:            sampleStd(2000, 1000, 8000, 2000),
		PacketLengthStd:      sampleStd(0, 0, 0, 100, 500, 0, 0, 0, 0),
		PacketLengthVariance: sampleStd(0, 0, 0, 100, 500, 0, 0, 0, 0) * sampleStd(0, 0, 0, 100, 500, 0, 0, 0, 0),
	})
	// A flow of one packet: the IAT statistics and rates the reference
	// leaves unguarded.
	one := &fs[1]
	want(t, one, map[Feature]float64{
		FlowDuration: 0, TotalFwdPacket: 1, FlowIATMean: math.NaN(), FlowIATStd: math.NaN(),
		FlowIATMax: math.NaN(), FlowIATMin: math.NaN(), FlowBytesPerSec: math.NaN(),
		FlowPacketsPerSec: math.Inf(1), FwdPacketsPerSec: 0, FwdHeaderLength: 40, FwdSegSizeMin: 40,
	})
}

func sampleStd(xs ...float64) float64 {
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - m) * (x - m)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}

func TestCurrentProfileDiffers(t *testing.T) {
	fs, _ := flows(t, Options{Profile: CICFlowMeter}, teardown)
	if len(fs) != 2 {
		t.Fatalf("%d flows", len(fs))
	}
	// Sub-flows split at gaps over a second (none here: one sub-flow is
	// never counted), doubles; the first non-zero backward window.
	want(t, &fs[0], map[Feature]float64{
		SubflowFwdPackets: 0, SubflowFwdBytes: 0, BwdInitWinBytes: 28960, FwdActDataPkts: 1,
	})
}

func TestRSTEndsAtTheNextSYN(t *testing.T) {
	ps := []pk{
		{t: 0, src: cli, dst: srv, sp: 40001, dp: 81, flags: "S", win: 1024, opts: 4},
		{t: ms(1), src: srv, dst: cli, sp: 81, dp: 40001, flags: "RA"},
		{t: ms(2), src: cli, dst: srv, sp: 40001, dp: 81, flags: "A"},  // after the RST: still this flow
		{t: ms(5), src: cli, dst: srv, sp: 40001, dp: 81, flags: "SA"}, // ends it; CIC-IDS2017 continues the connection
		{t: ms(9), src: cli, dst: srv, sp: 40001, dp: 81, flags: "S"},  // not torn down: same flow
		{t: ms(10), src: srv, dst: cli, sp: 81, dp: 40001, flags: "R"},
		{t: ms(11), src: srv, dst: cli, sp: 81, dp: 40001, flags: "RS"}, // a new flow whose first packet is an RST
	}
	fs, _ := flows(t, Options{}, ps)
	if len(fs) != 3 {
		t.Fatalf("%d flows, want 3", len(fs))
	}
	want(t, &fs[0], map[Feature]float64{TotalFwdPacket: 2, TotalBwdPackets: 1, BwdRSTFlags: 1, RSTFlagCount: 1,
		FlowDuration: 2000, TotalTCPFlowTime: 2000})
	// The SYN-ACK after the RST continued the connection: same direction,
	// its time carried (2 ms of flow, 3 ms of gap, 5 ms of its own).
	if fs[1].Src.String() != cli || fs[1].End != EndNewConnection {
		t.Errorf("flow after the SYN-ACK from %s, ended %v; want %s, new-connection", fs[1].Src, fs[1].End, cli)
	}
	want(t, &fs[1], map[Feature]float64{TotalFwdPacket: 2, TotalBwdPackets: 1, BwdRSTFlags: 1, SYNFlagCount: 2,
		TotalTCPFlowTime: 10000})
	// The reference counts a first packet's RST in the total only.
	if fs[2].Src.String() != srv {
		t.Errorf("last flow from %s", fs[2].Src)
	}
	want(t, &fs[2], map[Feature]float64{RSTFlagCount: 1, FwdRSTFlags: 0, SYNFlagCount: 1, TotalTCPFlowTime: 0})

	cur, _ := flows(t, Options{Profile: CICFlowMeter}, ps)
	if len(cur) != 3 {
		t.Fatalf("current profile: %d flows, want 3", len(cur))
	}
	// The current version opens a new flow at the SYN-ACK, turned round:
	// its receiver is the source. The Flow ID keeps the 5-tuple's first
	// orientation.
	if cur[1].Src.String() != srv || cur[1].ID() != cli+"-"+srv+"-40001-81-6" {
		t.Errorf("current profile: SYN-ACK flow %s from %s", cur[1].ID(), cur[1].Src)
	}
	want(t, &cur[1], map[Feature]float64{TotalFwdPacket: 1, TotalBwdPackets: 2, TotalTCPFlowTime: 5000})
	want(t, &cur[2], map[Feature]float64{RSTFlagCount: 1, FwdRSTFlags: 1})
}

func TestSynAckFirst(t *testing.T) {
	ps := []pk{
		{t: 0, src: srv, dst: cli, sp: 80, dp: 40002, flags: "SA", win: 28960},
		{t: ms(1), src: cli, dst: srv, sp: 40002, dp: 80, flags: "A", win: 229},
	}
	old, _ := flows(t, Options{}, ps)
	cur, _ := flows(t, Options{Profile: CICFlowMeter}, ps)
	if len(old) != 1 || len(cur) != 1 {
		t.Fatalf("%d and %d flows", len(old), len(cur))
	}
	if cur[0].ID() != cli+"-"+srv+"-40002-80-6" || old[0].ID() != srv+"-"+cli+"-80-40002-6" {
		t.Errorf("Flow IDs %s (cicids2017) and %s (cicflowmeter): each in its flow's direction", old[0].ID(), cur[0].ID())
	}
	if old[0].Src.String() != srv || cur[0].Src.String() != cli {
		t.Errorf("sources %s (cicids2017, want %s) and %s (cicflowmeter, want %s)", old[0].Src, srv, cur[0].Src, cli)
	}
	// The forward window is only taken from a first packet that is forward,
	// so a flow opened by a reversed SYN-ACK has none: as in the reference.
	want(t, &cur[0], map[Feature]float64{FWDInitWinBytes: 0, BwdInitWinBytes: 28960, TotalFwdPacket: 1})
}

func TestFlowTimeoutContinuesTheConnection(t *testing.T) {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	ps := []pk{
		{t: 0, src: cli, dst: srv, sp: 40003, dp: 22, flags: "S", win: 29200},
		{t: ms(1), src: srv, dst: cli, sp: 22, dp: 40003, flags: "SA", win: 28960},
		{t: ms(2), src: cli, dst: srv, sp: 40003, dp: 22, flags: "A", win: 229},
		{t: sec(100), src: srv, dst: cli, sp: 22, dp: 40003, flags: "PA", win: 235, payload: 10},
		{t: sec(130), src: srv, dst: cli, sp: 22, dp: 40003, flags: "PA", win: 235, payload: 10},
		{t: sec(131), src: cli, dst: srv, sp: 40003, dp: 22, flags: "A", win: 229},
		{t: sec(260), src: srv, dst: cli, sp: 22, dp: 40003, flags: "PA", win: 235, payload: 10},
	}
	fs, _ := flows(t, Options{}, ps)
	if len(fs) != 3 {
		t.Fatalf("%d flows, want 3", len(fs))
	}
	for i, f := range fs {
		if f.Src.String() != cli || f.ID() != cli+"-"+srv+"-40003-22-6" {
			t.Errorf("flow %d: %s from %s: a continued connection keeps its direction and key", i, f.ID(), f.Src)
		}
	}
	if fs[0].End != EndTimeout || fs[1].End != EndTimeout || fs[2].End != EndCapture {
		t.Errorf("ends %v %v %v", fs[0].End, fs[1].End, fs[2].End)
	}
	want(t, &fs[0], map[Feature]float64{FlowDuration: 100e6, TotalTCPFlowTime: 100e6,
		ActiveMean: 2000, ActiveMax: 2000, IdleMean: 99998e3, IdleMin: 99998e3})
	// The second flow starts with a backward packet: no forward window and
	// a minimum segment size of 0, as in the reference.
	want(t, &fs[1], map[Feature]float64{TotalFwdPacket: 1, TotalBwdPackets: 1, FlowDuration: 1e6,
		FWDInitWinBytes: 0, FwdSegSizeMin: 0, TotalTCPFlowTime: 131e6})
	want(t, &fs[2], map[Feature]float64{TotalBwdPackets: 1, TotalTCPFlowTime: 260e6})
}

func TestUDPAfterTheTimeout(t *testing.T) {
	ps := []pk{
		{t: 0, src: cli, dst: srv, sp: 5353, dp: 53, proto: "udp", payload: 30},
		{t: ms(10000), src: srv, dst: cli, sp: 53, dp: 5353, proto: "udp", payload: 90},
		{t: ms(125000), src: srv, dst: cli, sp: 53, dp: 5353, proto: "udp", payload: 90},
	}
	old, _ := flows(t, Options{}, ps)
	if len(old) != 2 || old[1].Src.String() != srv || old[1].Value(TotalTCPFlowTime) != 0 {
		t.Fatalf("cicids2017: %d flows; second from %v with connection time %v, want a new flow from %s, 0",
			len(old), old[len(old)-1].Src, old[len(old)-1].Value(TotalTCPFlowTime), srv)
	}
	want(t, &old[0], map[Feature]float64{FwdHeaderLength: 8, BwdHeaderLength: 8, TotalLengthOfFwdPacket: 30,
		FwdActDataPkts: 0, TotalTCPFlowTime: 0})
	// The current version continues the UDP "dialogue" (idle for less than
	// the flow timeout) and counts its time.
	cur, _ := flows(t, Options{Profile: CICFlowMeter}, ps)
	if len(cur) != 2 || cur[1].Src.String() != cli {
		t.Fatalf("cicflowmeter: %d flows, second from %v", len(cur), cur[len(cur)-1].Src)
	}
	want(t, &cur[0], map[Feature]float64{FwdActDataPkts: 1, TotalTCPFlowTime: 10e6})
	want(t, &cur[1], map[Feature]float64{TotalTCPFlowTime: 125e6})
	// Quiet for more than the flow timeout: a new dialogue.
	ps[2].t = ms(130001)
	cur, _ = flows(t, Options{Profile: CICFlowMeter}, ps)
	if cur[1].Src.String() != srv {
		t.Errorf("cicflowmeter: after an idle flow timeout the flow is from %s, want %s", cur[1].Src, srv)
	}
}

func TestICMPTypeAndCode(t *testing.T) {
	ps := []pk{
		{t: 0, src: cli, dst: srv, proto: "icmp", icmpType: 8, payload: 56},
		{t: ms(1), src: srv, dst: cli, proto: "icmp", icmpType: 0, payload: 56}, // same code: same flow
		{t: ms(2), src: srv, dst: cli, proto: "icmp", icmpType: 3, icmpCode: 3, payload: 28},
	}
	fs, _ := flows(t, Options{}, ps)
	if len(fs) != 2 || fs[0].End != EndICMPChange {
		t.Fatalf("%d flows (end %v), want 2, the first ended by the ICMP change", len(fs), fs[0].End)
	}
	if fs[0].ID() != cli+"-"+srv+"-0-0-1" || fs[1].Src.String() != srv || fs[1].ID() != fs[0].ID() {
		t.Errorf("flows %s and %s from %s", fs[0].ID(), fs[1].ID(), fs[1].Src)
	}
	// ICMP lengths are 0 in the reference (it sets no payload for ICMP).
	want(t, &fs[0], map[Feature]float64{TotalFwdPacket: 1, TotalBwdPackets: 1, TotalLengthOfFwdPacket: 0,
		FwdHeaderLength: 0, ICMPType: 8, ICMPCode: 0, TotalTCPFlowTime: 0})
	want(t, &fs[1], map[Feature]float64{ICMPType: 3, ICMPCode: 3})
}

func TestDirectionByAddressOnly(t *testing.T) {
	ps := []pk{
		{t: 0, src: "127.0.0.1", dst: "127.0.0.1", sp: 5000, dp: 80, flags: "S"},
		{t: ms(1), src: "127.0.0.1", dst: "127.0.0.1", sp: 80, dp: 5000, flags: "SA"},
	}
	fs, _ := flows(t, Options{}, ps)
	if len(fs) != 1 {
		t.Fatalf("%d flows", len(fs))
	}
	want(t, &fs[0], map[Feature]float64{TotalFwdPacket: 2, TotalBwdPackets: 0})
}

func TestSubflows(t *testing.T) {
	var ps []pk
	for _, m := range []int{0, 500, 2000, 2100, 4000} {
		ps = append(ps, pk{t: ms(m), src: cli, dst: srv, sp: 6000, dp: 6001, proto: "udp", payload: 10})
	}
	old, _ := flows(t, Options{}, ps)
	want(t, &old[0], map[Feature]float64{SubflowFwdPackets: 1, SubflowFwdBytes: 10})
	cur, _ := flows(t, Options{Profile: CICFlowMeter}, ps)
	want(t, &cur[0], map[Feature]float64{SubflowFwdPackets: 2.5, SubflowFwdBytes: 25})
}

func TestBulk(t *testing.T) {
	var ps []pk
	for i := 0; i < 5; i++ {
		ps = append(ps, pk{t: ms(10 * i), src: cli, dst: srv, sp: 7000, dp: 7001, proto: "udp", payload: 100})
	}
	ps = append(ps, pk{t: ms(50), src: srv, dst: cli, sp: 7001, dp: 7000, proto: "udp", payload: 7},
		pk{t: ms(60), src: cli, dst: srv, sp: 7000, dp: 7001, proto: "udp", payload: 100})
	fs, _ := flows(t, Options{}, ps)
	want(t, &fs[0], map[Feature]float64{FwdBytesPerBulkAvg: 500, FwdPacketPerBulkAvg: 5, FwdBulkRateAvg: 12500,
		BwdBytesPerBulkAvg: 0, BwdBulkRateAvg: 0})
}

func TestActiveIdle(t *testing.T) {
	var ps []pk
	for _, m := range []int{0, 1000, 7000, 7500, 20000, 26000} {
		ps = append(ps, pk{t: ms(m), src: cli, dst: srv, sp: 8000, dp: 8001, proto: "udp"})
	}
	fs, _ := flows(t, Options{}, ps)
	// The period of the packet at 20 s alone lasted 0 and is not recorded;
	// the last active period (from 26 s) is never recorded: the reference
	// does not close it when the flow ends.
	want(t, &fs[0], map[Feature]float64{ActiveMean: 0.75e6, ActiveStd: sampleStd(1e6, 0.5e6), ActiveMax: 1e6,
		ActiveMin: 0.5e6, IdleMean: (6e6 + 12.5e6 + 6e6) / 3, IdleMax: 12.5e6, IdleMin: 6e6})
}

func TestEarly(t *testing.T) {
	fs, _ := flows(t, Options{Early: 3}, teardown)
	if len(fs) != 2 {
		t.Fatalf("%d flows, want 2", len(fs))
	}
	if fs[0].End != EndEarly || fs[0].Value(TotalFwdPacket)+fs[0].Value(TotalBwdPackets) != 3 {
		t.Errorf("first flow: end %v with %v packets, want early with 3", fs[0].End,
			fs[0].Value(TotalFwdPacket)+fs[0].Value(TotalBwdPackets))
	}
	want(t, &fs[0], map[Feature]float64{FlowDuration: 2000, SYNFlagCount: 2})
	if fs[1].End != EndCapture || fs[1].Value(TotalFwdPacket) != 1 {
		t.Errorf("second flow: end %v, %v packets; the new connection still starts its own flow",
			fs[1].End, fs[1].Value(TotalFwdPacket))
	}
}

func TestEviction(t *testing.T) {
	ps := []pk{
		{t: 0, src: cli, dst: srv, sp: 1, dp: 80, flags: "S"},
		{t: ms(1), src: cli, dst: srv, sp: 2, dp: 80, flags: "S"},
		{t: ms(2), src: cli, dst: srv, sp: 3, dp: 80, flags: "S"},
		{t: ms(3), src: srv, dst: cli, sp: 80, dp: 1, flags: "A"},
	}
	fs, st := flows(t, Options{MaxFlows: 2}, ps)
	if st.Evicted < 1 || fs[0].End != EndEvicted || fs[0].SrcPort != 1 {
		t.Fatalf("evicted %d, first flow %d ended %v", st.Evicted, fs[0].SrcPort, fs[0].End)
	}
	// The evicted 5-tuple's next packet continues the connection.
	var again *Flow
	for i := range fs[1:] {
		if fs[1+i].SrcPort == 1 {
			again = &fs[1+i]
		}
	}
	if again == nil || again.Src.String() != cli || again.Value(TotalBwdPackets) != 1 {
		t.Fatalf("no continued flow for port 1: %+v", again)
	}
}

func TestReorder(t *testing.T) {
	in, _ := flows(t, Options{}, teardown)
	shuffled := append([]pk(nil), teardown...)
	shuffled[2], shuffled[4] = shuffled[4], shuffled[2]
	shuffled[6], shuffled[7] = shuffled[7], shuffled[6]
	out, st := flows(t, Options{}, shuffled)
	if st.Reordered == 0 || st.Late != 0 {
		t.Errorf("reordered %d, late %d", st.Reordered, st.Late)
	}
	if len(in) != len(out) || in[0].values != out[0].values {
		t.Errorf("out-of-order input gave other flows")
	}
	// Equal times keep capture order (a stable sort): the first packet
	// captured opens the flow.
	tie, _ := flows(t, Options{}, []pk{
		{t: ms(9), src: cli, dst: srv, sp: 1, dp: 1, proto: "udp"},
		{t: ms(5), src: srv, dst: cli, sp: 53, dp: 999, proto: "udp"},
		{t: ms(5), src: cli, dst: srv, sp: 999, dp: 53, proto: "udp"},
	})
	if len(tie) != 2 || tie[0].Src.String() != srv {
		t.Errorf("tie: flow from %s, want %s (capture order)", tie[0].Src, srv)
	}
	// Beyond the window: late, or an error.
	var late []pk
	for _, s := range []int{0, 2000, 4000, 1000} {
		late = append(late, pk{t: ms(s), src: cli, dst: srv, sp: 9, dp: 9, proto: "udp"})
	}
	_, st = flows(t, Options{ReorderWindow: time.Second}, late)
	if st.Late != 1 {
		t.Errorf("late %d, want 1", st.Late)
	}
	x, _ := New(Options{ReorderWindow: time.Second, Late: LateError}, func(*Flow) error { return nil })
	var err error
	for _, p := range late {
		f := frame(t, p)
		if err = x.Packet(f, gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrOrder) {
		t.Errorf("LateError: %v, want ErrOrder", err)
	}
}

// TestStreaming: a flow is emitted once the capture's clock passes its
// timeout, not at the end of the input.
func TestStreaming(t *testing.T) {
	var got []Flow
	x, _ := New(Options{}, func(f *Flow) error { got = append(got, *f); return nil })
	send := func(p pk) {
		f := frame(t, p)
		if err := x.Packet(f, gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet); err != nil {
			t.Fatal(err)
		}
	}
	send(pk{t: 0, src: cli, dst: srv, sp: 1, dp: 2, proto: "udp"})
	for s := 1; s <= 140; s++ {
		send(pk{t: time.Duration(s) * time.Second, src: cli, dst: srv, sp: 3, dp: 4, proto: "udp"})
	}
	if len(got) != 2 || got[0].SrcPort != 1 {
		t.Fatalf("%d flows emitted before Close, want 2 (the quiet one and the first part of the busy one)", len(got))
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("%d flows after Close, want 3", len(got))
	}
}

func TestEmitErrorStops(t *testing.T) {
	boom := errors.New("boom")
	x, _ := New(Options{}, func(*Flow) error { return boom })
	for _, p := range teardown {
		f := frame(t, p)
		if err := x.Packet(f, gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet); err != nil {
			t.Fatalf("packet: %v", err)
		}
	}
	if err := x.Close(); !errors.Is(err, boom) {
		t.Errorf("Close: %v, want the emit error", err)
	}
}

func TestMinPackets(t *testing.T) {
	fs, st := flows(t, Options{MinPackets: 2}, teardown)
	if len(fs) != 1 || st.Short != 1 || st.Flows != 1 {
		t.Errorf("%d flows, %d short, %d counted; want the one-packet flow dropped", len(fs), st.Short, st.Flows)
	}
}

func TestECEAndCWR(t *testing.T) {
	fs, _ := flows(t, Options{}, []pk{
		{src: cli, dst: srv, sp: 1, dp: 2, flags: "SEC"},
		{t: ms(1), src: srv, dst: cli, sp: 2, dp: 1, flags: "SAE"},
		{t: ms(2), src: cli, dst: srv, sp: 1, dp: 2, flags: "AU", payload: 1},
	})
	want(t, &fs[0], map[Feature]float64{ECEFlagCount: 2, CWRFlagCount: 1, URGFlagCount: 1, FwdURGFlags: 1, SYNFlagCount: 2, ACKFlagCount: 2})
}

// TestSnapLength: a packet cut by the snap length counts the payload its
// IP header says it carried.
func TestSnapLength(t *testing.T) {
	var out []Flow
	x, _ := New(Options{}, func(f *Flow) error { out = append(out, *f); return nil })
	f := frame(t, pk{src: cli, dst: srv, sp: 1, dp: 2, flags: "PA", payload: 1000})
	ci := gopacket.CaptureInfo{Timestamp: t0, CaptureLength: 96, Length: len(f)}
	if err := x.Packet(f[:96], ci, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if len(out) != 1 {
		t.Fatalf("%d flows", len(out))
	}
	want(t, &out[0], map[Feature]float64{TotalLengthOfFwdPacket: 1000, FwdHeaderLength: 20})
	if out[0].FwdFrameBytes != int64(len(f)) {
		t.Errorf("frame bytes %d, want the original length %d", out[0].FwdFrameBytes, len(f))
	}
}
