package deploy_test

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Least privilege of lambda/template.yaml: the function runs under a role
// of the template that grants exactly what it needs (its own log group;
// receive, delete and get-attributes on the queue of each SQS source; the
// stream reads of each Kinesis or DynamoDB source it declares) and nothing
// else; the Function URL keeps AuthType AWS_IAM and its resource policy
// names one principal parameter; each SQS source queue has a queue policy
// that lets only named senders send.

// iamPrincipal is "*" or a map of principal kinds to values.
type iamPrincipal struct {
	Any       bool // Principal: "*"
	Service   scalarOrList
	AWS       scalarOrList
	Federated scalarOrList
}

func (p *iamPrincipal) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Tag != "!!str" || n.Value != "*" {
			return fmt.Errorf("%w: line %d: a scalar Principal must be \"*\"", errManifest, n.Line)
		}
		p.Any = true
		return nil
	}
	var m struct {
		Service   scalarOrList `yaml:"Service"`
		AWS       scalarOrList `yaml:"AWS"`
		Federated scalarOrList `yaml:"Federated"`
	}
	if err := strictNode(n, &m); err != nil {
		return err
	}
	p.Service, p.AWS, p.Federated = m.Service, m.AWS, m.Federated
	return nil
}

// anyone reports whether the principal is everyone ("*" or AWS: "*").
func (p *iamPrincipal) anyone() bool {
	if p == nil {
		return false
	}
	return p.Any || slices.ContainsFunc(p.AWS, func(v cfnValue) bool { return v.Tag == "" && v.Value == "*" })
}

type logGroup struct {
	LogGroupName    cfnValue `yaml:"LogGroupName"`
	RetentionInDays int      `yaml:"RetentionInDays"`
}

type lambdaPermission struct {
	Action                cfnValue `yaml:"Action"`
	FunctionName          cfnValue `yaml:"FunctionName"`
	Principal             cfnValue `yaml:"Principal"`
	FunctionUrlAuthType   string   `yaml:"FunctionUrlAuthType"`
	InvokedViaFunctionUrl bool     `yaml:"InvokedViaFunctionUrl"`
	SourceArn             cfnValue `yaml:"SourceArn"`
	SourceAccount         cfnValue `yaml:"SourceAccount"`
}

type sqsQueuePolicy struct {
	Queues         []cfnValue        `yaml:"Queues"`
	PolicyDocument iamPolicyDocument `yaml:"PolicyDocument"`
}

// grant is one (action, resource) pair a role allows; resource is the
// intrinsic as written ("!GetAtt FlowQueue.Arn").
type grant struct{ action, resource string }

func (g grant) String() string { return g.action + " on " + g.resource }

func intrinsic(v cfnValue) string { return strings.TrimSpace(v.Tag + " " + v.Value) }

// subRefs are the ${Name} and ${Name.Attr} references of a !Sub string.
var subRefs = regexp.MustCompile(`\$\{([^}!]+)\}`)

// stackScoped reports whether a Resource names a resource of the stack:
// !GetAtt R.Attr or !Ref R of a resource, or a !Sub that starts with such a
// reference (so "${Bucket.Arn}/*" is the objects of that bucket, not any).
func stackScoped(tpl *samTemplate, v cfnValue) bool {
	return scopedTo(func(name string) bool { _, ok := tpl.Resources[name]; return ok }, v)
}

// scopedTo is stackScoped for the template whose resources has reports.
func scopedTo(has func(string) bool, v cfnValue) bool {
	resource := func(ref string) bool {
		name, _, _ := strings.Cut(ref, ".")
		return has(name)
	}
	switch v.Tag {
	case "!GetAtt", "!Ref":
		return resource(v.Value)
	case "!Sub":
		m := subRefs.FindStringSubmatchIndex(v.Value)
		return m != nil && m[0] == 0 && resource(v.Value[m[2]:m[3]])
	}
	return false
}

