// Command flowsense-fn runs the Knative function without the func CLI:
// the same main the func CLI's Go scaffolding generates for an instanced
// HTTP function, func-go's http.Start(New()), so the listening address
// (LISTEN_ADDRESS, or the older ADDRESS and PORT; default [::]:8080), the
// health probes and the SIGTERM path (stop accepting, finish the requests
// in flight, Stop, exit 0) are func-go's own.
//
// It is for running the function as a plain process or in an image built
// without func; it holds no logic of its own.
package main

import (
	"fmt"
	"os"

	fhttp "knative.dev/func-go/http"

	f "function"
)

func main() {
	if err := fhttp.Start(f.New()); err != nil {
		fmt.Fprintln(os.Stderr, "flowsense-fn:", err)
		os.Exit(1)
	}
}
