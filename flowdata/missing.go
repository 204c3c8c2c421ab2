package flowdata

import (
	"fmt"
	"strings"
)

// MissingFeatureError is ErrMissingFeature with what was asked for and what
// the file has. Its message names a few of each, not all: a model of 80
// features read against a file of another kind would otherwise be one line
// of several thousand characters.
type MissingFeatureError struct {
	// Missing are the features asked for that the file lacks, in order;
	// Wanted is how many were asked for.
	Missing []string
	Wanted  int
	// Columns are the file's field names as read under Format (for KDD
	// the names the format gives by position).
	Columns []string
	// Format is the format the file was read as; Forced says it was given
	// (Options.Format) rather than sniffed, and then Sniffed is what
	// sniffing would have chosen.
	Format  Format
	Forced  bool
	Sniffed Format
}

// MaxNamesInError is how many names of each list an error message shows.
const MaxNamesInError = 6

func (e *MissingFeatureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d features not among the file's %d columns: %s (the file has %s)",
		ErrMissingFeature, len(e.Missing), e.Wanted, len(e.Columns), quoteSome(e.Missing), quoteSome(e.Columns))
	if e.Forced && e.Sniffed != "" && e.Sniffed != e.Format {
		fmt.Fprintf(&b, "; read as format %s, but the file looks like %s", e.Format, e.Sniffed)
	}
	return b.String()
}

// Unwrap returns ErrMissingFeature.
func (e *MissingFeatureError) Unwrap() error { return ErrMissingFeature }

// quoteSome quotes up to MaxNamesInError names, space-separated, and says
// how many it left out.
func quoteSome(names []string) string {
	n := min(len(names), MaxNamesInError)
	q := make([]string, n)
	for i, s := range names[:n] {
		q[i] = fmt.Sprintf("%q", s)
	}
	s := strings.Join(q, " ")
	if len(names) > n {
		s += fmt.Sprintf(" … %d more", len(names)-n)
	}
	return s
}
