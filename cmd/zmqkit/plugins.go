package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/transport"
)

var pluginsCmd = &command{
	name:    "plugins",
	summary: "list the transports and mechanisms, compiled in and from --plugin binaries",
	long: `Lists every transport (by URI scheme) and security mechanism this binary can
use: those compiled in, and those served by the plugin binaries given with
--plugin, with the Go package and module version that provides each.

Examples:
  zmqkit plugins
  zmqkit plugins --json
  zmqkit plugins --has pgm --has curve      # zmq_has: status 0 when all are there
  zmqkit --plugin ./zmqkit-plugin-tcp plugins
  ZMQKIT_PLUGINS=./zmqkit-plugin-tcp:./zmqkit-plugin-curve zmqkit plugins

A plugin's transports and mechanisms replace the compiled-in ones of the
same name for the whole run of any subcommand; inproc cannot be served
out of process.
`,
	define: func(f *flagSet) func(*env, []string) error {
		var asJSON bool
		var has []string
		f.Bool(&asJSON, "json", "print JSON (one array of objects)")
		f.List(&has, "has", "NAME", "answer as zmq_has does (ipc, pgm, tipc, norm, curve, gssapi, draft, ws, ...): print \"NAME yes|no\", status 1 unless all are there", "")
		return func(e *env, pos []string) error {
			if len(pos) > 0 {
				return usagef("unexpected argument %q", pos[0])
			}
			if len(has) > 0 {
				return answerHas(e, has)
			}
			return listPlugins(e, asJSON)
		}
	},
}

// zmqHasNames are the capabilities libzmq's zmq_has knows, in its order.
var zmqHasNames = []string{"ipc", "pgm", "tipc", "vmci", "norm", "curve", "gssapi", "draft", "ws", "wss"}

// answerHas prints, for each name, whether this binary (with its
// --plugin binaries) has it, by core.Has.
func answerHas(e *env, names []string) error {
	missing := 0
	for _, n := range names {
		ans := "yes"
		if !core.Has(n) {
			ans = "no"
			missing++
		}
		fmt.Fprintf(e.stdout, "%s %s\n", n, ans)
	}
	if missing > 0 {
		return fmt.Errorf("%d of %d not available", missing, len(names))
	}
	return nil
}

// hasLine is the table's last line: zmq_has's answers for its names.
func hasLine() string {
	var yes, no []string
	for _, n := range zmqHasNames {
		if core.Has(n) {
			yes = append(yes, n)
		} else {
			no = append(no, n)
		}
	}
	return fmt.Sprintf("zmq_has: %s; not: %s", strings.Join(yes, " "), strings.Join(no, " "))
}

// pluginInfo is one row of "zmqkit plugins".
type pluginInfo struct {
	Kind    string `json:"kind"`              // "transport" or "mechanism"
	Name    string `json:"name"`              // scheme or mechanism name
	Carries string `json:"carries,omitempty"` // transports: stream, frame, pipe, datagram
	Package string `json:"package"`
	Version string `json:"version"`
	Source  string `json:"source"` // "built in" or the plugin binary's path
}

// extraPlugins are the rows of plugin-served entries, filled by
// loadPlugins.
var extraPlugins []pluginInfo

func kindName(k transport.Kind) string {
	switch k {
	case transport.KindStream:
		return "stream"
	case transport.KindFrame:
		return "frame"
	case transport.KindPipe:
		return "pipe"
	case transport.KindDatagram:
		return "datagram"
	}
	return fmt.Sprint(int(k))
}

// pkgVersion returns the module version that provides package pkg.
func pkgVersion(pkg string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	best, ver := "", "(unknown)"
	consider := func(path, v string) {
		if (pkg == path || strings.HasPrefix(pkg, path+"/")) && len(path) > len(best) {
			best, ver = path, v
		}
	}
	for _, d := range bi.Deps {
		v := d.Version
		if d.Replace != nil {
			v = d.Replace.Version
		}
		consider(d.Path, v)
	}
	if bi.Main.Path != "" && (pkg == bi.Main.Path || strings.HasPrefix(pkg, bi.Main.Path+"/")) && len(bi.Main.Path) > len(best) {
		if bi.Main.Path == modulePath {
			return moduleVersion()
		}
		return bi.Main.Version
	}
	return ver
}

