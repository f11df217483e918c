package main

import (
	"fmt"
	"runtime"

	"github.com/zmqkit/zmqkit/core"
)

const modulePath = "github.com/zmqkit/zmqkit"

// moduleVersion is the zmqkit module's version as the Go toolchain
// recorded it, or zmqkit's own version when it recorded none.
func moduleVersion() string {
	if v := core.BuildVersion().Module; v != "" && v != "(devel)" {
		return v
	}
	return core.Version
}

// versionLine is what --version prints: the line every zmqkit tool
// prints, then the Go toolchain and platform.
func versionLine() string {
	return fmt.Sprintf("%s %s %s/%s", core.VersionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
