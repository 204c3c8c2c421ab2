package functions

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// SetMemoryLimit sets the Go runtime's soft memory limit to 90 % of the
// container's, where one is known and GOMEMLIMIT is not set: the cgroup's
// (v2 memory.max, v1 memory.limit_in_bytes) or Lambda's configured memory
// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, MiB). So the garbage collector works
// harder before the kernel kills the process. It returns the limit set
// and where it came from, 0 and "" when it set none. Hosts call it once
// at start.
func SetMemoryLimit() (int64, string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0, ""
	}
	limit, from := containerMemory(os.ReadFile, os.Getenv)
	if limit <= 0 {
		return 0, ""
	}
	l := limit / 10 * 9
	debug.SetMemoryLimit(l)
	return l, from
}

// containerMemory finds the container's memory limit in bytes.
func containerMemory(read func(string) ([]byte, error), getenv func(string) string) (int64, string) {
	if mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64); err == nil && mb > 0 {
		return mb << 20, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := read(p)
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 { // "max", or v1's "no limit" (near 2^63)
			continue
		}
		return n, p
	}
	return 0, ""
}
