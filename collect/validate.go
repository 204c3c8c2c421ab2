package collect

import (
	"encoding/binary"
	"fmt"
)

// The message checks below run before goflow2 sees a message. goflow2's
// decoders trust the lengths they read: a template whose records have no
// fixed-size field makes its data-set loop spin without consuming bytes
// (unbounded memory), a v5 count larger than the datagram yields zeroed
// records, an IPFIX length below 16 underflows. Checking the structure
// first gives a typed error for each of these and lets goflow2 decode only
// messages whose every set and template record lies within the datagram.

const (
	v5HeaderLen    = 24
	v5RecordLen    = 48
	v9HeaderLen    = 20
	ipfixHeaderLen = 16
	setHeaderLen   = 4
	// maxRecordLen is the largest record a message can carry.
	maxRecordLen = 65535 - ipfixHeaderLen - setHeaderLen
)

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

// checkV5 checks a NetFlow v5 datagram: a 24-byte header and as many
// 48-byte records as its count says.
func checkV5(e *Error, msg []byte) error {
	if len(msg) < v5HeaderLen {
		return e.with(ErrTruncated, fmt.Sprintf("%d bytes, a v5 header is %d", len(msg), v5HeaderLen))
	}
	n := int(be16(msg[2:]))
	if need := v5HeaderLen + n*v5RecordLen; len(msg) < need {
		return e.with(ErrLength, fmt.Sprintf("count %d needs %d bytes, the datagram has %d", n, need, len(msg)))
	}
	return nil
}

// checkV9 checks a NetFlow v9 datagram's sets and template records.
func checkV9(e *Error, msg []byte) error {
	if len(msg) < v9HeaderLen {
		return e.with(ErrTruncated, fmt.Sprintf("%d bytes, a v9 header is %d", len(msg), v9HeaderLen))
	}
	return checkSets(e, msg[v9HeaderLen:], 9)
}

// checkIPFIX checks an IPFIX message and returns it cut to its length
// field.
func checkIPFIX(e *Error, msg []byte) ([]byte, error) {
	if len(msg) < ipfixHeaderLen {
		return nil, e.with(ErrTruncated, fmt.Sprintf("%d bytes, an IPFIX header is %d", len(msg), ipfixHeaderLen))
	}
	n := int(be16(msg[2:]))
	if n < ipfixHeaderLen || n > len(msg) {
		return nil, e.with(ErrLength, fmt.Sprintf("message length %d in a datagram of %d bytes", n, len(msg)))
	}
	msg = msg[:n]
	return msg, checkSets(e, msg[ipfixHeaderLen:], 10)
}

func checkSets(e *Error, b []byte, version uint16) error {
	for len(b) > 0 {
		if len(b) < setHeaderLen {
			if version == 9 {
				return nil // v9 allows padding after the last set
			}
			return e.with(ErrTruncated, fmt.Sprintf("%d bytes after the last set", len(b)))
		}
		id, n := be16(b), int(be16(b[2:]))
		e.Template = id
		if n < setHeaderLen {
			return e.with(ErrLength, fmt.Sprintf("set length %d", n))
		}
		if n > len(b) {
			return e.with(ErrTruncated, fmt.Sprintf("set length %d, %d bytes left", n, len(b)))
		}
		body := b[setHeaderLen:n]
		var err error
		switch {
		case version == 9 && id == 0, version == 10 && id == 2:
			err = checkTemplates(e, body, version)
		case version == 9 && id == 1:
			err = checkV9Options(e, body)
		case version == 10 && id == 3:
			err = checkIPFIXOptions(e, body)
		case id < 256:
			err = e.with(ErrLength, fmt.Sprintf("reserved set ID %d", id))
		}
		if err != nil {
			return err
		}
		e.Template = 0
		b = b[n:]
	}
	return nil
}

// checkFields checks count field specifiers at the start of b and
// returns the bytes they take and their records' fixed size.
func checkFields(e *Error, b []byte, count int, version uint16) (used, fixed int, err error) {
	for i := 0; i < count; i++ {
		if len(b)-used < 4 {
			return 0, 0, e.with(ErrTruncated, fmt.Sprintf("field %d of %d lies past the set", i+1, count))
		}
		typ, l := be16(b[used:]), be16(b[used+2:])
		used += 4
		if version == 10 && typ&0x8000 != 0 {
			if len(b)-used < 4 {
				return 0, 0, e.with(ErrTruncated, fmt.Sprintf("field %d's enterprise number lies past the set", i+1))
			}
			used += 4
		}
		switch {
		case l == 0xffff && version == 9:
			return 0, 0, e.with(ErrTemplate, fmt.Sprintf("field %d (type %d) has variable length, which NetFlow v9 does not have", i+1, typ))
		case l != 0xffff:
			fixed += int(l)
		}
	}
	if fixed == 0 {
		return 0, 0, e.with(ErrTemplate, "no field of fixed length: records would take no bytes")
	}
	if fixed > maxRecordLen {
		return 0, 0, e.with(ErrTemplate, fmt.Sprintf("records of %d bytes do not fit in any message", fixed))
	}
	return used, fixed, nil
}

func checkTemplates(e *Error, b []byte, version uint16) error {
	for len(b) >= 4 {
		id, count := be16(b), int(be16(b[2:]))
		e.Template = id
		b = b[4:]
		if count == 0 {
			if version == 10 && (id >= 256 || id == 2) {
				continue // withdrawal
			}
			return e.with(ErrTemplate, "no fields")
		}
		if id < 256 {
			return e.with(ErrTemplate, fmt.Sprintf("template ID %d (data templates are 256 and up)", id))
		}
		used, _, err := checkFields(e, b, count, version)
		if err != nil {
			return err
		}
		b = b[used:]
	}
	return nil
}

func checkV9Options(e *Error, b []byte) error {
	for len(b) >= 4 {
		if len(b) < 6 {
			return e.with(ErrTruncated, "options template header lies past the set")
		}
		id, scope, opts := be16(b), int(be16(b[2:])), int(be16(b[4:]))
		e.Template = id
		if id < 256 {
			return e.with(ErrTemplate, fmt.Sprintf("options template ID %d", id))
		}
		if scope%4 != 0 || opts%4 != 0 {
			return e.with(ErrTemplate, fmt.Sprintf("scope length %d and option length %d are not multiples of 4", scope, opts))
		}
		used, _, err := checkFields(e, b[6:], (scope+opts)/4, 9)
		if err != nil {
			return err
		}
		b = b[6+used:]
	}
	return nil
}

func checkIPFIXOptions(e *Error, b []byte) error {
	for len(b) >= 4 {
		id, count := be16(b), int(be16(b[2:]))
		e.Template = id
		if count == 0 {
			return e.with(ErrTemplate, "options template withdrawal (not supported: the message is refused)")
		}
		if len(b) < 6 {
			return e.with(ErrTruncated, "options template header lies past the set")
		}
		scope := int(be16(b[4:]))
		if id < 256 {
			return e.with(ErrTemplate, fmt.Sprintf("options template ID %d", id))
		}
		if scope == 0 || scope > count {
			return e.with(ErrTemplate, fmt.Sprintf("%d scope fields of %d", scope, count))
		}
		used, _, err := checkFields(e, b[6:], count, 10)
		if err != nil {
			return err
		}
		b = b[6+used:]
	}
	return nil
}

// with fills in the sentinel and detail and returns e.
func (e *Error) with(err error, detail string) *Error {
	e.Err, e.Detail = err, detail
	return e
}
