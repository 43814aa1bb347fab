// groupcache-peer is a golang/groupcache reference peer for interop tests and benchmarks.
//
// Server mode (default): an HTTPPool on -listen serving one group (-group, default "g") whose getter
// returns "value-of:"+key, padded with '.' to -value-size bytes when that is larger. Every load is
// recorded: printed to stdout as a JSON line {"event":"load","group":g,"key":k} and listed by GET /loads
// (a JSON array of keys, in load order). GET /get?key=K returns the value of K through group.Get (so it
// goes through the ring like any groupcache caller); errors are 500 with the error text.
// GET /warm?keys=N&reads=R&s=S&seed=D&concurrency=C reads R keys "key-<k>", k drawn from Zipf(S) over N keys as
// bench/zipf.mjs's load client draws them, through group.Get in this process (C goroutines), and answers
// {"reads":R,"errors":e,"seconds":s}: the traffic that takes the caches to their steady state, without an HTTP
// request per read in front (a read of another peer's key still goes to that peer).
//
// The peer list is -peers (comma-separated base URLs), or with -peers-stdin one comma-separated line read
// from stdin after the server is listening (so -listen 127.0.0.1:0 can pick a port first). The list is
// sorted and given to pool.Set. -self defaults to http://<bound address>. On start it prints
// {"event":"listening","url":self}, and once the peers are set {"event":"ready","peers":[...]}.
//
// Bench-client mode (-bench-client URL): hammers the groupcache server at URL through the pool's own
// httpGetter (HTTPPool.PickPeer with the server as the only peer), -concurrency workers for -duration,
// cycling over -keys keys, and prints one JSON line {"requests":n,"errors":e,"seconds":s,"p50_us":..,"p99_us":..,
// "cpu_us": client CPU (user+system) over the measured window, "total": requests including the warm-up}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golang/groupcache"
	pb "github.com/golang/groupcache/groupcachepb"
)

var stdoutMu sync.Mutex

func emit(v interface{}) {
	b, _ := json.Marshal(v)
	stdoutMu.Lock()
	os.Stdout.Write(append(b, '\n'))
	stdoutMu.Unlock()
}

