package kv_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rondo-dev/rondo/kv"
)

// Three replicas in one process over loopback TLS: a write at replica 0,
// then a read at replica 2 that carries the write's session token, so it
// waits until anti-entropy has brought the write over.
func Example() {
	l, err := kv.StartLocal(kv.LocalConfig{N: 3})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	req, _ := http.NewRequest("PUT", l.Replicas[0].URL()+"/kv/greeting", strings.NewReader("hello"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	session := resp.Header.Get(kv.SessionHeader)

	req, _ = http.NewRequest("GET", l.Replicas[2].URL()+"/kv/greeting?raw&wait=10s", nil)
	req.Header.Set(kv.SessionHeader, session)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello
}
