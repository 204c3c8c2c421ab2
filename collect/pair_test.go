package collect

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ct "github.com/flowsense/flowsense/collect/collecttest"
)

var t0 = time.Unix(secs, 0)

func decodeV5(t *testing.T, flows []ct.Flow) []Flow {
	t.Helper()
	fl, err := NewDecoder(Limits{}).Decode(exp1, ct.V5(uptime, secs, flows), nil)
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

func TestPairMergesBothDirections(t *testing.T) {
	for name, order := range map[string][]int{"client first": {0, 1}, "server first": {1, 0}} {
		t.Run(name, func(t *testing.T) {
			fl := decodeV5(t, []ct.Flow{twoWay[order[0]], twoWay[order[1]]})
			p := NewPairer(time.Second, 100)
			out := p.Add(&fl[0], t0, nil)
			if len(out) != 0 || p.Waiting() != 1 {
				t.Fatalf("the first record left at once (%d) or does not wait (%d)", len(out), p.Waiting())
			}
			out = p.Add(&fl[1], t0, out)
			if len(out) != 1 || p.Waiting() != 0 {
				t.Fatalf("%d flows, %d waiting", len(out), p.Waiting())
			}
			f := out[0]
			if f.Src != ip("10.0.0.1") || f.SrcPort != 40000 || !f.Paired {
				t.Errorf("client %v:%d (paired %v), want 10.0.0.1:40000", f.Src, f.SrcPort, f.Paired)
			}
			for x, want := range map[Feature]float64{IN_PKTS: 10, IN_BYTES: 1000, OUT_PKTS: 8, OUT_BYTES: 2000,
				CLIENT_TCP_FLAGS: 0x1b, SERVER_TCP_FLAGS: 0x1a, TCP_FLAGS: 0x1b, DURATION_IN: 2500, DURATION_OUT: 2500, FLOW_DURATION_MILLISECONDS: 2500, ICMP_TYPE: 0} {
				if f.Values[x] != want {
					t.Errorf("%v = %v, want %v", x, f.Values[x], want)
				}
			}
		})
	}
}

func TestPairClientByStartTime(t *testing.T) {
	late := append([]ct.Flow(nil), twoWay...)
	late[0].FirstMs = 1200 // the high-port side started later: it is the server here
	fl := decodeV5(t, late[:])
	p := NewPairer(time.Second, 100)
	out := p.Add(&fl[1], t0, p.Add(&fl[0], t0, nil))
	if len(out) != 1 || out[0].SrcPort != 22 {
		t.Fatalf("client port %d, want 22 (the earlier start)", out[0].SrcPort)
	}
}

func TestPairWindowAndBound(t *testing.T) {
	fl := decodeV5(t, twoWay[:1])
	p := NewPairer(time.Second, 100)
	out := p.Add(&fl[0], t0, nil)
	if out = p.Expire(t0.Add(999*time.Millisecond), out); len(out) != 0 {
		t.Fatal("left before its window")
	}
	out = p.Expire(t0.Add(time.Second), out)
	if len(out) != 1 {
		t.Fatalf("%d flows after the window", len(out))
	}
	f := out[0]
	if !f.Bidirectional || f.Paired || f.Values[OUT_PKTS] != 0 || f.Values[OUT_BYTES] != 0 || f.Values[SERVER_TCP_FLAGS] != 0 || f.Values[DURATION_OUT] != 0 {
		t.Errorf("unpaired flow: OUT %v/%v flags %v duration %v", f.Values[OUT_PKTS], f.Values[OUT_BYTES], f.Values[SERVER_TCP_FLAGS], f.Values[DURATION_OUT])
	}
	if f.Has(RETRANSMITTED_OUT_PKTS) {
		t.Error("RETRANSMITTED_OUT_PKTS set to 0 though the IN side is unknown")
	}
	// the bound: the oldest leaves when one too many waits
	p = NewPairer(time.Hour, 3)
	var many []ct.Flow
	for i := 0; i < 5; i++ {
		r := twoWay[0]
		r.SrcPort = uint16(50000 + i)
		many = append(many, r)
	}
	fl = decodeV5(t, many)
	out = nil
	for i := range fl {
		out = p.Add(&fl[i], t0, out)
	}
	if len(out) != 2 || p.Waiting() != 3 || out[0].SrcPort != 50000 {
		t.Fatalf("%d left (first %d), %d waiting; want the 2 oldest out, 3 waiting", len(out), out[0].SrcPort, p.Waiting())
	}
	if out = p.Flush(nil); len(out) != 3 || p.Waiting() != 0 {
		t.Errorf("flush: %d flows, %d waiting", len(out), p.Waiting())
	}
}

func TestCSVWriter(t *testing.T) {
	fl := decodeV5(t, twoWay[:])
	p := NewPairer(time.Second, 10)
	out := p.Add(&fl[1], t0, p.Add(&fl[0], t0, nil))
	var b bytes.Buffer
	w := NewCSVWriter(&b)
	if err := w.Write(&out[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || lines[0] != strings.Join(FeatureNames(), ",") {
		t.Fatalf("header %q", lines[0])
	}
	cells := strings.Split(lines[1], ",")
	if len(cells) != NumFeatures {
		t.Fatalf("%d cells", len(cells))
	}
	want := map[Feature]string{IPV4_SRC_ADDR: "10.0.0.1", L4_SRC_PORT: "40000", IPV4_DST_ADDR: "10.0.0.2", L4_DST_PORT: "22", PROTOCOL: "6",
		IN_BYTES: "1000", OUT_BYTES: "2000", L7_PROTO: "", MIN_TTL: "", FLOW_DURATION_MILLISECONDS: "2500"}
	for x, w := range want {
		if cells[x] != w {
			t.Errorf("%v = %q, want %q", x, cells[x], w)
		}
	}
}
