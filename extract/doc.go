// Package extract turns packet captures into bidirectional flow records
// with the features of the corrected CICFlowMeter (Engelen et al. 2021),
// under the column names of the CIC-IDS2017 sample in ../shared/data, so
// that a model trained on that data classifies the output unchanged.
//
// Captures are pcap or pcapng, gzip-compressed or not, read with gopacket's
// pcapgo; frames (Ethernet, 802.1Q, Linux cooked v1/v2, BSD loopback, raw
// IP) are decoded with a gopacket DecodingLayerParser; no cgo, no libpcap.
// Packets are put back in time order within a bounded window (as the
// reference pipeline runs reordercap first), assigned to flows keyed by the
// 5-tuple, and each flow is handed to a callback when it ends: a SYN after
// a torn-down connection, the flow timeout (120 s after the first packet,
// also when only the capture's clock passes it), an ICMP type change, or
// the end of the input. Options.Early emits flows after N packets instead,
// to classify before a flow is over.
//
// Two profiles reproduce two versions of the reference, bugs included:
// CICIDS2017 (default) is the tool that made the training data,
// CICFlowMeter its current version. FEATURES.md defines every feature and
// says, for every known bug, whether it is reproduced and why.
//
// Memory is bounded: one packet record (MaxPacket), the reorder window
// (ReorderLimit packets) and the open flows (MaxFlows) are capped whatever
// the input claims. Bad input is an *Error naming the file and the packet,
// wrapping one of the sentinel errors.
//
// The package is not a general flow exporter (no NetFlow/IPFIX fields, no
// TCP reassembly, no payload inspection) and does not label flows.
package extract
