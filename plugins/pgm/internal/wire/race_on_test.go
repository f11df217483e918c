//go:build race

package wire

// raceOn: the race detector allocates on its own; allocation counts are
// not checked under it.
const raceOn = true
