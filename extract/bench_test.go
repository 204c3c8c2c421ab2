package extract

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// repeated writes the packets of a pcap n times, each copy shifted by
// span, as one pcap: the shape of bench/extract.sh's 10 M-packet file.
func repeated(tb testing.TB, pcap []byte, n int, span time.Duration) ([]byte, int) {
	tb.Helper()
	var out bytes.Buffer
	w := pcapgo.NewWriter(&out)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	packets := 0
	for i := 0; i < n; i++ {
		c, err := NewCapture(bytes.NewReader(pcap), "bench", 0)
		if err != nil {
			tb.Fatal(err)
		}
		for {
			data, ci, _, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			ci.Timestamp = ci.Timestamp.Add(time.Duration(i) * span)
			w.WritePacket(ci, data)
			packets++
		}
	}
	return out.Bytes(), packets
}

// benchExtract extracts a capture held in memory and writes its CSV to
// io.Discard: decoding, reordering, the flow table and the CSV writer, as
// in the whole process, without the disk.
func benchExtract(b *testing.B, data []byte, packets int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		cw := NewCSVWriter(io.Discard, "")
		x, _ := New(benchOptions, cw.Write)
		if err := x.ReadCapture(context.Background(), bytes.NewReader(data), "bench"); err != nil {
			b.Fatal(err)
		}
		if err := cw.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
	// CPU time is steadier than wall time on a shared machine; run with
	// GOMAXPROCS=1 for a one-core figure (GC included).
	b.ReportMetric(float64(packets)*float64(b.N)/cpu.Seconds(), "packets/cpu-s")
}

// BenchmarkExtract_tcpSessions_1M: 1 M packets of short TCP sessions made
// in the test (handshake, data, teardown; 10 packets a flow, 100 k flows).
func BenchmarkExtract_tcpSessions_1M(b *testing.B) {
	var ps []pk
	for i := 0; i < 1000; i++ {
		for _, p := range teardown {
			p.sp = uint16(10000 + i)
			p.dp = 443
			if p.src == srv {
				p.sp, p.dp = 443, uint16(10000+i)
			}
			p.t += time.Duration(i) * 30 * time.Millisecond
			ps = append(ps, p)
		}
	}
	data, n := repeated(b, capture(b, ps), 100, time.Minute)
	benchExtract(b, data, n)
}

// BenchmarkDecode_ethernetIPv4TCP: one frame through the DecodingLayerParser.
func BenchmarkDecode_ethernetIPv4TCP(b *testing.B) {
	f := frame(b, teardown[3])
	d := newDecoder(false)
	var p packet
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.decode(f, layers.LayerTypeEthernet, &p)
	}
}

var _ = gopacket.CaptureInfo{}

var benchOptions = Options{}
