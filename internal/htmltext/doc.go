// Package htmltext escapes text for the project's self-contained HTML
// pages (the training report and the drift page), so that a column name
// or a class label from a data file cannot break out of the markup.
package htmltext
