// Package flowdata reads labelled network-flow tables into column-major
// datasets for training and evaluation, and streams rows against a trained
// model's schema for prediction.
//
// It reads CSV, plain or gzip-compressed (detected from the bytes, never the
// file name), in three shapes: "kdd" (KDD Cup 99 and NSL-KDD, no header),
// "cicflowmeter" (CIC-IDS2017/CSE-CIC-IDS2018 flow features under any of
// their spellings, canonicalised through one alias table, identifier columns
// dropped) and "csv" (any labelled CSV with a header, column kinds inferred).
// Format "auto" sniffs the shape from the first record. Flow logs (Zeek
// conn.log, Suricata EVE flow events, AWS VPC Flow Logs: "zeek", "eve",
// "vpcflow", also sniffed) are converted line by line into a CSV of
// documented columns (FLOWLOGS.md).
//
// Read loads whole files into a Dataset (parsing in parallel, deterministic
// whatever the scheduling); RowReader streams one row at a time against a
// model.Schema, which is how test files, predict and the HTTP functions read
// uploads. Both share one record splitter and one cell parser. For data
// larger than memory, Options.Sample keeps a seeded sample of the rows
// (with every row's label and the whole schema), and Options.Chunks hands
// the rows over in file order, against a schema, keeping none.
//
// Design note: Read cuts each file into chunks of whole records (about 1
// MiB) in one goroutine, parses chunks on GOMAXPROCS workers into
// chunk-local columns and vocabularies, and merges them in file order,
// remapping category codes to first-seen order; vocabularies and classes
// are sorted at the end. The result does not depend on scheduling
// (TestParallelDeterministic). A csv column is numeric when every non-empty
// cell is a number; when one turns categorical, the text of its number
// cells is needed, and rather than keeping the text of every cell in
// case, the files are read a second time for those columns only (rare in
// practice: never on the real datasets).
//
// It is not a general CSV library: records are RFC 4180 with lenient quotes,
// lone-CR line endings are not supported, and there is no writer beyond
// Dataset.WriteCSV. It imports only the standard library and model, so that
// serving code can use it without pulling in training code.
package flowdata
