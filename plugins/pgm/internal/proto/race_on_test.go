//go:build race

package proto

// raceOn: the race detector slows byte loops (checksums of oversized
// garbage) tenfold; the heaviest simulations send less garbage under it.
const raceOn = true
