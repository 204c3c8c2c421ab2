package deploy_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The SAM template is checked against Go structs of the properties we rely
// on. Values that may be CloudFormation intrinsics (!Ref, !GetAtt, !Sub)
// are of type cfnValue, which keeps the tag and its argument; decoding is
// strict (yaml.v3 KnownFields), so every field the template uses must be
// modelled here.

// cfnValue is a scalar or an intrinsic function in short form.
type cfnValue struct {
	Tag   string // "" for a plain scalar, else "!Ref", "!GetAtt", "!Sub"
	Value string
}

func (v *cfnValue) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%w: line %d: want a scalar or a short-form intrinsic", errManifest, n.Line)
	}
	switch n.Tag {
	case "!Ref", "!GetAtt", "!Sub":
		v.Tag = n.Tag
	case "!!str", "!!int", "!!bool", "!!float", "!!null":
	default:
		return fmt.Errorf("%w: line %d: unsupported tag %s", errManifest, n.Line, n.Tag)
	}
	v.Value = n.Value
	return nil
}

type samTemplate struct {
	AWSTemplateFormatVersion string `yaml:"AWSTemplateFormatVersion"`
	Transform                string `yaml:"Transform"`
	Description              string `yaml:"Description"`
	Parameters               map[string]struct {
		Type           string   `yaml:"Type"`
		Default        cfnValue `yaml:"Default"`
		AllowedPattern string   `yaml:"AllowedPattern"`
		Description    string   `yaml:"Description"`
	} `yaml:"Parameters"`
	Resources map[string]samResource `yaml:"Resources"`
	Outputs   map[string]struct {
		Description string   `yaml:"Description"`
		Value       cfnValue `yaml:"Value"`
	} `yaml:"Outputs"`
}

// samResource decodes Properties by Type.
type samResource struct {
	Type        string            `yaml:"Type"`
	Function    *samFunction      `yaml:"-"` // set when Type is AWS::Serverless::Function
	Queue       *sqsQueue         `yaml:"-"` // set when Type is AWS::SQS::Queue
	Role        *iamRole          `yaml:"-"` // AWS::IAM::Role
	LogGroup    *logGroup         `yaml:"-"` // AWS::Logs::LogGroup
	Permission  *lambdaPermission `yaml:"-"` // AWS::Lambda::Permission
	QueuePolicy *sqsQueuePolicy   `yaml:"-"` // AWS::SQS::QueuePolicy
}

func (r *samResource) UnmarshalYAML(n *yaml.Node) error {
	var head struct {
		Type       string    `yaml:"Type"`
		Properties yaml.Node `yaml:"Properties"`
	}
	if err := strictNode(n, &head); err != nil {
		return err
	}
	r.Type = head.Type
	var target any
	switch head.Type {
	case "AWS::Serverless::Function":
		r.Function = &samFunction{}
		target = r.Function
	case "AWS::SQS::Queue":
		r.Queue = &sqsQueue{}
		target = r.Queue
	case "AWS::IAM::Role":
		r.Role = &iamRole{}
		target = r.Role
	case "AWS::Logs::LogGroup":
		r.LogGroup = &logGroup{}
		target = r.LogGroup
	case "AWS::Lambda::Permission":
		r.Permission = &lambdaPermission{}
		target = r.Permission
	case "AWS::SQS::QueuePolicy":
		r.QueuePolicy = &sqsQueuePolicy{}
		target = r.QueuePolicy
	default:
		return fmt.Errorf("%w: line %d: resource type %q not modelled", errManifest, n.Line, head.Type)
	}
	return strictNode(&head.Properties, target)
}

// strictNode decodes a node with unknown fields as errors (Node.Decode
// itself is not strict, so re-encode and decode with KnownFields).
func strictNode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	return strictYAML(b, v)
}

func strictYAML(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", errManifest, err)
	}
	return nil
}

