// Package drift says whether the distribution of network flows has moved
// between a reference file (what a model was trained on) and a current one
// (what it sees now), column by column and for the dataset as a whole, with
// the tests Evidently's DataDriftPreset runs by default (Evidently 0.4.x),
// and draws the result as a self-contained HTML page.
//
// # What is followed
//
// The rules are those of Evidently 0.4's
// evidently/calculations/stattests/registry.py (_get_default_stattest),
// utils/data_preprocessing.py (_get_column_type),
// metrics/data_drift/column_drift_metric.py (get_one_column_drift) and the
// stattest files named below:
//
//   - Values that are NaN or infinite are dropped first; a column left empty
//     in either file is an error (ErrEmpty), as in Evidently.
//   - Column kind: a categorical column of the data reader is "cat". A
//     numeric column is "cat" when pandas would read the current file's
//     column as integers (every value finite and whole, none missing) and
//     the reference has at most 5 distinct values; otherwise "num".
//   - With n the finite values of the reference column and k the distinct
//     values of both columns together: when n <= 1000, a "num" column with
//     k > 5 gets the two-sample Kolmogorov-Smirnov test (ks_stattest.py),
//     any other column the chi-square test when k > 2 (chisquare_stattest.py:
//     scipy.stats.chisquare of the current counts against the reference
//     counts scaled to the current size) or the two-proportion z-test when
//     k <= 2 (z_stattest.py: the first category in sorted order is 0, p =
//     2(1-Phi(|z|)), 1 when both hold one same value); drift when p < 0.05.
//     When n > 1000: a "num" column with k > 5 gets the Wasserstein distance
//     divided by max(std of the reference, 0.001)
//     (wasserstein_distance_norm.py), any other column the Jensen-Shannon
//     distance (base 2) between the two samples' shares per value
//     (jensenshannon.py with utils.get_binned_data, which for these columns
//     always counts values: its Sturges binning applies only to "num"
//     columns with more than 20 reference values, which never reach it
//     under the default selection); drift when the distance >= 0.1.
//   - The dataset drifts when the share of drifted columns is >= 0.5.
//
// The statistics are ports of scipy 1.10's: KS2Samp is ks_2samp with
// method "auto" (exact up to 10,000 values per sample, else kstwo at
// round(n1 n2/(n1+n2))), ChiSquare, Wasserstein, StdDev (numpy.std) and
// JensenShannon (scipy.spatial.distance.jensenshannon); testdata holds
// goldens made by scipy itself (see testdata/README.md).
//
// Deviations: the label column is never tested (Evidently tests a target
// column too); the integer rule looks at values, since the reader keeps
// float32 (a cell written "3.0" counts as whole, which pandas would read as
// a float); columns are matched by name and must be the same in both files
// (Evidently skips a column present in only one); a column numeric in one
// file and categorical in the other is an error (ErrKind) rather than a
// warning.
//
// It is not a monitoring service: it compares two files in memory (float32
// columns as flowdata reads them) and keeps no state. The live drift of
// served traffic against a model's reference histograms is a metric of the
// functions package, not this.
package drift
