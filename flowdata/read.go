package flowdata

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/flowsense/flowsense/model"
)

// Options control Read and NewRowReader. The zero value reads any format,
// label column "Label" (or label, class), no label map.
type Options struct {
	// Format forces a format; "" or FormatAuto sniffs it per file.
	Format Format
	// Label names the label column of header formats (default: Label,
	// label or class; matched ignoring case, spaces, _ and -). The other
	// label-like columns (label, class, Attempted Category, attack_cat,
	// attack type, attack name, category, subcategory) are dropped, never
	// features. KDD files ignore it: their label is column 42.
	Label string
	// LabelMap maps labels: "" or "none", "kdd5", "binary".
	LabelMap string
	// Drop names columns that are not features.
	Drop []string
	// Features, when not empty, keeps only these features, in this order.
	Features []string
	// Schema, when set, reads the files against a trained model's schema:
	// the output columns are its features in its order, categories are
	// coded with its vocabularies, and the label column is optional.
	Schema *model.Schema
	// AllowMissing reads a schema feature absent from the file as all
	// missing (NaN) instead of failing with ErrMissingFeature.
	AllowMissing bool
	// SkipBad skips malformed rows (counted in Dataset.Skipped) instead of
	// failing.
	SkipBad bool
	// Log receives one line per file read; nil is silent.
	Log io.Writer
	// MaxColumns, when positive, bounds the columns of a header: a wider
	// one fails with ErrLimit before any per-column work (a hostile upload
	// of a million columns).
	MaxColumns int
	// MaxBlankLines, when positive, bounds the blank lines a RowReader
	// skips: one more fails with ErrLimit (a hostile upload of nothing but
	// newlines costs time without giving rows).
	MaxBlankLines int
	// Sample, when positive, keeps the values of at most Sample rows: all
	// of them while the files hold at most Sample rows, else a uniform
	// sample (reservoir sampling seeded with SampleSeed, so the same files
	// give the same sample). Dataset.Columns then holds the kept rows in
	// file order and Dataset.SampleRows their row numbers; Rows, Y and the
	// schema cover every row. A csv column that mixes numbers and text
	// cannot be coded from a sample: Read fails with ErrUnsampled.
	Sample     int
	SampleSeed uint64
	// Chunks, when set, receives the rows as they are read, in file order,
	// instead of Dataset.Columns (left nil): cols holds rows first to
	// first+len(cols[0])-1, one column per feature, and is reused after
	// Chunks returns. An error from it ends Read with that error. It needs
	// Schema (the codes of categories are only final against a schema) and
	// excludes Sample.
	Chunks func(first int, cols [][]float32) error
}

// MaxSkippedErrors is how many skipped-row errors a Dataset keeps.
const MaxSkippedErrors = 10

// Dataset is a table of flows in column-major order.
type Dataset struct {
	// Format is the format the files were read as.
	Format Format
	// Schema lists the features in column order. Without Options.Schema,
	// categorical vocabularies are sorted and their policy is
	// UnknownMissing.
	Schema model.Schema
	// Columns[j][i] is feature j of row i; NaN is missing.
	Columns [][]float32
	Rows    int
	// LabelName is the label column's name ("label" for KDD).
	LabelName string
	// HasLabels is false only when a file read against a schema has no
	// label column.
	HasLabels bool
	// Classes are the distinct labels (after the label map), sorted.
	Classes []string
	// Y[i] is the index in Classes of row i's label.
	Y []int32
	// Dropped lists the file columns that are not features, and why.
	Dropped []Dropped
	// Skipped counts the rows skipped under Options.SkipBad;
	// SkippedErrors holds the first MaxSkippedErrors reasons.
	Skipped       int
	SkippedErrors []error
	// Files describes each file read, in order.
	Files []FileInfo
	// SampleRows are the row numbers of Columns' rows, ascending, when
	// Options.Sample was set; nil otherwise.
	SampleRows []int
}

// FileInfo describes one file read.
type FileInfo struct {
	Path string
	// SHA256 is the hex sha256 of the file's bytes on disk.
	SHA256 string
	// Rows is the number of rows read from it.
	Rows int
}

// Row returns row i in schema order, appended to dst[:0]; nil when i is
// out of range.
func (d *Dataset) Row(i int, dst []float32) []float32 {
	if i < 0 || i >= d.Rows {
		return nil
	}
	dst = dst[:0]
	for _, c := range d.Columns {
		dst = append(dst, c[i])
	}
	return dst
}

