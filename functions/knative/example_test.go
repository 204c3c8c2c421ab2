package function_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	function "function"
)

// The lifecycle func-go drives: New, Start (here with the embedded
// model), Handle for each request, Stop at shutdown.
func ExampleFunction() {
	ctx := context.Background()
	f := function.New()
	if err := f.Start(ctx, map[string]string{}); err != nil {
		fmt.Println(err)
		return
	}
	defer f.Stop(ctx)
	ready, _ := f.Ready(ctx)
	fmt.Println("ready:", ready)

	flow := `{"Dst Port": 22, "Protocol": 6, "Flow Duration": 2500000, "Total Fwd Packet": 12, "Total Bwd packets": 10}`
	req := httptest.NewRequest(http.MethodPost, "/predict", strings.NewReader(flow))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.Handle(rec, req)
	var c struct {
		Label   string
		Verdict string
		Model   struct{ Name string }
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &c)
	fmt.Println(rec.Code, c.Model.Name, c.Label, c.Verdict)
	// Output:
	// ready: true
	// 200 flowsense-synthetic BENIGN anomalous
}
