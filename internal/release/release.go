// Package release holds zmqkit's release version, for the packages that
// report it without importing the core: core.Version is this constant,
// and a plugin binary built from zmqkit's own plugins
// (registry/external/serve) reports it as its version.
package release

// Version is zmqkit's semantic version (core.Version).
const Version = "v0.1.0"
