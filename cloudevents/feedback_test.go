package cloudevents

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

var feedbackClasses = []string{"BENIGN", "PortScan", "Brute Force"}

func TestFeedbackDecode(t *testing.T) {
	cases := map[string]struct {
		in     string
		want   []LabelPair
		err    error
		fields []string
		detail string
	}{
		"one":             {in: `{"predicted": "PortScan", "truth": "BENIGN"}`, want: []LabelPair{{Predicted: 1, Truth: 0}}},
		"id only":         {in: `{"id": "abc", "truth": "BENIGN"}`, want: []LabelPair{{Predicted: -1, Truth: 0, ID: "abc"}}},
		"id and label":    {in: `{"id": "abc", "predicted": "PortScan", "truth": "BENIGN"}`, want: []LabelPair{{Predicted: 1, Truth: 0, ID: "abc"}}},
		"id empty":        {in: `{"id": "", "truth": "BENIGN"}`, err: ErrFieldValue, fields: []string{"id"}},
		"id a number":     {in: `{"id": 7, "truth": "BENIGN"}`, err: ErrFieldValue, fields: []string{"id"}},
		"id too long":     {in: `{"id": "` + strings.Repeat("a", MaxIDLen+1) + `", "truth": "BENIGN"}`, err: ErrFieldValue, fields: []string{"id"}},
		"no id, no label": {in: `{"truth": "BENIGN"}`, err: ErrNotFeedback, fields: []string{"predicted"}},
		"array":           {in: ` [{"predicted": "BENIGN", "truth": "BENIGN"}, {"truth": "Brute Force", "predicted": "PortScan"}] `, want: []LabelPair{{Predicted: 0, Truth: 0}, {Predicted: 1, Truth: 2}}},
		"malformed":       {in: `{"predicted": "BENIGN",`, err: ErrMalformed},
		"empty body":      {in: ``, err: ErrMalformed},
		"number":          {in: `42`, err: ErrNotFeedback},
		"null":            {in: `null`, err: ErrNotFeedback},
		"empty array":     {in: `[]`, err: ErrNotFeedback},
		"array of arrays": {in: `[["BENIGN", "BENIGN"]]`, err: ErrNotFeedback, detail: "item 0"},
		"no truth":        {in: `{"predicted": "BENIGN"}`, err: ErrNotFeedback, fields: []string{"truth"}},
		"extra field":     {in: `{"predicted": "BENIGN", "truth": "BENIGN", "score": 1, "at": 2}`, err: ErrUnknownField, fields: []string{"at", "score"}},
		"label a number":  {in: `{"predicted": 1, "truth": "BENIGN"}`, err: ErrFieldValue, fields: []string{"predicted"}},
		"label null":      {in: `{"predicted": "BENIGN", "truth": null}`, err: ErrFieldValue, fields: []string{"truth"}},
		"unknown label":   {in: `[{"predicted": "BENIGN", "truth": "BENIGN"}, {"predicted": "BENIGN", "truth": "benign"}]`, err: ErrUnknownLabel, fields: []string{"truth"}, detail: `item 1: truth "benign"`},
		"too many":        {in: `[` + strings.Repeat(`{"predicted": "BENIGN", "truth": "BENIGN"},`, 4) + `{"predicted": "BENIGN", "truth": "BENIGN"}]`, err: ErrTooManyFlows},
	}
	d := NewFeedbackDecoder(feedbackClasses, 4)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := d.Decode([]byte(tc.in), nil)
			if tc.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want an *Error wrapping %v", err, tc.err)
			}
			if tc.fields != nil && !slices.Equal(e.Fields, tc.fields) {
				t.Errorf("fields %q, want %q", e.Fields, tc.fields)
			}
			if !strings.Contains(e.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", e.Detail, tc.detail)
			}
		})
	}
}

