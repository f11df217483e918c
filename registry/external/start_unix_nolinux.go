//go:build unix && !linux

package external

import "os/exec"

// setDeathSignal: only Linux has Pdeathsig; elsewhere the plugin watches
// its side channel and its parent (registry/external/serve).
func setDeathSignal(*exec.Cmd) {}
