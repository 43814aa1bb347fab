// memberlist-vectors answers wire-format questions with hashicorp/memberlist 0.2.2's own code paths, so the
// TypeScript wire layer (packages/membership-swim/src/wire) can be checked byte-for-byte against Go.
//
// memberlist's message structs and helpers are unexported, so the structs below are verbatim copies of
// net.go (same fields, order and tags) and the helpers are verbatim copies of util.go/security.go/net.go,
// run with the same codec (github.com/hashicorp/go-msgpack/codec, MsgpackHandle{}), compress/lzw and
// crypto/aes as memberlist. Keyrings are built with memberlist.NewKeyring (exported).
//
// It reads one JSON request on stdin and writes one JSON answer on stdout; every byte string is hex.
package main

import (
	"bytes"
	"compress/lzw"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/hashicorp/go-msgpack/codec"
	"github.com/hashicorp/memberlist"
)

// ---- verbatim copies of memberlist 0.2.2 net.go ----

type messageType uint8

const (
	pingMsg messageType = iota
	indirectPingMsg
	ackRespMsg
	suspectMsg
	aliveMsg
	deadMsg
	pushPullMsg
	compoundMsg
	userMsg
	compressMsg
	encryptMsg
	nackRespMsg
	hasCrcMsg
	errMsg
)

type compressionType uint8

const (
	lzwAlgo compressionType = iota
)

const lzwLitWidth = 8

type ping struct {
	SeqNo      uint32
	Node       string
	SourceAddr []byte `codec:",omitempty"`
	SourcePort uint16 `codec:",omitempty"`
	SourceNode string `codec:",omitempty"`
}

type indirectPingReq struct {
	SeqNo      uint32
	Target     []byte
	Port       uint16
	Node       string
	Nack       bool
	SourceAddr []byte `codec:",omitempty"`
	SourcePort uint16 `codec:",omitempty"`
	SourceNode string `codec:",omitempty"`
}

type ackResp struct {
	SeqNo   uint32
	Payload []byte
}

type nackResp struct {
	SeqNo uint32
}

type errResp struct {
	Error string
}

type suspect struct {
	Incarnation uint32
	Node        string
	From        string
}

type alive struct {
	Incarnation uint32
	Node        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Vsn         []uint8
}

type dead struct {
	Incarnation uint32
	Node        string
	From        string
}

type pushPullHeader struct {
	Nodes        int
	UserStateLen int
	Join         bool
}

type userMsgHeader struct {
	UserMsgLen int
}

type pushNodeState struct {
	Name        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Incarnation uint32
	State       memberlist.NodeStateType
	Vsn         []uint8
}

type compress struct {
	Algo compressionType
	Buf  []byte
}

// ---- verbatim copies of util.go ----

func decode(buf []byte, out interface{}) error {
	r := bytes.NewReader(buf)
	hd := codec.MsgpackHandle{}
	dec := codec.NewDecoder(r, &hd)
	return dec.Decode(out)
}

func encode(msgType messageType, in interface{}) (*bytes.Buffer, error) {
	buf := bytes.NewBuffer(nil)
	buf.WriteByte(uint8(msgType))
	hd := codec.MsgpackHandle{}
	enc := codec.NewEncoder(buf, &hd)
	err := enc.Encode(in)
	return buf, err
}

func makeCompoundMessage(msgs [][]byte) *bytes.Buffer {
	buf := bytes.NewBuffer(nil)
	buf.WriteByte(uint8(compoundMsg))
	buf.WriteByte(uint8(len(msgs)))
	for _, m := range msgs {
		binary.Write(buf, binary.BigEndian, uint16(len(m)))
	}
	for _, m := range msgs {
		buf.Write(m)
	}
	return buf
}

