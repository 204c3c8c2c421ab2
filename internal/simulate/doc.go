// Package simulate is a load simulator for a running flowsense function:
// it draws labelled flows from a file, sends them to the function at a
// bounded rate, for a bounded time or count, over a bounded number of
// concurrent requests, and scores the answers against the file's labels.
// It is what `flowsense simulate` runs.
//
// A run reads the model's metadata from TARGET/model (feature names,
// categories, classes, benign classes), then sends each flow either as
// plain JSON to TARGET/predict (ModeJSON: an object of named fields, an
// array of them when Batch > 1) or as a binary-mode CloudEvent of type
// io.flowsense.flow.v1 to TARGET itself through sdk-go's client
// (ModeCloudEvents: the reply event carries the classification). With
// Feedback it posts {"predicted": LABEL, "truth": LABEL} (an array when an
// answer held several flows) to TARGET/feedback after every answer. It
// sends to the one URL it is given and nowhere else.
//
// Which rows are sent: by default every pass over the file is a fresh
// seeded permutation of its rows (OrderShuffle; OrderFile keeps the file's
// order), so a run of Count = rows sends every row exactly once and its
// accuracy is the accuracy `flowsense eval` computes on that file.
// AttackFraction instead draws each flow at random from the attack rows
// (labels that are not among the model's benign classes, or that the model
// does not know) with that probability and from the benign rows otherwise.
// OutlierFraction replaces that fraction of draws by an outlier: a benign
// row (any row when the file has none) with every finite, non-zero numeric
// feature multiplied by OutlierScale (10 by default); categorical
// features, zeros, NaN and infinities are left as they are. An outlier has
// no true label: it is left out of the accuracy and of the feedback, and
// its verdicts are counted apart (Summary.Outliers).
//
// Pacing is a token bucket of Rate flows a second that holds at most
// Batch x Concurrency flows, so a stall is followed by at most one round of
// catching up; requests wait for a free slot among Concurrency. Latency is
// recorded per request in a log-linear histogram (relative error under
// 1/128; the maximum is exact).
//
// It is not a benchmark harness of the handler (functions' Go benchmarks
// are) and not a traffic generator for arbitrary services: it speaks the
// flowsense API only.
package simulate
