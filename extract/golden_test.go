package extract

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files and fuzz seeds under testdata")

// mixed is the scenario of testdata/mixed.pcap: a torn-down connection
// with its appendix, an RST, a connection across the flow timeout, DNS,
// ping and an unreachable, IPv6, a VLAN tag, GRE, IP fragments and three
// packets out of time order.
func mixed() []pk {
	ps := append([]pk(nil), teardown...)
	ps = append(ps,
		pk{t: ms(30), src: cli, dst: srv, sp: 40001, dp: 81, flags: "S", win: 1024, opts: 4},
		pk{t: ms(31), src: srv, dst: cli, sp: 81, dp: 40001, flags: "RA"},
		pk{t: ms(40), src: cli, dst: "8.8.8.8", sp: 5353, dp: 53, proto: "udp", payload: 33},
		pk{t: ms(45), src: "8.8.8.8", dst: cli, sp: 53, dp: 5353, proto: "udp", payload: 120},
		pk{t: ms(50), src: cli, dst: srv, proto: "icmp", icmpType: 8, payload: 56},
		pk{t: ms(51), src: srv, dst: cli, proto: "icmp", icmpType: 0, payload: 56},
		pk{t: ms(52), src: srv, dst: cli, proto: "icmp", icmpType: 3, icmpCode: 3, payload: 28},
		pk{t: ms(60), src: "2001:db8::1", dst: "2001:db8::2", sp: 9, dp: 443, flags: "S", opts: 20},
		pk{t: ms(61), src: "2001:db8::2", dst: "2001:db8::1", sp: 443, dp: 9, flags: "SA", opts: 20},
		pk{t: ms(62), src: "2001:db8::1", dst: "2001:db8::2", sp: 9, dp: 443, flags: "PA", payload: 517},
		pk{t: ms(70), src: cli, dst: srv, sp: 6000, dp: 6001, proto: "udp", payload: 5, vlan: true},
		pk{t: ms(80), src: cli, dst: srv, proto: "gre", payload: 40},
		pk{t: ms(90), src: cli, dst: srv, sp: 5, dp: 6, flags: "PA", payload: 1480, moreFrag: true},
		pk{t: ms(91), src: cli, dst: srv, sp: 5, dp: 6, flags: "A", payload: 100, fragOff: 185},
		pk{t: ms(35), src: cli, dst: srv, sp: 40001, dp: 81, flags: "A"}, // out of order
		pk{t: ms(33), src: srv, dst: cli, sp: 81, dp: 40001, flags: "R"}, // out of order
	)
	for i := 0; i < 6; i++ { // a connection across the flow timeout
		src, dst, sp, dp := cli, srv, uint16(50000), uint16(22)
		if i%2 == 1 {
			src, dst, sp, dp = dst, src, dp, sp
		}
		ps = append(ps, pk{t: time.Duration(i) * 50 * time.Second, src: src, dst: dst, sp: sp, dp: dp, flags: "PA", payload: 48 * (i + 1), win: 501})
	}
	ps = append(ps, pk{t: ms(2), src: cli, dst: "8.8.8.8", sp: 5353, dp: 53, proto: "udp", payload: 33}) // out of order
	return ps
}

func TestGolden(t *testing.T) {
	pcap := filepath.Join("testdata", "mixed.pcap")
	if *update {
		if err := os.WriteFile(pcap, capture(t, mixed()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(pcap)
	if err != nil {
		t.Fatalf("%v (make it with go test -run TestGolden -update)", err)
	}
	for _, p := range []Profile{CICIDS2017, CICFlowMeter} {
		var out bytes.Buffer
		cw := NewCSVWriter(&out, "")
		x, _ := New(Options{Profile: p}, cw.Write)
		if err := x.ReadCapture(context.Background(), bytes.NewReader(data), pcap); err != nil {
			t.Fatal(err)
		}
		if err := cw.Flush(); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "mixed."+p.String()+".csv")
		if *update {
			if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: output differs from %s (go test -run TestGolden -update rewrites it; review the diff)", p, golden)
		}
	}
}

func TestHeader(t *testing.T) {
	h := Header()
	if len(h) != 91 || h[0] != "id" || h[1] != "Flow ID" || h[8] != "Flow Duration" || h[88] != "Total TCP Flow Time" ||
		h[89] != "Label" || h[90] != "Attempted Category" {
		t.Errorf("header: %d columns %q", len(h), h)
	}
	h[0] = "changed"
	if Header()[0] != "id" {
		t.Error("Header returns the package's own slice")
	}
}