func decodeCompoundMessage(buf []byte) (trunc int, parts [][]byte, err error) {
	if len(buf) < 1 {
		err = fmt.Errorf("missing compound length byte")
		return
	}
	numParts := uint8(buf[0])
	buf = buf[1:]
	if len(buf) < int(numParts*2) {
		err = fmt.Errorf("truncated len slice")
		return
	}
	lengths := make([]uint16, numParts)
	for i := 0; i < int(numParts); i++ {
		lengths[i] = binary.BigEndian.Uint16(buf[i*2 : i*2+2])
	}
	buf = buf[numParts*2:]
	for idx, msgLen := range lengths {
		if len(buf) < int(msgLen) {
			trunc = int(numParts) - idx
			return
		}
		slice := buf[:msgLen]
		buf = buf[msgLen:]
		parts = append(parts, slice)
	}
	return
}

func compressPayload(inp []byte) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	compressor := lzw.NewWriter(&buf, lzw.LSB, lzwLitWidth)
	_, err := compressor.Write(inp)
	if err != nil {
		return nil, err
	}
	if err := compressor.Close(); err != nil {
		return nil, err
	}
	c := compress{
		Algo: lzwAlgo,
		Buf:  buf.Bytes(),
	}
	return encode(compressMsg, &c)
}

func decompressPayload(msg []byte) ([]byte, error) {
	var c compress
	if err := decode(msg, &c); err != nil {
		return nil, err
	}
	return decompressBuffer(&c)
}

