package deploy_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// decodeJobFile decodes file's one document strictly into a batch/v1 Job.
func decodeJobFile(file string, b []byte) (*batchv1.Job, error) {
	docs := splitDocs(b)
	if len(docs) != 1 {
		return nil, &manifestError{File: file, Err: errors.Join(errManifest, errors.New("want one document"))}
	}
	var job batchv1.Job
	if err := strict(docs[0], &job); err != nil {
		return nil, &manifestError{File: file, Err: err}
	}
	if job.APIVersion != "batch/v1" || job.Kind != "Job" {
		return nil, &manifestError{File: file, Err: errors.Join(errManifest, errors.New("not a batch/v1 Job"))}
	}
	return &job, nil
}

// flowsenseArgs returns the one container of a Job running `flowsense
// tune`, and its options as a map (list options joined by spaces).
func flowsenseArgs(job *batchv1.Job) (corev1.Container, map[string]string, error) {
	pod := job.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		return corev1.Container{}, nil, fmt.Errorf("%w: %d containers, want 1", errManifest, len(pod.Containers))
	}
	c := pod.Containers[0]
	cmd := append(slices.Clone(c.Command), c.Args...)
	if len(cmd) < 2 || cmd[0] != "flowsense" || cmd[1] != "tune" {
		return c, nil, fmt.Errorf("%w: command %q, want flowsense tune", errManifest, cmd)
	}
	opts := map[string]string{}
	key := ""
	for _, a := range cmd[2:] {
		if strings.HasPrefix(a, "--") {
			key = strings.TrimPrefix(a, "--")
			opts[key] = ""
			continue
		}
		if key == "" {
			return c, nil, fmt.Errorf("%w: argument %q outside an option", errManifest, a)
		}
		opts[key] = strings.TrimSpace(opts[key] + " " + a)
	}
	return c, opts, nil
}

// mounts maps each mount path of c to its volume's claim and whether the
// mount is read-only; a mount of anything but a PVC is an error.
func mounts(job *batchv1.Job, c corev1.Container) (map[string]string, map[string]bool, error) {
	claims := map[string]string{}
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims[v.Name] = v.PersistentVolumeClaim.ClaimName
		}
	}
	claim, ro := map[string]string{}, map[string]bool{}
	for _, m := range c.VolumeMounts {
		cl, ok := claims[m.Name]
		if !ok {
			return nil, nil, fmt.Errorf("%w: mount %s uses volume %q, not a PVC", errManifest, m.MountPath, m.Name)
		}
		claim[m.MountPath], ro[m.MountPath] = cl, m.ReadOnly
	}
	return claim, ro, nil
}

// checkTuneJob checks the Indexed Job of tune slices.
func checkTuneJob(job *batchv1.Job) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errManifest, fmt.Sprintf(format, args...))
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		return bad("completionMode %v, want Indexed", s.CompletionMode)
	}
	if s.Completions == nil || *s.Completions < 1 {
		return bad("completions %v, want at least 1", s.Completions)
	}
	n := int(*s.Completions)
	if s.Parallelism == nil || *s.Parallelism < 1 || int(*s.Parallelism) > n {
		return bad("parallelism %v, want 1 to completions (%d)", s.Parallelism, n)
	}
	if rp := s.Template.Spec.RestartPolicy; rp != corev1.RestartPolicyNever && (s.BackoffLimitPerIndex != nil || rp != corev1.RestartPolicyOnFailure) {
		return bad("restartPolicy %q (backoffLimitPerIndex needs Never)", rp)
	}
	c, opts, err := flowsenseArgs(job)
	if err != nil {
		return err
	}
	if opts["trial-count"] != strconv.Itoa(n) {
		return bad("--trial-count %q, want completions (%d): each index is one slice", opts["trial-count"], n)
	}
	if opts["trial-index"] != "$(JOB_COMPLETION_INDEX)" {
		return bad("--trial-index %q, want $(JOB_COMPLETION_INDEX)", opts["trial-index"])
	}
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "JOB_COMPLETION_INDEX" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
			e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
	}) {
		return bad("no JOB_COMPLETION_INDEX from the job-completion-index annotation in env: $(JOB_COMPLETION_INDEX) would not expand")
	}
	if trials, err := strconv.Atoi(opts["trials"]); err != nil || trials < n {
		return bad("--trials %q, want an integer of at least completions (%d)", opts["trials"], n)
	}
	cpu := c.Resources.Requests[corev1.ResourceCPU]
	if opts["parallel"] != strconv.FormatInt(cpu.Value(), 10) {
		return bad("--parallel %q, want the CPU request %s", opts["parallel"], cpu.String())
	}
	if q := c.Resources.Requests[corev1.ResourceMemory]; q.IsZero() {
		return bad("no memory request")
	}
	claim, ro, err := mounts(job, c)
	if err != nil {
		return err
	}
	switch {
	case !strings.HasPrefix(opts["data"], "/data/") || claim["/data"] == "" || !ro["/data"]:
		return bad("--data %q: want files under /data, a PVC mounted read-only there", opts["data"])
	case !strings.HasPrefix(opts["out"], "/runs/") || claim["/runs"] == "" || ro["/runs"]:
		return bad("--out %q: want a directory under /runs, a PVC mounted writable there", opts["out"])
	}
	return nil
}

