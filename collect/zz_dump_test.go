package collect

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"testing"
)

func TestZZDump(t *testing.T) {
	fn := os.Getenv("DUMP")
	if fn == "" {
		t.Skip()
	}
	b, _ := os.ReadFile(fn)
	d := NewDecoder(Limits{})
	from := netip.MustParseAddrPort("127.0.0.1:5555")
	for len(b) > 4 {
		n := binary.BigEndian.Uint32(b)
		msg := b[4 : 4+n]
		b = b[4+n:]
		fl, err := d.Decode(from, msg, nil)
		if err != nil {
			fmt.Println("err", err)
		}
		for _, f := range fl {
			fmt.Println(f.Src, f.SrcPort, f.Dst, f.DstPort, f.Proto, f.Start.UTC().Format("2006-01-02T15:04:05.000"), f.End.UTC().Format("15:04:05.000"), f.Bidirectional, f.Values[IN_PKTS], f.Values[IN_BYTES], f.Values[OUT_PKTS], f.Values[OUT_BYTES], f.Values[TCP_FLAGS], f.Values[CLIENT_TCP_FLAGS], f.Values[SERVER_TCP_FLAGS], f.Values[ICMP_TYPE], f.Values[DURATION_IN])
		}
	}
	fmt.Printf("%+v\n", d.Stats())
}
