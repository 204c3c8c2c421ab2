package sensor

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/flowsense/flowsense/internal/tokenfile"
)

// MaxTokenBytes bounds a token file.
const MaxTokenBytes = tokenfile.MaxBytes

// ErrToken: a token file that cannot be read, is empty, too long, or holds
// more than one line.
var ErrToken = errors.New("sensor: bad token file")

// ReadToken reads a bearer token from a file: its content less surrounding
// white space (a mounted Secret's key, or a projected service account
// token, which has no newline), by the rule the function reads its token
// files with (internal/tokenfile).
func ReadToken(file string) (string, error) {
	b, err := tokenfile.Read(file)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrToken, err)
	}
	return string(b), nil
}

// BearerToken is an http.RoundTripper that sends the token of File as
// "Authorization: Bearer" on requests to Host (a URL's host[:port]; the
// sink's, so that a token for the function is not handed to another
// server) and leaves other requests alone. The file is read again for
// every request: a projected service account token is replaced in place
// before it expires, and so is a mounted Secret's key, and the next
// request sends the new one. A file that cannot be read fails the request
// (a retryable network error for the Sender) and names the file.
type BearerToken struct {
	File string
	Host string
	// Next is the transport (http.DefaultTransport when nil).
	Next http.RoundTripper
}

// NewBearerToken is a BearerToken of file for the host of target (a URL),
// checked once: the file must hold a token now.
func NewBearerToken(file, target string, next http.RoundTripper) (*BearerToken, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("sensor: token for %q: want an http(s) URL", target)
	}
	if _, err := ReadToken(file); err != nil {
		return nil, err
	}
	return &BearerToken{File: file, Host: u.Host, Next: next}, nil
}

func (b *BearerToken) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if r.URL.Host != b.Host {
		return next.RoundTrip(r)
	}
	tok, err := ReadToken(b.File)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return next.RoundTrip(r)
}
