package flowdata

import (
	"fmt"
	"strconv"
	"strings"
)

// vpcDefault are the fields of the default (version 2) VPC flow log format.
var vpcDefault = []string{"version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
	"protocol", "packets", "bytes", "start", "end", "action", "log-status"}

// vpcStart decides whether the log has a header line: it does when its
// first line names srcaddr; else the default fields are assumed and the
// CSV header is written before the first line.
func (c *logConv) vpcStart() int {
	head, _ := c.in.Peek(64 << 10)
	line, _, _ := strings.Cut(string(head), "\n")
	fs := strings.Fields(line)
	for _, f := range fs {
		if f == "srcaddr" {
			c.vpcHead = true
			return 1
		}
	}
	c.vpcFields(vpcDefault)
	_ = c.writeHeader(false)
	return 0
}

func (c *logConv) vpcFields(names []string) {
	c.vpcIdx = make(map[string]int, len(names))
	for i, n := range names {
		c.vpcIdx[n] = i
	}
	c.vpcN = len(names)
}

// vpcLine converts one line of a VPC flow log.
func (c *logConv) vpcLine(line []byte) error {
	fs := strings.Fields(string(line))
	if len(fs) == 0 {
		c.blank()
		return nil
	}
	if c.vpcHead && c.vpcIdx == nil {
		c.vpcFields(fs)
		for _, f := range []string{"dstport", "protocol", "packets", "bytes"} {
			if _, ok := c.vpcIdx[f]; !ok {
				return c.fail(0, "", "the header names no %s field", f)
			}
		}
		return c.writeHeader(false)
	}
	if len(fs) != c.vpcN {
		return &ParseError{File: c.name, Line: c.line, Column: min(len(fs), c.vpcN), Err: errFields(len(fs), c.vpcN)}
	}
	get := func(name string) (string, int) {
		i, ok := c.vpcIdx[name]
		if !ok || fs[i] == "-" {
			return "", 0
		}
		return fs[i], i + 1
	}
	// NODATA and SKIPDATA records carry no flow
	if st, _ := get("log-status"); st == "NODATA" || st == "SKIPDATA" {
		c.blank()
		return nil
	}
	proto, pcol := get("protocol")
	pn, err := strconv.Atoi(proto)
	if err != nil || pn < 0 || pn > 255 {
		return c.fail(pcol, "protocol", "not an IANA protocol number: %q", proto)
	}
	port, col := get("dstport")
	if pn == 1 || pn == 58 {
		port = "0"
	}
	cells := []string{}
	p, err := c.number(port, col, "dstport")
	if err != nil {
		return err
	}
	cells = append(cells, p, strconv.Itoa(pn))
	dur := ""
	s, scol := get("start")
	e, _ := get("end")
	if s != "" && e != "" {
		sv, err1 := strconv.ParseInt(s, 10, 64)
		ev, err2 := strconv.ParseInt(e, 10, 64)
		if err1 != nil || err2 != nil || ev < sv {
			return c.fail(scol, "start", "start %q and end %q: want Unix seconds, end not before start", s, e)
		}
		dur = strconv.FormatInt((ev-sv)*1000, 10)
	}
	cells = append(cells, dur)
	pk, col := get("packets")
	if pk, err = c.number(pk, col, "packets"); err != nil {
		return err
	}
	by, col := get("bytes")
	if by, err = c.number(by, col, "bytes"); err != nil {
		return err
	}
	fl, col := get("tcp-flags")
	if fl, err = c.number(fl, col, "tcp-flags"); err != nil {
		return err
	}
	act, _ := get("action")
	// one direction per record: the reverse is a record of its own
	cells = append(cells, pk, "", by, "", fl, act)
	c.row(cells)
	return nil
}

func errFields(got, want int) error {
	return fmt.Errorf("%w: %d fields, the format has %d", ErrFieldCount, got, want)
}
