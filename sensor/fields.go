package sensor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/extract"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/wasm/abi"
)

// ErrSchema: the feature list cannot be had, or names a feature a capture
// does not give.
var ErrSchema = errors.New("sensor: schema")

// Fields says which values of a flow go into its JSON object, under which
// names, in which order.
type Fields struct {
	names []string
	get   []func(*extract.Flow) float64
	quote [][]byte // `"name":` per field
}

// column is one CICFlowMeter column a flow gives a value for.
type column struct {
	name string
	get  func(*extract.Flow) float64
}

// columns are the value columns of extract's header: the ports and the
// protocol of the identifier columns, then every feature.
func columns() []column {
	cs := []column{
		{"Src Port", func(f *extract.Flow) float64 { return float64(f.SrcPort) }},
		{"Dst Port", func(f *extract.Flow) float64 { return float64(f.DstPort) }},
		{"Protocol", func(f *extract.Flow) float64 { return float64(f.Protocol) }},
	}
	h := extract.Header()
	for i := 0; ; i++ {
		x := extract.Feature(i)
		name := x.String()
		if !contains(h, name) {
			break
		}
		cs = append(cs, column{name, func(f *extract.Flow) float64 { return f.Value(x) }})
	}
	return cs
}

func contains(h []string, s string) bool {
	for _, x := range h {
		if x == s {
			return true
		}
	}
	return false
}

// AllFields is every CICFlowMeter feature column (Dst Port, Protocol and
// the 81 features; not Src Port), for a sink whose model is unknown.
func AllFields() *Fields {
	var names []string
	for _, c := range columns() {
		if c.name != "Src Port" {
			names = append(names, c.name)
		}
	}
	fs, _ := NewFields(names)
	return fs
}

// NewFields maps feature names (a model's schema, spelled as its training
// file spelled them) onto the columns a capture gives; names are matched
// through flowdata.Canonical. A name no column gives is an error naming it.
func NewFields(names []string) (*Fields, error) {
	byCanon := map[string]column{}
	for _, c := range columns() {
		byCanon[flowdata.Canonical(c.name)] = c
	}
	fs := &Fields{}
	var missing []string
	for _, n := range names {
		c, ok := byCanon[flowdata.Canonical(n)]
		if !ok {
			missing = append(missing, strconv.Quote(n))
			continue
		}
		q, _ := jsonString(n)
		fs.names = append(fs.names, n)
		fs.get = append(fs.get, c.get)
		fs.quote = append(fs.quote, append(q, ':'))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: the model reads features a packet capture does not give (%s): it was not trained on CICFlowMeter columns", ErrSchema, strings.Join(missing, ", "))
	}
	if len(fs.names) == 0 {
		return nil, fmt.Errorf("%w: no features", ErrSchema)
	}
	return fs, nil
}

// Names are the fields' names, in order.
func (fs *Fields) Names() []string { return fs.names }

// AppendJSON appends the flow's JSON object. Values that JSON cannot hold
// (the reference's Infinity and NaN rates of zero-length flows) are
// strings, as a CSV cell would carry them, which the function reads the
// same way.
func (fs *Fields) AppendJSON(b []byte, f *extract.Flow) []byte {
	b = append(b, '{')
	for i, get := range fs.get {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, fs.quote[i]...)
		v := get(f)
		switch {
		case math.IsNaN(v):
			b = append(b, `"NaN"`...)
		case math.IsInf(v, 1):
			b = append(b, `"Infinity"`...)
		case math.IsInf(v, -1):
			b = append(b, `"-Infinity"`...)
		default:
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	return append(b, '}')
}

func jsonString(s string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.Bytes(), nil
}

// maxMetadata bounds a GET /model answer.
const maxMetadata = 16 << 20

// LoadFields reads the feature names of a model: "all" (AllFields), an
// http(s) URL of a function's GET /model, or a model directory, model.json
// or model.wasm.
func LoadFields(ctx context.Context, src string, c *http.Client) (*Fields, error) {
	if src == "all" {
		return AllFields(), nil
	}
	var md *abi.Metadata
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		b, err := getModel(ctx, src, c)
		if err != nil {
			return nil, err
		}
		if md, err = abi.DecodeMetadata(b); err != nil {
			return nil, fmt.Errorf("%w: GET %s: %v", ErrSchema, src, err)
		}
	} else {
		b, err := artifact.ReadModule(src)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSchema, err)
		}
		if md, err = abi.ReadMetadata(b); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrSchema, src, err)
		}
	}
	names := make([]string, len(md.Schema.Features))
	for i, f := range md.Schema.Features {
		names[i] = f.Name
	}
	return NewFields(names)
}

func getModel(ctx context.Context, u string, c *http.Client) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", ErrSchema, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: GET %s: %v", ErrSchema, u, err)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w: GET %s: %s: the function's metadata needs a credential (flowsense sensor --token-file, or --schema-token-file for a --schema on another host)", ErrSchema, u, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: GET %s: %s (not a flowsense function? pass --schema a model directory, a function's /model URL, or all)", ErrSchema, u, resp.Status)
	case len(b) > maxMetadata:
		return nil, fmt.Errorf("%w: GET %s: over %d bytes", ErrSchema, u, maxMetadata)
	}
	return b, nil
}

// ModelURL is the GET /model address of the function at sink: the sink's
// scheme and host with path /model.
func ModelURL(sink string) (string, error) {
	u, err := url.Parse(sink)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("sensor: sink %q: want an http(s) URL", sink)
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/model"}).String(), nil
}