// LabelsIn returns, per row, the index of the row's label in classes (a
// trained model's Classes, say), or -1 for a label not there; nil without
// labels.
func (d *Dataset) LabelsIn(classes []string) []int32 {
	if !d.HasLabels {
		return nil
	}
	pos := make(map[string]int32, len(classes))
	for i, c := range classes {
		if _, ok := pos[c]; !ok {
			pos[c] = int32(i)
		}
	}
	remap := make([]int32, len(d.Classes))
	for k, c := range d.Classes {
		if i, ok := pos[c]; ok {
			remap[k] = i
		} else {
			remap[k] = -1
		}
	}
	y := make([]int32, len(d.Y))
	for i, k := range d.Y {
		if k >= 0 && int(k) < len(remap) {
			y[i] = remap[k]
		} else {
			y[i] = -1
		}
	}
	return y
}

// Read reads one or more files into a dataset. Files are concatenated; their
// headers must agree after canonicalisation (ErrHeaderMismatch). Errors
// locate the problem with a *ParseError.
func Read(paths []string, opt Options) (*Dataset, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w: no files to read", ErrOption)
	}
	if opt.Schema != nil && len(opt.Features) > 0 {
		return nil, fmt.Errorf("%w: Schema and Features are exclusive", ErrOption)
	}
	switch opt.Format {
	case "", FormatAuto, FormatCICFlowMeter, FormatKDD, FormatCSV, FormatZeek, FormatEVE, FormatVPCFlow:
	default:
		return nil, fmt.Errorf("%w: unknown format %q", ErrOption, opt.Format)
	}
	if _, err := labelMapper(opt.LabelMap, FormatCSV); err != nil {
		return nil, err
	}
	switch {
	case opt.Sample < 0:
		return nil, fmt.Errorf("%w: Sample %d, want >= 0", ErrOption, opt.Sample)
	case opt.Chunks != nil && opt.Schema == nil:
		return nil, fmt.Errorf("%w: Chunks needs Schema", ErrOption)
	case opt.Chunks != nil && opt.Sample > 0:
		return nil, fmt.Errorf("%w: Chunks and Sample are exclusive", ErrOption)
	}
	var enc *model.Encoder
	if opt.Schema != nil {
		enc = model.NewEncoder(opt.Schema)
	}
	b := &builder{opt: &opt, enc: enc, skipLines: make([]map[int]bool, len(paths))}
	if opt.Sample > 0 {
		b.res = &reservoir{size: opt.Sample, rng: rand.New(rand.NewPCG(opt.SampleSeed, 0x73616d70))}
	}
	for i, p := range paths {
		start := time.Now()
		before, skipped := b.rows, b.skipped
		if err := b.readFile(i, p); err != nil {
			return nil, err
		}
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, "data: read %s: %d rows (%d skipped), format %s, %.2fs\n",
				p, b.rows-before, b.skipped-skipped, b.format, time.Since(start).Seconds())
		}
	}
	return b.finish(paths)
}

// builder accumulates the rows of several files.
type builder struct {
	opt      *Options
	enc      *model.Encoder
	format   Format
	lay0     *layout
	sig      string
	mapLabel func(string) (string, error)

	parts   [][][]float32 // per column, the chunks' values in order
	cols    [][]float32   // the columns, once concatenated by finish
	texts   [][]int32     // modeInfer columns that saw text
	dicts   []dict
	y       []int32
	ldict   dict
	rows    int
	dropped []Dropped

	skipped     int
	skippedErrs []error
	skipLines   []map[int]bool // per file: lines of skipped rows
	files       []FileInfo
	lays        []*layout
	pool        sync.Pool  // chunk buffers
	res         *reservoir // Options.Sample
	sawNumber   []bool     // with res: per modeInfer column, a number was read
	sinkErr     error      // the first error of Options.Chunks
}

// reservoir is Options.Sample's uniform sample of rows (Vitter's algorithm
// R): slot s of every column holds row rows[s].
type reservoir struct {
	size int
	rng  *rand.Rand
	cols [][]float32
	rows []int
}