// neededGrants is what the function's role must allow for the sources the
// template declares: nothing more may be granted, nothing less works.
func neededGrants(tpl *samTemplate, fn *samFunction) ([]grant, []error) {
	var need []grant
	var errs []error
	add := func(resource string, actions ...string) {
		for _, a := range actions {
			need = append(need, grant{a, resource})
		}
	}
	if fn.LoggingConfig == nil || fn.LoggingConfig.LogGroup.Tag != "!Ref" || tpl.Resources[fn.LoggingConfig.LogGroup.Value].LogGroup == nil {
		errs = append(errs, fmt.Errorf("the function's LoggingConfig.LogGroup is not !Ref <log group of this template> (the role could not name it)"))
	} else {
		add("!GetAtt "+fn.LoggingConfig.LogGroup.Value+".Arn", "logs:CreateLogStream", "logs:PutLogEvents")
	}
	for _, ev := range fn.Events {
		switch ev.Type {
		case "SQS":
			add(intrinsic(ev.Properties.Queue), "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
		case "Kinesis":
			add(intrinsic(ev.Properties.Stream), "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards")
		case "DynamoDB":
			add(intrinsic(ev.Properties.Stream), "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams")
		default:
			errs = append(errs, fmt.Errorf("event type %s: its permissions are not modelled", ev.Type))
		}
	}
	return need, errs
}

// checkSAMPrivilege returns every way the template grants more (or other)
// than the function needs, or lets the wrong callers in.
func checkSAMPrivilege(tpl *samTemplate, fnName string) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	fn := tpl.Resources[fnName].Function

	// The role: of this template, attached, trusted by Lambda only.
	roleName, ok := strings.CutSuffix(fn.Role.Value, ".Arn")
	if fn.Role.Tag != "!GetAtt" || !ok || tpl.Resources[roleName].Role == nil {
		bad("function %s: Role %+v, want !GetAtt <AWS::IAM::Role of this template>.Arn (without it SAM makes a role with AWSLambdaSQSQueueExecutionRole, whose actions are on Resource '*')", fnName, fn.Role)
	} else {
		need, nerrs := neededGrants(tpl, fn)
		errs = append(errs, nerrs...)
		errs = append(errs, checkRoleGrants(roleName, tpl.Resources[roleName].Role, func(v cfnValue) bool { return stackScoped(tpl, v) }, need)...)
	}

	// The Function URL: AWS_IAM, and a resource policy naming one
	// principal parameter for both actions a URL call needs.
	urlActions := map[string]bool{}
	for name, r := range tpl.Resources {
		p := r.Permission
		if p == nil {
			continue
		}
		if p.FunctionName.Tag != "!Ref" && p.FunctionName.Tag != "!GetAtt" || strings.TrimSuffix(p.FunctionName.Value, ".Arn") != fnName {
			bad("permission %s: FunctionName %+v, want !Ref %s", name, p.FunctionName, fnName)
		}
		if _, isParam := tpl.Parameters[p.Principal.Value]; p.Principal.Tag != "!Ref" || !isParam {
			bad("permission %s: Principal %q, want !Ref <a principal parameter> (never \"*\")", name, intrinsic(p.Principal))
			continue
		}
		if p.FunctionUrlAuthType == "NONE" {
			bad("permission %s: FunctionUrlAuthType NONE is a public URL", name)
		}
		switch {
		case p.Action.Value == "lambda:InvokeFunctionUrl" && p.FunctionUrlAuthType == "AWS_IAM":
			urlActions[p.Action.Value] = true
		case p.Action.Value == "lambda:InvokeFunction" && p.InvokedViaFunctionUrl:
			urlActions[p.Action.Value] = true
		default:
			bad("permission %s: %s (auth type %q, via URL %v): only the Function URL's invoke permissions belong here", name, p.Action.Value, p.FunctionUrlAuthType, p.InvokedViaFunctionUrl)
		}
	}
	if !urlActions["lambda:InvokeFunctionUrl"] || !urlActions["lambda:InvokeFunction"] {
		bad("function URL: want AWS::Lambda::Permission for lambda:InvokeFunctionUrl (FunctionUrlAuthType AWS_IAM) and lambda:InvokeFunction (InvokedViaFunctionUrl), each for a principal parameter; have %v", urlActions)
	}

	// The queues: each SQS source has a policy letting named senders send
	// and denying everyone else.
	for _, ev := range fn.Events {
		if ev.Type != "SQS" {
			continue
		}
		q := strings.TrimSuffix(ev.Properties.Queue.Value, ".Arn")
		errs = append(errs, checkQueuePolicies(tpl, q)...)
	}
	return errs
}

