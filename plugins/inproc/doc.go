// Package inproc is the zmqkit transport for the "inproc" scheme: an
// in-process rendezvous that hands the core's own pipe value from a
// connecting socket to a binding one, with no encoding, no handshake and
// no monitor events (as libzmq). Importing it (or plugins/all) registers
// it in registry.Default.
//
// The address is a name: any non-empty string. Names live in a scope,
// Config.Scope, which the core sets to its context's id, so two contexts
// can bind the same name. Binding a name that is bound in the same scope
// fails with transport.ErrAddrInUse.
//
// Connect may precede bind (libzmq since 4.0): Dial never blocks and never
// fails because the name is not bound. It returns a transport.PipeConn at
// once, whose Value is nil, and queues its Config.Offer under the name.
// The listener bound to the name, now or later, receives the offers in
// order: each Accept returns a PipeConn whose Value is one dialer's Offer.
// Closing the dialing connection before its offer is accepted withdraws
// the offer. Closing a listener unbinds the name and fails pending
// Accepts with transport.ErrClosed; offers not yet accepted stay queued
// for the next bind of that name.
//
// Each value returned by New has its own namespace; the transport New
// registers from init is the one sockets normally share.
package inproc
