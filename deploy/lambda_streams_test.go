package deploy_test

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The stream templates (lambda/streams.yaml: Kinesis, DynamoDB Streams,
// CloudWatch Logs, Firehose; lambda/kafka.yaml: Amazon MSK) are decoded
// as strictly as template.yaml, into structs of the properties they use.

type streamsTemplate struct {
	AWSTemplateFormatVersion string `yaml:"AWSTemplateFormatVersion"`
	Transform                string `yaml:"Transform"`
	Description              string `yaml:"Description"`
	Parameters               map[string]struct {
		Type           string   `yaml:"Type"`
		Default        cfnValue `yaml:"Default"`
		AllowedPattern string   `yaml:"AllowedPattern"`
		Description    string   `yaml:"Description"`
	} `yaml:"Parameters"`
	Resources map[string]streamsResource `yaml:"Resources"`
	Outputs   map[string]struct {
		Description string   `yaml:"Description"`
		Value       cfnValue `yaml:"Value"`
	} `yaml:"Outputs"`
}

type streamsResource struct {
	Type     string
	Function *streamFunction
	Queue    *sqsQueue
	Stream   *struct {
		StreamModeDetails struct {
			StreamMode string `yaml:"StreamMode"`
		} `yaml:"StreamModeDetails"`
		RetentionPeriodHours int `yaml:"RetentionPeriodHours"`
	}
	Table *struct {
		BillingMode          string `yaml:"BillingMode"`
		AttributeDefinitions []struct {
			AttributeName string `yaml:"AttributeName"`
			AttributeType string `yaml:"AttributeType"`
		} `yaml:"AttributeDefinitions"`
		KeySchema []struct {
			AttributeName string `yaml:"AttributeName"`
			KeyType       string `yaml:"KeyType"`
		} `yaml:"KeySchema"`
		StreamSpecification *struct {
			StreamViewType string `yaml:"StreamViewType"`
		} `yaml:"StreamSpecification"`
	}
	LogGroup *struct {
		RetentionInDays int `yaml:"RetentionInDays"`
	}
	Delivery *firehoseStream
	Role     *iamRole
	Bucket   bool
}

func (r *streamsResource) UnmarshalYAML(n *yaml.Node) error {
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
		r.Function = &streamFunction{}
		target = r.Function
	case "AWS::SQS::Queue":
		r.Queue = &sqsQueue{}
		target = r.Queue
	case "AWS::Kinesis::Stream":
		target = &r.Stream
	case "AWS::DynamoDB::Table":
		target = &r.Table
	case "AWS::Logs::LogGroup":
		target = &r.LogGroup
	case "AWS::KinesisFirehose::DeliveryStream":
		r.Delivery = &firehoseStream{}
		target = r.Delivery
	case "AWS::IAM::Role":
		r.Role = &iamRole{}
		target = r.Role
	case "AWS::S3::Bucket":
		r.Bucket = true
		if head.Properties.Kind != 0 {
			return fmt.Errorf("%w: line %d: bucket properties not modelled", errManifest, n.Line)
		}
		return nil
	default:
		return fmt.Errorf("%w: line %d: resource type %q not modelled", errManifest, n.Line, head.Type)
	}
	return strictNode(&head.Properties, target)
}

// streamEvent is a SAM event source of a stream template.
type streamEvent struct {
	Type       string `yaml:"Type"`
	Properties struct {
		Stream                         cfnValue   `yaml:"Stream"`
		Topics                         []cfnValue `yaml:"Topics"`
		StartingPosition               string     `yaml:"StartingPosition"`
		BatchSize                      int        `yaml:"BatchSize"`
		MaximumBatchingWindowInSeconds int        `yaml:"MaximumBatchingWindowInSeconds"`
		ConsumerGroupId                string     `yaml:"ConsumerGroupId"`
		FunctionResponseTypes          []string   `yaml:"FunctionResponseTypes"`
		BisectBatchOnFunctionError     bool       `yaml:"BisectBatchOnFunctionError"`
		MaximumRetryAttempts           *int       `yaml:"MaximumRetryAttempts"`
		ProvisionedPollerConfig        *struct {
			MinimumPollers int `yaml:"MinimumPollers"`
			MaximumPollers int `yaml:"MaximumPollers"`
		} `yaml:"ProvisionedPollerConfig"`
		DestinationConfig *struct {
			OnFailure struct {
				Type        string   `yaml:"Type"`
				Destination cfnValue `yaml:"Destination"`
			} `yaml:"OnFailure"`
		} `yaml:"DestinationConfig"`
		LogGroupName  cfnValue  `yaml:"LogGroupName"`
		FilterPattern *cfnValue `yaml:"FilterPattern"`
	} `yaml:"Properties"`
}

