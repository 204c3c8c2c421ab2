package awslambda_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/functions/lambda/internal/awslambda"
)

// The bootstrap's main, in short: load the model once, then hand Invoke to
// lambda.Start. Here the handler is invoked as the runtime would, with a
// direct invocation of one flow (most features missing: an outlier) and
// an SQS batch with one bad message.
func ExampleHandler_Invoke() {
	ctx := context.Background()
	wasmBytes, err := functionstest.ModelWasm()
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := functions.New(ctx, wasmBytes, functions.WithSource("urn:flowsense:lambda"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close(ctx)
	h := lambda.NewHandler(awslambda.New(srv).Invoke) // lambda.Start(awslambda.New(srv).Invoke) in main

	out, err := h.Invoke(ctx, []byte(`{"Dst Port": 80, "Protocol": 6, "Total Fwd Packet": 1, "SYN Flag Count": 1, "FWD Init Win Bytes": 512}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var c struct{ Label, Verdict string }
	_ = json.Unmarshal(out, &c)
	fmt.Println(c.Label, c.Verdict)

	out, err = h.Invoke(ctx, []byte(`{"Records": [
		{"messageId": "m1", "eventSource": "aws:sqs", "body": "{\"Dst Port\": 80}"},
		{"messageId": "m2", "eventSource": "aws:sqs", "body": "{\"Colour\": \"red\"}"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(out))
	// Output:
	// BENIGN anomalous
	// {"batchItemFailures":[{"itemIdentifier":"m2"}]}
}
