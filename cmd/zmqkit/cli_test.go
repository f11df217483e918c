package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelpExitsZero(t *testing.T) {
	for _, c := range commands {
		for _, h := range []string{"--help", "-h", "-help"} {
			out, errOut, code := runInProcess(c.name, h)
			if code != exitOK || !strings.Contains(out, "Usage: zmqkit "+c.name) || errOut != "" {
				t.Errorf("zmqkit %s %s: status %d, stdout %q, stderr %q", c.name, h, code, firstLine(out), errOut)
			}
		}
		if out, _, code := runInProcess("help", c.name); code != 0 || !strings.Contains(out, "Usage: zmqkit "+c.name) {
			t.Errorf("zmqkit help %s: status %d", c.name, code)
		}
	}
	out, _, code := runInProcess("--help")
	if code != 0 || !strings.Contains(out, "Commands:") {
		t.Errorf("zmqkit --help: status %d, %q", code, out)
	}
	// The binary too, for one of them.
	stdout, _, code := zk(t, "", "cat", "--help")
	if code != 0 || !strings.Contains(stdout, "--bind") {
		t.Errorf("binary cat --help: status %d", code)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func TestBadUsageExitsTwo(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"nosuch"}, `unknown subcommand "nosuch"`},
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"cat"}, "which socket type"},
		{[]string{"cat", "pul", "-b", "tcp://127.0.0.1:1"}, `unknown socket type "pul"`},
		{[]string{"cat", "pull"}, "give at least one --bind or --connect"},
		{[]string{"cat", "pull", "-b", "tcp://127.0.0.1:1", "--bogus"}, "unknown flag --bogus"},
		{[]string{"cat", "pull", "-b"}, "flag --b needs a value"},
		{[]string{"cat", "pull", "-c", "tcp://127.0.0.1:1", "-n", "x"}, `invalid value "x"`},
		{[]string{"cat", "pull", "-c", "tcp://127.0.0.1:1", "-t", "soon"}, "want a duration"},
		{[]string{"cat", "pull", "-c", "tcp://127.0.0.1:1", "--in", "xml"}, "want one of text, hex, json"},
		{[]string{"cat", "push", "-c", "tcp://127.0.0.1:1", "-r"}, "a PUSH socket cannot receive"},
		{[]string{"cat", "pull", "-c", "tcp://127.0.0.1:1", "--echo"}, "--echo and --reply are for rep"},
		{[]string{"cat", "dish", "-c", "udp://127.0.0.1:1"}, "give --join"},
		{[]string{"cat", "pull", "-c", "nosuch://x"}, `unknown transport "nosuch"`},
		{[]string{"cat", "pull", "-c", "tcp://"}, "invalid"},
		{[]string{"cat", "pull", "-c", "tcp://127.0.0.1:1", "-o", "nosuch=1"}, `unknown option "nosuch"`},
		{[]string{"cat", "pull", "-c", "tcp://127.0.0.1:1", "--plain-user", "u", "--curve-secret", "x"}, "choose CURVE or PLAIN"},
		{[]string{"cat", "pull", "-b", "tcp://127.0.0.1:1", "--plain-server"}, "needs --plain-allow"},
		{[]string{"keygen", "extra"}, `unexpected argument "extra"`},
		{[]string{"keygen", "--meta", "novalue"}, "wants NAME=VALUE"},
		{[]string{"plugins", "--json=maybe"}, "invalid"},
	}
	for _, c := range cases {
		out, errOut, code := runInProcess(c.args...)
		if code != exitUsage {
			t.Errorf("zmqkit %q: status %d, want 2; stderr %q", c.args, code, errOut)
			continue
		}
		if out != "" && c.args != nil {
			t.Errorf("zmqkit %q: printed on stdout: %q", c.args, out)
		}
		lines := strings.Split(strings.TrimRight(errOut, "\n"), "\n")
		if c.args != nil && len(lines) != 1 {
			t.Errorf("zmqkit %q: want one line on stderr, got %q", c.args, errOut)
		}
		if !strings.Contains(errOut, c.want) {
			t.Errorf("zmqkit %q: stderr %q does not say %q", c.args, errOut, c.want)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, a := range [][]string{{"--version"}, {"version"}} {
		out, _, code := zk(t, "", a...)
		if code != 0 || !strings.HasPrefix(out, "zmqkit ") || !strings.Contains(out, "libzmq 4.3") {
			t.Errorf("zmqkit %v: status %d, %q", a, code, out)
		}
	}
}

func TestPlugins(t *testing.T) {
	out, _, code := zk(t, "", "plugins")
	if code != 0 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{"transport  tcp", "transport  ipc", "transport  inproc", "transport  udp", "transport  vmci", "transport  vsock", "transport  ws", "transport  wss", "transport  pgm", "transport  epgm", "mechanism  NULL", "mechanism  CURVE", "mechanism  PLAIN", "github.com/zmqkit/zmqkit/plugins/tcp"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("plugins lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "zmq_has: ipc pgm vmci curve draft ws wss; not: tipc norm gssapi") {
		t.Errorf("plugins lacks the zmq_has line:\n%s", out)
	}
	// zmq_has style: one answer a name, status 0 only when all are there.
	out, _, code = zk(t, "", "plugins", "--has", "pgm", "--has", "epgm", "--has", "CURVE", "--has", "draft")
	if code != 0 || out != "pgm yes\nepgm yes\nCURVE yes\ndraft yes\n" {
		t.Errorf("--has pgm epgm CURVE draft: %d %q", code, out)
	}
	out, errOut, code := zk(t, "", "plugins", "--has", "ipc", "--has", "tipc", "--has", "gssapi")
	if code != 1 || out != "ipc yes\ntipc no\ngssapi no\n" || !strings.Contains(errOut, "2 of 3 not available") {
		t.Errorf("--has ipc tipc gssapi: %d %q %q", code, out, errOut)
	}
	out, _, code = zk(t, "", "plugins", "--json")
	var rows []pluginInfo
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) < 7 {
		t.Fatalf("plugins --json: status %d, %q", code, out)
	}
	for _, r := range rows {
		if r.Version == "" || r.Package == "" || r.Source != "built in" {
			t.Errorf("incomplete row %+v", r)
		}
	}
}

func TestPluginFlag(t *testing.T) {
	t.Parallel()
	plugin := filepath.Join(tmpRoot, "zmqkit-plugin-tcp")
	out, _, code := zk(t, "", "--plugin", plugin, "plugins", "--json")
	var rows []pluginInfo
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("plugins --plugin: %d %q", code, out)
	}
	var tcp []pluginInfo
	for _, r := range rows {
		if r.Name == "tcp" {
			tcp = append(tcp, r)
		}
	}
	if len(tcp) != 1 || tcp[0].Source != plugin || tcp[0].Package != "github.com/zmqkit/zmqkit/cmd/zmqkit-plugin-tcp" || tcp[0].Version == "" || tcp[0].Carries != "stream" {
		t.Errorf("tcp rows %+v", tcp)
	}
	// Messages flow through the plugin's tcp, to a compiled-in tcp peer
	// (and through $ZMQKIT_PLUGINS on the other side).
	ep := tcpEP(t)
	pull := newProc(t, "zmqkit", "cat", "pull", "-b", ep, "-n", "2", "--out", "json")
	pull.cmd.Env = append(os.Environ(), "ZMQKIT_PLUGINS="+plugin)
	pull.run()
	waitBound(t, ep)
	push := start(t, "via\nplugin\n", "zmqkit", "cat", "push", "-c", ep, "--plugin", plugin)
	push.expect(0, procTimeout)
	pull.expect(0, procTimeout)
	if !strings.Contains(pull.stdout.String(), `"frames":["plugin"]`) {
		t.Errorf("pull got %q", pull.stdout.String())
	}
	// Not a plugin: a runtime failure that says so.
	_, errOut, code := zk(t, "", "--plugin", "/bin/true", "plugins")
	if code != exitFailure || !strings.Contains(errOut, "--plugin /bin/true") {
		t.Errorf("/bin/true: %d %q", code, errOut)
	}
	_, errOut, code = zk(t, "", "cat", "pull", "-c", "tcp://127.0.0.1:1", "--plugin", "/nonexistent/plugin")
	if code != exitFailure || !strings.Contains(errOut, "--plugin /nonexistent/plugin") {
		t.Errorf("missing plugin: %d %q", code, errOut)
	}
}