type streamFunction struct {
	Runtime       string     `yaml:"Runtime"`
	Architectures []string   `yaml:"Architectures"`
	Handler       string     `yaml:"Handler"`
	CodeUri       string     `yaml:"CodeUri"`
	MemorySize    cfnValue   `yaml:"MemorySize"`
	Timeout       int        `yaml:"Timeout"`
	Role          cfnValue   `yaml:"Role"`
	Layers        []cfnValue `yaml:"Layers"`
	Environment   struct {
		Variables map[string]cfnValue `yaml:"Variables"`
	} `yaml:"Environment"`
	LoggingConfig *struct {
		LogGroup cfnValue `yaml:"LogGroup"`
	} `yaml:"LoggingConfig"`
	Policies []map[string]struct {
		QueueName cfnValue `yaml:"QueueName"`
	} `yaml:"Policies"`
	Events map[string]streamEvent `yaml:"Events"`
}

type firehoseStream struct {
	DeliveryStreamType                 string `yaml:"DeliveryStreamType"`
	ExtendedS3DestinationConfiguration struct {
		BucketARN         cfnValue `yaml:"BucketARN"`
		RoleARN           cfnValue `yaml:"RoleARN"`
		Prefix            string   `yaml:"Prefix"`
		ErrorOutputPrefix string   `yaml:"ErrorOutputPrefix"`
		BufferingHints    struct {
			IntervalInSeconds int `yaml:"IntervalInSeconds"`
			SizeInMBs         int `yaml:"SizeInMBs"`
		} `yaml:"BufferingHints"`
		ProcessingConfiguration struct {
			Enabled    bool `yaml:"Enabled"`
			Processors []struct {
				Type       string `yaml:"Type"`
				Parameters []struct {
					ParameterName  string   `yaml:"ParameterName"`
					ParameterValue cfnValue `yaml:"ParameterValue"`
				} `yaml:"Parameters"`
			} `yaml:"Processors"`
		} `yaml:"ProcessingConfiguration"`
	} `yaml:"ExtendedS3DestinationConfiguration"`
}

// iamStatement is one statement of a policy; Action and Resource are a
// scalar or a list.
type iamStatement struct {
	Sid       string        `yaml:"Sid"`
	Effect    string        `yaml:"Effect"`
	Principal *iamPrincipal `yaml:"Principal"`
	Action    scalarOrList  `yaml:"Action"`
	Resource  scalarOrList  `yaml:"Resource"`
	// Condition: operator (StringEquals, ArnNotEquals, Bool, ...) to
	// condition key to values.
	Condition map[string]map[string]scalarOrList `yaml:"Condition"`
}

type scalarOrList []cfnValue

