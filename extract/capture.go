package extract

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// DefaultMaxPacket is the longest packet record read by default:
// libpcap's MAXIMUM_SNAPLEN.
const DefaultMaxPacket = 256 << 10

// readBuffer is the read-ahead buffer above the guard.
const readBuffer = 64 << 10

// guardSlack is what may be read between two packets besides the packet
// itself: pcapng interface, statistics and name blocks, and the buffer's
// read-ahead.
const guardSlack = 2*readBuffer + 64<<10

var errGuard = errors.New("too many bytes for one record")

// guard fails a read once more than limit bytes were pulled since the last
// reset. The capture readers are reset before every packet, so a record or
// a block that claims gigabytes stops after limit bytes instead of being
// buffered: memory stays bounded whatever the headers say.
type guard struct {
	r     io.Reader
	n     int
	limit int
}

func (g *guard) Read(p []byte) (int, error) {
	if g.n >= g.limit {
		return 0, errGuard
	}
	if len(p) > g.limit-g.n {
		p = p[:g.limit-g.n]
	}
	n, err := g.r.Read(p)
	g.n += n
	return n, err
}

// Capture reads the packet records of one pcap or pcapng capture, gzip
// compressed or not (told from the bytes), with errors that name the file
// and the packet.
type Capture struct {
	name  string
	guard *guard
	pcap  *pcapgo.Reader
	ng    *pcapgo.NgReader
	link  layers.LinkType
	n     int64 // records returned
	err   error // sticky
	max   int   // longest record
}

var (
	magicPcap = [][4]byte{{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}}
	magicNg   = [4]byte{0x0a, 0x0d, 0x0d, 0x0a}
)

// NewCapture reads the capture's header from r. name is used in errors.
// maxPacket bounds one record (0: DefaultMaxPacket).
func NewCapture(r io.Reader, name string, maxPacket int) (*Capture, error) {
	if maxPacket <= 0 {
		maxPacket = DefaultMaxPacket
	}
	c := &Capture{name: name, max: maxPacket}
	var lead [2]byte
	n, err := io.ReadFull(r, lead[:])
	if n == 0 {
		if err != nil && err != io.EOF {
			return nil, c.fail(0, err)
		}
		return nil, &Error{File: name, Err: ErrNotCapture, Detail: "empty file"}
	}
	src := io.MultiReader(bytes.NewReader(lead[:n]), r)
	if n == 2 && lead[0] == 0x1f && lead[1] == 0x8b {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, c.fail(0, err)
		}
		src = zr
	}
	// The guard counts decompressed bytes (a record of zeros compresses a
	// thousandfold), and one buffer sits above it: pcapgo reads a
	// *bufio.Reader as it is instead of wrapping it in another.
	c.guard = &guard{r: src, limit: maxPacket + guardSlack}
	br := bufio.NewReaderSize(c.guard, readBuffer)
	head, err := br.Peek(4)
	if len(head) < 4 {
		if err == nil || err == io.EOF {
			return nil, &Error{File: name, Err: ErrNotCapture, Detail: fmt.Sprintf("%d bytes", len(head))}
		}
		return nil, c.fail(0, err)
	}
	var magic [4]byte
	copy(magic[:], head)
	switch {
	case magic == magicNg:
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, c.fail(0, err)
		}
		c.ng = ng
	case isPcapMagic(magic):
		pr, err := pcapgo.NewReader(br)
		if err != nil {
			return nil, c.fail(0, err)
		}
		if pr.Snaplen() > uint32(maxPacket) {
			// A hostile snap length: records above maxPacket fail before
			// their bytes are read.
			pr.SetSnaplen(uint32(maxPacket))
		}
		c.pcap, c.link = pr, pr.LinkType()
		if _, ok := firstLayer(c.link); !ok {
			return nil, &Error{File: name, Err: ErrLinkType, Detail: linkName(c.link)}
		}
	default:
		return nil, &Error{File: name, Err: ErrNotCapture, Detail: fmt.Sprintf("magic %x", magic)}
	}
	return c, nil
}

func isPcapMagic(m [4]byte) bool {
	for _, p := range magicPcap {
		if m == p {
			return true
		}
	}
	return false
}

func linkName(l layers.LinkType) string {
	return fmt.Sprintf("link type %d (%s)", uint32(l), l)
}

// Next returns the next packet record: its bytes (valid until the next
// call), capture info and link-layer type. It returns io.EOF after the
// last record and an *Error for anything else.
func (c *Capture) Next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	if c.err != nil {
		return nil, gopacket.CaptureInfo{}, 0, c.err
	}
	c.guard.n = 0
	var (
		data []byte
		ci   gopacket.CaptureInfo
		err  error
		link = c.link
	)
	if c.pcap != nil {
		data, ci, err = c.pcap.ZeroCopyReadPacketData()
	} else {
		data, ci, err = c.ng.ZeroCopyReadPacketData()
		if err == nil && len(ci.AncillaryData) > 0 {
			if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				link = l
			}
		}
	}
	if err != nil {
		if err == io.EOF {
			c.err = io.EOF
			return nil, ci, 0, io.EOF
		}
		c.err = c.fail(c.n+1, err)
		return nil, ci, 0, c.err
	}
	c.n++
	if len(data) > c.max {
		c.err = &Error{File: c.name, Packet: c.n, Err: ErrTooLong, Detail: fmt.Sprintf("%d bytes, the limit is %d", len(data), c.max)}
		return nil, ci, 0, c.err
	}
	if c.ng != nil {
		if _, ok := firstLayer(link); !ok {
			c.err = &Error{File: c.name, Packet: c.n, Err: ErrLinkType, Detail: linkName(link)}
			return nil, ci, 0, c.err
		}
	}
	if ci.CaptureLength > len(data) {
		ci.CaptureLength = len(data)
	}
	return data, ci, link, nil
}

// Packets is the number of records returned so far.
func (c *Capture) Packets() int64 { return c.n }

// fail classifies a reader's error into the package's sentinels.
func (c *Capture) fail(packet int64, err error) *Error {
	e := &Error{File: c.name, Packet: packet, Detail: err.Error()}
	var corrupt flate.CorruptInputError
	msg := err.Error()
	switch {
	case errors.Is(err, errGuard):
		e.Err, e.Detail = ErrTooLong, fmt.Sprintf("more than %d bytes for one record", c.max)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		e.Err, e.Detail = ErrTruncated, "the file ends inside a record"
		if packet == 0 {
			e.Detail = "the file ends inside the header"
		}
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		e.Err, e.Detail = ErrCorrupt, "gzip: "+msg
	case strings.Contains(msg, "exceeds snap length"):
		e.Err = ErrTooLong
	case strings.HasPrefix(msg, "Unknown magic"), strings.Contains(msg, "Unknown major version"),
		strings.Contains(msg, "Unknown minor version"):
		e.Err = ErrNotCapture
	case strings.Contains(msg, "does not fit in int"):
		e.Err = ErrTooLong
	default:
		e.Err = ErrCorrupt
	}
	return e
}
