package tune

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/flowsense/flowsense/internal/atomicfile"
)

// SliceFormat is the "format" of slice files.
const SliceFormat = 1

// Slice is one slice of a split search, as a pod writes it: the search's
// settings, the sha256 of the data it read, and its bracket.
type Slice struct {
	Format     int      `json:"format"`
	Trials     int      `json:"trials"`
	TrialIndex int      `json:"trial_index"`
	TrialCount int      `json:"trial_count"`
	Folds      int      `json:"folds"`
	Eta        int      `json:"eta"`
	MinRounds  int      `json:"min_rounds"`
	MaxRounds  int      `json:"max_rounds"`
	Seed       uint64   `json:"seed"`
	Metric     string   `json:"metric"`
	BaseFirst  bool     `json:"base_first"`
	DataSHA256 []string `json:"data_sha256"`
	// Split says how the training part was cut from the data, as the
	// caller describes it (hold-out fraction and seed, or the test files'
	// sha256, and the reading options): collecting with another split
	// would test on rows the search trained on, so Collect's caller must
	// compare it with its own.
	Split  string `json:"split"`
	Search Search `json:"search"`
}

// NewSlice wraps a finished search of cfg on data of the given sha256s.
func NewSlice(cfg Config, dataSHA256 []string, s *Search) *Slice {
	return &Slice{Format: SliceFormat, Trials: cfg.Trials, TrialIndex: cfg.TrialIndex, TrialCount: max(1, cfg.TrialCount),
		Folds: cfg.Folds, Eta: cfg.Eta, MinRounds: cfg.MinRounds, MaxRounds: cfg.MaxRounds, Seed: cfg.Seed,
		Metric: cfg.Metric, BaseFirst: cfg.BaseFirst, DataSHA256: dataSHA256, Search: *s}
}

// SliceName is the file name of slice index of count.
func SliceName(index, count int) string { return fmt.Sprintf("tune-%03d-of-%03d.json", index, count) }

// WriteSlice writes s into dir as SliceName, atomically.
func WriteSlice(dir string, s *Slice) (string, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode slice: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, SliceName(s.TrialIndex, s.TrialCount))
	return path, atomicfile.WriteFile(path, append(b, '\n'))
}

// DecodeSlice reads a slice file's bytes and checks that it is whole: the
// known format, a trial index within its count, rungs that shrink and a
// best trial that is the best of the last rung. Errors wrap ErrSlice.
func DecodeSlice(b []byte) (*Slice, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var s Slice
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSlice, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the slice", ErrSlice)
	}
	bad := func(format string, args ...any) (*Slice, error) {
		return nil, fmt.Errorf("%w: %s", ErrSlice, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Format != SliceFormat:
		return bad("format %d, want %d", s.Format, SliceFormat)
	case s.TrialCount < 1 || s.TrialIndex < 0 || s.TrialIndex >= s.TrialCount:
		return bad("trial index %d of %d", s.TrialIndex, s.TrialCount)
	case s.Trials < s.TrialCount:
		return bad("%d trials in %d slices", s.Trials, s.TrialCount)
	case s.Metric != MetricMacroF1 && s.Metric != MetricAccuracy:
		return bad("metric %q", s.Metric)
	case s.Search.Metric != s.Metric:
		return bad("search metric %q, slice metric %q", s.Search.Metric, s.Metric)
	case len(s.Search.Rungs) == 0:
		return bad("no rungs")
	}
	prev := math.MaxInt
	for i, r := range s.Search.Rungs {
		if len(r.Trials) == 0 || len(r.Trials) > prev {
			return bad("rung %d has %d configurations after %d", i, len(r.Trials), prev)
		}
		prev = len(r.Trials)
		for _, t := range r.Trials {
			if t.ID < 0 || t.ID >= s.Trials || t.ID%s.TrialCount != s.TrialIndex {
				return bad("rung %d: trial %d is not in slice %d of %d", i, t.ID, s.TrialIndex, s.TrialCount)
			}
			if err := t.Params.Validate(); err != nil {
				return bad("rung %d trial %d: %v", i, t.ID, err)
			}
		}
	}
	last := s.Search.Rungs[len(s.Search.Rungs)-1].Trials
	top := slices.MinFunc(last, better)
	if top.ID != s.Search.Best.ID || top.Score != s.Search.Best.Score {
		return bad("best trial %d is not the best of the last rung (%d)", s.Search.Best.ID, top.ID)
	}
	return &s, nil
}

// ReadSlice reads one slice file; errors are *SliceError naming it.
func ReadSlice(path string) (*Slice, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		var s *Slice
		if s, err = DecodeSlice(b); err == nil {
			return s, nil
		}
	}
	return nil, &SliceError{Path: path, Err: err}
}

// Collect reads the slices in dir (tune-*-of-*.json), checks that they are
// all the slices of one search, each once, and returns the merged search:
// rung by rung the union of the slices' trials, best first, and as Best
// the best of the slices' bests. Slices whose last rungs ended at
// different rounds (a slice with fewer trials halves fewer times) are
// compared by score alone, as Hyperband compares its brackets. The slices'
// settings come back in the first slice (Trials, Folds, Seed, ...).
func Collect(dir string) (*Search, *Slice, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "tune-*-of-*.json"))
	if err != nil {
		return nil, nil, err
	}
	if len(paths) == 0 {
		return nil, nil, &SliceError{Path: dir, Err: fmt.Errorf("%w: no tune-*-of-*.json slice files", ErrSlice)}
	}
	slices.Sort(paths)
	var first *Slice
	seen := map[int]string{}
	merged := &Search{}
	for _, p := range paths {
		s, err := ReadSlice(p)
		if err != nil {
			return nil, nil, err
		}
		if first == nil {
			first = s
			merged.Metric = s.Metric
			merged.Best = s.Search.Best
		}
		same := s.Trials == first.Trials && s.TrialCount == first.TrialCount && s.Folds == first.Folds &&
			s.Eta == first.Eta && s.MinRounds == first.MinRounds && s.MaxRounds == first.MaxRounds &&
			s.Seed == first.Seed && s.Metric == first.Metric && s.BaseFirst == first.BaseFirst && slices.Equal(s.DataSHA256, first.DataSHA256) &&
			s.Split == first.Split
		if !same {
			return nil, nil, &SliceError{Path: p, Err: fmt.Errorf("%w: not the same search as %s (settings or data differ)", ErrSlice, paths[0])}
		}
		if q, dup := seen[s.TrialIndex]; dup {
			return nil, nil, &SliceError{Path: p, Err: fmt.Errorf("%w: slice %d again (also %s)", ErrSlice, s.TrialIndex, q)}
		}
		seen[s.TrialIndex] = p
		for i, r := range s.Search.Rungs {
			if i == len(merged.Rungs) {
				merged.Rungs = append(merged.Rungs, Rung{Rounds: r.Rounds})
			}
			merged.Rungs[i].Trials = append(merged.Rungs[i].Trials, r.Trials...)
		}
		if better(s.Search.Best, merged.Best) < 0 {
			merged.Best = s.Search.Best
		}
	}
	if len(seen) != first.TrialCount {
		var missing []int
		for i := range first.TrialCount {
			if _, ok := seen[i]; !ok {
				missing = append(missing, i)
			}
		}
		return nil, nil, &SliceError{Path: dir, Err: fmt.Errorf("%w: slices %v of %d missing", ErrSlice, missing, first.TrialCount)}
	}
	for i := range merged.Rungs {
		slices.SortStableFunc(merged.Rungs[i].Trials, better)
	}
	return merged, first, nil
}
