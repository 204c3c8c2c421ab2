package xgboost_test

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/model/xgboost"
)

// Read an XGBoost model saved with Booster.save_model("model.json"),
// name its classes, and predict with the native predictor. The result is
// an ordinary flowsense model: artifact.Write writes it, compiler.Compile
// compiles it.
func ExampleRead() {
	m, err := xgboost.Read(strings.NewReader(tinyDoc), xgboost.Options{
		FeatureNames: []string{"duration", "bytes"},
		Classes:      []string{"normal", "attack"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Meta.TrainerVersion, m.Ensemble.Objective, len(m.Ensemble.Trees), "tree")
	fmt.Println("benign:", m.Classes[m.Benign[0]])
	var r model.Result
	for _, row := range [][]float32{{0.2, 5}, {3, 1}, {3, float32(math.NaN())}} {
		if err := m.Predict(row, &r); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v -> %s (%.4f) %v\n", row, m.Classes[r.Class], r.Probability(), r.Verdict)
	}
	// Output:
	// xgboost 1.7.4 logistic 1 tree
	// benign: normal
	// [0.2 5] -> normal (0.5987) benign
	// [3 1] -> attack (0.5250) malicious
	// [3 NaN] -> attack (0.6457) malicious
}
