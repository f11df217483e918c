//go:build !linux

package external

import "os/exec"

// setDeathSignal: only Linux has Pdeathsig; elsewhere the plugin exits
// when its side channel closes or (on Unix) it is re-parented
// (registry/external/serve).
func setDeathSignal(*exec.Cmd) {}
