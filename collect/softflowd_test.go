//go:build realdata

package collect

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// needTools fails the test naming the Debian packages that are missing.
func needTools(t *testing.T) {
	t.Helper()
	var missing []string
	for tool, pkg := range map[string]string{"softflowd": "softflowd", "softflowctl": "softflowd", "nfcapd": "nfdump", "nfdump": "nfdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s (apt-get install -y %s)", tool, pkg))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Fatalf("the softflowd/nfdump comparison needs %s", strings.Join(missing, ", "))
	}
}

// plainCapture returns a capture softflowd can read: gzip files are
// unpacked into dir.
func plainCapture(t *testing.T, path, dir string) string {
	t.Helper()
	if !strings.HasSuffix(path, ".gz") {
		return path
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(path), ".gz"))
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// freeUDPPort returns a loopback port nothing listens on now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// replay runs softflowd on a capture, exporting to dest with the given
// version and extra options. softflowd -r waits on its
// control socket before it reads the file, so the control socket is
// polled (softflowctl statistics) until softflowd has read the file,
// flushed its flows and exited.
func replay(t *testing.T, capture, dest, version string, extra ...string) {
	t.Helper()
	dir := t.TempDir()
	ctl := filepath.Join(dir, "sf.ctl")
	args := []string{"-D", "-r", capture, "-v", version, "-p", filepath.Join(dir, "sf.pid"), "-c", ctl, "-n", dest}
	args = append(args, extra...)
	cmd := exec.Command("softflowd", args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("softflowd %s: %v\n%s", strings.Join(args, " "), err, log.String())
			}
			return
		case <-deadline:
			cmd.Process.Kill()
			<-done
			t.Fatalf("softflowd did not finish %s in 2 minutes\n%s", capture, log.String())
		case <-time.After(20 * time.Millisecond):
			exec.Command("softflowctl", "-c", ctl, "statistics").Run()
		}
	}
}

// nfcapdRun is nfcapd receiving on a port into a directory.
type nfcapdRun struct {
	cmd  *exec.Cmd
	dir  string
	log  bytes.Buffer
	done chan error
}

// startNfcapd starts nfcapd on port, repeating every datagram it receives
// to repeatTo (its -R option): softflowd 1.1.0 exports to one destination
// only (the last -n), so nfcapd hands the collector the very datagrams it
// decodes itself.
func startNfcapd(t *testing.T, port int, repeatTo *net.UDPAddr) *nfcapdRun {
	t.Helper()
	n := &nfcapdRun{dir: t.TempDir(), done: make(chan error, 1)}
	n.cmd = exec.Command("nfcapd", "-b", "127.0.0.1", "-p", fmt.Sprint(port), "-w", n.dir, "-t", "3600", "-B", "8388608",
		"-R", fmt.Sprintf("%s/%d", repeatTo.IP, repeatTo.Port))
	n.cmd.Stdout, n.cmd.Stderr = &n.log, &n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	t.Cleanup(func() {
		if n.cmd.ProcessState == nil {
			n.cmd.Process.Kill()
			<-n.done
		}
	})
	time.Sleep(300 * time.Millisecond) // bound before softflowd sends
	return n
}

// records stops nfcapd (it writes its file on SIGTERM) and reads what it
// received with nfdump -o json, times in UTC.
func (n *nfcapdRun) records(t *testing.T) []nfRecord {
	t.Helper()
	n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("nfcapd did not stop\n%s", n.log.String())
	}
	cmd := exec.Command("nfdump", "-R", n.dir, "-o", "json")
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nfdump -R %s: %v\n%s", n.dir, err, n.log.String())
	}
	var recs []nfRecord
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatalf("nfdump json: %v\n%.300s", err, out)
	}
	return recs
}

// nfRecord is one record of nfdump -o json.
type nfRecord struct {
	Type     string `json:"type"`
	First    string `json:"first"`
	Last     string `json:"last"`
	Packets  uint64 `json:"in_packets"`
	Bytes    uint64 `json:"in_bytes"`
	OutPkts  uint64 `json:"out_packets"`
	OutBytes uint64 `json:"out_bytes"`
	Proto    uint8  `json:"proto"`
	Flags    string `json:"tcp_flags"`
	SrcPort  uint16 `json:"src_port"`
	DstPort  uint16 `json:"dst_port"`
	ICMPType *uint8 `json:"icmp_type"`
	ICMPCode *uint8 `json:"icmp_code"`
	Src4     string `json:"src4_addr"`
	Dst4     string `json:"dst4_addr"`
	Src6     string `json:"src6_addr"`
	Dst6     string `json:"dst6_addr"`
}