// add offers the rows of a chunk, rows first..first+m-1 of the files.
func (r *reservoir) add(first int, cols [][]float32) {
	if r.cols == nil {
		r.cols = make([][]float32, len(cols))
	}
	m := 0
	if len(cols) > 0 {
		m = len(cols[0])
	}
	for i := 0; i < m; i++ {
		row := first + i
		slot := len(r.rows)
		if slot >= r.size {
			slot = int(r.rng.Uint64N(uint64(row + 1)))
			if slot >= r.size {
				continue
			}
			r.rows[slot] = row
			for j, c := range cols {
				r.cols[j][slot] = c[i]
			}
			continue
		}
		r.rows = append(r.rows, row)
		for j, c := range cols {
			r.cols[j] = append(r.cols[j], c[i])
		}
	}
}

// sorted returns the sample in row order, permuting the columns in place
// through one column of scratch (no second copy of the sample).
func (r *reservoir) sorted(ncols int) ([][]float32, []int) {
	order := make([]int, len(r.rows))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return r.rows[order[a]] < r.rows[order[b]] })
	cols := r.cols
	if cols == nil {
		cols = make([][]float32, ncols)
		for j := range cols {
			cols[j] = []float32{}
		}
	}
	tmp := make([]float32, len(order))
	for _, c := range cols {
		for k, s := range order {
			tmp[k] = c[s]
		}
		copy(c, tmp)
	}
	rows := make([]int, len(order))
	for k, s := range order {
		rows[k] = r.rows[s]
	}
	r.cols, r.rows = nil, nil
	return cols, rows
}

// source is an opened input positioned after its header.
type source struct {
	f     *os.File
	hash  io.Reader // reads through the hash
	sum   func() string
	br    *blockReader
	lay   *layout
	first []byte // rest of the chunk holding the first record
	line  int
}

