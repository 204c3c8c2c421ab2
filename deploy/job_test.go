package deploy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

func corev1Name(s string) corev1.ResourceName { return corev1.ResourceName(s) }

func decodeJob(b []byte) (*batchv1.Job, error) {
	docs := splitDocs(b)
	if len(docs) != 1 {
		return nil, &manifestError{File: "job.yaml", Err: errors.Join(errManifest, errors.New("want one document"))}
	}
	var job batchv1.Job
	if err := strict(docs[0], &job); err != nil {
		return nil, &manifestError{File: "job.yaml", Err: err}
	}
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		return nil, &manifestError{File: "job.yaml", Err: errors.Join(errManifest, errors.New("not a batch/v1 Job"))}
	}
	return &job, nil
}

func TestTrainerJob(t *testing.T) {
	job, err := decodeJob(readFile(t, "trainer/job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pod := job.Spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("restartPolicy = %q, a Job needs Never or OnFailure", pod.RestartPolicy)
	}
	if len(pod.NodeSelector) == 0 {
		t.Error("no nodeSelector for the GPU nodes")
	}
	if !slices.ContainsFunc(pod.Tolerations, func(tl corev1.Toleration) bool {
		return tl.Key == "nvidia.com/gpu" && tl.Effect == corev1.TaintEffectNoSchedule &&
			(tl.Operator == corev1.TolerationOpExists || tl.Operator == corev1.TolerationOpEqual)
	}) {
		t.Errorf("tolerations %+v: none tolerates nvidia.com/gpu NoSchedule", pod.Tolerations)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	cmd := strings.Join(append(slices.Clone(c.Command), c.Args...), " ")
	if !strings.HasPrefix(cmd, "flowsense train ") || !strings.Contains(cmd, "--data /data/") || !strings.Contains(cmd, "--out /model") {
		t.Errorf("command %q, want flowsense train --data /data/... --out /model", cmd)
	}
	gpu := corev1.ResourceName("nvidia.com/gpu")
	if q := c.Resources.Limits[gpu]; q.IsZero() {
		t.Error("no nvidia.com/gpu limit")
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q := c.Resources.Requests[r]; q.IsZero() {
			t.Errorf("no %s request", r)
		}
	}
	claims := map[string]string{} // volume name -> claim
	for _, v := range pod.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims[v.Name] = v.PersistentVolumeClaim.ClaimName
		}
	}
	mounts := map[string]string{} // mount path -> volume
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
		if _, ok := claims[m.Name]; !ok {
			t.Errorf("mount %s uses volume %q, not a PVC volume", m.MountPath, m.Name)
		}
	}
	for _, path := range []string{"/data", "/model"} {
		if mounts[path] == "" {
			t.Errorf("nothing mounted at %s", path)
		}
	}
	if mounts["/data"] == mounts["/model"] {
		t.Error("data and model share one volume")
	}
}

func TestTrainerJobMutationsRejected(t *testing.T) {
	base := string(readFile(t, "trainer/job.yaml"))
	cases := map[string]struct{ old, new string }{
		"unknown field":      {"backoffLimit: 2", "backoffLimit: 2\n  backofLimit: 3"},
		"wrong kind":         {"kind: Job", "kind: CronJob"},
		"toleration as list": {"effect: NoSchedule", "effect: [NoSchedule]"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("manifest no longer contains %q", tc.old)
			}
			_, err := decodeJob([]byte(strings.Replace(base, tc.old, tc.new, 1)))
			if !errors.Is(err, errManifest) {
				t.Fatalf("err = %v, want errManifest", err)
			}
		})
	}
}
