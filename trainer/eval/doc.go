// Package eval computes the quality figures of a trained flowsense model on
// a labelled test set: accuracy, macro- and weighted-F1, per-class
// precision/recall/F1/support, the confusion matrix, one-vs-rest ROC and
// precision-recall curves with their areas, and the same figures for the
// Mahalanobis outlier detector. [Metrics] is the shape of metrics.json;
// [Curves] carries the downsampled curves the HTML report draws.
//
// The definitions follow scikit-learn 1.2 so that figures can be compared
// with published results: ROC-AUC is the exact trapezoid over all distinct
// thresholds (tied scores form one diagonal step, like roc_auc_score), the
// area under the precision-recall curve is average precision (like
// average_precision_score, a step integral with no interpolation), and
// precision, recall and F1 are 0 when their denominator is 0. The tests
// compare against values computed by scikit-learn (testdata/README.md).
//
// # Unknown true labels
//
// A test row may carry a true label the model does not know (an attack
// name never seen in training): its class index is -1. Such a row is
// always an error. It is counted in accuracy's denominator; it is a false
// positive for whatever class was predicted (so it lowers that class's
// precision); it is a negative for every one-vs-rest curve; the confusion
// matrix gets one extra last row (true = unknown, columns = predicted
// classes) and per_class gets an extra entry named [UnknownClass] with its
// support and precision = recall = F1 = 0. That entry is not part of the
// macro or weighted averages, which run over the model's classes only,
// like scikit-learn's f1_score(..., labels=<known classes>).
//
// # Which classes are averaged
//
//   - macro_f1 and weighted_f1: the known classes present in the true
//     labels or in the predictions (scikit-learn's default label set, less
//     the unknown label). A class neither present nor predicted is listed
//     in per_class with zeros but is not averaged.
//   - roc_auc: the classes with both positives and negatives in the test
//     set (scikit-learn's roc_auc_score multi_class="ovr" average="macro"
//     raises instead when a class lacks either; we leave it out).
//   - pr_auc: the classes with at least one positive.
//
// An average over no class is 0 (JSON has no NaN).
//
// This package is not a trainer, does not read files and does not draw:
// it takes index slices and scores from the caller, and package report
// renders what it returns. It imports only the standard library.
package eval
