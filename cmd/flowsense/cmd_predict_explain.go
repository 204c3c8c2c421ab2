package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/host"
)

// flowsense predict --explain N (issue 15) adds to each row the top N
// contributions to the predicted class's raw score (TreeSHAP) and the top
// N shares of the outlier score, as POST /predict?explain=N answers them
// (model.Summarise, then cloudevents.Explain). The output formats are
// documented in predictUsage.

// Output formats of predict.
const (
	outCSV   = "csv"
	outJSONL = "jsonl"
)

// predictUsage documents predict's output, shown by --help.
const predictUsage = `Output (--out-format csv, the default): row,label,probability,outlier_score,verdict;
with --explain N also margin,bias, then for k = 1..min(N, features) feature_k,value_k,contribution_k
(the k-th largest contribution by magnitude to the predicted class's raw score, TreeSHAP; empty when
fewer are non-zero), then, with an outlier detector, for k = 1..min(N, detector inputs)
outlier_feature_k,outlier_value_k,outlier_mean_k,outlier_z_k,outlier_contribution_k (shares of the
outlier score). bias + every contribution = margin (the class's log-odds for a two-class model).
--out-format jsonl: one JSON object a row, {"row","label","probability","outlier_score","verdict"}
and with --explain N "explanation" as POST /predict?explain=N gives it ({"class","margin","bias",
"features":[{"name","value","contribution"}],"outlier":[{"name","value","mean","z","contribution"}]}).`

// rowExplainer explains one row at a time with either engine.
type rowExplainer interface {
	// explain fills e for row, whose prediction is r.
	explain(ctx context.Context, row []float32, r *model.Result, top int, e *model.Explanation) error
}

// nativeExplainer is the reference: model.Explainer.
type nativeExplainer struct{ x *model.Explainer }

func (n nativeExplainer) explain(_ context.Context, row []float32, _ *model.Result, top int, e *model.Explanation) error {
	return n.x.Explain(row, top, e)
}

// moduleExplainer runs the module's explain export and summarises as the
// server does (functions.RowExplainer).
type moduleExplainer struct{ *functions.RowExplainer }

func (x moduleExplainer) explain(ctx context.Context, row []float32, r *model.Result, top int, e *model.Explanation) error {
	return x.Explain(ctx, row, r, top, e)
}

// errNoExplain: the model given cannot explain its predictions.
var errNoExplain = errors.New("cannot explain")

// newRowExplainer prepares explanations for the predictor p opened from
// path (a module opened with the explain export: openPredictor with
// explain).
func newRowExplainer(p artifact.Predictor, path string) (rowExplainer, error) {
	switch p := p.(type) {
	case *artifact.Native:
		x, err := model.NewExplainer(p.Model())
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", path, errNoExplain, err)
		}
		return nativeExplainer{x}, nil
	case *host.Module:
		if !p.CanExplain() {
			return nil, fmt.Errorf("%s: %w: the model has no node covers (retrain it)", path, errNoExplain)
		}
		return moduleExplainer{functions.NewRowExplainer(p, functions.ExplainModel(p.Metadata(), p.Outputs()))}, nil
	}
	return nil, fmt.Errorf("%s: %w: engine %T", path, errNoExplain, p)
}

