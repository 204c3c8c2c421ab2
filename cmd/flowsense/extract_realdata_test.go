//go:build realdata

package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

// share counts flows, those with an attack label and those whose verdict
// is not benign (an attack label or an outlier), over all flows and over
// flows of two packets or more (the CIC-IDS2017 sample holds no shorter
// flow, so a model trained there has never seen a single SYN).
type share struct {
	flows, attack, flagged    int
	flows2, attack2, flagged2 int
	labels                    map[string]int
}

func (s *share) addAll(o share) {
	s.flows += o.flows
	s.attack += o.attack
	s.flagged += o.flagged
	s.flows2 += o.flows2
	s.attack2 += o.attack2
	s.flagged2 += o.flagged2
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func bar(x float64) string {
	n := int(x*20 + 0.5)
	return strings.Repeat("█", n) + strings.Repeat("·", 20-n)
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// classify extracts a capture and classifies its flows with the model.
func classify(t *testing.T, model, pcap string) share {
	t.Helper()
	dir := t.TempDir()
	flows, pred := filepath.Join(dir, "flows.csv"), filepath.Join(dir, "pred.csv")
	if code, _, e := flowsense(t, "extract", "--pcap", pcap, "--out", flows); code != 0 {
		t.Fatalf("extract %s: %s", pcap, e)
	}
	if code, _, e := flowsense(t, "predict", "--model", model, "--data", flows, "--out", pred); code != 0 {
		t.Fatalf("predict %s: %s", pcap, e)
	}
	fl, pr := readCSV(t, flows), readCSV(t, pred)
	if len(fl) != len(pr) {
		t.Fatalf("%s: %d flows, %d predictions", pcap, len(fl)-1, len(pr)-1)
	}
	col := map[string]int{}
	for i, h := range fl[0] {
		col[h] = i
	}
	s := share{labels: map[string]int{}}
	for i := 1; i < len(fl); i++ {
		fwd, _ := strconv.Atoi(fl[i][col["Total Fwd Packet"]])
		bwd, _ := strconv.Atoi(fl[i][col["Total Bwd packets"]])
		label, verdict := pr[i][1], pr[i][4]
		attack, flagged := label != "BENIGN", verdict != "benign"
		s.labels[label]++
		s.flows++
		s.attack += b2i(attack)
		s.flagged += b2i(flagged)
		if fwd+bwd >= 2 {
			s.flows2++
			s.attack2 += b2i(attack)
			s.flagged2 += b2i(flagged)
		}
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestClassifyCapturesRealData: the CIC-IDS2017 model, trained on the
// published training split, classifies the flows flowsense extracts from
// the attack captures and from benign captures made with scapy
// (extract/testdata/benign/mkbenign.py). The bars are the shares measured
// when this test was written (rounded down), and again when the trainer's
// defaults changed (issue 10: early stopping on the validation error; the
// SYN flood went from under 1% to 100% attack labels, the nmap version
// scan from over 35% to 27.8% of its 18 flows; the SYN flood's and the FTP
// brute force's bars were later raised to those shares, 100% and 76.7%):
// they guard against regressions in
// extraction and training, they are not a claim that this model
// generalises; FEATURES.md discusses the figures.
func TestClassifyCapturesRealData(t *testing.T) {
	train := realdata.File(t, "cicids2017/train.csv.gz")
	test := realdata.File(t, "cicids2017/test.csv.gz")
	model := filepath.Join(t.TempDir(), "cic")
	if code, _, e := flowsense(t, "train", "--data", train, "--test", test, "--out", model, "--threads", "1", "--quiet", "--no-run"); code != 0 {
		t.Fatalf("train: %s", e)
	}
	_, here, _, _ := runtime.Caller(0)
	benign := filepath.Join(filepath.Dir(here), "..", "..", "extract", "testdata", "benign")
	type capture struct {
		class, file string
		// bars: least share of attack labels (all flows, flows of 2+
		// packets) and least share of non-benign verdicts; for benign
		// captures, least share of BENIGN labels and of benign verdicts.
		attack, attack2, flagged float64
	}
	caps := []capture{
		{"SYN flood", realdata.File(t, "pcap/captures/stopddos-tcp-synflood-spoofed.pcap.gz"), 0.99, 0.99, 0.99},
		{"nmap scans", realdata.File(t, "pcap/captures/zeek-nmap-vsn.pcap"), 0.25, 0.45, 0.70},
		{"nmap scans", realdata.File(t, "pcap/captures/concap-nmap-udp-version.pcap"), 0.08, 0.35, 0.95},
		{"nmap scans", realdata.File(t, "pcap/pairs/concap-nmap-ss/dump.pcap"), 0.75, 0.75, 0.95},
		{"FTP/SSH brute force", realdata.File(t, "pcap/captures/zeek-ftp-bruteforce.pcap"), 0.75, 0.75, 0.75},
		{"FTP/SSH brute force", realdata.File(t, "pcap/captures/zeek-ssh-sshguess.pcap"), 0.85, 0.85, 0.85},
		{"web attack (SQL injection)", realdata.File(t, "pcap/captures/zeek-http-dvwa-sqli.pcapng"), 0.2, 0.2, 0.2},
		{"benign", realdata.File(t, "pcap/captures/zeek-dns-long-connection.pcap"), 1, 1, 1},
		{"benign", filepath.Join(benign, "web.pcap"), 1, 1, 1},
		{"benign", filepath.Join(benign, "dns.pcap"), 1, 1, 1},
		{"benign", filepath.Join(benign, "download.pcap"), 1, 1, 0},
	}
	classes := map[string]*share{}
	var order []string
	var report strings.Builder
	fmt.Fprintf(&report, "%-40s %6s  %-28s  %-28s  %-28s  %s\n", "capture", "flows", "attack labels", "attack labels, 2+ packets", "not-benign verdicts", "labels")
	for _, c := range caps {
		if _, err := os.Stat(c.file); err != nil {
			t.Fatalf("capture missing: %v (benign ones: /usr/bin/python3 extract/testdata/benign/mkbenign.py)", err)
		}
		s := classify(t, model, c.file)
		if classes[c.class] == nil {
			classes[c.class] = &share{}
			order = append(order, c.class)
		}
		classes[c.class].addAll(s)
		a, a2, fl := frac(s.attack, s.flows), frac(s.attack2, s.flows2), frac(s.flagged, s.flows)
		var labels []string
		for l, n := range s.labels {
			labels = append(labels, fmt.Sprintf("%s %d", l, n))
		}
		sort.Strings(labels)
		fmt.Fprintf(&report, "%-40s %6d  %s %5.1f%%  %s %5.1f%%  %s %5.1f%%  %s\n", filepath.Base(c.file), s.flows,
			bar(a), 100*a, bar(a2), 100*a2, bar(fl), 100*fl, strings.Join(labels, ", "))
		if c.class == "benign" {
			if 1-a < c.attack || 1-fl < c.flagged {
				t.Errorf("%s: %.1f%% BENIGN labels (bar %.0f%%), %.1f%% benign verdicts (bar %.0f%%)",
					c.file, 100*(1-a), 100*c.attack, 100*(1-fl), 100*c.flagged)
			}
			continue
		}
		if a < c.attack || a2 < c.attack2 || fl < c.flagged {
			t.Errorf("%s: attack labels %.1f%% (bar %.1f%%), on 2+ packet flows %.1f%% (bar %.1f%%), not-benign verdicts %.1f%% (bar %.1f%%)",
				c.file, 100*a, 100*c.attack, 100*a2, 100*c.attack2, 100*fl, 100*c.flagged)
		}
	}
	fmt.Fprintf(&report, "\nper class:\n")
	for _, k := range order {
		s := classes[k]
		fmt.Fprintf(&report, "%-40s %6d  %s %5.1f%%  %s %5.1f%%  %s %5.1f%%\n", k, s.flows,
			bar(frac(s.attack, s.flows)), 100*frac(s.attack, s.flows), bar(frac(s.attack2, s.flows2)), 100*frac(s.attack2, s.flows2),
			bar(frac(s.flagged, s.flows)), 100*frac(s.flagged, s.flows))
	}
	t.Log("\n" + report.String())
}
