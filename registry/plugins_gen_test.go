package registry

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// plugins_gen.go must list exactly the plugin packages under plugins/, so
// that unknown-scheme errors name a plugin as soon as it exists, and only
// then. A new plugin directory fails this test until the table is
// regenerated.
func TestPluginTableCurrent(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join("..", "plugins"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range ents {
		if !e.IsDir() || e.Name() == "all" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join("..", "plugins", e.Name(), "*.go"))
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				dirs = append(dirs, e.Name())
				break
			}
		}
	}
	if !slices.Equal(dirs, pluginDirs) {
		t.Fatalf("plugins/ holds %q, registry/plugins_gen.go lists %q: run go generate ./registry", dirs, pluginDirs)
	}
	for key, p := range pluginFor {
		dir := strings.TrimPrefix(p.pkg, "github.com/zmqkit/zmqkit/plugins/")
		if !slices.Contains(pluginDirs, dir) {
			t.Errorf("%s: %s is not a plugin package", key, p.pkg)
		}
	}
}
