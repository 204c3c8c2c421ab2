package collect

import (
	"errors"
	"math"
	"net/netip"
	"testing"
	"time"

	ct "github.com/flowsense/flowsense/collect/collecttest"
)

var exp1 = netip.MustParseAddrPort("192.0.2.1:2055")

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// twoWay is a client's SYN-ful TCP flow and its server's answer, as two
// unidirectional records with the same times (softflowd's way).
var twoWay = []ct.Flow{
	{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), SrcPort: 40000, DstPort: 22, Proto: 6, Flags: 0x1b, Packets: 10, Bytes: 1000, FirstMs: 1000, LastMs: 3500},
	{Src: ip("10.0.0.2"), Dst: ip("10.0.0.1"), SrcPort: 22, DstPort: 40000, Proto: 6, Flags: 0x1a, Packets: 8, Bytes: 2000, FirstMs: 1000, LastMs: 3500},
}

const (
	uptime = 10000      // ms
	secs   = 1700000000 // export time
)

// wantStart is FirstMs 1000 in absolute time: export - (uptime - first).
var wantStart = time.UnixMilli(secs*1000 - (uptime - 1000))

func checkTwoWay(t *testing.T, fl []Flow, version uint16) {
	t.Helper()
	if len(fl) != 2 {
		t.Fatalf("%d flows, want 2", len(fl))
	}
	f := fl[0]
	if f.Version != version || f.Src != ip("10.0.0.1") || f.DstPort != 22 || f.Proto != 6 {
		t.Errorf("key %v:%d -> %v:%d proto %d v%d", f.Src, f.SrcPort, f.Dst, f.DstPort, f.Proto, f.Version)
	}
	if !f.Start.Equal(wantStart) || f.End.Sub(f.Start) != 2500*time.Millisecond {
		t.Errorf("times %v .. %v, want %v + 2.5 s", f.Start, f.End, wantStart)
	}
	for x, want := range map[Feature]float64{IN_PKTS: 10, IN_BYTES: 1000, TCP_FLAGS: 0x1b, CLIENT_TCP_FLAGS: 0x1b, DURATION_IN: 2500} {
		if f.Values[x] != want {
			t.Errorf("%v = %v, want %v", x, f.Values[x], want)
		}
	}
	if f.Bidirectional || f.Has(OUT_BYTES) {
		t.Errorf("a unidirectional record has OUT_BYTES %v", f.Values[OUT_BYTES])
	}
}

