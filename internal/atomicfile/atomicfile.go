package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned by Create when the target already exists.
var ErrExists = fs.ErrExist

// WriteFile writes b to path atomically (mode 0644), replacing a file
// already there.
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Write streams write's output into a temporary file next to path and
// renames it into place only when write succeeded, replacing a file
// already there.
func Write(path string, write func(io.Writer) error) error {
	return write1(path, write, os.Rename)
}

// Create is Write that never replaces: when path exists it fails with an
// error satisfying errors.Is(err, ErrExists) and leaves the old file.
func Create(path string, write func(io.Writer) error) error {
	return write1(path, write, os.Link) // link fails rather than overwrite
}

func write1(path string, write func(io.Writer) error, place func(tmp, path string) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if rerr := os.Remove(tmp); err == nil && rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	}()
	if err = write(f); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = place(tmp, path)
	}
	return err
}
