package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The command line follows one convention everywhere: flags have a long
// name (--bind) and some a one-letter alias (-b); either takes one or two
// dashes; a value follows as the next argument or after "="; flags and
// positional arguments may be mixed; "--" ends the flags. --help (or -h)
// prints the command's help on stdout and exits 0; bad usage prints one
// line on stderr and exits 2; a runtime failure exits 1.

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130 // a second Ctrl-C, or an interrupted measurement
)

// usageError is bad usage: exit status 2, one line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errInterrupted ends a command that was interrupted before it could
// deliver its result (bench): exit status 130.
var errInterrupted = errors.New("interrupted")

// flagDef describes one flag for help and completion.
type flagDef struct {
	names    []string // long name first, then aliases
	metavar  string   // "" for a boolean flag
	help     string
	def      string // default shown in help, "" for none
	complete string // completion of the value: "file", "dir", "socktype", "event", or "a|b|c"
	group    string // "" for the command's own flags, else a section title
}

// flagSet wraps the standard flag.FlagSet with aliases, help sections and
// what the completion scripts need.
type flagSet struct {
	fs    *flag.FlagSet
	defs  []*flagDef
	group string
}

func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{fs: fs}
}

// section makes the flags defined next appear under a titled section of
// the help ("" for the command's own).
func (f *flagSet) section(title string) { f.group = title }

func (f *flagSet) add(v flag.Value, names, metavar, def, help, complete string) {
	d := &flagDef{names: strings.Split(names, ","), metavar: metavar, help: help, def: def, complete: complete, group: f.group}
	for _, n := range d.names {
		f.fs.Var(v, n, help)
	}
	f.defs = append(f.defs, d)
}

// Bool defines a boolean flag (no value; --name=false turns it off).
func (f *flagSet) Bool(p *bool, names, help string) {
	f.add((*boolValue)(p), names, "", "", help, "")
}

// String defines a string flag; complete hints the shell completion.
func (f *flagSet) String(p *string, names, metavar, help, complete string) {
	f.add((*stringValue)(p), names, metavar, *p, help, complete)
}

// Int defines an integer flag.
func (f *flagSet) Int(p *int, names, metavar, help string) {
	def := ""
	if *p != 0 {
		def = strconv.Itoa(*p)
	}
	f.add((*intValue)(p), names, metavar, def, help, "")
}

// Duration defines a duration flag: Go syntax (1.5s, 200ms), a bare
// number of milliseconds as libzmq counts them, or -1 for "forever".
func (f *flagSet) Duration(p *time.Duration, names, metavar, help string) {
	def := ""
	if *p != 0 {
		def = formatDuration(*p)
	}
	f.add((*durationValue)(p), names, metavar, def, help, "")
}

// List defines a repeatable string flag.
func (f *flagSet) List(p *[]string, names, metavar, help, complete string) {
	f.add((*listValue)(p), names, metavar, "", help+" (repeatable)", complete)
}

// Enum defines a string flag that takes one of choices.
func (f *flagSet) Enum(p *string, names, metavar, help string, choices ...string) {
	f.add(&enumValue{p: p, choices: choices}, names, metavar, *p, help, strings.Join(choices, "|"))
}

// parse parses args, allowing positional arguments between flags, and
// returns the positional ones. A usage error (unknown flag, bad value)
// comes back as *usageError; --help as flag.ErrHelp.
func (f *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{msg: cleanFlagError(err)}
		}
		rest := f.fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// cleanFlagError turns the flag package's messages into our one-liners.
func cleanFlagError(err error) string {
	s := err.Error()
	if name, ok := strings.CutPrefix(s, "flag provided but not defined: -"); ok {
		return "unknown flag --" + strings.TrimLeft(name, "-")
	}
	if name, ok := strings.CutPrefix(s, "flag needs an argument: -"); ok {
		return "flag --" + strings.TrimLeft(name, "-") + " needs a value"
	}
	return s
}

// dashed formats a flag name with one dash for one letter, two otherwise.
func dashed(n string) string {
	if len(n) == 1 {
		return "-" + n
	}
	return "--" + n
}

// printFlags writes the flag table, sections in order of first use.
func (f *flagSet) printFlags(w io.Writer) {
	var groups []string
	seen := map[string]bool{}
	for _, d := range f.defs {
		if !seen[d.group] {
			seen[d.group] = true
			groups = append(groups, d.group)
		}
	}
	for _, g := range groups {
		title := "Flags"
		if g != "" {
			title = g
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		var rows [][2]string
		width := 0
		for _, d := range f.defs {
			if d.group != g {
				continue
			}
			names := append([]string(nil), d.names...)
			sort.SliceStable(names, func(i, j int) bool { return len(names[i]) == 1 && len(names[j]) != 1 })
			var parts []string
			for _, n := range names {
				parts = append(parts, dashed(n))
			}
			left := strings.Join(parts, ", ")
			if len(names[0]) != 1 {
				left = "    " + left
			}
			if d.metavar != "" {
				left += " " + d.metavar
			}
			help := d.help
			if d.def != "" {
				help += " (default " + d.def + ")"
			}
			rows = append(rows, [2]string{left, help})
			width = max(width, len(left))
		}
		width = min(width, 30)
		for _, r := range rows {
			if len(r[0]) > width {
				fmt.Fprintf(w, "  %s\n  %s  %s\n", r[0], strings.Repeat(" ", width), r[1])
			} else {
				fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
			}
		}
	}
}

// Value types.

type boolValue bool

func (b *boolValue) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	*b = boolValue(v)
	return nil
}
func (b *boolValue) String() string   { return strconv.FormatBool(bool(*b)) }
func (b *boolValue) IsBoolFlag() bool { return true }

type stringValue string

func (s *stringValue) Set(v string) error { *s = stringValue(v); return nil }
func (s *stringValue) String() string     { return string(*s) }

type intValue int

func (i *intValue) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want an integer, got %q", s)
	}
	*i = intValue(v)
	return nil
}
func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}
func (d *durationValue) String() string { return formatDuration(time.Duration(*d)) }

// parseDuration reads Go durations, bare milliseconds, and -1 (forever,
// returned as -1).
func parseDuration(s string) (time.Duration, error) {
	if s == "-1" {
		return -1, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("want a duration (10s, 250ms, milliseconds, or -1 for forever), got %q", s)
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("want a duration (10s, 250ms, milliseconds, or -1 for forever), got %q", s)
	}
	return v, nil
}

func formatDuration(d time.Duration) string {
	if d < 0 {
		return "-1 (forever)"
	}
	return d.String()
}

type listValue []string

func (l *listValue) Set(s string) error { *l = append(*l, s); return nil }
func (l *listValue) String() string     { return strings.Join(*l, ",") }

type enumValue struct {
	p       *string
	choices []string
}

func (e *enumValue) Set(s string) error {
	for _, c := range e.choices {
		if strings.EqualFold(s, c) {
			*e.p = c
			return nil
		}
	}
	return fmt.Errorf("want one of %s, got %q", strings.Join(e.choices, ", "), s)
}
func (e *enumValue) String() string {
	if e.p == nil {
		return ""
	}
	return *e.p
}
