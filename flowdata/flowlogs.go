package flowdata

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The flow-log formats (FLOWLOGS.md): each is read as a CSV of the
// documented columns, one row per flow record.
const (
	// FormatZeek is Zeek's conn.log: TSV with #separator/#fields/#types
	// headers (unset "-", empty "(empty)"), or its JSON form (one object a
	// line).
	FormatZeek Format = "zeek"
	// FormatEVE is Suricata's EVE JSON: the "flow" events (others skipped).
	FormatEVE Format = "eve"
	// FormatVPCFlow is AWS VPC Flow Logs: space-separated records, the
	// default 14 fields without a header or any custom format under its
	// header line.
	FormatVPCFlow Format = "vpcflow"
)

// ErrFlowLog: a flow-log record that cannot be read.
var ErrFlowLog = errors.New("bad flow log record")

// isLogFormat reports whether f is one of the flow-log formats.
func isLogFormat(f Format) bool { return f == FormatZeek || f == FormatEVE || f == FormatVPCFlow }

// The columns every flow-log format gives, in this order, then the
// format's own (FLOWLOGS.md defines each).
var logCommon = []string{"dst_port", "protocol", "duration_ms", "fwd_packets", "bwd_packets", "fwd_bytes", "bwd_bytes", "tcp_flags"}

var logExtra = map[Format][]string{
	FormatZeek:    {"fwd_payload_bytes", "bwd_payload_bytes", "missed_bytes", "conn_state", "service"},
	FormatEVE:     {"app_proto", "flow_state", "flow_reason", "alerted"},
	FormatVPCFlow: {"action"},
}

// LogColumns returns the columns a flow-log format is read as (without
// Label, which only a Zeek log with a label field has).
func LogColumns(f Format) []string {
	return append(append([]string(nil), logCommon...), logExtra[f]...)
}

// sniffLog looks at the first bytes of an input and says whether it is a
// flow log, and which ("" when it is not).
func sniffLog(head []byte) Format {
	head = bytes.TrimPrefix(head, bom)
	line, _, _ := bytes.Cut(head, []byte{'\n'})
	line = bytes.TrimSpace(line)
	switch {
	case bytes.HasPrefix(line, []byte("#separator")), bytes.HasPrefix(line, []byte("#fields")):
		return FormatZeek
	case bytes.HasPrefix(line, []byte("{")):
		var probe map[string]json.RawMessage
		if json.Unmarshal(line, &probe) != nil {
			return ""
		}
		if _, ok := probe["event_type"]; ok {
			return FormatEVE
		}
		if _, ok := probe["id.orig_h"]; ok {
			return FormatZeek
		}
		return ""
	}
	fs := strings.Fields(string(line))
	has := map[string]bool{}
	for _, f := range fs {
		has[f] = true
	}
	if has["srcaddr"] && has["dstaddr"] {
		return FormatVPCFlow
	}
	if len(fs) == 14 && fs[0] == "2" && (fs[12] == "ACCEPT" || fs[12] == "REJECT" || fs[12] == "-") {
		return FormatVPCFlow
	}
	return ""
}