func decompressBuffer(c *compress) ([]byte, error) {
	if c.Algo != lzwAlgo {
		return nil, fmt.Errorf("Cannot decompress unknown algorithm %d", c.Algo)
	}
	uncomp := lzw.NewReader(bytes.NewReader(c.Buf), lzw.LSB, lzwLitWidth)
	defer uncomp.Close()
	var b bytes.Buffer
	_, err := io.Copy(&b, uncomp)
	if err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ---- verbatim copies of security.go ----

type encryptionVersion uint8

const (
	maxEncryptionVersion encryptionVersion = 1
)

const (
	versionSize = 1
	nonceSize   = 12
	tagSize     = 16
	blockSize   = aes.BlockSize
)

func pkcs7encode(buf *bytes.Buffer, ignore, blockSize int) {
	n := buf.Len() - ignore
	more := blockSize - (n % blockSize)
	for i := 0; i < more; i++ {
		buf.WriteByte(byte(more))
	}
}

func pkcs7decode(buf []byte, blockSize int) []byte {
	if len(buf) == 0 {
		panic("Cannot decode a PKCS7 buffer of zero length")
	}
	n := len(buf)
	last := buf[n-1]
	n -= int(last)
	return buf[:n]
}

func encryptedLength(vsn encryptionVersion, inp int) int {
	if vsn >= 1 {
		return versionSize + nonceSize + inp + tagSize
	}
	padding := blockSize - (inp % blockSize)
	return versionSize + nonceSize + inp + padding + tagSize
}

func encryptPayload(vsn encryptionVersion, key []byte, msg []byte, data []byte, dst *bytes.Buffer) error {
	aesBlock, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	gcm, err := cipher.NewGCM(aesBlock)
	if err != nil {
		return err
	}
	offset := dst.Len()
	dst.Grow(encryptedLength(vsn, len(msg)))
	dst.WriteByte(byte(vsn))
	_, err = io.CopyN(dst, rand.Reader, nonceSize)
	if err != nil {
		return err
	}
	afterNonce := dst.Len()
	if vsn == 0 {
		io.Copy(dst, bytes.NewReader(msg))
		pkcs7encode(dst, offset+versionSize+nonceSize, aes.BlockSize)
	}
	slice := dst.Bytes()[offset:]
	nonce := slice[versionSize : versionSize+nonceSize]
	var src []byte
	if vsn == 0 {
		src = slice[versionSize+nonceSize:]
	} else {
		src = msg
	}
	out := gcm.Seal(nil, nonce, src, data)
	dst.Truncate(afterNonce)
	dst.Write(out)
	return nil
}

func decryptMessage(key, msg []byte, data []byte) ([]byte, error) {
	aesBlock, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(aesBlock)
	if err != nil {
		return nil, err
	}
	nonce := msg[versionSize : versionSize+nonceSize]
	ciphertext := msg[versionSize+nonceSize:]
	plain, err := gcm.Open(nil, nonce, ciphertext, data)
	if err != nil {
		return nil, err
	}
	return plain, nil
}

func decryptPayload(keys [][]byte, msg []byte, data []byte) ([]byte, error) {
	if len(msg) == 0 {
		return nil, fmt.Errorf("Cannot decrypt empty payload")
	}
	vsn := encryptionVersion(msg[0])
	if vsn > maxEncryptionVersion {
		return nil, fmt.Errorf("Unsupported encryption version %d", msg[0])
	}
	if len(msg) < encryptedLength(vsn, 0) {
		return nil, fmt.Errorf("Payload is too small to decrypt: %d", len(msg))
	}
	for _, key := range keys {
		plain, err := decryptMessage(key, msg, data)
		if err == nil {
			if vsn == 0 {
				return pkcs7decode(plain, aes.BlockSize), nil
			}
			return plain, nil
		}
	}
	return nil, fmt.Errorf("No installed keys could decrypt the message")
}

// ---- stream writers, as net.go sendLocalState / sendUserMsg / rawSendMsgStream / encryptLocalState ----

func localState(join bool, nodes []pushNodeState, userData []byte) []byte {
	bufConn := bytes.NewBuffer(nil)
	header := pushPullHeader{Nodes: len(nodes), UserStateLen: len(userData), Join: join}
	hd := codec.MsgpackHandle{}
	enc := codec.NewEncoder(bufConn, &hd)
	bufConn.Write([]byte{byte(pushPullMsg)})
	must(enc.Encode(&header))
	for i := 0; i < header.Nodes; i++ {
		must(enc.Encode(&nodes[i]))
	}
	if userData != nil {
		bufConn.Write(userData)
	}
	return bufConn.Bytes()
}

func userMsgStream(sendBuf []byte) []byte {
	bufConn := bytes.NewBuffer(nil)
	bufConn.WriteByte(byte(userMsg))
	header := userMsgHeader{UserMsgLen: len(sendBuf)}
	hd := codec.MsgpackHandle{}
	enc := codec.NewEncoder(bufConn, &hd)
	must(enc.Encode(&header))
	bufConn.Write(sendBuf)
	return bufConn.Bytes()
}

func encryptLocalState(vsn encryptionVersion, key []byte, sendBuf []byte) []byte {
	var buf bytes.Buffer
	buf.WriteByte(byte(encryptMsg))
	sizeBuf := make([]byte, 4)
	encLen := encryptedLength(vsn, len(sendBuf))
	binary.BigEndian.PutUint32(sizeBuf, uint32(encLen))
	buf.Write(sizeBuf)
	must(encryptPayload(vsn, key, sendBuf, buf.Bytes()[:5], &buf))
	return buf.Bytes()
}

// readStreamAll mirrors readStream + readRemoteState/readUserMsg/ping decoding on a complete byte string.
func readStreamAll(keys [][]byte, all []byte) (map[string]interface{}, error) {
	var bufConn io.Reader = bytes.NewReader(all)
	buf := [1]byte{0}
	if _, err := bufConn.Read(buf[:]); err != nil {
		return nil, err
	}
	msgType := messageType(buf[0])
	if msgType == encryptMsg {
		if len(keys) == 0 {
			return nil, fmt.Errorf("Remote state is encrypted and encryption is not configured")
		}
		cipherText := bytes.NewBuffer(nil)
		cipherText.WriteByte(byte(encryptMsg))
		if _, err := io.CopyN(cipherText, bufConn, 4); err != nil {
			return nil, err
		}
		moreBytes := binary.BigEndian.Uint32(cipherText.Bytes()[1:5])
		if _, err := io.CopyN(cipherText, bufConn, int64(moreBytes)); err != nil {
			return nil, err
		}
		plain, err := decryptPayload(keys, cipherText.Bytes()[5:], cipherText.Bytes()[:5])
		if err != nil {
			return nil, err
		}
		msgType = messageType(plain[0])
		bufConn = bytes.NewReader(plain[1:])
	}
	hd := codec.MsgpackHandle{}
	dec := codec.NewDecoder(bufConn, &hd)
	if msgType == compressMsg {
		var c compress
		if err := dec.Decode(&c); err != nil {
			return nil, err
		}
		decomp, err := decompressBuffer(&c)
		if err != nil {
			return nil, err
		}
		msgType = messageType(decomp[0])
		bufConn = bytes.NewReader(decomp[1:])
		dec = codec.NewDecoder(bufConn, &hd)
	}
	out := map[string]interface{}{"type": int(msgType)}
	switch msgType {
	case pushPullMsg:
		var header pushPullHeader
		if err := dec.Decode(&header); err != nil {
			return nil, err
		}
		remoteNodes := make([]pushNodeState, header.Nodes)
		for i := 0; i < header.Nodes; i++ {
			if err := dec.Decode(&remoteNodes[i]); err != nil {
				return nil, err
			}
		}
		var userBuf []byte
		if header.UserStateLen > 0 {
			userBuf = make([]byte, header.UserStateLen)
			if _, err := io.ReadAtLeast(bufConn, userBuf, header.UserStateLen); err != nil {
				return nil, err
			}
		}
		states := []interface{}{}
		for i := range remoteNodes {
			states = append(states, toJSON(reflect.ValueOf(remoteNodes[i])))
		}
		out["join"] = header.Join
		out["states"] = states
		out["user"] = hex.EncodeToString(userBuf)
	case userMsg:
		var header userMsgHeader
		if err := dec.Decode(&header); err != nil {
			return nil, err
		}
		userBuf := make([]byte, header.UserMsgLen)
		if _, err := io.ReadAtLeast(bufConn, userBuf, header.UserMsgLen); err != nil {
			return nil, err
		}
		out["user"] = hex.EncodeToString(userBuf)
	case pingMsg:
		var p ping
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		out["body"] = toJSON(reflect.ValueOf(p))
	case ackRespMsg:
		var a ackResp
		if err := dec.Decode(&a); err != nil {
			return nil, err
		}
		out["body"] = toJSON(reflect.ValueOf(a))
	default:
		return nil, fmt.Errorf("received invalid msgType (%d)", msgType)
	}
	return out, nil
}

// ---- JSON <-> struct with hex byte strings ----

func newStruct(kind string) (interface{}, messageType) {
	switch kind {
	case "ping":
		return &ping{}, pingMsg
	case "indirectPingReq":
		return &indirectPingReq{}, indirectPingMsg
	case "ackResp":
		return &ackResp{}, ackRespMsg
	case "nackResp":
		return &nackResp{}, nackRespMsg
	case "errResp":
		return &errResp{}, errMsg
	case "suspect":
		return &suspect{}, suspectMsg
	case "alive":
		return &alive{}, aliveMsg
	case "dead":
		return &dead{}, deadMsg
	case "compress":
		return &compress{}, compressMsg
	case "pushNodeState":
		return &pushNodeState{}, pushPullMsg
	}
	panic("unknown kind " + kind)
}

// fromJSON fills a struct from a JSON object: byte slices as hex ("" is a nil slice), numbers, strings, bools.
func fromJSON(v reflect.Value, m map[string]interface{}) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		raw, ok := m[f.Name]
		if !ok {
			continue
		}
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Slice:
			s := raw.(string)
			if s == "" {
				continue
			}
			b, err := hex.DecodeString(s)
			must(err)
			fv.SetBytes(b)
		case reflect.String:
			fv.SetString(raw.(string))
		case reflect.Bool:
			fv.SetBool(raw.(bool))
		case reflect.Int, reflect.Int64:
			fv.SetInt(int64(raw.(float64)))
		case reflect.Uint8, reflect.Uint16, reflect.Uint32:
			fv.SetUint(uint64(raw.(float64)))
		default:
			panic("unsupported field " + f.Name)
		}
	}
}

