package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/internal/atomicfile"
)

func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gen")
	f.String("rows", "50000", "number of flows")
	f.String("seed", "1", "random seed (same seed, same bytes)")
	f.String("novel", "0", "fraction of novel (unlabelled-kind) outlier flows")
	out := f.String("out", "", "output CSV (default: stdout)")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--rows N --seed S --out FILE")
		return errHelp
	}
	var opt synth.Options
	var n, s int
	if err := f.Int("rows", &n); err != nil {
		return err
	}
	if err := f.Int("seed", &s); err != nil {
		return err
	}
	if n < 1 || s < 0 {
		return fmt.Errorf("%w: --rows must be positive and --seed not negative", errUsage)
	}
	opt.Rows, opt.Seed = n, uint64(s)
	if err := f.Float("novel", &opt.Novel); err != nil {
		return err
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := synth.Write(bw, opt); err != nil {
			return err
		}
		return bw.Flush()
	}
	if *out == "" {
		return write(stdout)
	}
	if err := atomicfile.Write(*out, write); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %d flows to %s\n", n, *out)
	return nil
}
