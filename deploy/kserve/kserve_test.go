package kserve_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	"github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"github.com/kserve/kserve/pkg/constants"
	"github.com/kserve/kserve/pkg/controller/v1beta1/inferenceservice/utils"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"
)

// decode reads one manifest strictly (unknown or duplicate fields are
// errors) into v, checking its apiVersion and kind.
func decode(t *testing.T, path, apiVersion, kind string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	decodeBytes(t, path, b, apiVersion, kind, v)
}

// decodeBytes is decode of a manifest's text (a mutated one).
func decodeBytes(t *testing.T, path string, b []byte, apiVersion, kind string, v any) {
	t.Helper()
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(b, &tm); err != nil || tm.APIVersion != apiVersion || tm.Kind != kind {
		t.Fatalf("%s: %s %s (%v), want %s %s", path, tm.APIVersion, tm.Kind, err, apiVersion, kind)
	}
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func servingRuntime(t *testing.T) *v1alpha1.ServingRuntime {
	t.Helper()
	sr := &v1alpha1.ServingRuntime{}
	decode(t, "servingruntime.yaml", "serving.kserve.io/v1alpha1", "ServingRuntime", sr)
	sr.Namespace = "default"
	return sr
}

// inferenceService decodes the InferenceService, defaults it as KServe's
// mutating webhook does with KServe's default configuration (serverless
// mode) and validates it as its validating webhook does on create.
func inferenceService(t *testing.T) *v1beta1.InferenceService {
	t.Helper()
	isvc := &v1beta1.InferenceService{}
	decode(t, "inferenceservice.yaml", "serving.kserve.io/v1beta1", "InferenceService", isvc)
	isvc.Namespace = "default"
	cfg := &v1beta1.InferenceServicesConfig{Resource: v1beta1.ResourceConfig{CPULimit: "1", MemoryLimit: "2Gi", CPURequest: "1", MemoryRequest: "2Gi"}}
	isvc.DefaultInferenceService(cfg, &v1beta1.DeployConfig{DefaultDeploymentMode: string(constants.Serverless)}, &v1beta1.SecurityConfig{}, nil)
	warnings, err := (&v1beta1.InferenceServiceValidator{}).ValidateCreate(context.Background(), isvc)
	if err != nil {
		t.Fatalf("inferenceservice.yaml: validate: %v", err)
	}
	if len(warnings) > 0 {
		t.Errorf("inferenceservice.yaml: warnings %v", warnings)
	}
	return isvc
}

// TestServingRuntime: the runtime is valid (KServe's own check), serves
// the flowsense model format with V2 over REST and gRPC, on one h2c port,
// probed on the V2 health paths, with the model name from the
// InferenceService.
func TestServingRuntime(t *testing.T) {
	sr := servingRuntime(t)
	if err := sr.Spec.ValidateCreate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	for _, p := range []constants.InferenceServiceProtocol{constants.ProtocolV2, constants.ProtocolGRPCV2} {
		if !sr.Spec.IsProtocolVersionSupported(p) {
			t.Errorf("protocol %s not supported", p)
		}
	}
	if sr.Spec.IsProtocolVersionSupported(constants.ProtocolV1) {
		t.Error("the runtime claims protocol v1, which flowsense does not speak")
	}
	if sr.Spec.IsMultiModelRuntime() || sr.Spec.IsDisabled() {
		t.Error("want a single-model, enabled runtime")
	}
	if len(sr.Spec.SupportedModelFormats) != 1 || sr.Spec.SupportedModelFormats[0].Name != "flowsense" || !sr.Spec.SupportedModelFormats[0].IsAutoSelectEnabled() {
		t.Errorf("model formats %+v, want flowsense with autoSelect", sr.Spec.SupportedModelFormats)
	}
	if len(sr.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(sr.Spec.Containers))
	}
	c := sr.Spec.Containers[0]
	if c.Name != constants.InferenceServiceContainerName {
		t.Errorf("container %q, want %q (KServe merges the predictor into it by that name)", c.Name, constants.InferenceServiceContainerName)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "h2c" || c.Ports[0].ContainerPort != 8080 {
		t.Errorf("ports %+v, want one h2c port 8080 (gRPC and REST)", c.Ports)
	}
	want := []string{"serve", "--model=" + constants.DefaultModelLocalMountPath, "--addr=0.0.0.0:8080", "--model-name={{.Name}}", "--metrics-addr=127.0.0.1:9095"}
	if !slices.Equal(c.Args, want) || !slices.Equal(c.Command, []string{"flowsense"}) {
		t.Errorf("command %v args %v, want flowsense %v", c.Command, c.Args, want)
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/v2/health/ready" ||
		c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/v2/health/live" {
		t.Errorf("probes %+v %+v, want the V2 health paths", c.ReadinessProbe, c.LivenessProbe)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("resources %s: request %s limit %s", r, req.String(), lim.String())
		}
	}
	if c.SecurityContext == nil || c.SecurityContext.RunAsNonRoot == nil || !*c.SecurityContext.RunAsNonRoot ||
		c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("security context %+v", c.SecurityContext)
	}
	if sr.Annotations[constants.KserveContainerPrometheusPortKey] != "9095" || sr.Annotations[constants.KServeContainerPrometheusPathKey] != "/metrics" {
		t.Errorf("prometheus annotations %v", sr.Annotations)
	}
}

