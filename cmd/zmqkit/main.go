// Command zmqkit is the everyday ZeroMQ tool: it pokes endpoints (cat),
// bridges networks (proxy), watches connections (monitor), makes CURVE
// keys (keygen), measures links (bench) and lists what it can speak
// (plugins), over every transport and mechanism zmqkit has, as one static
// binary:
//
//	go install github.com/zmqkit/zmqkit/cmd/zmqkit@latest
//
// Run "zmqkit help" for the subcommands and "zmqkit CMD --help" for each
// one's flags. Exit status: 0 on success, 1 on a runtime failure, 2 on bad
// usage (with a one-line reason on stderr).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/zmqkit/zmqkit/plugins/all" // every compiled-in transport and mechanism
)

// env is what a command runs with: its streams, environment and the
// context that the first Ctrl-C cancels.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// stdoutTTY and stderrTTY say whether the streams are terminals.
	stdoutTTY, stderrTTY bool
	// interrupted is set by the first Ctrl-C (SIGINT/SIGTERM), at
	// interruptAt (UnixNano).
	interrupted *atomic.Bool
	interruptAt atomic.Int64
	// signals delivers the extra signals a command asked for (SIGUSR1).
	usr1 <-chan struct{}

	cmd     string   // the subcommand's name, for messages
	plugins []string // --plugin paths
}

// warnf prints a diagnostic line on stderr, prefixed with the command.
func (e *env) warnf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "zmqkit %s: %s\n", e.cmd, fmt.Sprintf(format, args...))
}

// command is one subcommand. define registers its flags and returns the
// function that runs it with the positional arguments.
type command struct {
	name     string
	args     string // synopsis after "zmqkit NAME [flags]"
	summary  string
	long     string
	posComp  string // completion of positional arguments ("socktype", ...)
	noGlobal bool   // takes no --plugin
	define   func(f *flagSet) func(e *env, pos []string) error
}

var commands []*command

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

func init() {
	commands = []*command{catCmd, proxyCmd, monitorCmd, keygenCmd, benchCmd, pluginsCmd, completionCmd}
}

func main() {
	e := &env{
		stdin:       os.Stdin,
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		getenv:      os.Getenv,
		stdoutTTY:   isTerminal(os.Stdout),
		stderrTTY:   isTerminal(os.Stderr),
		interrupted: new(atomic.Bool),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.ctx = ctx
	e.usr1 = notifyUsr1()

	sig := make(chan os.Signal, 2)
	signal.Notify(sig, interruptSignals...)
	go func() {
		<-sig
		e.interrupted.Store(true)
		e.markInterrupt()
		cancel()
		// A second Ctrl-C, or a command that does not end within its
		// second, exits at once.
		select {
		case <-sig:
		case <-time.After(hardExitAfter):
			fmt.Fprintln(os.Stderr, "zmqkit: did not stop in time after the interrupt; exiting")
		}
		os.Exit(exitInterrupted)
	}()
	os.Exit(run(e, os.Args[1:]))
}

// After Ctrl-C, delivering what is queued (linger) may take shutdownGrace
// in all, so that the whole program ends within a second; hardExitAfter
// is the backstop.
const (
	shutdownGrace = 500 * time.Millisecond
	hardExitAfter = 900 * time.Millisecond
)

// markInterrupt records when the first Ctrl-C came (once).
func (e *env) markInterrupt() {
	e.interruptAt.CompareAndSwap(0, time.Now().UnixNano())
}

// graceLeft is what remains of shutdownGrace since the interrupt (the
// full grace if none was recorded yet: it starts now).
func (e *env) graceLeft() time.Duration {
	e.markInterrupt()
	left := shutdownGrace - time.Since(time.Unix(0, e.interruptAt.Load()))
	return max(left, 0)
}

// isTerminal says whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(e *env, args []string) int {
	// Global flags before the subcommand: --version, --help, --plugin.
	var plugins []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		switch {
		case a == "--version" || a == "-version" || a == "-V":
			fmt.Fprintln(e.stdout, versionLine())
			return exitOK
		case a == "--help" || a == "-help" || a == "-h":
			printMainHelp(e.stdout)
			return exitOK
		case a == "--plugin" || a == "-plugin":
			if len(args) < 2 {
				fmt.Fprintln(e.stderr, "zmqkit: flag --plugin needs a value (try zmqkit --help)")
				return exitUsage
			}
			plugins = append(plugins, args[1])
			args = args[2:]
			continue
		case strings.HasPrefix(a, "--plugin=") || strings.HasPrefix(a, "-plugin="):
			_, v, _ := strings.Cut(a, "=")
			plugins = append(plugins, v)
		default:
			fmt.Fprintf(e.stderr, "zmqkit: unknown flag %s before the subcommand (try zmqkit --help)\n", a)
			return exitUsage
		}
		args = args[1:]
	}
	if len(args) == 0 {
		printMainHelp(e.stderr)
		return exitUsage
	}
	name := args[0]
	if name == "help" {
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				printHelp(e.stdout, c)
				return exitOK
			}
			fmt.Fprintf(e.stderr, "zmqkit: unknown subcommand %q (try zmqkit help)\n", args[1])
			return exitUsage
		}
		printMainHelp(e.stdout)
		return exitOK
	}
	if name == "version" {
		fmt.Fprintln(e.stdout, versionLine())
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "zmqkit: unknown subcommand %q (try zmqkit help)\n", name)
		return exitUsage
	}
	e.cmd = c.name
	f := newFlagSet(c.name)
	runFn := c.define(f)
	if !c.noGlobal {
		f.section("Global flags")
		f.List(&plugins, "plugin", "PATH", "load transports and mechanisms from this plugin binary, out of process (also $ZMQKIT_PLUGINS)", "file")
	}
	pos, err := f.parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printHelp(e.stdout, c)
		return exitOK
	}
	if err == nil {
		e.plugins = plugins
		var stop func()
		stop, err = loadPlugins(e)
		if err == nil {
			err = runFn(e, pos)
			stop()
		}
	}
	return report(e, err)
}

// report prints err and maps it to an exit status.
func report(e *env, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "zmqkit %s: %s (try zmqkit %s --help)\n", e.cmd, ue.msg, e.cmd)
		return exitUsage
	case errors.Is(err, errInterrupted):
		e.warnf("interrupted")
		return exitInterrupted
	default:
		e.warnf("%v", err)
		return exitFailure
	}
}

func printMainHelp(w io.Writer) {
	fmt.Fprintf(w, `zmqkit: the everyday ZeroMQ tool (zmqkit, pure Go, wire-compatible with libzmq 4.3)

Usage: zmqkit [--plugin PATH]... COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
  zmqkit COMMAND --help    the command's flags and examples
  zmqkit --version         version of zmqkit and the ZeroMQ API it implements

Flags take one or two dashes (-b, --bind), a value after a space or "=",
and may follow positional arguments. Durations are Go durations (10s,
250ms), bare milliseconds as libzmq counts them, or -1 for forever.
Exit status: 0 success, 1 runtime failure, 2 bad usage.
`)
}

func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: zmqkit %s [flags]", c.name)
	if c.args != "" {
		fmt.Fprintf(w, " %s", c.args)
	}
	fmt.Fprintf(w, "\n\n%s\n", c.summary)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s", strings.TrimLeft(c.long, "\n"))
	}
	f := newFlagSet(c.name)
	c.define(f)
	if !c.noGlobal {
		f.section("Global flags")
		var p []string
		f.List(&p, "plugin", "PATH", "load transports and mechanisms from this plugin binary, out of process (also $ZMQKIT_PLUGINS)", "file")
	}
	f.printFlags(w)
}