// nfdumpFlags reads nfdump's flag string (CEUAPRSF, dots for unset).
func nfdumpFlags(s string) uint8 {
	var v uint8
	for i, c := range s {
		if c != '.' && i < 8 {
			v |= 0x80 >> i
		}
	}
	return v
}

func nfTime(t *testing.T, s string) int64 {
	tm, err := time.Parse("2006-01-02T15:04:05.000", s)
	if err != nil {
		t.Fatalf("nfdump time %q: %v", s, err)
	}
	return tm.UnixMilli()
}

// times returns nfdump's first and last packet, ms since the epoch, in
// order: nfdump 1.7.1 reads softflowd's IPFIX flowStartSysUpTime and
// flowEndSysUpTime the wrong way round (its own -o extended shows a
// negative duration for these records), so a first after the last is
// swapped back and counted.
func (r nfRecord) times(t *testing.T) (first, last int64, swapped bool) {
	first, last = nfTime(t, r.First), nfTime(t, r.Last)
	if first > last {
		return last, first, true
	}
	return first, last, false
}

// key is what both sides must agree on for one record; wrap reduces the
// times modulo 2^32 ms (see wrapMs).
func (r nfRecord) key(t *testing.T, wrap bool) string {
	src, dst := r.Src4, r.Dst4
	if src == "" {
		src, dst = r.Src6, r.Dst6
	}
	port := r.DstPort
	if r.ICMPType != nil && (r.Proto == 1 || r.Proto == 58) {
		port = uint16(*r.ICMPType)<<8 | uint16(*r.ICMPCode)
	}
	first, last, _ := r.times(t)
	if wrap {
		first, last = wrapMs(first), wrapMs(last)
	}
	return recordKey(src, r.SrcPort, dst, port, r.Proto, first, last, r.Packets, r.Bytes, r.OutPkts, r.OutBytes, nfdumpFlags(r.Flags))
}

// wrapMs reduces a time modulo 2^32 ms. softflowd replaying a capture
// exports NetFlow v9 sysUpTime values ahead of its header's sysUptime;
// nfdump takes them as lying after the boot time, unwrapped, the
// collector as RFC 3954's 32-bit counter having wrapped (as goflow2's
// producer does): the two readings differ by exactly 2^32 ms.
func wrapMs(ms int64) int64 { return ((ms % (1 << 32)) + (1 << 32)) % (1 << 32) }

func recordKey(src string, sport uint16, dst string, dport uint16, proto uint8, first, last int64, pkts, bytes, opkts, obytes uint64, flags uint8) string {
	return fmt.Sprintf("%s:%d>%s:%d/%d %d..%d %dp %db out %dp %db flags %#x", src, sport, dst, dport, proto, first, last, pkts, bytes, opkts, obytes, flags)
}

// flowKey is the record as the collector decoded it. reverseFlags takes
// the flags of the reverse direction: nfdump 1.7.1 keeps one TCP flags
// field, and for an RFC 5103 biflow the reverse tcpControlBits, coming
// later in softflowd's template, overwrites the forward one.
func flowKey(f *Flow, wrap, reverseFlags bool) string {
	port := f.DstPort
	if (f.Proto == 1 || f.Proto == 58) && f.Has(ICMP_TYPE) {
		port = uint16(f.Values[ICMP_TYPE])
	}
	num := func(x Feature) uint64 {
		if !f.Has(x) {
			return 0
		}
		return uint64(f.Values[x])
	}
	flags := uint8(num(TCP_FLAGS))
	if reverseFlags {
		flags = uint8(num(SERVER_TCP_FLAGS))
	}
	first, last := f.Start.UnixMilli(), f.End.UnixMilli()
	if wrap {
		first, last = wrapMs(first), wrapMs(last)
	}
	return recordKey(f.Src.String(), f.SrcPort, f.Dst.String(), port, f.Proto, first, last,
		num(IN_PKTS), num(IN_BYTES), num(OUT_PKTS), num(OUT_BYTES), flags)
}

// collectRecords runs a Collector without pairing until stopped, keeping
// every record.
type collectRun struct {
	c     *Collector
	flows []Flow
	errs  []error
	done  chan error
	stop  context.CancelFunc
}

func startCollector(t *testing.T, cfg Config) *collectRun {
	t.Helper()
	r := &collectRun{done: make(chan error, 1)}
	cfg.Log = func(err error) { r.errs = append(r.errs, err) }
	c, err := Listen("udp://127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() {
		r.done <- c.Run(ctx, func(fl []Flow) error { r.flows = append(r.flows, fl...); return nil })
	}()
	t.Cleanup(cancel)
	return r
}

func (r *collectRun) wait(t *testing.T) []Flow {
	t.Helper()
	time.Sleep(500 * time.Millisecond) // the last datagrams are in flight
	r.stop()
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	return r.flows
}
