package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/zmqkit/zmqkit/registry"
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
  zmqkit --plugin ./zmqkit-plugin-foo plugins
`,
	define: func(f *flagSet) func(*env, []string) error {
		var asJSON bool
		f.Bool(&asJSON, "json", "print JSON (one array of objects)")
		return func(e *env, pos []string) error {
			if len(pos) > 0 {
				return usagef("unexpected argument %q", pos[0])
			}
			return listPlugins(e, asJSON)
		}
	},
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

// compiledIn lists registry.Default's entries.
func compiledIn() []pluginInfo {
	var out []pluginInfo
	for _, s := range registry.Default.Transports() {
		t, err := registry.Default.Transport(s)
		if err != nil {
			continue
		}
		pkg := typePkg(t)
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
	return tw.Flush()
}

// loadPlugins loads the --plugin binaries into registry.Default.
func loadPlugins(e *env) error {
	if len(e.plugins) == 0 {
		return nil
	}
	return fmt.Errorf("--plugin %s: this build cannot load plugin binaries yet: out-of-process plugin support (registry/external, issue 14) is not in zmqkit yet", e.plugins[0])
}
