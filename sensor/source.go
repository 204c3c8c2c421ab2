package sensor

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/flowsense/flowsense/extract"
)

// ReadCaptures extracts the flows of capture files ("-" is a pcap or
// pcapng stream on stdin) and adds them to s, one file after another
// (flows do not span files, as with flowsense extract). It returns the
// extractor's counts over all files.
func ReadCaptures(ctx context.Context, paths []string, opt extract.Options, s *Sender) (extract.Stats, error) {
	var total extract.Stats
	x, err := extract.New(opt, s.Add)
	if err != nil {
		return total, err
	}
	for _, p := range paths {
		var r io.Reader = os.Stdin
		if p != "-" {
			f, err := os.Open(p)
			if err != nil {
				return x.Stats(), err
			}
			defer f.Close()
			r = f
		}
		if err := x.ReadCapture(ctx, r, p); err != nil {
			return x.Stats(), err
		}
	}
	return x.Stats(), nil
}

// LiveOptions configure a live capture.
type LiveOptions struct {
	// Interface is the network interface to listen on.
	Interface string
	// Duration, when positive, stops the capture after that long.
	Duration time.Duration
	// Snaplen bounds the bytes kept of each frame (the headers are all
	// extract reads; 0 means 262144, extract's bound).
	Snaplen int
	// Tick is how often the capture clock is advanced on a quiet link
	// (1 s), so that flows end by their timeout without a later packet.
	Tick time.Duration
}

// LiveStats are the counts of a live capture: the extractor's and the
// socket's.
type LiveStats struct {
	Extract extract.Stats
	// Packets the kernel handed over and Drops it counted (the ring was
	// full), when the socket reports them.
	Packets, Drops uint64
}

func (l LiveStats) String() string {
	return fmt.Sprintf("%d packets read, %d dropped by the kernel", l.Packets, l.Drops)
}
