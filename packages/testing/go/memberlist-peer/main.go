// memberlist-peer is a hashicorp/memberlist 0.2.2 member on loopback (DefaultLANConfig, bound to
// 127.0.0.1), for interop tests and benches of @cachecluster/membership-swim. It speaks the same JSON
// lines as packages/membership-swim/test/fixtures/swim-process.ts:
//
//	{"ready": port}  {"event": "join"|"fail"|"update", "id": name, "meta": ...}
//	{"members": [names...]} whenever the live set changes.
//	{"joinError": text} when -join fails (memberlist.Join's error), {"log": line} per log line with -json-log.
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

var out = struct {
	sync.Mutex
	enc *json.Encoder
}{enc: json.NewEncoder(os.Stdout)}

func emit(v interface{}) {
	out.Lock()
	defer out.Unlock()
	_ = out.enc.Encode(v)
}

type delegate struct{ meta []byte }

func (d *delegate) NodeMeta(limit int) []byte                  { return d.meta }
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

type events struct{}

func (events) NotifyJoin(n *memberlist.Node) {
	emit(map[string]interface{}{"event": "join", "id": n.Name, "meta": string(n.Meta), "at": now()})
}

// NotifyLeave: memberlist 0.2.2 hands over a Node whose State field it never updates, so a graceful leave
// and a failure both print as "fail" here.
func (events) NotifyLeave(n *memberlist.Node) {
	emit(map[string]interface{}{"event": "fail", "id": n.Name, "meta": string(n.Meta), "at": now()})
}
func (events) NotifyUpdate(n *memberlist.Node) {
	emit(map[string]interface{}{"event": "update", "id": n.Name, "meta": string(n.Meta), "at": now()})
}

func now() int64 { return time.Now().UnixNano() / int64(time.Millisecond) }

func main() {
	name := flag.String("name", "go-peer", "member name")
	port := flag.Int("port", 0, "bind port (UDP and TCP); 0 picks a free one")
	join := flag.String("join", "", "comma-separated host:port seeds")
	meta := flag.String("meta", "", "node metadata (bytes, carried opaquely)")
	key := flag.String("key", "", "base64 AES key (16/24/32 bytes); empty: no encryption")
	probeInterval := flag.Int("probe-interval", 1000, "probe interval in ms (LAN: 1000)")
	probeTimeout := flag.Int("probe-timeout", 500, "probe timeout in ms (LAN: 500)")
	gossipInterval := flag.Int("gossip-interval", 200, "gossip interval in ms (LAN: 200)")
	pushPull := flag.Int("push-pull-interval", 30000, "push/pull interval in ms (LAN: 30000)")
	deadTime := flag.Int("gossip-to-the-dead", 30000, "gossip to the dead time in ms (LAN: 30000)")
	verbose := flag.Bool("v", false, "log memberlist to stderr")
	jsonLog := flag.Bool("json-log", false, "log memberlist as {\"log\": line} JSON lines on stdout")
	stallHooks := flag.Bool("stall-hooks", false, "read \"arm-stop\" lines on stdin: SIGSTOP ourselves right after the next ping we send (bench/swim-busy.mjs)")
	flag.Parse()

	c := memberlist.DefaultLANConfig()
	c.Name = *name
	c.BindAddr = "127.0.0.1"
	c.AdvertiseAddr = "127.0.0.1"
	c.ProbeInterval = time.Duration(*probeInterval) * time.Millisecond
	c.ProbeTimeout = time.Duration(*probeTimeout) * time.Millisecond
	c.GossipInterval = time.Duration(*gossipInterval) * time.Millisecond
	c.PushPullInterval = time.Duration(*pushPull) * time.Millisecond
	c.GossipToTheDeadTime = time.Duration(*deadTime) * time.Millisecond
	c.Delegate = &delegate{meta: []byte(*meta)}
	c.Events = events{}
	switch {
	case *jsonLog:
		c.Logger = log.New(jsonLines{}, "", 0)
	case *verbose:
		c.Logger = log.New(os.Stderr, *name+" ", log.Lmicroseconds)
	default:
		c.LogOutput = ioutil.Discard
	}
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
		c.BindPort = *port
		c.AdvertisePort = *port
		if *port == 0 {
			// memberlist needs one port for UDP and TCP: pick a free TCP one and try it
			c.BindPort = freePort()
			c.AdvertisePort = c.BindPort
		}
		var hooks *stallTransport
		if *stallHooks {
			logger := c.Logger
			if logger == nil {
				logger = log.New(c.LogOutput, "", log.LstdFlags)
			}
			nt, terr := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{c.BindAddr}, BindPort: c.BindPort, Logger: logger})
			if terr != nil {
				err = terr
				if *port != 0 {
					break
				}
				continue
			}
			hooks = &stallTransport{NetTransport: nt}
			c.Transport = hooks
		}
		m, err = memberlist.Create(c)
		if hooks != nil {
			if err == nil {
				go hooks.readCommands()
			} else {
				_ = hooks.Shutdown()
			}
		}
		if err == nil || *port != 0 {
			break
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "create:", err)
		os.Exit(1)
	}
	emit(map[string]interface{}{"ready": c.BindPort})
	if *join != "" {
		if _, err := m.Join(strings.Split(*join, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "join:", err)
			emit(map[string]interface{}{"joinError": err.Error(), "at": now()})
		}
	}

	last := ""
	printMembers := func() {
		names := []string{}
		for _, n := range m.Members() {
			names = append(names, n.Name)
		}
		sort.Strings(names)
		joined := strings.Join(names, ",")
		if joined != last {
			last = joined
			emit(map[string]interface{}{"members": names, "at": now()})
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(100 * time.Millisecond)
	for {
		select {
		case <-tick.C:
			printMembers()
		case <-sig:
			_ = m.Leave(time.Second)
			_ = m.Shutdown()
			os.Exit(0)
		}
	}
}

// jsonLines writes each log line as {"log": line}.
type jsonLines struct{}

func (jsonLines) Write(p []byte) (int, error) {
	emit(map[string]interface{}{"log": strings.TrimRight(string(p), "\n")})
	return len(p), nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
