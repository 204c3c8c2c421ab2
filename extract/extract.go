package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Defaults of Options, CICFlowMeter's where it has one.
const (
	DefaultFlowTimeout     = 120 * time.Second
	DefaultActivityTimeout = 5 * time.Second
	DefaultReorderWindow   = 10 * time.Second
	DefaultReorderLimit    = 1 << 20
	DefaultMaxFlows        = 1 << 20
)

// LatePolicy says what to do with a packet that comes later than the
// reorder window allows.
type LatePolicy uint8

const (
	// LateKeep processes the packet in its own time and counts it in
	// Stats.Late; the flows it touches may differ from the reference's.
	LateKeep LatePolicy = iota
	// LateError fails with ErrOrder.
	LateError
)

// Options configure an Extractor. The zero value is CICFlowMeter's
// configuration for the CIC-IDS2017 profile.
type Options struct {
	// Profile chooses the version of the reference tool to reproduce.
	Profile Profile
	// FlowTimeout ends a flow this long after its first packet
	// (CICFlowMeter's flow timeout, 120 s). Zero means the default.
	FlowTimeout time.Duration
	// ActivityTimeout is the gap that separates active periods (5 s). It
	// does not end flows: the reference has no idle timeout. Zero means the
	// default.
	ActivityTimeout time.Duration
	// Early, when positive, emits each flow as soon as it has Early
	// packets, with the features of those packets, instead of when it
	// ends; the flow's later packets still belong to it (so flow boundaries
	// do not change) but it is not emitted again. Flows that end with fewer
	// packets are emitted when they end.
	Early int
	// ReorderWindow is how far back in capture time a packet may come and
	// still be put in order (10 s); ReorderLimit caps the packets held for
	// it (1 Mi). Zero means the default; a negative window turns
	// reordering off.
	ReorderWindow time.Duration
	ReorderLimit  int
	// Late says what to do with packets older than the window.
	Late LatePolicy
	// MaxFlows caps the open flows (1 Mi, about 1 KiB each); beyond it the
	// oldest is emitted early (Stats.Evicted). As many ended 5-tuples are
	// remembered so that a TCP connection that outlives the flow timeout
	// is continued as the reference continues it. Negative: no cap.
	MaxFlows int
	// MaxPacket bounds one packet record in bytes (256 KiB).
	MaxPacket int
	// MinPackets, when above 1, drops flows of fewer packets instead of
	// emitting them (Stats.Short). The reference emits every flow; the
	// CIC-IDS2017 sample holds none of fewer than 2 packets, so a model
	// trained there has never seen one.
	MinPackets int
	// IPv4Only drops IPv6 packets as the reference does (it reads IPv4
	// only). By default IPv6 flows are extracted with the same rules.
	IPv4Only bool
}

func (o Options) withDefaults() (Options, error) {
	if o.FlowTimeout == 0 {
		o.FlowTimeout = DefaultFlowTimeout
	}
	if o.ActivityTimeout == 0 {
		o.ActivityTimeout = DefaultActivityTimeout
	}
	if o.ReorderWindow == 0 {
		o.ReorderWindow = DefaultReorderWindow
	}
	if o.ReorderLimit == 0 {
		o.ReorderLimit = DefaultReorderLimit
	}
	if o.MaxFlows == 0 {
		o.MaxFlows = DefaultMaxFlows
	}
	if o.MaxPacket == 0 {
		o.MaxPacket = DefaultMaxPacket
	}
	switch {
	case o.FlowTimeout < time.Microsecond:
		return o, fmt.Errorf("extract: flow timeout %v: want at least 1µs", o.FlowTimeout)
	case o.ActivityTimeout < 0:
		return o, fmt.Errorf("extract: negative activity timeout %v", o.ActivityTimeout)
	case o.Early < 0:
		return o, fmt.Errorf("extract: negative Early %d", o.Early)
	case o.ReorderLimit < 0:
		return o, fmt.Errorf("extract: negative reorder limit %d", o.ReorderLimit)
	case o.MinPackets < 0:
		return o, fmt.Errorf("extract: negative MinPackets %d", o.MinPackets)
	case o.MaxPacket < 0:
		return o, fmt.Errorf("extract: negative MaxPacket %d", o.MaxPacket)
	case o.Profile > CICFlowMeter:
		return o, fmt.Errorf("extract: unknown %v", o.Profile)
	}
	if o.MaxFlows < 0 {
		o.MaxFlows = 0
	}
	return o, nil
}

// Extractor assembles flows from packets as they come (a live capture, a
// stream, or files read with ReadCapture) and hands each flow to the emit
// function when it ends. It is not safe for concurrent use.
type Extractor struct {
	opt     Options
	dec     *decoder
	ro      reorderer
	gen     *generator
	stats   Stats
	name    string
	seq     int64
	pending packet
	closed  bool
}

