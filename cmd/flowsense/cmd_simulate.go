package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/flowsense/flowsense/internal/simulate"
)

func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("simulate")
	target := f.String("target", "", "the function's base URL, e.g. http://127.0.0.1:8080 (required; nothing else is contacted)")
	files := f.List("data", "labelled files to draw flows from")
	rf := addReadFlags(f)
	f.String("rate", strconv.Itoa(simulate.DefaultRate), "flows sent per second")
	dur := f.String("duration", "", "how long to send, e.g. 30s or 2m (default 10s, or no limit with --count)")
	f.String("count", "", "stop after this many flows (--count ROWS with no fractions sends the file once)")
	f.String("concurrency", strconv.Itoa(simulate.DefaultConcurrency), "requests in flight at most")
	f.String("batch", "1", "flows per request (a JSON array, or one event carrying an array)")
	mode := f.String("mode", string(simulate.ModeJSON), "json (POST TARGET/predict) or cloudevents (binary-mode events to TARGET)")
	order := f.String("order", string(simulate.OrderShuffle), "shuffle (each pass a seeded permutation) or file (the file's order)")
	f.String("attack-fraction", "", "draw this fraction of flows from attack rows, the rest from benign rows (default: the file's mix)")
	f.String("outlier-fraction", "0", "fraction of flows sent as outliers: benign rows with numeric features scaled")
	f.String("outlier-scale", strconv.Itoa(simulate.DefaultOutlierScale), "factor applied to an outlier's finite non-zero numeric features")
	feedback := f.Bool("feedback", "post {id, predicted, truth} to TARGET/feedback after each answer (id: the answer's reply id)")
	f.String("seed", "1", "seed of the draws (same seed, same flows in the same order)")
	timeout := f.String("timeout", simulate.DefaultTimeout.String(), "time limit of one request")
	quiet := f.Bool("quiet", "no live line on stderr")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--target URL --data FILE... [--rate R] [--duration D | --count N] [--mode json|cloudevents] [--feedback] [options]")
		return errHelp
	}
	o := simulate.Options{Target: *target, Mode: simulate.Mode(*mode), Order: simulate.Order(*order), Feedback: *feedback}
	var seed int
	for _, err := range []error{
		f.Float("rate", &o.Rate), f.Int("count", &o.Count), f.Int("concurrency", &o.Concurrency), f.Int("batch", &o.Batch),
		f.Float("outlier-fraction", &o.OutlierFraction), f.Float("outlier-scale", &o.OutlierScale), f.Int("seed", &seed),
	} {
		if err != nil {
			return err
		}
	}
	if seed < 0 {
		return fmt.Errorf("%w: --seed %d: want >= 0", errUsage, seed)
	}
	o.Seed = uint64(seed)
	if f.Set("attack-fraction") {
		var a float64
		if err := f.Float("attack-fraction", &a); err != nil {
			return err
		}
		o.AttackFraction = &a
	}
	var err error
	if o.Timeout, err = parseDuration("timeout", *timeout); err != nil {
		return err
	}
	if *dur != "" {
		if o.Duration, err = parseDuration("duration", *dur); err != nil {
			return err
		}
	}
	// Zero means "the default" to the library; on the command line it is a mistake.
	for name, bad := range map[string]bool{
		"rate": f.Set("rate") && o.Rate <= 0, "count": f.Set("count") && o.Count <= 0,
		"concurrency": o.Concurrency <= 0, "batch": o.Batch <= 0, "duration": *dur != "" && o.Duration <= 0,
		"timeout": o.Timeout <= 0, "outlier-scale": o.OutlierScale <= 0,
	} {
		if bad {
			return fmt.Errorf("%w: --%s %s: want a value > 0", errUsage, name, *f.specs[name].str)
		}
	}
	if err := o.Check(); err != nil {
		return err
	}
	if len(*files) == 0 {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	if !*quiet {
		o.Live = stderr
	}
	md, err := simulate.FetchModel(ctx, nil, o.Target)
	if err != nil {
		return err
	}
	ds, err := readAgainst(&md.Schema, *files, rf, stderr)
	if err != nil {
		return readHint(err, o.Target+"/model", *rf.format)
	}
	if !ds.HasLabels {
		return noLabelError((*files)[0], *rf.label, "simulate", "the labels are the truth it scores the answers against")
	}
	s, err := simulate.Run(ctx, ds, md, o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// parseDuration reads a Go duration (30s, 2m) or a number of seconds.
func parseDuration(name, s string) (time.Duration, error) {
	if x, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Duration(x * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: --%s %q: want a duration such as 30s or 2m", errUsage, name, s)
	}
	return d, nil
}
