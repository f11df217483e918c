package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	t.Parallel()
	script, _, code := zk(t, "", "completion", "bash")
	if code != 0 {
		t.Fatal("completion bash failed")
	}
	f := filepath.Join(t.TempDir(), "zmqkit.bash")
	os.WriteFile(f, []byte(script), 0o644)
	cases := map[string]string{
		"zmqkit pro":              "proxy",
		"zmqkit cat --subs":       "--subscribe",
		"zmqkit cat ro":           "router",
		"zmqkit cat --out ":       "text hex json",
		"zmqkit --plugin x ben":   "bench",
		"zmqkit monitor -e hand":  "handshake_failed_no_detail handshake_succeeded handshake_failed_protocol handshake_failed_auth",
		"zmqkit bench --test ":    "both thr lat",
		"zmqkit completion ":      "bash zsh",
		"zmqkit proxy --backend-": "--backend-bind --backend-connect --backend-curve-serverkey --backend-curve-secret --backend-curve-allow --backend-plain-user --backend-plain-password --backend-plain-server --backend-plain-allow --backend-plain-users --backend-zap-domain",
	}
	for line, want := range cases {
		prog := `source "$1"; read -ra COMP_WORDS <<< "$2"; [[ $2 == *" " ]] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _zmqkit; echo "${COMPREPLY[*]}"`
		out, err := exec.Command("bash", "-c", prog, "bash", f, line).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%q completes to %q (%v), want %q", line, strings.TrimSpace(string(out)), err, want)
		}
	}
	zshScript, _, code := zk(t, "", "completion", "zsh")
	if code != 0 || !strings.HasPrefix(zshScript, "#compdef zmqkit") {
		t.Fatal("completion zsh failed")
	}
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zsh is missing; scripts/prereq/30-cli.sh installs it")
		}
		t.Skip("zsh not installed: the zsh script is not checked here")
	}
	zf := filepath.Join(t.TempDir(), "_zmqkit")
	os.WriteFile(zf, []byte(zshScript), 0o644)
	if out, err := exec.Command(zsh, "-n", zf).CombinedOutput(); err != nil {
		t.Errorf("zsh -n: %v %s", err, out)
	}
	if out, err := exec.Command(zsh, "-c", `autoload -U compinit; compinit -u; source "$1"; whence -w _zmqkit`, "zsh", zf).CombinedOutput(); err != nil || !strings.Contains(string(out), "function") {
		t.Errorf("zsh load: %v %s", err, out)
	}
}
