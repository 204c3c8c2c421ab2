package collect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Config configures a Collector. Zero fields take the defaults.
type Config struct {
	Limits Limits
	// NoPairing emits every unidirectional record as it comes, its OUT
	// features missing, instead of pairing it with its reverse.
	NoPairing bool
	// PairWindow is how long a record waits for its reverse (2 s).
	PairWindow time.Duration
	// MaxWaiting bounds the records waiting for their reverse (65,536).
	MaxWaiting int
	// QueueBytes bounds the datagrams read but not yet decoded (16 MiB);
	// a datagram beyond it is dropped and counted.
	QueueBytes int
	// Idle, when positive, ends Run after that long without a datagram
	// (for replays of a capture).
	Idle time.Duration
	// Log receives decoding errors (*Error), at most 10 a second; the
	// rest are counted in Stats.Suppressed. Nil logs nothing.
	Log func(error)
	// Now is the clock (time.Now); tests set it.
	Now func() time.Time
}

// Stats counts what a Collector has done.
type Stats struct {
	Datagrams, Bytes uint64
	Dropped          uint64 // datagrams dropped: the queue was full
	BadDatagrams     uint64 // datagrams refused whole or in part (Decoder errors)
	Suppressed       uint64 // errors not logged (rate limit)
	Flows            uint64 // flows handed to the handler
	Decoder          DecoderStats
}

// Collector receives NetFlow/IPFIX datagrams on a UDP socket and hands
// the mapped flows to a handler. Reading and decoding are two goroutines
// with a bounded queue between them, so a slow handler costs dropped
// datagrams (counted), never unbounded memory.
type Collector struct {
	conn *net.UDPConn
	cfg  Config
	dec  *Decoder
	pair *Pairer

	mu    sync.Mutex
	stats Stats

	logWindow time.Time
	logged    int
}

// Listen opens a UDP socket on addr: "udp://HOST:PORT" or "HOST:PORT"
// (port 0 picks one; Addr tells which).
func Listen(addr string, cfg Config) (*Collector, error) {
	hostport, ok := strings.CutPrefix(addr, "udp://")
	if !ok && strings.Contains(addr, "://") {
		return nil, fmt.Errorf("collect: listen %q: only udp:// is supported", addr)
	}
	ua, err := net.ResolveUDPAddr("udp", hostport)
	if err != nil {
		return nil, fmt.Errorf("collect: listen %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	_ = conn.SetReadBuffer(8 << 20) // as much as the kernel grants
	if cfg.PairWindow <= 0 {
		cfg.PairWindow = 2 * time.Second
	}
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = 65536
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = 16 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Collector{conn: conn, cfg: cfg, dec: NewDecoder(cfg.Limits), pair: NewPairer(cfg.PairWindow, cfg.MaxWaiting)}, nil
}

// Addr is the address the collector listens on.
func (c *Collector) Addr() net.Addr { return c.conn.LocalAddr() }

// Stats returns the counts so far (safe during Run).
func (c *Collector) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

type datagram struct {
	from netip.AddrPort
	b    []byte
}

// Run reads datagrams until ctx is done (or Config.Idle passes without
// one), decodes them, pairs the records and calls handle with the flows
// that are ready, in order. At the end it decodes what was queued, hands
// over the records still waiting for their reverse (unpaired), closes the
// socket and returns nil; an error from handle stops it and is returned.
func (c *Collector) Run(ctx context.Context, handle func([]Flow) error) error {
	queue := make(chan datagram, 4096)
	var mu sync.Mutex
	qbytes := 0
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(queue)
		buf := make([]byte, 65536)
		for {
			n, from, err := c.conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return // closed
			}
			c.mu.Lock()
			c.stats.Datagrams++
			c.stats.Bytes += uint64(n)
			c.mu.Unlock()
			mu.Lock()
			full := qbytes+n > c.cfg.QueueBytes
			if !full {
				qbytes += n
			}
			mu.Unlock()
			if full {
				c.count(func(s *Stats) { s.Dropped++ })
				continue
			}
			d := datagram{from: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), b: append([]byte(nil), buf[:n]...)}
			select {
			case queue <- d:
			default:
				mu.Lock()
				qbytes -= n
				mu.Unlock()
				c.count(func(s *Stats) { s.Dropped++ })
			}
		}
	}()
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stop()
	tick := time.NewTicker(min(c.cfg.PairWindow/4, 250*time.Millisecond))
	defer tick.Stop()
	var idle <-chan time.Time
	var idleTimer *time.Timer
	if c.cfg.Idle > 0 {
		idleTimer = time.NewTimer(c.cfg.Idle)
		defer idleTimer.Stop()
		idle = idleTimer.C
	}
	var flows, ready []Flow
	var herr error
	deliver := func() {
		if len(ready) > 0 && herr == nil {
			c.count(func(s *Stats) { s.Flows += uint64(len(ready)) })
			herr = handle(ready)
		}
		ready = ready[:0]
	}
	process := func(d datagram) {
		mu.Lock()
		qbytes -= len(d.b)
		mu.Unlock()
		var err error
		flows, err = c.dec.Decode(d.from, d.b, flows[:0])
		ds := c.dec.Stats()
		c.count(func(s *Stats) {
			s.Decoder = ds
			if err != nil {
				s.BadDatagrams++
			}
		})
		if err != nil {
			c.log(err)
		}
		now := c.cfg.Now()
		for i := range flows {
			if c.cfg.NoPairing {
				Derive(&flows[i])
				ready = append(ready, flows[i])
				continue
			}
			ready = c.pair.Add(&flows[i], now, ready)
		}
		deliver()
	}
loop:
	for herr == nil {
		select {
		case d, ok := <-queue:
			if !ok {
				break loop
			}
			process(d)
			if idleTimer != nil {
				idleTimer.Reset(c.cfg.Idle)
			}
		case <-tick.C:
			ready = c.pair.Expire(c.cfg.Now(), ready)
			deliver()
		case <-idle:
			c.conn.Close()
		}
	}
	c.conn.Close()
	for d := range queue { // what was read before the socket closed
		if herr == nil {
			process(d)
		}
	}
	<-readDone
	ready = c.pair.Flush(ready)
	deliver()
	c.mu.Lock()
	c.stats.Decoder = c.dec.Stats()
	c.mu.Unlock()
	return herr
}

func (c *Collector) count(f func(*Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

func (c *Collector) log(err error) {
	if c.cfg.Log == nil {
		return
	}
	now := c.cfg.Now()
	if now.Sub(c.logWindow) >= time.Second {
		c.logWindow, c.logged = now, 0
	}
	if c.logged >= 10 {
		c.count(func(s *Stats) { s.Suppressed++ })
		return
	}
	c.logged++
	c.cfg.Log(err)
}

// IsNoTemplate reports whether err is only data sets whose template has
// not come yet (usual while an exporter starts).
func IsNoTemplate(err error) bool { return errors.Is(err, ErrNoTemplate) }
