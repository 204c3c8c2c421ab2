package abi

import (
	"fmt"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// HasFuncExport reports whether module b exports a function named name
// (ExportExplain, say), read from its export section without compiling
// or instantiating it: what a command asks of a module file before
// deciding whether to load it or compile model.json instead. A module
// whose sections or export section do not parse is an *Error wrapping
// ErrCorrupt (the whole export section is read, so that a damaged one is
// not taken for an answer).
func HasFuncExport(b []byte, name string) (bool, error) {
	secs, err := wb.Sections(b)
	if err != nil {
		return false, &Error{Op: "load", Offset: -1, Err: ErrCorrupt, Detail: err.Error()}
	}
	for _, s := range secs {
		if s.ID != wb.SecExport {
			continue
		}
		bad := func(what string) error {
			return &Error{Op: "load", Offset: s.Offset, Err: ErrCorrupt, Detail: "export section: " + what}
		}
		d := s.Data
		n, k, err := wb.ReadU32(d)
		if err != nil {
			return false, bad(err.Error())
		}
		d = d[k:]
		found := false
		for i := uint32(0); i < n; i++ {
			ln, k, err := wb.ReadU32(d)
			if err != nil || uint64(ln) >= uint64(len(d)-k) {
				return false, bad(fmt.Sprintf("export %d: bad name", i))
			}
			en, kind := string(d[k:k+int(ln)]), d[k+int(ln)]
			d = d[k+int(ln)+1:]
			if _, k, err = wb.ReadU32(d); err != nil {
				return false, bad(fmt.Sprintf("export %d: bad index", i))
			}
			d = d[k:]
			found = found || kind == wb.ExportFunc && en == name
		}
		if len(d) != 0 {
			return false, bad("bytes after the last export")
		}
		return found, nil
	}
	return false, nil
}
