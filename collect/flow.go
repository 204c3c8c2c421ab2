package collect

import (
	"math"
	"net/netip"
	"time"
)

// Flow is one flow mapped to the NetFlow-v2 features: a data record as
// exported, or two unidirectional records paired into one (Pairer).
type Flow struct {
	// Exporter is the address and port the export came from.
	Exporter netip.AddrPort
	// Version is 5, 9 or 10 (IPFIX).
	Version uint16
	// Domain is the v9 source ID, the IPFIX observation domain, or a v5
	// header's engine type and ID (type<<8 | id).
	Domain uint32
	// Src, Dst and the ports and protocol are the flow's key, from the
	// client's side once paired. Src and Dst are the values of the
	// IPV4_SRC_ADDR and IPV4_DST_ADDR features (IPv6 addresses too).
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8
	// Start and End are the first and last packet of the flow (either
	// direction); zero when the export carried no times.
	Start, End time.Time
	// Bidirectional says the OUT features are known: the record carried
	// them (nProbe's OUT_BYTES/OUT_PKTS, RFC 5103 reverse elements), or
	// it was paired with its reverse, or its reverse never came within the
	// pairing window (the OUT counters are then 0).
	Bidirectional bool
	// Paired says the flow is two records merged.
	Paired bool
	// Values holds the features in Feature order; NaN is missing. The
	// address features are always NaN here: see Src and Dst.
	Values [NumFeatures]float64
}

// Has reports whether a feature has a value.
func (f *Flow) Has(x Feature) bool {
	if x.IsAddress() {
		return f.addr(x).IsValid()
	}
	return !math.IsNaN(f.Values[x])
}

func (f *Flow) addr(x Feature) netip.Addr {
	if x == IPV4_SRC_ADDR {
		return f.Src
	}
	return f.Dst
}

// Text is a feature as text: the address for the address features, the
// shortest decimal for the others, "" when missing.
func (f *Flow) Text(x Feature) string {
	if x.IsAddress() {
		if a := f.addr(x); a.IsValid() {
			return a.String()
		}
		return ""
	}
	return formatValue(f.Values[x])
}

func (f *Flow) reset() {
	*f = Flow{}
	for i := range f.Values {
		f.Values[i] = math.NaN()
	}
}

func (f *Flow) set(x Feature, v float64) { f.Values[x] = v }

// setIfMissing sets a feature that has no value yet.
func (f *Flow) setIfMissing(x Feature, v float64) {
	if math.IsNaN(f.Values[x]) {
		f.Values[x] = v
	}
}
