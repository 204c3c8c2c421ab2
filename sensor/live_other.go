//go:build !linux

package sensor

import (
	"context"
	"errors"

	"github.com/flowsense/flowsense/extract"
)

// ErrLive: live capture is AF_PACKET, Linux only.
var ErrLive = errors.New("sensor: live capture needs Linux (AF_PACKET)")

// Live fails off Linux: read a capture stream (--pcap -) instead.
func Live(ctx context.Context, lo LiveOptions, opt extract.Options, s *Sender) (LiveStats, error) {
	return LiveStats{}, ErrLive
}
