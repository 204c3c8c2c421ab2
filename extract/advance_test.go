package extract

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestAdvance: on a quiet link the clock alone ends flows: Advance past a
// flow's timeout emits it (EndTimeout) with the features it would have had
// if a later packet had ended it, releases packets held for reordering,
// and leaves younger flows open.
func TestAdvance(t *testing.T) {
	var got []Flow
	x, err := New(Options{FlowTimeout: 10 * time.Second}, func(f *Flow) error { got = append(got, *f); return nil })
	if err != nil {
		t.Fatal(err)
	}
	ps := []pk{
		{t: 0, src: cli, dst: srv, sp: 40000, dp: 80, flags: "S", win: 29200},
		{t: ms(5), src: srv, dst: cli, sp: 80, dp: 40000, flags: "SA", win: 28960},
		{t: 5 * time.Second, src: cli, dst: srv, sp: 5353, dp: 53, proto: "udp", payload: 30},
		{t: 4 * time.Second, src: cli, dst: srv, sp: 40000, dp: 80, flags: "A", win: 229}, // late: reordered
	}
	for i, p := range ps {
		f := frame(t, p)
		if err := x.Packet(f, gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet); err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
	}
	if err := x.Advance(t0.Add(3 * time.Second)); err != nil { // before the newest packet: nothing
		t.Fatal(err)
	}
	if err := x.Advance(t0.Add(10 * time.Second)); err != nil { // nothing has timed out yet
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("%d flows emitted before any timeout", len(got))
	}
	if err := x.Advance(t0.Add(14*time.Second + time.Millisecond)); err != nil { // the late ACK is released
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("%d flows emitted before any timeout", len(got))
	}
	// The reorder window is 10 s: every packet is in up to t-10 s, so the
	// TCP flow (from t0, 10 s timeout) ends once t passes t0+20 s, with the
	// late ACK in it; the DNS flow (from t0+5 s) once t passes t0+25 s.
	if err := x.Advance(t0.Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("%d flows emitted at the timeout itself", len(got))
	}
	if err := x.Advance(t0.Add(20*time.Second + time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].End != EndTimeout || got[0].DstPort != 80 {
		t.Fatalf("after 20 s: %d flows %+v, want the TCP flow by timeout", len(got), got)
	}
	want(t, &got[0], map[Feature]float64{TotalFwdPacket: 2, TotalBwdPackets: 1, FlowDuration: 4e6})
	if err := x.Advance(t0.Add(25*time.Second + time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].End != EndTimeout || got[1].DstPort != 53 {
		t.Fatalf("after 25 s: %d flows, want the DNS flow by timeout too", len(got))
	}
	// without reordering the clock is t itself
	got = nil
	y, _ := New(Options{FlowTimeout: 10 * time.Second, ReorderWindow: -1}, func(f *Flow) error { got = append(got, *f); return nil })
	f := frame(t, ps[0])
	if err := y.Packet(f, gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(f), Length: len(f)}, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	if err := y.Advance(t0.Add(10*time.Second + time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].End != EndTimeout {
		t.Fatalf("no reordering: %d flows after the timeout", len(got))
	}
	if st := x.Stats(); st.Reordered != 1 || st.Late != 0 {
		t.Errorf("stats %+v: want 1 reordered, none late", st)
	}
}