// openSource opens path, sniffs its format and reads its header.
func openSource(path string, opt *Options) (*source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	tee := io.TeeReader(f, h)
	s := &source{f: f, hash: tee, sum: func() string { return hex.EncodeToString(h.Sum(nil)) }}
	r, err := decompress(tee)
	if err != nil {
		f.Close()
		return nil, &ParseError{File: path, Err: err}
	}
	lr, lopt, first, err := logSource(r, path, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.br = newBlockReader(lr)
	s.br.line = first
	s.lay, s.first, s.line, err = readHeader(s.br, path, lopt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// close reads the file to its end (for the hash) and closes it.
func (s *source) close() (string, error) {
	defer s.f.Close()
	if _, err := io.Copy(io.Discard, s.hash); err != nil {
		return "", err
	}
	return s.sum(), nil
}

// readHeader reads up to the first non-blank record, chooses the format and
// builds the layout. It returns the data left in the current chunk (the
// first record included for KDD) and its line number.
func readHeader(br *blockReader, file string, opt *Options) (*layout, []byte, int, error) {
	var it recIter
	for {
		data, line, err := br.next()
		if err == io.EOF {
			return nil, nil, 0, &ParseError{File: file, Err: ErrEmpty}
		}
		if err != nil {
			return nil, nil, 0, &ParseError{File: file, Line: line, Err: err}
		}
		it.reset(data, line)
		for {
			pos, pline := it.pos, it.line
			rec, ln, ok := it.next()
			if !ok {
				break
			}
			if isBlank(rec) {
				continue
			}
			if opt.MaxColumns > 0 && rec.len() > opt.MaxColumns {
				return nil, nil, 0, &ParseError{File: file, Line: ln, Err: fmt.Errorf("%w: the header has %d columns, more than %d", ErrLimit, rec.len(), opt.MaxColumns)}
			}
			f := opt.Format
			forced := f != "" && f != FormatAuto
			if !forced {
				f = sniff(rec)
			}
			if f == FormatKDD && (rec.len() < 41 || rec.len() > 43) {
				msg := fmt.Sprintf("kdd records have 41 to 43 fields, this one has %d", rec.len())
				if s := sniff(rec); forced && s != FormatKDD {
					msg += fmt.Sprintf(" (the file looks like %s)", s)
				}
				return nil, nil, 0, &ParseError{File: file, Line: ln, Err: fmt.Errorf("%w: %s", ErrFormat, msg)}
			}
			var names []string
			rest, restLine := data[it.pos:], it.line
			if f == FormatKDD {
				names = kddHeader(rec.len())
				if key(string(rec.field(0))) == "duration" {
					// a header row written by someone: skip it
				} else {
					rest, restLine = data[pos:], pline
				}
			} else {
				names = rec.strings()
			}
			lay, err := newLayout(f, names, opt)
			if err != nil {
				var mf *MissingFeatureError
				if errors.As(err, &mf) && forced {
					mf.Forced, mf.Sniffed = true, sniff(rec)
				}
				return nil, nil, 0, &ParseError{File: file, Line: ln, Err: err}
			}
			return lay, rest, restLine, nil
		}
	}
}

func (b *builder) readFile(idx int, path string) error {
	s, err := openSource(path, b.opt)
	if err != nil {
		return err
	}
	defer s.f.Close()
	if b.lay0 == nil {
		b.lay0, b.sig, b.format = s.lay, s.lay.signature(), s.lay.format
		b.mapLabel, err = labelMapper(b.opt.LabelMap, s.lay.format)
		if err != nil {
			return err
		}
		n := len(s.lay.cols)
		b.parts, b.texts, b.dicts = make([][][]float32, n), make([][]int32, n), make([]dict, n)
		b.sawNumber = make([]bool, n)
	} else if s.lay.format != b.format {
		return &ParseError{File: path, Err: fmt.Errorf("%w: format %s, not %s like %s", ErrHeaderMismatch, s.lay.format, b.format, b.files[0].Path)}
	} else if sig := s.lay.signature(); sig != b.sig {
		return &ParseError{File: path, Line: 1, Err: fmt.Errorf("%w: %s", ErrHeaderMismatch, describeMismatch(b.lay0, s.lay, b.files[0].Path))}
	}
	b.lays = append(b.lays, s.lay)
	b.addDropped(s.lay.dropped)
	before := b.rows
	if err := b.run(idx, path, s); err != nil {
		return err
	}
	sum, err := s.close()
	if err != nil {
		return &ParseError{File: path, Err: err}
	}
	if b.rows == before {
		return &ParseError{File: path, Err: ErrEmpty}
	}
	b.files = append(b.files, FileInfo{Path: path, SHA256: sum, Rows: b.rows - before})
	return nil
}

func describeMismatch(a, b *layout, firstPath string) string {
	if (a.label >= 0) != (b.label >= 0) {
		return fmt.Sprintf("label column present in one file only (%s: %v)", firstPath, a.label >= 0)
	}
	for j := 0; j < len(a.cols) && j < len(b.cols); j++ {
		if a.cols[j].name != b.cols[j].name || a.cols[j].mode != b.cols[j].mode {
			return fmt.Sprintf("feature %d is %q here, %q in %s", j+1, b.cols[j].name, a.cols[j].name, firstPath)
		}
	}
	return fmt.Sprintf("%d features here, %d in %s", len(b.cols), len(a.cols), firstPath)
}

func (b *builder) addDropped(ds []Dropped) {
next:
	for _, d := range ds {
		for _, e := range b.dropped {
			if e == d {
				continue next
			}
		}
		b.dropped = append(b.dropped, d)
	}
}

// job is one chunk for a parsing worker, with the channel its result goes
// to.
type job struct {
	data []byte
	line int
	out  chan<- *chunkOut
}

// run parses one file's records in parallel and merges the chunks in
// order: the producer queues each chunk's result channel in input order
// (the queue's capacity bounds the chunks in flight) and hands the chunk
// to a worker; the merge reads the queue in order and waits on each.
func (b *builder) run(idx int, path string, s *source) error {
	workers := max(runtime.GOMAXPROCS(0), 1)
	s.br.pool = &b.pool
	jobs := make(chan job, workers)
	order := make(chan chan *chunkOut, 2*workers+2)
	done := make(chan struct{})
	var wg sync.WaitGroup

	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		queue := func() (chan *chunkOut, bool) {
			out := make(chan *chunkOut, 1)
			select {
			case order <- out:
				return out, true
			case <-done:
				return nil, false
			}
		}
		send := func(data []byte, line int) bool {
			out, ok := queue()
			if !ok {
				return false
			}
			select {
			case jobs <- job{data: data, line: line, out: out}:
				return true
			case <-done:
				return false
			}
		}
		if len(s.first) > 0 && !send(s.first, s.line) {
			return
		}
		for {
			data, line, err := s.br.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if out, ok := queue(); ok {
					out <- &chunkOut{err: &ParseError{File: path, Line: line, Err: err}}
				}
				return
			}
			if !send(data, line) {
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newParser(s.lay, path, b.enc, b.mapLabel, b.opt.SkipBad)
			for j := range jobs {
				out := p.process(j.data, j.line)
				s.br.recycle(j.data)
				j.out <- out // buffered: never blocks
			}
		}()
	}

	var err error
	for out := range order {
		o := <-out
		if o.err != nil {
			err = o.err
			break
		}
		b.merge(idx, o)
		if b.sinkErr != nil {
			err = b.sinkErr
			break
		}
	}
	close(done)
	wg.Wait()
	return err
}

// merge appends a chunk, mapping its local codes onto the global ones.
func (b *builder) merge(file int, c *chunkOut) {
	for _, pe := range c.skipped {
		b.skipped++
		if len(b.skippedErrs) < MaxSkippedErrors {
			b.skippedErrs = append(b.skippedErrs, pe)
		}
		if b.skipLines[file] == nil {
			b.skipLines[file] = make(map[int]bool)
		}
		b.skipLines[file][pe.Line] = true
	}
	for j, col := range b.lay0.cols {
		vals := c.cols[j]
		switch col.mode {
		case modeCategory:
			remap := b.remap(j, &c.dicts[j])
			for i, v := range vals {
				if v == v {
					vals[i] = float32(remap[int(v)])
				}
			}
		case modeInfer:
			if b.res != nil && !b.sawNumber[j] {
				for _, v := range vals {
					if v == v {
						b.sawNumber[j] = true
						break
					}
				}
			}
			if c.texts[j] != nil {
				remap := b.remap(j, &c.dicts[j])
				if b.texts[j] == nil {
					b.texts[j] = make([]int32, b.rows, b.rows+c.rows)
					for i := range b.texts[j] {
						b.texts[j][i] = -1
					}
				}
				for _, t := range c.texts[j] {
					if t >= 0 {
						t = remap[t]
					}
					b.texts[j] = append(b.texts[j], t)
				}
			} else if b.texts[j] != nil {
				for range c.rows {
					b.texts[j] = append(b.texts[j], -1)
				}
			}
		}
		if b.res == nil && b.opt.Chunks == nil {
			b.parts[j] = append(b.parts[j], vals)
		}
	}
	switch {
	case b.res != nil:
		b.res.add(b.rows, c.cols)
	case b.opt.Chunks != nil && b.sinkErr == nil && c.rows > 0:
		b.sinkErr = b.opt.Chunks(b.rows, c.cols)
	}
	if c.labels != nil {
		remap := make([]int32, len(c.ldict.names))
		for k, n := range c.ldict.names {
			remap[k] = b.ldict.add(n)
		}
		for _, l := range c.labels {
			b.y = append(b.y, remap[l])
		}
	}
	b.rows += c.rows
}

func (b *builder) remap(j int, d *dict) []int32 {
	remap := make([]int32, len(d.names))
	for k, n := range d.names {
		remap[k] = b.dicts[j].add(n)
	}
	return remap
}

// releaseBytes is how many bytes of parsed chunks concat copies between
// handing the freed ones back to the operating system.
const releaseBytes = 64 << 20

// concat joins the chunks into one slice per column. It copies chunk by
// chunk, not column by column: the columns of a chunk share one block
// (parser.process), which is free only once every column of it is copied,
// so a column-major copy held the whole matrix twice at its end (624 MB
// for the 312 MB of values of a million rows of 78 features). Each chunk is
// dropped once copied, and every releaseBytes the freed blocks go back to
// the operating system (debug.FreeOSMemory: a collection, cheap here as the
// blocks hold no pointers), so the peak is the matrix and releaseBytes of
// chunks. The values are the same either way.
func (b *builder) concat() {
	b.cols = make([][]float32, len(b.parts))
	for j := range b.cols {
		b.cols[j] = make([]float32, b.rows)
	}
	if len(b.parts) == 0 {
		return
	}
	off, copied := 0, 0
	for c := range b.parts[0] {
		m := len(b.parts[0][c])
		for j := range b.parts {
			copy(b.cols[j][off:off+m], b.parts[j][c])
			b.parts[j][c] = nil
		}
		off += m
		if copied += 4 * m * len(b.parts); copied >= releaseBytes {
			debug.FreeOSMemory()
			copied = 0
		}
	}
	for j := range b.parts {
		b.parts[j] = nil
	}
}

// finish settles the column kinds, sorts vocabularies and classes.
func (b *builder) finish(paths []string) (*Dataset, error) {
	var sampleRows []int
	switch {
	case b.res != nil:
		b.cols, sampleRows = b.res.sorted(len(b.lay0.cols))
		for j, t := range b.texts {
			if t == nil {
				continue
			}
			if b.sawNumber[j] {
				return nil, fmt.Errorf("%w: column %q holds both numbers and text", ErrUnsampled, b.lay0.cols[j].name)
			}
			st := make([]int32, len(sampleRows))
			for k, r := range sampleRows {
				st[k] = t[r]
			}
			b.texts[j] = st
		}
	case b.opt.Chunks != nil:
	default:
		b.concat()
	}
	if err := b.textsOfNumbers(paths); err != nil {
		return nil, err
	}
	d := &Dataset{
		Format:        b.format,
		Columns:       b.cols,
		Rows:          b.rows,
		LabelName:     b.lay0.labelName,
		HasLabels:     b.lay0.label >= 0,
		Dropped:       b.dropped,
		Skipped:       b.skipped,
		SkippedErrors: b.skippedErrs,
		Files:         b.files,
		SampleRows:    sampleRows,
	}
	for j, col := range b.lay0.cols {
		if b.opt.Schema != nil {
			d.Schema.Features = append(d.Schema.Features, cloneFeature(b.opt.Schema.Features[j]))
			continue
		}
		ft := model.Feature{Name: col.name}
		switch {
		case col.mode == modeCategory:
			ft.Kind = model.Categorical
			ft.Categories = sortCodes(b.dicts[j].names, b.cols[j])
		case col.mode == modeInfer && b.texts[j] != nil:
			ft.Kind = model.Categorical
			for i, t := range b.texts[j] {
				if t >= 0 {
					b.cols[j][i] = float32(t)
				} else {
					b.cols[j][i] = nan32
				}
			}
			b.texts[j] = nil
			ft.Categories = sortCodes(b.dicts[j].names, b.cols[j])
		}
		d.Schema.Features = append(d.Schema.Features, ft)
	}
	if d.HasLabels {
		d.Classes = sortCodes(b.ldict.names, nil)
		perm := permutation(b.ldict.names, d.Classes)
		for i, y := range b.y {
			b.y[i] = perm[y]
		}
		d.Y = b.y
	}
	return d, nil
}

func cloneFeature(f model.Feature) model.Feature {
	f.Categories = append([]string(nil), f.Categories...)
	return f
}

// sortCodes sorts a vocabulary and recodes vals (codes as float32, NaN
// kept) to index the sorted one.
func sortCodes(names []string, vals []float32) []string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	if sorted == nil {
		sorted = []string{}
	}
	perm := permutation(names, sorted)
	for i, v := range vals {
		if v == v {
			vals[i] = float32(perm[int(v)])
		}
	}
	return sorted
}

func permutation(names, sorted []string) []int32 {
	pos := make(map[string]int32, len(sorted))
	for i, n := range sorted {
		pos[n] = int32(i)
	}
	perm := make([]int32, len(names))
	for i, n := range names {
		perm[i] = pos[n]
	}
	return perm
}

// textsOfNumbers gives the cells of a categorical (inferred) column that
// read as numbers their text as category: the column turned categorical
// after numbers were seen, or around them. It reads the files a second time,
// and only when such cells exist.
func (b *builder) textsOfNumbers(paths []string) error {
	var need []int
	for j, t := range b.texts {
		if t == nil {
			continue
		}
		for i, c := range t {
			if c < 0 && !math.IsNaN(float64(b.cols[j][i])) {
				need = append(need, j)
				break
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	row := 0
	for fi, path := range paths {
		s, err := openSource(path, b.opt)
		if err != nil {
			return err
		}
		err = b.rereadFile(fi, s, need, &row)
		s.f.Close()
		if err != nil {
			return &ParseError{File: path, Err: err}
		}
	}
	if row != b.rows {
		return fmt.Errorf("%w: files changed while being read (%d rows, then %d)", ErrHeaderMismatch, b.rows, row)
	}
	return nil
}

func (b *builder) rereadFile(fi int, s *source, need []int, row *int) error {
	var it recIter
	data, line := s.first, s.line
	for {
		it.reset(data, line)
		for {
			rec, ln, ok := it.next()
			if !ok {
				break
			}
			if isBlank(rec) || b.skipLines[fi][ln] {
				continue
			}
			if *row >= b.rows || rec.len() != s.lay.nfields {
				return errors.New("file changed while being read")
			}
			for _, j := range need {
				if b.texts[j][*row] < 0 && !math.IsNaN(float64(b.cols[j][*row])) {
					b.texts[j][*row] = b.dicts[j].code(trimSpace(rec.field(s.lay.cols[j].field)))
				}
			}
			*row++
		}
		var err error
		data, line, err = s.br.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
