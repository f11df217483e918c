package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strings"
)

// profileEnv names a directory: each peer writes a CPU profile there
// (<lib>.<role>.<transport>.<size>.cpu.pprof), and an execution trace
// (same name, .trace) when traceEnv is set too. For finding where a
// workload's time goes; a later run of the same workload overwrites.
const (
	profileEnv = "ZMQKIT_COMPARE_PROFILE"
	traceEnv   = "ZMQKIT_COMPARE_TRACE"
)

// profile starts the profiles profileEnv asks for and returns what stops
// them, or nil.
func profile(lib, role, ep string, size int) func() {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return nil
	}
	transport, _, _ := strings.Cut(ep, ":")
	if lib == "raw" {
		transport = "tcp"
	}
	base := fmt.Sprintf("%s/%s.%s.%s.%d", dir, lib, role, transport, size)
	var stops []func()
	if f, err := os.Create(base + ".cpu.pprof"); err == nil {
		if pprof.StartCPUProfile(f) == nil {
			stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
		} else {
			f.Close()
		}
	}
	if os.Getenv(traceEnv) != "" {
		if f, err := os.Create(base + ".trace"); err == nil {
			if trace.Start(f) == nil {
				stops = append(stops, func() { trace.Stop(); f.Close() })
			} else {
				f.Close()
			}
		}
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}