// logSource wraps an input in the converter of its flow-log format when
// opt.Format names one, or when it is auto and the bytes look like one. It
// returns the reader to split, the options to read it with (Format csv),
// and the line number of the first line the reader gives (0 when the
// converter writes a header the input does not have, so that a data row's
// line is its record's line in the log).
func logSource(r io.Reader, name string, opt *Options) (io.Reader, *Options, int, error) {
	f := opt.Format
	if f != "" && f != FormatAuto && !isLogFormat(f) {
		return r, opt, 1, nil
	}
	br := bufio.NewReaderSize(r, 64<<10)
	// Peek forgets a read error (a decompression cap, a corrupt gzip):
	// keep it for the reads after what was peeked
	head, err := br.Peek(64 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(append([]byte(nil), head...)), errReader{err}), 64<<10)
	}
	if !isLogFormat(f) {
		if f = sniffLog(head); f == "" {
			return br, opt, 1, nil
		}
	}
	o := *opt
	o.Format = FormatCSV
	c := &logConv{in: br, name: name, format: f}
	switch f {
	case FormatZeek:
		head, _ := br.Peek(1)
		if len(head) > 0 && head[0] == '{' {
			c.handle = c.zeekJSON
			return c, &o, 0, c.writeHeader(false)
		}
		c.handle = c.zeekTSV
		return c, &o, 1, nil
	case FormatEVE:
		c.handle = c.eve
		return c, &o, 0, c.writeHeader(false)
	default:
		c.handle = c.vpcLine
		return c, &o, c.vpcStart(), nil
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// logConv turns a flow log into CSV, one output line per input line (a
// blank line for comments, headers and records that are not flows), so
// that lines keep their numbers.
type logConv struct {
	in     *bufio.Reader
	name   string
	format Format
	handle func(line []byte) error
	out    bytes.Buffer
	pos    int
	line   int // the input line being converted
	err    error
	label  bool
	cells  []string

	// Zeek TSV
	sep     string
	unset   string
	empty   string
	fields  map[string]int
	nfields int
	// VPC
	vpcIdx  map[string]int
	vpcN    int
	vpcHead bool
}

func (c *logConv) Read(p []byte) (int, error) {
	for c.pos == c.out.Len() {
		if c.err != nil {
			return 0, c.err
		}
		c.out.Reset()
		c.pos = 0
		line, err := c.readLine()
		if err == io.EOF {
			c.err = io.EOF
			continue
		}
		if err != nil {
			c.err = err
			continue
		}
		c.line++
		if herr := c.handle(bytes.TrimRight(line, "\r\n")); herr != nil {
			c.err = herr
		}
	}
	n := copy(p, c.out.Bytes()[c.pos:])
	c.pos += n
	return n, nil
}

// readLine reads one line within MaxRecordBytes.
func (c *logConv) readLine() ([]byte, error) {
	var long []byte
	for {
		b, err := c.in.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, b...)
			if len(long) > MaxRecordBytes {
				return nil, &ParseError{File: c.name, Line: c.line + 1, Err: fmt.Errorf("%w: a line over %d bytes", ErrLongRecord, MaxRecordBytes)}
			}
			continue
		}
		if long != nil {
			b = append(long, b...)
		}
		if err == io.EOF && len(b) > 0 {
			return b, nil
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%w", err)
		}
		return b, err
	}
}

func (c *logConv) fail(col int, colName string, format string, args ...any) error {
	return &ParseError{File: c.name, Line: c.line, Column: col, ColumnName: colName, Err: fmt.Errorf("%w: %s", ErrFlowLog, fmt.Sprintf(format, args...))}
}

func (c *logConv) writeHeader(label bool) error {
	c.label = label
	cols := LogColumns(c.format)
	if label {
		cols = append(cols, "Label")
	}
	c.out.WriteString(strings.Join(cols, ","))
	c.out.WriteByte('\n')
	return nil
}

func (c *logConv) blank() { c.out.WriteByte('\n') }

// row writes the cells as one CSV record.
func (c *logConv) row(cells []string) {
	for i, s := range cells {
		if i > 0 {
			c.out.WriteByte(',')
		}
		if strings.ContainsAny(s, ",\"\r\n") {
			c.out.WriteByte('"')
			c.out.WriteString(strings.ReplaceAll(s, `"`, `""`))
			c.out.WriteByte('"')
		} else {
			c.out.WriteString(s)
		}
	}
	c.out.WriteByte('\n')
}

// protoNumber maps a protocol name (or number) to its IANA number.
func protoNumber(s string) (int, bool) {
	switch strings.ToLower(s) {
	case "tcp":
		return 6, true
	case "udp":
		return 17, true
	case "icmp":
		return 1, true
	case "ipv6-icmp", "icmpv6", "icmp6":
		return 58, true
	case "sctp":
		return 132, true
	case "gre":
		return 47, true
	case "esp":
		return 50, true
	case "unknown_transport":
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= 255
}

// number checks a numeric cell ("" is missing) and returns its text.
func (c *logConv) number(s string, col int, name string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "", c.fail(col, name, "not a number: %q", s)
	}
	return s, nil
}

// millis converts seconds (text) to milliseconds (text).
func (c *logConv) millis(s string, col int, name string) (string, error) {
	if s == "" {
		return "", nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return "", c.fail(col, name, "not a duration in seconds: %q", s)
	}
	return strconv.FormatFloat(v*1000, 'g', 15, 64), nil
}

// historyFlags is the OR of the TCP flags a Zeek history string shows
// (either direction): s SYN, h SYN+ACK, a ACK, f FIN, r RST.
func historyFlags(h string) int {
	fl := 0
	for _, r := range strings.ToLower(h) {
		switch r {
		case 's':
			fl |= 0x02
		case 'h':
			fl |= 0x12
		case 'a':
			fl |= 0x10
		case 'f':
			fl |= 0x01
		case 'r':
			fl |= 0x04
		}
	}
	return fl
}
