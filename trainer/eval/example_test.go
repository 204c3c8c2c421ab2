package eval_test

import (
	"fmt"

	"github.com/flowsense/flowsense/trainer/eval"
)

func ExampleEvaluate() {
	classes := []string{"normal", "dos", "probe"}
	y := []int32{0, 0, 1, 1, 2, -1}   // the last row's label is unknown to the model
	pred := []int32{0, 1, 1, 1, 2, 0} // predicted classes
	probs := []float64{               // one row of class scores per test row
		0.8, 0.1, 0.1,
		0.4, 0.5, 0.1,
		0.1, 0.8, 0.1,
		0.2, 0.7, 0.1,
		0.1, 0.2, 0.7,
		0.6, 0.2, 0.2,
	}
	m, curves, err := eval.Evaluate(classes, y, pred, probs)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("accuracy %.3f macro-F1 %.3f ROC-AUC %.3f\n", m.Accuracy, m.MacroF1, m.ROCAUC)
	for _, c := range classes {
		pc := m.PerClass[c]
		fmt.Printf("%-6s P %.2f R %.2f F1 %.2f n %d\n", c, pc.Precision, pc.Recall, pc.F1, pc.Support)
	}
	fmt.Println("unknown rows:", m.PerClass[eval.UnknownClass].Support)
	fmt.Println("confusion:", m.Confusion)
	fmt.Printf("%s ROC curve: %v\n", curves.ROC[1].Class, curves.ROC[1].Points)
	// Output:
	// accuracy 0.667 macro-F1 0.767 ROC-AUC 0.958
	// normal P 0.50 R 0.50 F1 0.50 n 2
	// dos    P 0.67 R 1.00 F1 0.80 n 2
	// probe  P 1.00 R 1.00 F1 1.00 n 1
	// unknown rows: 1
	// confusion: [[1 1 0] [0 2 0] [0 0 1] [1 0 0]]
	// dos ROC curve: [{0 0} {0 1} {1 1}]
}

func ExampleEvaluateOutlier() {
	attack := []bool{false, false, false, true, true, false, true}
	scores := []float64{1.2, 3.5, 0.7, 12.0, 4.1, 8.8, 30.5}
	m, _, err := eval.EvaluateOutlier(attack, scores, 4.0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("precision %.2f recall %.2f F1 %.2f ROC-AUC %.3f\n", m.Precision, m.Recall, m.F1, m.ROCAUC)
	// Output:
	// precision 0.75 recall 1.00 F1 0.86 ROC-AUC 0.917
}
