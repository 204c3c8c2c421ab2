package functions

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/flowsense/flowsense/functions/replyid"
	"github.com/flowsense/flowsense/internal/tokenfile"
)

// Environment variables every host (flowsense serve, the Knative function,
// Lambda) reads through OptionsFromEnv, so that one deployment setting
// means the same on each.
const (
	// EnvReplyKeyFile names a file holding the per-deployment key of reply
	// ids (at least replyid.MinKeyBytes bytes; one trailing newline is
	// dropped): a mounted Secret on Knative, a file in the bundle or a
	// layer on Lambda. Every replica needs the same key.
	EnvReplyKeyFile = "FLOWSENSE_REPLY_KEY_FILE"
	// EnvUnverifiedFeedback, set to true, also counts feedback without a
	// reply id (WithUnverifiedFeedback).
	EnvUnverifiedFeedback = "FLOWSENSE_UNVERIFIED_FEEDBACK"

	// EnvAuthClassify, EnvAuthFeedback, EnvAuthMetrics and
	// EnvAuthMetadata are the policies of the routes (ParsePolicy): "none", or a comma-separated
	// list of "token=FILE" (a bearer token, the file's content) and
	// "oidc=SUBJECT" (a verified OIDC token of that subject; a bare
	// service account name means system:serviceaccount:NAMESPACE:NAME;
	// "*" any subject). Unset is "none".
	EnvAuthClassify = "FLOWSENSE_AUTH_CLASSIFY"
	EnvAuthFeedback = "FLOWSENSE_AUTH_FEEDBACK"
	EnvAuthMetrics  = "FLOWSENSE_AUTH_METRICS"
	EnvAuthMetadata = "FLOWSENSE_AUTH_METADATA"
	// EnvOIDCIssuer and EnvOIDCAudience turn on OIDC sender verification
	// (OIDCConfig); EnvOIDCCAFile and EnvOIDCTokenFile default, in a pod,
	// to the service account's ca.crt and token.
	EnvOIDCIssuer    = "FLOWSENSE_OIDC_ISSUER"
	EnvOIDCAudience  = "FLOWSENSE_OIDC_AUDIENCE"
	EnvOIDCCAFile    = "FLOWSENSE_OIDC_CA_FILE"
	EnvOIDCTokenFile = "FLOWSENSE_OIDC_TOKEN_FILE"
	// EnvNamespace is the namespace of bare service account names in
	// "oidc=" policies; default, in a pod, the service account's.
	EnvNamespace = "FLOWSENSE_NAMESPACE"
	// EnvMetricsAddr, when set, serves GET /metrics on this address only
	// (WithSeparateMetrics, MetricsHandler).
	EnvMetricsAddr = "FLOWSENSE_METRICS_ADDR"
)

// ServiceAccountDir is where a pod's service account is mounted.
var ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// ErrConfig: a host setting that cannot be used (a key file that cannot be
// read or is too short, a value that is not a boolean).
var ErrConfig = errors.New("bad host configuration")

// OptionsFromEnv returns the options the environment sets (the variables
// above; getenv is os.Getenv, or the configuration map of a Knative
// function). An error names the variable and the file.
func OptionsFromEnv(getenv func(string) string) ([]Option, error) {
	var opts []Option
	if path := getenv(EnvReplyKeyFile); path != "" {
		key, err := ReadKeyFile(path, replyid.MinKeyBytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrConfig, EnvReplyKeyFile, err)
		}
		opts = append(opts, WithReplyKey(key))
	}
	if v := getenv(EnvUnverifiedFeedback); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=%q is not a boolean", ErrConfig, EnvUnverifiedFeedback, v)
		}
		if on {
			opts = append(opts, WithUnverifiedFeedback())
		}
	}
	ns := getenv(EnvNamespace)
	if ns == "" {
		if b, err := os.ReadFile(ServiceAccountDir + "/namespace"); err == nil {
			ns = string(bytes.TrimSpace(b))
		}
	}
	for _, r := range []struct {
		env   string
		route Route
	}{{EnvAuthClassify, RouteClassify}, {EnvAuthFeedback, RouteFeedback}, {EnvAuthMetrics, RouteMetrics}, {EnvAuthMetadata, RouteMetadata}} {
		v := getenv(r.env)
		if v == "" {
			continue
		}
		p, err := ParsePolicy(v, ns)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrConfig, r.env, err)
		}
		opts = append(opts, WithAuth(r.route, p))
	}
	if iss := getenv(EnvOIDCIssuer); iss != "" {
		o := OIDCConfig{Issuer: iss, Audience: getenv(EnvOIDCAudience), CAFile: getenv(EnvOIDCCAFile), TokenFile: getenv(EnvOIDCTokenFile)}
		if o.Audience == "" {
			return nil, fmt.Errorf("%w: %s is set but %s is not", ErrConfig, EnvOIDCIssuer, EnvOIDCAudience)
		}
		if o.CAFile == "" && exists(ServiceAccountDir+"/ca.crt") {
			o.CAFile = ServiceAccountDir + "/ca.crt"
		}
		if o.TokenFile == "" && exists(ServiceAccountDir+"/token") {
			o.TokenFile = ServiceAccountDir + "/token"
		}
		opts = append(opts, WithOIDC(o))
	}
	if getenv(EnvMetricsAddr) != "" {
		opts = append(opts, WithSeparateMetrics())
	}
	lim, err := limitsFromEnv(getenv) // limits.go
	if err != nil {
		return nil, err
	}
	return append(opts, lim...), nil
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// MinTokenBytes is the shortest bearer token a policy accepts.
const MinTokenBytes = 16

