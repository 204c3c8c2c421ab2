//go:build realdata

package extract

import (
	"os"
	"testing"
	"time"

	"github.com/flowsense/flowsense/internal/realdata"
)

// BenchmarkExtract_SYNFlood_1M: the StopDDoS SYN flood (37,841 packets,
// one-way, spoofed sources) repeated 27 times, each copy 24 s after the
// last (1.02 M packets, 230 k flows): the shape of bench/extract.sh's
// 10 M-packet file held in memory.
func BenchmarkExtract_SYNFlood_1M(b *testing.B) {
	raw, err := os.ReadFile(realdata.File(b, "pcap/captures/stopddos-tcp-synflood-spoofed.pcap.gz"))
	if err != nil {
		b.Fatal(err)
	}
	data, n := repeated(b, raw, 27, 24*time.Second)
	benchExtract(b, data, n)
}
