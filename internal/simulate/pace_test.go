package simulate

import (
	"context"
	"math"
	"testing"
	"time"
)

// TestScheduleBoundsTheRate runs the scheduler on a fake clock that moves
// only when the pacer sleeps (or a slow target holds it): the flows handed
// over must stay within what the rate allows, plus the bucket.
func TestScheduleBoundsTheRate(t *testing.T) {
	for name, c := range map[string]struct {
		rate     float64
		batch    int
		burst    int
		duration time.Duration
		count    int
		stallAt  int           // the send that takes stall of fake time (0: none)
		stall    time.Duration // how long the target holds it
	}{
		"50/s for 2s":           {rate: 50, batch: 1, burst: 8, duration: 2 * time.Second},
		"1000/s batches of 5":   {rate: 1000, batch: 5, burst: 40, duration: 3 * time.Second},
		"slow rate, short run":  {rate: 0.5, batch: 1, burst: 1, duration: 9 * time.Second},
		"fractional rate":       {rate: 33.3, batch: 3, burst: 24, duration: 7 * time.Second},
		"count bound":           {rate: 100, batch: 5, burst: 10, count: 37},
		"count before duration": {rate: 100, batch: 1, burst: 4, count: 50, duration: time.Hour},
		"stalled target":        {rate: 100, batch: 2, burst: 16, duration: 5 * time.Second, stallAt: 10, stall: 2 * time.Second},
		"stall longer than run": {rate: 100, batch: 1, burst: 8, duration: time.Second, stallAt: 3, stall: 10 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			clk := &fakeClock{}
			var at []time.Duration // fake time of each send
			var sizes []int
			flows := schedule(context.Background(), clk, c.rate, c.burst, c.batch, c.count, c.duration, func(n int) bool {
				at = append(at, clk.Now().Sub(time.Unix(0, 0)))
				sizes = append(sizes, n)
				if len(at) == c.stallAt {
					clk.advance(c.stall)
				}
				return true
			})
			sum := 0
			for _, n := range sizes {
				sum += n
			}
			if sum != flows {
				t.Fatalf("schedule says %d flows, handed over %d", flows, sum)
			}
			if c.count > 0 {
				if flows != c.count || sizes[len(sizes)-1] != c.count-(len(sizes)-1)*c.batch {
					t.Fatalf("%d flows in requests %v, want %d", flows, sizes, c.count)
				}
				// No faster than the rate: request i waits for its tokens.
				if want := time.Duration(float64(c.count-c.batch) / c.rate * 1e9); at[len(at)-1] < want-time.Microsecond {
					t.Errorf("the last request went at %v, the rate allows it at %v", at[len(at)-1], want)
				}
				return
			}
			// Every send happens before the end, and by time T at most the
			// first request plus T x rate flows have gone (plus the bucket
			// after a stall); without a stall at least T x rate - batch.
			for i, ti := range at {
				if ti >= c.duration {
					t.Fatalf("send %d at %v, after the run's %v", i, ti, c.duration)
				}
			}
			cum := 0
			for i, n := range sizes {
				cum += n
				allowed := float64(c.batch) + at[i].Seconds()*c.rate
				if c.stallAt > 0 && i >= c.stallAt {
					allowed += float64(c.burst)
				}
				if float64(cum) > allowed+1e-6 {
					t.Fatalf("%d flows by %v, the rate allows %.1f", cum, at[i], allowed)
				}
			}
			lo := c.rate*c.duration.Seconds() - float64(c.batch)
			hi := c.rate*c.duration.Seconds() + float64(c.batch)
			if c.stallAt == 0 && (float64(flows) < lo || float64(flows) > hi) {
				t.Fatalf("%d flows in %v at %v/s: want %.1f to %.1f", flows, c.duration, c.rate, lo, hi)
			}
			if c.stallAt > 0 {
				// After the stall the bucket lets out at most burst flows at once.
				burst := 0
				for i := c.stallAt; i < len(at) && at[i] == at[c.stallAt]; i++ {
					burst += sizes[i]
				}
				if burst > c.burst {
					t.Fatalf("%d flows at once after the stall, bucket holds %d", burst, c.burst)
				}
				if max := c.rate*c.duration.Seconds() + float64(c.batch); float64(flows) > max {
					t.Fatalf("%d flows, more than the %v the run allows", flows, max)
				}
			}
		})
	}
}

func TestScheduleStops(t *testing.T) {
	clk := &fakeClock{}
	ctx, cancel := context.WithCancel(context.Background())
	n := schedule(ctx, clk, 10, 1, 1, 0, time.Hour, func(int) bool {
		if clk.Now().Sub(time.Unix(0, 0)) >= 2*time.Second {
			cancel()
		}
		return true
	})
	if n != 21 {
		t.Errorf("%d flows sent until cancelled at 2s at 10/s, want 21", n)
	}
	n = schedule(context.Background(), clk, 10, 1, 1, 0, time.Hour, func(int) bool { return false })
	if n != 0 {
		t.Errorf("%d flows counted when the send refused", n)
	}
}

func TestPacerWaitsForTokens(t *testing.T) {
	clk := &fakeClock{}
	p := newPacer(clk, 4, 4, 1)
	var at []float64
	for range 9 {
		if err := p.take(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		at = append(at, clk.Now().Sub(time.Unix(0, 0)).Seconds())
	}
	for i, s := range at {
		if want := float64(i) / 4; math.Abs(s-want) > 1e-6 {
			t.Fatalf("take %d at %vs, want %vs (%v)", i, s, want, at)
		}
	}
}
