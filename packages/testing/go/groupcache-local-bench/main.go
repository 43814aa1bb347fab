// groupcache-local-bench measures golang/groupcache Group.Get on a cached value in one goroutine
// (one core) and prints JSON {"ops": N, "seconds": S, "opsPerSec": R, "cpuNsPerOp": C}; the CPU time (user +
// system, every thread of the process) per operation is the figure to trust on a loaded machine.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/golang/groupcache"
)

func main() {
	size := flag.Int("size", 1024, "value size in bytes")
	seconds := flag.Float64("seconds", 2, "measuring time")
	keys := flag.Int("keys", 1, "distinct cached keys cycled through")
	sinkKind := flag.String("sink", "byteview", "byteview (zero-copy, like cachecluster's get) or allocating (copies)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	value := make([]byte, *size)
	for i := range value {
		value[i] = byte(i)
	}
	g := groupcache.NewGroup("bench", 64<<20, groupcache.GetterFunc(func(_ context.Context, key string, dest groupcache.Sink) error {
		return dest.SetBytes(value)
	}))
	names := make([]string, *keys)
	for i := range names {
		names[i] = "key-" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26))
	}
	ctx := context.Background()
	var out []byte
	var view groupcache.ByteView
	sink := func() groupcache.Sink {
		if *sinkKind == "allocating" {
			return groupcache.AllocatingByteSliceSink(&out)
		}
		return groupcache.ByteViewSink(&view)
	}
	for _, k := range names {
		if err := g.Get(ctx, k, sink()); err != nil {
			panic(err)
		}
	}
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	cpu0 := cpuTime()
	start := time.Now()
	ops := 0
	for time.Now().Before(deadline) {
		for i := 0; i < 1000; i++ {
			if err := g.Get(ctx, names[ops%len(names)], sink()); err != nil {
				panic(err)
			}
			ops++
		}
	}
	elapsed := time.Since(start).Seconds()
	cpu := cpuTime() - cpu0
	if len(out) != *size && view.Len() != *size {
		panic("wrong size")
	}
	json.NewEncoder(os.Stdout).Encode(map[string]float64{"ops": float64(ops), "seconds": elapsed, "opsPerSec": float64(ops) / elapsed, "cpuNsPerOp": float64(cpu.Nanoseconds()) / float64(ops)})
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
