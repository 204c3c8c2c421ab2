package web_test

import (
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

func ExampleHandler() {
	w := httptest.NewRecorder()
	web.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	// Output:
	// 200 text/html; charset=utf-8
}
