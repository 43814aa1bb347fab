// url-escape answers, for each string read from stdin, what Go's net/url does with it: the key escaping a Go
// groupcache client sends (url.QueryEscape) and the decoding a Go groupcache server applies to a request path
// (url.PathUnescape, as r.URL.Path holds it).
// Input: JSON {"escape":["k1",...],"unescape":["a%20b",...]}
// Output: JSON {"queryEscape":["..."],"pathUnescape":[{"ok":true,"hex":"6120 62"}, ...]} (hex of the decoded bytes)
package main

import (
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
)

type input struct {
	Escape   []string `json:"escape"`
	Unescape []string `json:"unescape"`
}

type unescaped struct {
	Ok  bool   `json:"ok"`
	Hex string `json:"hex"`
}

type output struct {
	QueryEscape  []string    `json:"queryEscape"`
	PathUnescape []unescaped `json:"pathUnescape"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		os.Stderr.WriteString("url-escape: bad input: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := output{QueryEscape: make([]string, len(in.Escape)), PathUnescape: make([]unescaped, len(in.Unescape))}
	for i, s := range in.Escape {
		out.QueryEscape[i] = url.QueryEscape(s)
	}
	for i, s := range in.Unescape {
		decoded, err := url.PathUnescape(s)
		out.PathUnescape[i] = unescaped{Ok: err == nil, Hex: hex.EncodeToString([]byte(decoded))}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
