package flowdata

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"sync"
)

// Record splitting. The input is cut into chunks of whole records by
// blockReader (one goroutine), and each chunk is split into records and
// fields by recIter (any goroutine). Both use the same rule for quotes, so
// they agree on where a record ends: a newline ends a record when an even
// number of double quotes precede it in the record. Inside a record a quote
// toggles quoting, and two quotes in a row inside quotes stand for one. This
// is RFC 4180 for well-formed input and never fails on bad input. A bare
// quote inside a field also starts quoting, which is not what
// encoding/csv's LazyQuotes does: `3,zz"q,y` reads as two fields, "3" and
// "zzq,y" (LazyQuotes keeps the quote as a character and reads three), and
// an unclosed quote runs to the end of the input or MaxRecordBytes
// (TestBareQuote).

// MaxRecordBytes bounds one record (and so the memory an unclosed quote can
// take).
const MaxRecordBytes = 16 << 20

// blockSize is how much the block reader asks for at a time, about half the
// chunk handed to a parsing worker. A variable so that tests can make
// chunks tiny.
var blockSize = 512 << 10

var bom = []byte{0xef, 0xbb, 0xbf}

// blockReader cuts a byte stream into chunks of whole records.
type blockReader struct {
	r     io.Reader
	buf   []byte // start of an incomplete record, then free space
	line  int    // line number of buf[0]
	eof   bool
	first bool
	size  int
	limit int
	pool  *sync.Pool // of *[]byte with cap 2*size; nil: no reuse
	err   error      // a read error, returned once the records before it are
}

// alloc returns an empty buffer of capacity at least n, from the pool when
// it can.
func (b *blockReader) alloc(n int) []byte {
	if b.pool != nil && n <= 2*b.size {
		if p, ok := b.pool.Get().(*[]byte); ok && cap(*p) == 2*b.size {
			return (*p)[:0]
		}
		return make([]byte, 0, 2*b.size)
	}
	return make([]byte, 0, n)
}

// recycle gives back the buffer of a chunk returned by next once the chunk
// is no longer used.
func (b *blockReader) recycle(chunk []byte) {
	if b.pool != nil && cap(chunk) == 2*b.size {
		chunk = chunk[:0]
		b.pool.Put(&chunk)
	}
}

func newBlockReader(r io.Reader) *blockReader {
	return &blockReader{r: r, line: 1, first: true, size: blockSize, limit: MaxRecordBytes}
}

