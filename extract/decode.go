package extract

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TCP flag bits as they sit in byte 13 of the TCP header.
const (
	flagFIN uint8 = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
	flagURG
	flagECE
	flagCWR
)

// Protocol numbers as flows are keyed. CICFlowMeter knows TCP, UDP and ICMP;
// every other IP protocol becomes 0 ("DEFAULT") with ports 0, so GRE, IGMP,
// ESP and non-first fragments between two hosts share one flow, as in the
// reference. ICMPv6 (58) only occurs with Options.IPv6.
const (
	protoOther  uint8 = 0
	protoICMP   uint8 = 1
	protoTCP    uint8 = 6
	protoUDP    uint8 = 17
	protoICMPv6 uint8 = 58
)

// packet is what the flow generator needs of one captured packet: the
// fields CICFlowMeter's BasicPacketInfo holds, plus the frame length for
// cross-checks against byte-counting tools.
type packet struct {
	ts       int64 // microseconds since the Unix epoch
	seq      int64 // 1-based packet number in the input, for stable reordering and errors
	src, dst [16]byte
	v6       bool
	sport    uint16
	dport    uint16
	proto    uint8  // as keyed: protoTCP, protoUDP, protoICMP, protoICMPv6 or protoOther
	flags    uint8  // TCP flags
	window   uint16 // TCP window field, unscaled
	payload  int32  // transport payload bytes on the wire (0 for ICMP and other protocols)
	header   int32  // transport header bytes: TCP header with options, 8 for UDP, else 0
	icmpType int16  // -1 unless ICMP
	icmpCode int16
	wire     int32 // original frame length (pcap orig_len)
}

func (p *packet) has(f uint8) bool { return p.flags&f != 0 }

// decodeResult says what became of a frame.
type decodeResult uint8

const (
	decOK        decodeResult = iota // an IP packet for the flow table
	decNotIP                         // ARP, LLDP, STP, ...: not a flow packet
	decIPv6                          // IPv6, skipped because Options.IPv4Only
	decMalformed                     // an IP packet whose headers do not decode
)

// decoder turns frames into packets with gopacket's DecodingLayerParser:
// one parser per link-layer type, every layer preallocated and reused, so a
// frame decodes without allocating.
type decoder struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	lo    layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	tcp   layers.TCP
	udp   layers.UDP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6

	byFirst  map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded  []gopacket.LayerType
	ipv4Only bool
}

func newDecoder(ipv4Only bool) *decoder {
	d := &decoder{byFirst: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}, ipv4Only: ipv4Only}
	d.decoded = make([]gopacket.LayerType, 0, 8)
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL,
		layers.LayerTypeLinuxSLL2, layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first)
		p.SetDecodingLayerContainer(gopacket.DecodingLayerSparse(nil))
		for _, l := range []gopacket.DecodingLayer{&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.lo,
			&d.ip4, &d.ip6, &d.tcp, &d.udp, &d.icmp4, &d.icmp6} {
			p.AddDecodingLayer(l)
		}
		p.IgnoreUnsupported = true
		d.byFirst[first] = p
	}
	return d
}

// firstLayer maps a capture's link type to the layer its frames start
// with; ok is false for link types the decoder does not know.
func firstLayer(link layers.LinkType) (gopacket.LayerType, bool) {
	switch link {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet, true
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback, true
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		// 12 and 14 are raw IP on some BSDs; the version nibble decides.
		return gopacket.LayerTypeZero, true
	}
	return gopacket.LayerTypeZero, false
}

