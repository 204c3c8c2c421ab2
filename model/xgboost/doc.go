// Package xgboost reads models saved by XGBoost in its JSON format
// (Booster.save_model("model.json")) into flowsense's model IR, so a model
// trained elsewhere, for example with XGBoost on GPU nodes, is validated,
// compiled to WebAssembly and served like one flowsense trained.
//
// It is a frontend in the treelite and leaves sense: one loader for one
// foreign format, apart from the predictors. Read converts; the native
// predictor ((*model.Model).Predict) and the wasm compiler only read the
// result.
//
// Supported: the gbtree and dart boosters (dart's per-tree weight_drop is
// folded into the leaves; random forests, num_parallel_tree > 1, are just
// more trees) with the objectives multi:softprob,
// multi:softmax (both become model.Softmax; the probabilities are
// softprob's, the class is their argmax, which is what softmax predicts)
// and binary:logistic (model.Logistic), numeric splits (XGBoost sends x
// left when x < split_condition: model.Less) and missing values with a
// default direction per node. Every feature becomes a numeric feature;
// rows carry NaN for a missing value, whatever `missing` value the
// training DMatrix used. Each node's sum_hessian becomes its cover
// (model.Tree.Cover), so an imported model is explained by TreeSHAP like
// a trained one (model.Explainer), with the values XGBoost's
// pred_contribs gives.
//
// Not supported, each rejected with ErrUnsupported naming it: other
// objectives (regression, ranking, binary:logitraw, ...), the gblinear
// booster, categorical splits, vector-leaf (multi-target) trees,
// and the binary UBJSON and legacy formats. Tested against models saved by
// XGBoost 1.7.4 (testdata/README.md). An imported model carries no
// reference histograms and no outlier detector: XGBoost's file holds
// neither.
package xgboost
