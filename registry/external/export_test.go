package external

// DialBack returns opts whose local channels are loopback connections the
// plugin dials, as on systems without descriptor passing.
func DialBack(opts Options) Options {
	opts.dialBack = true
	return opts
}
