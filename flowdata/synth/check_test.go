package synth

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
)

// table is a parsed CSV written by Write.
type table struct {
	header []string
	col    map[string]int
	rows   [][]string
}

func parse(t testing.TB, data []byte) *table {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	h, err := r.Read()
	if err != nil {
		t.Fatalf("read header: %v", err)
	}
	tb := &table{header: h, col: make(map[string]int, len(h))}
	for i, name := range h {
		tb.col[name] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read row %d: %v", len(tb.rows)+1, err)
		}
		tb.rows = append(tb.rows, rec)
	}
	return tb
}

func generate(t testing.TB, opt Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, opt); err != nil {
		t.Fatalf("Write(%+v): %v", opt, err)
	}
	return buf.Bytes()
}

// row gives named, typed access to one record. A missing (empty) cell makes
// ok false, so checks that need it are skipped for that row.
type row struct {
	tb  *table
	rec []string
}

func (r row) str(name string) string { return r.rec[r.tb.col[name]] }

func (r row) num(name string) (float64, bool) {
	s := r.str(name)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN(), false
	}
	return v, true
}

// near reports whether a and b agree to a relative 1e-9.
func near(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// checkRow returns the ways in which one row breaks the relations between
// CICFlowMeter's columns (see doc.go).
func checkRow(r row) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	// get returns the named values, ok only when all of them are present.
	get := func(names ...string) ([]float64, bool) {
		vs := make([]float64, len(names))
		for i, n := range names {
			v, ok := r.num(n)
			if !ok {
				return nil, false
			}
			vs[i] = v
		}
		return vs, true
	}
	for i, name := range r.tb.header {
		s := r.rec[i]
		if name == LabelColumn || name == "Flow ID" || name == "Src IP" || name == "Dst IP" || name == "Timestamp" || s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fail("%s = %q is not a number", name, s)
		} else if v < 0 {
			fail("%s = %v is negative", name, v)
		}
		if s != "NaN" && s != "Infinity" && strings.ContainsAny(s, "eEnN") {
			fail("%s = %q is not in plain decimal notation", name, s)
		}
	}
	if v, ok := get("Protocol", "Dst Port"); ok {
		if p := v[0]; p != tcp && p != udp && p != icmp {
			fail("Protocol = %v", p)
		}
		if v[1] > 65535 || v[1] != math.Trunc(v[1]) {
			fail("Dst Port = %v", v[1])
		}
	}
	// The identifier columns are never left empty.
	want := fmt.Sprintf("%s-%s-%s-%s-%s", r.str("Src IP"), r.str("Dst IP"), r.str("Src Port"), r.str("Dst Port"), r.str("Protocol"))
	if got := r.str("Flow ID"); got != want {
		fail("Flow ID = %q, want %q", got, want)
	}
	v, ok := get("Flow Duration", "Total Fwd Packet", "Total Bwd packets", "Total Length of Fwd Packet", "Total Length of Bwd Packet")
	if !ok {
		return bad
	}
	dur, nf, nb, tf, tb := v[0], v[1], v[2], v[3], v[4]
	n := nf + nb
	if nf < 1 {
		fail("Total Fwd Packet = %v < 1", nf)
	}
	if n < 2 && dur != 0 {
		fail("one-packet flow has duration %v", dur)
	}
	// rate checks a per-second rate, with Java's x/0 rules.
	rate := func(name string, num float64) {
		got, ok := r.num(name)
		if !ok {
			return
		}
		switch {
		case dur > 0:
			if !near(got, num/dur*1e6) {
				fail("%s = %v, want %v / %v us", name, got, num, dur)
			}
		case num == 0:
			if !math.IsNaN(got) {
				fail("%s = %v, want NaN (0/0)", name, got)
			}
		default:
			if !math.IsInf(got, 1) {
				fail("%s = %v, want Infinity (x/0)", name, got)
			}
		}
	}
	rate("Flow Bytes/s", tf+tb)
	rate("Flow Packets/s", n)
	rate("Fwd Packets/s", nf)
	rate("Bwd Packets/s", nb)
	// Length statistics of a direction (or of all packets).
	lengths := func(dir string, count, total float64, names ...string) {
		s, ok := get(names...)
		if !ok {
			return
		}
		max, min, mean, std := s[0], s[1], s[2], s[3]
		if count == 0 {
			if max != 0 || min != 0 || mean != 0 || std != 0 {
				fail("%s: no packets but stats %v", dir, s)
			}
			return
		}
		if !(min <= mean && mean <= max) {
			fail("%s: min %v, mean %v, max %v out of order", dir, min, mean, max)
		}
		if !near(mean*count, total) && math.Abs(mean*count-total) > 1e-6 {
			fail("%s: mean %v * %v packets != total %v", dir, mean, count, total)
		}
		if count == 1 && std != 0 {
			fail("%s: one packet, std %v", dir, std)
		}
		// Popoviciu: the variance is at most (max-min)^2/4, times n/(n-1)
		// for the sample form.
		if count > 1 && std > (max-min)/2*math.Sqrt(count/(count-1))*(1+1e-9)+1e-9 {
			fail("%s: std %v too large for range [%v, %v]", dir, std, min, max)
		}
	}
	lengths("fwd", nf, tf, "Fwd Packet Length Max", "Fwd Packet Length Min", "Fwd Packet Length Mean", "Fwd Packet Length Std")
	lengths("bwd", nb, tb, "Bwd Packet Length Max", "Bwd Packet Length Min", "Bwd Packet Length Mean", "Bwd Packet Length Std")
	lengths("all", n, tf+tb, "Packet Length Max", "Packet Length Min", "Packet Length Mean", "Packet Length Std")
	if s, ok := get("Packet Length Min", "Packet Length Max", "Fwd Packet Length Min", "Fwd Packet Length Max", "Bwd Packet Length Min", "Bwd Packet Length Max"); ok {
		wantMin, wantMax := s[2], s[3]
		if nb > 0 {
			wantMin, wantMax = math.Min(s[2], s[4]), math.Max(s[3], s[5])
		}
		if s[0] != wantMin || s[1] != wantMax {
			fail("Packet Length Min/Max = %v/%v, want %v/%v", s[0], s[1], wantMin, wantMax)
		}
	}
	if s, ok := get("Average Packet Size", "Packet Length Mean"); ok && s[0] != s[1] {
		fail("Average Packet Size %v != Packet Length Mean %v", s[0], s[1])
	}
	if s, ok := get("Down/Up Ratio"); ok && !near(s[0], nb/nf) {
		fail("Down/Up Ratio = %v, want %v/%v", s[0], nb, nf)
	}
	// Gaps.
	if s, ok := get("Flow IAT Mean", "Flow IAT Std", "Flow IAT Max", "Flow IAT Min"); ok {
		mean, max, min := s[0], s[2], s[3]
		if n >= 2 {
			if !near(mean*(n-1), dur) && math.Abs(mean*(n-1)-dur) > 1e-6 {
				fail("Flow IAT Mean %v * %v gaps != duration %v", mean, n-1, dur)
			}
			if !(min <= mean*(1+1e-12) && mean <= max*(1+1e-12) && max <= dur) {
				fail("Flow IAT min %v, mean %v, max %v, duration %v out of order", min, mean, max, dur)
			}
		} else if mean != 0 || max != 0 || min != 0 {
			fail("one packet but Flow IAT %v", s)
		}
	}
	span := func(dir string, count float64, names ...string) {
		s, ok := get(append(names, "Flow IAT Min")...)
		if !ok {
			return
		}
		total, mean, gmin := s[0], s[1], s[2]
		if count < 2 {
			if total != 0 || mean != 0 {
				fail("%s: %v packets but IAT total %v, mean %v", dir, count, total, mean)
			}
			return
		}
		if total > dur {
			fail("%s IAT Total %v > duration %v", dir, total, dur)
		}
		if count == n && total != dur {
			fail("%s IAT Total %v != duration %v with every packet %s", dir, total, dur, dir)
		}
		if !near(mean*(count-1), total) && math.Abs(mean*(count-1)-total) > 1e-6 {
			fail("%s IAT Mean %v * %v != total %v", dir, mean, count-1, total)
		}
		if mean < gmin*(1-1e-12) {
			fail("%s IAT Mean %v < Flow IAT Min %v", dir, mean, gmin)
		}
	}
	span("fwd", nf, "Fwd IAT Total", "Fwd IAT Mean")
	span("bwd", nb, "Bwd IAT Total", "Bwd IAT Mean")
	if s, ok := get("Active Mean", "Idle Mean", "Flow IAT Max"); ok {
		active, idle, gmax := s[0], s[1], s[2]
		switch {
		case gmax <= idleTimeout:
			if active != 0 || idle != 0 {
				fail("no gap over %d us but Active/Idle Mean %v/%v", idleTimeout, active, idle)
			}
		case !(idle > idleTimeout && idle <= gmax && active+idle <= dur*(1+1e-12)):
			fail("Active Mean %v, Idle Mean %v, Flow IAT Max %v, duration %v inconsistent", active, idle, gmax, dur)
		}
	}
	for _, name := range []string{"FIN Flag Count", "SYN Flag Count", "RST Flag Count", "PSH Flag Count", "ACK Flag Count"} {
		if s, ok := get(name); ok && s[0] > n {
			fail("%s = %v > %v packets", name, s[0], n)
		}
	}
	if s, ok := get("Protocol", "SYN Flag Count", "ACK Flag Count", "FWD Init Win Bytes"); ok && s[0] != tcp {
		if s[1] != 0 || s[2] != 0 || s[3] != 0 {
			fail("protocol %v flow has TCP flags or window %v", s[0], s[1:])
		}
	}
	return bad
}