// New returns an Extractor. emit receives each flow; the *Flow is reused
// after emit returns (copy the value to keep it). An error from emit stops
// the extraction and is returned by the call that emitted.
func New(opt Options, emit func(*Flow) error) (*Extractor, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	x := &Extractor{opt: o, dec: newDecoder(o.IPv4Only), name: "packets"}
	x.gen = newGenerator(&x.opt, &x.stats, emit)
	x.ro = reorderer{
		window: o.ReorderWindow.Microseconds(),
		limit:  o.ReorderLimit,
		out:    x.gen.add,
		late:   &x.stats.Late,
		moved:  &x.stats.Reordered,
	}
	if o.ReorderWindow < 0 {
		x.ro.window, x.ro.limit = -1, 0
	}
	return x, nil
}

// Packet decodes one frame and assigns it to its flow, which may end other
// flows (their emit calls happen here). Frames that are not IP, and IP
// packets that do not decode, are counted in Stats and otherwise ignored,
// as the reference ignores them.
func (x *Extractor) Packet(data []byte, ci gopacket.CaptureInfo, link layers.LinkType) error {
	if x.closed {
		return errors.New("extract: Packet after Close")
	}
	x.seq++
	x.stats.Packets++
	first, ok := firstLayer(link)
	if !ok {
		return &Error{File: x.name, Packet: x.seq, Err: ErrLinkType, Detail: linkName(link)}
	}
	p := &x.pending
	switch x.dec.decode(data, first, p) {
	case decNotIP:
		x.stats.NotIP++
		return nil
	case decIPv6:
		x.stats.IPv6++
		return nil
	case decMalformed:
		x.stats.Malformed++
		return nil
	}
	x.stats.IP++
	p.ts = ci.Timestamp.UnixMicro()
	p.seq = x.seq
	p.wire = int32(min(ci.Length, 1<<30))
	if ci.Length == 0 {
		p.wire = int32(len(data))
	}
	late := x.stats.Late
	if err := x.ro.push(p); err != nil {
		return err
	}
	if x.opt.Late == LateError && x.stats.Late > late {
		return &Error{File: x.name, Packet: x.seq, Err: ErrOrder,
			Detail: fmt.Sprintf("more than %v before the newest packet", x.opt.ReorderWindow)}
	}
	return nil
}

// Close ends the input: every packet still held for reordering is
// processed and every open flow emitted, oldest first. The Extractor can
// then be reused for a new, independent input.
func (x *Extractor) Close() error {
	if err := x.ro.drain(); err != nil {
		return err
	}
	if err := x.gen.flush(); err != nil {
		return err
	}
	x.ro = reorderer{window: x.ro.window, limit: x.ro.limit, out: x.ro.out, late: x.ro.late, moved: x.ro.moved}
	x.gen.started = false
	return nil
}

// Advance tells the extractor that the capture's clock has reached t
// without a packet, and does what a packet at t would do: packets held for
// reordering more than the window before t are processed, and flows whose
// timeout has passed by then (t less the reorder window, the time up to
// which every packet is in) are emitted (EndTimeout). A live capture calls
// it on a timer so that flows end on a quiet link; reading a file never
// needs it. A t before the newest packet does nothing.
func (x *Extractor) Advance(t time.Time) error {
	if x.closed {
		return errors.New("extract: Advance after Close")
	}
	now := t.UnixMicro()
	if err := x.ro.advance(now); err != nil {
		return err
	}
	if x.ro.window >= 0 {
		now -= x.ro.window
	}
	return x.gen.advance(now)
}

// Stats reports what was read so far.
func (x *Extractor) Stats() Stats { return x.stats }

// ReadCapture feeds every packet of a capture to the extractor and closes
// the input, so flows do not span captures (CICFlowMeter extracts each
// file on its own). name appears in errors.
func (x *Extractor) ReadCapture(ctx context.Context, r io.Reader, name string) error {
	c, err := NewCapture(r, name, x.opt.MaxPacket)
	if err != nil {
		return err
	}
	x.name = name
	x.seq = 0
	for i := 0; ; i++ {
		if i&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		data, ci, link, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := x.Packet(data, ci, link); err != nil {
			return err
		}
	}
	return x.Close()
}

// ExtractFile extracts the flows of one capture file ("-" reads stdin).
func ExtractFile(ctx context.Context, path string, opt Options, emit func(*Flow) error) (Stats, error) {
	x, err := New(opt, emit)
	if err != nil {
		return Stats{}, err
	}
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return Stats{}, err
		}
		defer f.Close()
		r = f
	}
	err = x.ReadCapture(ctx, r, path)
	return x.Stats(), err
}
