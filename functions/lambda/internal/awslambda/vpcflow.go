package awslambda

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// vpcFields are the 14 fields of the default VPC Flow Logs format
// (version 2), in order.
var vpcFields = [...]string{"version", "account-id", "interface-id", "srcaddr", "dstaddr",
	"srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log-status"}

// vpcFlow is one VPC Flow Logs record in the default format: the traffic
// of one direction of one flow through one interface over an aggregation
// interval (start and end in Unix seconds).
type vpcFlow struct {
	Version, AccountID, InterfaceID, SrcAddr, DstAddr string
	SrcPort, DstPort, Protocol                        int64
	Packets, Bytes, Start, End                        int64
	Action, LogStatus                                 string
}

// parseVPCFlow reads a record of the default format. A NODATA or SKIPDATA
// record has "-" in its traffic fields and is returned with only the
// fields before them and LogStatus.
func parseVPCFlow(line string) (vpcFlow, error) {
	f := strings.Fields(line)
	if len(f) != len(vpcFields) {
		return vpcFlow{}, fmt.Errorf("not a flow document (JSON) nor a VPC Flow Logs record in the default format: %d fields, want the %d of %s",
			len(f), len(vpcFields), strings.Join(vpcFields[:], " "))
	}
	r := vpcFlow{Version: f[0], AccountID: f[1], InterfaceID: f[2], SrcAddr: f[3], DstAddr: f[4],
		Action: f[12], LogStatus: f[13]}
	if r.Version != "2" {
		return vpcFlow{}, fmt.Errorf("VPC Flow Logs version %q: the default format is version 2", r.Version)
	}
	switch r.LogStatus {
	case "OK":
	case "NODATA", "SKIPDATA":
		return r, nil
	default:
		return vpcFlow{}, fmt.Errorf("VPC Flow Logs log-status %q: want OK, NODATA or SKIPDATA", r.LogStatus)
	}
	ints := []*int64{&r.SrcPort, &r.DstPort, &r.Protocol, &r.Packets, &r.Bytes, &r.Start, &r.End}
	for i, p := range ints {
		v, err := strconv.ParseInt(f[5+i], 10, 64)
		if err != nil || v < 0 {
			return vpcFlow{}, fmt.Errorf("VPC Flow Logs field %s: %q is not a count", vpcFields[5+i], f[5+i])
		}
		*p = v
	}
	if r.End < r.Start {
		return vpcFlow{}, fmt.Errorf("VPC Flow Logs record ends (%d) before it starts (%d)", r.End, r.Start)
	}
	if r.Packets == 0 {
		return vpcFlow{}, fmt.Errorf("VPC Flow Logs record with log-status OK and 0 packets")
	}
	return r, nil
}

// vpcFlowSchema is how a VPC Flow Logs record becomes the CICFlowMeter
// features the models are trained on: the feature, and how it is computed
// from the record's fields (duration = end - start, in seconds). A record
// is the traffic of one direction only (the reverse direction is a record
// of its own), so only forward and flow-wide features are filled; every
// other feature is missing, as are the rates when the duration is 0 (the
// record's times are whole seconds). Features the model's schema does not
// have are left out.
var vpcFlowSchema = []struct {
	Feature, From string
	value         func(r vpcFlow, seconds float64) (float64, bool)
}{
	{"Dst Port", "dstport", func(r vpcFlow, _ float64) (float64, bool) { return float64(r.DstPort), true }},
	{"Protocol", "protocol", func(r vpcFlow, _ float64) (float64, bool) { return float64(r.Protocol), true }},
	{"Flow Duration", "duration × 10⁶ (µs)", func(r vpcFlow, s float64) (float64, bool) { return s * 1e6, true }},
	{"Total Fwd Packet", "packets", func(r vpcFlow, _ float64) (float64, bool) { return float64(r.Packets), true }},
	{"Total Length of Fwd Packet", "bytes", func(r vpcFlow, _ float64) (float64, bool) { return float64(r.Bytes), true }},
	{"Fwd Packet Length Mean", "bytes / packets", meanSize},
	{"Packet Length Mean", "bytes / packets", meanSize},
	{"Average Packet Size", "bytes / packets", meanSize},
	{"Flow Bytes/s", "bytes / duration", func(r vpcFlow, s float64) (float64, bool) { return float64(r.Bytes) / s, s > 0 }},
	{"Flow Packets/s", "packets / duration", packetRate},
	{"Fwd Packets/s", "packets / duration", packetRate},
	{"Subflow Fwd Packets", "packets", func(r vpcFlow, _ float64) (float64, bool) { return float64(r.Packets), true }},
	{"Subflow Fwd Bytes", "bytes", func(r vpcFlow, _ float64) (float64, bool) { return float64(r.Bytes), true }},
}

func meanSize(r vpcFlow, _ float64) (float64, bool) {
	return float64(r.Bytes) / float64(r.Packets), true
}

func packetRate(r vpcFlow, s float64) (float64, bool) { return float64(r.Packets) / s, s > 0 }

// flow is the flow document of the record: the vpcFlowSchema features the
// model has (features: its schema's names), as a JSON object.
func (r vpcFlow) flow(features []string) ([]byte, error) {
	seconds := float64(r.End - r.Start)
	doc := map[string]float64{}
	for _, m := range vpcFlowSchema {
		if !slices.Contains(features, m.Feature) {
			continue
		}
		if v, ok := m.value(r, seconds); ok {
			doc[m.Feature] = v
		}
	}
	if len(doc) == 0 {
		return nil, fmt.Errorf("the model has none of the features a VPC Flow Logs record gives (%s)", vpcFlowSchema[0].Feature)
	}
	return json.Marshal(doc)
}
