// memberlist-pushpull is the reference for bench/swim-pushpull.mjs: hashicorp/memberlist 0.2.2 joining a
// member over loopback TCP, that is, sending its state and receiving and merging the seed's whole state,
// timed and CPU-measured (getrusage: every thread of this process) per join. Each round creates a fresh
// member on 127.0.0.1, joins, checks it now knows -expect members, and shuts it down. Timers are set to
// an hour so nothing but the join runs. Prints one JSON line per round: {"ms", "cpuMs", "members"}.
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

func cpuMs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec)*1000 + float64(t.Usec)/1000 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func main() {
	join := flag.String("join", "", "host:port of the member whose state is pulled")
	rounds := flag.Int("rounds", 5, "joins to time")
	expect := flag.Int("expect", 0, "members each join must end up knowing (0: no check)")
	key := flag.String("key", "", "base64 AES key; empty: no encryption")
	compress := flag.Bool("compress", true, "EnableCompression")
	flag.Parse()

	for round := 0; round < *rounds; round++ {
		c := memberlist.DefaultLANConfig()
		c.Name = fmt.Sprintf("go-pushpull-%d", round)
		c.BindAddr = "127.0.0.1"
		c.AdvertiseAddr = "127.0.0.1"
		c.ProbeInterval = time.Hour
		c.GossipInterval = time.Hour
		c.PushPullInterval = 0
		c.EnableCompression = *compress
		c.LogOutput = io.Discard
		if *key != "" {
			k, err := base64.StdEncoding.DecodeString(*key)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bad key:", err)
				os.Exit(2)
			}
			c.SecretKey = k
		}
		var m *memberlist.Memberlist
		var err error
		for attempt := 0; attempt < 20; attempt++ {
			c.BindPort = freePort()
			c.AdvertisePort = c.BindPort
			if m, err = memberlist.Create(c); err == nil {
				break
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(1)
		}
		cpu0 := cpuMs()
		t0 := time.Now()
		if _, err := m.Join([]string{*join}); err != nil {
			fmt.Fprintln(os.Stderr, "join:", err)
			os.Exit(1)
		}
		elapsed := time.Since(t0)
		cpu := cpuMs() - cpu0
		members := m.NumMembers()
		if *expect > 0 && members != *expect {
			fmt.Fprintf(os.Stderr, "join: knows %d members, expected %d\n", members, *expect)
			os.Exit(1)
		}
		_ = json.NewEncoder(os.Stdout).Encode(map[string]interface{}{"ms": float64(elapsed.Microseconds()) / 1000, "cpuMs": cpu, "members": members})
		_ = m.Shutdown()
	}
}
