package functions

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long Serve lets requests in flight finish after
// its context is cancelled.
const ShutdownGrace = 10 * time.Second

// ReadTimeout bounds reading one request, body included; WriteMargin is
// the time Serve allows for writing an answer beyond the handler's own
// limit.
const (
	ReadTimeout = 30 * time.Second
	WriteMargin = 10 * time.Second
)

// Serve serves h on ln until ctx is cancelled (SIGTERM, say), then stops
// accepting, lets the requests in flight finish (up to ShutdownGrace) and
// returns nil. It bounds reading a request (ReadTimeout, so a client
// cannot hold a connection by dripping its body) and writing the answer
// (the handler's time per request plus WriteMargin, when h is a *Server).
// It speaks HTTP/1.1 and, without TLS, HTTP/2 (h2c with prior
// knowledge). It does not close h.
//
// Requests still running at the end of the grace are cut (their
// connections closed) and Serve returns an error wrapping ErrGraceExceeded:
// a host should report it and still exit 0, since the shutdown it was
// asked for happened.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return serveGrace(ctx, ln, h, ShutdownGrace)
}

// ErrGraceExceeded: requests in flight outlived the shutdown grace and
// were cut.
var ErrGraceExceeded = errors.New("requests still running at the end of the shutdown grace were cut")

func serveGrace(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	write := DefaultTimeout + WriteMargin
	if s, ok := h.(*Server); ok && s.cfg.timeout > 0 {
		write = s.cfg.timeout + WriteMargin
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      ReadTimeout + write,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	// HTTP/1.1 and HTTP/2 without TLS (prior knowledge, as gRPC clients
	// speak it: oipgrpc.Handler puts gRPC on this port)
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		_ = srv.Close() // cut what is left: the handlers see their requests' contexts end
		err = fmt.Errorf("%w (after %v)", ErrGraceExceeded, grace)
	}
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
