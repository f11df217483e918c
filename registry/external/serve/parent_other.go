//go:build !unix

package serve

import "github.com/hashicorp/go-hclog"

func watchParent(hclog.Logger) {}
