//go:build js && wasm

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"syscall/js"
)

func main() {
	js.Global().Set("flowsenseExtract", js.FuncOf(extractJS))
	select {} // serve calls until the page goes away
}

// readChunk is the most one call to read asks for.
const readChunk = 1 << 20

// extractJS is flowsenseExtract(name, size, read): see the package comment.
// Every failure, a panic included (a read that throws, a bug), is an
// {error} result, so that one bad capture does not end the program.
func extractJS(_ js.Value, args []js.Value) (out any) {
	defer func() {
		if p := recover(); p != nil {
			out = map[string]any{"error": fmt.Sprint("extractor: ", p)}
		}
	}()
	if len(args) != 3 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeNumber || args[2].Type() != js.TypeFunction {
		return map[string]any{"error": "flowsenseExtract(name, size, read): bad arguments"}
	}
	name := args[0].String()
	src := &jsReader{read: args[2], size: int64(args[1].Float())}
	res, err := Extract(context.Background(), bufio.NewReaderSize(src, readChunk), name)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return map[string]any{"csv": string(res.CSV), "flows": string(AppendJSON(nil, res.Flows)), "stats": string(AppendStatsJSON(nil, res.Stats))}
}

// jsReader reads the capture through the page's read(offset, n).
type jsReader struct {
	read js.Value
	off  int64
	size int64
}

func (r *jsReader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), readChunk, r.size-r.off)
	v := r.read.Invoke(r.off, n)
	if v.Type() != js.TypeObject {
		return 0, fmt.Errorf("read(%d, %d) returned %s, not a Uint8Array", r.off, n, v.Type())
	}
	got := js.CopyBytesToGo(p[:n], v)
	if got == 0 {
		return 0, io.ErrUnexpectedEOF // the file shrank under us
	}
	r.off += int64(got)
	return got, nil
}
