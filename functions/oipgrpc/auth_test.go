package oipgrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	pb "github.com/flowsense/flowsense/functions/oipgrpc/inferencepb"
)

// TestGRPCAuth: with per-route credentials, every RPC but the probes needs
// the classify route's credential (a bearer token or an OIDC token of a
// named sender in the authorization metadata): none is Unauthenticated,
// another route's is PermissionDenied, an expired or wrong-audience token
// Unauthenticated; the probes stay open.
func TestGRPCAuth(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	opts, err := functions.OptionsFromEnv(func(k string) string { return a.Env[k] })
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, opts...)
	c := client(t, addr)
	with := func(tok string) context.Context {
		if tok == "" {
			return context.Background()
		}
		return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
	}
	if _, err := c.ServerLive(with(""), &pb.ServerLiveRequest{}); err != nil {
		t.Errorf("ServerLive without a credential: %v", err)
	}
	if _, err := c.ServerReady(with(""), &pb.ServerReadyRequest{}); err != nil {
		t.Errorf("ServerReady without a credential: %v", err)
	}
	for name, tc := range map[string]struct {
		tok  string
		want codes.Code
	}{
		"no credential":   {"", codes.Unauthenticated},
		"unknown token":   {"not-a-token-of-this-deployment", codes.Unauthenticated},
		"wrong audience":  {a.Issuer.Token(t, a.ClassifySender, "someone-else"), codes.Unauthenticated},
		"alg none":        {a.Issuer.Unsigned(a.ClassifySender, a.Audience), codes.Unauthenticated},
		"feedback sender": {a.Issuer.Token(t, a.FeedbackSender, a.Audience), codes.PermissionDenied},
		"metrics token":   {a.MetricsToken, codes.PermissionDenied},
		"classify token":  {a.ClassifyToken, codes.OK},
		"classify sender": {a.Issuer.Token(t, a.ClassifySender, a.Audience), codes.OK},
	} {
		_, err := c.ServerMetadata(with(tc.tok), &pb.ServerMetadataRequest{})
		if got := status.Code(err); got != tc.want {
			t.Errorf("%s: ServerMetadata %v, want %v", name, err, tc.want)
		}
	}
}