// TestFeedbackRoundTrip: what encoding/json writes from []Feedback decodes
// to the same labels.
func TestFeedbackRoundTrip(t *testing.T) {
	in := []Feedback{{Predicted: "BENIGN", Truth: "PortScan"}, {ID: "x-1", Predicted: "Brute Force", Truth: "Brute Force"}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewFeedbackDecoder(feedbackClasses, 10).Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range got {
		if feedbackClasses[p.Predicted] != in[i].Predicted || feedbackClasses[p.Truth] != in[i].Truth || p.ID != in[i].ID {
			t.Errorf("item %d: got %v, want %v", i, p, in[i])
		}
	}
}

func TestValidateFeedbackEvent(t *testing.T) {
	e := event.New()
	e.SetID("1")
	e.SetSource("/s")
	e.SetType(TypeFeedback)
	if err := e.SetData("application/json", Feedback{Predicted: "BENIGN", Truth: "BENIGN"}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateFeedbackEvent(&e); err != nil {
		t.Fatal(err)
	}
	e.SetType(TypeFlow)
	if err := ValidateFeedbackEvent(&e); !errors.Is(err, ErrEvent) {
		t.Errorf("a flow event: %v, want ErrEvent", err)
	}
	if err := ValidateFlowEvent(&e); err != nil {
		t.Errorf("ValidateFlowEvent: %v", err)
	}
}

// TestFeedbackSchema: the document lists the classes as the labels'
// vocabulary and forbids other members.
func TestFeedbackSchema(t *testing.T) {
	b, err := FeedbackSchema(feedbackClasses, "urn:flowsense:schema:feedback")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
		Defs   struct {
			Feedback struct {
				Required   []string `json:"required"`
				Additional *bool    `json:"additionalProperties"`
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"feedback"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	f := doc.Defs.Feedback
	if doc.Schema != JSONSchemaDialect || doc.ID != "urn:flowsense:schema:feedback" {
		t.Errorf("$schema %q $id %q", doc.Schema, doc.ID)
	}
	if !slices.Equal(f.Required, []string{"truth"}) || f.Additional == nil || *f.Additional || f.Properties["id"].Enum != nil {
		t.Errorf("required %v additionalProperties %v", f.Required, f.Additional)
	}
	for _, k := range []string{"predicted", "truth"} {
		if !slices.Equal(f.Properties[k].Enum, feedbackClasses) {
			t.Errorf("%s enum %v, want %v", k, f.Properties[k].Enum, feedbackClasses)
		}
	}
}

// FuzzFeedbackDecode: any bytes give items whose labels are classes, or an
// *Error wrapping one of the decoder's sentinels; nothing panics; decoded
// items re-encode to a document that decodes to the same items.
func FuzzFeedbackDecode(f *testing.F) {
	for _, s := range []string{
		`{"predicted": "PortScan", "truth": "BENIGN"}`, `[{"predicted": "BENIGN", "truth": "BENIGN"}]`,
		`[]`, `42`, `{"predicted": 1}`, `[{"predicted": "x", "truth": "BENIGN"}]`, `{"a": 1}`, `[[]]`,
		`{"id": "AQ", "truth": "BENIGN"}`, `[{"id": "x", "predicted": "BENIGN", "truth": "PortScan"}]`,
	} {
		f.Add([]byte(s))
	}
	d := NewFeedbackDecoder(feedbackClasses, 3)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := d.Decode(b, nil)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			for _, s := range []error{ErrMalformed, ErrNotFeedback, ErrUnknownField, ErrFieldValue, ErrUnknownLabel, ErrTooManyFlows} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no decoder sentinel: %v", err)
		}
		if len(got) < 1 || len(got) > 3 {
			t.Fatalf("%d items", len(got))
		}
		items := make([]Feedback, len(got))
		for i, p := range got {
			items[i] = Feedback{ID: p.ID, Truth: feedbackClasses[p.Truth]}
			if p.Predicted >= 0 {
				items[i].Predicted = feedbackClasses[p.Predicted]
			}
		}
		again, err := json.Marshal(items)
		if err != nil {
			t.Fatal(err)
		}
		back, err := d.Decode(again, nil)
		if err != nil || !slices.Equal(back, got) {
			t.Fatalf("round trip: %v %v, want %v", back, err, got)
		}
	})
}
