package flowdata

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// zeekTSV converts one line of a conn.log in Zeek's TSV form.
func (c *logConv) zeekTSV(line []byte) error {
	s := string(line)
	if strings.HasPrefix(s, "#") {
		key, val, _ := strings.Cut(s[1:], c.sepOr(" "))
		if key == "separator" {
			// "#separator \x09": the only header line split by a space
			_, v, _ := strings.Cut(s[1:], " ")
			sep, err := unescapeZeek(v)
			if err != nil || sep == "" {
				return c.fail(0, "", "#separator %q", v)
			}
			c.sep = sep
			c.blank()
			return nil
		}
		switch key {
		case "unset_field":
			c.unset = val
		case "empty_field":
			c.empty = val
		case "fields":
			names := strings.Split(val, c.sepOr("\t"))
			idx := make(map[string]int, len(names))
			for i, n := range names {
				idx[n] = i
			}
			_, label := idx["label"]
			if c.fields != nil { // a second header (concatenated logs)
				if label != c.label {
					return c.fail(0, "", "a #fields line with a label field after one without (or the reverse)")
				}
				c.fields, c.nfields = idx, len(names)
				c.blank()
				return nil
			}
			c.fields, c.nfields = idx, len(names)
			for _, f := range []string{"id.resp_p", "proto"} {
				if _, ok := idx[f]; !ok {
					return c.fail(0, "", "#fields has no %s: not a conn.log", f)
				}
			}
			return c.writeHeader(label)
		}
		c.blank()
		return nil
	}
	if strings.TrimSpace(s) == "" {
		c.blank()
		return nil
	}
	if c.fields == nil {
		return c.fail(0, "", "a record before the #fields line")
	}
	vals := strings.Split(s, c.sepOr("\t"))
	if len(vals) != c.nfields {
		return &ParseError{File: c.name, Line: c.line, Column: min(len(vals), c.nfields), Err: fmt.Errorf("%w: %d fields, #fields names %d", ErrFieldCount, len(vals), c.nfields)}
	}
	get := func(name string) (string, int) {
		i, ok := c.fields[name]
		if !ok {
			return "", 0
		}
		v := vals[i]
		if v == c.unsetOr() || v == c.emptyOr() {
			return "", i + 1
		}
		return v, i + 1
	}
	return c.zeekRow(get)
}

func (c *logConv) sepOr(d string) string {
	if c.sep == "" {
		return d
	}
	return c.sep
}

func (c *logConv) unsetOr() string {
	if c.unset == "" {
		return "-"
	}
	return c.unset
}

func (c *logConv) emptyOr() string {
	if c.empty == "" {
		return "(empty)"
	}
	return c.empty
}

// unescapeZeek reads "\x09" escapes.
func unescapeZeek(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", err
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// zeekJSON converts one line of a conn.log in Zeek's JSON form.
func (c *logConv) zeekJSON(line []byte) error {
	if strings.TrimSpace(string(line)) == "" {
		c.blank()
		return nil
	}
	var obj map[string]any
	if err := json.Unmarshal(line, &obj); err != nil {
		return c.jsonError(line, err)
	}
	get := func(name string) (string, int) {
		v, ok := obj[name]
		if !ok || v == nil {
			return "", 0
		}
		switch x := v.(type) {
		case string:
			return x, 0
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), 0
		case bool:
			return strconv.FormatBool(x), 0
		}
		return fmt.Sprint(v), 0
	}
	if _, ok := obj["id.orig_h"]; !ok {
		return c.fail(0, "", "a JSON object without id.orig_h: not a conn.log record")
	}
	return c.zeekRow(get)
}

// jsonError locates a JSON syntax error by column.
func (c *logConv) jsonError(line []byte, err error) error {
	col := 0
	if se, ok := err.(*json.SyntaxError); ok {
		col = int(se.Offset)
	}
	e := c.fail(0, "", "not a JSON object: %v", err)
	if pe, ok := e.(*ParseError); ok && col > 0 {
		pe.Column = col
	}
	return e
}

// zeekRow writes the columns of one conn.log record.
func (c *logConv) zeekRow(get func(string) (string, int)) error {
	cells := c.cells[:0]
	proto, pcol := get("proto")
	pn, ok := protoNumber(proto)
	if !ok {
		return c.fail(pcol, "proto", "unknown protocol %q", proto)
	}
	port, col := get("id.resp_p")
	if pn == 1 || pn == 58 {
		port = "0" // Zeek's ICMP "ports" are the type and code
	}
	p, err := c.number(port, col, "id.resp_p")
	if err != nil {
		return err
	}
	cells = append(cells, p, strconv.Itoa(pn))
	d, col := get("duration")
	if d, err = c.millis(d, col, "duration"); err != nil {
		return err
	}
	cells = append(cells, d)
	for _, f := range []string{"orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes"} {
		v, col := get(f)
		if v, err = c.number(v, col, f); err != nil {
			return err
		}
		cells = append(cells, v)
	}
	flags := ""
	if h, _ := get("history"); pn == 6 && h != "" {
		flags = strconv.Itoa(historyFlags(h))
	}
	cells = append(cells, flags)
	for _, f := range []string{"orig_bytes", "resp_bytes", "missed_bytes"} {
		v, col := get(f)
		if v, err = c.number(v, col, f); err != nil {
			return err
		}
		cells = append(cells, v)
	}
	st, _ := get("conn_state")
	svc, _ := get("service")
	cells = append(cells, st, svc)
	if c.label {
		l, col := get("label")
		if l == "" {
			return &ParseError{File: c.name, Line: c.line, Column: col, ColumnName: "label", Err: ErrMissingLabel}
		}
		cells = append(cells, l)
	}
	c.cells = cells
	c.row(cells)
	return nil
}
