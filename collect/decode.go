package collect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"
)

// Decoder turns NetFlow v5, v9 and IPFIX datagrams into Flows, one per
// data record, with the templates of each exporter kept per observation
// domain within Limits. goflow2's decoders read the messages; the
// structure is checked first (validate.go). A Decoder is not safe for
// concurrent use. Decode reads msg in place (a v9 header's count field is
// changed while goflow2 reads it, then restored) and keeps none of it.
type Decoder struct {
	lim       Limits
	exporters map[netip.AddrPort]*exporter
	clock     uint64
	templates int // held, every exporter
	stats     DecoderStats
}

// DecoderStats counts what a Decoder has seen.
type DecoderStats struct {
	Messages, Records  uint64
	Errors             uint64 // messages refused whole or in part
	NoTemplate         uint64 // data sets dropped: template not (yet) known
	Templates          uint64 // templates held now, every exporter
	Exporters          uint64 // exporters held now
	EvictedExporters   uint64
	OptionsRecords     uint64
	RefusedByLimits    uint64 // templates refused by Limits
	UnsupportedVersion uint64
}

// NewDecoder returns a decoder with the given limits (zero fields take
// DefaultLimits' values).
func NewDecoder(lim Limits) *Decoder {
	return &Decoder{lim: lim.withDefaults(), exporters: map[netip.AddrPort]*exporter{}}
}

// Stats returns the counts so far.
func (d *Decoder) Stats() DecoderStats {
	s := d.stats
	s.Exporters = uint64(len(d.exporters))
	s.Templates = uint64(d.templates)
	return s
}

// Decode decodes one datagram from an exporter and appends a Flow per data
// record to dst (unidirectional records unpaired: see Pairer). Flows
// carry what their records say; Derive fills what follows from it. The
// error, an *Error, says why a message or part of it was refused: with
// ErrNoTemplate the flows of the other sets are still appended.
func (d *Decoder) Decode(from netip.AddrPort, msg []byte, dst []Flow) ([]Flow, error) {
	d.stats.Messages++
	e := &Error{Exporter: from}
	if len(msg) < 2 {
		d.stats.Errors++
		return dst, e.with(ErrTruncated, fmt.Sprintf("%d bytes", len(msg)))
	}
	version := be16(msg)
	e.Version = version
	n := len(dst)
	var err error
	switch version {
	case 5:
		dst, err = d.decodeV5(e, msg, dst)
	case 9, 10:
		dst, err = d.decodeTemplated(e, from, msg, dst)
	default:
		d.stats.UnsupportedVersion++
		err = e.with(ErrVersion, fmt.Sprintf("version %d (want 5, 9 or 10)", version))
	}
	d.stats.Records += uint64(len(dst) - n)
	if err != nil {
		d.stats.Errors++
	}
	return dst, err
}

func (d *Decoder) decodeV5(e *Error, msg []byte, dst []Flow) ([]Flow, error) {
	if err := checkV5(e, msg); err != nil {
		return dst, err
	}
	var p netflowlegacy.PacketNetFlowV5
	if err := netflowlegacy.DecodeMessageVersion(bytes.NewBuffer(msg), &p); err != nil {
		return dst, e.with(ErrDecode, err.Error())
	}
	e.Domain = uint32(p.EngineType)<<8 | uint32(p.EngineId)
	tb := timeBase{exportMs: int64(p.UnixSecs)*1000 + int64(p.UnixNSecs)/1e6, uptimeMs: p.SysUptime, hasUp: true}
	for i := range p.Records {
		dst = append(dst, Flow{})
		f := &dst[len(dst)-1]
		f.reset()
		f.Exporter, f.Version, f.Domain = e.Exporter, 5, e.Domain
		mapV5(f, &p.Records[i], &tb)
	}
	return dst, nil
}

// exporterFor returns the state of an exporter, evicting the least
// recently heard one when the table is full.
func (d *Decoder) exporterFor(from netip.AddrPort) *exporter {
	d.clock++
	x, ok := d.exporters[from]
	if !ok {
		if len(d.exporters) >= d.lim.MaxExporters {
			var oldest *exporter
			for _, o := range d.exporters {
				if oldest == nil || o.seen < oldest.seen {
					oldest = o
				}
			}
			delete(d.exporters, oldest.addr)
			d.templates -= len(oldest.templates)
			d.stats.EvictedExporters++
		}
		x = newExporter(from, &d.lim, &d.templates)
		d.exporters[from] = x
	}
	x.seen = d.clock
	return x
}

