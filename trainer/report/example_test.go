package report_test

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/flowsense/flowsense/trainer/eval"
	"github.com/flowsense/flowsense/trainer/report"
)

func ExampleWrite() {
	classes := []string{"benign", "attack"}
	y := []int32{0, 0, 1, 1, 0, 1}
	pred := []int32{0, 1, 1, 1, 0, 1}
	probs := []float64{0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.3, 0.7, 0.8, 0.2, 0.1, 0.9}
	m, curves, err := eval.Evaluate(classes, y, pred, probs)
	if err != nil {
		fmt.Println(err)
		return
	}
	m.NTrain, m.TrainSeconds, m.ModelBytes = 600, 0.42, 2048

	var page bytes.Buffer
	err = report.Write(&page, report.Input{
		Title:      "APA-DDoS sanity run",
		Dataset:    "six test rows",
		Params:     map[string]string{"rounds": "2", "max_depth": "3"},
		Metrics:    m,
		Curves:     curves,
		Training:   []report.Round{{Round: 1, Train: 0.5, Valid: 0.55}, {Round: 2, Train: 0.3, Valid: 0.4}},
		BestRound:  2,
		Importance: []report.Importance{{Name: "frame.len", Gain: 12}, {Name: "tcp.flags.ack", Gain: 5}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	html := page.String()
	fmt.Println(strings.HasPrefix(html, "<!DOCTYPE html>"))
	fmt.Println("charts:", strings.Count(html, "<svg "))
	fmt.Println("scripts:", strings.Count(html, "<script"))
	// Output:
	// true
	// charts: 5
	// scripts: 0
}