// TestInferenceService: serverless, scale to zero, V2, cluster-local; its
// model selects the runtime as KServe's controller does (against a fake
// API server holding the runtime), and the merged container gets the
// InferenceService's name as the model's name.
func TestInferenceService(t *testing.T) {
	isvc := inferenceService(t)
	sr := servingRuntime(t)
	if isvc.Annotations[constants.DeploymentMode] != string(constants.Serverless) {
		t.Errorf("deployment mode %q, want Serverless", isvc.Annotations[constants.DeploymentMode])
	}
	p := isvc.Spec.Predictor
	if isvc.Annotations[constants.SetPrometheusAnnotation] != "true" {
		t.Errorf("annotation %s missing", constants.SetPrometheusAnnotation)
	}
	if p.MinReplicas == nil || *p.MinReplicas != 0 {
		t.Errorf("minReplicas %v, want 0 (scale to zero)", p.MinReplicas)
	}
	if p.MaxReplicas <= 0 || p.ContainerConcurrency == nil || *p.ContainerConcurrency <= 0 {
		t.Errorf("maxReplicas %d containerConcurrency %v, want bounds", p.MaxReplicas, p.ContainerConcurrency)
	}
	m := p.Model
	if m == nil || m.GetProtocol() != constants.ProtocolV2 || m.Runtime == nil || *m.Runtime != sr.Name {
		t.Fatalf("model %+v, want protocol v2 on runtime %s", m, sr.Name)
	}
	if isvc.Labels[constants.NetworkVisibility] != constants.ClusterLocalVisibility {
		t.Errorf("visibility label %q, want %q (private by default)", isvc.Labels[constants.NetworkVisibility], constants.ClusterLocalVisibility)
	}
	if !m.RuntimeSupportsModel(&sr.Spec) {
		t.Fatal("the runtime does not support the model's format")
	}
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(sr).Build()
	rts, err := m.GetSupportingRuntimes(context.Background(), cl, isvc.Namespace, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rts) != 1 || rts[0].Name != sr.Name {
		t.Fatalf("supporting runtimes %v, want %s", rts, sr.Name)
	}
	c, err := utils.MergeRuntimeContainers(&sr.Spec.Containers[0], &m.Container)
	if err != nil {
		t.Fatal(err)
	}
	if err := utils.ReplacePlaceholders(c, isvc.ObjectMeta); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Args, "--model-name="+isvc.Name) {
		t.Errorf("merged args %v, want --model-name=%s", c.Args, isvc.Name)
	}
	if lim := c.Resources.Limits[corev1.ResourceMemory]; lim.String() != "256Mi" {
		t.Errorf("merged memory limit %s, want the InferenceService's 256Mi", lim.String())
	}
	if m.StorageURI == nil || !strings.Contains(*m.StorageURI, "://") {
		t.Errorf("storageUri %v, want a URI the storage initializer reads", m.StorageURI)
	}
}

// TestBadManifestsRefused: the checks can fail: a field KServe does not
// know, a predictor without a model, a bad name.
func TestBadManifestsRefused(t *testing.T) {
	if err := yaml.UnmarshalStrict([]byte("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nspec:\n  predictor:\n    minReplica: 0\n"), &v1beta1.InferenceService{}); err == nil {
		t.Error("an unknown field decoded")
	}
	bad := &v1beta1.InferenceService{}
	if err := yaml.UnmarshalStrict([]byte("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: 9flowsense\nspec:\n  predictor:\n    model:\n      modelFormat:\n        name: flowsense\n"), bad); err != nil {
		t.Fatal(err)
	}
	if _, err := (&v1beta1.InferenceServiceValidator{}).ValidateCreate(context.Background(), bad); err == nil {
		t.Error("a name starting with a digit validated")
	}
}
