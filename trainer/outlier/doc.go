// Package outlier fits flowsense's Mahalanobis outlier detector, the IR's
// *model.Outlier, in two forms: a batch detector fitted once on benign rows
// (Fit), and alibi-detect's online detector, which updates its mean and
// covariance with every batch it scores (Online), exportable to the IR and
// resumable from it.
//
// It is for training: it takes columns and rows, not files (flowdata
// reads files), and it writes the IR. It is not a scorer: a fitted detector
// is scored by the reference predictor, model.Outlier.Score, and Fit
// computes its training-score thresholds with that very function. The only
// second scorer is Online.Score, which is alibi-detect's update-then-score
// step, not the IR's static score.
//
// # Batch detector (Fit)
//
// For benign rows x_i (i = 1..n) of d inputs:
//
//	x_ij    = sign(x_ij)·ln(1+|x_ij|)              for the inputs Log1p flags
//	Mean_j  = mean of the finite x_ij               (NaN, ±Inf left out)
//	Scale_j = population standard deviation of the same values
//	u_i     = (x_i - Mean) / Scale                  (non-finite x_ij -> 0)
//	Σ       = Σ_i u_i u_iᵀ / (n-1)                   (a correlation matrix)
//	Σ       = V Λ Vᵀ, eigenvalues λ_1 >= λ_2 >= ...
//	Projection = V[:, 1..k],  InvCov = diag(1 / (max(λ_c, 0) + r)),
//	r = 1e-6 · trace(Σ)/d                           (ridge)
//
// so that model.Outlier.Score is Σ_c (v_cᵀ u)² / (λ_c + r), the squared
// Mahalanobis distance in the space of the top k principal components; with
// every component kept (Params.Components 0, the default) it is the full
// squared Mahalanobis distance uᵀ Σ⁻¹ u up to the ridge. The signed log1p
// is the IR's (model.Outlier.Log1p), so the scorer applies it to a scored
// row exactly as Fit applied it to the training rows.
//
// Choices:
//   - Inputs are standardised (the IR's Mean and Scale), so features of
//     wildly different scales weigh alike and the covariance is a
//     well-conditioned correlation matrix.
//   - Params.Log1p picks the inputs taken through the signed log1p: none,
//     all, or (the default, Log1pAuto) those whose benign values span at
//     least three orders of magnitude, (max|x| + 1) >= 1000·(median|x| + 1).
//     Bytes, durations, rates per second and inter-arrival times do; rates
//     in [0, 1], flags and small counts do not. The rule reads only the
//     benign training rows.
//   - A constant column (standard deviation at most 1e-9 of its magnitude,
//     fewer than two finite values, or all missing) gets Scale 1 and a zero
//     row in Projection: it is dropped from the PCA and never changes a
//     score, whatever value a scored row carries there. If every column is
//     constant Fit fails with ErrConstant.
//   - A singular or near-singular covariance (duplicated or linearly
//     dependent columns) is regularised by the ridge r, so InvCov is finite
//     and bounded by 1e6 times the inverse mean variance.
//   - Missing and infinite training values are left out of Mean and Scale
//     and count as the mean in the covariance, as NaN does in the IR's
//     scorer. Scored rows follow the IR: NaN -> Mean, ±Inf ->
//     ±math.MaxFloat32. Clip is nil: clipping a scored row would hide how
//     far out it is.
//   - The threshold is one of: the ThresholdQuantile quantile of the benign
//     training scores (numpy's linear interpolation; default 0.99), mean +
//     ThresholdStdev · std of those scores, or an explicit Threshold. Only
//     one may be set.
//
// Measured ROC-AUC (attack vs benign) of detectors fitted on the benign
// training rows with the default parameters but for Log1p (realdata tests
// TestRealKDDBatch, TestRealNSLKDDBatch and TestRealCICIDS2017Batch log
// these figures):
//
//	                                  none     all      auto (default)
//	KDD Cup 99 10%, 18 features       0.99522  0.96135  0.99522 (0 logged)
//	NSL-KDD, 38 numeric features      0.92446  0.95454  0.95075 (5 logged)
//	CIC-IDS2017, 83 numeric features  0.95388  0.96785  0.98280 (42 logged)
//
// KDD Cup 99 10% (kddcup.data_10_percent, UCI; DARPA 1998, MIT Lincoln
// Lab) with alibi-detect's 18 traffic features is fitted on its 97,278
// normal rows and scored over all 494,021; NSL-KDD (Tavallaee et al. 2009)
// is fitted on KDDTrain+ and scored on KDDTest+; CIC-IDS2017 (Engelen et
// al. 2021 sample) on train.csv and test.csv. With the default 0.99
// quantile threshold the KDD detector flags 1.00% of normal rows, F1 0.991.
//
// How the rule was chosen. Logging one input at a time (ROC-AUC change
// against none): on KDD 99 only srv_count matters, and its log costs 0.034
// (smurf floods sit at its maximum, 511, which the log pulls in), although
// its benign values are skewed (skewness 7.3, 0.6 after the log); on
// NSL-KDD the logs of src_bytes (+0.016) and of duration, dst_bytes,
// count, srv_count, hot and num_compromised (+0.006 to +0.009) help; on
// CIC-IDS2017 most byte, time and rate features help (Total TCP Flow Time
// +0.012) while the RST flag counts and Packet Length Variance hurt (-0.004
// to -0.008). A skewness rule cannot tell KDD's srv_count from NSL-KDD's
// count (both skewed, both spanning 2.01 decades): |skewness| above 1, 2,
// 5, 10 gave KDD 0.958, 0.959, 0.960, 0.995; NSL 0.955, 0.956, 0.952,
// 0.952; CIC 0.968, 0.984, 0.983, 0.982. The span rule with a cut-off of
// 1, 1.5, 2 decades gave KDD 0.961 (srv_count logged), NSL 0.956, 0.957,
// 0.952 and CIC 0.969, 0.984, 0.985; with 2.5, 3, 4 decades KDD 0.99522,
// NSL 0.951, 0.951, 0.949 and CIC 0.982, 0.983, 0.982. Three decades keeps
// a margin from KDD's 2.01 and is within 0.006 of the best on the other
// two. On KDD 99 no rule gains anything, so its ROC-AUC stays 0.9952: thin
// against the bar of 0.995 and short of the 0.997 it aimed at, and
// neither components nor ridge get there (next paragraph).
//
// Components and ridge, with the default rule (KDD / NSL / CIC): every
// component 0.99522 / 0.951 / 0.983; 16 components 0.99534 / 0.889 /
// 0.931; 12: 0.9945 / 0.874 / 0.909; 8: 0.9942 / 0.860 / 0.897 (KDD gives
// 0.8996 with 2 components, 0.9922 with 5, 0.9954 with 17). A ridge of
// 1e-3, 1e-2, 1e-1, 1 times the mean eigenvalue gives KDD 0.99526,
// 0.99557, 0.99533, 0.99496 and costs NSL and CIC up to 0.016 and 0.020,
// so the ridge stays a regulariser (1e-6) and every component is kept.
// (Fitting KDD on its 55,808 distinct normal rows instead of all 97,278,
// which repeat, gives 0.99582; not done: it would weigh benign flows by
// something other than how often they occur.)
//
// # Online detector (Online)
//
// A faithful reproduction of alibi-detect's Mahalanobis detector
// (alibi_detect/od/mahalanobis.py, Mahalanobis.score; the same algorithm
// as Seldon's CoreMahalanobis outlier component). The state is the row
// count n, the running mean m and the unbiased covariance C of the clipped
// rows seen, and the clipping bounds. For a batch of rows x_0..x_{b-1}
// (after standardisation, see below):
//
//	n'   = min(n, MaxN) when MaxN > 0, else n
//	xc_i = clip(x_i, m - NStdev·sd, m + NStdev·sd)   if n > StartClip
//	       x_i                                        otherwise
//	       (m, sd = sqrt(diag C) as they were before the batch)
//	m_0  = m,  m_{i+1} = m_i + (xc_i - m_i) / (n' + i + 1)
//	C'   = ((n'-1) C + Σ_i (n'+i)/(n'+i+1) (xc_i - m_i)(xc_i - m_i)ᵀ) / (n' + max(1, b-1))
//	V    = top-k eigenvectors of C'   (scipy.linalg.eigh in alibi)
//	S_0  = Vᵀ C V, the projected covariance of the rows before the batch
//	score_i = (Vᵀ(x_i - m_i))ᵀ S_i⁻¹ (Vᵀ(x_i - m_i))
//
// where S_i⁻¹ is the inverse projected covariance of every row before row
// i: from the first row whose S has |det| > 1e-8 it is carried forward by
// Sherman–Morrison updates, S_{i+1}⁻¹ = c - c b c / (1 + tr(b c)) with
// c = (n'+i)/(n'+i-1) S_i⁻¹ and b = p pᵀ/(n'+i+1), p = Vᵀ(xc_i - m_i);
// before it S is built up as S <- (n'+i-1)/(n'+i) S + b and the row scores
// 0. Note that the score projects the raw row x_i while the updates use
// the clipped xc_i, the principal axes come from the covariance after the
// batch while S and m_i come from the rows before row i, and clipping
// starts for the first batch that more than StartClip rows precede. After
// the batch, m = m_b, C = C', n += b, and the bounds are recomputed once n >
// StartClip. InferThreshold(rows, p) scores rows (so it also updates, as in
// alibi) and sets the threshold to their p-th percentile; Predict scores
// and flags score > threshold.
//
// Differences from alibi-detect, all chosen:
//   - Standardisation: NewOnlineScaled takes a fixed offset and scale and
//     works on z = (x - offset)/scale, which alibi's KDD example does by
//     hand; the algorithm above runs on z. This lets Model export a
//     detector that scores raw rows.
//   - Bad input: NaN counts as the running mean, ±Inf and values beyond
//     float32's range are clamped to ±math.MaxFloat32 (the IR's rules);
//     alibi propagates NaN. A batch of the wrong width is rejected with
//     ErrShape and leaves the state unchanged.
//   - Predict and Model need a threshold (ErrNoThreshold) where alibi
//     compares with None.
//   - Per-row inverse updates use the symmetric form c - g (c p)(c p)ᵀ
//     instead of c - c b c/(1 + tr(b c)) as two matrix products: the same
//     in exact arithmetic. The eigenvectors come from LAPACK dsyev (gonum)
//     rather than scipy's eigh; eigenvector signs and the order of the
//     components do not change a score.
//   - alibi's quirks are kept: a one-row batch divides by n+1 rather than n
//     (max(1, b-1) in the denominator), so C is then slightly biased; rows
//     scored before the projected covariance is non-singular score 0.
//   - MaxN is not carried by the IR: Model does not export it and Resume
//     sets it to 0.
//
// Checked against a line-by-line numpy transcription of alibi's score on
// the same KDD batches: the scores agree to a relative 1e-11.
//
// Model exports the state: Mean is the running mean in input units
// (offset + scale·m), Scale the fixed scale, Projection the top-k
// eigenvectors of C, InvCov = diag(1/λ) of the projected C, the current
// threshold, Clip nil (alibi clips only the rows that update, never a row
// it scores), and Online = {NStdev, StartClip, Seen: n, Cov: C in
// standardised units}. model.Outlier.Score of the export is then alibi's
// score of a next one-row batch except that the principal axes are those of
// C rather than of C updated with that row. Resume rebuilds an Online that
// continues exactly (to rounding) where the exported one stood.
//
// Measured under alibi-detect's KDD protocol (od_mahalanobis_kddcup;
// realdata tests TestRealKDDOnlineNotebook and TestRealKDDOnline):
// standardise with the mean and population deviation of 100,000 normal
// rows drawn with replacement; n_components=2, std_clip=3, start_clip=20;
// threshold at the 95th percentile of a 1000-row batch with 5% attacks
// (950 normal and 50 attack rows, each group drawn without replacement,
// then shuffled; scoring it updates the detector); then 1000-row batches
// with 10% attacks predicted in turn by that detector (each prediction
// updates it). Every attack category counts as an outlier.
//
//   - The notebook's own rows, replayed from numpy's RandomState
//     (testdata/notebook_batches.py): the Go detector reproduces the
//     notebook's printed threshold 10.670934046719518 (to 3e-8: the data
//     package reads float32) and F1 0.9693877551020408 (exactly). The 20
//     batches of seeds 1..20 then give
//     a mean F1 of 0.9503 when predicted in sequence, 0.9585 when each
//     gets a fresh detector with the same threshold batch (the notebook's
//     cell repeated); alibi-detect's numpy code gives the same figures on
//     the same rows. The notebook's 0.969 is its single first batch.
//   - With Go's RNG over 50 seeds × 20 batches: mean F1 0.9460 in sequence
//     (sd 0.021 per batch, 0.833 to 0.990), 0.9485 repeated. The threshold
//     from the cold-start batch ranges from 0.88 to 27 with the seed and
//     drives most of the spread.
//   - On the notebook's rows the best fixed threshold in hindsight gives
//     0.957 in sequence (at 21) and 0.960 repeated (at 16): the score, not
//     only the threshold, caps the protocol. At the notebook's threshold
//     misses outnumber false alarms, 133 to 62 over 2000 attack rows in
//     sequence, and 94 of the misses are neptune SYN floods.
//   - Changes to the score, measured on the notebook's rows (in sequence /
//     repeated); none is adopted: scoring each batch against the state
//     after it (its mean and projected covariance) 0.902 / 0.923; doing so
//     for the cold-start batch only 0.903 / 0.928; scoring against the
//     state before the batch, without per-row updates, 0.9505 / 0.9593;
//     scoring 0 the rows that fewer than 20, 50 or 100 rows precede (a
//     warm-up in place of alibi's singular-covariance rule) 0.946 / 0.957,
//     0.943 / 0.956, 0.925 / 0.941. Scoring the rows seen before the
//     projected covariance is invertible (the first 3 of the cold-start
//     batch) through a floored pseudo-inverse, which puts them far out
//     instead of at 0, gives 0.9553 in sequence on the notebook's rows and
//     0.9528 over the 50 seeds, but only because those 3 rows then sit
//     above the 95th percentile, which lifts the threshold (10.67 to 18.13
//     on the notebook's rows): a higher percentile in disguise, so not
//     adopted either. More components make the protocol
//     worse (an earlier measurement over 40 seeds: mean F1 0.92 with 3,
//     0.80 with 5).
//
// So the bar, a mean F1 of 0.959 over 20 batches, is above what
// alibi-detect's algorithm reaches under its own protocol; the realdata
// test asserts the measured 0.9460 minus 0.005.
package outlier
