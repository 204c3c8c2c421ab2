package synth_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log"

	"github.com/flowsense/flowsense/flowdata/synth"
)

// Write streams a header and labelled flows; each class gets its share of
// the rows.
func ExampleWrite() {
	var buf bytes.Buffer
	err := synth.Write(&buf, synth.Options{
		Rows: 1000,
		Seed: 1,
		Mix:  map[string]float64{synth.Benign: 3, synth.PortScan: 1},
	})
	if err != nil {
		log.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		log.Fatal(err)
	}
	header, rows := records[0], records[1:]
	count := map[string]int{}
	for _, r := range rows {
		count[r[len(r)-1]]++
	}
	fmt.Println(len(header), "columns,", len(rows), "rows")
	fmt.Println(header[len(header)-1], count)
	// Output:
	// 48 columns, 1000 rows
	// Label map[BENIGN:750 PortScan:250]
}

// Novel rows carry a label that is not among the default classes.
func ExampleOptions_novel() {
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.Options{Rows: 100, Seed: 1, Novel: 0.1}); err != nil {
		log.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		log.Fatal(err)
	}
	novel := 0
	for _, r := range records[1:] {
		if r[len(r)-1] == synth.NovelClass {
			novel++
		}
	}
	fmt.Println(novel, "rows labelled", synth.NovelClass)
	// Output:
	// 10 rows labelled Unknown Tunnel
}

func ExampleClasses() {
	mix := synth.DefaultMix()
	for _, c := range synth.Classes() {
		fmt.Printf("%-12s %.2f\n", c, mix[c])
	}
	// Output:
	// BENIGN       0.70
	// SYN Flood    0.07
	// PortScan     0.07
	// Brute Force  0.06
	// Slow DoS     0.05
	// Exfiltration 0.05
}
