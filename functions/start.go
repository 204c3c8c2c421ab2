package functions

import (
	"bytes"
	"os"
	"strconv"
	"time"
)

// processStart is when this process started: exec time as the kernel
// keeps it (/proc/self/stat's starttime against /proc/uptime, both
// counted from boot in clock ticks of 10 ms), or, where /proc cannot be
// read, the time this package was initialised (which misses the runtime's
// start and earlier packages' init, a few milliseconds).
var processStart = procStart(time.Now())

// clockTicks is USER_HZ, the unit of /proc/self/stat's times: 100 on every
// Linux architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo).
const clockTicks = 100

func procStart(now time.Time) time.Time {
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	if err1 != nil || err2 != nil {
		return now
	}
	if age, ok := parseStart(stat, up); ok {
		return now.Add(-age)
	}
	return now
}

// parseStart reads the process's age from /proc/self/stat and
// /proc/uptime; ok is false when they do not parse or give an age outside
// [0, 1 h] (a clock we do not understand: init time is close).
func parseStart(stat, up []byte) (age time.Duration, ok bool) {
	// The command name (field 2) is in parentheses and may hold spaces and
	// parentheses: fields count from after the last ')'. starttime is
	// field 22.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := bytes.Fields(stat[i+1:])
	if len(fields) < 20 {
		return 0, false
	}
	ticks, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return 0, false
	}
	upf := bytes.Fields(up)
	if len(upf) == 0 {
		return 0, false
	}
	uptime, err := strconv.ParseFloat(string(upf[0]), 64)
	if err != nil {
		return 0, false
	}
	age = time.Duration((uptime - float64(ticks)/clockTicks) * float64(time.Second))
	if age < 0 || age > time.Hour {
		return 0, false
	}
	return age, true
}
