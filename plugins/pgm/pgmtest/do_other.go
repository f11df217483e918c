//go:build !linux

package pgmtest

import "errors"

// Do needs Linux network namespaces.
func (r *Rig) Do(i int, fn func() error) error {
	return errors.New("pgmtest: network namespaces are Linux only")
}