func TestDecodeV5(t *testing.T) {
	d := NewDecoder(Limits{})
	fl, err := d.Decode(exp1, ct.V5(uptime, secs, twoWay), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTwoWay(t, fl, 5)
}

func TestDecodeV9(t *testing.T) {
	d := NewDecoder(Limits{})
	msg := ct.V9(uptime, secs, 1, 7, 3, ct.Set(0, ct.Template(256, ct.FlowFields)), ct.Set(256, ct.Records(twoWay)))
	fl, err := d.Decode(exp1, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTwoWay(t, fl, 9)
	if fl[0].Domain != 7 {
		t.Errorf("domain %d, want the source ID 7", fl[0].Domain)
	}
}

// ipfixInit is an options template and record announcing
// systemInitTimeMilliseconds, as softflowd sends it.
func ipfixInit(initMs uint64) [][]byte {
	opt := []byte{0x01, 0x00, 0, 2, 0, 1, 0, 143, 0, 4, 0, 160, 0, 8} // template 256: scope meteringProcessId, systemInitTime
	return [][]byte{ct.Set(3, opt), ct.Set(256, ct.Record([]ct.Field{{Type: 143, Len: 4, PEN: 0}, {Type: 160, Len: 8, PEN: 0}}, []uint64{1, initMs}))}
}

func TestDecodeIPFIX(t *testing.T) {
	d := NewDecoder(Limits{})
	sets := append(ipfixInit(secs*1000-uptime), ct.Set(2, ct.Template(300, ct.FlowFields)), ct.Set(300, ct.Records(twoWay)))
	fl, err := d.Decode(exp1, ct.IPFIX(secs, 1, 9, sets...), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkTwoWay(t, fl, 10)
}

func TestDecodeIPFIXBiflowRFC5103(t *testing.T) {
	fields := append(append([]ct.Field(nil), ct.FlowFields...), ct.Field{Type: 1, Len: 4, PEN: penReverse}, ct.Field{Type: 2, Len: 4, PEN: penReverse}, ct.Field{Type: 6, Len: 1, PEN: penReverse})
	vals := append(twoWay[0].Values(), 2000, 8, 0x1a)
	d := NewDecoder(Limits{})
	sets := append(ipfixInit(secs*1000-uptime), ct.Set(2, ct.Template(300, fields)), ct.Set(300, ct.Record(fields, vals)))
	fl, err := d.Decode(exp1, ct.IPFIX(secs, 1, 0, sets...), nil)
	if err != nil || len(fl) != 1 {
		t.Fatalf("%d flows, %v", len(fl), err)
	}
	f := fl[0]
	if !f.Bidirectional {
		t.Error("an RFC 5103 record is bidirectional")
	}
	for x, want := range map[Feature]float64{IN_PKTS: 10, OUT_PKTS: 8, OUT_BYTES: 2000, CLIENT_TCP_FLAGS: 0x1b, SERVER_TCP_FLAGS: 0x1a, TCP_FLAGS: 0x1b, DURATION_IN: 2500, DURATION_OUT: 2500} {
		if f.Values[x] != want {
			t.Errorf("%v = %v, want %v", x, f.Values[x], want)
		}
	}
}

func TestDecodeNprobeElements(t *testing.T) {
	// nProbe's own elements, as v9 field types 57472+N and as IPFIX PEN 35632.
	v9 := []ct.Field{{Type: 8, Len: 4, PEN: 0}, {Type: 12, Len: 4, PEN: 0}, {Type: 4, Len: 1, PEN: 0}, {Type: 1, Len: 4, PEN: 0}, {Type: 23, Len: 4, PEN: 0}, {Type: ntopV9Base + ntopL7Proto, Len: 2, PEN: 0}, {Type: ntopV9Base + ntopTCPWinMaxIn, Len: 2, PEN: 0}, {Type: ntopV9Base + ntopDNSQueryID, Len: 2, PEN: 0}, {Type: 152, Len: 8, PEN: 0}, {Type: 153, Len: 8, PEN: 0}}
	ipfix := []ct.Field{{Type: 8, Len: 4, PEN: 0}, {Type: 12, Len: 4, PEN: 0}, {Type: 4, Len: 1, PEN: 0}, {Type: 1, Len: 4, PEN: 0}, {Type: 23, Len: 4, PEN: 0}, {Type: ntopL7Proto, Len: 2, PEN: penNtop}, {Type: ntopTCPWinMaxIn, Len: 2, PEN: penNtop}, {Type: ntopDNSQueryID, Len: 2, PEN: penNtop}, {Type: 152, Len: 8, PEN: 0}, {Type: 153, Len: 8, PEN: 0}}
	vals := []uint64{u32(ip("10.0.0.1")), u32(ip("10.0.0.2")), 17, 100, 300, 5, 65535, 4242, 1700000000123, 1700000000623}
	for name, msg := range map[string][]byte{
		"v9":    ct.V9(uptime, secs, 1, 0, 2, ct.Set(0, ct.Template(256, v9)), ct.Set(256, ct.Record(v9, vals))),
		"ipfix": ct.IPFIX(secs, 1, 0, ct.Set(2, ct.Template(256, ipfix)), ct.Set(256, ct.Record(ipfix, vals))),
	} {
		t.Run(name, func(t *testing.T) {
			fl, err := NewDecoder(Limits{}).Decode(exp1, msg, nil)
			if err != nil || len(fl) != 1 {
				t.Fatalf("%d flows, %v", len(fl), err)
			}
			f := fl[0]
			for x, want := range map[Feature]float64{IN_BYTES: 100, OUT_BYTES: 300, L7_PROTO: 5, TCP_WIN_MAX_IN: 65535, DNS_QUERY_ID: 4242} {
				if f.Values[x] != want {
					t.Errorf("%v = %v, want %v", x, f.Values[x], want)
				}
			}
			if !f.Bidirectional || f.End.Sub(f.Start) != 500*time.Millisecond {
				t.Errorf("bidirectional %v, %v .. %v", f.Bidirectional, f.Start, f.End)
			}
		})
	}
}

func u32(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func TestDecodeTemplatesPerExporterAndDomain(t *testing.T) {
	d := NewDecoder(Limits{})
	tmpl := ct.V9(uptime, secs, 1, 7, 1, ct.Set(0, ct.Template(256, ct.FlowFields)))
	data := func(domain uint32) []byte { return ct.V9(uptime, secs, 2, domain, 2, ct.Set(256, ct.Records(twoWay))) }
	if _, err := d.Decode(exp1, tmpl, nil); err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddrPort("192.0.2.2:2055")
	for name, c := range map[string]struct {
		from   netip.AddrPort
		domain uint32
		want   int
	}{
		"same exporter and domain": {exp1, 7, 2},
		"other domain":             {exp1, 8, 0},
		"other exporter":           {other, 7, 0},
	} {
		fl, err := d.Decode(c.from, data(c.domain), nil)
		if len(fl) != c.want {
			t.Errorf("%s: %d flows, want %d", name, len(fl), c.want)
		}
		if c.want == 0 && !errors.Is(err, ErrNoTemplate) {
			t.Errorf("%s: %v, want ErrNoTemplate", name, err)
		}
	}
}

// TestDecodeIPFIXTemplatesPerExporterAndDomain holds the same template ID
// with two layouts at once, one per observation domain and one per
// exporter: the ports' order is swapped in the second layout, so a data set
// decoded under the wrong one has its ports the wrong way round.
func TestDecodeIPFIXTemplatesPerExporterAndDomain(t *testing.T) {
	swapped := append([]ct.Field(nil), ct.FlowFields...)
	swapped[6], swapped[7] = swapped[7], swapped[6] // destinationTransportPort first
	exp2 := netip.MustParseAddrPort("192.0.2.2:4739")
	d := NewDecoder(Limits{})
	tmpl := func(from netip.AddrPort, domain uint32, fields []ct.Field) {
		t.Helper()
		sets := append(ipfixInit(secs*1000-uptime), ct.Set(2, ct.Template(300, fields)))
		if _, err := d.Decode(from, ct.IPFIX(secs, 1, domain, sets...), nil); err != nil {
			t.Fatal(err)
		}
	}
	tmpl(exp1, 1, ct.FlowFields)
	tmpl(exp1, 2, swapped)
	tmpl(exp2, 1, swapped)
	if s := d.Stats(); s.Templates < 3 {
		t.Errorf("%d templates held, want the 3 data templates", s.Templates)
	}
	for _, c := range []struct {
		name             string
		from             netip.AddrPort
		domain           uint32
		srcPort, dstPort uint16
	}{
		{"exporter 1, domain 1 (plain)", exp1, 1, 40000, 22},
		{"exporter 1, domain 2 (swapped)", exp1, 2, 22, 40000},
		{"exporter 2, domain 1 (swapped)", exp2, 1, 22, 40000},
	} {
		fl, err := d.Decode(c.from, ct.IPFIX(secs, 2, c.domain, ct.Set(300, ct.Records(twoWay))), nil)
		if err != nil || len(fl) != 2 {
			t.Fatalf("%s: %d flows, %v", c.name, len(fl), err)
		}
		if f := fl[0]; f.Src != ip("10.0.0.1") || f.SrcPort != c.srcPort || f.DstPort != c.dstPort || f.Values[IN_PKTS] != 10 {
			t.Errorf("%s: %v:%d -> %v:%d, %v packets; want ports %d -> %d", c.name, f.Src, f.SrcPort, f.Dst, f.DstPort, f.Values[IN_PKTS], c.srcPort, c.dstPort)
		}
	}
}

func TestDecodeBadMessages(t *testing.T) {
	good := ct.Template(256, ct.FlowFields)
	for name, c := range map[string]struct {
		msg  []byte
		want error
	}{
		"empty":                {nil, ErrTruncated},
		"version 7":            {[]byte{0, 7, 0, 0}, ErrVersion},
		"v5 short header":      {ct.V5(1, 1, nil)[:20], ErrTruncated},
		"v5 count past end":    {ct.V5(1, 1, twoWay)[:24+48], ErrLength},
		"v9 short header":      {ct.V9(1, 1, 1, 0, 0)[:12], ErrTruncated},
		"v9 set past end":      {ct.V9(1, 1, 1, 0, 1, ct.Set(0, good))[:40], ErrTruncated},
		"v9 set length 2":      {ct.V9(1, 1, 1, 0, 1, []byte{1, 0, 0, 2}), ErrLength},
		"v9 no fields":         {ct.V9(1, 1, 1, 0, 1, ct.Set(0, ct.Template(256, nil))), ErrTemplate},
		"v9 template id 5":     {ct.V9(1, 1, 1, 0, 1, ct.Set(0, ct.Template(5, ct.FlowFields))), ErrTemplate},
		"v9 variable length":   {ct.V9(1, 1, 1, 0, 1, ct.Set(0, ct.Template(256, []ct.Field{{Type: 8, Len: 0xffff, PEN: 0}}))), ErrTemplate},
		"v9 zero-size records": {ct.V9(1, 1, 1, 0, 1, ct.Set(0, ct.Template(256, []ct.Field{{Type: 8, Len: 0, PEN: 0}, {Type: 12, Len: 0, PEN: 0}}))), ErrTemplate},
		"v9 field past set":    {ct.V9(1, 1, 1, 0, 1, ct.Set(0, good[:10])), ErrTruncated},
		"v9 options lengths":   {ct.V9(1, 1, 1, 0, 1, ct.Set(1, []byte{1, 0, 0, 3, 0, 4, 0, 1, 0, 4})), ErrTemplate},
		"ipfix length 10":      {func() []byte { m := ct.IPFIX(1, 1, 0); m[3] = 10; return m }(), ErrLength},
		"ipfix length > dgram": {func() []byte { m := ct.IPFIX(1, 1, 0); m[3] = 40; return m }(), ErrLength},
		"ipfix reserved set":   {ct.IPFIX(1, 1, 0, ct.Set(7, []byte{0, 0, 0, 0})), ErrLength},
		"ipfix huge records":   {ct.IPFIX(1, 1, 0, ct.Set(2, ct.Template(256, []ct.Field{{Type: 1, Len: 65000, PEN: 0}, {Type: 2, Len: 65000, PEN: 0}}))), ErrTemplate},
		"ipfix only varlen":    {ct.IPFIX(1, 1, 0, ct.Set(2, ct.Template(256, []ct.Field{{Type: 82, Len: 0xffff, PEN: 0}}))), ErrTemplate},
		"ipfix options scope0": {ct.IPFIX(1, 1, 0, ct.Set(3, []byte{1, 0, 0, 1, 0, 0, 0, 160, 0, 8})), ErrTemplate},
		"ipfix trailing bytes": {ct.IPFIX(1, 1, 0, ct.Set(2, good), []byte{0, 2}), ErrTruncated},
		"ipfix pen past set":   {ct.IPFIX(1, 1, 0, ct.Set(2, []byte{1, 0, 0, 1, 0x80, 1, 0, 4, 0, 0})), ErrTruncated},
	} {
		t.Run(name, func(t *testing.T) {
			fl, err := NewDecoder(Limits{}).Decode(exp1, c.msg, nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Exporter != exp1 {
				t.Errorf("%T %v: want an *Error naming the exporter", err, err)
			}
			if len(fl) != 0 {
				t.Errorf("%d flows from a bad message", len(fl))
			}
		})
	}
}

func TestTemplateFloodIsBounded(t *testing.T) {
	lim := Limits{MaxExporters: 4, MaxTemplates: 50, MaxFields: 400}
	d := NewDecoder(lim)
	refused := 0
	for i := 0; i < 10000; i++ {
		port := 1000 + i%2 // two exporters flood templates...
		if i >= 5000 {
			port = 2000 + i%7 // ...then seven take turns, over a cap of 4
		}
		from := netip.AddrPortFrom(ip("192.0.2.9"), uint16(port))
		msg := ct.IPFIX(secs, uint32(i), uint32(i%3), ct.Set(2, ct.Template(uint16(256+i), ct.FlowFields)))
		if _, err := d.Decode(from, msg, nil); errors.Is(err, ErrTemplateLimit) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	s := d.Stats()
	if s.Exporters > 4 || s.EvictedExporters == 0 {
		t.Errorf("%d exporters held, %d evicted: the cap is 4", s.Exporters, s.EvictedExporters)
	}
	if s.Templates > 4*40 { // 400 fields / 10 per template
		t.Errorf("%d templates held, more than 4 exporters x 40", s.Templates)
	}
	if refused == 0 || s.RefusedByLimits != uint64(refused) {
		t.Errorf("%d refused, stats say %d", refused, s.RefusedByLimits)
	}
	for _, x := range d.exporters {
		if x.nfields > lim.MaxFields || len(x.templates) > lim.MaxTemplates {
			t.Errorf("exporter %v holds %d fields in %d templates", x.addr, x.nfields, len(x.templates))
		}
	}
}

func TestTemplateWithdrawalAndReplacement(t *testing.T) {
	d := NewDecoder(Limits{})
	send := func(sets ...[]byte) ([]Flow, error) { return d.Decode(exp1, ct.IPFIX(secs, 1, 0, sets...), nil) }
	if _, err := send(ct.Set(2, ct.Template(256, ct.FlowFields))); err != nil {
		t.Fatal(err)
	}
	// the same ID again, one field shorter: replaced, not added
	short := ct.FlowFields[:9]
	if _, err := send(ct.Set(2, ct.Template(256, short))); err != nil {
		t.Fatal(err)
	}
	if s := d.Stats(); s.Templates != 1 || d.exporters[exp1].nfields != 9 {
		t.Fatalf("%d templates, %d fields after a replacement", s.Templates, d.exporters[exp1].nfields)
	}
	if _, err := send(ct.Set(2, ct.Template(256, nil))); err != nil { // withdrawal
		t.Fatal(err)
	}
	if s := d.Stats(); s.Templates != 0 {
		t.Fatalf("%d templates after the withdrawal", s.Templates)
	}
	if _, err := send(ct.Set(256, ct.Records(twoWay))); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("data after the withdrawal: %v", err)
	}
	send(ct.Set(2, ct.Template(256, ct.FlowFields), ct.Template(257, ct.FlowFields)))
	send(ct.Set(2, ct.Template(2, nil))) // withdraw all
	if s := d.Stats(); s.Templates != 0 || d.exporters[exp1].nfields != 0 {
		t.Errorf("%d templates, %d fields after withdrawing all", s.Templates, d.exporters[exp1].nfields)
	}
}

func TestDecodeICMPAndStructuralZeros(t *testing.T) {
	icmp := []ct.Flow{{Src: ip("10.0.0.1"), Dst: ip("10.0.0.2"), DstPort: 8 << 8, Proto: 1, Packets: 3, Bytes: 252, FirstMs: 5000, LastMs: 7000}}
	fl, err := NewDecoder(Limits{}).Decode(exp1, ct.V5(uptime, secs, icmp), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := fl[0]
	Derive(&f)
	for x, want := range map[Feature]float64{ICMP_TYPE: 2048, ICMP_IPV4_TYPE: 8, TCP_WIN_MAX_IN: 0, RETRANSMITTED_OUT_PKTS: 0, FLOW_DURATION_MILLISECONDS: 2000} {
		if f.Values[x] != want {
			t.Errorf("%v = %v, want %v", x, f.Values[x], want)
		}
	}
	if f.Has(L7_PROTO) || f.Has(DNS_QUERY_ID) || f.Has(MIN_TTL) {
		t.Error("v5 carries no L7_PROTO, DNS_QUERY_ID or MIN_TTL")
	}
}

func TestDeriveBuckets(t *testing.T) {
	for name, c := range map[string]struct {
		lo, hi float64
		want   []float64 // nil: not derived
	}{
		"all small":        {40, 100, []float64{12, 0, 0, 0, 0}},
		"all in 1024-1514": {1100, 1500, []float64{0, 0, 0, 0, 12}},
		"spread":           {40, 1500, nil},
		"bound 512":        {512, 512, nil},
		"jumbo":            {9000, 9000, []float64{0, 0, 0, 0, 0}},
	} {
		var f Flow
		f.reset()
		f.Proto = 17
		f.set(IN_PKTS, 10)
		f.set(OUT_PKTS, 2)
		f.set(MIN_IP_PKT_LEN, c.lo)
		f.set(MAX_IP_PKT_LEN, c.hi)
		Derive(&f)
		for i := 0; i < 5; i++ {
			got := f.Values[NUM_PKTS_UP_TO_128_BYTES+Feature(i)]
			if c.want == nil && !math.IsNaN(got) || c.want != nil && got != c.want[i] {
				t.Errorf("%s: bucket %d = %v, want %v", name, i, got, c.want)
			}
		}
		if f.Values[LONGEST_FLOW_PKT] != c.hi || f.Values[SHORTEST_FLOW_PKT] != c.lo {
			t.Errorf("%s: longest/shortest %v/%v", name, f.Values[LONGEST_FLOW_PKT], f.Values[SHORTEST_FLOW_PKT])
		}
	}
}
