package flowdata

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// eveFlow is what the columns read of a Suricata EVE "flow" event.
type eveFlow struct {
	EventType string          `json:"event_type"`
	Proto     json.RawMessage `json:"proto"`
	DestPort  *float64        `json:"dest_port"`
	AppProto  string          `json:"app_proto"`
	Flow      *struct {
		PktsToServer  *float64 `json:"pkts_toserver"`
		PktsToClient  *float64 `json:"pkts_toclient"`
		BytesToServer *float64 `json:"bytes_toserver"`
		BytesToClient *float64 `json:"bytes_toclient"`
		Start         string   `json:"start"`
		End           string   `json:"end"`
		State         string   `json:"state"`
		Reason        string   `json:"reason"`
		Alerted       *bool    `json:"alerted"`
	} `json:"flow"`
	TCP *struct {
		Flags string `json:"tcp_flags"`
	} `json:"tcp"`
}

// eveTime is the layout of EVE timestamps.
const eveTime = "2006-01-02T15:04:05.999999-0700"

func num(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

// eve converts one EVE line: a flow event becomes a row, any other event
// (alert, dns, http, netflow, stats...) a blank line.
func (c *logConv) eve(line []byte) error {
	if strings.TrimSpace(string(line)) == "" {
		c.blank()
		return nil
	}
	var ev eveFlow
	if err := json.Unmarshal(line, &ev); err != nil {
		return c.jsonError(line, err)
	}
	if ev.EventType != "flow" {
		c.blank()
		return nil
	}
	if ev.Flow == nil {
		return c.fail(0, "flow", "a flow event without its flow object")
	}
	var proto string
	if err := json.Unmarshal(ev.Proto, &proto); err != nil {
		var n float64
		if json.Unmarshal(ev.Proto, &n) != nil {
			return c.fail(0, "proto", "proto %s is neither a name nor a number", ev.Proto)
		}
		proto = strconv.Itoa(int(n))
	}
	pn, ok := protoNumber(proto)
	if !ok {
		return c.fail(0, "proto", "unknown protocol %q", proto)
	}
	port := num(ev.DestPort)
	if pn == 1 || pn == 58 {
		port = "0"
	}
	dur := ""
	if ev.Flow.Start != "" && ev.Flow.End != "" {
		s, err1 := time.Parse(eveTime, ev.Flow.Start)
		e, err2 := time.Parse(eveTime, ev.Flow.End)
		if err1 != nil || err2 != nil {
			return c.fail(0, "flow.start", "flow times %q, %q: want %s", ev.Flow.Start, ev.Flow.End, eveTime)
		}
		dur = strconv.FormatFloat(float64(e.Sub(s).Microseconds())/1000, 'g', -1, 64)
	}
	flags := ""
	if ev.TCP != nil && ev.TCP.Flags != "" {
		v, err := strconv.ParseUint(ev.TCP.Flags, 16, 8)
		if err != nil {
			return c.fail(0, "tcp.tcp_flags", "not a hex byte: %q", ev.TCP.Flags)
		}
		flags = strconv.FormatUint(v, 10)
	}
	alerted := ""
	if ev.Flow.Alerted != nil {
		alerted = "0"
		if *ev.Flow.Alerted {
			alerted = "1"
		}
	}
	c.row([]string{port, strconv.Itoa(pn), dur, num(ev.Flow.PktsToServer), num(ev.Flow.PktsToClient),
		num(ev.Flow.BytesToServer), num(ev.Flow.BytesToClient), flags,
		ev.AppProto, ev.Flow.State, ev.Flow.Reason, alerted})
	return nil
}
