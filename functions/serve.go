package functions

import (
	"context"
	"errors"
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
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
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
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
