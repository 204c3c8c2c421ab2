package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/runs"
	"github.com/flowsense/flowsense/trainer"
)

// runFlags are the options of the commands that record a run.
type runFlags struct {
	dir   *string
	noRun *bool
}

func addRunFlags(f *flagSet) runFlags {
	return runFlags{
		dir:   f.String("runs", "", "record the run in this directory (default $"+runs.DirEnv+" or ./"+runs.DefaultDir+")"),
		noRun: f.Bool("no-run", "record no run"),
	}
}

// check fails early, before any training, when the runs directory cannot
// be made (a file in the way, no permission).
func (rf runFlags) check() error {
	if *rf.noRun {
		return nil
	}
	dir := runs.Dir(*rf.dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("runs directory (--runs, $%s): %w", runs.DirEnv, err)
	}
	return nil
}

// recordOrWarn records the run of a model that is already written: a
// failure now is a warning on stderr, not a failed command, since the
// model, the product of the command, is whole.
func (rf runFlags) recordOrWarn(stderr io.Writer, kind string, start time.Time, args []string, out string, cfg trainer.Config, read []flowdata.FileInfo, params map[string]string, metrics map[string]float64) string {
	id, err := rf.record(kind, start, args, out, cfg, read, params, metrics)
	if err != nil {
		fmt.Fprintf(stderr, "flowsense %s: warning: the model is written, but its run was not recorded: %v\n", kind, err)
	}
	return id
}

// dataFiles describes the training files for a run: from what the
// trainer read when it read exactly these paths, else by hashing them.
func dataFiles(paths []string, read []flowdata.FileInfo) ([]runs.File, error) {
	if len(read) != len(paths) {
		return runs.HashFiles(paths)
	}
	out := make([]runs.File, len(read))
	for i, f := range read {
		st, err := os.Stat(f.Path)
		if f.Path != paths[i] || err != nil {
			return runs.HashFiles(paths)
		}
		out[i] = runs.File{Path: f.Path, SHA256: f.SHA256, Bytes: st.Size()}
	}
	return out, nil
}

// record writes a run of a model directory just written and returns its
// id ("" with --no-run). read, when not nil, are the training files as the
// trainer read them (their sha256 taken while reading): they are not read
// again.
func (rf runFlags) record(kind string, start time.Time, args []string, out string, cfg trainer.Config, read []flowdata.FileInfo, params map[string]string, metrics map[string]float64) (string, error) {
	if *rf.noRun {
		return "", nil
	}
	host, _ := os.Hostname()
	r := &runs.Run{
		ID:              runs.NewID(start),
		Time:            start.UTC(),
		Kind:            kind,
		Command:         append([]string{"flowsense", kind}, args...),
		Params:          map[string]string{},
		Metrics:         map[string]float64{},
		DurationSeconds: time.Since(start).Seconds(),
		TrainerVersion:  trainer.Version,
		Host:            host,
	}
	for k, v := range params {
		if k != "command" { // Run.Command has it
			r.Params[k] = v
		}
	}
	for k, v := range readParams(cfg.Read) {
		r.Params[k] = v
	}
	for k, v := range metrics {
		r.Metrics[k] = v
	}
	var err error
	if r.Data, err = dataFiles(cfg.Data, read); err != nil {
		return "", err
	}
	if r.Test, err = runs.HashFiles(cfg.Test); err != nil {
		return "", err
	}
	if len(cfg.Test) == 0 {
		r.Params["test_fraction"] = fmt.Sprint(cfg.TestFraction)
		r.Params["split_seed"] = fmt.Sprint(cfg.SplitSeed)
	}
	if err := r.AddModelDir(out); err != nil {
		return "", err
	}
	if _, err := runs.Write(runs.Dir(*rf.dir), r); err != nil {
		return "", err
	}
	return r.ID, nil
}

// readParams renders the reading options a run depends on.
func readParams(o flowdata.Options) map[string]string {
	m := map[string]string{}
	if o.Format != "" {
		m["read.format"] = string(o.Format)
	}
	if o.Label != "" {
		m["read.label"] = o.Label
	}
	if o.LabelMap != "" {
		m["read.label_map"] = o.LabelMap
	}
	if len(o.Drop) > 0 {
		m["read.drop"] = strings.Join(o.Drop, ",")
	}
	if len(o.Features) > 0 {
		m["read.features"] = strings.Join(o.Features, ",")
	}
	if o.SkipBad {
		m["read.skip_bad"] = "true"
	}
	return m
}

func runRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	f := newFlags("runs " + sub)
	dir := f.String("runs", "", "runs directory (default $"+runs.DirEnv+" or ./"+runs.DefaultDir+")")
	help := f.Bool("help", "show this help")
	var sortBy *string
	if sub == "list" {
		sortBy = f.String("sort", "time", "order by time, duration or a metric (accuracy, macro_f1, ...; best first)")
	}
	if err := f.Parse(args); err != nil {
		return err
	}
	synopsis := map[string]string{
		"list":    "[--runs DIR] [--sort METRIC]",
		"show":    "ID [--runs DIR]",
		"compare": "ID ID [--runs DIR]",
	}
	if _, ok := synopsis[sub]; !ok || *help {
		if *help || sub == "" {
			fmt.Fprintln(stdout, "usage: flowsense runs list [--runs DIR] [--sort METRIC] | show ID | compare ID ID")
			if sub == "" && !*help {
				return fmt.Errorf("%w: want list, show ID or compare ID ID", errUsage)
			}
			if sub != "" {
				f.usage(stdout, synopsis[sub])
			}
			return errHelp
		}
		return fmt.Errorf("%w: unknown runs command %q: want list, show or compare", errUsage, sub)
	}
	d := runs.Dir(*dir)
	want := map[string]int{"list": 0, "show": 1, "compare": 2}[sub]
	if len(f.args) != want {
		return fmt.Errorf("%w: runs %s takes %d run id(s), got %d", errUsage, sub, want, len(f.args))
	}
	switch sub {
	case "list":
		all, err := runs.List(d)
		if err != nil {
			return err
		}
		if err := sortRuns(all, *sortBy); err != nil {
			return err
		}
		return printRuns(stdout, all)
	case "show":
		r, err := runs.Find(d, f.args[0])
		if err != nil {
			return err
		}
		b, err := runs.Encode(r)
		if err != nil {
			return err
		}
		_, err = stdout.Write(b)
		return err
	default:
		a, err := runs.Find(d, f.args[0])
		if err != nil {
			return err
		}
		b, err := runs.Find(d, f.args[1])
		if err != nil {
			return err
		}
		return printComparison(stdout, runs.Compare(a, b))
	}
}

// sortRuns orders runs by time (oldest first), duration (shortest first)
// or a metric: best first, that is highest, except sizes and times
// (*_bytes, *_seconds) lowest first; runs without the metric go last.
func sortRuns(all []*runs.Run, by string) error {
	switch by {
	case "time", "":
		return nil // List's order
	case "duration":
		sort.SliceStable(all, func(i, j int) bool { return all[i].DurationSeconds < all[j].DurationSeconds })
		return nil
	}
	found := false
	for _, r := range all {
		if _, ok := r.Metrics[by]; ok {
			found = true
		}
	}
	if !found && len(all) > 0 {
		return fmt.Errorf("%w: --sort %q: no run has that metric (try accuracy, macro_f1, weighted_f1, roc_auc)", errUsage, by)
	}
	lowFirst := strings.HasSuffix(by, "_bytes") || strings.HasSuffix(by, "_seconds")
	sort.SliceStable(all, func(i, j int) bool {
		a, oka := all[i].Metrics[by]
		b, okb := all[j].Metrics[by]
		if oka != okb {
			return oka
		}
		if lowFirst {
			return a < b
		}
		return a > b
	})
	return nil
}

func printRuns(w io.Writer, all []*runs.Run) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tKIND\tDATA\tACCURACY\tMACRO-F1\tDURATION")
	for _, r := range all {
		var names []string
		for _, f := range r.Data {
			names = append(names, filepath.Base(f.Path))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.1fs\n", r.ID, r.Time.Local().Format("2006-01-02 15:04:05"), r.Kind,
			strings.Join(names, ","), figure(r.Metrics, "accuracy"), figure(r.Metrics, "macro_f1"), r.DurationSeconds)
	}
	return tw.Flush()
}

func figure(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

func printComparison(w io.Writer, c runs.Comparison) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\t%s\t%s\t\n", c.A.ID, c.B.ID)
	fmt.Fprintf(tw, "data\t%s\t%s\t\n", shortFiles(c.A.Data), shortFiles(c.B.Data))
	fmt.Fprintln(tw, "\t\t\t")
	fmt.Fprintln(tw, "PARAMETER\tA\tB\t")
	if len(c.Params) == 0 {
		fmt.Fprintln(tw, "(all equal)\t\t\t")
	}
	for _, p := range c.Params {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", p.Name, orDash(p.A), orDash(p.B))
	}
	fmt.Fprintln(tw, "\t\t\t")
	fmt.Fprintln(tw, "METRIC\tA\tB\tDELTA")
	for _, m := range c.Metrics {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, num(m.A, false), num(m.B, false), num(m.Delta, true))
	}
	return tw.Flush()
}

func shortFiles(fs []runs.File) string {
	var s []string
	for _, f := range fs {
		s = append(s, filepath.Base(f.Path)+"@"+f.SHA256[:min(12, len(f.SHA256))])
	}
	return orDash(strings.Join(s, ","))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(v float64, signed bool) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case signed:
		return fmt.Sprintf("%+.4g", v)
	}
	return fmt.Sprintf("%.6g", v)
}

// jsonLine is used by commands that print one JSON document.
func jsonOut(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
