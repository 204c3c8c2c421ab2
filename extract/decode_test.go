package extract

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func decodeOne(t *testing.T, link layers.LinkType, data []byte, ipv4Only bool) (packet, decodeResult) {
	t.Helper()
	first, ok := firstLayer(link)
	if !ok {
		t.Fatalf("link %v unknown", link)
	}
	var p packet
	r := newDecoder(ipv4Only).decode(data, first, &p)
	return p, r
}

func TestDecode(t *testing.T) {
	syn := pk{src: cli, dst: srv, sp: 1234, dp: 80, flags: "SE", win: 8192, opts: 12, pad: 6}
	eth := frame(t, syn)
	for name, tc := range map[string]struct {
		link    layers.LinkType
		data    []byte
		ipv4    bool
		res     decodeResult
		proto   uint8
		payload int32
		header  int32
		flags   uint8
	}{
		"ethernet, padded":   {link: layers.LinkTypeEthernet, data: eth, res: decOK, proto: protoTCP, header: 32, flags: flagSYN | flagECE},
		"vlan":               {link: layers.LinkTypeEthernet, data: frame(t, pk{src: cli, dst: srv, sp: 1, dp: 2, flags: "PA", payload: 33, vlan: true}), res: decOK, proto: protoTCP, payload: 33, header: 20, flags: flagPSH | flagACK},
		"raw ip":             {link: layers.LinkTypeRaw, data: eth[14 : len(eth)-6], res: decOK, proto: protoTCP, header: 32, flags: flagSYN | flagECE},
		"linux sll":          {link: layers.LinkTypeLinuxSLL, data: sll(eth[14:]), res: decOK, proto: protoTCP, header: 32, flags: flagSYN | flagECE},
		"bsd loopback":       {link: layers.LinkTypeNull, data: append([]byte{2, 0, 0, 0}, eth[14:]...), res: decOK, proto: protoTCP, header: 32, flags: flagSYN | flagECE},
		"udp":                {link: layers.LinkTypeEthernet, data: frame(t, pk{src: cli, dst: srv, sp: 53, dp: 53, proto: "udp", payload: 41}), res: decOK, proto: protoUDP, payload: 41, header: 8},
		"icmp has no length": {link: layers.LinkTypeEthernet, data: frame(t, pk{src: cli, dst: srv, proto: "icmp", icmpType: 8, payload: 56}), res: decOK, proto: protoICMP},
		"gre is protocol 0":  {link: layers.LinkTypeEthernet, data: frame(t, pk{src: cli, dst: srv, proto: "gre", payload: 20}), res: decOK, proto: protoOther},
		"first fragment":     {link: layers.LinkTypeEthernet, data: frame(t, pk{src: cli, dst: srv, sp: 5, dp: 6, flags: "A", payload: 100, moreFrag: true}), res: decOK, proto: protoTCP, payload: 100, header: 20, flags: flagACK},
		"later fragment":     {link: layers.LinkTypeEthernet, data: frame(t, pk{src: cli, dst: srv, sp: 5, dp: 6, flags: "A", payload: 100, fragOff: 185}), res: decOK, proto: protoOther},
		"ipv6 tcp":           {link: layers.LinkTypeEthernet, data: frame(t, pk{src: "2001:db8::1", dst: "2001:db8::2", sp: 9, dp: 443, flags: "PA", payload: 77}), res: decOK, proto: protoTCP, payload: 77, header: 20, flags: flagPSH | flagACK},
		"ipv6 icmp":          {link: layers.LinkTypeEthernet, data: frame(t, pk{src: "2001:db8::1", dst: "2001:db8::2", proto: "icmp6", icmpType: 128}), res: decOK, proto: protoICMPv6},
		"ipv6 dropped":       {link: layers.LinkTypeEthernet, data: frame(t, pk{src: "2001:db8::1", dst: "2001:db8::2", sp: 9, dp: 443, flags: "A"}), ipv4: true, res: decIPv6},
		"arp":                {link: layers.LinkTypeEthernet, data: arp(), res: decNotIP},
		"short tcp header":   {link: layers.LinkTypeEthernet, data: eth[:14+20+10], res: decMalformed},
		"bad ihl":            {link: layers.LinkTypeEthernet, data: setByte(eth, 14, 0x43), res: decMalformed},
		"empty raw":          {link: layers.LinkTypeRaw, data: nil, res: decMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			p, r := decodeOne(t, tc.link, tc.data, tc.ipv4)
			if r != tc.res {
				t.Fatalf("result %d, want %d", r, tc.res)
			}
			if r != decOK {
				return
			}
			if p.proto != tc.proto || p.payload != tc.payload || p.header != tc.header || p.flags != tc.flags {
				t.Errorf("proto %d payload %d header %d flags %#x; want %d %d %d %#x",
					p.proto, p.payload, p.header, p.flags, tc.proto, tc.payload, tc.header, tc.flags)
			}
			if tc.proto == protoOther && (p.sport != 0 || p.dport != 0) {
				t.Errorf("ports %d %d for protocol 0", p.sport, p.dport)
			}
			if tc.proto == protoICMP && (p.icmpType != 8 || p.icmpCode != 0) {
				t.Errorf("icmp %d/%d", p.icmpType, p.icmpCode)
			}
		})
	}
}

func setByte(b []byte, i int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[i] = v
	return c
}

func sll(ip []byte) []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[0:], 0) // to us
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6) // address length
	binary.BigEndian.PutUint16(h[14:], 0x0800)
	return append(h, ip...)
}

func arp() []byte {
	buf := gopacket.NewSerializeBuffer()
	gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true},
		&layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: 1, SourceHwAddress: []byte{2, 0, 0, 0, 0, 1}, SourceProtAddress: []byte{10, 0, 0, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}})
	return buf.Bytes()
}

// TestFrameBytes: the cross-check counts are frame lengths, padding
// included (gopacket pads the 54-byte SYN to 60); the feature lengths are
// not.
func TestFrameBytes(t *testing.T) {
	fs, _ := flows(t, Options{}, []pk{
		{src: cli, dst: srv, sp: 1, dp: 2, flags: "S"},
		{t: ms(1), src: srv, dst: cli, sp: 2, dp: 1, flags: "SA", payload: 10},
	})
	f := fs[0]
	if f.FwdFrames != 1 || f.BwdFrames != 1 || f.FwdFrameBytes != 60 || f.BwdFrameBytes != 64 {
		t.Errorf("frames %d/%d bytes %d/%d, want 1/1 60/64", f.FwdFrames, f.BwdFrames, f.FwdFrameBytes, f.BwdFrameBytes)
	}
	want(t, &f, map[Feature]float64{TotalLengthOfFwdPacket: 0, TotalLengthOfBwdPacket: 10})
}

func TestIPv6Flows(t *testing.T) {
	ps := []pk{
		{src: "2001:db8::1", dst: "2001:db8::2", sp: 9, dp: 443, flags: "S"},
		{t: ms(1), src: "2001:db8::2", dst: "2001:db8::1", sp: 443, dp: 9, flags: "SA"},
	}
	fs, _ := flows(t, Options{}, ps)
	if len(fs) != 1 || fs[0].ID() != "2001:db8::1-2001:db8::2-9-443-6" || fs[0].Value(TotalBwdPackets) != 1 {
		t.Fatalf("ipv6: %d flows %v", len(fs), fs)
	}
	fs, st := flows(t, Options{IPv4Only: true}, ps)
	if len(fs) != 0 || st.IPv6 != 2 {
		t.Errorf("IPv4Only: %d flows, %d IPv6 packets dropped", len(fs), st.IPv6)
	}
}