type samFunction struct {
	Runtime       string     `yaml:"Runtime"`
	Architectures []string   `yaml:"Architectures"`
	Handler       string     `yaml:"Handler"`
	CodeUri       string     `yaml:"CodeUri"`
	MemorySize    cfnValue   `yaml:"MemorySize"`
	Timeout       int        `yaml:"Timeout"`
	Role          cfnValue   `yaml:"Role"`
	Layers        []cfnValue `yaml:"Layers"`
	LoggingConfig *struct {
		LogGroup cfnValue `yaml:"LogGroup"`
	} `yaml:"LoggingConfig"`
	Environment struct {
		Variables map[string]cfnValue `yaml:"Variables"`
	} `yaml:"Environment"`
	FunctionUrlConfig *struct {
		AuthType string `yaml:"AuthType"`
	} `yaml:"FunctionUrlConfig"`
	Events map[string]struct {
		Type       string `yaml:"Type"`
		Properties struct {
			Queue                          cfnValue `yaml:"Queue"`
			Stream                         cfnValue `yaml:"Stream"` // Kinesis, DynamoDB
			StartingPosition               string   `yaml:"StartingPosition"`
			BatchSize                      int      `yaml:"BatchSize"`
			MaximumBatchingWindowInSeconds int      `yaml:"MaximumBatchingWindowInSeconds"`
			FunctionResponseTypes          []string `yaml:"FunctionResponseTypes"`
		} `yaml:"Properties"`
	} `yaml:"Events"`
}

type sqsQueue struct {
	VisibilityTimeout      int `yaml:"VisibilityTimeout"`
	MessageRetentionPeriod int `yaml:"MessageRetentionPeriod"`
	RedrivePolicy          *struct {
		DeadLetterTargetArn cfnValue `yaml:"deadLetterTargetArn"`
		MaxReceiveCount     int      `yaml:"maxReceiveCount"`
	} `yaml:"RedrivePolicy"`
}

func decodeSAM(b []byte) (*samTemplate, error) {
	var tpl samTemplate
	if err := strictYAML(b, &tpl); err != nil {
		return nil, &manifestError{File: "template.yaml", Err: err}
	}
	return &tpl, nil
}

