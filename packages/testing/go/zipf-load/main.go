// zipf-load is the HTTP load client of bench/zipf.mjs: closed-loop workers (open-loop at a fixed total rate
// with -rate) send GET {target}{escaped key}
// to targets picked round-robin, keys drawn from a Zipf(s) distribution over -keys keys, for -duration after
// -warmup, and it prints one JSON line {"requests":n,"errors":e,"seconds":s,"p50_us":..,"p99_us":..}.
// -prefill first reads every key once (the i-th key of the prefill through target i mod targets), so the system
// holds the whole key space as a cache-aside Redis does in steady state: the measured window then sees no first
// loads. With -prefill-every-target it reads every key through every target instead: what long-running traffic
// does to caches that keep copies per node (a groupcache's hot caches), so they too are measured in their steady
// state. The prefill takes the keys in a shuffled order (fixed by -seed), not by popularity: in key order (key i
// is the i-th most popular) the most popular keys would be the least recently used ones afterwards, the first
// that an LRU cache over its budget evicts, an order no traffic leaves.
// With -wait-after-prefill it then prints {"event":"waiting"} and waits for a line on stdin before the warm-up:
// bench/zipf.mjs warms the groupcaches' hot caches in their own processes meanwhile (see its header).
// The same client drives every system the benchmark compares, so its own cost is the same for all.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	targets := flag.String("targets", "", "comma-separated URL prefixes, e.g. http://127.0.0.1:8080/get?key=")
	keys := flag.Uint64("keys", 10000, "distinct keys")
	s := flag.Float64("s", 1.1, "Zipf exponent (> 1)")
	concurrency := flag.Int("concurrency", 32, "closed-loop workers")
	duration := flag.Duration("duration", 5*time.Second, "measuring time")
	warmup := flag.Duration("warmup", time.Second, "warm-up before measuring")
	warmupRequests := flag.Int64("warmup-requests", 0, "also warm up until this many requests completed (at most 60 s more): a JIT needs work, not time")
	expectBytes := flag.Int("expect-bytes", 0, "count answers of another size as errors (0: any)")
	seed := flag.Int64("seed", 1, "random seed")
	prefill := flag.Bool("prefill", false, "read every key once (in a shuffled order), through the targets in turn, before the warm-up")
	prefillEvery := flag.Bool("prefill-every-target", false, "with -prefill: read every key through every target")
	waitAfterPrefill := flag.Bool("wait-after-prefill", false, `after the prefill (if any), print {"event":"waiting"} and wait for a line on stdin`)
	rate := flag.Float64("rate", 0, "open loop: send this many requests per second in all, spread evenly over the workers, and time each from when it was due (0: closed loop)")
	flag.Parse()
	if *rate < 0 {
		fmt.Fprintln(os.Stderr, "zipf-load: -rate must be >= 0")
		os.Exit(2)
	}
	var prefixes []string
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			prefixes = append(prefixes, t)
		}
	}
	if len(prefixes) == 0 {
		fmt.Fprintln(os.Stderr, "zipf-load: -targets is required")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: 0, DisableCompression: true}, Timeout: 10 * time.Second}

	if *prefill {
		t0 := time.Now()
		var next atomic.Uint64
		var failed atomic.Int64
		// Request r reads key order[r / perKey] through target r mod targets.
		perKey, targetCount := uint64(1), uint64(len(prefixes))
		if *prefillEvery {
			perKey = targetCount
		}
		order := rand.New(rand.NewSource(*seed)).Perm(int(*keys))
		var pw sync.WaitGroup
		for w := 0; w < *concurrency; w++ {
			pw.Add(1)
			go func() {
				defer pw.Done()
				for r := next.Add(1) - 1; r < *keys*perKey; r = next.Add(1) - 1 {
					resp, err := client.Get(prefixes[r%targetCount] + url.QueryEscape(fmt.Sprintf("key-%d", order[r/perKey])))
					if err != nil {
						failed.Add(1)
						continue
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failed.Add(1)
					}
				}
			}()
		}
		pw.Wait()
		b, _ := json.Marshal(map[string]interface{}{"event": "prefilled", "keys": *keys, "everyTarget": *prefillEvery, "errors": failed.Load(), "seconds": time.Since(t0).Seconds()})
		fmt.Println(string(b))
	}

	if *waitAfterPrefill {
		fmt.Println(`{"event":"waiting"}`)
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			fmt.Fprintln(os.Stderr, "zipf-load: -wait-after-prefill: reading stdin:", err)
			os.Exit(2)
		}
	}

	var measuring, stop atomic.Bool
	var errorsN, done atomic.Int64
	lat := make([][]time.Duration, *concurrency)
	var wg sync.WaitGroup
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(*seed + int64(w)))
			z := rand.NewZipf(r, *s, 1, *keys-1)
			local := make([]time.Duration, 0, 1<<16)
			i := w
			// Open loop: worker w sends every `interval`, its schedule offset by w/concurrency of one. A request
			// is timed from when it was due, so a system that falls behind shows its queue in the latency
			// (no coordinated omission); a worker behind its schedule sends at once.
			var interval time.Duration
			var due time.Time
			if *rate > 0 {
				interval = time.Duration(float64(time.Second) * float64(*concurrency) / *rate)
				due = time.Now().Add(interval * time.Duration(w) / time.Duration(*concurrency))
			}
			for !stop.Load() {
				key := fmt.Sprintf("key-%d", z.Uint64())
				target := prefixes[i%len(prefixes)]
				i++
				t0 := time.Now()
				if interval > 0 {
					if wait := due.Sub(t0); wait > 0 {
						time.Sleep(wait)
					}
					t0 = due
					due = due.Add(interval)
				}
				ok := false
				resp, err := client.Get(target + url.QueryEscape(key))
				if err == nil {
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == 200 && (*expectBytes == 0 || int(n) == *expectBytes)
				}
				d := time.Since(t0)
				done.Add(1)
				if measuring.Load() {
					if ok {
						local = append(local, d)
					} else {
						errorsN.Add(1)
					}
				}
			}
			lat[w] = local
		}(w)
	}
	time.Sleep(*warmup)
	for limit := time.Now().Add(60 * time.Second); done.Load() < *warmupRequests && time.Now().Before(limit); {
		time.Sleep(10 * time.Millisecond)
	}
	// The caller starts its own readings (CPU of the system under test) on this line.
	fmt.Println(`{"event":"measuring"}`)
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(*duration)
	measuring.Store(false)
	secs := time.Since(t0).Seconds()
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
		return float64(all[int(p*float64(len(all)-1))].Nanoseconds()) / 1e3
	}
	b, _ := json.Marshal(map[string]interface{}{"requests": len(all), "errors": errorsN.Load(), "seconds": secs, "p50_us": pct(0.50), "p99_us": pct(0.99)})
	fmt.Println(string(b))
}
