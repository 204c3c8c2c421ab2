// Package tune searches the tree ensemble's parameters: random search with
// successive halving (the bracket Hyperband repeats), each configuration
// scored by stratified K-fold cross-validation on the training part, the
// fits run in parallel; then the best configuration and the defaults are
// trained the same way on the whole training part and compared on held-out
// data (a test file or a stratified hold-out), so that the answer to "did
// tuning help?" is measured where the search never looked.
//
// Successive halving: Trials configurations are drawn at random (each from
// its own seed, so a configuration does not depend on which process draws
// it; trial 0 is the defaults themselves unless BaseFirst is off); rung 0 fits each with MinRounds boosting rounds, every later rung
// keeps the best 1/Eta by cross-validated score and gives them Eta times
// more rounds, up to MaxRounds, until one configuration is left. The best
// of the last rung is the result. A search can be cut into slices
// (TrialIndex of TrialCount: trials i with i mod TrialCount = TrialIndex),
// each a bracket of its own run by a separate process or pod; Collect
// picks the best over the slices' last rungs.
//
// The package tunes gbdt.Params only; the outlier detector keeps its
// defaults (its threshold is a quantile of benign scores, not a fitted
// figure to search). It is not a general optimiser: no Bayesian model of
// the score surface, no early stopping of a fit within a rung.
package tune
