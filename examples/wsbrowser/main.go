// Command wsbrowser serves a web page that talks ZeroMQ to this program
// from the browser, over WebSocket (ws://, ZWS 2.0): the page subscribes
// to a zmqkit PUB that publishes "tick N" ten times a second, and sends
// requests to a zmqkit REP that answers each one. The page's JavaScript
// speaks bare ZWS 2.0 with the browser's own WebSocket object, in a few
// lines and no library (jszmq, bundled, would do as well).
//
//	go run ./examples/wsbrowser                  # then open http://127.0.0.1:8080/
//	go run ./examples/wsbrowser -http :8080 -ws '*'
//	go run ./examples/wsbrowser -for 2s          # stop by itself (smoke runs)
//
// Both zmqkit sockets bind on one port with different paths
// (ws://HOST:PORT/pub and ws://HOST:PORT/rep); the page learns the port
// and paths from /config.json and reports what it received to /report,
// which this program prints. examples/wsbrowser's test drives the page
// in headless Chromium.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/ws" // ws:// and wss://
)

//go:embed index.html
var page []byte

// topic is what the page subscribes to; the PUB also publishes another
// topic the page must never see.
const topic = "tick"

// Report is what the page received, as it posts it to /report.
type Report struct {
	Ticks   []string `json:"ticks"`
	Replies []string `json:"replies"`
	Errors  []string `json:"errors"`
}

// Server is the zmqkit side: a PUB, a REP and the web server of the page.
type Server struct {
	URL     string      // the page
	Reports chan Report // what pages posted to /report

	zctx   *core.Context
	pub    *core.Socket
	rep    *core.Socket
	port   int
	http   *http.Server
	ln     net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start binds the PUB and the REP on wsHost (ws://wsHost:*/pub and the
// same port's /rep), serves the page on httpAddr, and starts publishing
// and answering. count is how many ticks and replies the page collects.
func Start(httpAddr, wsHost string, count int) (*Server, error) {
	s := &Server{zctx: core.NewContext(), Reports: make(chan Report, 16)}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	var err error
	if s.pub, err = s.zctx.NewSocket(core.PUB, core.WithLinger(0)); err != nil {
		return nil, err
	}
	if s.rep, err = s.zctx.NewSocket(core.REP, core.WithLinger(0)); err != nil {
		return nil, err
	}
	if err := s.pub.Bind("ws://" + wsHost + ":*/pub"); err != nil {
		return nil, err
	}
	u, err := url.Parse(s.pub.LastEndpoint())
	if err != nil {
		return nil, err
	}
	if s.port, err = strconv.Atoi(u.Port()); err != nil {
		return nil, err
	}
	// a second bind on the same port, told apart by its path
	if err := s.rep.Bind(fmt.Sprintf("ws://%s:%d/rep", wsHost, s.port)); err != nil {
		return nil, err
	}

	if s.ln, err = net.Listen("tcp", httpAddr); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"port": s.port, "pubPath": "/pub", "repPath": "/rep", "topic": topic, "count": count,
		})
	})
	mux.HandleFunc("POST /report", func(w http.ResponseWriter, r *http.Request) {
		var rep Report
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&rep); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case s.Reports <- rep:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.URL = "http://" + net.JoinHostPort(host, port) + "/"

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(3)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Print("http: ", err)
		}
	}()
	go func() { defer s.wg.Done(); s.publish(ctx) }()
	go func() { defer s.wg.Done(); s.answer(ctx) }()
	ok = true
	return s, nil
}

// publish sends "tick N", and "other N" that no page subscribes to, ten
// times a second.
func (s *Server) publish(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.pub.Send(ctx, core.NewMsgString(fmt.Sprintf("other %d", n))); err != nil {
			return
		}
		if err := s.pub.Send(ctx, core.NewMsgString(fmt.Sprintf("%s %d", topic, n))); err != nil {
			return
		}
	}
}

// answer replies "pong to <request>" to each request.
func (s *Server) answer(ctx context.Context) {
	for {
		m, err := s.rep.Recv(ctx)
		if err != nil {
			return
		}
		if err := s.rep.Send(ctx, core.NewMsgString("pong to "+string(m.Frames[0]))); err != nil {
			return
		}
	}
}

// Close stops everything Start started.
func (s *Server) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.http.Shutdown(ctx)
		cancel()
	} else if s.ln != nil {
		s.ln.Close()
	}
	for _, sock := range []*core.Socket{s.pub, s.rep} {
		if sock != nil {
			sock.Close()
		}
	}
	s.wg.Wait()
	s.zctx.Term()
}

func main() {
	httpAddr := flag.String("http", "127.0.0.1:8080", "address of the web server (the page)")
	wsHost := flag.String("ws", "127.0.0.1", "host the ws binds listen on (* for every interface)")
	count := flag.Int("n", 5, "ticks and replies the page collects")
	runFor := flag.Duration("for", 0, "stop after this long (0: run until interrupted)")
	flag.Parse()

	s, err := Start(*httpAddr, *wsHost, *count)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("open %s (PUB ws://%s:%d/pub, REP ws://%s:%d/rep); Ctrl-C stops\n", s.URL, *wsHost, s.port, *wsHost, s.port)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	var timeout <-chan time.Time
	if *runFor > 0 {
		timeout = time.After(*runFor)
	}
	for {
		select {
		case r := <-s.Reports:
			fmt.Printf("a page received ticks %q and replies %q (errors: %q)\n", r.Ticks, r.Replies, r.Errors)
		case <-stop:
			return
		case <-timeout:
			return
		}
	}
}
