package eval

// Training describes how the classifier was trained: the rounds, where and
// why boosting stopped, the validation curve and the class weighting that
// was chosen. The trainer fills it in (Evaluate does not); it is
// metrics.json's "training" object.
type Training struct {
	// RoundBudget is the most rounds allowed, Rounds the rounds trained,
	// BestRound the rounds kept (the best validation loss).
	RoundBudget int `json:"round_budget"`
	Rounds      int `json:"rounds"`
	BestRound   int `json:"best_round"`
	// Stop is why training ended: "patience" (the validation loss had not
	// improved for Patience rounds), "budget" (RoundBudget reached) or
	// "no-validation" (no validation split: RoundBudget trained);
	// StopReason says it in a sentence.
	Stop       string `json:"stop"`
	StopReason string `json:"stop_reason"`
	Patience   int    `json:"patience"`
	// TrainRows and ValidRows are the rows boosting fitted and stopped on.
	TrainRows int `json:"train_rows"`
	ValidRows int `json:"valid_rows"`
	// Refit is true when the kept ensemble was trained again on every row
	// (validation rows included) for BestRound rounds.
	Refit bool `json:"refit"`
	// ClassWeight is the weighting the kept ensemble was trained with;
	// ClassWeightTrials the weightings tried and their validation scores
	// when it was chosen (empty when it was given).
	ClassWeight       string        `json:"class_weight"`
	ClassWeightTrials []WeightTrial `json:"class_weight_trials,omitempty"`
	// Curve is the loss after every round trained (of the chosen
	// weighting), including the rounds after BestRound that were cut off.
	Curve []TrainingRound `json:"curve"`
	// Bag lists the models averaged when the trainer bags (gbdt
	// Params.Bag above 1), each with its own seed, stop and weighting; the
	// fields above are then the first member's, and the model holds every
	// member's trees. Absent for a single model.
	Bag []BagMember `json:"bag,omitempty"`
}

// BagMember is one model of a bag.
type BagMember struct {
	Seed        uint64 `json:"seed"`
	Rounds      int    `json:"rounds"`
	BestRound   int    `json:"best_round"`
	Stop        string `json:"stop"`
	ClassWeight string `json:"class_weight"`
}

// WeightTrial is one class weighting tried, scored on the validation rows
// at its best round.
type WeightTrial struct {
	Weight   string  `json:"weight"`
	Accuracy float64 `json:"valid_accuracy"`
	MacroF1  float64 `json:"valid_macro_f1"`
	// Gained and Lost are the validation rows this weighting gets right
	// and the first one weighed (balanced) wrong, and the reverse; P is
	// the one-sided sign test's p-value of Gained against Lost, which
	// must be under 0.05 for a macro-F1 gain to count (absent for the
	// first weighting).
	Gained    int      `json:"gained_rows,omitempty"`
	Lost      int      `json:"lost_rows,omitempty"`
	P         *float64 `json:"sign_test_p,omitempty"`
	BestRound int      `json:"best_round"`
	Chosen    bool     `json:"chosen"`
}

// TrainingRound is one point of the training curve. ValidLoss is absent
// without a validation split.
type TrainingRound struct {
	Round     int      `json:"round"`
	TrainLoss float64  `json:"train_loss"`
	ValidLoss *float64 `json:"valid_loss,omitempty"`
	// ValidError is the share of validation rows misclassified, what
	// early stopping watched.
	ValidError *float64 `json:"valid_error,omitempty"`
}
