package cloudevents

import (
	"strings"

	"github.com/flowsense/flowsense/model"
)

// Event types, data content type and extension names. Frozen: Triggers
// filter on them.
const (
	// TypeFlow is the type of an event carrying one or more flows.
	TypeFlow = "io.flowsense.flow.v1"
	// TypeClassified is the type of the reply to a TypeFlow event.
	TypeClassified = "io.flowsense.flow.classified.v1"
	// ContentTypeJSON is the data content type of both.
	ContentTypeJSON = "application/json"
	// MediaTypeStructured and MediaTypeBatch are the HTTP content types of
	// the structured and batch encodings.
	MediaTypeStructured = "application/cloudevents+json"
	MediaTypeBatch      = "application/cloudevents-batch+json"
	// ExtVerdict is the extension attribute carrying the verdict: benign,
	// malicious or anomalous.
	ExtVerdict = "verdict"
	// ExtFlowClass is the extension attribute carrying the predicted class,
	// normalised by FlowClass.
	ExtFlowClass = "flowclass"
)

// ModelRef names the model that answered.
type ModelRef struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Classification is the answer for one flow: the data of a TypeClassified
// event and one element of a /predict answer.
type Classification struct {
	// Label is the predicted class, exactly as the model names it.
	Label string `json:"label"`
	// Probability is the probability of Label.
	Probability float64 `json:"probability"`
	// Probabilities maps every class to its probability.
	Probabilities map[string]float64 `json:"probabilities"`
	// OutlierScore is the detector's squared Mahalanobis distance (0 when
	// the model has no detector).
	OutlierScore float64 `json:"outlier_score"`
	// Verdict is benign, malicious or anomalous.
	Verdict string   `json:"verdict"`
	Model   ModelRef `json:"model"`
	// ID is the reply id of the prediction: feedback quotes it (Feedback.ID)
	// to be counted. Empty when the host issues none.
	ID string `json:"id,omitempty"`
	// Explanation says why (explain.go); present only when asked for.
	Explanation *Explanation `json:"explanation,omitempty"`
}

// Classify builds a Classification from a class index, its probabilities
// (in class order), an outlier score and a verdict.
func Classify(classes []string, class int, probs []float64, score float64, v model.Verdict, ref ModelRef) Classification {
	c := Classification{OutlierScore: score, Verdict: v.String(), Model: ref,
		Probabilities: make(map[string]float64, len(classes))}
	for i, name := range classes {
		if i < len(probs) {
			c.Probabilities[name] = probs[i]
		}
	}
	if class >= 0 && class < len(classes) && class < len(probs) {
		c.Label = classes[class]
		c.Probability = probs[class]
	}
	return c
}

// FlowClass normalises a class name for the flowclass extension attribute,
// so that a Trigger filter can match it exactly and every broker carries
// it unchanged: ASCII letters are lowercased, digits kept, everything else
// (spaces, punctuation, non-ASCII) dropped; "Brute Force" becomes
// "bruteforce", "DDoS-PSH-ACK" "ddospshack", "BENIGN" "benign". A name with
// nothing left becomes "unknown". Two classes may normalise alike ("Slow
// DoS" and "slow_dos"); the exact name is always in the data's label.
func FlowClass(label string) string {
	var b strings.Builder
	b.Grow(len(label))
	for i := 0; i < len(label); i++ {
		c := label[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}
