package flowdata_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowsense/flowsense/flowdata"
)

func ExampleRead() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "flows.csv")
	os.WriteFile(path, []byte(
		"Flow ID, Source IP, Destination Port, Protocol, Flow Duration, Flow Bytes/s, Label\n"+
			"f1,10.0.0.1,80,6,100,Infinity,BENIGN\n"+
			"f2,10.0.0.2,443,6,250,12.5,DDoS\n"), 0o644)

	d, err := flowdata.Read([]string{path}, flowdata.Options{LabelMap: flowdata.LabelMapBinary})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Format, d.Rows, "rows")
	for _, f := range d.Schema.Features {
		fmt.Printf("%s (%s)\n", f.Name, f.Kind)
	}
	for _, dr := range d.Dropped {
		fmt.Printf("dropped %q: %s\n", dr.Column, dr.Reason)
	}
	fmt.Println(d.Classes, d.Y)
	fmt.Println(d.Row(1, nil))
	// Output:
	// cicflowmeter 2 rows
	// Dst Port (numeric)
	// Protocol (numeric)
	// Flow Duration (numeric)
	// Flow Bytes/s (numeric)
	// dropped "Flow ID": identifier, not a feature
	// dropped "Source IP": identifier, not a feature
	// [BENIGN attack] [0 1]
	// [443 6 250 12.5]
}

func ExampleNewRowReader() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.csv")
	os.WriteFile(path, []byte("proto,bytes,Label\ntcp,10,ok\nudp,20,bad\n"), 0o644)
	train, err := flowdata.Read([]string{path}, flowdata.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}

	// An upload: other column order, an unseen category, no label.
	upload := strings.NewReader("bytes,proto,host\n15,udp,a\n30,sctp,b\n")
	rr, err := flowdata.NewRowReader(upload, "upload.csv", &train.Schema, flowdata.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	row := make([]float32, len(train.Schema.Features))
	for {
		_, err := rr.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(row)
	}
	// Output:
	// [1 15]
	// [NaN 30]
}
