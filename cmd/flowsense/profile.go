package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole command to the file
// $FLOWSENSE_CPUPROFILE names, for `go tool pprof`; without it, nothing.
// The returned function stops the profile.
func startProfile(stderr io.Writer) func() {
	path := os.Getenv("FLOWSENSE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "flowsense: FLOWSENSE_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
