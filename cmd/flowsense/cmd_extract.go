package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flowsense/flowsense/extract"
	"github.com/flowsense/flowsense/internal/atomicfile"
)

// runExtract is `flowsense extract`: packet captures to flow records in the
// CIC-IDS2017 layout, each flow written as it ends (with --early N, as soon
// as it has N packets).
func runExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("extract")
	pcaps := f.List("pcap", "captures to read: pcap or pcapng, gzip-compressed or not (- for stdin); each is extracted on its own")
	out := f.String("out", "", "output CSV (default: stdout, written as flows end)")
	format := f.String("format", "cicflowmeter", "output format: cicflowmeter (the 91 columns of the CIC-IDS2017 sample)")
	profile := f.String("profile", "cicids2017", "reference semantics: cicids2017 (the tool that made the CIC-IDS2017 sample) or cicflowmeter (its current version)")
	f.String("early", "0", "emit each flow once it has N packets (0: when it ends)")
	flowTimeout := f.String("flow-timeout", "120s", "end a flow this long after its first packet")
	activity := f.String("activity-timeout", "5s", "gap that separates active periods")
	window := f.String("reorder-window", "10s", "put packets up to this much capture time out of order back in order (negative: off)")
	f.String("max-flows", "1048576", "open flows kept; beyond, the oldest is emitted early (negative: no cap)")
	f.String("min-packets", "1", "drop flows of fewer packets (the CIC-IDS2017 sample has none below 2)")
	ipv4 := f.Bool("ipv4-only", "drop IPv6 packets, as the reference does")
	label := f.String("label", extract.DefaultLabel, "text of the Label column")
	strictOrder := f.Bool("strict-order", "fail on a packet that comes later than the reorder window instead of counting it")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--pcap FILE... [--out flows.csv] [--format cicflowmeter] [--early N] [options]")
		return errHelp
	}
	pcapFiles := append(*pcaps, f.args...)
	if len(pcapFiles) == 0 {
		return fmt.Errorf("%w: --pcap is required", errUsage)
	}
	if *format != "cicflowmeter" {
		return fmt.Errorf("%w: --format %q: the only format is cicflowmeter", errUsage, *format)
	}
	var opt extract.Options
	var err error
	if opt.Profile, err = extract.ParseProfile(*profile); err != nil {
		return fmt.Errorf("%w: --profile: %v", errUsage, err)
	}
	if err := f.Int("early", &opt.Early); err != nil {
		return err
	}
	if err := f.Int("min-packets", &opt.MinPackets); err != nil {
		return err
	}
	if opt.MinPackets < 0 {
		return fmt.Errorf("%w: --min-packets must not be negative", errUsage)
	}
	if err := f.Int("max-flows", &opt.MaxFlows); err != nil {
		return err
	}
	if opt.Early < 0 {
		return fmt.Errorf("%w: --early must not be negative", errUsage)
	}
	if opt.FlowTimeout, err = parseDuration("flow-timeout", *flowTimeout); err != nil {
		return err
	}
	if opt.ActivityTimeout, err = parseDuration("activity-timeout", *activity); err != nil {
		return err
	}
	neg := strings.HasPrefix(*window, "-")
	if opt.ReorderWindow, err = parseDuration("reorder-window", strings.TrimPrefix(*window, "-")); err != nil {
		return err
	}
	if neg || opt.ReorderWindow == 0 && f.Set("reorder-window") {
		opt.ReorderWindow = -1
	}
	if opt.FlowTimeout <= 0 || opt.ActivityTimeout <= 0 {
		return fmt.Errorf("%w: --flow-timeout and --activity-timeout must be positive", errUsage)
	}
	if opt.MaxFlows == 0 {
		opt.MaxFlows = -1
	}
	opt.IPv4Only = *ipv4
	if *strictOrder {
		opt.Late = extract.LateError
	}

	var total extract.Stats
	write := func(w io.Writer) error {
		cw := extract.NewCSVWriter(w, *label)
		emit := cw.Write
		for _, p := range pcapFiles {
			if p == "-" {
				// A live stream: each flow reaches the reader when it ends.
				emit = func(fl *extract.Flow) error {
					if err := cw.Write(fl); err != nil {
						return err
					}
					return cw.Flush()
				}
			}
		}
		x, err := extract.New(opt, emit)
		if err != nil {
			return err
		}
		for _, path := range pcapFiles {
			st, err := readCapture(ctx, x, path)
			if err != nil {
				return err
			}
			add(&total, st)
			// Flows written so far reach the reader now, not at the end.
			if err := cw.Flush(); err != nil {
				return err
			}
		}
		return cw.Flush()
	}
	if *out == "" {
		err = write(stdout)
	} else {
		err = atomicfile.Write(*out, write)
	}
	if err != nil {
		return err
	}
	dest := *out
	if dest == "" {
		dest = "stdout"
	}
	fmt.Fprintf(stderr, "extracted %d flows from %d packets (%d IP, %d not IP, %d malformed", total.Flows, total.Packets,
		total.IP, total.NotIP, total.Malformed)
	if total.IPv6 > 0 {
		fmt.Fprintf(stderr, ", %d IPv6 dropped", total.IPv6)
	}
	fmt.Fprintf(stderr, ") to %s\n", dest)
	if total.Short > 0 {
		fmt.Fprintf(stderr, "dropped %d flows of fewer than %d packets\n", total.Short, opt.MinPackets)
	}
	if total.Reordered > 0 {
		fmt.Fprintf(stderr, "put %d packets back in time order\n", total.Reordered)
	}
	if total.Late > 0 {
		fmt.Fprintf(stderr, "warning: %d packets came later than the reorder window (%v) and were taken in their own time; sort the capture (reordercap) or widen --reorder-window\n",
			total.Late, opt.ReorderWindow)
	}
	if total.Evicted > 0 {
		fmt.Fprintf(stderr, "warning: the flow table was full: %d flows were emitted before they ended; raise --max-flows\n", total.Evicted)
	}
	return nil
}

func readCapture(ctx context.Context, x *extract.Extractor, path string) (extract.Stats, error) {
	before := x.Stats()
	r, closeFile, err := openInput(path)
	if err != nil {
		return extract.Stats{}, err
	}
	defer closeFile()
	if err := x.ReadCapture(ctx, r, path); err != nil {
		return extract.Stats{}, err
	}
	after := x.Stats()
	return diff(after, before), nil
}

func add(t *extract.Stats, s extract.Stats) {
	t.Packets += s.Packets
	t.IP += s.IP
	t.NotIP += s.NotIP
	t.IPv6 += s.IPv6
	t.Malformed += s.Malformed
	t.Late += s.Late
	t.Flows += s.Flows
	t.Short += s.Short
	t.Evicted += s.Evicted
	t.Reordered += s.Reordered
}

func diff(a, b extract.Stats) extract.Stats {
	return extract.Stats{Packets: a.Packets - b.Packets, IP: a.IP - b.IP, NotIP: a.NotIP - b.NotIP, IPv6: a.IPv6 - b.IPv6,
		Malformed: a.Malformed - b.Malformed, Late: a.Late - b.Late, Flows: a.Flows - b.Flows, Short: a.Short - b.Short,
		Evicted: a.Evicted - b.Evicted, Reordered: a.Reordered - b.Reordered}
}

// openInput opens a capture file, or stdin for "-".
func openInput(path string) (io.Reader, func(), error) {
	if path == "-" {
		return os.Stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