func toJSON(v reflect.Value) map[string]interface{} {
	out := map[string]interface{}{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		fv := v.Field(i)
		switch fv.Kind() {
		case reflect.Slice:
			out[t.Field(i).Name] = hex.EncodeToString(fv.Bytes())
		default:
			out[t.Field(i).Name] = fv.Interface()
		}
	}
	return out
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	must(err)
	return b
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// ---- request / answer ----

type valueReq struct {
	Kind  string                 `json:"kind"`
	Value map[string]interface{} `json:"value"`
}

type hexReq struct {
	Kind string `json:"kind"`
	Hex  string `json:"hex"`
}

type encryptReq struct {
	Vsn  int    `json:"vsn"`
	Key  string `json:"key"`
	Msg  string `json:"msg"`
	Data string `json:"data"`
}

type decryptReq struct {
	Keys []string `json:"keys"`
	Msg  string   `json:"msg"`
	Data string   `json:"data"`
}

type pushPullReq struct {
	Join   bool                     `json:"join"`
	States []map[string]interface{} `json:"states"`
	User   string                   `json:"user"`
}

type streamReq struct {
	Msg      string `json:"msg"`
	Compress bool   `json:"compress"`
	Key      string `json:"key"`
	Vsn      int    `json:"vsn"`
}

type readStreamReq struct {
	Keys []string `json:"keys"`
	Hex  string   `json:"hex"`
}

type request struct {
	Encode          []valueReq      `json:"encode"`
	Decode          []hexReq        `json:"decode"`
	Lzw             []string        `json:"lzw"`
	Unlzw           []string        `json:"unlzw"`
	CompressPayload []string        `json:"compressPayload"`
	Decompress      []string        `json:"decompress"`
	Compound        [][]string      `json:"compound"`
	Uncompound      []string        `json:"uncompound"`
	Crc             []string        `json:"crc"`
	Encrypt         []encryptReq    `json:"encrypt"`
	Decrypt         []decryptReq    `json:"decrypt"`
	PushPull        []pushPullReq   `json:"pushPull"`
	UserMsg         []string        `json:"userMsg"`
	Stream          []streamReq     `json:"stream"`
	ReadStream      []readStreamReq `json:"readStream"`
	Keyring         [][]string      `json:"keyring"`
	Bench           float64         `json:"bench"`
}

type result struct {
	Hex   string      `json:"hex,omitempty"`
	Value interface{} `json:"value,omitempty"`
	Err   string      `json:"err,omitempty"`
}

// guard turns a panic (Go's decoder panics on some inputs) into an error result.
func guard(f func() result) (r result) {
	defer func() {
		if p := recover(); p != nil {
			r = result{Err: fmt.Sprintf("panic: %v", p)}
		}
	}()
	return f()
}

func main() {
	var req request
	must(json.NewDecoder(os.Stdin).Decode(&req))
	ans := map[string][]result{}
	add := func(name string, f func() result) { ans[name] = append(ans[name], guard(f)) }

	for _, e := range req.Encode {
		e := e
		add("encode", func() result {
			s, t := newStruct(e.Kind)
			fromJSON(reflect.ValueOf(s).Elem(), e.Value)
			buf, err := encode(t, s)
			must(err)
			return result{Hex: hex.EncodeToString(buf.Bytes())}
		})
	}
	for _, d := range req.Decode {
		d := d
		add("decode", func() result {
			s, t := newStruct(d.Kind)
			if err := decode(unhex(d.Hex), s); err != nil {
				return result{Err: err.Error()}
			}
			buf, err := encode(t, s)
			must(err)
			return result{Hex: hex.EncodeToString(buf.Bytes()), Value: toJSON(reflect.ValueOf(s).Elem())}
		})
	}
	for _, h := range req.Lzw {
		h := h
		add("lzw", func() result {
			var buf bytes.Buffer
			w := lzw.NewWriter(&buf, lzw.LSB, lzwLitWidth)
			_, err := w.Write(unhex(h))
			must(err)
			must(w.Close())
			return result{Hex: hex.EncodeToString(buf.Bytes())}
		})
	}
	for _, h := range req.Unlzw {
		h := h
		add("unlzw", func() result {
			out, err := decompressBuffer(&compress{Algo: lzwAlgo, Buf: unhex(h)})
			return result{Hex: hex.EncodeToString(out), Err: errString(err)}
		})
	}
	for _, h := range req.CompressPayload {
		h := h
		add("compressPayload", func() result {
			buf, err := compressPayload(unhex(h))
			must(err)
			return result{Hex: hex.EncodeToString(buf.Bytes())}
		})
	}
	for _, h := range req.Decompress {
		h := h
		add("decompress", func() result {
			out, err := decompressPayload(unhex(h))
			return result{Hex: hex.EncodeToString(out), Err: errString(err)}
		})
	}
	for _, parts := range req.Compound {
		parts := parts
		add("compound", func() result {
			msgs := [][]byte{}
			for _, p := range parts {
				msgs = append(msgs, unhex(p))
			}
			return result{Hex: hex.EncodeToString(makeCompoundMessage(msgs).Bytes())}
		})
	}
	for _, h := range req.Uncompound {
		h := h
		add("uncompound", func() result {
			trunc, parts, err := decodeCompoundMessage(unhex(h))
			hs := []string{}
			for _, p := range parts {
				hs = append(hs, hex.EncodeToString(p))
			}
			return result{Value: map[string]interface{}{"truncated": trunc, "parts": hs}, Err: errString(err)}
		})
	}
	for _, h := range req.Crc {
		h := h
		add("crc", func() result {
			return result{Value: crc32.ChecksumIEEE(unhex(h))}
		})
	}
	for _, e := range req.Encrypt {
		e := e
		add("encrypt", func() result {
			var buf bytes.Buffer
			var data []byte
			if e.Data != "" {
				data = unhex(e.Data)
			}
			if err := encryptPayload(encryptionVersion(e.Vsn), unhex(e.Key), unhex(e.Msg), data, &buf); err != nil {
				return result{Err: err.Error()}
			}
			return result{Hex: hex.EncodeToString(buf.Bytes())}
		})
	}
	for _, d := range req.Decrypt {
		d := d
		add("decrypt", func() result {
			keys := [][]byte{}
			for _, k := range d.Keys {
				keys = append(keys, unhex(k))
			}
			var data []byte
			if d.Data != "" {
				data = unhex(d.Data)
			}
			out, err := decryptPayload(keys, unhex(d.Msg), data)
			return result{Hex: hex.EncodeToString(out), Err: errString(err)}
		})
	}
	for _, p := range req.PushPull {
		p := p
		add("pushPull", func() result {
			nodes := make([]pushNodeState, len(p.States))
			for i, s := range p.States {
				fromJSON(reflect.ValueOf(&nodes[i]).Elem(), s)
			}
			var user []byte
			if p.User != "" {
				user = unhex(p.User)
			}
			return result{Hex: hex.EncodeToString(localState(p.Join, nodes, user))}
		})
	}
	for _, u := range req.UserMsg {
		u := u
		add("userMsg", func() result {
			return result{Hex: hex.EncodeToString(userMsgStream(unhex(u)))}
		})
	}
	for _, s := range req.Stream {
		s := s
		add("stream", func() result {
			sendBuf := unhex(s.Msg)
			if s.Compress {
				c, err := compressPayload(sendBuf)
				must(err)
				sendBuf = c.Bytes()
			}
			if s.Key != "" {
				sendBuf = encryptLocalState(encryptionVersion(s.Vsn), unhex(s.Key), sendBuf)
			}
			return result{Hex: hex.EncodeToString(sendBuf)}
		})
	}
	for _, r := range req.ReadStream {
		r := r
		add("readStream", func() result {
			keys := [][]byte{}
			for _, k := range r.Keys {
				keys = append(keys, unhex(k))
			}
			v, err := readStreamAll(keys, unhex(r.Hex))
			if err != nil {
				return result{Err: err.Error()}
			}
			return result{Value: v}
		})
	}
	for _, ks := range req.Keyring {
		ks := ks
		add("keyring", func() result {
			keys := [][]byte{}
			for _, k := range ks[1:] {
				keys = append(keys, unhex(k))
			}
			kr, err := memberlist.NewKeyring(keys, unhex(ks[0]))
			if err != nil {
				return result{Err: err.Error()}
			}
			hs := []string{}
			for _, k := range kr.GetKeys() {
				hs = append(hs, hex.EncodeToString(k))
			}
			return result{Value: hs}
		})
	}
	if req.Bench > 0 {
		b := runBench(time.Duration(req.Bench * float64(time.Second)))
		must(json.NewEncoder(os.Stdout).Encode(b))
		return
	}
	must(json.NewEncoder(os.Stdout).Encode(ans))
}

// ---- bench: ops/s of memberlist's own code paths, for bench/swim-wire.mjs ----

func benchAlive(i int) alive {
	return alive{Incarnation: uint32(i), Node: fmt.Sprintf("node-%04d.cachecluster.internal", i), Addr: []byte{10, 0, byte(i >> 8), byte(i)}, Port: 7946, Meta: []byte("http://10.0.0.1:8080/_groupcache/"), Vsn: []uint8{1, 5, 2, 0, 0, 0}}
}

func opsPerSec(d time.Duration, f func()) float64 {
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		for i := 0; i < 100; i++ {
			f()
		}
		n += 100
	}
	return float64(n) / time.Since(start).Seconds()
}

