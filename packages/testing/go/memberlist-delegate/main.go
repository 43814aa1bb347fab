// memberlist-delegate is a hashicorp/memberlist 0.2.2 member on loopback with every delegate memberlist has
// (Delegate, AliveDelegate, MergeDelegate, ConflictDelegate), for the delegate interop tests of
// @cachecluster/membership-swim. Commands arrive as JSON lines on stdin:
//
//	{"broadcast": text}                   queue a user broadcast (a TransmitLimitedQueue, as Go users do)
//	{"sendBestEffort": text, "to": name}  SendBestEffort to a member
//	{"sendReliable": text, "to": name}    SendReliable to a member
//	{"state": text}                       what LocalState returns from now on
//	{"join": "host:port"}                 Join
//
// and it prints JSON lines on stdout:
//
//	{"ready": port}  {"members": [names...]} when the live set changes
//	{"msg": text}                         NotifyMsg
//	{"remoteState": text, "join": bool}   MergeRemoteState
//	{"mergeRejected": [names...]}         NotifyMerge refused (a member named with the -reject prefix)
//	{"aliveRejected": name}               NotifyAlive refused (same prefix)
//	{"conflict": {"existing": addr, "other": addr, "name": name}}  NotifyConflict
//	{"joinError": text}, {"sendError": text}
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
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

type broadcast struct{ msg []byte }

func (b broadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b broadcast) Message() []byte                       { return b.msg }
func (b broadcast) Finished()                             {}

type delegate struct {
	meta   []byte
	queue  *memberlist.TransmitLimitedQueue
	mu     sync.Mutex
	state  []byte
	reject string
}

func (d *delegate) NodeMeta(limit int) []byte { return d.meta }
func (d *delegate) NotifyMsg(b []byte) {
	emit(map[string]interface{}{"msg": string(b)})
}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}
func (d *delegate) LocalState(join bool) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.state
}
func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	emit(map[string]interface{}{"remoteState": string(buf), "join": join})
}

func (d *delegate) rejected(name string) bool {
	return d.reject != "" && strings.HasPrefix(name, d.reject)
}

func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, p := range peers {
		if d.rejected(p.Name) {
			names := []string{}
			for _, q := range peers {
				names = append(names, q.Name)
			}
			emit(map[string]interface{}{"mergeRejected": names})
			return fmt.Errorf("refusing to merge with %s", p.Name)
		}
	}
	return nil
}

func (d *delegate) NotifyAlive(peer *memberlist.Node) error {
	if d.rejected(peer.Name) {
		emit(map[string]interface{}{"aliveRejected": peer.Name})
		return fmt.Errorf("refusing %s", peer.Name)
	}
	return nil
}

func (d *delegate) NotifyConflict(existing, other *memberlist.Node) {
	emit(map[string]interface{}{"conflict": map[string]interface{}{"name": existing.Name, "existing": existing.Address(), "other": other.Address()}})
}

func main() {
	name := flag.String("name", "go-delegate", "member name")
	join := flag.String("join", "", "comma-separated host:port seeds")
	meta := flag.String("meta", "", "node metadata")
	state := flag.String("state", "", "user state LocalState returns")
	reject := flag.String("reject", "", "refuse (merge and alive delegates) members whose name starts with this")
	probeInterval := flag.Int("probe-interval", 200, "probe interval in ms")
	probeTimeout := flag.Int("probe-timeout", 100, "probe timeout in ms")
	gossipInterval := flag.Int("gossip-interval", 40, "gossip interval in ms")
	pushPull := flag.Int("push-pull-interval", 6000, "push/pull interval in ms")
	verbose := flag.Bool("v", false, "log memberlist to stderr")
	flag.Parse()

	c := memberlist.DefaultLANConfig()
	c.Name = *name
	c.BindAddr = "127.0.0.1"
	c.AdvertiseAddr = "127.0.0.1"
	c.ProbeInterval = time.Duration(*probeInterval) * time.Millisecond
	c.ProbeTimeout = time.Duration(*probeTimeout) * time.Millisecond
	c.GossipInterval = time.Duration(*gossipInterval) * time.Millisecond
	c.PushPullInterval = time.Duration(*pushPull) * time.Millisecond
	c.GossipToTheDeadTime = 6 * time.Second
	if *verbose {
		c.Logger = log.New(os.Stderr, *name+" ", log.Lmicroseconds)
	} else {
		c.LogOutput = ioutil.Discard
	}
	var m *memberlist.Memberlist
	d := &delegate{meta: []byte(*meta), state: []byte(*state), reject: *reject}
	d.queue = &memberlist.TransmitLimitedQueue{NumNodes: func() int { return m.NumMembers() }, RetransmitMult: c.RetransmitMult}
	c.Delegate = d
	c.Conflict = d
	if *reject != "" {
		c.Merge = d
		c.Alive = d
	}

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
	emit(map[string]interface{}{"ready": c.BindPort})
	doJoin := func(seeds string) {
		if _, err := m.Join(strings.Split(seeds, ",")); err != nil {
			emit(map[string]interface{}{"joinError": err.Error()})
		}
	}
	if *join != "" {
		doJoin(*join)
	}

	go func() {
		last := ""
		for range time.Tick(50 * time.Millisecond) {
			names := []string{}
			for _, n := range m.Members() {
				names = append(names, n.Name)
			}
			sort.Strings(names)
			if joined := strings.Join(names, ","); joined != last {
				last = joined
				emit(map[string]interface{}{"members": names})
			}
		}
	}()

	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<26)
	for lines.Scan() {
		var cmd struct {
			Broadcast      *string `json:"broadcast"`
			SendBestEffort *string `json:"sendBestEffort"`
			SendReliable   *string `json:"sendReliable"`
			To             string  `json:"to"`
			State          *string `json:"state"`
			Join           *string `json:"join"`
		}
		if err := json.Unmarshal(lines.Bytes(), &cmd); err != nil {
			emit(map[string]interface{}{"commandError": err.Error()})
			continue
		}
		switch {
		case cmd.Broadcast != nil:
			d.queue.QueueBroadcast(broadcast{[]byte(*cmd.Broadcast)})
		case cmd.State != nil:
			d.mu.Lock()
			d.state = []byte(*cmd.State)
			d.mu.Unlock()
		case cmd.Join != nil:
			go doJoin(*cmd.Join)
		case cmd.SendBestEffort != nil || cmd.SendReliable != nil:
			var to *memberlist.Node
			for _, n := range m.Members() {
				if n.Name == cmd.To {
					to = n
				}
			}
			if to == nil {
				emit(map[string]interface{}{"sendError": "no member " + cmd.To})
				continue
			}
			if cmd.SendBestEffort != nil {
				err = m.SendBestEffort(to, []byte(*cmd.SendBestEffort))
			} else {
				err = m.SendReliable(to, []byte(*cmd.SendReliable))
			}
			if err != nil {
				emit(map[string]interface{}{"sendError": err.Error()})
			}
		}
	}
	_ = m.Shutdown()
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
