package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/flowsense/flowsense/extract"
)

var (
	// ErrNoFlows: the capture holds no IP flow (it may hold other frames).
	ErrNoFlows = errors.New("the capture holds no IP flow")
	// ErrTooManyFlows: the capture holds more than MaxFlows flows.
	ErrTooManyFlows = errors.New("too many flows")
)

// MaxFlows caps the flows of one capture in the page, which holds every
// flow's row, key and verdict, and the CSV besides (a few hundred bytes a
// flow, so about 100 MB of the user's own browser at the cap). It is ten
// times POST /predict's default (functions.DefaultMaxFlows; a test holds
// it at least that): the page classifies on the user's machine, where a
// shared server's budget is not the bound, and an attack capture of tens
// of thousands of flows (the shared SYN flood: 37,669) is what a user
// drops on it. Classifying on the server sends the rows to /predict,
// whose own limit then answers.
const MaxFlows = 100_000

// FlowKey says which flow a row is (extract.Flow.Key): the key POST
// /predict answers for a capture too (functions.FlowKey).
type FlowKey = extract.FlowKey

// Result is the extraction of one capture.
type Result struct {
	// CSV is what `flowsense extract --pcap FILE` writes: the header of the
	// CIC-IDS2017 sample and one row per flow.
	CSV []byte
	// Flows has one key per CSV row, in the same order.
	Flows []FlowKey
	Stats extract.Stats
}

// Extract reads one capture (pcap or pcapng, gzip-compressed or not) with
// the options `flowsense extract` uses by default. name appears in errors,
// which are extract's *Error for a bad capture, ErrNoFlows for a capture
// without IP flows and ErrTooManyFlows for one of more than MaxFlows flows.
func Extract(ctx context.Context, r io.Reader, name string) (Result, error) {
	var res Result
	var csv bytes.Buffer
	cw := extract.NewCSVWriter(&csv, "")
	errTooMany := fmt.Errorf("%s: %w: more than %d in one capture, the most the page (and POST /predict) takes; "+
		"split it (editcap -c) or run flowsense extract on it", name, ErrTooManyFlows, MaxFlows)
	// Open flows are capped too, as POST /predict caps them.
	x, err := extract.New(extract.Options{MaxFlows: MaxFlows + 1}, func(f *extract.Flow) error {
		if len(res.Flows) == MaxFlows {
			return errTooMany
		}
		res.Flows = append(res.Flows, f.Key())
		return cw.Write(f)
	})
	if err != nil {
		return Result{}, err
	}
	if err := x.ReadCapture(ctx, r, name); err != nil {
		if errors.Is(err, errTooMany) {
			return Result{}, errTooMany
		}
		return Result{}, err
	}
	res.Stats = x.Stats()
	if len(res.Flows) == 0 {
		st := res.Stats
		return Result{}, fmt.Errorf("%s: %w (%d packets: %d not IP, %d malformed)", name, ErrNoFlows, st.Packets, st.NotIP, st.Malformed)
	}
	if err := cw.Flush(); err != nil {
		return Result{}, err
	}
	res.CSV = csv.Bytes()
	return res, nil
}

// AppendJSON appends the keys as a JSON array, as encoding/json would
// write them (a test holds it to that): written out by hand because
// encoding/json adds 400 KB to the module. Every string is an address, a
// flow ID or an end reason, which strconv quotes as JSON does.
func AppendJSON(b []byte, keys []FlowKey) []byte {
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendQuote(b, k.ID)
		b = append(b, `,"src":`...)
		b = strconv.AppendQuote(b, k.Src)
		b = append(b, `,"src_port":`...)
		b = strconv.AppendUint(b, uint64(k.SrcPort), 10)
		b = append(b, `,"dst":`...)
		b = strconv.AppendQuote(b, k.Dst)
		b = append(b, `,"dst_port":`...)
		b = strconv.AppendUint(b, uint64(k.DstPort), 10)
		b = append(b, `,"protocol":`...)
		b = strconv.AppendUint(b, uint64(k.Protocol), 10)
		b = append(b, `,"start":`...)
		b = strconv.AppendQuote(b, k.Start)
		b = append(b, `,"fwd_packets":`...)
		b = strconv.AppendInt(b, k.FwdPackets, 10)
		b = append(b, `,"bwd_packets":`...)
		b = strconv.AppendInt(b, k.BwdPackets, 10)
		b = append(b, `,"end":`...)
		b = strconv.AppendQuote(b, k.End)
		b = append(b, '}')
	}
	return append(b, ']')
}

// AppendStatsJSON appends the counts as a JSON object with extract.Stats'
// field names.
func AppendStatsJSON(b []byte, s extract.Stats) []byte {
	for i, f := range []struct {
		name string
		v    int64
	}{{"Packets", s.Packets}, {"IP", s.IP}, {"NotIP", s.NotIP}, {"IPv6", s.IPv6}, {"Malformed", s.Malformed},
		{"Late", s.Late}, {"Flows", s.Flows}, {"Short", s.Short}, {"Evicted", s.Evicted}, {"Reordered", s.Reordered}} {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, f.name)
		b = append(b, ':')
		b = strconv.AppendInt(b, f.v, 10)
	}
	return append(b, '}')
}
