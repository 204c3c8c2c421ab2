//go:build realdata

package extract

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/flowsense/flowsense/internal/realdata"
)

type rawPacket struct {
	data []byte
	ci   gopacket.CaptureInfo
	link layers.LinkType
}

func rawPackets(t *testing.T, path string) []rawPacket {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	c, err := NewCapture(fh, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ps []rawPacket
	for {
		data, ci, link, err := c.Next()
		if errors.Is(err, io.EOF) {
			return ps
		}
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, rawPacket{append([]byte(nil), data...), ci, link})
	}
}

// shuffle reverses runs of up to 16 packets that span at most a second
// and whose timestamps all differ (equal times keep capture order, which
// decides a flow's direction): a capture out of order the way a merge of
// two interfaces' captures or a multi-queue NIC leaves it.
func shuffle(ps []rawPacket) ([]rawPacket, int) {
	out := append([]rawPacket(nil), ps...)
	moved := 0
	for i := 0; i < len(out); {
		j := i + 1
		for j < len(out) && j-i < 16 && out[j].ci.Timestamp.Sub(out[i].ci.Timestamp) <= time.Second && out[j].ci.Timestamp.After(out[j-1].ci.Timestamp) {
			j++
		}
		if j-i > 1 {
			for a, b := i, j-1; a < b; a, b = a+1, b-1 {
				out[a], out[b] = out[b], out[a]
			}
			moved += j - i
		}
		i = j
	}
	return out, moved
}

func extractPackets(t *testing.T, ps []rawPacket) ([]string, Stats) {
	t.Helper()
	var out []string
	x, err := New(Options{}, func(f *Flow) error { out = append(out, fmt.Sprintf("%+v", *f)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := x.Packet(p.data, p.ci, p.link); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	return out, x.Stats()
}

// TestOutOfOrderRealData: every real capture, with runs of its packets
// reversed (shuffle), gives the same flows, every feature included, as the
// capture in order: the extractor reorders as reordercap does before the
// reference runs.
func TestOutOfOrderRealData(t *testing.T) {
	paths := captures(t)
	pairs, err := filepath.Glob(filepath.Join(realdata.File(t, "pcap/pairs"), "*", "*.pcap*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(paths, pairs...) {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			ps := rawPackets(t, path)
			want, _ := extractPackets(t, ps)
			shuffled, moved := shuffle(ps)
			if moved == 0 {
				t.Skipf("%d packets, none could be moved", len(ps))
			}
			got, st := extractPackets(t, shuffled)
			if st.Reordered == 0 || st.Late != 0 {
				t.Errorf("%d packets moved: reordered %d, late %d", moved, st.Reordered, st.Late)
			}
			if len(got) != len(want) {
				t.Fatalf("%d flows out of order, %d in order", len(got), len(want))
			}
			diff := 0
			for i := range want {
				if got[i] != want[i] {
					if diff++; diff <= 3 {
						t.Errorf("flow %d differs:\n in order     %s\n out of order %s", i+1, want[i], got[i])
					}
				}
			}
			t.Logf("%d packets, %d moved, %d reordered back, %d flows equal", len(ps), moved, st.Reordered, len(want)-diff)
		})
	}
}