// ParsePolicy reads a route policy: "none", or alternatives separated by
// commas, each "token=FILE" (the file's content less surrounding white
// space, at least MinTokenBytes: ReadTokenFile; Policy.TokenFiles, read again while serving)
// or "oidc=SUBJECT". A SUBJECT without a colon
// is a service account of namespace (system:serviceaccount:NS:NAME); "*"
// is any subject the issuer vouches for with the right audience.
func ParsePolicy(v, namespace string) (Policy, error) {
	v = strings.TrimSpace(v)
	if v == "none" {
		return Policy{Public: true}, nil
	}
	var p Policy
	for _, alt := range strings.Split(v, ",") {
		kind, val, ok := strings.Cut(strings.TrimSpace(alt), "=")
		val = strings.TrimSpace(val)
		switch {
		case !ok || val == "":
			return Policy{}, fmt.Errorf("%q: want none, token=FILE or oidc=SUBJECT", alt)
		case kind == "token":
			if _, err := ReadTokenFile(val); err != nil {
				return Policy{}, err
			}
			p.TokenFiles = append(p.TokenFiles, val)
		case kind == "oidc":
			if val != "*" && !strings.Contains(val, ":") {
				if namespace == "" {
					return Policy{}, fmt.Errorf("oidc=%s names a service account, but the namespace is unknown (set %s)", val, EnvNamespace)
				}
				val = "system:serviceaccount:" + namespace + ":" + val
			}
			p.Subjects = append(p.Subjects, val)
		default:
			return Policy{}, fmt.Errorf("%q: unknown kind %q: want none, token=FILE or oidc=SUBJECT", alt, kind)
		}
	}
	return p, nil
}

// ErrShortToken: a token file whose token is shorter than MinTokenBytes.
var ErrShortToken = errors.New("token too short")

// ReadTokenFile reads a bearer token from a file (a mounted Secret's
// key) by the rule the sensor sends it with (internal/tokenfile: the
// content less surrounding white space, none inside), at least
// MinTokenBytes of it. An error wraps tokenfile.ErrInvalid or
// ErrShortToken when the file holds no usable token; otherwise it is one
// of opening or reading the file (fs.ErrNotExist: it is gone).
func ReadTokenFile(path string) ([]byte, error) {
	b, err := tokenfile.Read(path)
	if err != nil {
		return nil, err
	}
	if len(b) < MinTokenBytes {
		return nil, fmt.Errorf("%w: %s: %d bytes, want at least %d (make one with: head -c 32 /dev/urandom | base64 > %s)", ErrShortToken, path, len(b), MinTokenBytes, path)
	}
	return b, nil
}

// ReadKeyFile reads a secret from a file (a mounted Secret's key): its
// bytes less one trailing newline (what `kubectl create secret
// --from-file` and an editor leave), at least min of them.
func ReadKeyFile(path string, min int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	if len(b) < min {
		return nil, fmt.Errorf("%s: %d bytes, want at least %d (make one with: head -c 32 /dev/urandom | base64 > %s)", path, len(b), min, path)
	}
	return b, nil
}
