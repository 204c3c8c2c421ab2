package functions_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	cesdk "github.com/cloudevents/sdk-go/v2"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// A SYN flood flow of the synthetic data (the golden request ce_binary).
const synFlood = `{"Dst Port": 80, "Protocol": 6, "Flow Duration": 0, "Total Fwd Packet": 1, "Total Bwd packets": 0,
"Total Length of Fwd Packet": 0, "Total Length of Bwd Packet": 0, "Fwd Packet Length Max": 0,
"Fwd Packet Length Min": 0, "Fwd Packet Length Mean": 0, "Fwd Packet Length Std": 0,
"Bwd Packet Length Max": 0, "Bwd Packet Length Min": 0, "Bwd Packet Length Mean": 0,
"Bwd Packet Length Std": 0, "Flow Bytes/s": "NaN", "Flow Packets/s": "Infinity",
"Flow IAT Mean": 0, "Flow IAT Std": 0, "Flow IAT Max": 0, "Flow IAT Min": 0, "Fwd IAT Total": 0,
"Fwd IAT Mean": 0, "Bwd IAT Total": 0, "Bwd IAT Mean": 0, "Fwd Packets/s": "Infinity",
"Bwd Packets/s": "NaN", "Packet Length Min": 0, "Packet Length Max": 0, "Packet Length Mean": 0,
"Packet Length Std": 0, "FIN Flag Count": 0, "SYN Flag Count": 1, "RST Flag Count": 0,
"PSH Flag Count": 0, "ACK Flag Count": 0, "Down/Up Ratio": 0, "Average Packet Size": 0,
"FWD Init Win Bytes": 512, "Bwd Init Win Bytes": 0, "Active Mean": 0, "Idle Mean": 0}`

func ExampleNew() {
	ctx := context.Background()
	wasmBytes, _ := functionstest.ModelWasm()
	srv, err := functions.New(ctx, wasmBytes, functions.WithMaxFlows(1000))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)

	req := httptest.NewRequest("POST", "/predict", strings.NewReader(synFlood))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))

	req = httptest.NewRequest("POST", "/predict", strings.NewReader(`{"Dst Port": 80, "Colour": "red"}`))
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output:
	// 200 application/json
	// 422 application/problem+json
}

func ExampleServer_Handle() {
	ctx := context.Background()
	wasmBytes, _ := functionstest.ModelWasm()
	srv, err := functions.New(ctx, wasmBytes, functions.WithSource("/flowsense/example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)

	in := cesdk.NewEvent()
	in.SetID("flow-1")
	in.SetSource("/probes/edge-1")
	in.SetType("io.flowsense.flow.v1")
	_ = in.SetData(cesdk.ApplicationJSON, []byte(synFlood))
	in.DataBase64 = false
	out, err := srv.Handle(ctx, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Type(), out.Subject(), out.Source())
	fmt.Println(out.Extensions()["verdict"], out.Extensions()["flowclass"])

	in.SetType("com.example.other")
	_, err = srv.Handle(ctx, in)
	fmt.Println(functions.StatusOf(err), err)
	// Output:
	// io.flowsense.flow.classified.v1 flow-1 /flowsense/example
	// malicious synflood
	// 400 functions: invalid CloudEvent: type "com.example.other", want "io.flowsense.flow.v1"
}

func ExampleServer_ClassifyJSON() {
	ctx := context.Background()
	wasmBytes, _ := functionstest.ModelWasm()
	srv, err := functions.New(ctx, wasmBytes)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)

	// one SQS message body
	res, single, err := srv.ClassifyJSON(ctx, []byte(synFlood))
	fmt.Println(len(res), single, res[0].Label, res[0].Verdict, err)
	_, _, err = srv.ClassifyJSON(ctx, []byte(`{"Dst Port": `))
	fmt.Println(functions.StatusOf(err), functions.StatusOf(err) < http.StatusInternalServerError)
	// Output:
	// 1 true SYN Flood malicious <nil>
	// 400 true
}

// Feedback quotes the reply id of a classification and is counted into
// GET /metrics (the confusion of returned against true labels, and the
// rolling accuracy) once: the same id again, or an id the server did not
// make, is refused and counts nothing.
func ExampleServer_Feedback() {
	ctx := context.Background()
	wasmBytes, _ := functionstest.ModelWasm()
	srv, err := functions.New(ctx, wasmBytes, functions.WithReplyKey([]byte("a per-deployment secret, 32 bytes or more")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)

	res, _, _ := srv.ClassifyJSON(ctx, []byte(synFlood))
	feedback := fmt.Sprintf(`{"id": %q, "truth": "PortScan"}`, res[0].ID)
	for _, body := range []string{feedback, feedback, `{"id": "AQAHnRcAAVvGZL0jGbe549Hus7oEi_rWpd3doRzoIg", "truth": "BENIGN"}`} {
		req := httptest.NewRequest("POST", "/feedback", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body)
	}

	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "flowsense_feedback_rolling_accuracy ") ||
			strings.HasPrefix(line, `flowsense_feedback_total{predicted="SYN Flood",truth="PortScan"}`) ||
			strings.HasPrefix(line, `flowsense_feedback_refused_total{reason="duplicate"}`) ||
			strings.HasPrefix(line, `flowsense_feedback_refused_total{reason="forged"}`) {
			fmt.Println(line)
		}
	}
	// Output:
	// 200 {"accepted":1,"correct":0}
	// 409 {"type":"urn:flowsense:problem:feedback-duplicate","title":"feedback already counted","status":409,"detail":"this id's feedback was counted already"}
	// 422 {"type":"urn:flowsense:problem:feedback-id","title":"feedback for no prediction of this function","status":422,"detail":"reply id not issued by this deployment"}
	// flowsense_feedback_refused_total{reason="duplicate"} 1
	// flowsense_feedback_refused_total{reason="forged"} 1
	// flowsense_feedback_rolling_accuracy 0
	// flowsense_feedback_total{predicted="SYN Flood",truth="PortScan"} 1
}
