package tokenfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxBytes bounds a token file.
const MaxBytes = 64 << 10

// ErrInvalid: the file was read but holds no token: empty (or only white
// space), over MaxBytes, or with white space inside (more than one
// token). An error that does not wrap it is one of opening or reading
// the file (it wraps the *fs.PathError: errors.Is(err, fs.ErrNotExist)
// tells a missing file).
var ErrInvalid = errors.New("not a token file")

// Read returns the token of file (the package's rule). Errors name the
// file.
func Read(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err // a *fs.PathError naming the file
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	switch {
	case err != nil:
		return nil, err // a *fs.PathError naming the file
	case len(b) > MaxBytes:
		return nil, fmt.Errorf("%w: %s: over %d bytes", ErrInvalid, file, MaxBytes)
	}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return nil, fmt.Errorf("%w: %s is empty", ErrInvalid, file)
	case bytes.ContainsAny(b, "\r\n\t\v\f "):
		return nil, fmt.Errorf("%w: %s holds more than one token (white space inside)", ErrInvalid, file)
	}
	return b, nil
}