func typePkg(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if i := strings.Index(pkg, "/internal/"); i > 0 {
		pkg = pkg[:i] // the plugin's public package
	}
	return pkg
}

func isExternal(pkg string) bool {
	return pkg == modulePath+"/registry/external" || strings.HasPrefix(pkg, modulePath+"/registry/external/")
}

// compiledIn lists registry.Default's entries.
func compiledIn() []pluginInfo {
	var out []pluginInfo
	for _, s := range registry.Default.Transports() {
		t, err := registry.Default.Transport(s)
		if err != nil {
			continue
		}
		pkg := typePkg(t)
		if isExternal(pkg) {
			continue // served by a --plugin binary: listed with it
		}
		out = append(out, pluginInfo{Kind: "transport", Name: s, Carries: kindName(t.Kind()), Package: pkg, Version: pkgVersion(pkg), Source: "built in"})
	}
	core := modulePath + "/core"
	out = append(out, pluginInfo{Kind: "mechanism", Name: "NULL", Package: core, Version: pkgVersion(core), Source: "built in"})
	for _, n := range registry.Default.Mechanisms() {
		m, err := registry.Default.Mechanism(n)
		if err != nil {
			continue
		}
		pkg := typePkg(m)
		if isExternal(pkg) {
			continue
		}
		out = append(out, pluginInfo{Kind: "mechanism", Name: n, Package: pkg, Version: pkgVersion(pkg), Source: "built in"})
	}
	return out
}

func listPlugins(e *env, asJSON bool) error {
	rows := append(compiledIn(), extraPlugins...)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Kind > rows[j].Kind })
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tCARRIES\tPACKAGE\tVERSION\tSOURCE")
	for _, r := range rows {
		c := r.Carries
		if c == "" {
			c = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Name, c, r.Package, r.Version, r.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, hasLine())
	return err
}

// loadPlugins loads the --plugin binaries (and those of $ZMQKIT_PLUGINS,
// colon-separated) out of process into registry.Default, in place of the
// compiled-in transports and mechanisms they serve, and records what each
// serves for "zmqkit plugins". The returned function stops them.
func loadPlugins(e *env) (func(), error) {
	paths := append([]string(nil), e.plugins...)
	if v := e.getenv(external.EnvPlugins); v != "" {
		for _, p := range strings.Split(v, string(os.PathListSeparator)) {
			if p != "" {
				paths = append(paths, p)
			}
		}
	}
	var loaded []*external.Plugin
	stop := func() {
		for i := len(loaded) - 1; i >= 0; i-- {
			loaded[i].Close()
		}
	}
	for _, path := range paths {
		pl, err := external.Load(registry.Default, path, external.Options{Replace: true, IdleTimeout: -1})
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("--plugin %s: %w", path, err)
		}
		loaded = append(loaded, pl)
		pkg, ver := binaryVersion(path)
		for _, sch := range pl.Transports() {
			row := pluginInfo{Kind: "transport", Name: sch, Package: pkg, Version: ver, Source: path}
			if t, err := registry.Default.Transport(sch); err == nil {
				row.Carries = kindName(t.Kind())
			}
			extraPlugins = append(extraPlugins, row)
		}
		for _, m := range pl.Mechanisms() {
			extraPlugins = append(extraPlugins, pluginInfo{Kind: "mechanism", Name: m, Package: pkg, Version: ver, Source: path})
		}
	}
	return stop, nil
}

// binaryVersion reads a plugin binary's Go build information: its main
// package and the version of its module (or of the zmqkit module it was
// built with, when its own is a development build).
func binaryVersion(path string) (pkg, version string) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return "(not a Go binary)", "(unknown)"
	}
	pkg, version = bi.Path, bi.Main.Version
	if version == "" || version == "(devel)" {
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				return pkg, "zmqkit " + d.Version
			}
		}
		if bi.Main.Path == modulePath {
			return pkg, "(devel, " + bi.GoVersion + ")"
		}
	}
	return pkg, version
}
