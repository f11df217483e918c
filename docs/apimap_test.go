// Package docs_test checks docs/api-map.md against the code: every Go
// name the map gives exists, every libzmq entry point zmq(7),
// zmq_socket_monitor(3) and zmq_connect_peer(3) name has its row, and every
// link to a file of the repository leads to one.
package docs_test

import (
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// libzmqNames are the entry points, man pages and events the map must
// give a row (first column), from zmq(7), zmq_socket_monitor(3) and
// zmq_connect_peer(3) of libzmq 4.3 with its DRAFT API.
var libzmqNames = []string{
	// context
	"zmq_ctx_new", "zmq_init", "zmq_ctx_term", "zmq_ctx_destroy", "zmq_term", "zmq_ctx_shutdown", "zmq_ctx_set", "zmq_ctx_get",
	"zmq_ctx_set_ext", "zmq_ctx_get_ext",
	// messages
	"zmq_msg_init", "zmq_msg_init_size", "zmq_msg_init_data", "zmq_msg_init_buffer", "zmq_send_const",
	"zmq_msg_send", "zmq_msg_recv", "zmq_msg_close", "zmq_msg_copy", "zmq_msg_move", "zmq_msg_data",
	"zmq_msg_size", "zmq_msg_more", "zmq_msg_get", "zmq_msg_set", "zmq_msg_gets", "zmq_msg_routing_id",
	"zmq_msg_set_routing_id", "zmq_msg_group", "zmq_msg_set_group",
	// sockets
	"zmq_socket", "zmq_close", "zmq_setsockopt", "zmq_getsockopt", "zmq_bind", "zmq_unbind", "zmq_connect",
	"zmq_connect_peer", "zmq_disconnect", "zmq_disconnect_peer", "zmq_send", "zmq_recv", "zmq_sendmsg", "zmq_recvmsg", "zmq_join", "zmq_leave",
	"zmq_socket_get_peer_state", "zmq_socket_monitor", "zmq_socket_monitor_versioned", "zmq_socket_monitor_pipes_stats",
	// monitor events
	"ZMQ_EVENT_CONNECTED", "ZMQ_EVENT_CONNECT_DELAYED", "ZMQ_EVENT_CONNECT_RETRIED", "ZMQ_EVENT_LISTENING",
	"ZMQ_EVENT_BIND_FAILED", "ZMQ_EVENT_ACCEPTED", "ZMQ_EVENT_ACCEPT_FAILED", "ZMQ_EVENT_CLOSED",
	"ZMQ_EVENT_CLOSE_FAILED", "ZMQ_EVENT_DISCONNECTED", "ZMQ_EVENT_MONITOR_STOPPED",
	"ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL", "ZMQ_EVENT_HANDSHAKE_SUCCEEDED", "ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL",
	"ZMQ_EVENT_HANDSHAKE_FAILED_AUTH", "ZMQ_EVENT_PIPES_STATS", "ZMQ_EVENT_ALL", "ZMQ_EVENT_ALL_V1", "ZMQ_EVENT_ALL_V2",
	// polling
	"zmq_poll", "zmq_ppoll", "zmq_poller_new", "zmq_poller_destroy", "zmq_poller_add", "zmq_poller_modify", "zmq_poller_remove",
	"zmq_poller_add_fd", "zmq_poller_modify_fd", "zmq_poller_remove_fd", "zmq_poller_wait", "zmq_poller_wait_all",
	"zmq_poller_size", "zmq_poller_fd",
	// proxies
	"zmq_proxy", "zmq_device", "zmq_proxy_steerable",
	// transports
	"zmq_tcp(7)", "zmq_ipc(7)", "zmq_inproc(7)", "zmq_pgm(7)", "zmq_udp(7)", "zmq_vmci(7)", "zmq_tipc(7)",
	"vsock", "ws, wss", "zmq_norm",
	// security
	"zmq_null(7)", "zmq_plain(7)", "zmq_curve(7)", "zmq_gssapi(7)", "zmq_curve_keypair", "zmq_curve_public",
	"zmq_z85_encode", "zmq_z85_decode",
	// errors
	"zmq_errno", "zmq_strerror",
	// utilities and version
	"zmq_atomic_counter_new", "zmq_atomic_counter_set", "zmq_atomic_counter_inc", "zmq_atomic_counter_dec",
	"zmq_atomic_counter_value", "zmq_atomic_counter_destroy", "zmq_stopwatch_start", "zmq_sleep",
	"zmq_threadstart", "zmq_timers_", "zmq_version", "zmq_has",
}

// stdPackages are the standard library packages the map may name.
var stdPackages = map[string]string{"atomic": "sync/atomic", "time": "time", "signal": "os/signal"}

type row struct {
	line  int
	cells []string
}

func mapRows(t *testing.T) []row {
	t.Helper()
	b, err := os.ReadFile("api-map.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	for i, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "| ") || strings.HasPrefix(l, "| libzmq |") {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimSpace(l), "|")[1:], "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 4 {
			t.Errorf("api-map.md:%d: %d columns, want 4 (libzmq | zmqkit | difference | example)", i+1, len(cells))
			continue
		}
		rows = append(rows, row{i + 1, cells})
	}
	if len(rows) < 80 {
		t.Fatalf("api-map.md has only %d rows", len(rows))
	}
	return rows
}

// Every libzmq name has a row.
func TestAPIMapIsComplete(t *testing.T) {
	var first []string
	for _, r := range mapRows(t) {
		first = append(first, r.cells[0])
	}
	all := strings.Join(first, "\n")
	for _, name := range libzmqNames {
		if !regexp.MustCompile(`(^|[\s,])` + regexp.QuoteMeta(name) + `($|[\s,*(])`).MatchString(all) {
			t.Errorf("api-map.md has no row for %s", name)
		}
	}
}

// goName is a Go name as the map writes it: pkg.Name or pkg.Type.Member.
var goName = regexp.MustCompile("`([a-z][a-z0-9]*)\\.([A-Z][A-Za-z0-9_]*)(?:\\.([A-Z][A-Za-z0-9_]*))?`")

// Every Go name in the map exists.
func TestAPIMapNamesExist(t *testing.T) {
	pkgs := modulePackages(t)
	for k, v := range stdPackages {
		pkgs[k] = stdDir(t, v)
	}
	names := map[string]map[string]bool{} // package name → its identifiers
	checked := 0
	for _, r := range mapRows(t) {
		for _, cell := range r.cells[1:3] {
			for _, m := range goName.FindAllStringSubmatch(cell, -1) {
				dir, ok := pkgs[m[1]]
				if !ok {
					t.Errorf("api-map.md:%d: %s: no package %q in the module (or stdPackages)", r.line, m[0], m[1])
					continue
				}
				if names[m[1]] == nil {
					names[m[1]] = identifiers(t, dir)
				}
				id := m[2]
				if m[3] != "" {
					id += "." + m[3]
				}
				if !names[m[1]][id] {
					t.Errorf("api-map.md:%d: %s does not exist (package %s in %s)", r.line, m[0], m[1], dir)
				}
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked only %d Go names", checked)
	}
}

// The check catches a name that does not exist.
func TestAPIMapCheckFindsMissingNames(t *testing.T) {
	ids := identifiers(t, modulePackages(t)["core"])
	for _, ok := range []string{"NewContext", "Socket.Bind", "Msg.Frames", "PollItem.Conn", "EventConnected", "ErrWouldBlock"} {
		if !ids[ok] {
			t.Errorf("identifiers of core lack %s", ok)
		}
	}
	for _, bad := range []string{"NewContxt", "Socket.Bnd", "Msg.Nope", "socket"} {
		if ids[bad] {
			t.Errorf("identifiers of core has %s", bad)
		}
	}
}

// Every relative link of the map leads to a file.
func TestAPIMapLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)]+)\)`)
	n := 0
	for _, r := range mapRows(t) {
		for _, m := range link.FindAllStringSubmatch(r.cells[3], -1) {
			if strings.Contains(m[1], "://") {
				continue
			}
			n++
			if _, err := os.Stat(m[1]); err != nil {
				t.Errorf("api-map.md:%d: link %s: %v", r.line, m[1], err)
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d links to examples", n)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "docs/api-map.md") {
		t.Error("README.md does not link docs/api-map.md")
	}
}

// modulePackages maps the package names of the main module's importable,
// non-internal library packages to their directories.
func modulePackages(t *testing.T) map[string]string {
	t.Helper()
	pkgs := map[string]string{}
	dup := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != ".." {
			if strings.HasPrefix(name, ".") || name == "testdata" || name == "internal" || name == "interop" ||
				name == "cmd" || name == "examples" {
				return filepath.SkipDir
			}
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly)
			if err != nil {
				return err
			}
			p := pf.Name.Name
			if p == "main" {
				break
			}
			if old, ok := pkgs[p]; ok && old != path {
				dup[p] = true
			}
			pkgs[p] = path
			break
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range dup {
		delete(pkgs, p) // ambiguous: the map must not use it
	}
	if pkgs["core"] == "" || pkgs["curve"] == "" {
		t.Fatalf("module packages: %v", pkgs)
	}
	return pkgs
}

func stdDir(t *testing.T, path string) string {
	t.Helper()
	p, err := build.Default.Import(path, "", build.FindOnly)
	if err != nil {
		t.Fatal(err)
	}
	return p.Dir
}

// identifiers lists the exported names of the package in dir: top-level
// ones, and Type.Member for methods, struct fields and interface methods.
func identifiers(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	matches, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var files []*ast.File
	for _, f := range matches {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, af)
	}
	p, err := doc.NewFromFiles(fset, files, "x", doc.AllDecls)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				ids[n] = true
			}
		}
	}
	values(p.Consts)
	values(p.Vars)
	for _, f := range p.Funcs {
		ids[f.Name] = true
	}
	for _, ty := range p.Types {
		ids[ty.Name] = true
		values(ty.Consts)
		values(ty.Vars)
		for _, f := range ty.Funcs {
			ids[f.Name] = true
		}
		for _, m := range ty.Methods {
			ids[ty.Name+"."+m.Name] = true
		}
		for _, spec := range ty.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Name.Name != ty.Name {
				continue
			}
			var fields *ast.FieldList
			switch x := ts.Type.(type) {
			case *ast.StructType:
				fields = x.Fields
			case *ast.InterfaceType:
				fields = x.Methods
			}
			if fields == nil {
				continue
			}
			for _, f := range fields.List {
				for _, n := range f.Names {
					ids[ty.Name+"."+n.Name] = true
				}
			}
		}
	}
	for k := range ids {
		if !ast.IsExported(strings.Split(k, ".")[len(strings.Split(k, "."))-1]) {
			delete(ids, k)
		}
	}
	return ids
}