func TestKeygen(t *testing.T) {
	out, _, code := zk(t, "", "keygen", "--format", "json")
	var kp map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &kp) != nil || len(kp["public"]) != 40 || len(kp["secret"]) != 40 {
		t.Fatalf("keygen --format json: %d %q", code, out)
	}
	// --public derives the same public key, from the flag and from stdin.
	out, _, _ = zk(t, "", "keygen", "--public", kp["secret"])
	if strings.TrimSpace(out) != "public: "+kp["public"] {
		t.Errorf("--public: %q, want %q", out, kp["public"])
	}
	out, _, _ = zk(t, kp["secret"]+"\n", "keygen", "--public", "-", "--format", "env")
	if strings.TrimSpace(out) != "ZMQKIT_CURVE_PUBLICKEY='"+kp["public"]+"'" {
		t.Errorf("--public - --format env: %q", out)
	}
	// Certificates: written, refused when present, read back by --public.
	dir := t.TempDir()
	cert := filepath.Join(dir, "server")
	out, _, code = zk(t, "", "keygen", "--cert", cert, "--meta", "name=broker")
	if code != 0 || !strings.Contains(out, "wrote "+cert) {
		t.Fatalf("keygen --cert: %d %q", code, out)
	}
	pub := strings.TrimPrefix(firstLine(out), "public: ")
	sec, err := os.ReadFile(cert + "_secret")
	if err != nil || !strings.Contains(string(sec), "name = \"broker\"") {
		t.Fatalf("secret certificate: %v %q", err, sec)
	}
	if st, _ := os.Stat(cert + "_secret"); st.Mode().Perm() != 0o600 {
		t.Errorf("secret certificate mode %v", st.Mode().Perm())
	}
	if _, errOut, code := zk(t, "", "keygen", "--cert", cert); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("overwrite: %d %q", code, errOut)
	}
	out, _, _ = zk(t, "", "keygen", "--public", cert+"_secret")
	if strings.TrimSpace(out) != "public: "+pub {
		t.Errorf("--public CERT: %q, want %q", out, pub)
	}
	pubOnly := filepath.Join(t.TempDir(), "server.pub")
	if b, err := os.ReadFile(cert); err != nil || os.WriteFile(pubOnly, b, 0o644) != nil {
		t.Fatal(err)
	}
	if _, errOut, code := zk(t, "", "keygen", "--public", pubOnly); code != 1 || !strings.Contains(errOut, "no secret key") {
		t.Errorf("--public of a public cert %s: %d %q", pubOnly, code, errOut)
	}
	if _, errOut, code := zk(t, "", "keygen", "--public", "short"); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("--public short: %d %q", code, errOut)
	}
	// libzmq agrees on the public key.
	needPython(t)
	got, err := exec.Command(pyBin, "-c", "import sys,zmq; print(zmq.curve_public(sys.argv[1].encode()).decode())", kp["secret"]).Output()
	if err != nil || strings.TrimSpace(string(got)) != kp["public"] {
		t.Errorf("libzmq's zmq_curve_public: %q %v, want %q", got, err, kp["public"])
	}
}
