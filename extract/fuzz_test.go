package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var fuzzLinks = []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	layers.LinkTypeNull, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}

// FuzzDecode: any frame under any known link type decodes without a panic,
// and a decoded packet is consistent (ports only for TCP and UDP, lengths
// not negative, ICMP fields only for ICMP).
func FuzzDecode(f *testing.F) {
	for _, p := range append(teardown, pk{src: cli, dst: srv, proto: "icmp", icmpType: 3, icmpCode: 1},
		pk{src: "2001:db8::1", dst: "2001:db8::2", sp: 1, dp: 2, proto: "udp", payload: 9, vlan: true}) {
		f.Add(uint8(0), frame(f, p))
	}
	f.Add(uint8(4), frame(f, teardown[0])[14:])
	f.Fuzz(func(t *testing.T, li uint8, data []byte) {
		link := fuzzLinks[int(li)%len(fuzzLinks)]
		first, _ := firstLayer(link)
		d := newDecoder(false)
		var p packet
		if d.decode(data, first, &p) != decOK {
			return
		}
		if p.payload < 0 || p.header < 0 {
			t.Fatalf("negative lengths %d %d", p.payload, p.header)
		}
		if p.proto != protoTCP && p.proto != protoUDP && (p.sport != 0 || p.dport != 0 || p.payload != 0) {
			t.Fatalf("protocol %d with ports %d %d payload %d", p.proto, p.sport, p.dport, p.payload)
		}
		if (p.proto == protoICMP || p.proto == protoICMPv6) != (p.icmpType >= 0) {
			t.Fatalf("protocol %d with ICMP type %d", p.proto, p.icmpType)
		}
	})
}

// FuzzReadCapture: any bytes read as a capture give flows or an *Error
// with a sentinel, never a panic; every IP packet read lands in exactly
// one flow.
func FuzzReadCapture(f *testing.F) {
	f.Add(capture(f, teardown))
	f.Add(gz(capture(f, teardown[:4])))
	f.Add(pcapngSeed(f))
	f.Add(pcapHeader(0xffffffff, 1))
	f.Fuzz(func(t *testing.T, data []byte) {
		var frames int64
		x, _ := New(Options{MaxFlows: 64}, func(fl *Flow) error {
			frames += fl.FwdFrames + fl.BwdFrames
			return nil
		})
		err := x.ReadCapture(context.Background(), bytes.NewReader(data), "fuzz")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !(errors.Is(err, ErrNotCapture) || errors.Is(err, ErrTruncated) ||
				errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTooLong) || errors.Is(err, ErrLinkType)) {
				t.Fatalf("error %v (%T) is not a classified *Error", err, err)
			}
			return
		}
		if st := x.Stats(); frames != st.IP {
			t.Fatalf("%d frames in flows, %d IP packets read", frames, st.IP)
		}
	})
}

func pcapngSeed(f *testing.F) []byte { return pcapngBytes(f) }

func pcapngBytes(tb testing.TB) []byte {
	var out bytes.Buffer
	w, err := pcapgo.NewNgWriter(&out, layers.LinkTypeEthernet)
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range teardown[:3] {
		fr := frame(tb, p)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(fr), Length: len(fr)}, fr)
	}
	w.Flush()
	return out.Bytes()
}

// TestWriteFuzzSeeds writes the seed corpus under testdata/fuzz with
// -update (see testdata/README.md).
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("writes seeds only with -update")
	}
	seeds := map[string][]byte{
		"FuzzReadCapture/pcap":         capture(t, teardown),
		"FuzzReadCapture/pcap-gzip":    gz(capture(t, teardown[:4])),
		"FuzzReadCapture/pcapng":       pcapngBytes(t),
		"FuzzReadCapture/huge-snaplen": append(record(pcapHeader(0xffffffff, 1), 1<<30, 1<<30), make([]byte, 64)...),
	}
	for name, b := range seeds {
		writeSeed(t, name, fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b))
	}
	writeSeed(t, "FuzzDecode/syn", fmt.Sprintf("go test fuzz v1\nbyte('\\x00')\n[]byte(%q)\n", frame(t, teardown[0])))
	writeSeed(t, "FuzzDecode/ipv6-vlan", fmt.Sprintf("go test fuzz v1\nbyte('\\x00')\n[]byte(%q)\n",
		frame(t, pk{src: "2001:db8::1", dst: "2001:db8::2", sp: 1, dp: 2, proto: "udp", payload: 9, vlan: true})))
}

func writeSeed(t *testing.T, name, content string) {
	p := filepath.Join("testdata", "fuzz", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
