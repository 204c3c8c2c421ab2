// Command flowsense trains, evaluates and runs network-flow classifiers.
//
//	flowsense train   --data FILE... [--test FILE...] --out DIR   train, evaluate, write the model and its report
//	flowsense eval    --model DIR|model.wasm --data FILE...       metrics of a model on labelled data (JSON)
//	flowsense predict --model DIR|model.wasm --data FILE...       label, probability, outlier score, verdict per row (CSV)
//	flowsense serve   --model DIR|model.wasm [--addr HOST:PORT]   HTTP and CloudEvents endpoint
//	flowsense gen     --rows N --seed S --out FILE                synthetic labelled flows
//	flowsense compile --model DIR/model.json [--out model.wasm]   the standalone WebAssembly module
//	flowsense import  xgboost MODEL.json --out DIR                an XGBoost JSON model as a flowsense model and module
//	flowsense inspect DIR|model.json|model.wasm                   what a model is
//	flowsense drift   --reference FILE... --current FILE...      Evidently's data-drift tests (JSON; --out report.html)
//	flowsense simulate --target URL --data FILE... [--rate R]    send labelled flows to a function; live line, JSON summary
//	flowsense sensor  --pcap FILE|--interface IF --sink URL      packets to flows to CloudEvents at a Broker or a function
//	flowsense tune    --data FILE... --trials N --out DIR         parameter search; best vs defaults on held-out data (JSON)
//	flowsense runs    list | show ID | compare ID ID              the runs train and tune record (./runs, $FLOWSENSE_RUNS)
//
// Errors are one line naming the file, line and column where they apply,
// and exit with status 2; nothing partial is left behind. drift exits 0
// whether or not the data drifted, or 1 on drift with --fail-on-drift.
package main
