// Package extracttest builds packet captures for tests of package
// extract and of what embeds it (the page's extractor, POST /predict with
// a capture): pcap files written byte by byte, with checksums, so a test
// can make a capture of any number of flows without a capture tool.
package extracttest

import "encoding/binary"

// UDPFlows is a pcap of n one-packet UDP flows (10.(i>>16).0.1:1024+i to
// 10.0.0.2:53), a millisecond apart.
func UDPFlows(n int) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...) // thiszone, sigfigs
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1) // Ethernet
	for i := range n {
		pkt := make([]byte, 14+20+8+4)
		pkt[12], pkt[13] = 0x08, 0x00
		ip := pkt[14:]
		ip[0], ip[8], ip[9] = 0x45, 64, 17
		binary.BigEndian.PutUint16(ip[2:], 20+8+4)
		copy(ip[12:], []byte{10, byte(i >> 16), 0, 1, 10, 0, 0, 2}) // a source address per 65,536 ports
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(binary.BigEndian.Uint16(ip[j:]))
		}
		sum = sum>>16 + sum&0xffff
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum+sum>>16))
		udp := ip[20:]
		binary.BigEndian.PutUint16(udp, uint16(1024+i))
		binary.BigEndian.PutUint16(udp[2:], 53)
		binary.BigEndian.PutUint16(udp[4:], 8+4)
		us := int64(i) * 1000
		b = le.AppendUint32(b, uint32(1_500_000_000+us/1e6))
		b = le.AppendUint32(b, uint32(us%1e6))
		b = le.AppendUint32(b, uint32(len(pkt)))
		b = le.AppendUint32(b, uint32(len(pkt)))
		b = append(b, pkt...)
	}
	return b
}
