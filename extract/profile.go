package extract

import (
	"fmt"
	"strings"
)

// Profile names a version of the reference tool whose semantics the
// extractor reproduces, bugs included. FEATURES.md lists every difference.
type Profile uint8

const (
	// CICIDS2017 is the corrected CICFlowMeter (Engelen et al. 2021) as it
	// stood when the relabelled CIC-IDS2017 was extracted (Liu et al. 2022):
	// the semantics of ../shared/data/cicids2017, so a model trained there
	// sees features computed as it learned them. The default.
	CICIDS2017 Profile = iota
	// CICFlowMeter is GintsEngelen/CICFlowMeter as it is now (the tool that
	// made the ConCap pairs in ../shared/data/pcap/pairs): sub-flows split
	// at gaps over a second, first packets counted in every directional
	// count, bulk and sub-flow averages as doubles, a SYN-ACK that opens a
	// flow reversed, UDP "dialogues" continued across the flow timeout.
	CICFlowMeter
)

var profileNames = [...]string{CICIDS2017: "cicids2017", CICFlowMeter: "cicflowmeter"}

func (p Profile) String() string {
	if int(p) < len(profileNames) {
		return profileNames[p]
	}
	return fmt.Sprintf("Profile(%d)", uint8(p))
}

// ParseProfile reads a profile name as String writes it.
func ParseProfile(s string) (Profile, error) {
	for i, n := range profileNames {
		if strings.EqualFold(s, n) {
			return Profile(i), nil
		}
	}
	return 0, fmt.Errorf("unknown profile %q (want %s)", s, strings.Join(profileNames[:], " or "))
}

// quirks are the switches in which the two versions of the reference
// differ. Each is named after the behaviour of the CIC-IDS2017 version.
type quirks struct {
	// subflowEveryPacket: detectUpdateSubflows' test reads
	// ts - (last/1e6) > 1 (operator precedence), true for every packet, so
	// the sub-flow count is the packet count; sub-flow averages are long
	// divisions.
	subflowEveryPacket bool
	// integerBulk: bulk averages and rates are long divisions.
	integerBulk bool
	// firstPacketUncounted: the first packet adds nothing to Fwd Act Data
	// Pkts or to the directional FIN and RST counts (firstPacket skips them).
	firstPacketUncounted bool
	// bwdWindowLast: Bwd Init Win Bytes is overwritten by every backward
	// packet, so it is the last one's window.
	bwdWindowLast bool
	// synAckKeepsDirection: a SYN-ACK that opens a flow makes its sender
	// the flow's source (the current version reverses it).
	synAckKeepsDirection bool
	// tcpOnlyConnectionTime: Total TCP Flow Time accumulates for TCP only,
	// and a UDP flow after the flow timeout always starts a new flow in the
	// packet's direction (the current version continues a UDP "dialogue"
	// unless it was idle for a flow timeout, and accumulates UDP too).
	tcpOnlyConnectionTime bool
	// readySynNeedsNoACK: after FIN-FIN-ACK or RST, only a SYN without ACK
	// opens a flow in its own direction; a SYN-ACK continues the old one.
	readySynNeedsNoACK bool
}

func (p Profile) quirks() quirks {
	if p == CICFlowMeter {
		return quirks{}
	}
	return quirks{
		subflowEveryPacket:    true,
		integerBulk:           true,
		firstPacketUncounted:  true,
		bwdWindowLast:         true,
		synAckKeepsDirection:  true,
		tcpOnlyConnectionTime: true,
		readySynNeedsNoACK:    true,
	}
}
