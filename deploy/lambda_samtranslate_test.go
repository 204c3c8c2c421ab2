package deploy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// The structs above check the template as written; what CloudFormation
// deploys is what AWS's SAM translator (the Python package
// aws-sam-translator, which cfn-lint uses) makes of it. These tests run
// the real translator and check its output: the only IAM role is the
// template's, the function runs under it, and no permission opens the
// function to everyone.

// samTranslateScript reads a SAM template on stdin and prints the
// CloudFormation template the translator makes of it. CodeUri is a local
// zip that `sam package` would upload; the translator wants an S3 URI.
const samTranslateScript = `
import json, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
t = yaml_parse(sys.stdin.read())
for r in t.get("Resources", {}).values():
    if r.get("Type") == "AWS::Serverless::Function":
        r["Properties"]["CodeUri"] = "s3://bucket/bootstrap.zip"
class NoManagedPolicies:
    def load(self):
        return {}
json.dump(transform(t, {}, NoManagedPolicies()), sys.stdout)
`

type cfnResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

func samTranslate(t *testing.T, tpl string) (map[string]cfnResource, error) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is missing: the SAM translation check needs python3 with aws-sam-translator (it comes with cfn-lint: pip install cfn-lint)")
	}
	if out, err := exec.Command(py, "-c", "import samtranslator").CombinedOutput(); err != nil {
		t.Fatalf("python3 has no aws-sam-translator (pip install cfn-lint brings it): %v\n%s", err, out)
	}
	cmd := exec.Command(py, "-c", samTranslateScript)
	cmd.Stdin = strings.NewReader(tpl)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("sam translate: %v: %s", err, stderr.String())
	}
	var cfn struct {
		Resources map[string]cfnResource `json:"Resources"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &cfn); err != nil {
		return nil, fmt.Errorf("translator output: %w", err)
	}
	return cfn.Resources, nil
}

// checkTranslated returns what is wrong with the deployed form.
func checkTranslated(res map[string]cfnResource) []string {
	var bad, roles []string
	for name, r := range res {
		switch r.Type {
		case "AWS::IAM::Role":
			roles = append(roles, name)
		case "AWS::Lambda::Permission":
			if p, _ := r.Properties["Principal"].(string); p == "*" {
				bad = append(bad, fmt.Sprintf("permission %s lets Principal '*' %v", name, r.Properties["Action"]))
			}
		case "AWS::Lambda::Url":
			if a := r.Properties["AuthType"]; a != "AWS_IAM" {
				bad = append(bad, fmt.Sprintf("function URL %s: AuthType %v", name, a))
			}
		}
	}
	sort.Strings(roles)
	if len(roles) != 1 || roles[0] != "FlowsenseRole" {
		bad = append(bad, fmt.Sprintf("IAM roles %v, want only FlowsenseRole (a role SAM makes carries managed policies on Resource '*')", roles))
	}
	fn := res["FlowsenseFunction"]
	role, _ := json.Marshal(fn.Properties["Role"])
	if fn.Type != "AWS::Lambda::Function" || string(role) != `{"Fn::GetAtt":["FlowsenseRole","Arn"]}` {
		bad = append(bad, fmt.Sprintf("function %s runs under %s, want FlowsenseRole", fn.Type, role))
	}
	esm := 0
	for _, r := range res {
		if r.Type == "AWS::Lambda::EventSourceMapping" {
			esm++
		}
	}
	if esm != 1 {
		bad = append(bad, fmt.Sprintf("%d event source mappings, want 1 (FlowQueue)", esm))
	}
	return bad
}

func TestLambdaTemplateSAMTranslation(t *testing.T) {
	b, err := os.ReadFile("lambda/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := samTranslate(t, string(b))
	if err != nil {
		t.Fatal(err)
	}
	if bad := checkTranslated(res); len(bad) > 0 {
		t.Fatalf("translated template:\n%s", strings.Join(bad, "\n"))
	}
	// The mutations that SAM itself would turn into wider access.
	for name, tc := range map[string]struct{ old, new, want string }{
		"role not attached": {"      Role: !GetAtt FlowsenseRole.Arn\n", "", "want only FlowsenseRole"},
		"public URL":        {"AuthType: AWS_IAM", "AuthType: NONE", "Principal '*'"},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := samTranslate(t, strings.Replace(string(b), tc.old, tc.new, 1))
			if err != nil {
				t.Fatal(err)
			}
			bad := strings.Join(checkTranslated(res), "\n")
			if !strings.Contains(bad, tc.want) {
				t.Fatalf("mutation not caught in the translated template (want %q), got:\n%s", tc.want, bad)
			}
		})
	}
}
