package collect

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"

	ct "github.com/flowsense/flowsense/collect/collecttest"
)

// benchFlows is a full datagram's worth of records, 30 (v5's maximum):
// both directions of 15 connections.
func benchFlows() []ct.Flow {
	var fl []ct.Flow
	for i := 0; i < 15; i++ {
		c, s := twoWay[0], twoWay[1]
		c.SrcPort += uint16(i)
		s.DstPort = c.SrcPort
		fl = append(fl, c, s)
	}
	return fl
}

// benchMessages: a v5 datagram, a v9 and an IPFIX data message of 30
// records each (templates sent once before the loop, as exporters do).
func benchMessages() (v5, v9tmpl, v9, ipfixTmpl, ipfix []byte) {
	fl := benchFlows()
	v5 = ct.V5(uptime, secs, fl)
	v9tmpl = ct.V9(uptime, secs, 1, 0, 1, ct.Set(0, ct.Template(256, ct.FlowFields)))
	v9 = ct.V9(uptime, secs, 2, 0, 30, ct.Set(256, ct.Records(fl)))
	ipfixTmpl = ct.IPFIX(secs, 1, 0, append(ipfixInit(secs*1000-uptime), ct.Set(2, ct.Template(256, ct.FlowFields)))...)
	ipfix = ct.IPFIX(secs, 2, 0, ct.Set(256, ct.Records(fl)))
	return
}

func benchDecode(b *testing.B, tmpl, msg []byte, pair bool) {
	d := NewDecoder(Limits{})
	from := netip.MustParseAddrPort("192.0.2.1:2055")
	if tmpl != nil {
		if _, err := d.Decode(from, tmpl, nil); err != nil {
			b.Fatal(err)
		}
	}
	p := NewPairer(time.Second, 1<<16)
	now := time.Unix(secs, 0)
	var fl, out []Flow
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for i := 0; i < b.N; i++ {
		var err error
		fl, err = d.Decode(from, msg, fl[:0])
		if err != nil {
			b.Fatal(err)
		}
		out = out[:0]
		for k := range fl {
			if pair {
				out = p.Add(&fl[k], now, out)
			} else {
				Derive(&fl[k])
			}
		}
		records += len(fl)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// Decode and map (Derive), one goroutine: records/s per core.
func BenchmarkDecodeMap_v5_30rec(b *testing.B) {
	v5, _, _, _, _ := benchMessages()
	benchDecode(b, nil, v5, false)
}

func BenchmarkDecodeMap_v9_30rec(b *testing.B) {
	_, t, v9, _, _ := benchMessages()
	benchDecode(b, t, v9, false)
}

func BenchmarkDecodeMap_ipfix_30rec(b *testing.B) {
	_, _, _, t, m := benchMessages()
	benchDecode(b, t, m, false)
}

// With pairing: the 30 records are 15 two-way pairs.
func BenchmarkDecodeMapPair_v9_30rec(b *testing.B) {
	_, t, v9, _, _ := benchMessages()
	benchDecode(b, t, v9, true)
}

// The baselines: goflow2's decoders alone on the same messages (no
// checks, no mapping), in the same process, for the ratio.
func BenchmarkGoflow2Only_v5_30rec(b *testing.B) {
	v5, _, _, _, _ := benchMessages()
	b.SetBytes(int64(len(v5)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var p netflowlegacy.PacketNetFlowV5
		if err := netflowlegacy.DecodeMessageVersion(bytes.NewBuffer(v5), &p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(30*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkGoflow2Only_v9_30rec(b *testing.B) {
	_, t, v9, _, _ := benchMessages()
	ts := netflow.CreateTemplateSystem()
	var p9 netflow.NFv9Packet
	var px netflow.IPFIXPacket
	if err := netflow.DecodeMessageVersion(bytes.NewBuffer(t), ts, &p9, &px); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v9)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var p9 netflow.NFv9Packet
		if err := netflow.DecodeMessageVersion(bytes.NewBuffer(v9), ts, &p9, &px); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(30*b.N)/b.Elapsed().Seconds(), "records/s")
}
