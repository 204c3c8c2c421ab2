package cloudevents

import (
	"encoding/json"
	"fmt"

	"github.com/flowsense/flowsense/model"
)

// JSONSchemaDialect is the JSON Schema version of the documents below.
const JSONSchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// FlowSchema returns a JSON Schema (draft 2020-12) of the data of a
// TypeFlow event for a model's schema: one flow object, one array of values
// in schema order, or a non-empty array of either. Properties are the
// canonical feature names; the decoder also accepts the raw spellings that
// data.Canonical maps to them, which a schema cannot list, so the document
// sets no additionalProperties rule and the decoder rejects other names.
// id is the schema's $id (a URI; empty for none).
func FlowSchema(s *model.Schema, id string) ([]byte, error) {
	props := make(map[string]any, len(s.Features))
	items := make([]any, len(s.Features))
	for i, f := range s.Features {
		var v map[string]any
		switch f.Kind {
		case model.Categorical:
			v = map[string]any{
				"description": fmt.Sprintf("categorical feature %d: a category name, its code, or null (missing)", i),
				"anyOf": []any{
					map[string]any{"enum": append([]string{""}, f.Categories...)},
					map[string]any{"type": "integer", "minimum": 0, "maximum": max(0, len(f.Categories)-1)},
					map[string]any{"type": "null"},
				},
			}
			if f.Unknown == model.UnknownMissing {
				v["anyOf"] = append(v["anyOf"].([]any), map[string]any{"type": "string"})
			}
		default:
			v = map[string]any{
				"description": fmt.Sprintf("numeric feature %d: a number, a number as text (\"NaN\", \"Infinity\"), a boolean, or null (missing)", i),
				"type":        []string{"number", "string", "boolean", "null"},
			}
		}
		props[f.Name] = v
		items[i] = v
	}
	object := map[string]any{"type": "object", "minProperties": 1, "properties": props}
	values := map[string]any{"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
	doc := map[string]any{
		"$schema":     JSONSchemaDialect,
		"title":       "flowsense flow (" + TypeFlow + " data)",
		"description": "One flow by name or by position, or a list of flows.",
		"$defs":       map[string]any{"flow": object, "values": values},
		"anyOf": []any{
			map[string]any{"$ref": "#/$defs/flow"},
			map[string]any{"$ref": "#/$defs/values"},
			map[string]any{"type": "object", "required": []string{"features"}, "properties": map[string]any{"features": map[string]any{"anyOf": []any{
				map[string]any{"$ref": "#/$defs/values"},
				map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"anyOf": []any{map[string]any{"$ref": "#/$defs/flow"}, map[string]any{"$ref": "#/$defs/values"}}}},
			}}}},
			map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"anyOf": []any{map[string]any{"$ref": "#/$defs/flow"}, map[string]any{"$ref": "#/$defs/values"}}}},
		},
	}
	if id != "" {
		doc["$id"] = id
	}
	return json.MarshalIndent(doc, "", "  ")
}

// ClassificationSchema is the JSON Schema (draft 2020-12) of the data of a
// TypeClassified event: one Classification, or an array of them.
const ClassificationSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "flowsense classification (io.flowsense.flow.classified.v1 data)",
  "$defs": {
    "classification": {
      "type": "object",
      "required": ["label", "probability", "probabilities", "outlier_score", "verdict", "model"],
      "properties": {
        "label": {"type": "string", "description": "the predicted class, as the model names it"},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "probabilities": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
        "outlier_score": {"type": "number", "minimum": 0, "description": "squared Mahalanobis distance; 0 without a detector"},
        "verdict": {"enum": ["benign", "malicious", "anomalous"]},
        "model": {
          "type": "object",
          "required": ["name", "sha256"],
          "properties": {"name": {"type": "string"}, "sha256": {"type": "string"}}
        },
        "id": {"type": "string", "description": "the reply id of the prediction: feedback quotes it to be counted"},
        "explanation": {
          "type": "object",
          "description": "why (only when asked: ?explain=N or the explain extension attribute): the top N TreeSHAP contributions to the predicted class's raw score and shares of the outlier score",
          "required": ["class", "margin", "bias", "features"],
          "properties": {
            "class": {"type": "string"},
            "margin": {"type": "number", "description": "the class's raw score (log-odds for a logistic model) = bias + the sum of every feature's contribution"},
            "bias": {"type": "number", "description": "the raw score's expected value over the training data"},
            "features": {"type": "array", "items": {"$ref": "#/$defs/contribution"}},
            "outlier": {"type": "array", "items": {"allOf": [{"$ref": "#/$defs/contribution"}, {"required": ["mean", "z"], "properties": {"mean": {"type": "number", "description": "the benign mean, in the feature's units"}, "z": {"type": "number", "description": "standardised deviation from the benign mean, after the detector's log and clipping"}}}]}}
          }
        }
      }
    },
    "contribution": {
      "type": "object",
      "required": ["name", "value", "contribution"],
      "properties": {
        "name": {"type": "string"},
        "value": {"type": ["number", "string", "null"], "description": "the flow's value: a number, a category name, null when missing, \"+Inf\" or \"-Inf\""},
        "contribution": {"type": "number"}
      }
    }
  },
  "anyOf": [
    {"$ref": "#/$defs/classification"},
    {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/classification"}}
  ]
}
`
