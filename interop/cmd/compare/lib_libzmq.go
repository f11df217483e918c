//go:build cgo && !nolibzmq

package main

/*
#cgo pkg-config: libzmq
#include <zmq.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The loops of libzmq's perf tools, in C, each run by one cgo call, so the
// libzmq figures carry no per-message Go or cgo cost. They return 0, -errno,
// or -1000000 for a message of the wrong size.

#define CMP_BADSIZE (-1000000)

static long long cmp_now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// cmp_send and cmp_recv retry when a signal of the Go runtime interrupts
// libzmq's wait (EINTR): the message is untouched then.
static int cmp_send(zmq_msg_t *m, void *s) {
	int rc;
	do rc = zmq_msg_send(m, s, 0); while (rc < 0 && zmq_errno() == EINTR);
	return rc;
}

static int cmp_recv(zmq_msg_t *m, void *s) {
	int rc;
	do rc = zmq_msg_recv(m, s, 0); while (rc < 0 && zmq_errno() == EINTR);
	return rc;
}

// cmp_curve makes s a CURVE server (bind side) or client with the keys
// of the compare command (the ones libzmq's perf tools use).
static int cmp_curve(void *s, int server, const char *srvpub, const char *srvsec, const char *clipub, const char *clisec) {
	if (server) {
		int one = 1;
		if (zmq_setsockopt(s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0) return -1;
		return zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, srvsec, 40);
	}
	if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, srvpub, 40) != 0) return -1;
	if (zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, clipub, 40) != 0) return -1;
	return zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, clisec, 40);
}

// cmp_wss gives s the wss certificate and key (bind side) or the CA to
// trust (connect side): ZMQ_WSS_CERT_PEM 104, ZMQ_WSS_KEY_PEM 103,
// ZMQ_WSS_TRUST_PEM 105 (draft options, numbered here so that zmq.h need
// not be included with ZMQ_BUILD_DRAFT_API).
static int cmp_wss(void *s, int server, const char *ca, const char *cert, const char *key) {
	if (server) {
		if (zmq_setsockopt(s, 104, cert, strlen(cert)) != 0) return -1;
		return zmq_setsockopt(s, 103, key, strlen(key));
	}
	return zmq_setsockopt(s, 105, ca, strlen(ca));
}

static void *cmp_open(void *ctx, int type, const char *ep, int bind, int curve,
		const char *srvpub, const char *srvsec, const char *clipub, const char *clisec,
		const char *ca, const char *cert, const char *key, int *err) {
	void *s = zmq_socket(ctx, type);
	if (!s) {
		*err = zmq_errno();
		return NULL;
	}
	if (cert[0] && cmp_wss(s, bind, ca, cert, key) != 0) {
		*err = zmq_errno();
		zmq_close(s);
		return NULL;
	}
	if (curve && cmp_curve(s, bind, srvpub, srvsec, clipub, clisec) != 0) {
		*err = zmq_errno();
		zmq_close(s);
		return NULL;
	}
	int rc = bind ? zmq_bind(s, ep) : zmq_connect(s, ep);
	if (rc != 0) {
		*err = zmq_errno();
		zmq_close(s);
		return NULL;
	}
	return s;
}

static int cmp_thr_recv(void *s, size_t size, int count, long long *elapsed) {
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (cmp_recv(&msg, s) < 0) return -zmq_errno();
	if (zmq_msg_size(&msg) != size) return CMP_BADSIZE;
	long long start = cmp_now_ns();
	for (int i = 1; i < count; i++) {
		if (cmp_recv(&msg, s) < 0) return -zmq_errno();
		if (zmq_msg_size(&msg) != size) return CMP_BADSIZE;
	}
	*elapsed = cmp_now_ns() - start;
	zmq_msg_close(&msg);
	return 0;
}

static int cmp_thr_send(void *s, size_t size, int count) {
	zmq_msg_t msg;
	for (int i = 0; i < count; i++) {
		if (zmq_msg_init_size(&msg, size) != 0) return -zmq_errno();
		if (cmp_send(&msg, s) < 0) return -zmq_errno();
		zmq_msg_close(&msg);
	}
	return 0;
}

static int cmp_lat_serve(void *s, size_t size, int count) {
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	for (int i = 0; i < count; i++) {
		if (cmp_recv(&msg, s) < 0) return -zmq_errno();
		if (zmq_msg_size(&msg) != size) return CMP_BADSIZE;
		if (cmp_send(&msg, s) < 0) return -zmq_errno();
	}
	zmq_msg_close(&msg);
	return 0;
}

static int cmp_lat_client(void *s, size_t size, int count, long long *elapsed) {
	zmq_msg_t msg;
	if (zmq_msg_init_size(&msg, size) != 0) return -zmq_errno();
	long long start = cmp_now_ns();
	for (int i = 0; i < count; i++) {
		if (cmp_send(&msg, s) < 0) return -zmq_errno();
		if (cmp_recv(&msg, s) < 0) return -zmq_errno();
		if (zmq_msg_size(&msg) != size) return CMP_BADSIZE;
	}
	*elapsed = cmp_now_ns() - start;
	zmq_msg_close(&msg);
	return 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func init() {
	drivers["libzmq"] = libzmqDriver{}
	libzmqHas = func(capability string) bool {
		c := C.CString(capability)
		defer C.free(unsafe.Pointer(c))
		return C.zmq_has(c) != 0
	}
}

type libzmqDriver struct{}

var (
	czOnce sync.Once
	czCtx  unsafe.Pointer
)

func czctx() unsafe.Pointer {
	czOnce.Do(func() { czCtx = C.zmq_ctx_new() })
	return czCtx
}

func czErr(rc C.int) error {
	switch {
	case rc == 0:
		return nil
	case rc == C.CMP_BADSIZE:
		return errors.New("message of incorrect size received")
	default:
		return errors.New(C.GoString(C.zmq_strerror(-rc)))
	}
}

func czOpen(typ C.int, ep string, bind bool) (unsafe.Pointer, error) {
	cep := C.CString(ep)
	defer C.free(unsafe.Pointer(cep))
	b := C.int(0)
	if bind {
		b = 1
	}
	var e C.int
	cv := C.int(0)
	if useCurve {
		cv = 1
	}
	ca, cert, key := wssPEM(ep)
	keys := []*C.char{C.CString(curveServerPublic), C.CString(curveServerSecret), C.CString(curveClientPublic), C.CString(curveClientSecret),
		C.CString(ca), C.CString(cert), C.CString(key)}
	defer func() {
		for _, k := range keys {
			C.free(unsafe.Pointer(k))
		}
	}()
	s := C.cmp_open(czctx(), typ, cep, b, cv, keys[0], keys[1], keys[2], keys[3], keys[4], keys[5], keys[6], &e)
	if s == nil {
		return nil, fmt.Errorf("zmq_socket/bind/connect %s: %s", ep, C.GoString(C.zmq_strerror(e)))
	}
	return s, nil
}

func (libzmqDriver) thrRecv(ep string, size, count int, ready func()) (time.Duration, error) {
	s, err := czOpen(C.ZMQ_PULL, ep, true)
	if err != nil {
		return 0, err
	}
	defer C.zmq_close(s)
	ready()
	var el C.longlong
	if err := czErr(C.cmp_thr_recv(s, C.size_t(size), C.int(count), &el)); err != nil {
		return 0, err
	}
	return time.Duration(el), nil
}

func (libzmqDriver) thrSend(ep string, size, count int, hold func()) error {
	s, err := czOpen(C.ZMQ_PUSH, ep, false)
	if err != nil {
		return err
	}
	defer C.zmq_close(s)
	if err := czErr(C.cmp_thr_send(s, C.size_t(size), C.int(count))); err != nil {
		return err
	}
	hold()
	return nil
}

func (libzmqDriver) latServe(ep string, size, count int, ready func()) error {
	s, err := czOpen(C.ZMQ_REP, ep, true)
	if err != nil {
		return err
	}
	defer C.zmq_close(s)
	ready()
	return czErr(C.cmp_lat_serve(s, C.size_t(size), C.int(count)))
}

func (libzmqDriver) latClient(ep string, size, count int) (time.Duration, error) {
	s, err := czOpen(C.ZMQ_REQ, ep, false)
	if err != nil {
		return 0, err
	}
	defer C.zmq_close(s)
	var el C.longlong
	if err := czErr(C.cmp_lat_client(s, C.size_t(size), C.int(count), &el)); err != nil {
		return 0, err
	}
	return time.Duration(el), nil
}

func (libzmqDriver) term() error {
	if czCtx == nil {
		return nil
	}
	for {
		// The Go runtime's signals can interrupt it (EINTR): retry.
		rc, err := C.zmq_ctx_term(czCtx)
		if rc == 0 {
			return nil
		}
		if !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("zmq_ctx_term: %v", err)
		}
	}
}
