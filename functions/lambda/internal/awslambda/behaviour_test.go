package awslambda

import (
	"encoding/json"
	"testing"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// TestBehaviourFunctionURL runs the behaviour suite as Function URL events
// through aws-lambda-go's invoke path.
func TestBehaviourFunctionURL(t *testing.T) {
	h := New(testServer(t), WithLogger(quiet))
	functionstest.Run(t, behaviourDir, eventDoer(t, h, readTestdata(t, "function-url-request.json")), false)
}

// TestBehaviourAPIGatewayV2 runs the behaviour suite as API Gateway HTTP
// API (payload 2.0) events.
func TestBehaviourAPIGatewayV2(t *testing.T) {
	h := New(testServer(t), WithLogger(quiet))
	functionstest.Run(t, behaviourDir, eventDoer(t, h, readTestdata(t, "apigw-v2-request.json")), false)
}

// TestSampleEvents sends the sample events of testdata as they are: each
// is answered with the response type of its front end, a classification.
func TestSampleEvents(t *testing.T) {
	cases := map[string]struct {
		file      string
		wantAPIGW bool
	}{
		"function url": {file: "function-url-request.json"},
		"api gateway":  {file: "apigw-v2-request.json", wantAPIGW: true},
	}
	h := New(testServer(t), WithLogger(quiet))
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			payload := readTestdata(t, c.file)
			if s, apigw := classify(payload); s != shapeHTTP || apigw != c.wantAPIGW {
				t.Fatalf("classify = %v, apigw %v; want http, apigw %v", s, apigw, c.wantAPIGW)
			}
			out, err := invoker(h).Invoke(t.Context(), payload)
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				StatusCode      int               `json:"statusCode"`
				Headers         map[string]string `json:"headers"`
				Body            string            `json:"body"`
				IsBase64Encoded bool              `json:"isBase64Encoded"`
			}
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 || resp.IsBase64Encoded || resp.Headers["content-type"] != "application/json" {
				t.Fatalf("answer %d %v base64 %v: %s", resp.StatusCode, resp.Headers, resp.IsBase64Encoded, resp.Body)
			}
			var cl struct {
				Label       string  `json:"label"`
				Probability float64 `json:"probability"`
			}
			if err := json.Unmarshal([]byte(resp.Body), &cl); err != nil || cl.Label == "" || cl.Probability <= 0 {
				t.Fatalf("body %s is not a classification (%v)", resp.Body, err)
			}
		})
	}
}

// TestFeedbackIDsFunctionURL: the feedback suite
// (functionstest.RunFeedbackIDs) as Function URL events.
func TestFeedbackIDsFunctionURL(t *testing.T) {
	h := New(testServer(t), WithLogger(quiet))
	functionstest.RunFeedbackIDs(t, behaviourDir, eventDoer(t, h, readTestdata(t, "function-url-request.json")))
}

// TestAuthFunctionURL: the credential suite (functionstest.RunAuth) as
// Function URL events, for a function configured with per-route
// credentials behind (or instead of) the URL's AWS_IAM.
func TestAuthFunctionURL(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	opts, err := functions.OptionsFromEnv(func(k string) string { return a.Env[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := New(testServer(t, opts...), WithLogger(quiet))
	functionstest.RunAuth(t, behaviourDir, eventDoer(t, h, readTestdata(t, "function-url-request.json")), a)
}
