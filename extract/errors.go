package extract

import (
	"errors"
	"fmt"
)

// Sentinel errors of reading a capture; test with errors.Is. Every error the
// package returns for bad input is an *Error wrapping one of these.
var (
	// ErrNotCapture: the bytes are neither pcap nor pcapng (nor either of
	// them gzip-compressed).
	ErrNotCapture = errors.New("not a pcap or pcapng capture")
	// ErrTruncated: the file ends inside a header or a packet record, for
	// example a record that claims more bytes than the file holds.
	ErrTruncated = errors.New("capture truncated")
	// ErrCorrupt: a header or record is inconsistent (a capture length
	// above the packet's original length, a broken pcapng block, a bad
	// gzip stream).
	ErrCorrupt = errors.New("corrupt capture")
	// ErrTooLong: a packet record, or the bytes between two packets, exceed
	// Options.MaxPacket (256 KiB by default). Hostile snap lengths and block
	// lengths stop here instead of allocating what the file claims.
	ErrTooLong = errors.New("packet record too long")
	// ErrLinkType: the capture's link-layer type is not one the decoder
	// knows (Ethernet, Linux cooked v1/v2, raw IP, BSD loopback).
	ErrLinkType = errors.New("unsupported link-layer type")
	// ErrOrder: a packet arrived later than the reorder window allows and
	// Options.LatePackets is LateError.
	ErrOrder = errors.New("packet out of time order beyond the reorder window")
)

// Error is a failure to read a capture, at a packet where that applies.
type Error struct {
	// File is the capture's name as given to the reader ("-" for stdin).
	File string
	// Packet is the 1-based number of the packet record being read, or 0
	// for the file header.
	Packet int64
	// Err is one of the sentinel errors above.
	Err error
	// Detail says what exactly is wrong.
	Detail string
}

func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	where := e.File
	if e.Packet > 0 {
		where += fmt.Sprintf(": packet %d", e.Packet)
	} else {
		where += ": file header"
	}
	return where + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }
