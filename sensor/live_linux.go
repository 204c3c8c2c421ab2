//go:build linux

package sensor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/flowsense/flowsense/extract"
)

// ErrLive: the live capture cannot start (no such interface, no
// CAP_NET_RAW, an interface type extract does not decode).
var ErrLive = errors.New("sensor: live capture")

// linkOf is the link type of frames an AF_PACKET socket gives for an
// interface, from its ARPHRD type in /sys/class/net, and whether it is a
// loopback interface.
func linkOf(iface string) (layers.LinkType, bool, error) {
	b, err := os.ReadFile("/sys/class/net/" + iface + "/type")
	if err != nil {
		return 0, false, fmt.Errorf("%w: interface %q: %v", ErrLive, iface, err)
	}
	switch t := strings.TrimSpace(string(b)); t {
	case "1": // ARPHRD_ETHER
		return layers.LinkTypeEthernet, false, nil
	case "772": // ARPHRD_LOOPBACK (an Ethernet header of zeros)
		return layers.LinkTypeEthernet, true, nil
	case "65534": // ARPHRD_NONE: tun, WireGuard; bare IP
		return layers.LinkTypeRaw, false, nil
	default:
		return 0, false, fmt.Errorf("%w: interface %q has ARPHRD type %s; the decoder reads Ethernet, loopback and bare-IP interfaces", ErrLive, iface, t)
	}
}

// dropOutgoing is a classic BPF program that refuses packets of type
// PACKET_OUTGOING and accepts the rest whole. On a loopback interface an
// AF_PACKET socket is handed every packet twice, leaving and arriving;
// libpcap drops the leaving copy on loopback (pcap-linux.c), and so does
// the sensor, or each flow would hold every packet twice.
func dropOutgoing() ([]bpf.RawInstruction, error) {
	const packetOutgoing = 4 // linux/if_packet.h
	return bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipTrue: 1},
		bpf.RetConstant{Val: 0xffffffff},
		bpf.RetConstant{Val: 0},
	})
}

// Live captures from an interface with an AF_PACKET ring (gopacket's
// afpacket: pure Go, no libpcap), extracts flows (opt; reordering is off:
// the kernel hands packets over in order) and adds them to s until ctx is
// done or opt.Duration passes. It needs CAP_NET_RAW.
func Live(ctx context.Context, lo LiveOptions, opt extract.Options, s *Sender) (LiveStats, error) {
	var st LiveStats
	link, loopback, err := linkOf(lo.Interface)
	if err != nil {
		return st, err
	}
	if lo.Snaplen <= 0 {
		lo.Snaplen = extract.DefaultMaxPacket
	}
	if lo.Tick <= 0 {
		lo.Tick = time.Second
	}
	opt.ReorderWindow = -1
	x, err := extract.New(opt, s.Add)
	if err != nil {
		return st, err
	}
	tp, err := afpacket.NewTPacket(afpacket.OptInterface(lo.Interface), afpacket.OptPollTimeout(lo.Tick/2+time.Millisecond),
		afpacket.OptFrameSize(min(1<<16, max(1<<11, pow2(lo.Snaplen)))), afpacket.OptBlockSize(1<<20), afpacket.OptNumBlocks(16))
	if err != nil {
		return st, fmt.Errorf("%w: %s: %v (AF_PACKET needs CAP_NET_RAW)", ErrLive, lo.Interface, err)
	}
	defer tp.Close()
	if loopback {
		prog, err := dropOutgoing()
		if err == nil {
			err = tp.SetBPF(prog)
		}
		if err != nil {
			return st, fmt.Errorf("%w: %s: the filter of outgoing loopback copies: %v", ErrLive, lo.Interface, err)
		}
	}
	if lo.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lo.Duration)
		defer cancel()
	}
	last := time.Now()
	for ctx.Err() == nil {
		data, ci, err := tp.ZeroCopyReadPacketData()
		switch {
		case err == nil:
			if perr := x.Packet(data, ci, link); perr != nil {
				return st, perr
			}
		case errors.Is(err, afpacket.ErrTimeout), errors.Is(err, afpacket.ErrPoll):
		default:
			return st, fmt.Errorf("%w: %s: %v", ErrLive, lo.Interface, err)
		}
		if now := time.Now(); now.Sub(last) >= lo.Tick {
			last = now
			// a second behind the wall clock: a packet stamped before now
			// may still be in the ring
			if err := x.Advance(now.Add(-time.Second)); err != nil {
				return st, err
			}
		}
	}
	if _, ss, err := tp.SocketStats(); err == nil {
		st.Packets, st.Drops = uint64(ss.Packets()), uint64(ss.Drops())
	}
	err = x.Close()
	st.Extract = x.Stats()
	return st, err
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}