// next returns the next chunk of whole records and the line number of its
// first byte. A returned chunk is never written to again (until it is
// recycled). At the end it returns io.EOF.
func (b *blockReader) next() ([]byte, int, error) {
	for {
		if len(b.buf) > 0 {
			cut := len(b.buf)
			if !b.eof || b.err != nil {
				cut = lastRecordEnd(b.buf)
			}
			if cut > 0 {
				chunk := b.buf[:cut] // capacity kept: recycle needs it
				rest := b.buf[cut:]
				b.buf = append(b.alloc(len(rest)+b.size), rest...)
				line := b.line
				b.line += bytes.Count(chunk, []byte{'\n'})
				return chunk, line, nil
			}
			if len(b.buf) > b.limit {
				return nil, b.line, fmt.Errorf("%w: more than %d bytes without a record end", ErrLongRecord, b.limit)
			}
		}
		if b.err != nil {
			// after the whole records read before it, so that where an
			// error shows does not depend on the block size
			return nil, b.line, b.err
		}
		if b.eof {
			return nil, b.line, io.EOF
		}
		if free := cap(b.buf) - len(b.buf); free == 0 || free < b.size/2 {
			b.buf = append(make([]byte, 0, 2*cap(b.buf)+b.size), b.buf...)
		}
		n, err := io.ReadFull(b.r, b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		if b.first && len(b.buf) >= len(bom) || b.first && err != nil {
			b.first = false
			b.buf = bytes.TrimPrefix(b.buf, bom)
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			b.eof = true
		default:
			b.eof, b.err = true, err
		}
	}
}

// lastRecordEnd returns the index just past the last newline of buf that
// ends a record, or 0.
func lastRecordEnd(buf []byte) int {
	if bytes.IndexByte(buf, '"') < 0 {
		return bytes.LastIndexByte(buf, '\n') + 1
	}
	inq, last := false, 0
	for i, c := range buf {
		switch c {
		case '"':
			inq = !inq
		case '\n':
			if !inq {
				last = i + 1
			}
		}
	}
	return last
}

// record is one record: field k is buf[b[2k]:b[2k+1]]. Bounds are ints,
// not slices, so that splitting stores no pointers (no write barriers).
type record struct {
	buf []byte
	b   []int
}

func (r *record) len() int { return len(r.b) / 2 }

func (r *record) field(k int) []byte { return r.buf[r.b[2*k]:r.b[2*k+1]] }

// strings returns the fields as strings.
func (r *record) strings() []string {
	s := make([]string, r.len())
	for k := range s {
		s[k] = string(r.field(k))
	}
	return s
}

// recIter splits a chunk of whole records into fields.
type recIter struct {
	data    []byte
	pos     int
	line    int // line number of data[pos]
	rec     record
	scratch []byte
	empty   int // empty lines skipped, in all
}

func (it *recIter) reset(data []byte, line int) {
	it.data, it.pos, it.line = data, 0, line
}

// next returns the next non-empty record and its line number. The record
// is valid until the next call. A record of empty fields only (",,,") is
// returned; the caller decides it is blank.
func (it *recIter) next() (rec *record, line int, ok bool) {
	for it.pos < len(it.data) {
		rest := it.data[it.pos:]
		line = it.line
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			end = len(rest)
		}
		quoted := bytes.IndexByte(rest[:end], '"') >= 0
		if quoted {
			end = recordEnd(rest)
		}
		r := rest[:end]
		next := end
		if next < len(rest) {
			next++ // the newline
		}
		it.pos += next
		it.line++
		if quoted {
			it.line += bytes.Count(r, []byte{'\n'})
		}
		if len(r) > 0 && r[len(r)-1] == '\r' {
			r = r[:len(r)-1]
		}
		if len(r) == 0 {
			it.empty++
			continue
		}
		if quoted {
			it.splitQuoted(r)
		} else {
			it.split(r)
		}
		return &it.rec, line, true
	}
	return nil, it.line, false
}

// recordEnd returns the index of the newline that ends the record at the
// start of b, or len(b).
func recordEnd(b []byte) int {
	inq := false
	for i, c := range b {
		switch c {
		case '"':
			inq = !inq
		case '\n':
			if !inq {
				return i
			}
		}
	}
	return len(b)
}

func (it *recIter) split(r []byte) {
	b := it.rec.b[:0]
	start := 0
	for i, c := range r {
		if c == ',' {
			b = append(b, start, i)
			start = i + 1
		}
	}
	it.rec.b = append(b, start, len(r))
	it.rec.buf = r
}

func (it *recIter) splitQuoted(r []byte) {
	s, b := it.scratch[:0], it.rec.b[:0]
	inq := false
	start := 0
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case inq && c == '"':
			if i+1 < len(r) && r[i+1] == '"' {
				s = append(s, '"')
				i++
			} else {
				inq = false
			}
		case inq:
			s = append(s, c)
		case c == '"':
			inq = true
		case c == ',':
			b = append(b, start, len(s))
			start = len(s)
		default:
			s = append(s, c)
		}
	}
	it.rec.b = append(b, start, len(s))
	it.rec.buf = s
	it.scratch = s
}

// decompress returns r's content, gunzipped when it starts with the gzip
// magic bytes 1f 8b. Read errors of the gzip stream wrap ErrGzip.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrGzip, err)
		}
		return &gzipReader{z: z}, nil
	}
	return br, nil
}

// gzipReader wraps the errors of a gzip stream in ErrGzip.
type gzipReader struct {
	z *gzip.Reader
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", ErrGzip, err)
	}
	return n, err
}

// Open opens a file for reading its content: gunzipped when the file's
// bytes start with the gzip magic (whatever its name), as it is otherwise.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := decompress(f)
	if err != nil {
		f.Close()
		return nil, &ParseError{File: path, Err: err}
	}
	return readCloser{r, f}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
