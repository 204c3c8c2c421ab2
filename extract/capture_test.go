package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func gz(b []byte) []byte {
	var w bytes.Buffer
	z := gzip.NewWriter(&w)
	z.Write(b)
	z.Close()
	return w.Bytes()
}

func pcapng(t *testing.T, link layers.LinkType, ps []pk) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriter(&b, link)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		f := frame(t, p)
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(p.t), CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return b.Bytes()
}

// record appends a pcap record header claiming caplen and origlen.
func record(b []byte, caplen, origlen uint32) []byte {
	h := make([]byte, 16)
	binary.LittleEndian.PutUint32(h[0:], uint32(t0.Unix()))
	binary.LittleEndian.PutUint32(h[8:], caplen)
	binary.LittleEndian.PutUint32(h[12:], origlen)
	return append(append([]byte(nil), b...), h...)
}

func pcapHeader(snaplen, link uint32) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], link)
	return h
}

func TestReadCaptureFormats(t *testing.T) {
	good := capture(t, teardown)
	ref, err := readAll(t, Options{}, good)
	if err != nil || len(ref) != 2 {
		t.Fatalf("pcap: %d flows, %v", len(ref), err)
	}
	for name, data := range map[string][]byte{
		"pcap.gz":   gz(good),
		"pcapng":    pcapng(t, layers.LinkTypeEthernet, teardown),
		"pcapng.gz": gz(pcapng(t, layers.LinkTypeEthernet, teardown)),
	} {
		fs, err := readAll(t, Options{}, data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(fs) != len(ref) || fs[0].values != ref[0].values || fs[0].StartMicros != ref[0].StartMicros {
			t.Errorf("%s: other flows than the pcap's", name)
		}
	}
}

func TestBadCaptures(t *testing.T) {
	good := capture(t, teardown[:3])
	firstLen := binary.LittleEndian.Uint32(good[24+8:])
	unknownNg := pcapng(t, layers.LinkType(147), teardown[:1])
	corruptGz := gz(good)
	corruptGz[len(corruptGz)/2] ^= 0xff
	for name, tc := range map[string]struct {
		data   []byte
		err    error
		packet int64
		detail string
	}{
		"empty":                   {data: nil, err: ErrNotCapture, detail: "empty"},
		"text":                    {data: []byte("Flow ID,Src IP\n1,2\n"), err: ErrNotCapture},
		"header cut":              {data: good[:10], err: ErrTruncated},
		"record header cut":       {data: good[:24+8], err: ErrTruncated, packet: 1},
		"packet longer than file": {data: append(record(pcapHeader(65535, 1), 1000, 1000), make([]byte, 100)...), err: ErrTruncated, packet: 1},
		"second packet cut":       {data: good[:24+16+int(firstLen)+16+5], err: ErrTruncated, packet: 2},
		"caplen above origlen":    {data: append(record(pcapHeader(65535, 1), 100, 60), make([]byte, 100)...), err: ErrCorrupt, packet: 1},
		"huge snaplen, huge record": {data: append(record(pcapHeader(0xffffffff, 1), 1<<30, 1<<30), make([]byte, 1<<20)...),
			err: ErrTooLong, packet: 1},
		"record above snaplen": {data: append(record(pcapHeader(65535, 1), 1<<22, 1<<22), make([]byte, 1<<20)...),
			err: ErrTooLong, packet: 1},
		"unknown link type":        {data: pcapHeader(65535, 147), err: ErrLinkType, detail: "147"},
		"pcapng unknown link type": {data: unknownNg, err: ErrLinkType, packet: 1, detail: "147"},
		"pcapng huge block":        {data: hugeBlock(t, 1<<20), err: ErrTooLong, packet: 1},
		"gzipped huge block":       {data: gz(hugeBlock(t, 64<<20)), err: ErrTooLong, packet: 1},
		"bad version":              {data: setByte(pcapHeader(65535, 1), 4, 9), err: ErrNotCapture},
		"gzip corrupt":             {data: corruptGz, err: ErrCorrupt},
		"gzip cut":                 {data: gz(good)[:len(gz(good))-12], err: ErrTruncated},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := readAll(t, Options{}, tc.data)
			runtime.ReadMemStats(&after)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want an *Error wrapping %v", err, tc.err)
			}
			if e.File != "test.pcap" || !strings.HasPrefix(err.Error(), "test.pcap: ") {
				t.Errorf("message %q does not start with the file", err)
			}
			if tc.packet > 0 && (e.Packet != tc.packet || !strings.Contains(err.Error(), "packet ")) {
				t.Errorf("packet %d in %q, want %d", e.Packet, err, tc.packet)
			}
			if tc.detail != "" && !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("message %q lacks %q", err, tc.detail)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("allocated %d MiB reading %d bytes", grew>>20, len(tc.data))
			}
		})
	}
}

// hugeBlock is a pcapng file whose first packet block claims 256 MiB and
// is followed by fill bytes of zeros (which gzip shrinks a thousandfold).
func hugeBlock(t *testing.T, fill int) []byte {
	ng := pcapng(t, layers.LinkTypeEthernet, teardown[:1])
	// The section header and the interface block come first; find the
	// enhanced packet block (type 6) and make its lengths enormous.
	off := 0
	for off+8 <= len(ng) {
		typ := binary.LittleEndian.Uint32(ng[off:])
		l := int(binary.LittleEndian.Uint32(ng[off+4:]))
		if typ == 6 {
			binary.LittleEndian.PutUint32(ng[off+4:], 1<<28+32)
			binary.LittleEndian.PutUint32(ng[off+20:], 1<<28)
			binary.LittleEndian.PutUint32(ng[off+24:], 1<<28)
			return append(ng, make([]byte, fill)...)
		}
		off += l
	}
	t.Fatal("no packet block")
	return nil
}

func TestMaxPacket(t *testing.T) {
	big := capture(t, []pk{{src: cli, dst: srv, sp: 1, dp: 2, proto: "udp", payload: 3000}})
	if _, err := readAll(t, Options{MaxPacket: 1500}, big); !errors.Is(err, ErrTooLong) {
		t.Errorf("3 kB packet under MaxPacket 1500: %v", err)
	}
	if fs, err := readAll(t, Options{}, big); err != nil || len(fs) != 1 {
		t.Errorf("default MaxPacket: %v", err)
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	x, _ := New(Options{}, func(*Flow) error { return nil })
	if err := x.ReadCapture(ctx, bytes.NewReader(capture(t, teardown)), "c"); !errors.Is(err, context.Canceled) {
		t.Errorf("%v", err)
	}
}