func (d *Decoder) decodeTemplated(e *Error, from netip.AddrPort, msg []byte, dst []Flow) ([]Flow, error) {
	var tb timeBase
	if e.Version == 9 {
		if err := checkV9(e, msg); err != nil {
			return dst, err
		}
		e.Domain = be32(msg[16:])
		tb = timeBase{exportMs: int64(be32(msg[8:])) * 1000, uptimeMs: be32(msg[4:]), hasUp: true}
	} else {
		m, err := checkIPFIX(e, msg)
		if err != nil {
			return dst, err
		}
		msg = m
		e.Domain = be32(msg[12:])
		tb = timeBase{exportMs: int64(be32(msg[4:])) * 1000}
	}
	x := d.exporterFor(from)
	if t, ok := x.sysInit[e.Domain]; ok {
		tb.initMs, tb.hasInit = t, true
	}
	var v9 netflow.NFv9Packet
	var ipfix netflow.IPFIXPacket
	if e.Version == 9 {
		// goflow2 reads as many sets as the header's count, which RFC 3954
		// defines as the number of records; softflowd counts only the data
		// records, which leaves its data sets unread behind the templates.
		// The sets were checked to lie within the datagram, so all are read
		// (nfdump does too): the count is raised for goflow2 and put back.
		count := be16(msg[2:])
		binary.BigEndian.PutUint16(msg[2:], 0xffff)
		defer binary.BigEndian.PutUint16(msg[2:], count)
	}
	derr := netflow.DecodeMessageVersion(bytes.NewBuffer(msg), x, &v9, &ipfix)
	sets := v9.FlowSets
	if e.Version == 10 {
		sets = ipfix.FlowSets
	}
	var noTemplate []uint16
	for _, s := range sets {
		switch s := s.(type) {
		case netflow.OptionsDataFlowSet:
			for _, r := range s.Records {
				d.stats.OptionsRecords++
				for _, v := range r.OptionsValues {
					if v.Type == ieSystemInitTimeMillis && !v.PenProvided {
						if b, ok := v.Value.([]byte); ok {
							if ms, ok := uintOf(b); ok {
								x.setInit(e.Domain, int64(ms))
								tb.initMs, tb.hasInit = int64(ms), true
							}
						}
					}
				}
			}
		case netflow.DataFlowSet:
			for _, r := range s.Records {
				dst = append(dst, Flow{})
				f := &dst[len(dst)-1]
				f.reset()
				f.Exporter, f.Version, f.Domain = from, e.Version, e.Domain
				mapRecord(f, r.Values, &tb)
			}
		case netflow.RawFlowSet:
			noTemplate = append(noTemplate, s.Id)
		}
	}
	if derr != nil && !onlyNoTemplate(derr) {
		var te *Error
		if errors.As(derr, &te) {
			if errors.Is(te, ErrTemplateLimit) {
				d.stats.RefusedByLimits++
			}
			return dst, te
		}
		return dst, e.with(ErrDecode, derr.Error())
	}
	if len(noTemplate) > 0 {
		d.stats.NoTemplate += uint64(len(noTemplate))
		e.Template = noTemplate[0]
		return dst, e.with(ErrNoTemplate, fmt.Sprintf("%d data set(s) dropped until the exporter sends the template (set IDs %v)", len(noTemplate), noTemplate))
	}
	return dst, nil
}

// onlyNoTemplate reports whether goflow2's error is nothing but missing
// templates, which goflow2 joins and carries on after.
func onlyNoTemplate(err error) bool {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range u.Unwrap() {
			if !onlyNoTemplate(e) {
				return false
			}
		}
		return true
	}
	if u := errors.Unwrap(err); u != nil {
		return onlyNoTemplate(u)
	}
	return errors.Is(err, netflow.ErrorTemplateNotFound)
}
