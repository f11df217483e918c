//go:build !race

package pgm

const raceOn = false