func runBench(d time.Duration) map[string]float64 {
	out := map[string]float64{}
	a := benchAlive(1)
	aliveBuf, _ := encode(aliveMsg, &a)
	aliveBytes := aliveBuf.Bytes()
	out["encodeAlive"] = opsPerSec(d, func() { encode(aliveMsg, &a) })
	out["decodeAlive"] = opsPerSec(d, func() {
		var x alive
		must(decode(aliveBytes[1:], &x))
	})

	key := make([]byte, 16)
	msgs := [][]byte{}
	for i := 0; i < 10; i++ {
		x := benchAlive(i)
		b, _ := encode(aliveMsg, &x)
		msgs = append(msgs, b.Bytes())
	}
	packet := func() []byte {
		msg := makeCompoundMessage(msgs).Bytes()
		crc := crc32.ChecksumIEEE(msg)
		header := make([]byte, 5, 5+len(msg))
		header[0] = byte(hasCrcMsg)
		binary.BigEndian.PutUint32(header[1:], crc)
		msg = append(header, msg...)
		var buf bytes.Buffer
		must(encryptPayload(1, key, msg, nil, &buf))
		return buf.Bytes()
	}
	out["encodePacket10"] = opsPerSec(d, func() { packet() })
	p := packet()
	out["decodePacket10"] = opsPerSec(d, func() {
		plain, err := decryptPayload([][]byte{key}, p, nil)
		must(err)
		if crc32.ChecksumIEEE(plain[5:]) != binary.BigEndian.Uint32(plain[1:5]) {
			panic("crc")
		}
		_, parts, err := decodeCompoundMessage(plain[6:])
		must(err)
		for _, part := range parts {
			var x alive
			must(decode(part[1:], &x))
		}
	})
	out["decryptOnly"] = opsPerSec(d, func() {
		_, err := decryptPayload([][]byte{key}, p, nil)
		must(err)
	})
	gossip := makeCompoundMessage(msgs).Bytes()
	out["compressPacket"] = opsPerSec(d, func() { compressPayload(gossip) })
	comp, _ := compressPayload(gossip)
	compBytes := comp.Bytes()
	out["decompressPacket"] = opsPerSec(d, func() {
		_, err := decompressPayload(compBytes[1:])
		must(err)
	})

	nodes := make([]pushNodeState, 1000)
	for i := range nodes {
		x := benchAlive(i)
		nodes[i] = pushNodeState{Name: x.Node, Addr: x.Addr, Port: x.Port, Meta: x.Meta, Incarnation: x.Incarnation, Vsn: x.Vsn}
	}
	out["encodePushPull1000"] = opsPerSec(d/4, func() { localState(false, nodes, nil) })
	pp := localState(false, nodes, nil)
	out["decodePushPull1000"] = opsPerSec(d/4, func() {
		_, err := readStreamAll(nil, pp)
		must(err)
	})
	return out
}
