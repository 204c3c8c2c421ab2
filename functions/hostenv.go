package functions

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/flowsense/flowsense/functions/replyid"
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
)

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
	return opts, nil
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
