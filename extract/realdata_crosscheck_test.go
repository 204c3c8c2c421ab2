//go:build realdata

package extract

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

func captures(t *testing.T) []string {
	t.Helper()
	dir := realdata.File(t, "pcap/captures")
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no captures in %s: %v", dir, err)
	}
	return paths
}

func needTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: apt-get install -y %s", name, pkg)
	}
}

// conv is one direction-aware conversation total: frames and bytes from a
// to b and from b to a, keyed by the unordered pair of endpoints.
type conv struct {
	ab, ba         [2]int64 // frames, bytes
	flows, records int
	first, last    float64
}

func endpoints(a, b string) (string, bool) {
	if a <= b {
		return a + " " + b, false
	}
	return b + " " + a, true
}

func (c *conv) add(from, to string, frames, bytes int64) {
	_, swapped := endpoints(from, to)
	d := &c.ab
	if swapped {
		d = &c.ba
	}
	d[0] += frames
	d[1] += bytes
}

// ours aggregates flowsense's TCP and UDP flows (or, for proto 1, ICMP by
// host pair) per conversation.
func ours(t *testing.T, path string, proto uint8) map[string]*conv {
	t.Helper()
	out := map[string]*conv{}
	for _, f := range fileFlows(t, path, Options{}, 0) {
		if f.Protocol != proto {
			continue
		}
		a, b := f.Src.String(), f.Dst.String()
		if proto != protoICMP {
			a, b = a+":"+strconv.Itoa(int(f.SrcPort)), b+":"+strconv.Itoa(int(f.DstPort))
		}
		k, _ := endpoints(a, b)
		c := out[k]
		if c == nil {
			c = &conv{}
			out[k] = c
		}
		c.flows++
		c.add(a, b, f.FwdFrames, f.FwdFrameBytes)
		c.add(b, a, f.BwdFrames, f.BwdFrameBytes)
	}
	return out
}

var convLine = regexp.MustCompile(`^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+(\d+) (\S+)\s+(\d+)\s+(\d+) (\S+)\s`)

// tsharkConv runs tshark -q -z conv,tcp|udp and totals its lines per
// conversation ("<-" is B to A, "->" A to B).
func tsharkConv(t *testing.T, path, proto string) map[string]*conv {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-q", "-z", "conv,"+proto).Output()
	if err != nil {
		t.Fatalf("tshark -r %s -z conv,%s: %v", path, proto, err)
	}
	res := map[string]*conv{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := convLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if m[7] != "bytes" || m[10] != "bytes" {
			t.Fatalf("tshark wrote a byte count in %s/%s, not exact: %q", m[7], m[10], sc.Text())
		}
		a, b := m[1]+":"+m[2], m[3]+":"+m[4]
		k, _ := endpoints(a, b)
		c := res[k]
		if c == nil {
			c = &conv{}
			res[k] = c
		}
		c.records++
		c.add(b, a, atoi64(t, m[5]), atoi64(t, m[6]))
		c.add(a, b, atoi64(t, m[8]), atoi64(t, m[9]))
	}
	return res
}

func atoi64(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func compareConvs(t *testing.T, what string, got, want map[string]*conv) {
	t.Helper()
	for k, w := range want {
		g := got[k]
		if g == nil {
			t.Errorf("%s: conversation %s missing from flowsense", what, k)
			continue
		}
		if g.ab != w.ab || g.ba != w.ba {
			t.Errorf("%s: %s: flowsense frames/bytes %v %v, %v %v", what, k, g.ab, g.ba, w.ab, w.ba)
		}
	}
	for k := range got {
		if want[k] == nil {
			t.Errorf("%s: flowsense conversation %s unknown to the other tool", what, k)
		}
	}
}

// plain returns a path the tools read: the capture, or a decompressed
// copy of a gzipped one (Argus reads no gzip).
func plain(t *testing.T, path string) string {
	t.Helper()
	if !strings.HasSuffix(path, ".gz") {
		return path
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(path), ".gz"))
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, z); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return p
}

// TestTsharkConversationsRealData: per TCP and UDP conversation, the
// frames and bytes in each direction of flowsense's flows add up to
// tshark's conversation table exactly, on every capture.
func TestTsharkConversationsRealData(t *testing.T) {
	needTool(t, "tshark", "tshark")
	for _, path := range captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			n := 0
			for _, p := range []struct {
				name  string
				proto uint8
			}{{"tcp", protoTCP}, {"udp", protoUDP}} {
				want := tsharkConv(t, path, p.name)
				got := ours(t, path, p.proto)
				compareConvs(t, "conv,"+p.name, got, want)
				n += len(want)
			}
			t.Logf("%d conversations agree with tshark", n)
		})
	}
}

