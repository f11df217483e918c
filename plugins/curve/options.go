package curve

// Client returns what core.WithMechanism takes to make a socket a CURVE
// client: core.WithMechanism(curve.Client(serverKey, publicKey, secretKey)).
// Keys are 32 raw bytes or 40 Z85 characters (ZMQ_CURVE_SERVERKEY,
// ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY); a missing or malformed key
// fails core.NewSocket or SetOption with core.ErrInvalid (CheckOptions).
func Client(serverKey, publicKey, secretKey []byte) (name string, asServer bool, opts map[string][]byte) {
	return "CURVE", false, map[string][]byte{
		OptServerKey: append([]byte(nil), serverKey...),
		OptPublicKey: append([]byte(nil), publicKey...),
		OptSecretKey: append([]byte(nil), secretKey...),
	}
}

// ClientKeys is Client with typed keys.
func ClientKeys(serverPublic [KeySize]byte, kp KeyPair) (string, bool, map[string][]byte) {
	return Client(serverPublic[:], kp.Public[:], kp.Secret[:])
}

// Server returns what core.WithMechanism takes to make a socket a CURVE
// server (ZMQ_CURVE_SERVER=1, ZMQ_CURVE_SECRETKEY):
// core.WithMechanism(curve.Server(secretKey)).
func Server(secretKey []byte) (name string, asServer bool, opts map[string][]byte) {
	return "CURVE", true, map[string][]byte{
		OptServer:    {1},
		OptSecretKey: append([]byte(nil), secretKey...),
	}
}

// ServerKeys is Server with a typed key pair.
func ServerKeys(kp KeyPair) (string, bool, map[string][]byte) {
	sec, asServer, opts := Server(kp.Secret[:])
	opts[OptPublicKey] = append([]byte(nil), kp.Public[:]...)
	return sec, asServer, opts
}
