package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("inspect")
	asJSON := f.Bool("json", "print the summary as JSON")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "DIR|model.json|model.wasm [--json]")
		fmt.Fprint(stdout, "\nDescribes a model directory (its model.json, else its model.wasm), a model.json, or a\n"+
			"compiled model.wasm (its metadata section): name and version, the features in column order\n"+
			"(names, kinds, categories), classes, the ensemble, the outlier detector and metrics.\n")
		return errHelp
	}
	if len(f.args) != 1 {
		return fmt.Errorf("%w: want one model directory, model.json or model.wasm", errUsage)
	}
	path := f.args[0]
	l, err := artifact.Locate(path)
	if err != nil {
		return err
	}
	if l.Model == "" {
		return inspectWasm(l.Wasm, *asJSON, stdout)
	}
	m, _, err := artifact.ReadModel(l.Model)
	if err != nil {
		return err
	}
	s := summarize(m)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	s.print(stdout)
	return nil
}

type summary struct {
	Format         int                `json:"format"`
	Name           string             `json:"name,omitempty"`
	Version        string             `json:"version,omitempty"`
	TrainerVersion string             `json:"trainer_version"`
	Created        string             `json:"created"`
	DataSHA256     []string           `json:"data_sha256,omitempty"`
	Features       int                `json:"features"`
	FeatureList    []model.Feature    `json:"schema"`
	Categorical    []string           `json:"categorical,omitempty"`
	Classes        []string           `json:"classes"`
	Benign         []string           `json:"benign"`
	Objective      string             `json:"objective"`
	Trees          int                `json:"trees"`
	Nodes          int                `json:"nodes"`
	Leaves         int                `json:"leaves"`
	MaxDepth       int                `json:"max_depth"`
	Outlier        *outlierSummary    `json:"outlier,omitempty"`
	Metrics        map[string]float64 `json:"metrics,omitempty"`
	Params         map[string]string  `json:"params,omitempty"`
	TopFeatures    []string           `json:"top_features,omitempty"`
}

type outlierSummary struct {
	Features   int     `json:"features"`
	Components int     `json:"components"`
	Threshold  float64 `json:"threshold"`
	Online     bool    `json:"online"`
}

func summarize(m *model.Model) summary {
	s := summary{
		Format: m.Format, Name: m.Meta.Name, Version: m.Meta.Version, TrainerVersion: m.Meta.TrainerVersion,
		Created: m.Meta.Created.Format("2006-01-02 15:04:05Z07:00"), DataSHA256: m.Meta.DataSHA256,
		Features: len(m.Schema.Features), FeatureList: m.Schema.Features, Classes: m.Classes, Objective: m.Ensemble.Objective.String(),
		Trees: len(m.Ensemble.Trees), Metrics: m.Meta.Metrics, Params: m.Meta.Params,
	}
	for _, f := range m.Schema.Features {
		if f.Kind == model.Categorical {
			s.Categorical = append(s.Categorical, fmt.Sprintf("%s (%d categories)", f.Name, len(f.Categories)))
		}
	}
	for _, b := range m.Benign {
		s.Benign = append(s.Benign, m.Classes[b])
	}
	for t := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[t]
		s.Nodes += tr.Len()
		type item struct{ node, depth int32 }
		stack := []item{{0, 0}}
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if tr.Feature[it.node] < 0 {
				s.Leaves++
				s.MaxDepth = max(s.MaxDepth, int(it.depth))
				continue
			}
			stack = append(stack, item{tr.Left[it.node], it.depth + 1}, item{tr.Right[it.node], it.depth + 1})
		}
	}
	if o := m.Outlier; o != nil {
		s.Outlier = &outlierSummary{Features: len(o.Features), Components: o.Components, Threshold: o.Threshold, Online: o.Online != nil}
	}
	if imp := m.Meta.Importance; len(imp) == len(m.Schema.Features) {
		idx := make([]int, len(imp))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return imp[idx[a]] > imp[idx[b]] })
		for _, i := range idx[:min(10, len(idx))] {
			if imp[i] > 0 {
				s.TopFeatures = append(s.TopFeatures, m.Schema.Features[i].Name)
			}
		}
	}
	return s
}

