package main

// Stall hooks for bench/swim-busy.mjs: with -stall-hooks, a line "arm-stop" on stdin makes this member
// stop itself (SIGSTOP, the whole process) right after it next sends a ping, that is while its probe (or
// a ping it relays) is in flight; the bench resumes it with SIGCONT. {"stalled": "stop"} is printed first.

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"encoding/binary"
	"io/ioutil"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
	"github.com/hashicorp/memberlist"
)

// memberlist's message types (net.go)
const (
	pingMsg     = 0
	compoundMsg = 7
	compressMsg = 9
	hasCrcMsg   = 12
)

type stallTransport struct {
	*memberlist.NetTransport
	armed int32
}

// WriteToAddress is what memberlist sends every packet through (NodeAwareTransport).
func (t *stallTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	at, err := t.NetTransport.WriteToAddress(b, a)
	if err == nil && firstMessageType(b) == pingMsg && atomic.CompareAndSwapInt32(&t.armed, 1, 0) {
		emit(map[string]interface{}{"stalled": "stop", "to": a.Addr, "at": now()})
		_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}
	return at, err
}

func (t *stallTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// readCommands arms the hook for each "arm-stop" line on stdin.
func (t *stallTransport) readCommands() {
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		if strings.TrimSpace(scanner.Text()) == "arm-stop" {
			atomic.StoreInt32(&t.armed, 1)
		}
	}
}

// firstMessageType is the type of the first message a packet carries, through memberlist's CRC, compression
// and compound framing (encryption is not used with the hooks); 255 when it cannot tell.
func firstMessageType(b []byte) int {
	for depth := 0; depth < 4 && len(b) > 0; depth++ {
		switch b[0] {
		case hasCrcMsg:
			if len(b) < 5 {
				return 255
			}
			b = b[5:]
		case compressMsg:
			var c struct {
				Algo int
				Buf  []byte
			}
			if err := codec.NewDecoder(bytes.NewReader(b[1:]), &codec.MsgpackHandle{}).Decode(&c); err != nil {
				return 255
			}
			out, err := ioutil.ReadAll(lzw.NewReader(bytes.NewReader(c.Buf), lzw.LSB, 8))
			if err != nil {
				return 255
			}
			b = out
		case compoundMsg:
			if len(b) < 2 || b[1] == 0 || len(b) < 2+2*int(b[1]) {
				return 255
			}
			first := int(binary.BigEndian.Uint16(b[2:4]))
			start := 2 + 2*int(b[1])
			if len(b) < start+first {
				return 255
			}
			b = b[start : start+first]
		default:
			return int(b[0])
		}
	}
	return 255
}
