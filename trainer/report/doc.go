// Package report renders the evaluation of a trained flowsense model as
// one self-contained HTML file: summary and per-class tables, a
// confusion-matrix heatmap, one-vs-rest ROC and precision-recall curves,
// the training curve, feature importance by gain and by mean absolute
// TreeSHAP value, dependence plots of the top features and, when an
// outlier detector was evaluated, its ROC curve and score histograms.
//
// The file needs nothing else to be read: the CSS is inline and every
// chart is an inline SVG drawn here, so it opens offline, in a mail
// attachment, or in a browser with JavaScript disabled. Every string that
// comes from data (class and feature names, parameters, the dataset
// description) is HTML-escaped, and the whole document is also well-formed
// XML, which the tests check with encoding/xml.
//
// This package does not compute metrics (package eval does) and does not
// read models or datasets: the caller fills an [Input]. It imports the
// standard library and trainer/eval only.
package report
