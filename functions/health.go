package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// checkTimeout bounds the module check readiness runs after a failure.
const checkTimeout = time.Second

// checker is a predictor that can run its load-time smoke test again
// (*host.Module).
type checker interface {
	Check(ctx context.Context) error
}

// guard is a Server's state for bounding work and watching the module.
type guard struct {
	health health
	heavy  chan struct{} // a token per heavy request in flight (limits.go)
}

// health is what readiness knows about the module beyond its being
// loaded: after a module failure (a 500), the next readiness probe runs
// the module's smoke test again and answers 503 while it fails.
type health struct {
	mu     sync.Mutex
	failed bool  // a module call failed since the last check
	err    error // the last check's failure, nil when it passed
}

// moduleFailed records a failed module call.
func (s *Server) moduleFailed() {
	s.guard.health.mu.Lock()
	s.guard.health.failed = true
	s.guard.health.mu.Unlock()
}

// moduleSound reports whether the module answers: after a failure it
// re-runs the smoke test (one at a time; concurrent probes wait for it).
func (s *Server) moduleSound() error {
	h := &s.guard.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.failed {
		return h.err
	}
	h.failed = false
	c, ok := s.mod.(checker)
	if !ok {
		h.err = nil
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	h.err = c.Check(ctx)
	if h.err != nil {
		h.failed = true // check again at the next probe
		s.logger().Error("module check failed", "err", h.err)
	}
	return h.err
}

// moduleError maps a module call's failure: the request's context ending
// (a timeout, or a client that left: the sandbox stopped the call) is 503,
// anything else the module's fault (500), which readiness then checks.
func (s *Server) moduleError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if cerr == nil {
			cerr = context.DeadlineExceeded
		}
		return fmt.Errorf("%w: %w (%v)", ErrTimeout, cerr, err)
	}
	s.moduleFailed()
	return fmt.Errorf("%w: %w", ErrModel, err)
}

// discardLogger is the logger of a Server without WithLogger.
var discardLogger = slog.New(slog.DiscardHandler)

// logger is the server's logger (a discarding one without WithLogger).
func (s *Server) logger() *slog.Logger {
	if s.cfg.log != nil {
		return s.cfg.log
	}
	return discardLogger
}
