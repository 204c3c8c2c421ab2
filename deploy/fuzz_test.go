package deploy_test

import (
	"errors"
	"os"
	"testing"
)

// FuzzKnativeObjects: any YAML stream either decodes and validates into
// at least one object, or fails with errManifest inside a *manifestError;
// it never panics.
func FuzzKnativeObjects(f *testing.F) {
	for _, p := range []string{"knative/service.yaml", "knative/eventing.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatalf("seed: %v", err)
		}
		f.Add(b)
	}
	f.Add([]byte("apiVersion: eventing.knative.dev/v1\nkind: Trigger\nspec: {broker: b}\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := knativeObjects("fuzz.yaml", b)
		if err != nil {
			var me *manifestError
			if !errors.Is(err, errManifest) || !errors.As(err, &me) {
				t.Fatalf("error %v is not a *manifestError wrapping errManifest", err)
			}
			return
		}
		if len(objs) != len(splitDocs(b)) {
			t.Fatalf("%d objects from %d documents", len(objs), len(splitDocs(b)))
		}
	})
}

// FuzzDecodeSAM: decoding and checking any template fails cleanly with
// errManifest or succeeds; it never panics.
func FuzzDecodeSAM(f *testing.F) {
	b, err := os.ReadFile("lambda/template.yaml")
	if err != nil {
		f.Fatalf("seed: %v", err)
	}
	f.Add(b)
	f.Add([]byte("Resources:\n  F:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: !Ref X\n"))
	f.Add([]byte("Outputs: {O: {Value: !GetAtt}}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tpl, err := decodeSAM(b)
		if err == nil {
			err = checkSAM(tpl)
		}
		if err != nil && !errors.Is(err, errManifest) {
			t.Fatalf("error %v does not wrap errManifest", err)
		}
	})
}

// FuzzTuneJob: decoding and checking any tune Job fails cleanly with
// errManifest or succeeds; it never panics.
func FuzzTuneJob(f *testing.F) {
	b, err := os.ReadFile("trainer/tune-job.yaml")
	if err != nil {
		f.Fatalf("seed: %v", err)
	}
	f.Add(b)
	f.Add([]byte("apiVersion: batch/v1\nkind: Job\nspec: {completionMode: Indexed, completions: 1}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		job, err := decodeJobFile("fuzz.yaml", b)
		if err == nil {
			err = checkTuneJob(job)
		}
		if err != nil && !errors.Is(err, errManifest) {
			t.Fatalf("error %v does not wrap errManifest", err)
		}
	})
}
