package oipgrpc

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/flowsense/flowsense/functions"
)

// openMethods are the RPCs that need no credential: the probes, as the
// REST /v2/health paths.
var openMethods = map[string]bool{
	"/inference.GRPCInferenceService/ServerLive":  true,
	"/inference.GRPCInferenceService/ServerReady": true,
	"/inference.GRPCInferenceService/ModelReady":  true,
}

// authorize checks a gRPC request against the classify route's policy of
// s (the Authorization metadata is the HTTP/2 header): false, with a
// trailers-only answer of Unauthenticated, PermissionDenied or
// Unavailable written, when it may not call.
func authorize(s *functions.Server, w http.ResponseWriter, r *http.Request) bool {
	if openMethods[r.URL.Path] {
		return true
	}
	err := s.Authorize(r, functions.RouteClassify)
	if err == nil {
		return true
	}
	code := codes.Unauthenticated
	switch {
	case errors.Is(err, functions.ErrForbidden):
		code = codes.PermissionDenied
	case errors.Is(err, functions.ErrAuthUnavailable):
		code = codes.Unavailable
	}
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Grpc-Status", strconv.Itoa(int(code)))
	h.Set("Grpc-Message", strings.ReplaceAll(url.PathEscape(functions.ProblemOf(err).Detail), "%20", " "))
	w.WriteHeader(http.StatusOK)
	return false
}