func (s *scalarOrList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var l []cfnValue
		if err := n.Decode(&l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	var v cfnValue
	if err := v.UnmarshalYAML(n); err != nil {
		return err
	}
	*s = []cfnValue{v}
	return nil
}

type iamPolicyDocument struct {
	Version   string         `yaml:"Version"`
	Statement []iamStatement `yaml:"Statement"`
}

type iamRole struct {
	AssumeRolePolicyDocument iamPolicyDocument `yaml:"AssumeRolePolicyDocument"`
	ManagedPolicyArns        []cfnValue        `yaml:"ManagedPolicyArns"`
	Policies                 []struct {
		PolicyName     string            `yaml:"PolicyName"`
		PolicyDocument iamPolicyDocument `yaml:"PolicyDocument"`
	} `yaml:"Policies"`
}

func decodeStreams(name string, b []byte) (*streamsTemplate, error) {
	var tpl streamsTemplate
	if err := strictYAML(b, &tpl); err != nil {
		return nil, &manifestError{File: name, Err: err}
	}
	return &tpl, nil
}

// checkStreams returns every way a stream template misses what the
// handler needs: the bootstrap as template.yaml deploys it; every stream
// source reporting batch item failures, bisecting, retrying a bounded
// number of times and then sending the record to a queue of the template
// (a bad record neither holds its shard forever nor is lost); the
// DynamoDB stream carrying new images; the logs subscription taking every
// record of a log group of the template; Firehose transforming with this
// function, filing failures under an error prefix, allowed to invoke it.
func checkStreams(tpl *streamsTemplate) error {
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
	if fn.Runtime != "provided.al2023" || !slices.Equal(fn.Architectures, []string{"arm64"}) || fn.Handler != "bootstrap" ||
		!strings.HasSuffix(fn.CodeUri, "functions/lambda/bootstrap.zip") {
		bad("function %s is not the bootstrap of make lambda (%s %v %s %s)", fnName, fn.Runtime, fn.Architectures, fn.Handler, fn.CodeUri)
	}
	key := fn.Environment.Variables["FLOWSENSE_REPLY_KEY_FILE"]
	layerParam := false
	for _, l := range fn.Layers {
		if _, ok := tpl.Parameters[l.Value]; ok && l.Tag == "!Ref" {
			layerParam = true
		}
	}
	if key.Tag != "" || !strings.HasPrefix(key.Value, "/opt/") || !layerParam {
		bad("FLOWSENSE_REPLY_KEY_FILE %q, layers %v: want a file under /opt/ of a layer named by a parameter (every execution environment the same reply-id key)", key.Value, fn.Layers)
	}
	getAtt := func(v cfnValue, attr string) (string, bool) {
		name, ok := strings.CutSuffix(v.Value, "."+attr)
		return name, v.Tag == "!GetAtt" && ok
	}
	sources := 0
	for name, ev := range fn.Events {
		p := ev.Properties
		switch ev.Type {
		case "Kinesis", "DynamoDB", "MSK":
			sources++
			if !slices.Contains(p.FunctionResponseTypes, "ReportBatchItemFailures") {
				bad("event %s: FunctionResponseTypes %v lacks ReportBatchItemFailures", name, p.FunctionResponseTypes)
			}
			if p.StartingPosition != "LATEST" && p.StartingPosition != "TRIM_HORIZON" {
				bad("event %s: StartingPosition %q", name, p.StartingPosition)
			}
			if !p.BisectBatchOnFunctionError {
				bad("event %s: BisectBatchOnFunctionError is off", name)
			}
			if p.MaximumRetryAttempts == nil || *p.MaximumRetryAttempts < 0 || *p.MaximumRetryAttempts > 10 {
				bad("event %s: MaximumRetryAttempts %v, want 0..10 (the default -1 retries a bad record until it expires)", name, p.MaximumRetryAttempts)
			}
			if p.DestinationConfig == nil {
				bad("event %s: no on-failure destination: records that fail every retry are lost", name)
			} else if q, ok := getAtt(p.DestinationConfig.OnFailure.Destination, "Arn"); !ok || tpl.Resources[q].Queue == nil {
				bad("event %s: on-failure destination %+v, want !GetAtt <queue of this template>.Arn", name, p.DestinationConfig.OnFailure.Destination)
			}
		}
		switch ev.Type {
		case "Kinesis":
			if s, ok := getAtt(p.Stream, "Arn"); !ok || tpl.Resources[s].Stream == nil {
				bad("event %s: stream %+v, want !GetAtt <Kinesis stream>.Arn", name, p.Stream)
			}
		case "DynamoDB":
			t, ok := getAtt(p.Stream, "StreamArn")
			if !ok || tpl.Resources[t].Table == nil {
				bad("event %s: stream %+v, want !GetAtt <table>.StreamArn", name, p.Stream)
				break
			}
			spec := tpl.Resources[t].Table.StreamSpecification
			if spec == nil || (spec.StreamViewType != "NEW_IMAGE" && spec.StreamViewType != "NEW_AND_OLD_IMAGES") {
				bad("table %s: stream %+v, want NEW_IMAGE or NEW_AND_OLD_IMAGES (the flow is the new image)", t, spec)
			}
		case "MSK":
			if p.Stream.Tag != "!Ref" || len(p.Topics) == 0 || p.ConsumerGroupId == "" {
				bad("event %s: cluster %+v, topics %v, consumer group %q", name, p.Stream, p.Topics, p.ConsumerGroupId)
			}
			if p.ProvisionedPollerConfig == nil {
				bad("event %s: no ProvisionedPollerConfig (Kafka partial batch responses need provisioned mode)", name)
			}
			if p.DestinationConfig != nil {
				q, _ := getAtt(p.DestinationConfig.OnFailure.Destination, "Arn")
				allowed := false
				for _, pol := range fn.Policies {
					if s, ok := pol["SQSSendMessagePolicy"]; ok && strings.TrimSuffix(s.QueueName.Value, ".QueueName") == q {
						allowed = true
					}
				}
				if !allowed {
					bad("event %s: the function may not send to its on-failure queue %s (SQSSendMessagePolicy)", name, q)
				}
			}
		case "CloudWatchLogs":
			sources++
			if p.LogGroupName.Tag != "!Ref" || tpl.Resources[p.LogGroupName.Value].LogGroup == nil {
				bad("event %s: log group %+v, want !Ref <log group of this template>", name, p.LogGroupName)
			}
			if p.FilterPattern == nil || p.FilterPattern.Value != "" {
				bad("event %s: filter pattern %+v, want \"\" (every record)", name, p.FilterPattern)
			}
		}
	}
	for name, r := range tpl.Resources {
		if r.Delivery == nil {
			continue
		}
		sources++
		d := r.Delivery.ExtendedS3DestinationConfiguration
		if d.ErrorOutputPrefix == "" {
			bad("delivery stream %s: no ErrorOutputPrefix", name)
		}
		pc := d.ProcessingConfiguration
		lambdaArn := ""
		for _, pr := range pc.Processors {
			for _, pa := range pr.Parameters {
				if pr.Type == "Lambda" && pa.ParameterName == "LambdaArn" {
					if f, ok := getAtt(pa.ParameterValue, "Arn"); ok {
						lambdaArn = f
					}
				}
			}
		}
		if !pc.Enabled || lambdaArn != fnName {
			bad("delivery stream %s: processing %+v, want enabled with LambdaArn !GetAtt %s.Arn", name, pc, fnName)
		}
		role, ok := getAtt(d.RoleARN, "Arn")
		if !ok || tpl.Resources[role].Role == nil {
			bad("delivery stream %s: role %+v is not a role of this template", name, d.RoleARN)
			continue
		}
		invoke := false
		for _, pol := range tpl.Resources[role].Role.Policies {
			for _, st := range pol.PolicyDocument.Statement {
				if st.Effect != "Allow" || !slices.ContainsFunc(st.Action, func(a cfnValue) bool { return a.Value == "lambda:InvokeFunction" }) {
					continue
				}
				for _, res := range st.Resource {
					if f, ok := getAtt(res, "Arn"); ok && f == fnName {
						invoke = true
					}
				}
			}
		}
		if !invoke {
			bad("delivery stream %s: role %s may not invoke %s", name, role, fnName)
		}
	}
	if sources == 0 {
		bad("no stream source")
	}
	if len(errs) > 0 {
		return errors.Join(append([]error{errManifest}, errs...)...)
	}
	return nil
}

var streamTemplates = []string{"lambda/streams.yaml", "lambda/kafka.yaml"}

func TestLambdaStreamTemplates(t *testing.T) {
	for _, name := range streamTemplates {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := decodeStreams(name, b)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkStreams(tpl); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLambdaStreamTemplateMutationsRejected(t *testing.T) {
	cases := map[string]struct{ file, old, new string }{
		"kinesis without partial failures": {"lambda/streams.yaml", "            FunctionResponseTypes:\n              - ReportBatchItemFailures\n            BisectBatchOnFunctionError: true\n            MaximumRetryAttempts: 2\n            DestinationConfig:\n              OnFailure:\n                Type: SQS\n                Destination: !GetAtt StreamFailureQueue.Arn\n        TableFlows:", "        TableFlows:"},
		"infinite retries":                 {"lambda/streams.yaml", "MaximumRetryAttempts: 2", "MaximumRetryAttempts: -1"},
		"no bisect":                        {"lambda/streams.yaml", "BisectBatchOnFunctionError: true", "BisectBatchOnFunctionError: false"},
		"keys-only stream":                 {"lambda/streams.yaml", "StreamViewType: NEW_IMAGE", "StreamViewType: KEYS_ONLY"},
		"failures to a stream":             {"lambda/streams.yaml", "Destination: !GetAtt StreamFailureQueue.Arn", "Destination: !GetAtt FlowStream.Arn"},
		"filtered logs":                    {"lambda/streams.yaml", `FilterPattern: ""`, `FilterPattern: "REJECT"`},
		"logs of another group":            {"lambda/streams.yaml", "LogGroupName: !Ref FlowLogGroup", "LogGroupName: /aws/vpc/other"},
		"firehose without transformation":  {"lambda/streams.yaml", "Enabled: true", "Enabled: false"},
		"firehose without error prefix":    {"lambda/streams.yaml", "        ErrorOutputPrefix: failed/\n", ""},
		"firehose may not invoke":          {"lambda/streams.yaml", "                  - lambda:InvokeFunction\n", ""},
		"unknown property":                 {"lambda/streams.yaml", "StartingPosition: LATEST", "StartingPosition: LATEST\n            StartPos: LATEST"},
		"kafka without pollers":            {"lambda/kafka.yaml", "            ProvisionedPollerConfig:\n              MinimumPollers: 1\n              MaximumPollers: 2\n", ""},
		"kafka without failure queue":      {"lambda/kafka.yaml", "            DestinationConfig:\n              OnFailure:\n                Destination: !GetAtt KafkaFailureQueue.Arn\n", ""},
		"kafka may not send":               {"lambda/kafka.yaml", "QueueName: !GetAtt KafkaFailureQueue.QueueName", "QueueName: !GetAtt Other.QueueName"},
		"kafka amd64":                      {"lambda/kafka.yaml", "- arm64", "- x86_64"},
		"streams without the reply key":    {"lambda/streams.yaml", "          FLOWSENSE_REPLY_KEY_FILE: /opt/flowsense/reply-key\n", "          FLOWSENSE_MODEL: \"\"\n"},
		"kafka key outside a layer":        {"lambda/kafka.yaml", "      Layers:\n        - !Ref ReplyKeyLayerArn\n", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tc.old) {
				t.Fatalf("%s no longer contains %q", tc.file, tc.old)
			}
			tpl, err := decodeStreams(tc.file, []byte(strings.Replace(string(b), tc.old, tc.new, 1)))
			if err == nil {
				err = checkStreams(tpl)
			}
			if !errors.Is(err, errManifest) {
				t.Fatalf("err = %v, want errManifest", err)
			}
		})
	}
}

// checkStreamPrivilege: the function of a stream template runs under a
// role of the template that grants exactly what its sources need (its own
// log group; the reads of each Kinesis and DynamoDB stream; sqs:SendMessage
// on each on-failure queue) and nothing else. A CloudWatch Logs source and
// Firehose need no grant of the function's role (they invoke it through
// a resource policy and FirehoseRole).
func checkStreamPrivilege(tpl *streamsTemplate) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	var fnName string
	for name, r := range tpl.Resources {
		if r.Function != nil {
			fnName = name
		}
	}
	fn := tpl.Resources[fnName].Function
	roleName, ok := strings.CutSuffix(fn.Role.Value, ".Arn")
	if fn.Role.Tag != "!GetAtt" || !ok || tpl.Resources[roleName].Role == nil {
		return errors.Join(errManifest, fmt.Errorf("function %s: Role %+v, want !GetAtt <AWS::IAM::Role of this template>.Arn (without it SAM's role attaches AWSLambdaKinesisExecutionRole and AWSLambdaDynamoDBExecutionRole, on Resource '*')", fnName, fn.Role))
	}
	if len(fn.Policies) > 0 {
		bad("function %s: SAM policies %v beside its own role", fnName, fn.Policies)
	}
	var need []grant
	add := func(resource string, actions ...string) {
		for _, a := range actions {
			need = append(need, grant{a, resource})
		}
	}
	if fn.LoggingConfig == nil || fn.LoggingConfig.LogGroup.Tag != "!Ref" || tpl.Resources[fn.LoggingConfig.LogGroup.Value].LogGroup == nil {
		bad("the function's LoggingConfig.LogGroup is not !Ref <log group of this template> (the role could not name it)")
	} else {
		add("!GetAtt "+fn.LoggingConfig.LogGroup.Value+".Arn", "logs:CreateLogStream", "logs:PutLogEvents")
	}
	for name, ev := range fn.Events {
		p := ev.Properties
		switch ev.Type {
		case "Kinesis":
			add(intrinsic(p.Stream), "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards")
		case "DynamoDB":
			add(intrinsic(p.Stream), "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams")
		case "CloudWatchLogs":
		default:
			bad("event %s: type %s: its permissions are not modelled", name, ev.Type)
		}
		if d := p.DestinationConfig; d != nil && !slices.Contains(need, grant{"sqs:SendMessage", intrinsic(d.OnFailure.Destination)}) {
			add(intrinsic(d.OnFailure.Destination), "sqs:SendMessage")
		}
	}
	has := func(name string) bool { _, ok := tpl.Resources[name]; return ok }
	errs = append(errs, checkRoleGrants(roleName, tpl.Resources[roleName].Role, func(v cfnValue) bool { return scopedTo(has, v) }, need)...)
	if len(errs) > 0 {
		return errors.Join(append([]error{errManifest}, errs...)...)
	}
	return nil
}

