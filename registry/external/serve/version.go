package serve

import (
	"fmt"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/zmqkit/zmqkit/internal/release"
)

// Version is a plugin binary's semantic version ("v1.2.3"), as it
// declares it: pass one to Main along with the plugins (or set
// Config.Version). Without it, the binary reports its plugins' module
// versions (see Config.Version).
type Version string

// semverRE matches a semantic version with Go's leading "v".
var semverRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)` +
	`(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// validVersion reports whether v is a semantic version.
func validVersion(v string) bool { return semverRE.MatchString(v) }

// unknownVersion is reported for a plugin whose module has no version
// (built from a checkout without version control information).
const unknownVersion = "v0.0.0-devel"

// zmqkitModule is zmqkit's module path: its plugins report its release.
const zmqkitModule = "github.com/zmqkit/zmqkit"

// buildInfo is the binary's build information, nil without one.
var buildInfo, _ = debug.ReadBuildInfo()

// mainModule is the binary's main module as path@version.
func mainModule() string {
	if buildInfo == nil || buildInfo.Main.Path == "" {
		return ""
	}
	return buildInfo.Main.Path + "@" + buildInfo.Main.Version
}

// pluginVersion is the semantic version of the module that provides
// plugin p: zmqkit's release for zmqkit's own plugins, else the version
// the Go toolchain recorded for the module (a tag, or a pseudo-version).
func pluginVersion(p any) string {
	t := reflect.TypeOf(p)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return unknownVersion
	}
	path, version := moduleOf(t.PkgPath())
	switch {
	case path == zmqkitModule:
		return release.Version
	case validVersion(version):
		return version
	}
	return unknownVersion
}

// moduleOf finds the module providing package pkg in the build
// information: the longest module path that is pkg or a prefix of it.
func moduleOf(pkg string) (path, version string) {
	if buildInfo == nil || pkg == "" {
		return "", ""
	}
	mods := append([]*debug.Module{&buildInfo.Main}, buildInfo.Deps...)
	for _, m := range mods {
		if m == nil || m.Path == "" {
			continue
		}
		if pkg != m.Path && !strings.HasPrefix(pkg, m.Path+"/") || len(m.Path) <= len(path) {
			continue
		}
		path, version = m.Path, m.Version
		if m.Replace != nil && m.Replace.Version != "" {
			version = m.Replace.Version
		}
	}
	return path, version
}

// binaryVersion is the version a binary serving cfg reports: cfg.Version,
// else the version of the module providing its first plugin.
func binaryVersion(cfg Config) string {
	switch {
	case cfg.Version != "":
		return cfg.Version
	case len(cfg.Transports) > 0:
		return pluginVersion(cfg.Transports[0])
	case len(cfg.Mechanisms) > 0:
		return pluginVersion(cfg.Mechanisms[0])
	}
	return unknownVersion
}

// versionLine is what a plugin binary named name prints for --version:
// its version and what it serves, "zmqkit-plugin-tcp v0.1.0 (zmqkit
// plugin: tcp)".
func versionLine(name string, cfg Config) string {
	var serves []string
	for _, t := range cfg.Transports {
		serves = append(serves, t.Schemes()...)
	}
	for _, m := range cfg.Mechanisms {
		serves = append(serves, m.Name())
	}
	return fmt.Sprintf("%s %s (zmqkit plugin: %s)", name, binaryVersion(cfg), strings.Join(serves, ", "))
}
