//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "pcapwasm runs in a browser: build it with GOOS=js GOARCH=wasm (make page-extractor; functions/web/README.md)")
	os.Exit(2)
}
