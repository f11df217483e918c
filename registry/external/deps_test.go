package external_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A program that loads nothing out of process links neither go-plugin
// nor gRPC: the examples and plugins/all do not depend on them.
func TestNoRPCInCompiledInPrograms(t *testing.T) {
	gobin := "go" // go test puts its own GOROOT/bin first in PATH
	for _, pkg := range []string{
		"github.com/zmqkit/zmqkit/examples/patterns",
		"github.com/zmqkit/zmqkit/plugins/all",
		"github.com/zmqkit/zmqkit/core",
	} {
		out, err := exec.Command(gobin, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, bad := range []string{"github.com/hashicorp/go-plugin", "google.golang.org/grpc", "google.golang.org/protobuf", "github.com/zmqkit/zmqkit/registry/external"} {
				if dep == bad || strings.HasPrefix(dep, bad+"/") {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
