package collect

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	ct "github.com/flowsense/flowsense/collect/collecttest"
)

// fuzzLimits are small, so that the fuzzer reaches them.
var fuzzLimits = Limits{MaxExporters: 3, MaxTemplates: 8, MaxFields: 64}

// checkDecode decodes msg and checks what every decoder path promises: an
// *Error wrapping a sentinel or nothing, flows only from well-formed
// sets, the limits held, and no panic (the fuzzer reports those).
func checkDecode(t *testing.T, d *Decoder, from netip.AddrPort, msg []byte) {
	fl, err := d.Decode(from, msg, nil)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%T %v: not an *Error", err, err)
		}
		known := false
		for _, s := range []error{ErrTruncated, ErrVersion, ErrLength, ErrTemplate, ErrTemplateLimit, ErrNoTemplate, ErrDecode} {
			known = known || errors.Is(err, s)
		}
		if !known {
			t.Fatalf("%v wraps no sentinel", err)
		}
	}
	if n := len(fl); n > len(msg) {
		t.Fatalf("%d flows from %d bytes", n, len(msg)) // every record takes at least a byte
	}
	s := d.Stats()
	if s.Exporters > uint64(fuzzLimits.MaxExporters) {
		t.Fatalf("%d exporters held", s.Exporters)
	}
	for _, x := range d.exporters {
		if len(x.templates) > fuzzLimits.MaxTemplates || x.nfields > fuzzLimits.MaxFields {
			t.Fatalf("exporter holds %d templates, %d fields", len(x.templates), x.nfields)
		}
	}
	p := NewPairer(time.Second, 4)
	var out []Flow
	for i := range fl {
		out = p.Add(&fl[i], time.Unix(0, 0), out)
	}
	out = p.Flush(out)
	if len(out) > len(fl) {
		t.Fatalf("%d flows out of the pairer for %d in", len(out), len(fl))
	}
	w := NewCSVWriter(discard{})
	for i := range out {
		w.Write(&out[i])
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

func FuzzDecodeV5(f *testing.F) {
	f.Add(ct.V5(uptime, secs, twoWay))
	f.Add(ct.V5(1, 1, nil))
	f.Add(ct.V5(uptime, secs, twoWay)[:50])
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) >= 2 {
			binary.BigEndian.PutUint16(msg, 5)
		}
		checkDecode(t, NewDecoder(fuzzLimits), exp1, msg)
	})
}

// The v9 and IPFIX targets take a template message and a data message
// from one exporter, so that data is read with the template the fuzzer
// made.
func FuzzDecodeV9(f *testing.F) {
	f.Add(ct.V9(uptime, secs, 1, 0, 1, ct.Set(0, ct.Template(256, ct.FlowFields))), ct.V9(uptime, secs, 2, 0, 2, ct.Set(256, ct.Records(twoWay))))
	f.Add(ct.V9(1, 1, 1, 0, 1, ct.Set(1, []byte{1, 0, 0, 4, 0, 4, 0, 1, 0, 4, 0, 34, 0, 4})), ct.V9(1, 1, 1, 0, 1, ct.Set(256, []byte{0, 0, 0, 1, 0, 0, 0, 9})))
	f.Fuzz(func(t *testing.T, tmpl, data []byte) {
		d := NewDecoder(fuzzLimits)
		for _, m := range [][]byte{tmpl, data} {
			if len(m) >= 2 {
				binary.BigEndian.PutUint16(m, 9)
			}
			checkDecode(t, d, exp1, m)
		}
	})
}

func FuzzDecodeIPFIX(f *testing.F) {
	fields := append(append([]ct.Field(nil), ct.FlowFields...), ct.Field{Type: 1, Len: 4, PEN: penReverse}, ct.Field{Type: 82, Len: 0xffff}, ct.Field{Type: ntopL7Proto, Len: 2, PEN: penNtop})
	vals := append(twoWay[0].Values(), 2000, 3, 7)
	f.Add(ct.IPFIX(secs, 1, 0, append(ipfixInit(secs*1000), ct.Set(2, ct.Template(300, fields)))...), ct.IPFIX(secs, 2, 0, ct.Set(300, ct.Record(fields, vals))))
	f.Add(ct.IPFIX(secs, 1, 0, ct.Set(2, ct.Template(256, nil))), ct.IPFIX(secs, 1, 0, ct.Set(2, ct.Template(2, nil))))
	f.Fuzz(func(t *testing.T, tmpl, data []byte) {
		d := NewDecoder(fuzzLimits)
		for _, m := range [][]byte{tmpl, data} {
			if len(m) >= 4 {
				binary.BigEndian.PutUint16(m, 10)
				binary.BigEndian.PutUint16(m[2:], uint16(len(m))) // mostly right, so the sets get read
			}
			checkDecode(t, d, exp1, m)
		}
	})
}

// FuzzTemplateSet fuzzes the body of one template set (v9 or IPFIX, data or
// options) in an otherwise valid message: bad field counts, lengths,
// enterprise bits and withdrawals.
func FuzzTemplateSet(f *testing.F) {
	f.Add(uint8(0), ct.Template(256, ct.FlowFields))
	f.Add(uint8(1), ct.Template(256, []ct.Field{{Type: 8, Len: 0}, {Type: 12, Len: 0xffff}}))
	f.Add(uint8(2), []byte{1, 0, 0, 2, 0, 1, 0, 143, 0, 4, 0, 160, 0, 8})
	f.Add(uint8(3), []byte{1, 0, 0, 4, 0, 4, 0, 1, 0, 4, 0, 34, 0, 4})
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		if len(body) > 60000 {
			return
		}
		var msg []byte
		switch kind % 4 {
		case 0:
			msg = ct.IPFIX(secs, 1, 0, ct.Set(2, body), ct.Set(256, ct.Records(twoWay)))
		case 1:
			msg = ct.V9(uptime, secs, 1, 0, 3, ct.Set(0, body), ct.Set(256, ct.Records(twoWay)))
		case 2:
			msg = ct.IPFIX(secs, 1, 0, ct.Set(3, body), ct.Set(256, ct.Records(twoWay)))
		case 3:
			msg = ct.V9(uptime, secs, 1, 0, 3, ct.Set(1, body), ct.Set(256, ct.Records(twoWay)))
		}
		checkDecode(t, NewDecoder(fuzzLimits), exp1, msg)
	})
}

// FuzzTemplateFlood sends many template messages from a few exporters,
// IDs and domains from the fuzzer's bytes: memory stays within the limits.
func FuzzTemplateFlood(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, uint8(10))
	f.Add([]byte{255, 255, 0, 0, 1, 1}, uint8(200))
	f.Fuzz(func(t *testing.T, seed []byte, nfields uint8) {
		if len(seed) == 0 {
			return
		}
		d := NewDecoder(fuzzLimits)
		fields := make([]ct.Field, int(nfields)%40+1)
		for i := range fields {
			fields[i] = ct.Field{Type: uint16(i + 1), Len: 4}
		}
		for i := 0; i < 300; i++ {
			b := seed[i%len(seed)]
			from := netip.AddrPortFrom(ip("192.0.2.7"), uint16(b%5))
			msg := ct.IPFIX(secs, uint32(i), uint32(b%3), ct.Set(2, ct.Template(uint16(256+int(b)*7+i), fields)))
			checkDecode(t, d, from, msg)
		}
	})
}
