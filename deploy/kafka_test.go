package deploy_test

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	"sigs.k8s.io/yaml"
)

// knative/kafka/broker.yaml: the Broker and Triggers of eventing.yaml on
// the Knative Broker for Apache Kafka. The Broker and Triggers decode into
// knative.dev/eventing v0.50.0 types and pass SetDefaults and Validate as
// the other manifests do; the ConfigMap decodes strictly into
// k8s.io/api/core/v1.

const kafkaBrokerFile = "knative/kafka/broker.yaml"

type kafkaManifest struct {
	config   *corev1.ConfigMap
	broker   *eventingv1.Broker
	triggers map[string]*eventingv1.Trigger // by name
}

func decodeKafka(b []byte) (*kafkaManifest, error) {
	m := &kafkaManifest{triggers: map[string]*eventingv1.Trigger{}}
	for i, doc := range splitDocs(b) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, &manifestError{File: kafkaBrokerFile, Doc: i, Err: fmt.Errorf("%w: type: %w", errManifest, err)}
		}
		if tm.APIVersion == "v1" && tm.Kind == "ConfigMap" {
			var cm corev1.ConfigMap
			if err := strict(doc, &cm); err != nil {
				return nil, &manifestError{File: kafkaBrokerFile, Doc: i, Err: err}
			}
			m.config = &cm
			continue
		}
		obj, err := knativeObject(doc)
		if err != nil {
			return nil, &manifestError{File: kafkaBrokerFile, Doc: i, Err: err}
		}
		switch o := obj.(type) {
		case *eventingv1.Broker:
			m.broker = o
		case *eventingv1.Trigger:
			m.triggers[o.Name] = o
		default:
			return nil, &manifestError{File: kafkaBrokerFile, Doc: i, Err: fmt.Errorf("%w: %T is not part of the Kafka broker", errManifest, obj)}
		}
	}
	return m, nil
}

// checkKafka: a Kafka-class Broker whose config is the ConfigMap of the
// file, with bootstrap servers, partitions and replicas; the same Broker
// delivery and the same Triggers (names, filters, subscribers, delivery)
// as eventing.yaml, each delivering in order.
func checkKafka(m *kafkaManifest, ev []validatable) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if m.broker == nil || m.config == nil {
		return errors.Join(errManifest, errors.New("want a Broker and its ConfigMap"))
	}
	if c := m.broker.Annotations["eventing.knative.dev/broker.class"]; c != "Kafka" {
		bad("broker class %q, want Kafka", c)
	}
	cfg := m.broker.Spec.Config
	if cfg == nil || cfg.Kind != "ConfigMap" || cfg.APIVersion != "v1" || cfg.Name != m.config.Name {
		bad("broker config %+v, want the ConfigMap %s of this file", cfg, m.config.Name)
	}
	if m.config.Data["bootstrap.servers"] == "" {
		bad("config: no bootstrap.servers")
	}
	for _, k := range []string{"default.topic.partitions", "default.topic.replication.factor"} {
		if n, err := strconv.Atoi(m.config.Data[k]); err != nil || n < 1 {
			bad("config: %s = %q, want a positive integer", k, m.config.Data[k])
		}
	}
	var want []*eventingv1.Trigger
	for _, o := range ev {
		switch o := o.(type) {
		case *eventingv1.Broker:
			if !reflect.DeepEqual(o.Spec.Delivery, m.broker.Spec.Delivery) || o.Name != m.broker.Name {
				bad("broker %s: name or delivery differ from eventing.yaml's %s", m.broker.Name, o.Name)
			}
		case *eventingv1.Trigger:
			want = append(want, o)
		}
	}
	if len(m.triggers) != len(want) {
		bad("%d triggers, eventing.yaml has %d", len(m.triggers), len(want))
	}
	for _, w := range want {
		got := m.triggers[w.Name]
		if got == nil {
			bad("no trigger %s (eventing.yaml has it)", w.Name)
			continue
		}
		if !reflect.DeepEqual(got.Spec, w.Spec) {
			bad("trigger %s: spec differs from eventing.yaml's", w.Name)
		}
		if o := got.Annotations["kafka.eventing.knative.dev/delivery.order"]; o != "ordered" {
			bad("trigger %s: delivery.order %q, want ordered (a flow's events in partition order)", w.Name, o)
		}
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errManifest}, errs...)...)
	}
	return nil
}

func eventingObjects(t *testing.T) []validatable {
	t.Helper()
	ev, err := knativeObjects("eventing.yaml", readFile(t, "knative/eventing.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestKafkaBroker(t *testing.T) {
	m, err := decodeKafka(readFile(t, kafkaBrokerFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkKafka(m, eventingObjects(t)); err != nil {
		t.Fatal(err)
	}
}

func TestKafkaBrokerMutationsRejected(t *testing.T) {
	base := string(readFile(t, kafkaBrokerFile))
	ev := eventingObjects(t)
	cases := map[string]struct{ old, new string }{
		"channel broker":      {"broker.class: Kafka", "broker.class: MTChannelBasedBroker"},
		"another config":      {"    name: flowsense-kafka-broker-config", "    name: kafka-broker-config"},
		"config of no kind":   {"    apiVersion: v1\n    kind: ConfigMap\n    name: flowsense-kafka-broker-config", "    name: flowsense-kafka-broker-config"},
		"no partitions":       {`default.topic.partitions: "12"`, `default.topic.partitions: "0"`},
		"word partitions":     {`default.topic.partitions: "12"`, `default.topic.partitions: "twelve"`},
		"no servers":          {`bootstrap.servers: "my-cluster-kafka-bootstrap.kafka:9092"`, `bootstrap.servers: ""`},
		"unordered":           {"kafka.eventing.knative.dev/delivery.order: ordered", "kafka.eventing.knative.dev/delivery.order: unordered"},
		"another filter":      {"type: io.flowsense.flow.v1", "type: io.flowsense.flow.v2"},
		"another subscriber":  {"      name: flowsense-alerts", "      name: flowsense-alert"},
		"broker delivery":     {"    retry: 5\n    backoffPolicy: exponential\n    backoffDelay: PT0.5S\n    deadLetterSink:", "    retry: 2\n    backoffPolicy: exponential\n    backoffDelay: PT0.5S\n    deadLetterSink:"},
		"unknown field":       {"  config:\n", "  configg: {}\n  config:\n"},
		"unknown config item": {"data:\n", "dataa: {}\ndata:\n"},
		"bad backoff":         {"backoffDelay: PT1S", "backoffDelay: one second"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("manifest no longer contains %q", tc.old)
			}
			m, err := decodeKafka([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil {
				err = checkKafka(m, ev)
			}
			if !errors.Is(err, errManifest) {
				t.Fatalf("err = %v, want errManifest", err)
			}
		})
	}
}
