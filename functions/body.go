package functions

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions/replyid"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// Design note: a JSON /predict request used to allocate per field (a
// string per number parsed), per flow (a probabilities map, a
// Classification) and per growth of its body, answer and rows. Its
// buffers now come from a pool (scratch) and go back when the handler
// returns: the answer has been written by then, and nothing it returns
// (errors included) refers to them. Buffers over maxPooledBytes are
// dropped rather than kept, so that one large upload does not pin memory.

// maxPooledBytes is the largest buffer a scratch keeps between requests.
const maxPooledBytes = 1 << 20

// firstRead is the most readBodyInto sets aside before any byte arrives,
// whatever Content-Length claims; more grows as the body comes.
const firstRead = 64 << 10

// scratch holds the buffers of one /predict request.
type scratch struct {
	body []byte
	rows []float32
	res  []model.Result // module results, with their Probabilities, reused
	id   []byte         // one reply id
	out  []byte         // the answer
}

var scratchPool = sync.Pool{New: func() any { return &scratch{id: make([]byte, 0, replyid.Len)} }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(sc *scratch) {
	if cap(sc.body) > maxPooledBytes {
		sc.body = nil
	}
	if cap(sc.rows)*4 > maxPooledBytes {
		sc.rows = nil
	}
	if cap(sc.out) > maxPooledBytes {
		sc.out = nil
	}
	scratchPool.Put(sc)
}

// keepRows keeps the storage of decoded rows for the next request.
func (sc *scratch) keepRows(rows []float32) {
	if cap(rows) > cap(sc.rows) {
		sc.rows = rows[:0]
	}
}

// results is scratch for the results of n flows, as many at a time as a
// module call takes.
func (sc *scratch) results(n int) []model.Result {
	k := min(n, abi.DefaultMaxBatch)
	if len(sc.res) < k {
		res := make([]model.Result, k)
		copy(res, sc.res) // keep their Probabilities
		sc.res = res
	}
	return sc.res[:k]
}

// readBodyInto is readBody reading into buf's storage (grown as needed):
// the same byte limit (a declared length over it is refused before a read;
// a body of unknown length is cut by http.MaxBytesReader, which closes the
// connection), the same errors, and the same admission of heavy requests
// once the body is read.
func (s *Server) readBodyInto(w http.ResponseWriter, r *http.Request, buf []byte) ([]byte, error) {
	if r.ContentLength > s.cfg.maxBody {
		return nil, &http.MaxBytesError{Limit: s.cfg.maxBody}
	}
	sw, _ := w.(*statusWriter)
	var src io.Reader = r.Body
	size := 512
	if r.ContentLength >= 0 {
		// net/http ends the body at its declared length, within the limit
		size = int(min(r.ContentLength+1, firstRead))
	} else {
		if sw != nil {
			w = sw.ResponseWriter // MaxBytesReader closes the connection through it
		}
		src = http.MaxBytesReader(w, r.Body, s.cfg.maxBody)
	}
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	b, err := readAll(src, buf[:0], s.cfg.maxBody)
	if err == nil {
		err = s.admit(sw, r, len(b)) // limits.go
		if err != nil {
			return nil, err
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reading the body: %v", cloudevents.ErrMalformed, err)
	}
	return b, nil
}

// readAll is io.ReadAll appending to b, failing with *http.MaxBytesError
// once more than limit bytes have come.
func readAll(r io.Reader, b []byte, limit int64) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append pick the growth
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return b, &http.MaxBytesError{Limit: limit}
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
