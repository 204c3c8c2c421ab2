package sensor

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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
// "Authorization: Bearer" on requests to the origin Scheme://Host (a
// URL's scheme and host[:port], the default port of the scheme when none
// is given: the sink's, so that a token for the function is not handed
// to another server, nor sent in clear text to http:// on the sink's
// host, by a redirect say) and leaves other requests alone. The file is
// read again for every request: a projected service account token is
// replaced in place before it expires, and so is a mounted Secret's key,
// and the next request sends the new one. A file that cannot be read
// fails the request (a retryable network error for the Sender) and names
// the file.
type BearerToken struct {
	File string
	// Scheme ("http" or "https") and Host (host[:port]) are the origin
	// that gets the token; an empty Scheme matches no request.
	Scheme, Host string
	// Next is the transport (http.DefaultTransport when nil).
	Next http.RoundTripper
}

// NewBearerToken is a BearerToken of file for the origin of target (an
// http(s) URL), checked once: the file must hold a token now.
func NewBearerToken(file, target string, next http.RoundTripper) (*BearerToken, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("sensor: token for %q: want an http(s) URL", target)
	}
	if _, err := ReadToken(file); err != nil {
		return nil, err
	}
	return &BearerToken{File: file, Scheme: u.Scheme, Host: u.Host, Next: next}, nil
}

// matches reports whether u is on b's origin: the same scheme, host name
// (case aside) and port (the scheme's default when none is written).
func (b *BearerToken) matches(u *url.URL) bool {
	if b.Scheme == "" || !strings.EqualFold(u.Scheme, b.Scheme) {
		return false
	}
	want := &url.URL{Host: b.Host}
	return strings.EqualFold(u.Hostname(), want.Hostname()) && portOf(u.Scheme, u.Port()) == portOf(b.Scheme, want.Port())
}

// portOf is port, or the default port of scheme when port is empty.
func portOf(scheme, port string) string {
	if port != "" {
		return port
	}
	switch strings.ToLower(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

func (b *BearerToken) RoundTrip(r *http.Request) (*http.Response, error) {
	next := b.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if !b.matches(r.URL) {
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
