// Package perftool holds what zmqkit's ports of libzmq's perf tools
// (local_thr, remote_thr, local_lat, remote_lat) share: libzmq's argument
// handling and error reporting, and the CURVE keys its tools use.
package perftool

import (
	"fmt"
	"os"
	"strconv"

	"github.com/zmqkit/zmqkit/core"
)

// libzmq's perf-tool CURVE keys (Z85).
const (
	ServerPublicKey = "DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH"
	ServerSecretKey = "{X}#>t#jRGaQ}gMhv=30r(Mw+87YGs+5%kh=i@f8"
	ClientPublicKey = "<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K"
	ClientSecretKey = "9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx"
)

// Fail prints libzmq's tools' error line and exits with their status (-1).
func Fail(what string, err error) {
	fmt.Printf("error in %s: %v\n", what, err)
	os.Exit(255)
}

// Atoi parses like C's atoi as the tools use it: 0 on garbage.
func Atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// Args checks the command line: three arguments (endpoint, message size,
// count), plus an optional fourth <enable_curve> when curveArg. It prints
// usage and exits like libzmq's tools otherwise.
func Args(usage string, curveArg bool) (endpoint string, size, count int, curve bool) {
	n := len(os.Args)
	if n != 4 && !(curveArg && n == 5) {
		fmt.Printf("usage: %s\n", usage)
		os.Exit(1)
	}
	curve = n == 5 && Atoi(os.Args[4]) != 0
	return os.Args[1], Atoi(os.Args[2]), Atoi(os.Args[3]), curve
}

// CurveServer returns the option that makes a socket a CURVE server with
// the tools' keys, or nothing when curve is off.
func CurveServer(curve bool) []core.Option {
	if !curve {
		return nil
	}
	return []core.Option{core.WithMechanism("CURVE", true, map[string][]byte{
		"CURVE_SECRETKEY": []byte(ServerSecretKey),
	})}
}

// CurveClient returns the option that makes a socket a CURVE client of
// CurveServer, or nothing when curve is off.
func CurveClient(curve bool) []core.Option {
	if !curve {
		return nil
	}
	return []core.Option{core.WithMechanism("CURVE", false, map[string][]byte{
		"CURVE_SECRETKEY": []byte(ClientSecretKey),
		"CURVE_PUBLICKEY": []byte(ClientPublicKey),
		"CURVE_SERVERKEY": []byte(ServerPublicKey),
	})}
}
