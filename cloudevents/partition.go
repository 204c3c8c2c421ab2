package cloudevents

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
)

// ExtPartitionKey is the CloudEvents partitioning extension: a broker on
// Kafka (Knative's Broker for Apache Kafka, a KafkaSink) keys the record
// by it, so events with one key stay on one partition, in order.
const ExtPartitionKey = "partitionkey"

// PartitionKey is the partitionkey of the reply to in: the one in carries,
// if any (request and reply then share a partition); else, when in's
// subject is a flow's CICFlowMeter Flow ID (src-dst-srcport-dstport-protocol,
// what flowsense sensor sets on a single-flow event), FlowPartitionKey of
// that 5-tuple; else "" (no 5-tuple: no key).
func PartitionKey(in *event.Event) string {
	if v, ok := in.Extensions()[ExtPartitionKey]; ok {
		if s, err := types.ToString(v); err == nil && s != "" {
			return s
		}
	}
	if src, dst, sport, dport, proto, ok := ParseFlowID(in.Subject()); ok {
		return FlowPartitionKey(src, sport, dst, dport, proto)
	}
	return ""
}

// ParseFlowID reads a CICFlowMeter Flow ID: source and destination
// addresses, ports and the IP protocol number, joined by "-".
func ParseFlowID(id string) (src, dst netip.Addr, srcPort, dstPort uint16, proto uint8, ok bool) {
	f := strings.Split(id, "-")
	if len(f) != 5 {
		return
	}
	var err error
	if src, err = netip.ParseAddr(f[0]); err != nil {
		return
	}
	if dst, err = netip.ParseAddr(f[1]); err != nil {
		return
	}
	sp, err1 := strconv.ParseUint(f[2], 10, 16)
	dp, err2 := strconv.ParseUint(f[3], 10, 16)
	pr, err3 := strconv.ParseUint(f[4], 10, 8)
	if err1 != nil || err2 != nil || err3 != nil {
		return
	}
	return src, dst, uint16(sp), uint16(dp), uint8(pr), true
}

// FlowPartitionKey is the partition key of a flow: the first 16 hex digits
// of the SHA-256 of its 5-tuple with the two endpoints in a fixed order,
// so both directions of a connection (and every flow of it the extractor
// cuts) get one key.
func FlowPartitionKey(src netip.Addr, srcPort uint16, dst netip.Addr, dstPort uint16, proto uint8) string {
	a := netip.AddrPortFrom(src.Unmap(), srcPort)
	b := netip.AddrPortFrom(dst.Unmap(), dstPort)
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	s := strconv.Itoa(int(proto)) + "|" + a.String() + "|" + b.String()
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
