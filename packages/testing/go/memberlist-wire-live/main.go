// memberlist-wire-live runs a real hashicorp/memberlist 0.2.2 node ("go-node") on an in-process transport,
// feeds it the datagrams and streams given on stdin (hex), and prints what it sent, what it answered on each
// stream, and its member list. The TypeScript wire tests use it to show that memberlist itself (not a copy)
// accepts the bytes they produce and that they decode every byte memberlist produces.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

type sent struct {
	Addr string `json:"addr"`
	Hex  string `json:"hex"`
}

type captureTransport struct {
	mu       sync.Mutex
	sent     []sent
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
}

func (t *captureTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return net.ParseIP("127.0.0.1"), 7946, nil
}

func (t *captureTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent = append(t.sent, sent{Addr: addr, Hex: hex.EncodeToString(b)})
	return time.Now(), nil
}

func (t *captureTransport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

func (t *captureTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return nil, fmt.Errorf("no streams to %s in this harness", addr)
}

func (t *captureTransport) StreamCh() <-chan net.Conn { return t.streamCh }

func (t *captureTransport) Shutdown() error { return nil }

type request struct {
	Key         string   `json:"key"`
	Compression bool     `json:"compression"`
	Packets     []string `json:"packets"`
	Streams     []string `json:"streams"`
	WaitMs      int      `json:"waitMs"`
}

type member struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	Port  uint16 `json:"port"`
	Meta  string `json:"meta"`
	State int    `json:"state"`
	Vsn   []int  `json:"vsn"`
}

type answer struct {
	Sent          []sent   `json:"sent"`
	StreamReplies []string `json:"streamReplies"`
	StreamErrors  []string `json:"streamErrors"`
	Members       []member `json:"members"`
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	var req request
	must(json.NewDecoder(os.Stdin).Decode(&req))

	t := &captureTransport{packetCh: make(chan *memberlist.Packet, 64), streamCh: make(chan net.Conn, 8)}
	conf := memberlist.DefaultLANConfig()
	conf.Name = "go-node"
	conf.Transport = t
	conf.LogOutput = io.Discard
	conf.EnableCompression = req.Compression
	conf.ProbeInterval = 10 * time.Second // no probes of our fake nodes during a run: they would turn suspect
	conf.GossipInterval = 20 * time.Millisecond
	conf.PushPullInterval = 0
	if req.Key != "" {
		key, err := hex.DecodeString(req.Key)
		must(err)
		conf.SecretKey = key
	}
	m, err := memberlist.Create(conf)
	must(err)
	from := &net.UDPAddr{IP: net.ParseIP("127.0.0.2"), Port: 7946}

	for _, p := range req.Packets {
		buf, err := hex.DecodeString(p)
		must(err)
		t.packetCh <- &memberlist.Packet{Buf: buf, From: from, Timestamp: time.Now()}
		time.Sleep(20 * time.Millisecond)
	}

	ans := answer{StreamReplies: []string{}, StreamErrors: []string{}}
	for _, s := range req.Streams {
		buf, err := hex.DecodeString(s)
		must(err)
		ours, theirs := net.Pipe()
		t.streamCh <- theirs
		ours.SetDeadline(time.Now().Add(3 * time.Second))
		go func() { ours.Write(buf) }()
		reply, err := io.ReadAll(ours)
		ours.Close()
		ans.StreamReplies = append(ans.StreamReplies, hex.EncodeToString(reply))
		if err != nil {
			ans.StreamErrors = append(ans.StreamErrors, err.Error())
		} else {
			ans.StreamErrors = append(ans.StreamErrors, "")
		}
	}

	time.Sleep(time.Duration(req.WaitMs) * time.Millisecond)
	for _, n := range m.Members() {
		ans.Members = append(ans.Members, member{
			Name: n.Name, Addr: n.Addr.String(), Port: n.Port, Meta: hex.EncodeToString(n.Meta), State: int(n.State),
			Vsn: []int{int(n.PMin), int(n.PMax), int(n.PCur), int(n.DMin), int(n.DMax), int(n.DCur)},
		})
	}
	t.mu.Lock()
	ans.Sent = t.sent
	t.mu.Unlock()
	must(json.NewEncoder(os.Stdout).Encode(ans))
	m.Shutdown()
}
