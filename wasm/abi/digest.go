package abi

import (
	"bytes"
	"crypto/sha256"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// DigestSectionName is the custom section that closes a compiled module:
// the 32-byte sha256 of every byte before the section. A host that finds
// it checks it (CheckDigest), so that a module damaged in storage or
// transit fails to load instead of answering wrongly; a module without it
// (one compiled before it existed, or written by hand) is not checked.
const DigestSectionName = "flowsense.sha256"

// AppendDigest appends the digest section to a module.
func AppendDigest(b []byte) []byte {
	sum := sha256.Sum256(b)
	m := &wb.Module{}
	m.Custom(DigestSectionName, sum[:])
	return append(b, m.Bytes()...)
}

// CheckDigest checks a module's digest section, when it has one: it must
// be the last section and hold the sha256 of the bytes before it.
func CheckDigest(b []byte) error {
	secs, err := wb.Sections(b)
	if err != nil {
		return &Error{Op: "load", Offset: -1, Err: ErrCorrupt, Detail: err.Error()}
	}
	for i, s := range secs {
		if s.ID != wb.SecCustom || s.Name != DigestSectionName {
			continue
		}
		if i != len(secs)-1 || len(s.Data) != sha256.Size {
			return &Error{Op: "load", Offset: s.Offset, Err: ErrCorrupt, Detail: "a misplaced or malformed " + DigestSectionName + " section"}
		}
		// the section starts at its id byte: id, size, name length, name
		start := s.Offset - 1 - uleb128Len(uint32(len(s.Data)+1+len(DigestSectionName)))
		sum := sha256.Sum256(b[:start])
		if !bytes.Equal(sum[:], s.Data) {
			return &Error{Op: "load", Offset: s.Offset, Err: ErrCorrupt, Detail: "the module's bytes do not match its sha256 (damaged in storage or transit)"}
		}
	}
	return nil
}

func uleb128Len(v uint32) int { return len(wb.AppendU32(nil, v)) }
