//go:build !linux

package core

import (
	"math"
	"strconv"
)

// machineMemory bounds what the process could ever hold: the user address
// space of a 64-bit machine (128 TiB on amd64 and arm64), or all of it on
// a 32-bit one.
func machineMemory() int64 {
	if strconv.IntSize == 32 {
		return math.MaxInt32
	}
	return 1 << 47
}