func TestLambdaStreamsLeastPrivilege(t *testing.T) {
	b, err := os.ReadFile("lambda/streams.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(b)
	tpl, err := decodeStreams("lambda/streams.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkStreamPrivilege(tpl); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ old, new, want string }{
		"role not attached":      {"      Role: !GetAtt FlowsenseStreamRole.Arn\n", "", "want !GetAtt <AWS::IAM::Role"},
		"managed policy":         {"      Policies:\n        - PolicyName: logs", "      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole\n      Policies:\n        - PolicyName: logs", "managed policies"},
		"wildcard action":        {"- kinesis:GetRecords", "- kinesis:*", "wildcard"},
		"resource star":          {"Resource: !GetAtt FlowStream.Arn", `Resource: "*"`, "not a resource of this stack"},
		"another account's":      {"Resource: !GetAtt FlowTable.StreamArn", "Resource: arn:aws:dynamodb:us-east-1:123456789012:table/x/stream/*", "not a resource of this stack"},
		"extra grant":            {"                  - kinesis:ListShards\n", "                  - kinesis:ListShards\n                  - kinesis:PutRecord\n", "no source of the template needs"},
		"missing stream read":    {"                  - dynamodb:GetRecords\n", "", "lacks dynamodb:GetRecords"},
		"no send on failure":     {"                  - sqs:SendMessage\n                Resource: !GetAtt StreamFailureQueue.Arn\n", "                  - sqs:GetQueueUrl\n                Resource: !GetAtt StreamFailureQueue.Arn\n", "lacks sqs:SendMessage"},
		"receive on the queue":   {"                  - sqs:SendMessage\n", "                  - sqs:SendMessage\n                  - sqs:ReceiveMessage\n", "no source of the template needs"},
		"logs of every group":    {"Resource: !GetAtt FlowsenseStreamLogGroup.Arn", `Resource: !Sub "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:*"`, "not a resource of this stack"},
		"no own log group":       {"        LogGroup: !Ref FlowsenseStreamLogGroup", "        LogGroup: /aws/lambda/other", "LoggingConfig"},
		"trusted by anyone":      {"              Service: lambda.amazonaws.com", "              AWS: \"*\"", "trust policy"},
		"SAM policy beside role": {"          FLOWSENSE_REPLY_KEY_FILE: /opt/flowsense/reply-key\n      # The role below", "          FLOWSENSE_REPLY_KEY_FILE: /opt/flowsense/reply-key\n      Policies:\n        - SQSSendMessagePolicy:\n            QueueName: !GetAtt StreamFailureQueue.QueueName\n      # The role below", "SAM policies"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("streams.yaml no longer contains %q", tc.old)
			}
			tpl, err := decodeStreams("lambda/streams.yaml", []byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil {
				err = checkStreamPrivilege(tpl)
			}
			if !errors.Is(err, errManifest) || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
				t.Fatalf("err = %v\nwant errManifest saying %q", err, tc.want)
			}
		})
	}
}