// writePredictions writes pred for the rows of ds in the output format,
// with the top explain contributions of each row when explain > 0 (x is
// then not nil).
func writePredictions(ctx context.Context, w io.Writer, format string, ds *flowdata.Dataset, pred *artifact.Predictions, md *predictMeta, x rowExplainer, explain int) error {
	bw := bufio.NewWriter(w)
	k := len(md.classes)
	row := make([]float32, len(ds.Columns))
	var r model.Result
	var e model.Explanation
	nFeat, nOut := min(explain, len(md.schema.Features)), 0
	if md.outlierInputs > 0 {
		nOut = min(explain, md.outlierInputs)
	}
	if format == outCSV {
		bw.WriteString("row,label,probability,outlier_score,verdict")
		if explain > 0 {
			bw.WriteString(",margin,bias")
			for j := 1; j <= nFeat; j++ {
				fmt.Fprintf(bw, ",feature_%d,value_%d,contribution_%d", j, j, j)
			}
			for j := 1; j <= nOut; j++ {
				fmt.Fprintf(bw, ",outlier_feature_%d,outlier_value_%d,outlier_mean_%d,outlier_z_%d,outlier_contribution_%d", j, j, j, j, j)
			}
		}
		bw.WriteByte('\n')
	}
	var buf []byte
	for i := 0; i < ds.Rows; i++ {
		c := int(pred.Class[i])
		var wire *cloudevents.Explanation
		if explain > 0 {
			row = ds.Row(i, row)
			r.Class, r.OutlierScore, r.Verdict = c, pred.Score[i], pred.Verdict[i]
			r.Probabilities = pred.Probs[i*k : (i+1)*k]
			if err := x.explain(ctx, row, &r, explain, &e); err != nil {
				return fmt.Errorf("row %d: %w", i+1, err)
			}
			wire = cloudevents.Explain(&md.schema, md.classes, &e)
		}
		buf = buf[:0]
		switch format {
		case outCSV:
			buf = strconv.AppendInt(buf, int64(i+1), 10)
			buf = append(buf, ',')
			buf = appendCSV(buf, md.classes[c])
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, pred.Probs[i*k+c], 'g', 9, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, pred.Score[i], 'g', 9, 64)
			buf = append(buf, ',')
			buf = append(buf, pred.Verdict[i].String()...)
			if wire != nil {
				buf = appendExplanationCSV(buf, wire, nFeat, nOut)
			}
			buf = append(buf, '\n')
		case outJSONL:
			line := predictLine{Row: i + 1, Label: md.classes[c], Probability: pred.Probs[i*k+c], OutlierScore: cloudevents.Finite(pred.Score[i]), Verdict: pred.Verdict[i].String(), Explanation: wire}
			b, err := json.Marshal(&line)
			if err != nil {
				return fmt.Errorf("row %d: %w", i+1, err)
			}
			buf = append(append(buf, b...), '\n')
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// predictMeta is what writePredictions needs of the model.
type predictMeta struct {
	schema        model.Schema
	classes       []string
	outlierInputs int
}

// predictLine is one row of --out-format jsonl.
type predictLine struct {
	Row          int                      `json:"row"`
	Label        string                   `json:"label"`
	Probability  float64                  `json:"probability"`
	OutlierScore float64                  `json:"outlier_score"`
	Verdict      string                   `json:"verdict"`
	Explanation  *cloudevents.Explanation `json:"explanation,omitempty"`
}

// appendExplanationCSV appends the explanation columns: margin, bias, nf
// feature triples and no outlier quintuples, empty where there are fewer.
func appendExplanationCSV(b []byte, x *cloudevents.Explanation, nf, no int) []byte {
	num := func(b []byte, v float64) []byte { return strconv.AppendFloat(append(b, ','), v, 'g', -1, 64) }
	b = num(b, x.Margin)
	b = num(b, x.Bias)
	for j := 0; j < nf; j++ {
		if j >= len(x.Features) {
			b = append(b, ",,,"...)
			continue
		}
		f := x.Features[j]
		b = appendCSV(append(b, ','), f.Name)
		b = appendCSV(append(b, ','), cloudevents.ValueText(f.Value))
		b = num(b, f.Contribution)
	}
	for j := 0; j < no; j++ {
		if j >= len(x.Outlier) {
			b = append(b, ",,,,,"...)
			continue
		}
		o := x.Outlier[j]
		b = appendCSV(append(b, ','), o.Name)
		b = appendCSV(append(b, ','), cloudevents.ValueText(o.Value))
		b = num(b, o.Mean)
		b = num(b, o.Z)
		b = num(b, o.Contribution)
	}
	return b
}