// checkCollectJob checks the Job that finishes the search of tune.
func checkCollectJob(job, tune *batchv1.Job) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", errManifest, fmt.Sprintf(format, args...))
	}
	if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
		return bad("the collect step is one pod, not Indexed")
	}
	c, opts, err := flowsenseArgs(job)
	if err != nil {
		return err
	}
	tc, topts, err := flowsenseArgs(tune)
	if err != nil {
		return err
	}
	if opts["collect"] != topts["out"] {
		return bad("--collect %q, want the tune Job's --out %q", opts["collect"], topts["out"])
	}
	if opts["data"] != topts["data"] {
		return bad("--data %q, want the tune Job's %q: collect refuses slices of other data", opts["data"], topts["data"])
	}
	for _, o := range []string{"trial-index", "trial-count"} {
		if _, ok := opts[o]; ok {
			return bad("--%s with --collect", o)
		}
	}
	claim, ro, err := mounts(job, c)
	if err != nil {
		return err
	}
	tclaim, _, _ := mounts(tune, tc)
	switch {
	case claim["/runs"] != tclaim["/runs"] || claim["/runs"] == "":
		return bad("/runs claim %q, want the tune Job's %q", claim["/runs"], tclaim["/runs"])
	case !strings.HasPrefix(opts["out"], "/model/") || claim["/model"] == "" || ro["/model"]:
		return bad("--out %q: want a directory under /model, a PVC mounted writable there", opts["out"])
	case !strings.HasPrefix(opts["runs"], "/runs/"):
		return bad("--runs %q: want the run recorded under /runs", opts["runs"])
	}
	return nil
}

func TestTuneJobs(t *testing.T) {
	tune, err := decodeJobFile("trainer/tune-job.yaml", readFile(t, "trainer/tune-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkTuneJob(tune); err != nil {
		t.Errorf("trainer/tune-job.yaml: %v", err)
	}
	collect, err := decodeJobFile("trainer/tune-collect-job.yaml", readFile(t, "trainer/tune-collect-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkCollectJob(collect, tune); err != nil {
		t.Errorf("trainer/tune-collect-job.yaml: %v", err)
	}
}

func TestTuneJobMutationsRejected(t *testing.T) {
	base := string(readFile(t, "trainer/tune-job.yaml"))
	cases := map[string]struct{ old, new, want string }{
		"unknown field":                  {"completions: 4", "completions: 4\n  completion: 4", "unknown field"},
		"not indexed":                    {"completionMode: Indexed", "completionMode: NonIndexed", "completionMode"},
		"slices != indexes":              {`"--trial-count", "4"`, `"--trial-count", "3"`, "--trial-count"},
		"fixed index":                    {`"$(JOB_COMPLETION_INDEX)"`, `"0"`, "--trial-index"},
		"index not in env":               {"- name: JOB_COMPLETION_INDEX", "- name: JOB_INDEX", "JOB_COMPLETION_INDEX"},
		"parallelism too high":           {"parallelism: 2", "parallelism: 5", "parallelism"},
		"fewer trials":                   {`"--trials", "32"`, `"--trials", "3"`, "--trials"},
		"parallel != cpu":                {`"--parallel", "4"`, `"--parallel", "8"`, "--parallel"},
		"runs read-only":                 {"mountPath: /runs", "mountPath: /runs\n              readOnly: true", "--out"},
		"restart with per-index backoff": {"restartPolicy: Never", "restartPolicy: OnFailure", "restartPolicy"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("manifest no longer contains %q", tc.old)
			}
			job, err := decodeJobFile("tune-job.yaml", []byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil {
				err = checkTuneJob(job)
			}
			if !errors.Is(err, errManifest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want errManifest naming %q", err, tc.want)
			}
		})
	}
}

func TestTuneCollectJobMutationsRejected(t *testing.T) {
	tune, err := decodeJobFile("trainer/tune-job.yaml", readFile(t, "trainer/tune-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := string(readFile(t, "trainer/tune-collect-job.yaml"))
	cases := map[string]struct{ old, new, want string }{
		"other slices dir": {`"--collect", "/runs/tune-slices"`, `"--collect", "/runs/other"`, "--collect"},
		"other data":       {`"--data", "/data/flows.csv"`, `"--data", "/data/other.csv"`, "--data"},
		"other runs claim": {"claimName: flowsense-runs", "claimName: flowsense-scratch", "/runs claim"},
		"model read-only":  {"mountPath: /model", "mountPath: /model\n              readOnly: true", "--out"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(base, tc.old) {
				t.Fatalf("manifest no longer contains %q", tc.old)
			}
			job, err := decodeJobFile("tune-collect-job.yaml", []byte(strings.Replace(base, tc.old, tc.new, 1)))
			if err == nil {
				err = checkCollectJob(job, tune)
			}
			if !errors.Is(err, errManifest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want errManifest naming %q", err, tc.want)
			}
		})
	}
}
