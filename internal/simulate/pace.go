package simulate

import (
	"context"
	"errors"
	"math"
	"time"
)

// clock is the time the pacer sees; tests inject a fake one.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done (its error then).
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer is a token bucket: tokens (flows) accrue at rate a second up to
// burst; take(n) waits until n are there and spends them. It starts with n
// tokens for the first request, so sending starts at once.
type pacer struct {
	clk    clock
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	// deadline, when set, ends take with errDeadline instead of waiting
	// past it.
	deadline time.Time
}

var errDeadline = errors.New("deadline")

func newPacer(clk clock, rate float64, burst, first int) *pacer {
	return &pacer{clk: clk, rate: rate, burst: float64(max(burst, first)), tokens: float64(first), last: clk.Now()}
}

// take waits for n tokens (n <= burst) and spends them.
func (p *pacer) take(ctx context.Context, n int) error {
	need := float64(n)
	for {
		now := p.clk.Now()
		p.tokens = math.Min(p.burst, p.tokens+now.Sub(p.last).Seconds()*p.rate)
		p.last = now
		if p.tokens >= need {
			p.tokens -= need
			return nil
		}
		wait := time.Duration(math.Ceil((need - p.tokens) / p.rate * 1e9))
		if !p.deadline.IsZero() && !now.Add(wait).Before(p.deadline) {
			return errDeadline
		}
		if err := p.clk.Sleep(ctx, max(wait, time.Nanosecond)); err != nil {
			return err
		}
	}
}

// schedule paces requests of up to batch flows at rate flows a second and
// hands each to send (which may block: the pacer then keeps at most burst
// flows in hand), until count flows have gone (count > 0), duration has
// passed since the start (duration > 0) or ctx is done. It returns the
// flows handed over.
func schedule(ctx context.Context, clk clock, rate float64, burst, batch, count int, duration time.Duration, send func(n int) bool) int {
	p := newPacer(clk, rate, burst, batch)
	start := clk.Now()
	if duration > 0 {
		p.deadline = start.Add(duration)
	}
	sent := 0
	for {
		n := batch
		if count > 0 {
			if sent >= count {
				return sent
			}
			n = min(n, count-sent)
		}
		if err := p.take(ctx, n); err != nil {
			return sent
		}
		if duration > 0 && clk.Now().Sub(start) >= duration {
			return sent
		}
		if ctx.Err() != nil || !send(n) {
			return sent
		}
		sent += n
	}
}
