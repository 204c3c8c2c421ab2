package web_test

import (
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/flowsense/flowsense/functions/web"
)

func ExamplePaths() {
	for _, p := range web.Paths() {
		fmt.Println(p)
	}
	// Output:
	// /
	// /static/app.js
	// /static/extract.wasm
	// /static/pcap-worker.js
	// /static/pcap.js
	// /static/style.css
	// /static/wasm_exec.js
}

func ExampleServe() {
	w := httptest.NewRecorder()
	err := web.Serve(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"), err)
	w = httptest.NewRecorder()
	err = web.Serve(w, httptest.NewRequest("GET", "/static/extract.wasm", nil)) // no Accept-Encoding
	fmt.Println(errors.Is(err, web.ErrNotAcceptable))
	// Output:
	// 200 text/html; charset=utf-8 <nil>
	// true
}
