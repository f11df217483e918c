package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// profileEnv names a directory: each peer writes a CPU profile there
// (<lib>.<role>.cpu.pprof), and an execution trace (<lib>.<role>.trace)
// when traceEnv is set too. For finding where a workload's time goes.
const (
	profileEnv = "ZMQKIT_COMPARE_PROFILE"
	traceEnv   = "ZMQKIT_COMPARE_TRACE"
)

// profile starts the profiles profileEnv asks for and returns what stops
// them, or nil.
func profile(lib, role string) func() {
	dir := os.Getenv(profileEnv)
	if dir == "" {
		return nil
	}
	base := fmt.Sprintf("%s/%s.%s", dir, lib, role)
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
