package trainer

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/flowsense/flowsense/trainer/report"
)

// writeReport renders report.html for the run.
func (r *Result) writeReport(w io.Writer) error {
	in := report.Input{
		Title:   "flowsense model report",
		Params:  r.Model.Meta.Params,
		Metrics: r.Metrics,
		Curves:  r.Curves,
	}
	if r.Model.Meta.Name != "" {
		in.Title += ": " + r.Model.Meta.Name
		if r.Model.Meta.Version != "" {
			in.Title += " " + r.Model.Meta.Version
		}
	}
	var files []string
	for _, f := range r.Train.Files {
		files = append(files, fmt.Sprintf("%s (%d rows, sha256 %.12s…)", filepath.Base(f.Path), f.Rows, f.SHA256))
	}
	in.Dataset = fmt.Sprintf("%s format: %s; %d features, %d classes", r.Train.Format, strings.Join(files, ", "), len(r.Model.Schema.Features), len(r.Model.Classes))
	if len(r.Notes) > 0 {
		in.Dataset += ". " + strings.Join(r.Notes, "; ")
	}
	for _, c := range r.Boost.Curve {
		in.Training = append(in.Training, report.Round{Round: c.Round, Train: c.Train, Valid: c.Valid})
	}
	in.BestRound = r.Boost.BestRound
	if t := r.Metrics.Training; t != nil {
		in.TrainingNote = fmt.Sprintf("Kept %d of %d rounds: %s. %s.", t.BestRound, t.Rounds, t.StopReason, weightSummary(r.Boost))
		in.TrainingNote = strings.ToUpper(in.TrainingNote[:1]) + in.TrainingNote[1:]
	}
	for j, g := range r.Boost.Importance {
		in.Importance = append(in.Importance, report.Importance{Name: r.Model.Schema.Features[j].Name, Gain: g})
	}
	if r.TestScores != nil && r.Metrics.Outlier != nil {
		s := &report.OutlierScores{}
		for i, v := range r.TestScores {
			if r.TestAttack[i] {
				s.Attack = append(s.Attack, v)
			} else {
				s.Benign = append(s.Benign, v)
			}
		}
		in.OutlierScores = s
	}
	in.SHAP = r.SHAP
	return report.Write(w, in)
}
