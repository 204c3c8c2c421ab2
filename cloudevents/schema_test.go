package cloudevents

import (
	"encoding/json"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestFlowSchema: the document is JSON, names every feature once, and
// describes a categorical feature by its vocabulary.
func TestFlowSchema(t *testing.T) {
	s := testSchema()
	b, err := FlowSchema(s, "urn:flowsense:schema:flow")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string `json:"$schema"`
		ID     string `json:"$id"`
		Defs   struct {
			Flow struct {
				Properties map[string]struct {
					AnyOf []struct {
						Enum []string `json:"enum"`
					} `json:"anyOf"`
				} `json:"properties"`
			} `json:"flow"`
			Values struct {
				PrefixItems []json.RawMessage `json:"prefixItems"`
			} `json:"values"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != JSONSchemaDialect || doc.ID != "urn:flowsense:schema:flow" {
		t.Errorf("$schema %q $id %q", doc.Schema, doc.ID)
	}
	if len(doc.Defs.Flow.Properties) != len(s.Features) || len(doc.Defs.Values.PrefixItems) != len(s.Features) {
		t.Fatalf("%d properties, %d items for %d features", len(doc.Defs.Flow.Properties), len(doc.Defs.Values.PrefixItems), len(s.Features))
	}
	for _, f := range s.Features {
		p, ok := doc.Defs.Flow.Properties[f.Name]
		if !ok {
			t.Errorf("feature %q missing", f.Name)
		}
		if f.Kind == model.Categorical && (len(p.AnyOf) == 0 || len(p.AnyOf[0].Enum) != len(f.Categories)+1) {
			t.Errorf("feature %q: %+v", f.Name, p)
		}
	}
}

// TestClassificationSchema: the document is JSON and requires every field
// a Classification writes.
func TestClassificationSchema(t *testing.T) {
	var doc struct {
		Defs struct {
			Classification struct {
				Required []string `json:"required"`
			} `json:"classification"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal([]byte(ClassificationSchema), &doc); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Classification{})
	var fields map[string]any
	_ = json.Unmarshal(b, &fields)
	if len(doc.Defs.Classification.Required) != len(fields) {
		t.Fatalf("required %v, a classification has %v", doc.Defs.Classification.Required, fields)
	}
	for _, r := range doc.Defs.Classification.Required {
		if _, ok := fields[r]; !ok {
			t.Errorf("required %q is not a field", r)
		}
	}
}
