package awslambda

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// lambdaResponseLimit is AWS Lambda's limit on a synchronous invocation's
// response payload (6 MB), which a Function URL or API Gateway answer is.
const lambdaResponseLimit = 6 * 1024 * 1024

// TestPageExtractorFitsAResponse: the web page's pcap extractor
// (/static/extract.wasm, 6.9 MB as a module) reaches a browser through
// Lambda: gzip-encoded and base64ed in the event response, within the 6 MB
// payload limit, and decoding to the wasm module.
func TestPageExtractorFitsAResponse(t *testing.T) {
	out := getExtractor(t, "gzip, deflate, br")
	if len(out) > lambdaResponseLimit {
		t.Errorf("the response payload is %d bytes, over Lambda's %d", len(out), lambdaResponseLimit)
	}
	var resp events.LambdaFunctionURLResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || resp.Headers["content-encoding"] != "gzip" || resp.Headers["content-type"] != "application/wasm" {
		t.Fatalf("status %d, base64 %v, headers %v", resp.StatusCode, resp.IsBase64Encoded, resp.Headers)
	}
	gz, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	module, err := io.ReadAll(zr)
	if err != nil || !bytes.HasPrefix(module, []byte("\x00asm")) {
		t.Fatalf("the body does not decode to a wasm module (%v)", err)
	}
	t.Logf("extract.wasm through Lambda: a %d-byte response payload for a %d-byte module (%d gzip)", len(out), len(module), len(gz))
}

// getExtractor invokes the handler with a Function URL GET of the page's
// extractor module and returns the response payload.
func getExtractor(t *testing.T, acceptEncoding string) []byte {
	t.Helper()
	h := New(testServer(t), WithLogger(quiet))
	var ev map[string]any
	if err := json.Unmarshal(readTestdata(t, "function-url-request.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["rawPath"], ev["rawQueryString"], ev["body"], ev["isBase64Encoded"] = "/static/extract.wasm", "", "", false
	headers := map[string]any{}
	if acceptEncoding != "" {
		headers["accept-encoding"] = acceptEncoding
	}
	if host, ok := ev["headers"].(map[string]any)["host"]; ok {
		headers["host"] = host
	}
	ev["headers"] = headers
	rc := ev["requestContext"].(map[string]any)["http"].(map[string]any)
	rc["method"], rc["path"] = "GET", "/static/extract.wasm"
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := invoker(h).Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPageExtractorNotAcceptable: a client that refuses gzip gets a small
// 406 problem document, not the module decompressed (9.2 MB encoded, over
// Lambda's 6 MB: the client would get a 502).
func TestPageExtractorNotAcceptable(t *testing.T) {
	for _, accept := range []string{"", "identity", "gzip;q=0"} {
		out := getExtractor(t, accept)
		var resp events.LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 406 || resp.Headers["content-type"] != "application/problem+json" ||
			!strings.Contains(resp.Body, `"type":"urn:flowsense:problem:not-acceptable"`) || len(out) > 4096 {
			t.Errorf("Accept-Encoding %q: status %d, headers %v, %d-byte payload: %.300s", accept, resp.StatusCode, resp.Headers, len(out), resp.Body)
		}
	}
}
