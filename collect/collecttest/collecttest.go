// Package collecttest builds NetFlow v5, v9 and IPFIX datagrams for tests,
// fuzz seeds and benchmarks of package collect: headers, template and data
// sets, byte by byte as RFC 3954 and RFC 7011 lay them out. It checks
// nothing: malformed messages are built on purpose.
package collecttest

import (
	"encoding/binary"
	"net/netip"
)

// Field is a template field specifier; PEN non-zero is an IPFIX
// enterprise element (written with the enterprise bit).
type Field struct {
	Type, Len uint16
	PEN       uint32
}

// Flow is one unidirectional flow in the fields of FlowFields.
type Flow struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto, Flags     uint8
	Packets, Bytes   uint32
	// FirstMs and LastMs are sysUpTime values (ms since the exporter
	// booted).
	FirstMs, LastMs uint32
}

// FlowFields is a template like softflowd's: addresses, first/last
// sysUpTime, octets, packets, ports, protocol, TCP flags.
var FlowFields = []Field{{8, 4, 0}, {12, 4, 0}, {22, 4, 0}, {21, 4, 0}, {1, 4, 0}, {2, 4, 0}, {7, 2, 0}, {11, 2, 0}, {4, 1, 0}, {6, 1, 0}}

// Values returns f's values in FlowFields order.
func (f Flow) Values() []uint64 {
	return []uint64{u32(f.Src), u32(f.Dst), uint64(f.FirstMs), uint64(f.LastMs), uint64(f.Bytes), uint64(f.Packets),
		uint64(f.SrcPort), uint64(f.DstPort), uint64(f.Proto), uint64(f.Flags)}
}

func u32(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(binary.BigEndian.Uint32(b[:]))
}

// V5 is a NetFlow v5 datagram of the flows (a count of len(flows)).
func V5(uptimeMs, unixSecs uint32, flows []Flow) []byte {
	b := make([]byte, 24, 24+48*len(flows))
	binary.BigEndian.PutUint16(b, 5)
	binary.BigEndian.PutUint16(b[2:], uint16(len(flows)))
	binary.BigEndian.PutUint32(b[4:], uptimeMs)
	binary.BigEndian.PutUint32(b[8:], unixSecs)
	for _, f := range flows {
		r := make([]byte, 48)
		binary.BigEndian.PutUint32(r, uint32(u32(f.Src)))
		binary.BigEndian.PutUint32(r[4:], uint32(u32(f.Dst)))
		binary.BigEndian.PutUint32(r[16:], f.Packets)
		binary.BigEndian.PutUint32(r[20:], f.Bytes)
		binary.BigEndian.PutUint32(r[24:], f.FirstMs)
		binary.BigEndian.PutUint32(r[28:], f.LastMs)
		binary.BigEndian.PutUint16(r[32:], f.SrcPort)
		binary.BigEndian.PutUint16(r[34:], f.DstPort)
		r[37], r[38] = f.Flags, f.Proto
		b = append(b, r...)
	}
	return b
}

// V9 is a NetFlow v9 datagram: header (count is the number of records the
// sets hold, given by the caller) and sets.
func V9(uptimeMs, unixSecs, seq, sourceID uint32, count uint16, sets ...[]byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b, 9)
	binary.BigEndian.PutUint16(b[2:], count)
	binary.BigEndian.PutUint32(b[4:], uptimeMs)
	binary.BigEndian.PutUint32(b[8:], unixSecs)
	binary.BigEndian.PutUint32(b[12:], seq)
	binary.BigEndian.PutUint32(b[16:], sourceID)
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

// IPFIX is an IPFIX message; its length field is the true length.
func IPFIX(exportSecs, seq, domain uint32, sets ...[]byte) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint16(b, 10)
	binary.BigEndian.PutUint32(b[4:], exportSecs)
	binary.BigEndian.PutUint32(b[8:], seq)
	binary.BigEndian.PutUint32(b[12:], domain)
	for _, s := range sets {
		b = append(b, s...)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// Set is a set (flow set) of the ID with the body, length filled in.
func Set(id uint16, body ...[]byte) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, id)
	for _, p := range body {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

// Template is one template record: ID, field count, field specifiers.
func Template(id uint16, fields []Field) []byte {
	b := make([]byte, 4, 4+8*len(fields))
	binary.BigEndian.PutUint16(b, id)
	binary.BigEndian.PutUint16(b[2:], uint16(len(fields)))
	for _, f := range fields {
		t := f.Type
		if f.PEN != 0 {
			t |= 0x8000
		}
		b = binary.BigEndian.AppendUint16(b, t)
		b = binary.BigEndian.AppendUint16(b, f.Len)
		if f.PEN != 0 {
			b = binary.BigEndian.AppendUint32(b, f.PEN)
		}
	}
	return b
}

// Record encodes values big-endian at the fields' lengths (a field of
// length 16 takes the value in its last 8 bytes; variable-length fields
// are written as one length byte and that many zero bytes, the value
// being the length).
func Record(fields []Field, vals []uint64) []byte {
	var b []byte
	for i, f := range fields {
		v := vals[i]
		if f.Len == 0xffff {
			b = append(b, byte(v))
			b = append(b, make([]byte, v)...)
			continue
		}
		cell := make([]byte, f.Len)
		for k := int(f.Len) - 1; k >= 0 && v != 0; k-- {
			cell[k] = byte(v)
			v >>= 8
		}
		b = append(b, cell...)
	}
	return b
}

// Records encodes many flows in FlowFields.
func Records(flows []Flow) []byte {
	var b []byte
	for _, f := range flows {
		b = append(b, Record(FlowFields, f.Values())...)
	}
	return b
}