// checkRoleGrants: the role is trusted by Lambda only, has no managed
// policies, grants literal actions on resources of the stack (scoped),
// and grants exactly need.
func checkRoleGrants(roleName string, role *iamRole, scoped func(cfnValue) bool, need []grant) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	trust := role.AssumeRolePolicyDocument.Statement
	if len(trust) != 1 || trust[0].Effect != "Allow" || trust[0].Principal == nil || trust[0].Principal.anyone() ||
		len(trust[0].Principal.AWS)+len(trust[0].Principal.Federated) != 0 ||
		!slices.Equal(trust[0].Principal.Service, []cfnValue{{Value: "lambda.amazonaws.com"}}) ||
		!slices.Equal(trust[0].Action, []cfnValue{{Value: "sts:AssumeRole"}}) {
		bad("role %s: trust policy %+v, want one statement letting lambda.amazonaws.com sts:AssumeRole", roleName, trust)
	}
	if len(role.ManagedPolicyArns) > 0 {
		bad("role %s: managed policies %v (AWS's managed Lambda policies grant on Resource '*')", roleName, role.ManagedPolicyArns)
	}
	var granted []grant
	for _, pol := range role.Policies {
		for i, st := range pol.PolicyDocument.Statement {
			where := fmt.Sprintf("role %s policy %s statement %d", roleName, pol.PolicyName, i)
			if st.Effect != "Allow" {
				continue // a Deny only narrows
			}
			if st.Principal != nil || len(st.Condition) > 0 {
				bad("%s: Principal or Condition in an identity policy", where)
			}
			if len(st.Action) == 0 || len(st.Resource) == 0 {
				bad("%s: no Action or no Resource", where)
			}
			for _, a := range st.Action {
				if a.Tag != "" || strings.Contains(a.Value, "*") {
					bad("%s: action %q is a wildcard or not a literal", where, intrinsic(a))
				}
			}
			for _, r := range st.Resource {
				if !scoped(r) {
					bad("%s: resource %q is not a resource of this stack (!GetAtt, !Ref or a !Sub starting with one)", where, intrinsic(r))
				}
				for _, a := range st.Action {
					granted = append(granted, grant{a.Value, intrinsic(r)})
				}
			}
		}
	}
	for _, g := range granted {
		if !slices.Contains(need, g) {
			bad("role %s: grants %s, which no source of the template needs", roleName, g)
		}
	}
	for _, g := range need {
		if !slices.Contains(granted, g) {
			bad("role %s: lacks %s, which the function needs", roleName, g)
		}
	}
	return errs
}

// senderKeys are the condition keys that say who sends.
var senderKeys = []string{"aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:SourceArn", "aws:SourceAccount"}

func checkQueuePolicies(tpl *samTemplate, q string) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	var names []string
	for name, r := range tpl.Resources {
		if r.QueuePolicy != nil && slices.Contains(r.QueuePolicy.Queues, cfnValue{Tag: "!Ref", Value: q}) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) != 1 {
		return []error{fmt.Errorf("queue %s: %d queue policies (%v), want one", q, len(names), names)}
	}
	pol := tpl.Resources[names[0]].QueuePolicy
	if len(pol.Queues) != 1 {
		bad("queue policy %s: for %d queues, want only %s", names[0], len(pol.Queues), q)
	}
	arn := cfnValue{Tag: "!GetAtt", Value: q + ".Arn"}
	senders, denyOthers := "", false
	for i, st := range pol.PolicyDocument.Statement {
		where := fmt.Sprintf("queue policy %s statement %d (%s)", names[0], i, st.Sid)
		if !slices.Equal(st.Resource, []cfnValue{arn}) {
			bad("%s: resource %v, want !GetAtt %s.Arn", where, st.Resource, q)
		}
		if st.Principal == nil {
			bad("%s: no Principal", where)
			continue
		}
		conditioned := false
		for _, keys := range st.Condition {
			for k := range keys {
				conditioned = conditioned || slices.Contains(senderKeys, k)
			}
		}
		switch st.Effect {
		case "Allow":
			if !slices.Equal(st.Action, []cfnValue{{Value: "sqs:SendMessage"}}) {
				bad("%s: allows %v, want sqs:SendMessage only (the function's role receives)", where, st.Action)
			}
			if st.Principal.anyone() && !conditioned {
				bad("%s: allows Principal '*' with no condition on %v: anyone may send", where, senderKeys)
			}
			if len(st.Principal.Service)+len(st.Principal.Federated) == 0 && len(st.Principal.AWS) == 1 && st.Principal.AWS[0].Tag == "!Ref" {
				if _, ok := tpl.Parameters[st.Principal.AWS[0].Value]; ok {
					senders = st.Principal.AWS[0].Value
				}
			}
		case "Deny":
			if st.Principal.anyone() && slices.Contains(st.Action, cfnValue{Value: "sqs:SendMessage"}) {
				for op, keys := range st.Condition {
					if v, ok := keys["aws:PrincipalArn"]; ok && (op == "ArnNotEquals" || op == "ArnNotLike") && len(v) == 1 && v[0].Tag == "!Ref" {
						if senders != "" && v[0].Value != senders {
							bad("%s: denies all but %s, the allow names %s", where, v[0].Value, senders)
						}
						denyOthers = v[0].Value == senders || senders == ""
					}
				}
			}
		default:
			bad("%s: Effect %q", where, st.Effect)
		}
	}
	if senders == "" {
		bad("queue policy %s: no statement allows sqs:SendMessage to a sender parameter (!Ref)", names[0])
	}
	if !denyOthers {
		bad("queue policy %s: no Deny of sqs:SendMessage to Principal '*' unless aws:PrincipalArn is the senders (identity policies of the account could send otherwise)", names[0])
	}
	return errs
}

