//go:build realdata

package collect

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

func captures(t *testing.T) []string {
	t.Helper()
	dir := realdata.File(t, "pcap/captures")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if len(files) == 0 {
		t.Fatalf("no captures in %s", dir)
	}
	return files
}

// TestAgainstSoftflowdAndNfdump replays every capture through softflowd
// as NetFlow v5, v9 and IPFIX, with sysUpTime times (softflowd's default)
// and absolute ones (-A milli), and as IPFIX biflows (-b), to nfcapd,
// which repeats every datagram to the collector, and checks record by
// record that the collector decoded what nfdump shows: addresses, ports
// (ICMP type and code), protocol, first and last packet to the
// millisecond, packets, bytes (both directions for biflows) and TCP flags
// (of the reverse direction for biflows: see flowKey).
// Two documented differences are allowed and counted: nfdump's swapped
// IPFIX sysUpTime times, and v9 sysUpTime times 2^32 ms apart (wrapMs).
func TestAgainstSoftflowdAndNfdump(t *testing.T) {
	needTools(t)
	tmp := t.TempDir()
	type row struct {
		capture, version    string
		ours, nfdump, match int
		swapped, wrapped    int
	}
	var table []row
	for _, path := range captures(t) {
		capture := plainCapture(t, path, tmp)
		for _, v := range []struct {
			name, version string
			wrap          bool
			extra         []string
		}{
			{"v5", "5", false, nil},
			{"v9", "9", true, nil},
			{"v9 -A milli", "9", false, []string{"-A", "milli"}},
			{"ipfix", "10", false, nil},
			{"ipfix -A milli", "10", false, []string{"-A", "milli"}},
			{"ipfix -b", "10", false, []string{"-b"}},
		} {
			name := filepath.Base(path) + "/" + v.name
			t.Run(name, func(t *testing.T) {
				col := startCollector(t, Config{NoPairing: true})
				nfPort := freeUDPPort(t)
				nf := startNfcapd(t, nfPort, col.c.Addr().(*net.UDPAddr))
				replay(t, capture, fmt.Sprintf("127.0.0.1:%d", nfPort), v.version, v.extra...)
				flows := col.wait(t)
				recs := nf.records(t)
				st := col.c.Stats()
				t.Logf("collector: %d datagrams, %+v", st.Datagrams, st.Decoder)
				if st.BadDatagrams != 0 || st.Dropped != 0 {
					t.Errorf("%d bad, %d dropped datagrams: %v", st.BadDatagrams, st.Dropped, col.errs)
				}
				want, swapped := map[string]int{}, 0
				for _, r := range recs {
					if r.Type == "FLOW" {
						want[r.key(t, v.wrap)]++
						if _, _, sw := r.times(t); sw {
							swapped++
						}
					}
				}
				got, exact := map[string]int{}, map[string]bool{}
				for i := range flows {
					rev := len(v.extra) > 0 && v.extra[0] == "-b"
					got[flowKey(&flows[i], v.wrap, rev)]++
					exact[flowKey(&flows[i], false, rev)] = true
				}
				wrapped := 0
				for _, r := range recs {
					if r.Type == "FLOW" && v.wrap && !exact[r.key(t, false)] {
						wrapped++
					}
				}
				match, nfN := 0, 0
				for k, n := range want {
					nfN += n
					match += min(n, got[k])
				}
				table = append(table, row{filepath.Base(path), v.name, len(flows), nfN, match, swapped, wrapped})
				if match != nfN || len(flows) != nfN {
					var diff []string
					for k, n := range want {
						if got[k] != n {
							diff = append(diff, fmt.Sprintf("nfdump %dx, collector %dx: %s", n, got[k], k))
						}
					}
					for k, n := range got {
						if _, ok := want[k]; !ok {
							diff = append(diff, fmt.Sprintf("collector only %dx: %s", n, k))
						}
					}
					sort.Strings(diff)
					if len(diff) > 20 {
						diff = append(diff[:20], fmt.Sprintf("... %d more", len(diff)-20))
					}
					t.Errorf("%d of %d nfdump records matched, the collector made %d:\n%s", match, nfN, len(flows), strings.Join(diff, "\n"))
				}
				if nfN == 0 {
					t.Error("nfdump received no records: the replay exported nothing")
				}
			})
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", "capture", "export", "collector", "nfdump", "matched", "nfdump times swapped", "2^32 ms apart")
	for _, r := range table {
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d |\n", r.capture, r.version, r.ours, r.nfdump, r.match, r.swapped, r.wrapped)
	}
	t.Log("\n" + b.String())
}
