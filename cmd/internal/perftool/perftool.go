// Package perftool holds zmqkit's ports of libzmq's perf tools
// (local_thr, remote_thr, local_lat, remote_lat): their command lines,
// their measurement loops, their error reporting, and the CURVE keys
// libzmq's tools use. Each command's main is one call to Tool.Main, so the
// tools run in-process in tests.
//
// The command lines are libzmq's, positional:
//
//	local_thr  <bind-to>    <message-size> <message-count> [<enable_curve>]
//	remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]
//	local_lat  <bind-to>    <message-size> <roundtrip-count>
//	remote_lat <connect-to> <message-size> <roundtrip-count>
//
// -h or --help prints the usage and exits 0, --version zmqkit's version.
// A wrong number of arguments,
// a size or count that is not a number (or a size below 0, a count below
// 1) or an <enable_curve> other than 0 or 1 prints the usage on stderr and
// exits 2, before any socket is made. Errors of the run itself print
// libzmq's "error in zmq_...: ..." line and exit 255 (libzmq's -1).
package perftool

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
)

// libzmq's perf-tool CURVE keys (Z85).
const (
	ServerPublicKey = "DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH"
	ServerSecretKey = "{X}#>t#jRGaQ}gMhv=30r(Mw+87YGs+5%kh=i@f8"
	ClientPublicKey = "<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K"
	ClientSecretKey = "9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx"
)

// Params are a tool's parsed arguments.
type Params struct {
	Endpoint string // <bind-to> or <connect-to>
	Size     int    // <message-size>, >= 0
	Count    int    // <message-count> or <roundtrip-count>, >= 1
	Curve    bool   // <enable_curve> (throughput tools only)
	// Plugins are the plugin binaries given with -plugin PATH
	// (repeatable): Main loads each out of process, in place of the
	// compiled-in transport or mechanism it serves.
	Plugins []string
}

// Tool is one of the perf tools.
type Tool struct {
	Name    string   // "local_thr"
	Args    []string // positional argument names, e.g. "bind-to"
	Curve   bool     // takes the optional <enable_curve> argument
	Summary string   // one paragraph for -h
	// Run measures; what it prints goes to out. A *StepError reports
	// the libzmq call that failed.
	Run func(p Params, out io.Writer) error
}

// StepError is a failure of the measurement: the libzmq call it stands
// for (e.g. "zmq_bind") and why.
type StepError struct {
	Step string
	Err  error
}

// Error says which step failed and why.
func (e *StepError) Error() string { return "error in " + e.Step + ": " + e.Err.Error() }

// Unwrap returns the step's error.
func (e *StepError) Unwrap() error { return e.Err }

// Fail wraps err as the failure of libzmq call step.
func Fail(step string, err error) error { return &StepError{Step: step, Err: err} }

// ErrBadSize is a received message whose size is not <message-size>.
var ErrBadSize = errors.New("message of incorrect size received")

// Exit statuses.
const (
	ExitOK    = 0
	ExitFail  = 255 // libzmq's tools exit with -1
	ExitUsage = 2   // as Go's flag package
)

// usageLine is "usage: NAME <a> <b> [<enable_curve>]".
func (t Tool) usageLine() string {
	var b strings.Builder
	b.WriteString("usage: ")
	b.WriteString(t.Name)
	for _, a := range t.Args {
		b.WriteString(" <" + a + ">")
	}
	if t.Curve {
		b.WriteString(" [<enable_curve>]")
	}
	return b.String()
}

func (t Tool) usage(w io.Writer) {
	fmt.Fprintln(w, t.usageLine())
	if t.Summary != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, t.Summary)
	}
	if t.Curve {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "<enable_curve> 1 secures the connection with CURVE and libzmq's perf-tool keys; 0 (the default) does not.")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "-h, --help prints this; --version prints zmqkit's version.")
}

// Parse checks the command line (without the program name). On -h it
// returns ok false and code ExitOK after printing the usage to stdout; on
// bad arguments ok false and ExitUsage after printing the problem and the
// usage to stderr.
func (t Tool) Parse(args []string, stdout, stderr io.Writer) (p Params, code int, ok bool) {
	fs := flag.NewFlagSet(t.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var plugins []string
	fs.Func("plugin", "load a plugin binary out of process (repeatable)", func(v string) error {
		plugins = append(plugins, v)
		return nil
	})
	version := fs.Bool("version", false, "print zmqkit's version and exit")
	bad := func(format string, a ...any) (Params, int, bool) {
		fmt.Fprintf(stderr, "%s: "+format+"\n", append([]any{t.Name}, a...)...)
		t.usage(stderr)
		return Params{}, ExitUsage, false
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			t.usage(stdout)
			return Params{}, ExitOK, false
		}
		return bad("%v", err)
	}
	if *version {
		fmt.Fprintln(stdout, core.VersionString())
		return Params{}, ExitOK, false
	}
	pos := fs.Args()
	n := len(t.Args)
	if len(pos) != n && !(t.Curve && len(pos) == n+1) {
		return bad("want %d arguments, got %d", n, len(pos))
	}
	p.Endpoint = pos[0]
	if !strings.Contains(p.Endpoint, "://") {
		return bad("<%s> %q is not an endpoint (transport://address)", t.Args[0], p.Endpoint)
	}
	var err error
	if p.Size, err = strconv.Atoi(pos[1]); err != nil || p.Size < 0 {
		return bad("<%s> %q is not a size (an integer >= 0)", t.Args[1], pos[1])
	}
	if p.Count, err = strconv.Atoi(pos[2]); err != nil || p.Count < 1 {
		return bad("<%s> %q is not a count (an integer >= 1)", t.Args[2], pos[2])
	}
	if len(pos) == n+1 {
		switch pos[n] {
		case "0":
		case "1":
			p.Curve = true
		default:
			return bad("<enable_curve> %q is neither 0 nor 1", pos[n])
		}
	}
	p.Plugins = plugins
	return p, ExitOK, true
}

// Main parses args and runs the tool; it returns the exit status.
func (t Tool) Main(args []string, stdout, stderr io.Writer) int {
	p, code, ok := t.Parse(args, stdout, stderr)
	if !ok {
		return code
	}
	for _, path := range p.Plugins {
		pl, err := external.Load(registry.Default, path, external.Options{Replace: true, IdleTimeout: -1})
		if err != nil {
			fmt.Fprintln(stdout, Fail("-plugin", err))
			return ExitFail
		}
		defer pl.Close()
	}
	if err := t.Run(p, stdout); err != nil {
		// libzmq's tools print their errors on stdout
		fmt.Fprintln(stdout, err)
		return ExitFail
	}
	return ExitOK
}

// Exec runs the tool as the process's main: it does not return.
func (t Tool) Exec() {
	os.Exit(t.Main(os.Args[1:], os.Stdout, os.Stderr))
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
