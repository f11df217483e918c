package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// zmqAPILevel is the libzmq API this build implements, until the core
// exports it (zmq_version's counterpart).
const zmqAPILevel = "4.3.5 + draft API (SERVER/CLIENT, RADIO/DISH, SCATTER/GATHER, DGRAM, PEER, CHANNEL)"

const modulePath = "github.com/zmqkit/zmqkit"

// moduleVersion is the zmqkit module's version as the Go toolchain
// recorded it: a tag for "go install ...@vX.Y.Z", a pseudo-version or
// "(devel)" for a build from a checkout.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if bi.Main.Path == modulePath {
		v := bi.Main.Version
		if v == "" || v == "(devel)" {
			v = "(devel)"
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v = "(devel " + s.Value[:12] + ")"
				}
			}
		}
		return v
	}
	for _, d := range bi.Deps {
		if d.Path == modulePath {
			return d.Version
		}
	}
	return "(unknown)"
}

// versionLine is what --version prints.
func versionLine() string {
	return fmt.Sprintf("zmqkit %s (ZeroMQ API %s; ZMTP 3.1; %s %s/%s)",
		moduleVersion(), zmqAPILevel, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