// decode fills p from one frame. The caller has checked the link type with
// firstLayer. p.ts, p.seq and p.wire are the caller's.
func (d *decoder) decode(data []byte, first gopacket.LayerType, p *packet) decodeResult {
	if first == gopacket.LayerTypeZero { // raw IP
		if len(data) == 0 {
			return decMalformed
		}
		switch data[0] >> 4 {
		case 4:
			first = layers.LayerTypeIPv4
		case 6:
			first = layers.LayerTypeIPv6
		default:
			return decMalformed
		}
	}
	parser := d.byFirst[first]
	err := parser.DecodeLayers(data, &d.decoded)
	var ip, l4 gopacket.LayerType
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			if ip == gopacket.LayerTypeZero {
				ip = t
			}
		case layers.LayerTypeTCP, layers.LayerTypeUDP, layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
			if l4 == gopacket.LayerTypeZero {
				l4 = t
			}
		}
	}
	if ip == gopacket.LayerTypeZero {
		if err != nil && len(d.decoded) > 0 && isIPEtherType(d.decoded, d) {
			return decMalformed
		}
		return decNotIP
	}
	if l4 == gopacket.LayerTypeZero && err != nil {
		// The IP header itself, or the transport header after it, is broken.
		return decMalformed
	}

	p.flags, p.window, p.sport, p.dport = 0, 0, 0, 0
	p.payload, p.header = 0, 0
	p.icmpType, p.icmpCode = -1, -1
	var l4Wire int // bytes of the transport segment on the wire, from the IP header
	var ipProto layers.IPProtocol
	firstFragment := true
	if ip == layers.LayerTypeIPv4 {
		p.v6 = false
		p.src = [16]byte{}
		p.dst = [16]byte{}
		copy(p.src[:4], d.ip4.SrcIP)
		copy(p.dst[:4], d.ip4.DstIP)
		l4Wire = int(d.ip4.Length) - int(d.ip4.IHL)*4
		ipProto = d.ip4.Protocol
		if d.ip4.FragOffset != 0 {
			firstFragment = false
		} else if d.ip4.Flags&layers.IPv4MoreFragments != 0 && l4 == gopacket.LayerTypeZero {
			// gopacket stops at a fragment; the first one still carries the
			// transport header, which CICFlowMeter reads.
			l4 = d.decodeFragmentHead(ipProto, d.ip4.Payload)
		}
	} else {
		if d.ipv4Only {
			return decIPv6
		}
		p.v6 = true
		copy(p.src[:], d.ip6.SrcIP)
		copy(p.dst[:], d.ip6.DstIP)
		l4Wire = int(d.ip6.Length)
		ipProto = d.ip6.NextHeader
		if d.ip6.HopByHop != nil {
			l4Wire -= d.ip6.HopByHop.ActualLength
			ipProto = d.ip6.HopByHop.NextHeader
		}
	}

	switch {
	case firstFragment && l4 == layers.LayerTypeTCP:
		p.proto = protoTCP
		p.sport, p.dport = uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort)
		p.flags = tcpFlags(&d.tcp)
		p.window = d.tcp.Window
		p.header = int32(d.tcp.DataOffset) * 4
		p.payload = clampPayload(l4Wire - int(p.header))
	case firstFragment && l4 == layers.LayerTypeUDP:
		p.proto = protoUDP
		p.sport, p.dport = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
		p.header = 8
		p.payload = clampPayload(l4Wire - 8)
	case firstFragment && l4 == layers.LayerTypeICMPv4 && ip == layers.LayerTypeIPv4:
		p.proto = protoICMP
		p.icmpType, p.icmpCode = int16(d.icmp4.TypeCode.Type()), int16(d.icmp4.TypeCode.Code())
	case firstFragment && l4 == layers.LayerTypeICMPv6 && ip == layers.LayerTypeIPv6:
		p.proto = protoICMPv6
		p.icmpType, p.icmpCode = int16(d.icmp6.TypeCode.Type()), int16(d.icmp6.TypeCode.Code())
	default:
		if firstFragment && err != nil && (ipProto == layers.IPProtocolTCP || ipProto == layers.IPProtocolUDP ||
			ipProto == layers.IPProtocolICMPv4 || ipProto == layers.IPProtocolICMPv6) {
			return decMalformed // a transport header too short to read
		}
		p.proto = protoOther
	}
	return decOK
}

// decodeFragmentHead decodes the transport header at the start of a first
// IPv4 fragment.
func (d *decoder) decodeFragmentHead(proto layers.IPProtocol, b []byte) gopacket.LayerType {
	switch proto {
	case layers.IPProtocolTCP:
		if d.tcp.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil {
			return layers.LayerTypeTCP
		}
	case layers.IPProtocolUDP:
		if d.udp.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil {
			return layers.LayerTypeUDP
		}
	case layers.IPProtocolICMPv4:
		if d.icmp4.DecodeFromBytes(b, gopacket.NilDecodeFeedback) == nil {
			return layers.LayerTypeICMPv4
		}
	}
	return gopacket.LayerTypeZero
}

// isIPEtherType reports whether the last decoded link layer announced IP,
// so that a decode failure after it is a malformed IP packet rather than a
// frame of another protocol.
func isIPEtherType(decoded []gopacket.LayerType, d *decoder) bool {
	var et layers.EthernetType
	switch decoded[len(decoded)-1] {
	case layers.LayerTypeEthernet:
		et = d.eth.EthernetType
	case layers.LayerTypeDot1Q:
		et = d.dot1q.Type
	case layers.LayerTypeLinuxSLL:
		et = d.sll.EthernetType
	case layers.LayerTypeLinuxSLL2:
		et = d.sll2.ProtocolType
	case layers.LayerTypeLoopback:
		return d.lo.Family == layers.ProtocolFamilyIPv4 || d.lo.Family == layers.ProtocolFamilyIPv6BSD ||
			d.lo.Family == layers.ProtocolFamilyIPv6Linux || d.lo.Family == layers.ProtocolFamilyIPv6Darwin ||
			d.lo.Family == layers.ProtocolFamilyIPv6FreeBSD
	default:
		return false
	}
	return et == layers.EthernetTypeIPv4 || et == layers.EthernetTypeIPv6
}

func tcpFlags(t *layers.TCP) uint8 {
	var f uint8
	if t.FIN {
		f |= flagFIN
	}
	if t.SYN {
		f |= flagSYN
	}
	if t.RST {
		f |= flagRST
	}
	if t.PSH {
		f |= flagPSH
	}
	if t.ACK {
		f |= flagACK
	}
	if t.URG {
		f |= flagURG
	}
	if t.ECE {
		f |= flagECE
	}
	if t.CWR {
		f |= flagCWR
	}
	return f
}

func clampPayload(n int) int32 {
	if n < 0 {
		return 0
	}
	return int32(n)
}