func main() {
	self := flag.String("self", "", "this peer's base URL (default http://<bound address>)")
	peers := flag.String("peers", "", "comma-separated peer base URLs (self included)")
	peersStdin := flag.Bool("peers-stdin", false, "read the comma-separated peer list from one stdin line after listening")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	group := flag.String("group", "g", "group name")
	valueSize := flag.Int("value-size", 0, "pad values with '.' to this many bytes")
	cacheBytes := flag.Int64("cache-bytes", 64<<20, "group cache size in bytes")
	benchClient := flag.String("bench-client", "", "bench-client mode: base URL of the groupcache server to hammer")
	concurrency := flag.Int("concurrency", 1, "bench-client: concurrent workers")
	duration := flag.Duration("duration", 3*time.Second, "bench-client: how long to run")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "bench-client: warm-up before measuring")
	keys := flag.Int("keys", 1000, "bench-client: number of distinct keys")
	warmupRequests := flag.Int64("warmup-requests", 0, "bench-client: also warm up until this many requests completed (at most 10 s)")
	flag.Parse()

	if *benchClient != "" {
		runBenchClient(*benchClient, *group, *concurrency, *duration, *warmup, *warmupRequests, *keys)
		return
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "groupcache-peer: listen:", err)
		os.Exit(1)
	}
	if *self == "" {
		*self = "http://" + ln.Addr().String()
	}

	var loadsMu sync.Mutex
	loads := []string{}
	pad := *valueSize
	g := groupcache.NewGroup(*group, *cacheBytes, groupcache.GetterFunc(func(ctx context.Context, key string, dest groupcache.Sink) error {
		loadsMu.Lock()
		loads = append(loads, key)
		loadsMu.Unlock()
		emit(map[string]string{"event": "load", "group": *group, "key": key})
		v := "value-of:" + key
		if len(v) < pad {
			v += strings.Repeat(".", pad-len(v))
		}
		return dest.SetString(v)
	}))

	pool := groupcache.NewHTTPPool(*self)
	http.HandleFunc("/loads", func(w http.ResponseWriter, r *http.Request) {
		loadsMu.Lock()
		b, _ := json.Marshal(loads)
		loadsMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	http.HandleFunc("/warm", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		nkeys, err1 := strconv.ParseUint(q.Get("keys"), 10, 64)
		reads, err2 := strconv.ParseInt(q.Get("reads"), 10, 64)
		s, err3 := strconv.ParseFloat(q.Get("s"), 64)
		seed, err4 := strconv.ParseInt(q.Get("seed"), 10, 64)
		workers, err5 := strconv.Atoi(q.Get("concurrency"))
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				http.Error(w, "warm: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		if nkeys < 2 || reads < 0 || !(s > 1) || workers < 1 {
			http.Error(w, fmt.Sprintf("warm: expected keys >= 2, reads >= 0, s > 1 and concurrency >= 1, got %d, %d, %g and %d", nkeys, reads, s, workers), http.StatusBadRequest)
			return
		}
		t0 := time.Now()
		var next, failed atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				z := rand.NewZipf(rand.New(rand.NewSource(seed+int64(i))), s, 1, nkeys-1)
				var v []byte
				for next.Add(1) <= reads {
					if err := g.Get(r.Context(), fmt.Sprintf("key-%d", z.Uint64()), groupcache.AllocatingByteSliceSink(&v)); err != nil {
						failed.Add(1)
					}
				}
			}(i)
		}
		wg.Wait()
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(map[string]interface{}{"reads": reads, "errors": failed.Load(), "seconds": time.Since(t0).Seconds()})
		w.Write(b)
	})
	http.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		var v []byte
		if err := g.Get(r.Context(), r.URL.Query().Get("key"), groupcache.AllocatingByteSliceSink(&v)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(v)
	})

	setPeers := func(list string) {
		var urls []string
		for _, p := range strings.Split(list, ",") {
			if p = strings.TrimSpace(p); p != "" {
				urls = append(urls, p)
			}
		}
		sort.Strings(urls)
		pool.Set(urls...)
		emit(map[string]interface{}{"event": "ready", "peers": urls})
	}

	srv := &http.Server{Handler: http.DefaultServeMux}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, "groupcache-peer: serve:", err)
			os.Exit(1)
		}
	}()
	emit(map[string]string{"event": "listening", "url": *self})

	if *peersStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(os.Stderr, "groupcache-peer: reading peers from stdin:", err)
			os.Exit(1)
		}
		setPeers(line)
	} else {
		if *peers == "" {
			*peers = *self
		}
		setPeers(*peers)
	}
	select {}
}

func runBenchClient(server, group string, concurrency int, duration, warmup time.Duration, warmupRequests int64, nkeys int) {
	// The server is the only peer, and self is not on the ring: PickPeer always names the server.
	pool := groupcache.NewHTTPPoolOpts("http://bench-client.invalid", nil)
	pool.Set(server)
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
	}
	getter, ok := pool.PickPeer(keys[0])
	if !ok {
		fmt.Fprintln(os.Stderr, "groupcache-peer: bench-client: no peer picked")
		os.Exit(1)
	}

	var measuring atomic.Bool
	var stop atomic.Bool
	var errorsN atomic.Int64
	var total atomic.Int64
	lat := make([][]time.Duration, concurrency)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ctx := context.Background()
			i := w
			local := make([]time.Duration, 0, 1<<16)
			for !stop.Load() {
				k := keys[i%nkeys]
				i += concurrency
				in := &pb.GetRequest{Group: &group, Key: &k}
				out := &pb.GetResponse{}
				t0 := time.Now()
				err := getter.Get(ctx, in, out)
				d := time.Since(t0)
				total.Add(1)
				if measuring.Load() {
					if err != nil {
						errorsN.Add(1)
					} else {
						local = append(local, d)
					}
				}
			}
			lat[w] = local
		}(w)
	}
	time.Sleep(warmup)
	for deadline := time.Now().Add(10 * time.Second); total.Load() < warmupRequests && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cpu0 := cpuMicros()
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(duration)
	measuring.Store(false)
	secs := time.Since(t0).Seconds()
	cpuUsed := cpuMicros() - cpu0
	stop.Store(true)
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		idx := int(p * float64(len(all)-1))
		return float64(all[idx].Nanoseconds()) / 1e3
	}
	emit(map[string]interface{}{
		"requests": len(all),
		"errors":   errorsN.Load(),
		"seconds":  secs,
		"p50_us":   pct(0.50),
		"p99_us":   pct(0.99),
		"cpu_us":   cpuUsed,
		"total":    total.Load(),
	})
}

// cpuMicros is this process's user+system CPU time in microseconds.
func cpuMicros() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}