func (s summary) print(w io.Writer) {
	p := func(k, format string, args ...any) {
		fmt.Fprintf(w, "%-16s "+format+"\n", append([]any{k + ":"}, args...)...)
	}
	if s.Name != "" || s.Version != "" {
		p("name", "%s", nameVersion(s.Name, s.Version))
	}
	p("format", "%d (trainer %s, created %s)", s.Format, s.TrainerVersion, s.Created)
	for i, h := range s.DataSHA256 {
		p(fmt.Sprintf("data sha256 %d", i+1), "%s", h)
	}
	printFeatures(w, s.FeatureList)
	p("classes", "%s", strings.Join(s.Classes, ", "))
	p("benign", "%s", strings.Join(s.Benign, ", "))
	p("ensemble", "%s, %d trees, %d nodes, %d leaves, max depth %d", s.Objective, s.Trees, s.Nodes, s.Leaves, s.MaxDepth)
	if o := s.Outlier; o != nil {
		p("outlier", "Mahalanobis on %d features, %d components, threshold %.6g", o.Features, o.Components, o.Threshold)
	} else {
		p("outlier", "none")
	}
	if len(s.TopFeatures) > 0 {
		p("top features", "%s", strings.Join(s.TopFeatures, ", "))
	}
	keys := make([]string, 0, len(s.Metrics))
	for k := range s.Metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p(k, "%.4f", s.Metrics[k])
	}
	keys = keys[:0]
	for k := range s.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p("param "+k, "%s", s.Params[k])
	}
}

// inspectWasm prints a module's metadata section.
func inspectWasm(path string, asJSON bool, w io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	md, err := abi.ReadMetadata(b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(md)
	}
	p := func(k, format string, args ...any) {
		fmt.Fprintf(w, "%-16s "+format+"\n", append([]any{k + ":"}, args...)...)
	}
	p("module", "%s, %d bytes, ABI %d, model format %d", path, len(b), md.ABI, md.Format)
	if md.Name != "" || md.Version != "" {
		p("name", "%s", nameVersion(md.Name, md.Version))
	}
	p("trainer", "%s, created %s", md.TrainerVersion, md.Created.Format("2006-01-02 15:04:05Z07:00"))
	p("model sha256", "%s", md.ModelSHA256)
	printFeatures(w, md.Schema.Features)
	p("classes", "%s", strings.Join(md.Classes, ", "))
	var benign []string
	for _, b := range md.Benign {
		benign = append(benign, md.Classes[b])
	}
	p("benign", "%s", strings.Join(benign, ", "))
	p("ensemble", "%s, %d trees", md.Objective, md.Trees)
	if md.Outlier != nil {
		p("outlier", "Mahalanobis, threshold %.6g", md.Outlier.Threshold)
	} else {
		p("outlier", "none")
	}
	keys := make([]string, 0, len(md.Metrics))
	for k := range md.Metrics {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p(k, "%.4f", md.Metrics[k])
	}
	p("reference", "%d histograms", len(md.Reference))
	return nil
}

// nameVersion is how a model is named to people: "name version", either
// part "(unnamed)" or left out when absent.
func nameVersion(name, version string) string {
	if name == "" {
		name = "(unnamed)"
	}
	if version == "" {
		return name
	}
	return name + " " + version
}

// printFeatures lists the features a row carries, one a line in schema
// order (the column names a CSV must have), with the kind and, for a
// categorical one, its categories (the first few) and unknown policy.
func printFeatures(w io.Writer, fs []model.Feature) {
	ncat := 0
	width := 0
	for _, f := range fs {
		if f.Kind == model.Categorical {
			ncat++
		}
		width = max(width, len(f.Name))
	}
	head := fmt.Sprintf("%d", len(fs))
	if ncat > 0 {
		head += fmt.Sprintf(" (%d categorical)", ncat)
	}
	fmt.Fprintf(w, "%-16s %s\n", "features:", head)
	for i, f := range fs {
		kind := "numeric"
		if f.Kind == model.Categorical {
			cats := f.Categories
			more := ""
			if len(cats) > 8 {
				cats, more = cats[:8], fmt.Sprintf(", … %d more", len(f.Categories)-8)
			}
			kind = fmt.Sprintf("categorical, %d categories: %s%s; unknown: %s", len(f.Categories), strings.Join(cats, ", "), more, f.Unknown)
		}
		fmt.Fprintf(w, "  %3d  %-*s  %s\n", i+1, width, f.Name, kind)
	}
}
