package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/extract"
	"github.com/flowsense/flowsense/extract/extracttest"
	"github.com/flowsense/flowsense/functions"
)

const mixed = "../../../extract/testdata/mixed.pcap"

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestExtractIsFlowsenseExtract: the page's extraction of extract's golden
// capture is, byte for byte, the CSV `flowsense extract` writes for it
// (extract's golden file of the same capture), with one key per row.
func TestExtractIsFlowsenseExtract(t *testing.T) {
	res, err := Extract(context.Background(), bytes.NewReader(read(t, mixed)), "mixed.pcap")
	if err != nil {
		t.Fatal(err)
	}
	want := read(t, "../../../extract/testdata/mixed.cicids2017.csv")
	if !bytes.Equal(res.CSV, want) {
		t.Fatalf("the CSV differs from extract/testdata/mixed.cicids2017.csv:\n%s", res.CSV)
	}
	lines := strings.Split(strings.TrimSpace(string(want)), "\n")[1:]
	if len(res.Flows) != len(lines) || res.Stats.Flows != int64(len(lines)) {
		t.Fatalf("%d keys and %d flows counted for %d rows", len(res.Flows), res.Stats.Flows, len(lines))
	}
	for i, l := range lines {
		c := strings.Split(l, ",")
		k := res.Flows[i]
		if c[1] != k.ID || c[2] != k.Src || c[4] != k.Dst || c[3] != itoa(k.SrcPort) || c[5] != itoa(k.DstPort) ||
			!strings.HasPrefix(strings.Replace(k.Start, "T", " ", 1), c[7][:19]) {
			t.Errorf("row %d: key %+v, CSV %q", i+1, k, c[:8])
		}
	}
}

func itoa(p uint16) string { b, _ := json.Marshal(p); return string(b) }

// TestAppendJSON: the hand-written JSON is what encoding/json writes.
func TestAppendJSON(t *testing.T) {
	res, err := Extract(context.Background(), bytes.NewReader(read(t, mixed)), "mixed.pcap")
	if err != nil {
		t.Fatal(err)
	}
	keys := append(res.Flows, FlowKey{ID: "2001:db8::1-2001:db8::2-1-2-17", Src: "2001:db8::1", Dst: "2001:db8::2", SrcPort: 65535, Protocol: 255, FwdPackets: 1 << 40})
	for _, k := range [][]FlowKey{nil, keys[:1], keys} {
		want, _ := json.Marshal(k)
		if k == nil {
			want = []byte("[]")
		}
		if got := AppendJSON(nil, k); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON:\n%s\nencoding/json:\n%s", got, want)
		}
	}
	st := extract.Stats{Packets: 1, IP: 2, NotIP: 3, IPv6: 4, Malformed: 5, Late: 6, Flows: 7, Short: 8, Evicted: 9, Reordered: 10}
	want, _ := json.Marshal(st)
	if got := AppendStatsJSON(nil, st); !bytes.Equal(got, want) {
		t.Errorf("AppendStatsJSON %s, encoding/json %s", got, want)
	}
}

func pcapHeader(link uint32) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 65535)
	binary.LittleEndian.PutUint32(b[20:], link)
	return b
}

// TestExtractBad: what the page shows for captures it cannot use.
func TestExtractBad(t *testing.T) {
	whole := read(t, mixed)
	arp := append(pcapHeader(1), make([]byte, 16+42)...)
	binary.LittleEndian.PutUint32(arp[24+8:], 42)
	binary.LittleEndian.PutUint32(arp[24+12:], 42)
	arp[24+16+12], arp[24+16+13] = 0x08, 0x06
	cases := map[string]struct {
		body []byte
		is   error
		msg  string
	}{
		"truncated":     {whole[:len(whole)-7], extract.ErrTruncated, "x.pcap: packet"},
		"not a capture": {[]byte("Dst Port,Label\n"), extract.ErrNotCapture, "x.pcap: file header"},
		"header only":   {pcapHeader(1), ErrNoFlows, "x.pcap: the capture holds no IP flow (0 packets"},
		"no IP":         {arp, ErrNoFlows, "(1 packets: 1 not IP, 0 malformed)"},
		"link type":     {append(pcapHeader(147), whole[24:]...), extract.ErrLinkType, "x.pcap: file header: unsupported link-layer type"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Extract(context.Background(), bytes.NewReader(c.body), "x.pcap")
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %v, want %v with %q", err, c.is, c.msg)
			}
		})
	}
}

// FuzzExtract: any bytes give flows or an error, never a panic, and the
// CSV has one row per key.
func FuzzExtract(f *testing.F) {
	f.Add(read(f, mixed))
	f.Add(pcapHeader(1))
	f.Add([]byte{0x0a, 0x0d, 0x0d, 0x0a})
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Extract(context.Background(), bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		if rows := bytes.Count(res.CSV, []byte("\n")) - 1; rows != len(res.Flows) || len(res.Flows) == 0 {
			t.Fatalf("%d CSV rows, %d keys", rows, len(res.Flows))
		}
	})
}

// TestMaxFlows: a capture of MaxFlows flows is extracted, one more is
// refused with ErrTooManyFlows naming the file and the limit, which is at
// least POST /predict's for a capture upload.
func TestMaxFlows(t *testing.T) {
	if MaxFlows < functions.DefaultMaxFlows {
		t.Fatalf("MaxFlows is %d, under POST /predict's limit (functions.DefaultMaxFlows) %d", MaxFlows, functions.DefaultMaxFlows)
	}
	res, err := Extract(context.Background(), bytes.NewReader(extracttest.UDPFlows(MaxFlows)), "full.pcap")
	if err != nil || len(res.Flows) != MaxFlows {
		t.Fatalf("%d flows: %d extracted, %v", MaxFlows, len(res.Flows), err)
	}
	_, err = Extract(context.Background(), bytes.NewReader(extracttest.UDPFlows(MaxFlows+1)), "over.pcap")
	if !errors.Is(err, ErrTooManyFlows) || !strings.HasPrefix(err.Error(), "over.pcap: too many flows: more than 100000 in one capture") {
		t.Fatalf("%d flows: %v, want ErrTooManyFlows", MaxFlows+1, err)
	}
}
