package collect_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/flowsense/flowsense/collect"
	ct "github.com/flowsense/flowsense/collect/collecttest"
)

// Decode a NetFlow v5 datagram holding both directions of an SSH
// connection, pair them and read the NF-v2 features.
func ExampleDecoder() {
	client, server := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	msg := ct.V5(10000, 1700000000, []ct.Flow{
		{Src: client, Dst: server, SrcPort: 40000, DstPort: 22, Proto: 6, Flags: 0x1b, Packets: 10, Bytes: 1000, FirstMs: 1000, LastMs: 3500},
		{Src: server, Dst: client, SrcPort: 22, DstPort: 40000, Proto: 6, Flags: 0x1a, Packets: 8, Bytes: 2000, FirstMs: 1000, LastMs: 3500},
	})
	d := collect.NewDecoder(collect.Limits{})
	records, err := d.Decode(netip.MustParseAddrPort("192.0.2.1:2055"), msg, nil)
	if err != nil {
		panic(err)
	}
	p := collect.NewPairer(2*time.Second, 1024)
	var flows []collect.Flow
	for i := range records {
		flows = p.Add(&records[i], time.Now(), flows)
	}
	f := &flows[0]
	for _, x := range []collect.Feature{collect.IPV4_SRC_ADDR, collect.L4_DST_PORT, collect.IN_BYTES, collect.OUT_BYTES,
		collect.SERVER_TCP_FLAGS, collect.FLOW_DURATION_MILLISECONDS, collect.MIN_TTL} {
		fmt.Printf("%s=%q\n", x, f.Text(x))
	}
	// Output:
	// IPV4_SRC_ADDR="10.0.0.1"
	// L4_DST_PORT="22"
	// IN_BYTES="1000"
	// OUT_BYTES="2000"
	// SERVER_TCP_FLAGS="26"
	// FLOW_DURATION_MILLISECONDS="2500"
	// MIN_TTL=""
}
