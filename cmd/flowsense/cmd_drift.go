package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flowsense/flowsense/drift"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/atomicfile"
	"github.com/flowsense/flowsense/internal/progress"
)

// errDrift is returned by drift --fail-on-drift when the dataset drifted;
// run turns it into exit status 1.
var errDrift = errors.New("dataset drift detected")

func runDrift(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("drift")
	refFiles := f.List("reference", "reference files: what the model was trained on (CSV, gzip or not)")
	curFiles := f.List("current", "current files: the data to check")
	out := f.String("out", "", "also write an HTML report here")
	failOnDrift := f.Bool("fail-on-drift", "exit with status 1 when the dataset drifted (default: 0 either way)")
	quiet := f.Bool("quiet", "no progress on stderr")
	help := f.Bool("help", "show this help")
	rf := addReadFlags(f)
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--reference FILE... --current FILE... [--out report.html] [options]")
		fmt.Fprintln(stdout, "\nTests every feature column (never the label) with Evidently 0.4's default data-drift tests and prints")
		fmt.Fprintln(stdout, "a JSON summary. Exit status 0 whether or not the data drifted (1 with --fail-on-drift), 2 on error.")
		return errHelp
	}
	if len(f.args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.args[0])
	}
	if len(*refFiles) == 0 || len(*curFiles) == 0 {
		return fmt.Errorf("%w: --reference and --current are required (flowsense drift --help)", errUsage)
	}
	opt, err := rf.options()
	if err != nil {
		return err
	}
	var log io.Writer = stderr
	if *quiet {
		log = nil
	}
	opt.Log = log
	read := progress.New(log, "reading", 2, 1)
	ref, err := readDriftFiles(*refFiles, opt, "reference", stderr)
	if err != nil {
		return err
	}
	read.Step(1, fmt.Sprintf("reference: %d rows, %d columns", ref.Rows, len(ref.Columns)))
	cur, err := readDriftFiles(*curFiles, opt, "current", stderr)
	if errors.Is(err, flowdata.ErrNoLabel) {
		// Live traffic has no label: read it against the reference's
		// columns. A category the reference never saw then reads as
		// missing, so chi-square and Jensen-Shannon cannot see it.
		unlabelled := opt
		unlabelled.Schema, unlabelled.Features = &ref.Schema, nil
		cur, err = readDriftFiles(*curFiles, unlabelled, "current", stderr)
		if err == nil && log != nil {
			fmt.Fprintln(log, "current: no label column; read against the reference's columns (categories the reference lacks count as missing)")
		}
	}
	if err != nil {
		return err
	}
	read.Step(2, fmt.Sprintf("current: %d rows, %d columns", cur.Rows, len(cur.Columns)))
	bar := progress.New(log, "testing", len(ref.Columns), 10)
	rep, err := drift.Compare(ref, cur, drift.Options{Progress: func(done, total int, column string) {
		bar.Step(done, column)
	}})
	if err != nil {
		return err
	}
	bar.Done(fmt.Sprintf("%d of %d columns drifted", rep.DriftedColumns, rep.NumColumns))
	if err := ctx.Err(); err != nil {
		return err
	}
	if *out != "" {
		page := drift.Page{Reference: strings.Join(*refFiles, ", "), Current: strings.Join(*curFiles, ", ")}
		if err := writeDriftReport(*out, func(w io.Writer) error { return drift.WriteHTML(w, rep, page) }); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if *out != "" && log != nil {
		fmt.Fprintf(log, "report: %s\n", *out)
	}
	if *failOnDrift && rep.DatasetDrift {
		return errDrift
	}
	return nil
}

// readDriftFiles reads one side of the comparison.
func readDriftFiles(files []string, opt flowdata.Options, side string, stderr io.Writer) (*flowdata.Dataset, error) {
	ds, err := flowdata.Read(files, opt)
	if err != nil {
		return nil, err
	}
	if ds.Skipped > 0 {
		fmt.Fprintf(stderr, "%s: skipped %d malformed rows\n", side, ds.Skipped)
	}
	return ds, nil
}

// writeDriftReport writes a file through a temporary one renamed into place,
// so that a failure leaves no partial file.
func writeDriftReport(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}
