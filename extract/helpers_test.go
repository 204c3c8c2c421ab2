package extract

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pk describes one test packet; frame serialises it with gopacket.
type pk struct {
	t        time.Duration // after t0
	src, dst string
	sp, dp   uint16
	proto    string // "tcp" (default), "udp", "icmp", "gre", "icmp6"
	flags    string // TCP flags: letters of "SAFRPUEC"
	win      uint16
	payload  int
	opts     int // bytes of TCP options (NOPs), multiple of 4
	icmpType uint8
	icmpCode uint8
	vlan     bool
	pad      int // Ethernet trailer bytes after the IP packet
	fragOff  uint16
	moreFrag bool
}

var t0 = time.Date(2017, 7, 5, 13, 25, 59, 978372000, time.UTC)

func frame(t testing.TB, p pk) []byte {
	t.Helper()
	src, dst := net.ParseIP(p.src), net.ParseIP(p.dst)
	v6 := src.To4() == nil
	var ls []gopacket.SerializableLayer
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		EthernetType: layers.EthernetTypeIPv4}
	if v6 {
		eth.EthernetType = layers.EthernetTypeIPv6
	}
	if p.vlan {
		et := eth.EthernetType
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, eth, &layers.Dot1Q{VLANIdentifier: 7, Type: et})
	} else {
		ls = append(ls, eth)
	}
	var ipProto layers.IPProtocol
	switch p.proto {
	case "", "tcp":
		ipProto = layers.IPProtocolTCP
	case "udp":
		ipProto = layers.IPProtocolUDP
	case "icmp":
		ipProto = layers.IPProtocolICMPv4
	case "icmp6":
		ipProto = layers.IPProtocolICMPv6
	case "gre":
		ipProto = layers.IPProtocolGRE
	}
	var netLayer gopacket.NetworkLayer
	if v6 {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: src, DstIP: dst, NextHeader: ipProto}
		ls, netLayer = append(ls, ip), ip
	} else {
		ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: src.To4(), DstIP: dst.To4(), Protocol: ipProto,
			FragOffset: p.fragOff}
		if p.moreFrag {
			ip.Flags = layers.IPv4MoreFragments
		}
		ls, netLayer = append(ls, ip), ip
	}
	body := make([]byte, p.payload)
	for i := range body {
		body[i] = byte(i)
	}
	switch ipProto {
	case layers.IPProtocolTCP:
		tcp := &layers.TCP{SrcPort: layers.TCPPort(p.sp), DstPort: layers.TCPPort(p.dp), Window: p.win, Seq: 1000}
		for _, c := range p.flags {
			switch c {
			case 'S':
				tcp.SYN = true
			case 'A':
				tcp.ACK = true
			case 'F':
				tcp.FIN = true
			case 'R':
				tcp.RST = true
			case 'P':
				tcp.PSH = true
			case 'U':
				tcp.URG = true
			case 'E':
				tcp.ECE = true
			case 'C':
				tcp.CWR = true
			}
		}
		for i := 0; i < p.opts; i++ {
			tcp.Options = append(tcp.Options, layers.TCPOption{OptionType: layers.TCPOptionKindNop})
		}
		tcp.SetNetworkLayerForChecksum(netLayer)
		ls = append(ls, tcp)
	case layers.IPProtocolUDP:
		udp := &layers.UDP{SrcPort: layers.UDPPort(p.sp), DstPort: layers.UDPPort(p.dp)}
		udp.SetNetworkLayerForChecksum(netLayer)
		ls = append(ls, udp)
	case layers.IPProtocolICMPv4:
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(p.icmpType, p.icmpCode), Id: 1, Seq: 1})
	case layers.IPProtocolICMPv6:
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(p.icmpType, p.icmpCode)}
		ic.SetNetworkLayerForChecksum(netLayer)
		ls = append(ls, ic)
	}
	ls = append(ls, gopacket.Payload(body))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialise %+v: %v", p, err)
	}
	b := append([]byte(nil), buf.Bytes()...)
	return append(b, make([]byte, p.pad)...)
}

// capture writes the packets as a pcap file.
func capture(t testing.TB, ps []pk) []byte {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		f := frame(t, p)
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// flows extracts the packets (in the given order) and returns every flow
// in emission order.
func flows(t testing.TB, opt Options, ps []pk) ([]Flow, Stats) {
	t.Helper()
	var out []Flow
	x, err := New(opt, func(f *Flow) error { out = append(out, *f); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		f := frame(t, p)
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}
		if err := x.Packet(f, ci, layers.LinkTypeEthernet); err != nil {
			t.Fatalf("packet %d: %v", i+1, err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	return out, x.Stats()
}

func readAll(t testing.TB, opt Options, data []byte) ([]Flow, error) {
	t.Helper()
	var out []Flow
	x, err := New(opt, func(f *Flow) error { out = append(out, *f); return nil })
	if err != nil {
		t.Fatal(err)
	}
	err = x.ReadCapture(context.Background(), bytes.NewReader(data), "test.pcap")
	return out, err
}

// want checks features of one flow.
func want(t testing.TB, f *Flow, vals map[Feature]float64) {
	t.Helper()
	for k, v := range vals {
		got := f.Value(k)
		if !(got == v || (got != got && v != v) || (v != 0 && abs(got-v) <= 1e-9*abs(v))) {
			t.Errorf("flow %s %s: %s = %v, want %v", f.ID(), f.Start().Format("15:04:05.000000"), k, got, v)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

const (
	cli = "192.168.10.5"
	srv = "192.168.10.50"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }
