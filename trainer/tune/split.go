package tune

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flowsense/flowsense/internal/runs"
	"github.com/flowsense/flowsense/trainer"
)

// DataHashes are the sha256 of each training file of cfg, in order: what
// a slice records as DataSHA256.
func DataHashes(cfg trainer.Config) ([]string, error) {
	return hashes(cfg.Data)
}

func hashes(files []string) ([]string, error) {
	fs, err := runs.HashFiles(files)
	if err != nil {
		return nil, err
	}
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.SHA256
	}
	return s, nil
}

// SplitKey describes how cfg cuts the training part from its data (the
// hold-out fraction and seed, or the test files' sha256, and the reading
// options): a slice records it as Split, and collecting with another
// split would test on rows the search trained on.
func SplitKey(cfg trainer.Config) (string, error) {
	var test []string
	if len(cfg.Test) > 0 {
		var err error
		if test, err = hashes(cfg.Test); err != nil {
			return "", err
		}
	}
	r := cfg.Read
	return fmt.Sprintf("holdout=%g seed=%d test=%v format=%s label=%q label-map=%q drop=%q features=%q skip-bad=%v",
		cfg.TestFraction, cfg.SplitSeed, test, r.Format, r.Label, r.LabelMap, r.Drop, r.Features, r.SkipBad), nil
}

// CheckCollect reports, as an error wrapping ErrSlice, whether the slices
// collected from dir (first is one of them) searched other data than cfg
// reads or cut the training part otherwise: finishing such a search
// would test on rows it trained on.
func CheckCollect(dir string, first *Slice, cfg trainer.Config) error {
	sha, err := DataHashes(cfg)
	if err != nil {
		return err
	}
	if !slices.Equal(sha, first.DataSHA256) {
		return fmt.Errorf("%w: --collect %s: the slices searched other data than --data %s (sha256 differs)", ErrSlice, dir, strings.Join(cfg.Data, " "))
	}
	sp, err := SplitKey(cfg)
	if err != nil {
		return err
	}
	if sp != first.Split {
		return fmt.Errorf("%w: --collect %s: the slices cut the training part otherwise (%s), not as these options do (%s): the held-out rows would not be held out", ErrSlice, dir, first.Split, sp)
	}
	return nil
}
