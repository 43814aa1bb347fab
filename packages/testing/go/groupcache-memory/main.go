// groupcache-memory fills a golang/groupcache group to its cacheBytes (until the first eviction), then
// churns through as many keys again, and prints the process's RSS growth at each point as JSON: the Go
// reference row of bench/memory.mjs. Before each reading it runs the GC and returns freed memory to the OS
// (debug.FreeOSMemory), as the Node side runs gc() before its readings.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/golang/groupcache"
)

// rss reads the resident set size in bytes from /proc/self/status.
func rss() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmRSS:"), "kB")), 10, 64)
			if err != nil {
				panic(err)
			}
			return kb * 1024
		}
	}
	panic("no VmRSS in /proc/self/status")
}

func settled() int64 {
	debug.FreeOSMemory()
	return rss()
}

func main() {
	size := flag.Int("size", 128, "value size in bytes")
	mib := flag.Int64("mib", 256, "cacheBytes in MiB")
	flag.Parse()
	cacheBytes := *mib << 20
	g := groupcache.NewGroup("mem", cacheBytes, groupcache.GetterFunc(func(_ context.Context, _ string, dest groupcache.Sink) error {
		return dest.SetBytes(bytes.Repeat([]byte{7}, *size))
	}))
	ctx := context.Background()
	var view groupcache.ByteView
	get := func(i int) {
		if err := g.Get(ctx, fmt.Sprintf("user/%d/avatar.png", i), groupcache.ByteViewSink(&view)); err != nil {
			panic(err)
		}
	}
	before := settled()
	i := 0
	for g.CacheStats(groupcache.MainCache).Evictions == 0 {
		get(i)
		i++
	}
	full := settled()
	stats := g.CacheStats(groupcache.MainCache)
	for end := 2 * i; i < end; i++ {
		get(i)
	}
	churned := settled()
	json.NewEncoder(os.Stdout).Encode(map[string]int64{
		"valueSize": int64(*size), "maxBytes": cacheBytes, "accounted": stats.Bytes, "items": stats.Items,
		"growth": full - before, "churnGrowth": churned - before,
	})
}