// checkSAM returns every way the template misses what flowsense needs.
func checkSAM(tpl *samTemplate) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if tpl.Transform != "AWS::Serverless-2016-10-31" {
		bad("transform %q is not SAM", tpl.Transform)
	}
	var fnName string
	for name, r := range tpl.Resources {
		if r.Function != nil {
			if fnName != "" {
				bad("two functions: %s and %s", fnName, name)
			}
			fnName = name
		}
	}
	if fnName == "" {
		return errors.Join(errManifest, errors.New("no AWS::Serverless::Function"))
	}
	fn := tpl.Resources[fnName].Function
	if fn.Runtime != "provided.al2023" {
		bad("runtime %q, want provided.al2023", fn.Runtime)
	}
	if !slices.Equal(fn.Architectures, []string{"arm64"}) {
		bad("architectures %v, want [arm64]", fn.Architectures)
	}
	if fn.Handler != "bootstrap" {
		bad("handler %q, want bootstrap", fn.Handler)
	}
	if filepath.Base(fn.CodeUri) != "bootstrap.zip" || !strings.HasSuffix(fn.CodeUri, "functions/lambda/bootstrap.zip") {
		bad("codeUri %q, want .../functions/lambda/bootstrap.zip", fn.CodeUri)
	}
	if fn.FunctionUrlConfig == nil || fn.FunctionUrlConfig.AuthType != "AWS_IAM" {
		bad("function URL %+v, want AuthType AWS_IAM", fn.FunctionUrlConfig)
	}
	// the reply-id key: one file for every execution environment, from a
	// layer the deployer names (a layer's files are under /opt)
	key := fn.Environment.Variables["FLOWSENSE_REPLY_KEY_FILE"]
	layerParam := false
	for _, l := range fn.Layers {
		if _, ok := tpl.Parameters[l.Value]; ok && l.Tag == "!Ref" {
			layerParam = true
		}
	}
	switch {
	case key.Tag != "" || key.Value == "":
		bad("no FLOWSENSE_REPLY_KEY_FILE: every execution environment would sign reply ids with a random key of its own")
	case !strings.HasPrefix(key.Value, "/opt/") || !layerParam:
		bad("FLOWSENSE_REPLY_KEY_FILE %q: want a file under /opt/ of a layer named by a parameter (!Ref), have layers %v", key.Value, fn.Layers)
	}
	var sqs int
	for name, ev := range fn.Events {
		if ev.Type != "SQS" {
			continue
		}
		sqs++
		p := ev.Properties
		if !slices.Contains(p.FunctionResponseTypes, "ReportBatchItemFailures") {
			bad("event %s: FunctionResponseTypes %v lacks ReportBatchItemFailures", name, p.FunctionResponseTypes)
		}
		if p.Queue.Tag != "!GetAtt" || !strings.HasSuffix(p.Queue.Value, ".Arn") {
			bad("event %s: queue %+v, want !GetAtt <queue>.Arn", name, p.Queue)
			continue
		}
		qName := strings.TrimSuffix(p.Queue.Value, ".Arn")
		q := tpl.Resources[qName].Queue
		if q == nil {
			bad("event %s: %s is not an SQS queue of this template", name, qName)
			continue
		}
		if q.VisibilityTimeout < fn.Timeout {
			bad("queue %s: visibility timeout %ds below the function timeout %ds", qName, q.VisibilityTimeout, fn.Timeout)
		}
		rp := q.RedrivePolicy
		if rp == nil {
			bad("queue %s: no RedrivePolicy (dead-letter queue)", qName)
			continue
		}
		dlq := strings.TrimSuffix(rp.DeadLetterTargetArn.Value, ".Arn")
		if rp.DeadLetterTargetArn.Tag != "!GetAtt" || tpl.Resources[dlq].Queue == nil || dlq == qName {
			bad("queue %s: dead-letter target %+v, want !GetAtt <another queue>.Arn", qName, rp.DeadLetterTargetArn)
		}
		if rp.MaxReceiveCount < 1 {
			bad("queue %s: maxReceiveCount %d, want >= 1", qName, rp.MaxReceiveCount)
		}
	}
	if sqs == 0 {
		bad("no SQS event source")
	}
	errs = append(errs, checkSAMPrivilege(tpl, fnName)...)
	for name, o := range tpl.Outputs {
		if o.Value.Tag == "!Ref" || o.Value.Tag == "!GetAtt" {
			ref, _, _ := strings.Cut(o.Value.Value, ".")
			// SAM names the generated Function URL resource <Function>Url.
			if _, ok := tpl.Resources[ref]; !ok && ref != fnName+"Url" {
				if _, ok := tpl.Parameters[ref]; !ok {
					bad("output %s refers to unknown %s", name, ref)
				}
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errManifest}, errs...)...)
	}
	return nil
}

func TestLambdaTemplate(t *testing.T) {
	b, err := os.ReadFile("lambda/template.yaml")
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	tpl, err := decodeSAM(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkSAM(tpl); err != nil {
		t.Fatal(err)
	}
}

func TestLambdaTemplateMutationsRejected(t *testing.T) {
	b, err := os.ReadFile("lambda/template.yaml")
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	base := string(b)
	cases := map[string]struct{ old, new string }{
		"amd64":                 {"- arm64", "- x86_64"},
		"old runtime":           {"Runtime: provided.al2023", "Runtime: provided.al2"},
		"public URL":            {"AuthType: AWS_IAM", "AuthType: NONE"},
		"no partial failures":   {"- ReportBatchItemFailures", "[]"},
		"no dead-letter queue":  {"      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt FlowDeadLetterQueue.Arn\n        maxReceiveCount: 3\n", ""},
		"dead letter to itself": {"deadLetterTargetArn: !GetAtt FlowDeadLetterQueue.Arn", "deadLetterTargetArn: !GetAtt FlowQueue.Arn"},
		"unknown property":      {"Handler: bootstrap", "Handler: bootstrap\n      Handlr: bootstrap"},
		"unknown tag":           {"!Ref MemorySize", "!Refx MemorySize"},
		"wrong code":            {"functions/lambda/bootstrap.zip", "functions/lambda/other.zip"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("template no longer contains %q", tc.old)
			}
			tpl, err := decodeSAM([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil {
				err = checkSAM(tpl)
			}
			if !errors.Is(err, errManifest) {
				t.Fatalf("err = %v, want errManifest", err)
			}
		})
	}
}