func TestLambdaTemplateLeastPrivilegeMutationsRejected(t *testing.T) {
	b, err := os.ReadFile("lambda/template.yaml")
	if err != nil {
		t.Fatalf("read template: %v", err)
	}
	base := string(b)
	// want is a part of the error the check must give.
	cases := map[string]struct{ old, new, want string }{
		"wildcard action":          {"- sqs:DeleteMessage", "- sqs:*", "wildcard"},
		"resource star":            {"Resource: !GetAtt FlowsenseLogGroup.Arn", `Resource: "*"`, "not a resource of this stack"},
		"resource literal arn":     {"Resource: !GetAtt FlowsenseLogGroup.Arn", "Resource: arn:aws:logs:*:*:*", "not a resource of this stack"},
		"sub of no resource":       {"Resource: !GetAtt FlowsenseLogGroup.Arn", `Resource: !Sub "arn:aws:logs:${AWS::Region}:${AWS::AccountId}:*"`, "not a resource of this stack"},
		"public URL":               {"AuthType: AWS_IAM", "AuthType: NONE", "AuthType AWS_IAM"},
		"permission auth NONE":     {"FunctionUrlAuthType: AWS_IAM", "FunctionUrlAuthType: NONE", "public URL"},
		"permission to anyone":     {"      Principal: !Ref FunctionUrlInvokerArn\n      FunctionUrlAuthType", "      Principal: \"*\"\n      FunctionUrlAuthType", "never"},
		"no URL invoke permission": {"      InvokedViaFunctionUrl: true\n", "", "only the Function URL's"},
		"queue open to anyone":     {"            Principal:\n              AWS: !Ref FlowSenderArns", "            Principal: \"*\"", "anyone may send"},
		"queue without deny":       {"            Condition:\n              ArnNotEquals:\n                aws:PrincipalArn: !Ref FlowSenderArns\n", "", "no Deny"},
		"queue allows receive":     {"            Action: sqs:SendMessage\n            Resource: !GetAtt FlowQueue.Arn\n          - Sid: NobodyElse", "            Action: [sqs:SendMessage, sqs:ReceiveMessage]\n            Resource: !GetAtt FlowQueue.Arn\n          - Sid: NobodyElse", "sendmessage only"},
		"no queue policy":          {"        - !Ref FlowQueue\n", "        - !Ref FlowDeadLetterQueue\n", "0 queue policies"},
		"role not attached":        {"      Role: !GetAtt FlowsenseRole.Arn\n", "", "want !GetAtt <AWS::IAM::Role"},
		"managed policy":           {"      Policies:\n        - PolicyName: logs", "      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\n      Policies:\n        - PolicyName: logs", "managed policies"},
		"extra grant":              {"                  - sqs:GetQueueAttributes\n", "                  - sqs:GetQueueAttributes\n                  - sqs:SendMessage\n", "no source of the template needs"},
		"grant on the DLQ":         {"                Resource: !GetAtt FlowQueue.Arn\n\n", "                Resource:\n                  - !GetAtt FlowQueue.Arn\n                  - !GetAtt FlowDeadLetterQueue.Arn\n\n", "no source of the template needs"},
		"missing grant":            {"                  - sqs:DeleteMessage\n", "", "lacks sqs:DeleteMessage"},
		"trusted by anyone":        {"              Service: lambda.amazonaws.com", "              AWS: \"*\"", "trust policy"},
		"no own log group":         {"        LogGroup: !Ref FlowsenseLogGroup", "        LogGroup: /aws/lambda/other", "LoggingConfig"},
		"no reply key":             {"          FLOWSENSE_REPLY_KEY_FILE: /opt/flowsense/reply-key\n", "", "FLOWSENSE_REPLY_KEY_FILE"},
		"reply key not in a layer": {"          FLOWSENSE_REPLY_KEY_FILE: /opt/flowsense/reply-key\n", "          FLOWSENSE_REPLY_KEY_FILE: /tmp/reply-key\n", "under /opt/"},
		"no key layer":             {"      Layers:\n        - !Ref ReplyKeyLayerArn\n", "", "under /opt/"},
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
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.want)) {
				t.Fatalf("err = %v\nwant it to say %q", err, tc.want)
			}
		})
	}
}
