package awslambda

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// reqBody is the body of a golden request of the behaviour suite.
func reqBody(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(behaviourDir, name+".req"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(b), "\n\n")
	if !ok {
		t.Fatalf("%s.req has no body", name)
	}
	return []byte(strings.TrimSuffix(body, "\n"))
}

// TestDirect: a direct invocation with one flow answers one
// classification, with a batch an array of them (the server's own answers
// to the same JSON), with a CloudEvent the reply event.
func TestDirect(t *testing.T) {
	srv := testServer(t)
	inv := invoker(New(srv, WithLogger(quiet)))
	cases := map[string]struct {
		req    string
		single bool
	}{
		"one flow object":    {req: "predict_object", single: true},
		"one flow of values": {req: "predict_values", single: true},
		"features wrapper":   {req: "predict_features_wrapper", single: true},
		"a batch of flows":   {req: "predict_array"},
		"strings and nulls":  {req: "predict_strings_and_nulls", single: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			body := reqBody(t, c.req)
			out, err := inv.Invoke(t.Context(), body)
			if err != nil {
				t.Fatal(err)
			}
			want, single, err := srv.ClassifyJSON(t.Context(), body)
			if err != nil {
				t.Fatal(err)
			}
			if single != c.single {
				t.Fatalf("server says single = %v, case says %v", single, c.single)
			}
			var got []cloudevents.Classification
			if c.single {
				var one cloudevents.Classification
				if err := json.Unmarshal(out, &one); err != nil {
					t.Fatalf("one flow answered %s: %v", out, err)
				}
				got = append(got, one)
			} else if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("a batch answered %s: %v", out, err)
			}
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(got)
			// each prediction has its own reply id
			wantJSON, gotJSON = functionstest.MaskReplyIDs(wantJSON), functionstest.MaskReplyIDs(gotJSON)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("got %s\nwant %s", gotJSON, wantJSON)
			}
		})
	}

	t.Run("cloudevent", func(t *testing.T) {
		out, err := inv.Invoke(t.Context(), reqBody(t, "ce_structured"))
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Type, Subject, Verdict, Flowclass string
			Data                              cloudevents.Classification
		}
		if err := json.Unmarshal(out, &e); err != nil {
			t.Fatal(err)
		}
		if e.Type != cloudevents.TypeClassified || e.Subject != "flow-3" || e.Verdict == "" || e.Flowclass == "" || e.Data.Label == "" {
			t.Errorf("reply event %s", out)
		}
	})
}

// TestBadPayloads: a payload the handler cannot answer is an *Error with
// the status HTTP would have answered, through aws-lambda-go's invoke path
// and never a panic.
func TestBadPayloads(t *testing.T) {
	inv := invoker(New(testServer(t), WithLogger(quiet)))
	cases := map[string]struct {
		payload string
		status  int
		is      error
	}{
		"number":                   {payload: `42`, status: 422, is: ErrMessage},
		"null":                     {payload: `null`, status: 422, is: ErrMessage},
		"empty object":             {payload: `{}`, status: 422, is: ErrMessage},
		"empty array":              {payload: `[]`, status: 422, is: ErrMessage},
		"unknown fields":           {payload: `{"Dst Port": 80, "Colour": "red"}`, status: 422, is: ErrMessage},
		"wrong width":              {payload: `[1, 2, 3]`, status: 422, is: ErrMessage},
		"object value":             {payload: `{"Dst Port": {"a": 1}}`, status: 400, is: ErrMessage},
		"event without id":         {payload: `{"specversion": "1.0", "source": "/x", "type": "io.flowsense.flow.v1", "data": {"Dst Port": 80}}`, status: 400, is: ErrMessage},
		"event of another type":    {payload: `{"specversion": "1.0", "id": "1", "source": "/x", "type": "com.example.other", "data": {"Dst Port": 80}}`, status: 400, is: ErrMessage},
		"sqs record not an object": {payload: `{"Records": [{"eventSource": "aws:sqs", "body": 5}]}`, status: 400, is: ErrPayload},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := inv.Invoke(t.Context(), []byte(c.payload))
			if err == nil {
				t.Fatalf("answered %s, want an error", out)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Status != c.status || e.Problem.Status != c.status || !errors.Is(err, c.is) {
				t.Errorf("error %v: status %d (problem %d), want %d and %v", err, e.Status, e.Problem.Status, c.status, c.is)
			}
			if !strings.Contains(err.Error(), e.Problem.Title) {
				t.Errorf("error %q does not name the problem %q", err, e.Problem.Title)
			}
			if functions.StatusOf(e.Unwrap()) >= 500 && c.is == ErrMessage {
				t.Errorf("a client's mistake became a server error: %v", err)
			}
		})
	}

	// not JSON never reaches the handler through the library (its decoder
	// refuses it); called directly, Invoke says so itself
	for _, p := range []string{``, `{`, `nope`, "\x00"} {
		if _, err := inv.Invoke(t.Context(), []byte(p)); err == nil {
			t.Errorf("payload %q: no error", p)
		}
		_, err := New(testServer(t), WithLogger(quiet)).Invoke(t.Context(), json.RawMessage(p))
		if !errors.Is(err, ErrPayload) {
			t.Errorf("payload %q: error %v, want ErrPayload", p, err)
		}
	}
}

// TestBadHTTPEvents: an HTTP event whose request cannot be rebuilt is
// answered 400 as HTTP, not an invocation error.
func TestBadHTTPEvents(t *testing.T) {
	inv := invoker(New(testServer(t), WithLogger(quiet)))
	cases := map[string]string{
		"no method":    `{"rawPath": "/predict", "requestContext": {"http": {}}}`,
		"bad base64":   `{"rawPath": "/predict", "requestContext": {"http": {"method": "POST"}}, "body": "%%%", "isBase64Encoded": true}`,
		"bad path":     `{"rawPath": "/a b\u0000", "requestContext": {"http": {"method": "GET"}}}`,
		"headers list": `{"rawPath": "/", "headers": [1], "requestContext": {"http": {"method": "GET"}}}`,
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := inv.Invoke(t.Context(), []byte(payload))
			if err != nil {
				t.Fatal(err)
			}
			var resp struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
			}
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 400 || resp.Headers["content-type"] != functions.MediaTypeProblem {
				t.Errorf("answer %s", out)
			}
		})
	}
}
