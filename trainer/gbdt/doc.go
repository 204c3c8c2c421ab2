// Package gbdt trains gradient-boosted decision trees for flow
// classification and writes them as the model IR's model.Ensemble.
//
// It is for training only: it takes feature-major float32 columns and class
// labels (see Data) and returns an ensemble that model's reference predictor
// evaluates exactly as the trainer did. It does not read files (flowdata
// does), evaluate test sets or encode model files.
//
// # Algorithm
//
// Histogram gradient boosting, in the manner of LightGBM and scikit-learn's
// HistGradientBoostingClassifier:
//
//   - Binning. Each numeric feature is cut into at most MaxBins value bins at
//     quantiles of a sample of its values; every cut (edge) is a real data
//     value, the smallest value of the bin above it. Bin 0 of every feature
//     holds missing values (NaN). A categorical feature has one bin per
//     vocabulary code; NaN and codes outside the vocabulary share bin 0, the
//     same rule the predictor applies. Each feature's bins are stored as
//     uint8, or uint16 for a feature of more than 256 bins. Binning happens
//     once per Train (the refit reuses it), and with Data.Release the raw
//     columns are dropped once binned; or ahead of Train, from a sample's
//     edges, as the rows are read (NewBins, Bins.Add, Data.Bins), so that
//     the float32 columns never exist.
//   - Objective. Two classes: binary logistic loss, one raw score
//     (model.Logistic). More: softmax cross-entropy (model.Softmax), grown
//     either as one tree per round with vector leaves (Multiclass "vector",
//     Tree.Output -1) or one tree per class per round ("per-class").
//     Gradients are computed once per round in float32, optionally weighted
//     per class ("balanced" or explicit weights) and per row.
//   - Quantised histograms. For each tree the gradients and hessians are
//     scaled to integers of at most 127 in magnitude with seeded stochastic
//     rounding (LightGBM 4's quantised training), stored in 16 bits per row
//     and output and widened to one packed int64 where they are added (read
//     by row id, no node-ordered copy), so a histogram bin costs one integer add per row
//     and output, sums are exact and order-free, and the sibling histogram
//     obtained by subtraction is exact. Split gains use the dequantised
//     sums; leaf values use the float gradients. A bin holding at least
//     half the rows (the zero of most flow counters) is not visited: its
//     sums are the node's totals minus the other bins.
//   - Trees. Grown best-first (Growth "leaf": split the leaf with the largest
//     gain) or level by level ("depth"), up to MaxLeaves leaves and MaxDepth
//     levels. For each candidate leaf a histogram of gradient and hessian
//     sums per bin is built (features in parallel, one goroutine per feature
//     at a time, so the sums never depend on scheduling), only for the
//     smaller child of a split: the larger child's is the parent's minus it.
//     The gain of a split is the XGBoost/L2 second-order gain, summed over
//     leaf outputs for vector leaves; MinChildWeight, MinChildSamples and
//     MinSplitGain bound it. Missing values are tried on both sides of every
//     numeric threshold and the better side becomes the node's default
//     direction (the larger child's side when a node saw no missing value).
//     Categorical features are split as sets: the categories present in the
//     leaf are ordered by gradient/(hessian+smoothing) (once per output for
//     vector leaves) and the best prefix of that order goes left, written as
//     a model.InSet node; unseen codes take the default direction.
//   - Exactness. Thresholds are the float32 edges and nodes use model.Less,
//     so x < threshold exactly when x's bin is on the left; leaves are
//     rounded to float32 before the trainer adds them to its float64 scores,
//     in tree order, as the predictor does. The predictor's raw scores on
//     the training rows equal the trainer's.
//   - Sampling and stopping. Rows (Subsample) and features (ColSample) are
//     sampled per tree from a PCG generator seeded by Seed. With EarlyStopping
//     rounds of patience and at least 100 rows, a stratified
//     ValidationFraction of the rows is held out; training stops when their
//     error rate (every row weighing alike, whatever its class weight) has not
//     fallen for EarlyStopping rounds and the ensemble is cut back to the
//     best round. With Refit it is then trained again on every row for that
//     many rounds. Result.Stop says why training ended.
//   - Bagging. Params.Bag above 1 trains that many models, each the whole
//     procedure above with its own seed drawn from Seed, and averages their
//     raw scores as one ensemble (each member's leaves divided by Bag, the
//     mean base score; bag.go): the model format and predictors are
//     unchanged. Result.Members lists each member's choices.
//   - Class weighting. WeightAuto trains with balanced weights and weighs
//     balanced, its square root and none on the validation rows as offsets
//     of the raw scores (auto.go): balanced stays unless another weighting
//     beats its macro-F1 by more than one row of the smallest class can and
//     is right on significantly more of the rows where the two disagree (a
//     one-sided sign test at 5%). The choice and its scores are in
//     Result.Weights.
//
// The same Data and Params give the same ensemble, bit for bit, whatever
// Threads is.
package gbdt