// argusRecords runs argus on the capture and racluster on its records,
// merged per 5-tuple (Argus writes a status record every few seconds of a
// long flow); for ICMP per host pair, since Argus keys ICMP by type and
// code (and an unreachable by the port it quotes).
func argusRecords(t *testing.T, path string) (raw map[string]int, merged map[string]map[string]*conv) {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.argus")
	if b, err := exec.Command("argus", "-X", "-r", plain(t, path), "-w", out).CombinedOutput(); err != nil {
		t.Fatalf("argus -r %s: %v: %s", path, err, b)
	}
	fields := "stime,ltime,proto,saddr,sport,daddr,dport,spkts,dpkts,sbytes,dbytes"
	list := func(tool string, args ...string) [][]string {
		cmd := exec.Command(tool, append(append([]string{"-r", out, "-n", "-u", "-c", ",", "-s"}, strings.Split(fields, ",")...),
			append(args, "-", "not man")...)...)
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s output: %v", tool, err)
		}
		return recs[1:]
	}
	raw = map[string]int{}
	for _, r := range list("ra") {
		raw[r[2]]++
	}
	merged = map[string]map[string]*conv{}
	for _, r := range list("racluster", "-m", "saddr", "daddr", "proto", "sport", "dport") {
		proto := r[2]
		a, b := r[3], r[5]
		if proto == "tcp" || proto == "udp" {
			a, b = a+":"+r[4], b+":"+r[6]
		}
		k, _ := endpoints(a, b)
		if merged[proto] == nil {
			merged[proto] = map[string]*conv{}
		}
		c := merged[proto][k]
		if c == nil {
			c = &conv{first: atofT(t, r[0])}
			merged[proto][k] = c
		}
		c.records++
		c.last = max(c.last, atofT(t, r[1]))
		c.add(a, b, atoi64(t, r[7]), atoi64(t, r[9]))
		c.add(b, a, atoi64(t, r[8]), atoi64(t, r[10]))
	}
	return raw, merged
}

func atofT(t *testing.T, s string) float64 {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return x
}

// TestArgusRealData: Argus (argus + ra/racluster) sees the same TCP, UDP
// and ICMP traffic, frame for frame and byte for byte, and the same flows
// within its documented differences:
//
//   - Argus writes status records of a long flow every few seconds
//     (ARGUS_FLOW_STATUS_INTERVAL): merged with racluster per 5-tuple;
//   - CICFlowMeter ends a flow 120 s after its first packet: a 5-tuple
//     that lasts longer is one Argus flow and several flowsense flows;
//   - Argus keys ICMP by type and code (an unreachable by the port it
//     quotes), CICFlowMeter by host pair: ICMP is compared per host pair,
//     frames and bytes only;
//   - Argus reports ARP and other non-IP frames as flows; flowsense counts
//     them as not IP.
func TestArgusRealData(t *testing.T) {
	needTool(t, "argus", "argus-server")
	needTool(t, "racluster", "argus-client")
	const timeout = 120.0
	for _, path := range captures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, merged := argusRecords(t, path)
			summary := []string{}
			for _, p := range []struct {
				name  string
				proto uint8
			}{{"tcp", protoTCP}, {"udp", protoUDP}, {"icmp", protoICMP}} {
				want := merged[p.name]
				got := ours(t, path, p.proto)
				compareConvs(t, "argus "+p.name, got, want)
				flowsenseFlows := 0
				for k, g := range got {
					flowsenseFlows += g.flows
					w := want[k]
					if w == nil || p.proto == protoICMP {
						continue
					}
					if span := w.last - w.first; g.flows != 1 && span <= timeout {
						t.Errorf("%s %s: %d flowsense flows for one Argus flow of %.1f s (not longer than the flow timeout)", p.name, k, g.flows, span)
					} else if g.flows == 1 && span > timeout {
						t.Errorf("%s %s: one flowsense flow for %.1f s of traffic (the flow timeout is %v s)", p.name, k, span, timeout)
					}
				}
				summary = append(summary, p.name+": argus "+strconv.Itoa(raw[p.name])+" records, "+strconv.Itoa(len(want))+
					" merged, flowsense "+strconv.Itoa(flowsenseFlows)+" flows")
			}
			t.Log(strings.Join(summary, "; "))
		})
	}
}
