//go:build linux

package sensor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/extract"
)

// TestLiveLoopback captures from the loopback interface with AF_PACKET
// (gopacket's afpacket, no libpcap): UDP datagrams sent to a port of our
// own become a flow (sent after 2 packets, --early 2) that reaches the sink
// with its destination port, while the sensor's own POSTs to the sink are
// left out. It needs CAP_NET_RAW (root in this container).
func TestLiveLoopback(t *testing.T) {
	var mu sync.Mutex
	var ports []float64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var flows []map[string]any
		_ = json.Unmarshal(b, &flows)
		mu.Lock()
		for _, f := range flows {
			if f["Protocol"] == float64(17) {
				ports = append(ports, f["Dst Port"].(float64))
			}
		}
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	sinkAddr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	s, err := NewSender(Config{Sink: srv.URL, Fields: AllFields(), Batch: 1, Flush: 10 * time.Millisecond, DropOldest: true, Exclude: []netip.AddrPort{sinkAddr}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.LocalAddr().(*net.UDPAddr).Port
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var st LiveStats
	go func() {
		var err error
		st, err = Live(ctx, LiveOptions{Interface: "lo", Tick: 50 * time.Millisecond}, extract.Options{Early: 2}, s)
		done <- err
	}()
	c, err := net.Dial("udp", ln.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	found := false
	// until our flow arrived and the sensor has seen (and left out) its
	// own POST of it
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && (!found || s.Stats().Excluded == 0); {
		select {
		case err := <-done:
			if errors.Is(err, ErrLive) {
				t.Fatalf("live capture on lo: %v (this test needs CAP_NET_RAW: run it as root or with setcap cap_net_raw)", err)
			}
			t.Fatalf("Live returned early: %v", err)
		default:
		}
		_, _ = c.Write([]byte("flowsense live test"))
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		for _, p := range ports {
			found = found || p == float64(port)
		}
		mu.Unlock()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Live: %v", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no UDP flow to port %d reached the sink (stats %+v, %s)", port, s.Stats(), st)
	}
	if ss := s.Stats(); ss.Excluded == 0 {
		t.Errorf("the sensor's own POSTs to the sink were not left out: %+v", ss)
	}
	if st.Packets == 0 {
		t.Errorf("socket stats: %s", st)
	}
}

// TestLiveLoopbackCountsEachPacketOnce sends a known number of UDP
// datagrams over lo and requires the flow to hold exactly that many
// packets. An AF_PACKET socket on the loopback interface is handed every
// packet twice, once leaving (PACKET_OUTGOING) and once arriving; libpcap
// drops the outgoing copy on lo, and so must the sensor, or every loopback
// flow has twice its packets and bytes.
func TestLiveLoopbackCountsEachPacketOnce(t *testing.T) {
	ln, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := float64(ln.LocalAddr().(*net.UDPAddr).Port)
	var mu sync.Mutex
	var got []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var flows []map[string]any
		_ = json.Unmarshal(b, &flows)
		mu.Lock()
		for _, f := range flows {
			if f["Protocol"] == float64(17) && f["Dst Port"] == port {
				got = append(got, f)
			}
		}
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	sinkAddr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	s, err := NewSender(Config{Sink: srv.URL, Fields: AllFields(), Batch: 10, Flush: 10 * time.Millisecond, DropOldest: true, Exclude: []netip.AddrPort{sinkAddr}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Live(ctx, LiveOptions{Interface: "lo", Tick: 50 * time.Millisecond}, extract.Options{}, s)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // the ring is open
	c, err := net.Dial("udp", ln.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const sent = 7
	payload := []byte("counted once") // 12 bytes
	for i := 0; i < sent; i++ {
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cancel() // the flow ends with the capture
	if err := <-done; err != nil {
		if errors.Is(err, ErrLive) {
			t.Fatalf("live capture on lo: %v (this test needs CAP_NET_RAW)", err)
		}
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("%d flows to port %v reached the sink, want 1", len(got), port)
	}
	f := got[0]
	if f["Total Fwd Packet"] != float64(sent) || f["Total Length of Fwd Packet"] != float64(sent*len(payload)) || f["Total Bwd packets"] != float64(0) {
		t.Errorf("flow of %d datagrams of %d bytes: %v forward packets, %v bytes, %v backward", sent, len(payload), f["Total Fwd Packet"], f["Total Length of Fwd Packet"], f["Total Bwd packets"])
	}
}
