package cloudevents_test

import (
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/model"
)

func ExampleFlowDecoder() {
	schema := &model.Schema{Features: []model.Feature{
		{Name: "Dst Port", Kind: model.Numeric},
		{Name: "Flow Bytes/s", Kind: model.Numeric},
	}}
	d := cloudevents.NewFlowDecoder(schema, 100)
	for _, body := range []string{
		`{" Destination Port": 22, "Flow Bytes/s": 1200}`,
		`[[443, 5], {"Dst Port": 53}]`,
		`{"Dst Port": 22, "colour": "red"}`,
	} {
		f, err := d.Decode([]byte(body), nil)
		fmt.Println(f.N, f.Single, f.Rows, err)
	}
	// Output:
	// 1 true [22 1200] <nil>
	// 2 false [443 5 53 NaN] <nil>
	// 0 false [] cloudevents: unknown field in flow 0: "colour"
}

func ExampleReply() {
	in := event.New()
	in.SetID("flow-42")
	in.SetSource("/probes/edge-1")
	in.SetType(cloudevents.TypeFlow)
	_ = in.SetData(cloudevents.ContentTypeJSON, map[string]any{"Dst Port": 22})

	c := cloudevents.Classify([]string{"BENIGN", "Brute Force"}, 1, []float64{0.1, 0.9}, 4.2,
		model.Malicious, cloudevents.ModelRef{Name: "demo", SHA256: "0123"})
	out, err := cloudevents.Reply(&in, "/flowsense", []cloudevents.Classification{c}, true,
		time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Type(), out.Subject(), out.Extensions()["verdict"], out.Extensions()["flowclass"])
	fmt.Println(string(out.Data()))
	// Output:
	// io.flowsense.flow.classified.v1 flow-42 malicious bruteforce
	// {"label":"Brute Force","probability":0.9,"probabilities":{"BENIGN":0.1,"Brute Force":0.9},"outlier_score":4.2,"verdict":"malicious","model":{"name":"demo","sha256":"0123"}}
}
