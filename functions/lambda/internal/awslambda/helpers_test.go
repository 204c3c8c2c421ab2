package awslambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// behaviourDir is the shared behaviour suite of every host.
const behaviourDir = "../../../testdata/behaviour"

var (
	moduleOnce  sync.Once
	moduleBytes []byte
	moduleErr   error
)

// testServer is a Server on the test model with the source the behaviour
// suite's goldens were recorded with.
func testServer(t testing.TB, opts ...functions.Option) *functions.Server {
	t.Helper()
	moduleOnce.Do(func() { moduleBytes, moduleErr = functionstest.ModelWasm() })
	if moduleErr != nil {
		t.Fatal(moduleErr)
	}
	ctx := context.Background()
	all := append([]functions.Option{functions.WithSource("/flowsense/test"),
		functions.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	s, err := functions.New(ctx, moduleBytes, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return s
}

// quiet is a logger that drops everything.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// invoker is h behind aws-lambda-go's own invoke path: the payload is
// decoded and the answer encoded by the library, as in the runtime loop.
func invoker(h *Handler) lambda.Handler { return lambda.NewHandler(h.Invoke) }

// readTestdata reads a file of testdata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventDoer is a functionstest.Doer that sends each request as a payload
// 2.0 event made from template (a sample event of testdata: its request
// line, headers and body replaced by the request's) through
// lambda.NewHandler(h).Invoke, and rebuilds the HTTP answer from the
// event response, as the Function URL or API Gateway front end would.
func eventDoer(t testing.TB, h *Handler, template []byte) functionstest.Doer {
	return eventDoerVia(t, invoker(h), template)
}

// eventDoerVia is eventDoer through any lambda.Handler: in process, or
// the real bootstrap under the Runtime Interface Emulator (rie_test.go).
func eventDoerVia(t testing.TB, inv lambda.Handler, template []byte) functionstest.Doer {
	return func(r *http.Request) (*http.Response, error) {
		var ev map[string]any
		if err := json.Unmarshal(template, &ev); err != nil {
			return nil, err
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		headers := map[string]any{}
		for k, vs := range r.Header {
			headers[strings.ToLower(k)] = strings.Join(vs, ",")
		}
		rc := ev["requestContext"].(map[string]any)
		if host, ok := ev["headers"].(map[string]any)["host"]; ok {
			headers["host"] = host
		}
		headers["content-length"] = strconv.Itoa(len(body))
		ev["headers"] = headers
		ev["rawPath"] = r.URL.Path
		ev["rawQueryString"] = r.URL.RawQuery
		rc["http"].(map[string]any)["method"] = r.Method
		rc["http"].(map[string]any)["path"] = r.URL.Path
		// the front ends base64 a body unless it is text
		if isText(r.Header.Get("Content-Type")) && r.Header.Get("Content-Encoding") == "" && !bytes.ContainsRune(body, 0) {
			ev["body"], ev["isBase64Encoded"] = string(body), false
		} else {
			ev["body"], ev["isBase64Encoded"] = base64.StdEncoding.EncodeToString(body), true
		}
		payload, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out, err := inv.Invoke(r.Context(), payload)
		if err != nil {
			t.Errorf("Invoke returned an error for an HTTP request: %v", err)
			return nil, err
		}
		var resp events.APIGatewayV2HTTPResponse // a superset of LambdaFunctionURLResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			return nil, err
		}
		rb := []byte(resp.Body)
		if resp.IsBase64Encoded {
			if rb, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
				return nil, err
			}
		}
		hdr := http.Header{}
		for k, v := range resp.Headers {
			hdr.Set(k, v)
		}
		return &http.Response{StatusCode: resp.StatusCode, Header: hdr, Body: io.NopCloser(bytes.NewReader(rb))}, nil
	}
}
